/**
 * A 16550A UART (register names as the datasheet: RBR/THR, IER, IIR/FCR, LCR, MCR, LSR, MSR, SCR,
 * DLL/DLM behind LCR.DLAB). Its host end is a pair of shared byte rings, the serial line and the
 * terminal at its far end:
 *
 * - Transmit: THR bytes go to the host ring at once (the guest waits while it is full:
 *   back-pressure, never loss). LSR.THRE is clear only while that ring is full.
 * - Receive: the UART's own 16-byte receive FIFO (1 byte with FCR.ENABLE clear, as a 16450) is
 *   fed from the host ring as the guest reads RBR, LSR or IIR. Bytes the host sent before the
 *   guest looked wait in the host ring, the far end's buffer, so an FCR clear drops only what the
 *   FIFO held (type-ahead survives a driver's initialisation).
 * - Loopback (MCR.LOOP): the receiver is cut off the line; THR bytes go into the FIFO, and a byte
 *   that finds it full is lost with LSR.OE set (datasheet 8.6), so a THR write in loopback never
 *   waits. The modem outputs come back as inputs, and MSR's delta bits record their changes.
 *
 * Register state lives in shared memory so every vCPU sees one UART; the guest serialises its own
 * accesses, as a driver's port lock does on hardware.
 */
import type { ByteRing } from '../byte-ring.js';

/** Register offsets from the base port. */
export const UartReg = { RBR_THR_DLL: 0, IER_DLM: 1, IIR_FCR: 2, LCR: 3, MCR: 4, LSR: 5, MSR: 6, SCR: 7 } as const;
/** Ports a UART decodes. */
export const UART_PORTS = 8;
export const Ier = { ERBFI: 0x01, ETBEI: 0x02, ELSI: 0x04, EDSSI: 0x08 } as const;
/** IIR bits 3:0 (interrupt identification, highest priority first) and 7:6 (FIFOs enabled). */
export const Iir = {
  NO_INTERRUPT: 0x01, RECEIVER_LINE_STATUS: 0x06, RDA: 0x04, CHARACTER_TIMEOUT: 0x0c, THRE: 0x02, MODEM_STATUS: 0x00,
  FIFO_ENABLED: 0xc0,
} as const;
export const Fcr = { ENABLE: 0x01, CLEAR_RX: 0x02, CLEAR_TX: 0x04, TRIGGER_SHIFT: 6 } as const;
export const Lcr = { DLAB: 0x80 } as const;
export const Mcr = { DTR: 0x01, RTS: 0x02, OUT1: 0x04, OUT2: 0x08, LOOP: 0x10 } as const;
export const Lsr = { DR: 0x01, OE: 0x02, THRE: 0x20, TEMT: 0x40 } as const;
export const Msr = { DCTS: 0x01, DDSR: 0x02, TERI: 0x04, DDCD: 0x08, CTS: 0x10, DSR: 0x20, RI: 0x40, DCD: 0x80 } as const;

/** The receive FIFO's depth (datasheet: 16 bytes) and its trigger levels by FCR bits 7:6. */
export const RX_FIFO_DEPTH = 16;
const TRIGGER_LEVELS = [1, 4, 8, 14] as const;
/** What the terminal at the far end drives while it is connected: clear to send, data set ready, carrier. */
const LINE_INPUTS = Msr.CTS | Msr.DSR | Msr.DCD;

/** Shared state words per UART: registers, then the receive FIFO's bytes (4 to a word). */
const S = { IER: 0, LCR: 1, MCR: 2, SCR: 3, DLL: 4, DLM: 5, FCR: 6, THRE_PENDING: 7, OVERRUN: 8, MSR: 9, FIFO_HEAD: 10, FIFO_COUNT: 11, FIFO: 12, LINE_OPEN: 16 } as const;
export const UART_STATE_WORDS = 17;

export class Uart16550 {
  private readonly fifo: Uint8Array;

  constructor(
    readonly name: string,
    /** The ISA IRQ line the UART is wired to. */
    readonly irq: number,
    private readonly state: Int32Array,
    private readonly base: number,
    private readonly tx: ByteRing,
    private readonly rx: ByteRing,
    /** Raise the UART's IRQ line: the interrupt controller samples `interruptPending` on EOI. */
    private readonly raiseIrq: () => void,
    private readonly stopping: () => boolean,
  ) {
    this.fifo = new Uint8Array(state.buffer, state.byteOffset + (base + S.FIFO) * 4, RX_FIFO_DEPTH);
  }

  /** Power-on state (datasheet table 7: MSR's inputs follow the line, everything else zero). Once, before any vCPU runs. */
  reset(): void {
    this.state.fill(0, this.base, this.base + UART_STATE_WORDS);
    this.put(S.MSR, LINE_INPUTS);
  }

