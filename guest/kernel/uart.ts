/**
 * The kernel's 16550A driver (as Linux's 8250 driver): program the divisor and line settings,
 * enable and clear the FIFOs, check it really is a 16550A (loopback and FIFO bits), transmit in
 * FIFO-sized bursts waiting on LSR.THRE, and receive in the interrupt handler.
 */
import type { GuestCpu } from '../../vmm/hw/guest-cpu.js';

const THR = 0, RBR = 0, DLL = 0, DLM = 1, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7;
const LSR_DR = 0x01;
const LSR_THRE = 0x20;
const FIFO_DEPTH = 16;

export class Uart {
  constructor(private readonly cpu: GuestCpu, readonly base: number) {}

  /** 115200 8N1, FIFOs on, DTR/RTS/OUT2, receive interrupt. Returns the detected type. */
  init(): '16550A' | 'unknown' {
    const { cpu, base } = this;
    cpu.out8(base + IER, 0x00);
    cpu.out8(base + LCR, 0x80); // DLAB
    cpu.out8(base + DLL, 0x01); // divisor 1: 115200 baud
    cpu.out8(base + DLM, 0x00);
    cpu.out8(base + LCR, 0x03); // 8N1
    cpu.out8(base + FCR, 0xc7); // enable, clear both FIFOs, 14-byte trigger
    const type = this.detect();
    cpu.out8(base + MCR, 0x0b); // DTR, RTS, OUT2 (routes the IRQ)
    cpu.out8(base + IER, 0x01); // received data available
    return type;
  }

  /** Scratch register, loopback and FIFO identification, as 8250_port.c autoconfig does. */
  private detect(): '16550A' | 'unknown' {
    const { cpu, base } = this;
    cpu.out8(base + SCR, 0xa5);
    if (cpu.in8(base + SCR) !== 0xa5) return 'unknown';
    cpu.out8(base + MCR, 0x10 | 0x0a); // loopback with RTS and OUT2
    const status = cpu.in8(base + MSR) & 0xf0;
    cpu.out8(base + MCR, 0x00);
    if (status !== 0x90) return 'unknown'; // CTS (from RTS) and DCD (from OUT2)
    return (cpu.in8(base + IIR) & 0xc0) === 0xc0 ? '16550A' : 'unknown';
  }

  write(bytes: Uint8Array): void {
    const { cpu, base } = this;
    for (let i = 0; i < bytes.length; i += FIFO_DEPTH) {
      while ((cpu.in8(base + LSR) & LSR_THRE) === 0) cpu.pause();
      const end = Math.min(bytes.length, i + FIFO_DEPTH);
      for (let k = i; k < end; k++) cpu.out8(base + THR, bytes[k]!);
    }
  }

  /** Drain the receive FIFO. */
  receive(each: (byte: number) => void): void {
    const { cpu, base } = this;
    while ((cpu.in8(base + LSR) & LSR_DR) !== 0) each(cpu.in8(base + RBR));
  }
}
