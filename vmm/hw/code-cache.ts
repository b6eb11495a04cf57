/**
 * Decoded code, cached per physical page as Bochs's icache keeps it: a block is a run of decoded
 * instructions that starts at one address and ends at a control transfer (or any instruction that
 * ends a block), at a page boundary or after MAX_BLOCK instructions. Blocks are found through a
 * direct-mapped table keyed by physical address and checked against the linear address, the mode
 * and the page's write generation (hw/memory.ts), so self-modifying and cross-modifying code is
 * re-decoded. The cache is bounded: a guest that executes millions of pages keeps at most
 * TABLE_SIZE blocks.
 */
import { FAULT, TLB_ENTRIES } from './access.js';
import type { Cpu } from './cpu.js';
import { decode, DecodeStatus } from './decoder.js';
import { Insn } from './insn.js';
import type { CompiledBlock } from './jit.js';
import { Seg } from './state.js';
import { unsupported } from './system.js';

export const MAX_BLOCK = 32;
const TABLE_SIZE = 8192;

export class Block {
  linear = 0;
  physical = 0;
  page = 0;
  generation = 0;
  mode = 64;
  /** The privilege the block was decoded (and its page translated for fetch) at. */
  cpl = 0;
  csBase = 0;
  insns: Insn[] = [];
  /** The last instruction sets RIP itself (a branch, an exit, a mode change). */
  transfers = false;
  /** Same, for insns[0] (single-instruction execution). */
  transfersAt0 = false;
  /** Not to be cached: an instruction that crosses into the next page. */
  uncached = false;
  /** Executions so far, until the block is compiled (hw/jit.ts). */
  hits = 0;
  compiled: CompiledBlock | undefined = undefined;
  /**
   * The blocks that ran right after this one (a branch's two ways), found without a lookup while
   * no translation has changed since they were linked (`linkEpoch`: the CPU's translation epoch).
   */
  next0: Block | undefined = undefined;
  next1: Block | undefined = undefined;
  linkEpoch = -1;
}

export class CodeCache {
  private readonly table: (Block | undefined)[] = new Array<Block | undefined>(TABLE_SIZE).fill(undefined);
  /** Decode lookups that found their block (for the benchmark's hit rate). */
  hits = 0;
  misses = 0;

  constructor(private readonly c: Cpu) {}

  /** The block at RIP, decoded if needed. May raise a fetch fault (thrown as FAULT). */
  lookup(): Block {
    const c = this.c;
    const linear = c.linearRip;
    const physical = c.fetchAddress(linear);
    const slot = (physical ^ (physical >>> 13)) & (TABLE_SIZE - 1);
    const b = this.table[slot];
    if (
      b !== undefined && b.physical === physical && b.linear === linear && b.mode === c.mode &&
      b.generation === c.memory.pageGenerations[b.page] && (c.mode === 64 || b.csBase === c.segBase[Seg.CS])
    ) {
      this.hits++;
      return b;
    }
    this.misses++;
    const block = this.decodeBlock(linear, physical);
    if (!block.uncached) this.table[slot] = block;
    return block;
  }

  /** Drop every block (a guest writing CR0/CR4 in ways that change decoding needs none of this: keys cover it). */
  clear(): void {
    this.table.fill(undefined);
  }

  private decodeBlock(linear: number, physical: number): Block {
    const c = this.c;
    const block = new Block();
    const page = Math.floor(physical / 4096);
    block.linear = linear;
    block.physical = physical;
    block.page = page;
    block.mode = c.mode;
    block.cpl = c.cpl;
    block.csBase = c.segBase[Seg.CS]!;
    c.memory.markCodePage(page);
    dropWriteTranslations(c, page);
    block.generation = c.memory.pageGenerations[page]!;
    const pageEnd = (page + 1) * 4096;
    let at = physical;
    let rip = c.rip;
    const source = c.decodeSource;
    for (let n = 0; n < MAX_BLOCK; n++) {
      const i = new Insn();
      source.reset(at, pageEnd, linear + (at - physical));
      let status: number;
      try {
        status = decode(source, rip, c.mode, i);
      } catch (error) {
        // A fetch fault in the next page: it belongs to the instruction that needs those bytes,
        // which starts the next block and raises it when it runs.
        if (error !== FAULT || n === 0) throw error;
        break;
      }
      if (status !== DecodeStatus.OK) {
        if (n > 0) break;
        i.rip = rip;
        i.next = rip;
        i.length = 0;
        i.exec = status === DecodeStatus.UNSUPPORTED ? raiseUnsupported : raiseInvalid;
        block.insns.push(i);
        block.transfers = true;
        block.transfersAt0 = true;
        return block;
      }
      const crosses = at + i.length > pageEnd;
      if (crosses && n > 0) break;
      block.insns.push(i);
      const ends = i.entry?.endsBlock === true;
      if (n === 0) block.transfersAt0 = ends;
      if (crosses) {
        block.uncached = true;
        block.transfers = ends;
        return block;
      }
      at += i.length;
      rip = i.next;
      if (ends) {
        block.transfers = true;
        return block;
      }
      if (at >= pageEnd) break;
    }
    return block;
  }
}

/** An encoding the model does not implement: #UD, logged once per RIP. */
function raiseUnsupported(c: Cpu): void {
  unsupported(c, `unsupported instruction (bytes ${codeBytes(c)})`);
}

/** An undefined encoding: #UD, logged once per RIP as the issue asks of every bad instruction. */
function raiseInvalid(c: Cpu): void {
  unsupported(c, `undefined opcode (bytes ${codeBytes(c)})`);
}

/** Up to 15 code bytes at RIP, as hex, for a log line. */
function codeBytes(c: Cpu): string {
  const out: string[] = [];
  try {
    for (let k = 0; k < 15; k++) out.push(c.bytes[c.fetchAddress(c.linearRip + k)]!.toString(16).padStart(2, '0'));
  } catch {
    // the rest is not mapped
  }
  return out.join(' ');
}

/** A page became a code page: this vCPU's fast write path must not cover it any more. */
function dropWriteTranslations(c: Cpu, page: number): void {
  const tags = c.tlbWrite;
  for (let slot = 0; slot < TLB_ENTRIES * 2; slot++) {
    const vpn = tags[slot]!;
    if (vpn === vpn && Math.floor((vpn * 4096 + c.tlbAddend[slot]!) / 4096) === page) tags[slot] = NaN;
  }
}
