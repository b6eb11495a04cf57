/**
 * The decoder against iced-x86 over the .text of real binaries (the ELF files under /usr/bin, a
 * sample in `npm test`, all of them with CPU_CORPUS=full): wherever describeInstruction says ok,
 * length, mnemonic, operands, REP and LOCK must be iced's; it must never call an instruction of a
 * supported mnemonic invalid, accept what iced rejects, or throw. What it does not support is
 * counted by mnemonic and printed.
 */
import { closeSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Described, describeInstruction, supportedMnemonics } from '../../vmm/hw/decoder.js';
import { EM_X86_64, SHF_EXECINSTR, parseElf64 } from '../../vmm/vm/elf.js';
import { iced, icedDescribed, mnemonicName } from './iced.js';
import { DECODER_FILES, DECODER_INSTRUCTIONS_PER_FILE, TIMEOUT_MS } from './suite.js';

const BIN = '/usr/bin';

function isElf(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(4);
    return readSync(fd, head, 0, 4, 0) === 4 && head.readUInt32BE(0) === 0x7f454c46;
  } finally {
    closeSync(fd);
  }
}

/** The ELF files under /usr/bin, evenly sampled down to `count` (sorted, so runs repeat). */
function binaries(count: number): string[] {
  const all = readdirSync(BIN)
    .sort()
    .map((name) => join(BIN, name))
    .filter((path) => {
      try {
        return statSync(path).isFile() && isElf(path);
      } catch {
        return false;
      }
    });
  if (all.length <= count) return all;
  return Array.from({ length: count }, (_, n) => all[Math.floor((n * all.length) / count)]!);
}

const show = (d: Described | string): string => JSON.stringify(d, (_, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v));

interface Report {
  instructions: number;
  compared: number;
  readonly unsupported: Map<string, number>;
  /** Problems by kind and iced form (Code): how often, and the first one in full. */
  readonly problems: Map<string, { count: number; first: string }>;
}

function check(path: string, report: Report, supported: ReadonlySet<string>): void {
  let elf;
  try {
    elf = parseElf64(readFileSync(path));
  } catch {
    return; // 32-bit or otherwise not ours: nothing to walk
  }
  if (elf.machine !== EM_X86_64) return;
  let form = '';
  const problem = (at: bigint, bytes: Uint8Array, what: string): void => {
    const key = `${what.split(/[ ,:]/)[0]} ${form}`;
    const seen = report.problems.get(key);
    if (seen !== undefined) seen.count++;
    else report.problems.set(key, { count: 1, first: `${path} 0x${at.toString(16)} [${Buffer.from(bytes).toString('hex')}]: ${what}` });
  };
  for (const text of elf.sections.filter((s) => (s.flags & SHF_EXECINSTR) !== 0n && s.data.length > 0)) {
    const decoder = new iced.Decoder(64, text.data, iced.DecoderOptions.None);
    decoder.ip = text.addr;
    let walked = 0;
    while (decoder.canDecode && walked++ < DECODER_INSTRUCTIONS_PER_FILE) {
      const offset = decoder.position;
      const ip = decoder.ip;
      const i = decoder.decode();
      form = iced.Code[i.code] ?? '?';
      const bytes = text.data.subarray(offset, offset + Math.max(i.length, 1));
      report.instructions++;
      let ours: Described;
      try {
        ours = describeInstruction(text.data, offset, ip, 64);
      } catch (error) {
        problem(ip, bytes, `threw: describeInstruction threw ${String(error)}`);
        i.free();
        continue;
      }
      if (i.isInvalid) {
        if (ours.ok) problem(ip, text.data.subarray(offset, offset + ours.length), `accepted: iced-x86 rejects it, the decoder says ${show(ours)}`);
      } else if (ours.ok) {
        report.compared++;
        const theirs = icedDescribed(i);
        if (show(ours) !== show(theirs)) problem(ip, bytes, `differs:\n      decoder ${show(ours)}\n      iced    ${show(theirs)}`);
        else if (report.compared % 97 === 0 && offset + i.length <= text.data.length) {
          // The same bytes cut one short must read as truncated.
          const cut = describeInstruction(text.data.subarray(0, offset + i.length - 1), offset, ip, 64);
          if (cut.ok || cut.reason !== 'truncated') problem(ip, bytes, `truncation: one byte short it says ${show(cut)}, not truncated`);
        }
      } else if (ours.reason === 'unsupported') {
        const name = mnemonicName(i);
        report.unsupported.set(name, (report.unsupported.get(name) ?? 0) + 1);
      } else if (supported.has(mnemonicName(i))) {
        problem(ip, bytes, `${ours.reason}: iced decodes ${mnemonicName(i)}, a supported mnemonic; the decoder says ${ours.reason}`);
      }
      i.free();
    }
    decoder.free();
  }
}

describe('the decoder against iced-x86 on real binaries', () => {
  it('describes every instruction it supports exactly as iced-x86 does, and never fails on one it should know', () => {
    const supported = new Set(supportedMnemonics());
    const report: Report = { instructions: 0, compared: 0, unsupported: new Map(), problems: new Map() };
    const files = binaries(DECODER_FILES);
    for (const path of files) check(path, report, supported);
    const top = [...report.unsupported].sort((a, b) => b[1] - a[1]).slice(0, 25);
    console.log(
      `decoder check: ${files.length} files, ${report.instructions} instructions, ${report.compared} compared, ` +
        `${report.instructions - report.compared} not (invalid to iced or unsupported). Most common unsupported:\n` +
        top.map(([name, n]) => `  ${name.padEnd(14)} ${n}`).join('\n'),
    );
    expect([...report.problems].map(([key, p]) => `${key} (${p.count}x), first: ${p.first}`)).toEqual([]);
    expect(report.compared).toBeGreaterThan(report.instructions / 2);
  }, TIMEOUT_MS);
});
