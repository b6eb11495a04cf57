/**
 * ymirsh's native test build (`make ymirsh-pipe`) run as a host process, its VMCALLs answered over
 * pipes: every VMCALL and kernel call is a frame on fd 3 (kind, six registers, a CALL's request
 * bytes), answered on fd 4 (return value, six registers, bytes for the response buffer or the
 * counter page). Answers come from the TypeScript VMM services over a fake VM, or from a fixed
 * responder (the golden vectors). --json lines arrive on fd 5.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ABI_VERSION, ALL_FEATURES, MAX_MESSAGE_SIZE, Service, Status, VMC_MAGIC } from '../../shell-protocol/constants.js';
import { gpa } from '../../vmm/hw/address.js';
import { mapShared } from '../../vmm/services/index.js';
import { type FakeVm, fakeVm } from '../vmm-services/fake-caller.js';

export const YMIRSH_DIR = fileURLToPath(new URL('../../ymirsh/', import.meta.url));

/** Build the binaries into a fresh directory; returns it. */
export function build(targets: readonly string[] = ['ymirsh-pipe']): string {
  const out = mkdtempSync(join(tmpdir(), 'ymirsh-'));
  execFileSync('make', ['-s', '-C', YMIRSH_DIR, `OUT=${out}`, ...targets.map((t) => join(out, t))], { stdio: 'pipe' });
  return out;
}

export const Kind = { DIRECT: 0, KERNEL: 1, MAP_COUNTERS: 2 } as const;

export interface Regs {
  rax: bigint;
  rbx: bigint;
  rcx: bigint;
  rdx: bigint;
  rsi: bigint;
  rdi: bigint;
}

export interface Frame {
  readonly kind: number;
  readonly regs: Regs;
  /** A CALL's request bytes. */
  readonly request?: Uint8Array;
}

export interface Reply {
  /** The call's return value: a kernel call's 0 or -errno; 1 for a direct VMCALL means "#UD". */
  readonly ret?: bigint;
  readonly regs?: Partial<Regs>;
  readonly bytes?: Uint8Array;
}

export type Answer = (frame: Frame) => Reply;

const u64 = (n: number): bigint => BigInt.asUintN(64, BigInt(n));
const ENOSYS = 38n;
const EPERM = 1n;

export type Kernel = 'present' | 'absent' | 'not-root';

/** The VMM services of a fake VM, reached as ymirsh reaches them: CPL 3 directly, CPL 0 through the kernel. */
export function vmmAnswer(vm: FakeVm, kernel: Kernel = 'present'): Answer {
  const REQUEST = 0x100000n;
  const RESPONSE = 0x400000n;
  const COUNTERS = 0x300000n;
  return (frame) => {
    if (frame.kind === Kind.MAP_COUNTERS) {
      if (kernel !== 'present') return { ret: -(kernel === 'absent' ? ENOSYS : EPERM) };
      vm.caller.cpl = 0;
      const status = mapShared(vm.caller, vm.ctx, COUNTERS);
      return status === 0 ? { ret: 0n, bytes: vm.shared.memory.slice(gpa(COUNTERS), 4096).slice() } : { ret: BigInt(status) };
    }
    if (frame.kind === Kind.KERNEL && kernel !== 'present') return { ret: -(kernel === 'absent' ? ENOSYS : EPERM) };
    vm.caller.cpl = frame.kind === Kind.KERNEL ? 0 : 3;
    const r = frame.regs;
    switch (Number(r.rax)) {
      case Service.HELLO:
        vm.log.push('info vmc GREETINGS FROM VMX-ROOT...');
        return { ret: 0n, regs: { rax: 0n } };
      case Service.PROBE:
        return { ret: 0n, regs: { rax: 0n, rbx: BigInt(VMC_MAGIC), rcx: BigInt(ABI_VERSION), rdx: BigInt(ALL_FEATURES), rsi: BigInt(MAX_MESSAGE_SIZE) } };
      case Service.CALL: {
        const request = frame.request ?? new Uint8Array(0);
        vm.shared.memory.writeBytes(gpa(REQUEST), request);
        const capacity = r.rsi > 0x100000n ? 0x100000n : r.rsi;
        const result = vm.service.call(vm.caller, REQUEST, BigInt(request.length), RESPONSE, capacity, r.rdi);
        return { ret: 0n, regs: { rax: u64(result.status), rbx: BigInt(result.bytes), rcx: BigInt(result.completed) }, bytes: vm.shared.memory.slice(gpa(RESPONSE), result.bytes).slice() };
      }
      default:
        return { ret: 0n, regs: { rax: u64(Status.ENOSYS) } };
    }
  };
}

