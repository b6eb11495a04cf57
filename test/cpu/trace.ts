/**
 * The native side of the differential test: a test program (an ELF built from native/program.ld)
 * run under the ptrace stepper, and a reader for the trace it writes (format in native/stepper.c).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Elf64, parseElf64, section, symbol } from '../../vmm/vm/elf.js';
import { buildStepper } from './build.js';

/** State indexes in a trace: the 16 GPRs in SDM order, then these. */
export const RIP = 16;
export const RFLAGS = 17;
export const FS_BASE = 18;
export const GS_BASE = 19;
export const STATE_COUNT = 20;
export const STATE_NAMES = [
  'rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15',
  'rip', 'rflags', 'fs_base', 'gs_base',
] as const;

export interface Region {
  readonly addr: bigint;
  readonly length: number;
}

/** A test program as both sides run it. */
export interface TestProgram {
  readonly name: string;
  readonly path: string;
  readonly elf: Elf64;
  /** Where both sides begin: crt.S's ymir_test_start. */
  readonly start: bigint;
  /** The memory compared after every instruction: the data segment (stack included). */
  readonly regions: readonly Region[];
  /** Faulting instruction address -> where execution resumes (the program's .ymir_resume pairs). */
  readonly resumes: ReadonlyMap<bigint, bigint>;
  readonly fsBase: bigint;
  readonly gsBase: bigint;
}

export function testProgram(name: string, path: string): TestProgram {
  const elf = parseElf64(readFileSync(path));
  const dataStart = symbol(elf, 'ymir_data_start');
  const resumes = new Map<bigint, bigint>();
  const table = section(elf, '.ymir_resume');
  if (table !== undefined) {
    const view = new DataView(table.data.buffer, table.data.byteOffset, table.data.byteLength);
    for (let at = 0; at + 16 <= table.data.length; at += 16) resumes.set(view.getBigUint64(at, true), view.getBigUint64(at + 8, true));
  }
  return {
    name,
    path,
    elf,
    start: symbol(elf, 'ymir_test_start'),
    regions: [{ addr: dataStart, length: Number(symbol(elf, 'ymir_data_end') - dataStart) }],
    resumes,
    fsBase: elf.symbols.get('ymir_fs_base') ?? 0n,
    gsBase: elf.symbols.get('ymir_gs_base') ?? 0n,
  };
}

export interface MemoryChunk {
  readonly addr: bigint;
  readonly bytes: Uint8Array;
}

export type TraceEvent =
  | { readonly kind: 'step'; readonly memory: readonly MemoryChunk[] }
  | {
      readonly kind: 'fault';
      /** The CPU's trap number, error code and CR2, as the kernel saved them in the signal frame. */
      readonly vector: number;
      readonly errorCode: number;
      readonly cr2: bigint;
      readonly signal: number;
      readonly siCode: number;
      readonly siAddr: bigint;
      /** The registers when the fault was taken (RIP past the instruction for a trap such as INT3). */
      readonly at: BigUint64Array;
      readonly resume: bigint | undefined;
      readonly memory: readonly MemoryChunk[];
    }
  /** The program's exit syscall, not run: the state is the one before it. */
  | { readonly kind: 'exit'; readonly syscall: bigint; readonly status: bigint }
  | { readonly kind: 'limit' }
  | { readonly kind: 'died'; readonly waitStatus: number };

export class TraceError extends Error {
  override readonly name = 'TraceError';
}

/**
 * Reads a trace record by record. `state` holds the registers after the last record read (after a
 * resumed fault: the resumed state); `memory` the regions' contents as the native run left them.
 */
