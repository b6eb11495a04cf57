/**
 * The guest half of the machine benchmarks: it times exits from inside the VM with RDTSC (which
 * does not exit; 1 tick = 1 ns), as a guest kernel would, and reports one JSON line on COM2.
 * Per-call times are batch averages (a batch of calls between two RDTSCs), since RDTSC's own cost
 * is of the same order as the exits measured.
 */
import { gva } from '../../vmm/hw/address.js';
import { type GuestCpu, Reg } from '../../vmm/hw/guest-cpu.js';
import { vmcall } from '../../guest/vmcall.js';
import { MAX_MEM_READ_BYTES, Op, Service, encodeMemReadArgs, encodeRequest } from '../../shell-protocol/index.js';

const REQUEST = 0x100000;
const RESPONSE = 0x200000;
const RESPONSE_CAPACITY = 0x40000;
const BATCHES = 200;
const BATCH = 100;
export const MULTICALL_SIZES = [1, 16, 256] as const;
export const UART_BYTES = 4 << 20;
const COM1_THR = 0x3f8;
const COM2_THR = 0x2f8;
const DEBUG_EXIT = 0xf4;
/** The service number as the immediate a guest would load (made once, as an instruction encodes it once). */
const PROBE = BigInt(Service.PROBE);

export interface MachineBenchReport {
  /** ns per call, one value per batch. */
  readonly cpuid: number[];
  readonly probe: number[];
  /** ns per multi-call entry, one value per batch, by entries per call. */
  readonly multicall: Record<string, number[]>;
  /** ns for one CALL answering 64 KiB, one value per call. */
  readonly memRead64k: number[];
  /** ns for UART_BYTES bytes written to THR, one exit each. */
  readonly uartNs: number;
}

/** Each body runs this long before it is timed, so the figures are of optimised code, not the JIT's first tiers. */
const WARM_UP_NS = 300_000_000n;

/**
 * Time `count` batches of `size` calls. `batch(n)` makes n calls in its own loop, as a guest's
 * timing loop would: a shared loop calling one closure per call would time the call to the closure too.
 */
function batches(cpu: GuestCpu, count: number, size: number, batch: (calls: number) => void): number[] {
  for (const start = cpu.rdtsc(); cpu.rdtsc() - start < WARM_UP_NS;) batch(size);
  const perCall: number[] = [];
  for (let b = 0; b < count; b++) {
    const start = cpu.rdtsc();
    batch(size);
    perCall.push(Number(cpu.rdtsc() - start) / size);
  }
  return perCall;
}

/** `calls` CALLs of the request at REQUEST, each answered at RESPONSE. */
function callMany(cpu: GuestCpu, requestLength: number, calls: number): void {
  const registers = { rbx: BigInt(REQUEST), rcx: BigInt(requestLength), rdx: BigInt(RESPONSE), rsi: BigInt(RESPONSE_CAPACITY) };
  for (let i = 0; i < calls; i++) {
    const { status } = vmcall(cpu, Service.CALL, registers);
    if (status !== 0n) throw new Error(`CALL failed with ${status}`);
  }
}

export function boot(cpu: GuestCpu): void {
  const cpuid = batches(cpu, BATCHES, BATCH, (calls) => {
    for (let i = 0; i < calls; i++) cpu.cpuid(0);
  });
  // PROBE takes no arguments: a guest loads RAX and executes VMCALL (mov eax, 1; vmcall).
  const probe = batches(cpu, BATCHES, BATCH, (calls) => {
    for (let i = 0; i < calls; i++) {
      cpu.set(Reg.RAX, PROBE);
      cpu.vmcall();
    }
  });

  const multicall: Record<string, number[]> = {};
  for (const entries of MULTICALL_SIZES) {
    const request = encodeRequest(Array.from({ length: entries }, () => ({ op: Op.ECHO, args: new Uint8Array(8).fill(0x5a) })));
    cpu.writeBytes(gva(REQUEST), request);
    const calls = Math.max(4, Math.floor(2000 / entries));
    multicall[entries] = batches(cpu, 50, calls, (n) => callMany(cpu, request.length, n)).map((ns) => ns / entries);
  }

  const memRead = encodeRequest([{ op: Op.MEM_READ, args: encodeMemReadArgs({ gpa: 0x400000n, length: MAX_MEM_READ_BYTES }) }]);
  cpu.writeBytes(gva(REQUEST), memRead);
  const memRead64k = batches(cpu, 100, 1, (n) => callMany(cpu, memRead.length, n));

  for (let i = 0; i < UART_BYTES / 4; i++) cpu.out8(COM1_THR, 0x41 + (i % 26)); // warm-up
  const start = cpu.rdtsc();
  for (let i = 0; i < UART_BYTES; i++) cpu.out8(COM1_THR, 0x41 + (i % 26));
  const uartNs = Number(cpu.rdtsc() - start);

  const report: MachineBenchReport = { cpuid, probe, multicall, memRead64k, uartNs };
  for (const byte of new TextEncoder().encode(`${JSON.stringify(report)}\n`)) cpu.out8(COM2_THR, byte);
  cpu.out8(DEBUG_EXIT, 0);
}

export function startAp(cpu: GuestCpu): void {
  cpu.cli();
  for (;;) cpu.hlt();
}