export interface Run {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** What ymirsh wrote to its data channel (--json). */
  readonly data: string;
  readonly frames: readonly Frame[];
}

export interface RunOptions {
  readonly answer: Answer;
  /** Bytes typed on stdin, each string after the output so far matches the RegExp before it (or at once). */
  readonly input?: readonly (string | readonly [RegExp, string])[];
  readonly timeoutMs?: number;
}

function frameLength(buffer: Buffer): number | undefined {
  const HEAD = 4 + 48;
  if (buffer.length < HEAD) return undefined;
  const kind = buffer.readUInt32LE(0);
  const rax = buffer.readBigUInt64LE(4);
  const rcx = buffer.readBigUInt64LE(4 + 16);
  const withRequest = kind !== Kind.MAP_COUNTERS && rax === BigInt(Service.CALL) && rcx <= BigInt(MAX_MESSAGE_SIZE);
  const length = HEAD + (withRequest ? Number(rcx) : 0);
  return buffer.length >= length ? length : undefined;
}

function parseFrame(bytes: Buffer): Frame {
  const reg = (i: number): bigint => bytes.readBigUInt64LE(4 + 8 * i);
  const regs = { rax: reg(0), rbx: reg(1), rcx: reg(2), rdx: reg(3), rsi: reg(4), rdi: reg(5) };
  return { kind: bytes.readUInt32LE(0), regs, ...(bytes.length > 52 ? { request: Uint8Array.from(bytes.subarray(52)) } : {}) };
}

function encodeReply(frame: Frame, reply: Reply): Buffer {
  const regs = { ...frame.regs, ...reply.regs };
  const bytes = reply.bytes ?? new Uint8Array(0);
  const out = Buffer.alloc(8 + 48 + 4 + bytes.length);
  out.writeBigInt64LE(reply.ret ?? 0n, 0);
  [regs.rax, regs.rbx, regs.rcx, regs.rdx, regs.rsi, regs.rdi].forEach((v, i) => out.writeBigUInt64LE(BigInt.asUintN(64, v), 8 + 8 * i));
  out.writeUInt32LE(bytes.length, 56);
  out.set(bytes, 60);
  return out;
}

/** Run the pipe build of ymirsh with `args` until it exits. */
export function runYmirsh(binary: string, args: readonly string[], options: RunOptions): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe'] });
    const frames: Frame[] = [];
    let stdout = '';
    let stderr = '';
    let data = '';
    let pending = Buffer.alloc(0);
    const input = [...(options.input ?? [])];
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ymirsh ${args.join(' ')} did not finish; output so far:\n${stdout}`));
    }, options.timeoutMs ?? 10_000);
    const feed = (): void => {
      while (input.length > 0) {
        const next = input[0]!;
        if (typeof next !== 'string' && !next[0].test(stdout)) return;
        input.shift();
        child.stdin.write(typeof next === 'string' ? next : next[1]);
      }
      child.stdin.end();
    };
    const stdio = child.stdio as unknown as readonly unknown[];
    const [toHost, fromHost, channel] = [stdio[3], stdio[4], stdio[5]] as [NodeJS.ReadableStream, NodeJS.WritableStream, NodeJS.ReadableStream];
    toHost.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (let length = frameLength(pending); length !== undefined; length = frameLength(pending)) {
        const frame = parseFrame(pending.subarray(0, length));
        pending = pending.subarray(length);
        frames.push(frame);
        fromHost.write(encodeReply(frame, options.answer(frame)));
      }
    });
    (fromHost as unknown as { on(e: string, f: () => void): void }).on('error', () => undefined);
    child.stdin.on('error', () => undefined);
    channel.on('data', (chunk: Buffer) => { data += chunk.toString('utf8'); });
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      feed();
    });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    feed();
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, data, frames });
    });
  });
}

/** A fresh fake VM with two vCPUs, as the ymirsh tests use it. */
export function vm(): FakeVm {
  return fakeVm({ vcpus: 2 });
}
