/** COM1 and COM2 as every thread of a VM sees them (one shared register state); IRQs go to the BSP. */
import { Attention } from './hw/cpu.js';
import { UART_STATE_WORDS, Uart16550 } from './devices/serial.js';
import { COM1_IRQ, COM2_IRQ } from './lapic.js';
import { Control, type VmShared } from './shared.js';

/** Assert an ISA IRQ line at the BSP's interrupt controller and kick the BSP to take it. */
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
