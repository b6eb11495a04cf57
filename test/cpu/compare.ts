/**
 * The differential check: a test program's native trace (trace.ts) replayed against the
 * interpreter instruction by instruction. The TestMachine starts from the state the native run had
 * at ymir_test_start, then after every instruction every GPR, RIP, RFLAGS (less what the SDM leaves
 * undefined for that instruction, undefined-flags.ts), FS/GS base and the bytes the CPU wrote must
 * agree; the whole data segment is compared every `fullEvery` instructions and at the end. A
 * REP-prefixed string instruction is one step per iteration on both sides (the trap flag and the
 * monitor trap flag both stop after each iteration, SDM Vol. 3C 26.5.2). Faults must arrive with the
 * CPU's vector, error code and (for #PF) CR2, RIP at the faulting instruction; the program's exit
 * syscall is #UD on the TestMachine (EFER.SCE is clear), with the state unchanged.
 */
import type { Instruction } from 'iced-x86';
import type { StepResult } from '../support/test-machine.js';
import { TestMachine } from '../support/test-machine.js';
import { decodeOne, format } from './iced.js';
import { loadElf } from './load.js';
import { FS_BASE, GS_BASE, RFLAGS, RIP, STATE_COUNT, STATE_NAMES, type TestProgram, TraceReader } from './trace.js';
import { ARITH, type FlagFacts, flagFacts, undefinedAfter } from './undefined-flags.js';

export class DivergenceError extends Error {
  override readonly name = 'DivergenceError';
  constructor(
    message: string,
    readonly program: string,
    readonly step: number,
  ) {
    super(message);
  }
}

export interface CompareOptions {
  /** Compare the whole data segment every this many instructions (and at the end). */
  readonly fullEvery?: number;
  /** Stop after this many instructions (used to pin down a memory difference). */
  readonly stopAfter?: number;
}

export interface CompareResult {
  readonly instructions: number;
  readonly faults: number;
  readonly end: 'exit' | 'fault' | 'limit';
  /** Undefined flags or registers that differed and were resynchronised from the native state. */
  readonly undefinedDifferences: number;
}

const VECTORS_WITH_ERROR_CODE = new Set([8, 10, 11, 12, 13, 14, 17, 21, 29, 30]);
const VECTOR_NAMES: Readonly<Record<number, string>> = { 0: '#DE', 1: '#DB', 3: '#BP', 4: '#OF', 5: '#BR', 6: '#UD', 7: '#NM', 8: '#DF', 10: '#TS', 11: '#NP', 12: '#SS', 13: '#GP', 14: '#PF', 16: '#MF', 17: '#AC', 18: '#MC', 19: '#XM' };
const FLAG_NAMES: readonly [bigint, string][] = [[0x1n, 'CF'], [0x4n, 'PF'], [0x10n, 'AF'], [0x40n, 'ZF'], [0x80n, 'SF'], [0x100n, 'TF'], [0x200n, 'IF'], [0x400n, 'DF'], [0x800n, 'OF'], [0x4000n, 'NT'], [0x10000n, 'RF'], [0x40000n, 'AC'], [0x200000n, 'ID']];

const hex = (v: bigint): string => `0x${v.toString(16)}`;
const flagList = (v: bigint): string => FLAG_NAMES.filter(([bit]) => (v & bit) !== 0n).map(([, name]) => name).join(' ') || '-';
const vectorName = (v: number): string => `${VECTOR_NAMES[v] ?? 'vector'} (${v})`;

function describeResult(r: StepResult): string {
  switch (r.kind) {
    case 'step': return 'retired the instruction';
    case 'exception': return `raised ${vectorName(r.vector)}, error code ${r.errorCode ?? 'none'}, CR2 ${hex(r.cr2)}`;
    case 'exit': return `VM exit, basic reason ${r.reason}`;
  }
}

interface CodeFacts {
  readonly text: string;
  readonly flags: FlagFacts | undefined;
}

/** Static facts about the program's instructions, decoded from the ELF's bytes once per address. */
class Code {
  private readonly cache = new Map<bigint, CodeFacts>();
  private readonly symbols: readonly [bigint, string][];