  /**
   * Registers are plain shared words: aligned 32-bit accesses never tear, and a register gives
   * no ordering between CPUs on real hardware either; only the rings publish data across threads.
   * (An Atomics call costs about as much as the rest of a THR write.)
   */
  private get(slot: number): number {
    return this.state[this.base + slot]!;
  }
  private put(slot: number, value: number): void {
    this.state[this.base + slot] = value;
  }

  private get dlab(): boolean {
    return (this.get(S.LCR) & Lcr.DLAB) !== 0;
  }

  private get loopback(): boolean {
    return (this.get(S.MCR) & Mcr.LOOP) !== 0;
  }

  private get fifoEnabled(): boolean {
    return (this.get(S.FCR) & Fcr.ENABLE) !== 0;
  }

  /** The receive buffer's size: the FIFO, or the 16450's single holding register with FIFOs off. */
  private get fifoCapacity(): number {
    return this.fifoEnabled ? RX_FIFO_DEPTH : 1;
  }

  private push(byte: number): boolean {
    const count = this.get(S.FIFO_COUNT);
    if (count >= this.fifoCapacity) return false;
    this.fifo[(this.get(S.FIFO_HEAD) + count) % RX_FIFO_DEPTH] = byte;
    this.put(S.FIFO_COUNT, count + 1);
    return true;
  }

  private shift(): number {
    const count = this.get(S.FIFO_COUNT);
    if (count === 0) return 0; // an empty receiver reads as 0
    const head = this.get(S.FIFO_HEAD);
    this.put(S.FIFO_HEAD, (head + 1) % RX_FIFO_DEPTH);
    this.put(S.FIFO_COUNT, count - 1);
    return this.fifo[head]!;
  }

  private clearFifo(): void {
    this.put(S.FIFO_HEAD, 0);
    this.put(S.FIFO_COUNT, 0);
  }

  /** The line delivers what the host sent while the FIFO has room (never in loopback). Guest side only: it is the ring's one consumer. */
  private receive(): void {
    if (this.loopback) return;
    while (this.get(S.FIFO_COUNT) < this.fifoCapacity) {
      const byte = this.rx.popByte();
      if (byte < 0) return;
      this.push(byte);
    }
  }

  /** Whether received data is waiting, in the FIFO or (outside loopback) on the line. Reads no ring data, so any thread may ask. */
  private dataWaiting(): boolean {
    return this.get(S.FIFO_COUNT) > 0 || (!this.loopback && this.rx.length > 0);
  }

  /** Highest-priority interrupt identification (IIR bits 3:0). */
  private identification(): number {
    const ier = this.get(S.IER);
    if ((ier & Ier.ELSI) !== 0 && this.get(S.OVERRUN) !== 0) return Iir.RECEIVER_LINE_STATUS;
    if ((ier & Ier.ERBFI) !== 0 && this.dataWaiting()) {
      const trigger = this.fifoEnabled ? TRIGGER_LEVELS[(this.get(S.FCR) >> Fcr.TRIGGER_SHIFT) & 3]! : 1;
      return this.get(S.FIFO_COUNT) >= trigger ? Iir.RDA : Iir.CHARACTER_TIMEOUT;
    }
    if ((ier & Ier.ETBEI) !== 0 && this.get(S.THRE_PENDING) !== 0) return Iir.THRE;
    if ((ier & Ier.EDSSI) !== 0 && (this.get(S.MSR) & 0x0f) !== 0) return Iir.MODEM_STATUS;
    return Iir.NO_INTERRUPT;
  }

  /** Whether the UART asserts its interrupt (gated by MCR.OUT2, as on a PC). */
  interruptPending(): boolean {
    return (this.get(S.MCR) & Mcr.OUT2) !== 0 && this.identification() !== Iir.NO_INTERRUPT;
  }

  private update(): void {
    if (this.interruptPending()) this.raiseIrq();
  }

  read(offset: number): number {
    switch (offset) {
      case UartReg.RBR_THR_DLL: {
        if (this.dlab) return this.get(S.DLL);
        this.receive();
        const byte = this.shift();
        this.receive();
        return byte;
      }
      case UartReg.IER_DLM:
        return this.dlab ? this.get(S.DLM) : this.get(S.IER);
      case UartReg.IIR_FCR: {
        this.receive();
        const id = this.identification();
        if (id === Iir.THRE) this.put(S.THRE_PENDING, 0); // reading IIR clears a THRE interrupt
        return id | (this.fifoEnabled ? Iir.FIFO_ENABLED : 0);
      }
      case UartReg.LCR:
        return this.get(S.LCR);
      case UartReg.MCR:
        return this.get(S.MCR);
      case UartReg.LSR: {
        this.receive();
        const overrun = this.get(S.OVERRUN) !== 0 ? Lsr.OE : 0;
        this.put(S.OVERRUN, 0); // reading LSR clears the error bits
        // In loopback the transmitter feeds the FIFO and is always empty; otherwise THR is empty unless the host ring is full.
        const empty = this.loopback || this.tx.length < this.tx.capacity ? Lsr.THRE | Lsr.TEMT : 0;
        return (this.get(S.FIFO_COUNT) > 0 ? Lsr.DR : 0) | overrun | empty;
      }
      case UartReg.MSR: {
        const msr = this.get(S.MSR);
        this.put(S.MSR, msr & 0xf0); // reading MSR clears the delta bits
        return msr;
      }
      case UartReg.SCR:
        return this.get(S.SCR);
      default:
        return 0xff;
    }
  }

