/**
 * A 16550A UART (register names as the datasheet: RBR/THR, IER, IIR/FCR, LCR, MCR, LSR, MSR, SCR,
 * DLL/DLM behind LCR.DLAB). The host side is a pair of shared byte rings: transmitted bytes go to
 * the host ring (the guest waits while it is full: back-pressure, never loss) and the host's bytes
 * arrive through the receive ring. Register state lives in shared memory so every vCPU sees one UART.
 */
import type { ByteRing } from '../byte-ring.js';

/** Register offsets from the base port. */
export const UartReg = { RBR_THR_DLL: 0, IER_DLM: 1, IIR_FCR: 2, LCR: 3, MCR: 4, LSR: 5, MSR: 6, SCR: 7 } as const;
export const Ier = { ERBFI: 0x01, ETBEI: 0x02, ELSI: 0x04, EDSSI: 0x08 } as const;
export const Iir = { NO_INTERRUPT: 0x01, THRE: 0x02, RDA: 0x04, FIFO_ENABLED: 0xc0 } as const;
export const Fcr = { ENABLE: 0x01, CLEAR_RX: 0x02, CLEAR_TX: 0x04 } as const;
export const Lcr = { DLAB: 0x80 } as const;
export const Mcr = { DTR: 0x01, RTS: 0x02, OUT1: 0x04, OUT2: 0x08, LOOP: 0x10 } as const;
export const Lsr = { DR: 0x01, THRE: 0x20, TEMT: 0x40 } as const;
export const Msr = { CTS: 0x10, DSR: 0x20, RI: 0x40, DCD: 0x80 } as const;

/** Shared state slots per UART. */
const S = { IER: 0, LCR: 1, MCR: 2, SCR: 3, DLL: 4, DLM: 5, FCR: 6, THRE_PENDING: 7, LINE_OPEN: 8 } as const;
export const UART_STATE_WORDS = 16;

export class Uart16550 {
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
  ) {}

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

  /** Highest-priority interrupt identification (IIR bits 3:0). */
  private identification(): number {
    const ier = this.get(S.IER);
    if ((ier & Ier.ERBFI) !== 0 && this.rx.length > 0) return Iir.RDA;
    if ((ier & Ier.ETBEI) !== 0 && this.get(S.THRE_PENDING) !== 0) return Iir.THRE;
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
        const byte = this.rx.popByte();
        return byte < 0 ? 0 : byte;
      }
      case UartReg.IER_DLM:
        return this.dlab ? this.get(S.DLM) : this.get(S.IER);
      case UartReg.IIR_FCR: {
        const id = this.identification();
        if (id === Iir.THRE) this.put(S.THRE_PENDING, 0); // reading IIR clears a THRE interrupt
        return id | ((this.get(S.FCR) & Fcr.ENABLE) !== 0 ? Iir.FIFO_ENABLED : 0);
      }
      case UartReg.LCR:
        return this.get(S.LCR);
      case UartReg.MCR:
        return this.get(S.MCR);
      case UartReg.LSR:
        // The transmitter drains into the host ring at once: THR is empty unless the ring is full.
        return (this.rx.length > 0 ? Lsr.DR : 0) | (this.tx.length < this.tx.capacity ? Lsr.THRE | Lsr.TEMT : 0);
      case UartReg.MSR: {
        const mcr = this.get(S.MCR);
        if ((mcr & Mcr.LOOP) === 0) return Msr.DCD | Msr.DSR | Msr.CTS;
        // Loopback: the modem outputs come back as inputs (datasheet 8.6).
        return ((mcr & Mcr.RTS) !== 0 ? Msr.CTS : 0) | ((mcr & Mcr.DTR) !== 0 ? Msr.DSR : 0) |
          ((mcr & Mcr.OUT1) !== 0 ? Msr.RI : 0) | ((mcr & Mcr.OUT2) !== 0 ? Msr.DCD : 0);
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
        this.put(S.FCR, byte);
        if ((byte & Fcr.CLEAR_RX) !== 0) while (this.rx.popByte() >= 0);
        break;
      case UartReg.LCR: this.put(S.LCR, byte); break;
      case UartReg.MCR: this.put(S.MCR, byte & 0x1f); break;
      case UartReg.SCR: this.put(S.SCR, byte); break;
      default: break; // LSR and MSR are read-only
    }
    this.update();
  }

  private transmit(byte: number): void {
    const ring = (this.get(S.MCR) & Mcr.LOOP) !== 0 ? this.rx : this.tx;
    if (!ring.tryPushByte(byte)) ring.pushAll(Uint8Array.of(byte), this.stopping);
    this.put(S.LINE_OPEN, byte === 0x0a ? 0 : 1);
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
