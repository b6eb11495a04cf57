/**
 * The local APIC of one vCPU as the VMM virtualises it (SDM Vol.3A chapter 11), in x2APIC mode
 * (11.12): its registers as MSRs 0x800-0x8FF, IRR/ISR with the TPR/PPR priority rules, EOI, the
 * LVT timer in one-shot, periodic and TSC-deadline modes counting the 1 GHz crystal clock, LINT0 in
 * ExtINT mode for the 8259 PICs, and IPIs (fixed, NMI, INIT, STARTUP; shorthands) to other vCPUs
 * through shared memory. The xAPIC MMIO page is not modelled: a guest switches to x2APIC first.
 */
import type { VmShared } from '../shared.js';
import type { Pic8259 } from './pic.js';

export const ApicMsr = {
  IA32_APIC_BASE: 0x1b,
  IA32_TSC_DEADLINE: 0x6e0,
  ID: 0x802, VERSION: 0x803, TPR: 0x808, PPR: 0x80a, EOI: 0x80b, LDR: 0x80d, SVR: 0x80f,
  ISR0: 0x810, TMR0: 0x818, IRR0: 0x820, ESR: 0x828, ICR: 0x830, LVT_TIMER: 0x832, LVT_THERMAL: 0x833,
  LVT_PMC: 0x834, LVT_LINT0: 0x835, LVT_LINT1: 0x836, LVT_ERROR: 0x837, TIMER_INITIAL: 0x838,
  TIMER_CURRENT: 0x839, TIMER_DIVIDE: 0x83e, SELF_IPI: 0x83f,
} as const;

const BASE_BSP = 1n << 8n;
const BASE_EXTD = 1n << 10n;
const BASE_EN = 1n << 11n;
const APIC_ADDRESS = 0xfee00000n;
const LVT_MASKED = 1 << 16;
const SVR_ENABLED = 1 << 8;
const DELIVERY_EXTINT = 7 << 8;
/** LVT timer modes (bits 18:17). */
const TimerMode = { ONE_SHOT: 0, PERIODIC: 1, TSC_DEADLINE: 2 } as const;
const DIVIDERS = [2, 4, 8, 16, 1, 1, 1, 1, 32, 64, 128, 1];

export const Delivery = { FIXED: 0, LOWEST: 1, SMI: 2, NMI: 4, INIT: 5, STARTUP: 6 } as const;

export class Lapic {
  private base: bigint;
  private tpr = 0;
  private svr = 0xff;
  private lvtTimer = LVT_MASKED;
  private lvtLint0: number;
  private lvtLint1 = LVT_MASKED;
  private lvtError = LVT_MASKED;
  private lvtThermal = LVT_MASKED;
  private lvtPmc = LVT_MASKED;
  private esr = 0;
  private divide = 0;
  private initialCount = 0;
  /** Nanoseconds (TSC) at which the timer next fires; Infinity when it is not counting. */
  private timerDeadline = Number.POSITIVE_INFINITY;
  private tscDeadline = 0;
  private readonly irr = new Uint32Array(8);
  private readonly isr = new Uint32Array(8);
  /** Vectors requested in IRR (a quick test at every VM entry). */
  private requested = 0;
  /** The timer's deadline may have moved since the VMM last armed the preemption timer for it. */
  timerChanged = true;

  constructor(
    readonly index: number,
    private readonly shared: VmShared,
    /** The TSC: nanoseconds since the VM started. */
    private readonly now: () => number,
    /** The PICs, on the BSP only (LINT0 is wired to them). */
    private readonly pic: Pic8259 | undefined,
  ) {
    const bsp = index === 0;
    this.base = APIC_ADDRESS | BASE_EN | (bsp ? BASE_BSP : 0n);
    // Virtual wire mode as firmware leaves it: the BSP's LINT0 takes the PICs' INTR as ExtINT.
    this.lvtLint0 = bsp ? DELIVERY_EXTINT : LVT_MASKED;
  }

  get x2apic(): boolean {
    return (this.base & BASE_EXTD) !== 0n;
  }
  private get enabled(): boolean {
    return (this.svr & SVR_ENABLED) !== 0;
  }

  // --- priorities (SDM 11.8.3.1) ----------------------------------------------------------------

  private static highest(bits: Uint32Array): number {
    for (let w = 7; w >= 0; w--) if (bits[w] !== 0) return w * 32 + 31 - Math.clz32(bits[w]!);
    return -1;
  }

  private get ppr(): number {
    const isrv = Lapic.highest(this.isr);
    const isrClass = isrv < 0 ? 0 : isrv & 0xf0;
    return (this.tpr & 0xf0) >= isrClass ? this.tpr & 0xff : isrClass;
  }