  write(offset: number, value: number): void {
    const byte = value & 0xff;
    switch (offset) {
      case UartReg.RBR_THR_DLL:
        if (this.dlab) this.put(S.DLL, byte);
        else this.transmit(byte);
        break;
      case UartReg.IER_DLM:
        if (this.dlab) this.put(S.DLM, byte);
        else {
          this.put(S.IER, byte & 0x0f);
          if ((byte & Ier.ETBEI) !== 0) this.put(S.THRE_PENDING, 1); // enabling ETBEI with THR empty interrupts at once
        }
        break;
      case UartReg.IIR_FCR:
        // Changing FCR.ENABLE clears the FIFO, as CLEAR_RX does; transmitted bytes are already on the line.
        if ((byte & Fcr.CLEAR_RX) !== 0 || ((byte ^ this.get(S.FCR)) & Fcr.ENABLE) !== 0) this.clearFifo();
        this.put(S.FCR, byte & 0xc9); // bits 5:4 reserved, 2:1 self-clearing
        break;
      case UartReg.LCR: this.put(S.LCR, byte); break;
      case UartReg.MCR: this.writeMcr(byte & 0x1f); break;
      case UartReg.SCR: this.put(S.SCR, byte); break;
      default: break; // LSR and MSR are read-only
    }
    this.update();
  }

  /** A 1-, 2- or 4-byte port access split into byte accesses at ascending ports, as an ISA bus does for an 8-bit device. */
  readPort(offset: number, size: 1 | 2 | 4): number {
    let value = 0;
    for (let i = 0; i < size; i++) value |= (offset + i < UART_PORTS ? this.read(offset + i) : 0xff) << (8 * i);
    return value >>> 0;
  }

  writePort(offset: number, size: 1 | 2 | 4, value: number): void {
    for (let i = 0; i < size; i++) if (offset + i < UART_PORTS) this.write(offset + i, (value >>> (8 * i)) & 0xff);
  }

  /** MCR drives the modem outputs; in loopback they are also the inputs MSR shows, and each change sets its delta bit. */
  private writeMcr(mcr: number): void {
    this.put(S.MCR, mcr);
    const inputs = (mcr & Mcr.LOOP) === 0 ? LINE_INPUTS
      : ((mcr & Mcr.RTS) !== 0 ? Msr.CTS : 0) | ((mcr & Mcr.DTR) !== 0 ? Msr.DSR : 0) |
        ((mcr & Mcr.OUT1) !== 0 ? Msr.RI : 0) | ((mcr & Mcr.OUT2) !== 0 ? Msr.DCD : 0);
    const msr = this.get(S.MSR);
    const changed = (msr ^ inputs) & 0xf0;
    let delta = msr & 0x0f;
    if ((changed & Msr.CTS) !== 0) delta |= Msr.DCTS;
    if ((changed & Msr.DSR) !== 0) delta |= Msr.DDSR;
    if ((changed & Msr.DCD) !== 0) delta |= Msr.DDCD;
    if ((changed & Msr.RI) !== 0 && (inputs & Msr.RI) === 0) delta |= Msr.TERI; // the trailing edge of RI only
    this.put(S.MSR, inputs | delta);
  }

  private transmit(byte: number): void {
    if (this.loopback) {
      if (!this.push(byte)) this.put(S.OVERRUN, 1);
    } else {
      if (!this.tx.tryPushByte(byte)) this.tx.pushAll(Uint8Array.of(byte), this.stopping);
      this.put(S.LINE_OPEN, byte === 0x0a ? 0 : 1);
    }
    this.put(S.THRE_PENDING, 1);
  }

  /**
   * Whether the guest's last byte left a line unfinished. The VMM's log shares COM1 (as Ymir's
   * does) and starts a fresh line first, as printk ends a partial line before a new record.
   */
  takeOpenLine(): boolean {
    const open = this.get(S.LINE_OPEN) !== 0;
    this.put(S.LINE_OPEN, 0);
    return open;
  }
}
