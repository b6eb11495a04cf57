/**
 * A pair of 8259A programmable interrupt controllers (Intel 8259A datasheet; the PC wiring:
 * master at 0x20/0x21, slave at 0xA0/0xA1 cascaded on master IRQ 2). Registers: IRR, ISR, IMR;
 * initialization by ICW1-ICW4, OCW1 (mask), OCW2 (EOI), OCW3 (read IRR/ISR select). Lines are
 * edge-triggered. The master's output reaches the BSP's LINT0 as ExtINT (virtual wire mode).
 *
 * State lives in shared memory, behind a lock, because any vCPU may touch the ports while the
 * BSP acknowledges interrupts and the host raises lines from the serial side.
 */
export const PIC_STATE_WORDS = 16;

/** Per-chip state slots (two chips: master at 0, slave at CHIP). */
const S = { IRR: 0, ISR: 1, IMR: 2, OFFSET: 3, INIT_STEP: 4, NEEDS_ICW4: 5, READ_ISR: 6 } as const;
const CHIP = 7;
const LOCK = 14;
/** The master's INTR output, kept up to date under the lock so that readers need no lock. */
const INTR = 15;
/** The slave is cascaded on master line 2. */
const CASCADE = 2;

export const PIC_MASTER = 0x20;
export const PIC_SLAVE = 0xa0;

export class Pic8259 {
  constructor(private readonly state: Int32Array) {}

  /** Reset state in `buffer`: vector offsets 0x08/0x70 as a BIOS leaves them, every line masked. */
  static resetState(buffer: SharedArrayBuffer): SharedArrayBuffer {
    const state = new Int32Array(buffer);
    state.fill(0);
    state[S.OFFSET] = 0x08;
    state[CHIP + S.OFFSET] = 0x70;
    state[S.IMR] = 0xff;
    state[CHIP + S.IMR] = 0xff;
    return buffer;
  }

  private locked<T>(body: () => T): T {
    while (Atomics.compareExchange(this.state, LOCK, 0, 1) !== 0);
    try {
      return body();
    } finally {
      this.state[INTR] = this.pending(0, this.masterIrr()) >= 0 ? 1 : 0;
      Atomics.store(this.state, LOCK, 0);
    }
  }

  private get(chip: number, slot: number): number {
    return this.state[chip + slot]!;
  }
  private set(chip: number, slot: number, value: number): void {
    this.state[chip + slot] = value;
  }

  /** An edge on ISA line `irq` (0..15). */
  raise(irq: number): void {
    this.locked(() => {
      const chip = irq >= 8 ? CHIP : 0;
      this.set(chip, S.IRR, this.get(chip, S.IRR) | (1 << (irq & 7)));
    });
  }

  /** The highest-priority line of one chip that is requested, not masked and above any in service. */
  private pending(chip: number, irr: number): number {
    const requested = irr & ~this.get(chip, S.IMR);
    if (requested === 0) return -1;
    const isr = this.get(chip, S.ISR);
    for (let line = 0; line < 8; line++) {
      if ((isr & (1 << line)) !== 0) return -1; // fully nested: a line in service blocks lower ones
      if ((requested & (1 << line)) !== 0) return line;
    }
    return -1;
  }

  private slaveRequest(): boolean {
    return this.pending(CHIP, this.get(CHIP, S.IRR)) >= 0;
  }

  private masterIrr(): number {
    return this.get(0, S.IRR) | (this.slaveRequest() ? 1 << CASCADE : 0);
  }

  /** Whether the master asserts INTR (a plain read: the BSP looks at every VM entry). */
  get interruptPending(): boolean {
    return this.state[INTR] === 1;
  }

  /** The INTA cycle: the vector of the highest pending line, now in service; -1 if none. */
  acknowledge(): number {
    return this.locked(() => {
      const line = this.pending(0, this.masterIrr());
      if (line < 0) return -1;
      this.set(0, S.IRR, this.get(0, S.IRR) & ~(1 << line));
      this.set(0, S.ISR, this.get(0, S.ISR) | (1 << line));
      if (line !== CASCADE) return (this.get(0, S.OFFSET) + line) & 0xff;
      const slaveLine = this.pending(CHIP, this.get(CHIP, S.IRR));
      this.set(CHIP, S.IRR, this.get(CHIP, S.IRR) & ~(1 << slaveLine));
      this.set(CHIP, S.ISR, this.get(CHIP, S.ISR) | (1 << slaveLine));
      return (this.get(CHIP, S.OFFSET) + slaveLine) & 0xff;
    });
  }

  /** A port access: `base` is PIC_MASTER or PIC_SLAVE, `offset` 0 (command) or 1 (data). */
  read(base: number, offset: number): number {
    return this.locked(() => {
      const chip = base === PIC_SLAVE ? CHIP : 0;
      if (offset === 1) return this.get(chip, S.IMR);
      return this.get(chip, this.get(chip, S.READ_ISR) !== 0 ? S.ISR : S.IRR);
    });
  }

  write(base: number, offset: number, value: number): void {
    this.locked(() => {
      const chip = base === PIC_SLAVE ? CHIP : 0;
      const v = value & 0xff;
      if (offset === 0) this.command(chip, v);
      else this.data(chip, v);
    });
  }

  private command(chip: number, v: number): void {
    if ((v & 0x10) !== 0) {
      // ICW1: start initialization; IMR and ISR clear, ICW2 next.
      this.set(chip, S.INIT_STEP, 2);
      this.set(chip, S.NEEDS_ICW4, v & 1);
      this.set(chip, S.IMR, 0);
      this.set(chip, S.ISR, 0);
      this.set(chip, S.IRR, 0);
      this.set(chip, S.READ_ISR, 0);
      return;
    }
    if ((v & 0x08) !== 0) {
      // OCW3: bits 1:0 = 10 read IRR, 11 read ISR.
      if ((v & 2) !== 0) this.set(chip, S.READ_ISR, v & 1);
      return;
    }
    // OCW2: EOI (bit 5), specific (bit 6) with the level in bits 2:0.
    if ((v & 0x20) === 0) return;
    const isr = this.get(chip, S.ISR);
    if ((v & 0x40) !== 0) this.set(chip, S.ISR, isr & ~(1 << (v & 7)));
    else if (isr !== 0) this.set(chip, S.ISR, isr & ~(isr & -isr));
  }

  private data(chip: number, v: number): void {
    switch (this.get(chip, S.INIT_STEP)) {
      case 2:
        this.set(chip, S.OFFSET, v & 0xf8);
        this.set(chip, S.INIT_STEP, 3);
        return;
      case 3:
        // ICW3: the cascade wiring, fixed by the PC's board.
        this.set(chip, S.INIT_STEP, this.get(chip, S.NEEDS_ICW4) !== 0 ? 4 : 0);
        return;
      case 4:
        this.set(chip, S.INIT_STEP, 0);
        return;
      default:
        this.set(chip, S.IMR, v);
    }
  }
}