  constructor(private readonly program: TestProgram) {
    this.symbols = [...program.elf.symbols].map(([name, at]) => [at, name] as [bigint, string]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  private bytesAt(rip: bigint): Uint8Array | undefined {
    for (const s of this.program.elf.segments) {
      if (rip >= s.vaddr && rip < s.vaddr + BigInt(s.fileBytes.length)) return s.fileBytes.subarray(Number(rip - s.vaddr), Number(rip - s.vaddr) + 15);
    }
    return undefined;
  }

  at(rip: bigint): CodeFacts {
    let facts = this.cache.get(rip);
    if (facts === undefined) {
      const bytes = this.bytesAt(rip);
      const instruction: Instruction | undefined = bytes === undefined ? undefined : decodeOne(bytes, rip);
      if (instruction === undefined) {
        facts = { text: bytes === undefined ? '(no code there)' : `(bytes ${Buffer.from(bytes).toString('hex')}, invalid to iced-x86)`, flags: undefined };
      } else {
        facts = { text: `${format(instruction)}  [${Buffer.from(bytes!.subarray(0, instruction.length)).toString('hex')}]`, flags: flagFacts(instruction) };
        instruction.free();
      }
      this.cache.set(rip, facts);
    }
    return facts;
  }

  /** The nearest symbol at or before `rip` (the corpus labels every case). */
  where(rip: bigint): string {
    let lo = 0;
    let hi = this.symbols.length - 1;
    let found: [bigint, string] | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const entry = this.symbols[mid]!;
      if (entry[0] <= rip) {
        found = entry;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found === undefined ? '?' : `${found[1]}+${hex(rip - found[0])}`;
  }
}

const RECENT = 8;

/** Replay `trace` (recorded from `program`) on a fresh TestMachine; throws DivergenceError at the first difference. */
export function compareTrace(program: TestProgram, trace: Uint8Array, options: CompareOptions = {}): CompareResult {
  const fullEvery = options.fullEvery ?? 256;
  const stopAfter = options.stopAfter ?? Number.POSITIVE_INFINITY;
  const reader = new TraceReader(trace);
  const code = new Code(program);
  const machine = new TestMachine();
  loadElf(machine, program.elf);

  const before = new BigUint64Array(STATE_COUNT);
  const recent: bigint[] = [];
  let step = 0;
  let faults = 0;
  let undefinedDifferences = 0;

  // Typed at the declaration so the compiler knows a call ends the path.
  const fail: (what: string, lines: readonly string[]) => never = (what, lines) => {
    const rip = before[RIP]!;
    const context = recent.slice(0, -1).map((at) => `    ${hex(at)}  ${code.at(at).text}`);
    const state = [...before.subarray(0, 16)].map((v, n) => `${STATE_NAMES[n]}=${hex(v)}`).join(' ');
    throw new DivergenceError(
      [
        `${program.name}: the interpreter differs from this CPU at instruction ${step} (${code.where(rip)}):`,
        `    ${hex(rip)}  ${code.at(rip).text}`,
        `  ${what}`,
        ...lines.map((l) => `    ${l}`),
        `  state before it: ${state} rflags=${hex(before[RFLAGS]!)} (${flagList(before[RFLAGS]!)})`,
        ...(context.length > 0 ? ['  the instructions before it:', ...context] : []),
      ].join('\n'),
      program.name,
      step,
    );
  };

  const machineState = (): BigUint64Array => {
    const s = new BigUint64Array(STATE_COUNT);
    for (let n = 0; n < 16; n++) s[n] = machine.gpr(n);
    s[RIP] = machine.rip;
    s[RFLAGS] = machine.rflags;
    s[FS_BASE] = machine.fsBase;
    s[GS_BASE] = machine.gsBase;
    return s;
  };

  /** Registers against `expected`; undefined bits and registers are copied from it afterwards. */
  const compareRegisters = (expected: BigUint64Array, undefinedFlags: bigint, undefinedGprs: readonly number[], what: string): void => {
    const actual = machineState();
    const lines: string[] = [];
    for (let n = 0; n < STATE_COUNT; n++) {
      if (n === RFLAGS) {
        const differ = (expected[n]! ^ actual[n]!) & ~undefinedFlags;
        if (differ !== 0n) {
          lines.push(`rflags: CPU ${hex(expected[n]!)} (${flagList(expected[n]!)}), interpreter ${hex(actual[n]!)} (${flagList(actual[n]!)}); differing ${flagList(differ)}${undefinedFlags !== 0n ? `; undefined here, not compared: ${flagList(undefinedFlags)}` : ''}`);
        }
      } else if (expected[n] !== actual[n] && !undefinedGprs.includes(n)) {
        lines.push(`${STATE_NAMES[n]}: CPU ${hex(expected[n]!)}, interpreter ${hex(actual[n]!)}`);
      }
    }
    if (lines.length > 0) fail(what, lines);
    if (actual[RFLAGS] !== expected[RFLAGS]) {
      undefinedDifferences++;
      machine.rflags = expected[RFLAGS]!;
    }
    for (const n of undefinedGprs) {
      if (actual[n] !== expected[n]) {
        undefinedDifferences++;
        machine.setGpr(n, expected[n]!);
      }
    }
  };

  const compareBytes = (addr: bigint, expected: Uint8Array, what: string): void => {
    const actual = machine.read(addr, expected.length);
    for (let k = 0; k < expected.length; k++) {
      if (actual[k] === expected[k]) continue;
      let end = k;
      while (end < expected.length && end < k + 16 && actual[end] !== expected[end]) end++;
      const show = (b: Uint8Array): string => Buffer.from(b.subarray(k, Math.max(end, k + 8))).toString('hex');
      fail(what, [`memory at ${hex(addr + BigInt(k))}: CPU ${show(expected)}, interpreter ${show(actual)}`]);
    }
  };

  const compareAllMemory = (): void => {
    reader.regions.forEach((r, n) => {
      const expected = reader.memory[n]!;
      const actual = machine.read(r.addr, r.length);
      const k = actual.findIndex((b, at) => b !== expected[at]);
      if (k < 0) return;
      if (fullEvery > 1 && step > 0) {
        // A write the CPU did not make (or missed) shows up here first: replay with a full check
        // after every instruction to find the one that made it.
        compareTrace(program, trace, { fullEvery: 1, stopAfter: step });
      }
      compareBytes(r.addr + BigInt(k), expected.subarray(k, k + 16), step === 0 ? 'the loaded image differs from the native process' : 'the data segment differs');
    });
  };

  // The native state at ymir_test_start.
  before.set(reader.state);
  for (let n = 0; n < 16; n++) machine.setGpr(n, before[n]!);
  machine.rip = before[RIP]!;
  machine.rflags = before[RFLAGS]!;
  machine.fsBase = before[FS_BASE]!;
  machine.gsBase = before[GS_BASE]!;
  compareRegisters(before, 0n, [], 'the start state did not load');
  compareAllMemory();

  let end: CompareResult['end'] = 'limit';
  for (;;) {
    if (step >= stopAfter) break;
    const event = reader.next();
    if (event === undefined || event.kind === 'limit') break;
    if (event.kind === 'died') fail(`the native program ended unexpectedly (wait status ${hex(BigInt(event.waitStatus))})`, []);
    step++;
    const rip = before[RIP]!;
    recent.push(rip);
    if (recent.length > RECENT) recent.shift();
    let result: StepResult;
    try {
      result = machine.step();
    } catch (error) {
      fail(`the interpreter threw instead of executing it: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, []);
    }
    switch (event.kind) {
      case 'step': {
        if (result.kind !== 'step') fail(`the CPU retired it; the interpreter ${describeResult(result)}`, []);
        const facts = code.at(rip).flags;
        let undef = facts === undefined ? { flags: 0n, gprs: [] as number[] } : undefinedAfter(facts, before, reader.state);
        // Between two iterations of a REPE/REPNE SCAS or CMPS (RIP still on it) the SDM defines the
        // registers, not the status flags: this machine's CPU shows the old flags there.
        if (reader.state[RIP] === rip) undef = { flags: undef.flags | ARITH, gprs: undef.gprs };
        compareRegisters(reader.state, undef.flags, undef.gprs, 'after it:');
        for (const chunk of event.memory) compareBytes(chunk.addr, chunk.bytes, 'after it:');
        if (step % fullEvery === 0) compareAllMemory();
        break;
      }
      case 'fault': {
        faults++;
        const native = `the CPU raised ${vectorName(event.vector)}, error code ${hex(BigInt(event.errorCode))}, CR2 ${hex(event.cr2)}`;
        if (result.kind !== 'exception' || result.vector !== event.vector) fail(`${native}; the interpreter ${describeResult(result)}`, []);
        const expectedCode = VECTORS_WITH_ERROR_CODE.has(event.vector) ? event.errorCode : undefined;
        if (result.errorCode !== expectedCode) fail(`${native}; the interpreter's error code is ${result.errorCode ?? 'none'}`, []);
        if (event.vector === 14 && result.cr2 !== event.cr2) fail(`${native}; the interpreter's CR2 is ${hex(result.cr2)}`, []);
        // A fault leaves RIP at the instruction; a trap (INT3) is reported past it natively, at it
        // by the exception exit.
        const expected = event.at.slice();
        expected[RIP] = rip;
        compareRegisters(expected, 0n, [], `${native}; the state at the exception differs:`);
        for (const chunk of event.memory) compareBytes(chunk.addr, chunk.bytes, `${native}; memory differs at the exception:`);
        if (event.resume === undefined) {
          end = 'fault';
          compareAllMemory();
          return { instructions: step, faults, end, undefinedDifferences };
        }
        machine.rip = event.resume;
        break;
      }
      case 'exit': {
        if (result.kind !== 'exception' || result.vector !== 6) fail(`this is the program's exit syscall, which must raise #UD with EFER.SCE clear; the interpreter ${describeResult(result)}`, []);
        compareRegisters(before, 0n, [], 'at the exit syscall:');
        end = 'exit';
        break;
      }
    }
    if (end === 'exit') break;
    before.set(reader.state);
  }
  compareAllMemory();
  return { instructions: step, faults, end, undefinedDifferences };
}
