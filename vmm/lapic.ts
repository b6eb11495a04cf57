/**
 * The local interrupt controller of one vCPU, as the VMM virtualises it: a request register and
 * an in-service register for vectors 0x20..0x3f, the periodic timer, and injection at VM entry
 * (SDM Vol.3C 27.6 event injection; interrupt-window exiting while the guest has IF clear).
 */
import type { Cpu } from './hw/cpu.js';
import { EventType } from './hw/registers.js';

export const TIMER_VECTOR = 0x20;
/** ISA IRQ n is delivered at vector 0x20 + n (a PIC remapped as Linux does). */
export const IRQ_BASE_VECTOR = 0x20;
export const COM1_IRQ = 4;
export const COM2_IRQ = 3;
const FIRST_VECTOR = 0x20;
const LVT_MASKED = 1n << 16n;
const LVT_TIMER_PERIODIC = 1n << 17n;

export class Lapic {
  /** Bit (vector - 0x20) per requested interrupt. */
  private irr = 0;
  /** Bit per interrupt in service (delivered, EOI not yet written). */
  private isr = 0;

  /** The LVT timer register's mask bit (x2APIC MSR 0x832 bit 16): a masked timer does not tick. */
  private timerMasked = false;

  constructor(private readonly cpu: Cpu, private readonly timerIntervalMs: number) {}

  startTimer(now: number): void {
    this.cpu.timerDeadline = now + this.timerIntervalMs;
  }

  /** LVT timer as the guest reads it: the vector and the mask bit (periodic mode). */
  get lvtTimer(): bigint {
    return BigInt(TIMER_VECTOR) | LVT_TIMER_PERIODIC | (this.timerMasked ? LVT_MASKED : 0n);
  }

  /**
   * The guest writes the LVT timer; only the mask bit changes anything. A masked timer sets no
   * deadline, so a vCPU halted with its timer masked sleeps until another interrupt (NO_HZ idle).
   */
  writeLvtTimer(value: bigint, now: number): void {
    const masked = (value & LVT_MASKED) !== 0n;
    if (masked === this.timerMasked) return;
    this.timerMasked = masked;
    if (masked) this.cpu.timerDeadline = Number.POSITIVE_INFINITY;
    else this.startTimer(now);
  }

  /** The preemption timer fired: request the timer interrupt and arm the next period. */
  timerExpired(now: number): void {
    this.request(TIMER_VECTOR);
    const next = this.cpu.timerDeadline + this.timerIntervalMs;
    this.cpu.timerDeadline = next > now ? next : now + this.timerIntervalMs;
  }

  request(vector: number): void {
    this.irr |= 1 << (vector - FIRST_VECTOR);
  }

  get hasRequest(): boolean {
    return this.irr !== 0;
  }

  /** EOI: retire the highest-priority interrupt in service. */
  endOfInterrupt(): void {
    if (this.isr !== 0) this.isr &= ~(1 << (31 - Math.clz32(this.isr)));
  }

  /** At VM entry: inject the highest requested vector if the guest can take it now. */
  injectPending(): void {
    const cpu = this.cpu;
    if (this.irr === 0 || this.isr !== 0 || cpu.exit.injectVector >= 0) {
      cpu.interruptWindowExiting = false;
      return;
    }
    if (!cpu.interruptsEnabled) {
      cpu.interruptWindowExiting = true;
      return;
    }
    cpu.interruptWindowExiting = false;
    const bit = 31 - Math.clz32(this.irr);
    this.irr &= ~(1 << bit);
    this.isr |= 1 << bit;
    cpu.exit.injectVector = FIRST_VECTOR + bit;
    cpu.exit.injectType = EventType.EXTERNAL_INTERRUPT;
    cpu.exit.injectErrorCode = undefined;
  }
}
