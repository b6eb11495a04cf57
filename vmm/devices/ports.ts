/**
 * The platform's port-mapped devices on the port bus (vmm/platform.md section 5): COM1 and COM2,
 * the 8259 PICs and the debug-exit port.
 */
import type { PortDevice } from '../exits/io.js';
import type { Vcpu } from '../vcpu/vcpu.js';
import { PIC_MASTER, PIC_SLAVE, type Pic8259 } from './pic.js';

export const DEBUG_EXIT_PORT = 0xf4;
export const COM1_BASE = 0x3f8;
export const COM2_BASE = 0x2f8;
export { PIC_MASTER, PIC_SLAVE };

/** The debug-exit port (QEMU's isa-debug-exit): the guest writes a status and the VM stops with it. */
export function debugExitDevice(vcpu: Vcpu): PortDevice {
  return {
    read: () => 0xff,
    write: (_offset, _size, value) => {
      vcpu.vmcs.advanceRip();
      vcpu.stopVm({ kind: 'debug-exit', status: value & 0xff });
    },
  };
}

/** A UART as a port device: byte-wide registers, wider accesses split as an ISA bus splits them. */
export function uartDevice(uart: { readPort(offset: number, size: 1 | 2 | 4): number; writePort(offset: number, size: 1 | 2 | 4, value: number): void }): PortDevice {
  return {
    read: (offset, size) => uart.readPort(offset, size),
    write: (offset, size, value) => uart.writePort(offset, size, value),
  };
}

/** One 8259 of the pair (command at offset 0, data at 1). */
export function picDevice(pic: Pic8259, base: number): PortDevice {
  return {
    read: (offset) => pic.read(base, offset),
    write: (offset, _size, value) => pic.write(base, offset, value),
  };
}