  /** Take fixed interrupts other vCPUs sent (their bits are in this vCPU's shared IPI words). */
  collectIpis(): void {
    const words = this.shared.ipiWords(this.index);
    for (let w = 0; w < 8; w++) {
      if (words[w] === 0) continue;
      const bits = Atomics.exchange(words, w, 0);
      this.irr[w] = this.irr[w]! | bits;
      this.requested = 1;
    }
  }

  request(vector: number): void {
    if (vector < 16) {
      this.esr |= 1 << 6; // illegal vector
      return;
    }
    this.irr[vector >>> 5] = this.irr[vector >>> 5]! | (1 << (vector & 31));
    this.requested = 1;
  }

  /**
   * The interrupt the guest would take next: a fixed vector above PPR, or -2 for the PICs' ExtINT
   * through LINT0 (which ignores TPR), or -1 for none.
   */
  pendingInterrupt(): number {
    if (this.requested !== 0) {
      const irrv = Lapic.highest(this.irr);
      if (irrv < 0) this.requested = 0;
      else if (this.enabled && (irrv & 0xf0) > (this.ppr & 0xf0)) return irrv;
    }
    if (this.pic !== undefined && (this.lvtLint0 & LVT_MASKED) === 0 && (this.lvtLint0 & 0x700) === DELIVERY_EXTINT && this.pic.interruptPending) return -2;
    return -1;
  }

  /** Deliver `pendingInterrupt()`'s answer: the vector that goes to the guest (IRR to ISR, or the PICs' INTA). */
  accept(pending: number): number {
    if (pending === -2) return this.pic!.acknowledge();
    this.irr[pending >>> 5] = this.irr[pending >>> 5]! & ~(1 << (pending & 31));
    this.isr[pending >>> 5] = this.isr[pending >>> 5]! | (1 << (pending & 31));
    return pending;
  }

  endOfInterrupt(): void {
    const v = Lapic.highest(this.isr);
    if (v >= 0) this.isr[v >>> 5] = this.isr[v >>> 5]! & ~(1 << (v & 31));
  }

  get cr8(): number {
    return (this.tpr >>> 4) & 0xf;
  }
  set cr8(value: number) {
    this.tpr = (value & 0xf) << 4;
  }

  // --- the timer --------------------------------------------------------------------------------

  private get timerMode(): number {
    return (this.lvtTimer >>> 17) & 3;
  }

  private get dividerNs(): number {
    return DIVIDERS[(this.divide & 3) | ((this.divide & 8) >>> 1)] ?? 1;
  }

  /** When the timer next needs the CPU, in TSC nanoseconds (Infinity: not armed or masked). */
  get deadline(): number {
    if ((this.lvtTimer & LVT_MASKED) !== 0 || !this.enabled) return Number.POSITIVE_INFINITY;
    if (this.timerMode === TimerMode.TSC_DEADLINE) return this.tscDeadline === 0 ? Number.POSITIVE_INFINITY : this.tscDeadline;
    return this.timerDeadline;
  }

  /** Fire the timer if its time has come (the preemption timer brought the CPU here, or HLT woke). */
  checkTimer(): void {
    this.timerChanged = true;
    const now = this.now();
    if (this.timerMode === TimerMode.TSC_DEADLINE) {
      if (this.tscDeadline !== 0 && now >= this.tscDeadline) {
        this.tscDeadline = 0;
        this.fireTimer();
      }
      return;
    }
    if (now < this.timerDeadline) return;
    if (this.timerMode === TimerMode.PERIODIC && this.initialCount !== 0) {
      const period = this.initialCount * this.dividerNs;
      const missed = Math.floor((now - this.timerDeadline) / period);
      this.timerDeadline += (missed + 1) * period;
    } else this.timerDeadline = Number.POSITIVE_INFINITY;
    this.fireTimer();
  }

  private fireTimer(): void {
    if ((this.lvtTimer & LVT_MASKED) === 0 && this.enabled) this.request(this.lvtTimer & 0xff);
  }

  private currentCount(): number {
    if (!Number.isFinite(this.timerDeadline) || this.timerMode === TimerMode.TSC_DEADLINE) return 0;
    return Math.max(0, Math.ceil((this.timerDeadline - this.now()) / this.dividerNs));
  }

  /**
   * The registers `info lapic` shows, as words from `at`: ID, TPR, PPR, LVT timer, initial count,
   * current count, divide configuration, one spare, IRR (8 words), ISR (8 words).
   */
  publish(w: Int32Array, at: number): void {
    w[at] = this.index;
    w[at + 1] = this.tpr;
    w[at + 2] = this.ppr;
    w[at + 3] = this.lvtTimer;
    w[at + 4] = this.initialCount;
    w[at + 5] = this.currentCount();
    w[at + 6] = this.divide;
    w.set(this.irr, at + 8);
    w.set(this.isr, at + 16);
  }

  // --- MSR access -------------------------------------------------------------------------------

