/**
 * The interpreter against this machine's CPU: the generated corpus and gcc-compiled C programs run
 * natively under the ptrace stepper, then on the TestMachine instruction by instruction (compare.ts).
 */
import { readFileSync } from 'node:fs';
import type { Instruction } from 'iced-x86';
import { describe, expect, it } from 'vitest';
import { PROGRAMS, buildWorkload } from '../../bench/workload/programs.js';
import { parseElf64, section } from '../../vmm/vm/elf.js';
import { buildProgram } from './build.js';
import { compareTrace } from './compare.js';
import { generateCorpus } from './corpus.js';
import { iced, mnemonicName } from './iced.js';
import { C_SIZES, CASES, SEEDS, TIMEOUT_MS } from './suite.js';
import { RFLAGS, STATE_COUNT, recordTrace, testProgram } from './trace.js';
import { CF, COUNT_DEPENDENT, flagFacts, icedUndefinedFlags, undefinedAfter } from './undefined-flags.js';

const corpus = SEEDS.flatMap((seed) => generateCorpus({ seed, cases: CASES }).map((program) => ({ seed, program })));

function buildCorpusProgram(name: string, source: string): string {
  return buildProgram(name, [{ name: `${name}.S`, text: source }]);
}

/** Every instruction of an ELF's .text, decoded by iced-x86 (callers free nothing: short-lived). */
function textInstructions(path: string): Instruction[] {
  const elf = parseElf64(readFileSync(path));
  const text = section(elf, '.text');
  if (text === undefined) throw new Error(`${path} has no .text`);
  const decoder = new iced.Decoder(64, text.data, iced.DecoderOptions.None);
  decoder.ip = text.addr;
  const out = decoder.decodeAll() as Instruction[];
  decoder.free();
  return out;
}

describe('the generated corpus on this CPU and on the interpreter', () => {
  for (const { seed, program } of corpus) {
    it(`${program.name} (seed ${seed}: ${program.cases} cases of ${program.forms.size} forms) agrees instruction by instruction`, () => {
      const p = testProgram(program.name, buildCorpusProgram(`${program.name}-${seed}`, program.source));
      const result = compareTrace(p, recordTrace(p));
      expect(result.end).toBe('exit');
      // Every faulting case faulted natively and resumed (the stepper's fault path works).
      expect(result.faults).toBe(p.resumes.size);
    }, TIMEOUT_MS);
  }
});

describe('gcc -O2 programs on this CPU and on the interpreter', () => {
  for (const name of PROGRAMS) {
    it(`${name} (size ${C_SIZES[name]}) agrees instruction by instruction`, () => {
      const p = testProgram(name, buildWorkload({ programs: [name], iterations: 1, size: C_SIZES[name] }));
      const result = compareTrace(p, recordTrace(p));
      expect(result.end).toBe('exit');
      expect(result.faults).toBe(0);
    }, TIMEOUT_MS);
  }
});

describe('the undefined-flags table', () => {
  it('masks exactly what iced-x86 calls undefined wherever that does not depend on a count, and within it where it does', () => {
    const zero = new BigUint64Array(STATE_COUNT);
    const mismatches = new Set<string>();
    let checked = 0;
    for (const { program } of corpus.filter((c) => c.seed === SEEDS[0])) {
      for (const i of textInstructions(buildCorpusProgram(`${program.name}-${SEEDS[0]}`, program.source))) {
        const facts = flagFacts(i);
        const theirs = icedUndefinedFlags(i);
        let ours: bigint;
        if (facts.count === undefined || facts.count === 'cl') {
          if (facts.count === 'cl') continue;
          ours = undefinedAfter(facts, zero, zero).flags;
        } else {
          const count = facts.count.imm & (facts.bits === 64 ? 63 : 31);
          if (count === 0) continue;
          ours = undefinedAfter(facts, zero, zero).flags;
          // Beyond the operand size the SDM leaves more undefined than iced says: SHL/SHR's CF,
          // SHLD/SHRD's everything; and iced defines RCL/RCR's OF by the count modulo 9 or 17
          // where the SDM asks the masked count to be 1.
          if (count >= facts.bits) ours &= ~CF;
          if (count > facts.bits && (facts.mnemonic === 'shld' || facts.mnemonic === 'shrd')) continue;
          if (count > facts.bits && (facts.mnemonic === 'rcl' || facts.mnemonic === 'rcr')) continue;
          if ((ours & ~theirs) !== 0n) mismatches.add(`${mnemonicName(i)} count ${count}: ours 0x${ours.toString(16)}, iced 0x${theirs.toString(16)}`);
          checked++;
          continue;
        }
        if (COUNT_DEPENDENT.has(facts.mnemonic)) continue;
        if (ours !== theirs) mismatches.add(`${mnemonicName(i)}: ours 0x${ours.toString(16)}, iced 0x${theirs.toString(16)}`);
        checked++;
      }
    }
    expect([...mismatches]).toEqual([]);
    expect(checked).toBeGreaterThan(1000);
  }, TIMEOUT_MS);

  it('leaves a BSF/BSR destination undefined only when the source was zero (ZF set)', () => {
    const code = textInstructions(buildCorpusProgram('bsf-probe', '    .intel_syntax noprefix\n    .text\n    .globl ymir_main\nymir_main:\n    bsf rax, rcx\n    ret\n'));
    const facts = flagFacts(code.find((i) => mnemonicName(i) === 'bsf')!);
    const after = new BigUint64Array(STATE_COUNT);
    expect(undefinedAfter(facts, after, after).gprs).toEqual([]);
    after[RFLAGS] = 0x246n;
    expect(undefinedAfter(facts, after, after).gprs).toEqual([0]);
  });
});

describe('the corpus', () => {
  it('executes every mnemonic gcc emitted for the C programs', () => {
    const corpusMnemonics = new Set<string>();
    for (const { program } of corpus.filter((c) => c.seed === SEEDS[0])) {
      for (const i of textInstructions(buildCorpusProgram(`${program.name}-${SEEDS[0]}`, program.source))) corpusMnemonics.add(mnemonicName(i));
    }
    const missing = new Set<string>();
    for (const name of PROGRAMS) {
      for (const i of textInstructions(buildWorkload({ programs: [name], iterations: 1, size: C_SIZES[name] }))) {
        if (!corpusMnemonics.has(mnemonicName(i))) missing.add(mnemonicName(i));
      }
    }
    expect([...missing].sort()).toEqual([]);
  }, TIMEOUT_MS);
});
