/** COM1 and COM2 as every thread of a VM sees them (one shared register state), wired to the PICs. */
import { Attention } from '../hw/cpu.js';
import { Control, type VmShared } from '../shared.js';
import { UART_STATE_WORDS, Uart16550 } from './serial.js';

export const COM1_IRQ = 4;
export const COM2_IRQ = 3;

/** An edge on ISA line `irq` at the PICs; the BSP, which takes their interrupts, is kicked to look. */
export function raiseIrqLine(shared: VmShared, irq: number): void {
  Atomics.or(shared.control, Control.IRQ_LINES, 1 << irq);
  shared.kick(0, Attention.IRQ);
}

export function createUarts(shared: VmShared, stopping: () => boolean): { com1: Uart16550; com2: Uart16550 } {
  return {
    com1: new Uart16550('COM1', COM1_IRQ, shared.uartRegisters, 0, shared.com1Tx, shared.com1Rx, () => raiseIrqLine(shared, COM1_IRQ), stopping),
    com2: new Uart16550('COM2', COM2_IRQ, shared.uartRegisters, UART_STATE_WORDS, shared.com2Tx, shared.com2Rx, () => raiseIrqLine(shared, COM2_IRQ), stopping),
  };
}