  /** RDMSR of an APIC MSR: the value, or undefined for #GP. */
  readMsr(msr: number): bigint | undefined {
    if (msr === ApicMsr.IA32_APIC_BASE) return this.base;
    if (msr === ApicMsr.IA32_TSC_DEADLINE) return BigInt(this.tscDeadline);
    if (!this.x2apic || msr < 0x800 || msr > 0x8ff) return undefined;
    switch (msr) {
      case ApicMsr.ID: return BigInt(this.index);
      case ApicMsr.VERSION: return 0x50014n;
      case ApicMsr.TPR: return BigInt(this.tpr);
      case ApicMsr.PPR: return BigInt(this.ppr);
      case ApicMsr.LDR: return BigInt((((this.index >>> 4) << 16) | (1 << (this.index & 0xf))) >>> 0);
      case ApicMsr.SVR: return BigInt(this.svr);
      case ApicMsr.ESR: return BigInt(this.esr);
      case ApicMsr.LVT_TIMER: return BigInt(this.lvtTimer);
      case ApicMsr.LVT_THERMAL: return BigInt(this.lvtThermal);
      case ApicMsr.LVT_PMC: return BigInt(this.lvtPmc);
      case ApicMsr.LVT_LINT0: return BigInt(this.lvtLint0);
      case ApicMsr.LVT_LINT1: return BigInt(this.lvtLint1);
      case ApicMsr.LVT_ERROR: return BigInt(this.lvtError);
      case ApicMsr.TIMER_INITIAL: return BigInt(this.initialCount);
      case ApicMsr.TIMER_CURRENT: return BigInt(this.currentCount());
      case ApicMsr.TIMER_DIVIDE: return BigInt(this.divide);
      default:
        if (msr >= ApicMsr.ISR0 && msr < ApicMsr.ISR0 + 8) return BigInt(this.isr[msr - ApicMsr.ISR0]!);
        if (msr >= ApicMsr.TMR0 && msr < ApicMsr.TMR0 + 8) return 0n;
        if (msr >= ApicMsr.IRR0 && msr < ApicMsr.IRR0 + 8) return BigInt(this.irr[msr - ApicMsr.IRR0]!);
        return undefined;
    }
  }

  /** WRMSR of an APIC MSR: false for #GP. `ipi` sends an ICR write to its destinations. */
  writeMsr(msr: number, value: bigint, ipi: (icr: bigint) => void): boolean {
    const low = Number(value & 0xffffffffn);
    if (msr === ApicMsr.IA32_APIC_BASE) {
      // EXTD needs EN; going back from x2APIC to xAPIC needs a disable first (SDM 11.12.5).
      if ((value & BASE_EXTD) !== 0n && (value & BASE_EN) === 0n) return false;
      if (this.x2apic && (value & BASE_EXTD) === 0n && (value & BASE_EN) !== 0n) return false;
      this.base = (value & (BASE_EN | BASE_EXTD)) | APIC_ADDRESS | (this.index === 0 ? BASE_BSP : 0n);
      return true;
    }
    if (msr === ApicMsr.IA32_TSC_DEADLINE) {
      this.tscDeadline = Number(value);
      this.timerChanged = true;
      return true;
    }
    if (!this.x2apic || msr < 0x800 || msr > 0x8ff) return false;
    switch (msr) {
      case ApicMsr.TPR: this.tpr = low & 0xff; return true;
      case ApicMsr.EOI: if (low !== 0) return false; this.endOfInterrupt(); return true;
      case ApicMsr.SVR: this.svr = low & 0x11ff; this.timerChanged = true; return true;
      case ApicMsr.ESR: this.esr = 0; return true;
      case ApicMsr.ICR: ipi(value); return true;
      case ApicMsr.LVT_TIMER: this.lvtTimer = low & 0x700ff; this.timerChanged = true; return true;
      case ApicMsr.LVT_THERMAL: this.lvtThermal = low & 0x107ff; return true;
      case ApicMsr.LVT_PMC: this.lvtPmc = low & 0x107ff; return true;
      case ApicMsr.LVT_LINT0: this.lvtLint0 = low & 0x1a7ff; return true;
      case ApicMsr.LVT_LINT1: this.lvtLint1 = low & 0x1a7ff; return true;
      case ApicMsr.LVT_ERROR: this.lvtError = low & 0x100ff; return true;
      case ApicMsr.TIMER_INITIAL:
        this.timerChanged = true;
        this.initialCount = low >>> 0;
        this.timerDeadline = this.initialCount === 0 || this.timerMode === TimerMode.TSC_DEADLINE
          ? Number.POSITIVE_INFINITY : this.now() + this.initialCount * this.dividerNs;
        return true;
      case ApicMsr.TIMER_DIVIDE: this.divide = low & 0xb; this.timerChanged = true; return true;
      case ApicMsr.SELF_IPI: this.request(low & 0xff); return true;
      default: return false; // read-only registers and reserved MSRs
    }
  }
}