export class TraceReader {
  readonly regions: readonly Region[];
  readonly state = new BigUint64Array(STATE_COUNT);
  readonly memory: readonly Uint8Array[];
  private readonly view: DataView;
  private at = 0;
  private done = false;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (Buffer.from(bytes.subarray(0, 8)).toString('latin1') !== 'YMTRACE1') throw new TraceError('not a stepper trace');
    this.at = 8;
    const count = this.u32();
    const regions: Region[] = [];
    for (let n = 0; n < count; n++) regions.push({ addr: this.u64(), length: Number(this.u64()) });
    this.regions = regions;
    if (this.u8() !== 1) throw new TraceError('trace does not begin with a START record');
    for (let n = 0; n < STATE_COUNT; n++) this.state[n] = this.u64();
    // A copy: the trace may be a Buffer, whose slice() is a view, and records update this image.
    this.memory = regions.map((r) => new Uint8Array(this.take(r.length)));
  }

  private need(n: number): void {
    if (this.at + n > this.bytes.length) throw new TraceError(`trace truncated at byte ${this.at}`);
  }
  private u8(): number {
    this.need(1);
    return this.view.getUint8(this.at++);
  }
  private u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }
  private u64(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.at, true);
    this.at += 8;
    return v;
  }
  private take(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  private chunks(): MemoryChunk[] {
    const count = this.u32();
    const out: MemoryChunk[] = [];
    for (let n = 0; n < count; n++) {
      const addr = this.u64();
      const bytes = this.take(this.u32());
      out.push({ addr, bytes });
      const k = this.regions.findIndex((r) => addr >= r.addr && addr + BigInt(bytes.length) <= r.addr + BigInt(r.length));
      if (k < 0) throw new TraceError(`memory change at 0x${addr.toString(16)} outside the recorded regions`);
      this.memory[k]!.set(bytes, Number(addr - this.regions[k]!.addr));
    }
    return out;
  }

  /** The next record, or undefined after the last one. */
  next(): TraceEvent | undefined {
    if (this.done) return undefined;
    const kind = this.u8();
    switch (kind) {
      case 2: {
        const mask = this.u32();
        for (let n = 0; n < STATE_COUNT; n++) if ((mask & (1 << n)) !== 0) this.state[n] = this.u64();
        return { kind: 'step', memory: this.chunks() };
      }
      case 3: {
        const vector = this.u8();
        const signal = this.u8();
        const siCode = this.view.getInt32((this.need(4), this.at), true);
        this.at += 4;
        const errorCode = this.u32();
        const cr2 = this.u64();
        const siAddr = this.u64();
        const at = new BigUint64Array(STATE_COUNT);
        for (let n = 0; n < STATE_COUNT; n++) at[n] = this.u64();
        const resumed = this.u8() !== 0;
        const resumeRip = this.u64();
        const memory = this.chunks();
        if (resumed) {
          this.state.set(at);
          this.state[RIP] = resumeRip;
        } else {
          this.done = true;
        }
        return { kind: 'fault', vector, errorCode, cr2, signal, siCode, siAddr, at, resume: resumed ? resumeRip : undefined, memory };
      }
      case 4:
        this.done = true;
        return { kind: 'exit', syscall: this.u64(), status: this.u64() };
      case 5:
        this.done = true;
        return { kind: 'limit' };
      case 6:
        this.done = true;
        return { kind: 'died', waitStatus: this.u32() };
      default:
        throw new TraceError(`unknown record kind ${kind} at byte ${this.at - 1}`);
    }
  }
}

/** Run `program` natively under the stepper and return its trace. */
export function recordTrace(program: TestProgram, maxSteps = 10_000_000): Uint8Array {
  const stepper = buildStepper();
  const dir = mkdtempSync(join(tmpdir(), 'ymir-trace-'));
  try {
    const tracePath = join(dir, 'trace');
    const args = ['-o', tracePath, '-s', `0x${program.start.toString(16)}`, '-H', `0x${symbol(program.elf, 'ymir_fault_handler').toString(16)}`];
    args.push('-m', String(maxSteps), '-f', `0x${program.fsBase.toString(16)}`, '-g', `0x${program.gsBase.toString(16)}`);
    for (const r of program.regions) args.push('-r', `0x${r.addr.toString(16)}:${r.length}`);
    if (program.resumes.size > 0) {
      const pairs = new BigUint64Array(program.resumes.size * 2);
      let n = 0;
      for (const [from, to] of program.resumes) {
        pairs[n++] = from;
        pairs[n++] = to;
      }
      const resumePath = join(dir, 'resumes');
      writeFileSync(resumePath, new Uint8Array(pairs.buffer));
      args.push('-F', resumePath);
    }
    execFileSync(stepper, [...args, '--', program.path], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 20 });
    return readFileSync(tracePath);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** How many instructions `program` retires natively from its start to its exit (no faults allowed). */
export function countInstructions(program: TestProgram): number {
  const out = execFileSync(buildStepper(), ['-c', '-s', `0x${program.start.toString(16)}`, '--', program.path], { encoding: 'utf8' });
  return Number(out.trim());
}
