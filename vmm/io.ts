/**
 * I/O-instruction exits and the port bus: devices see offsets from their base. Unknown ports read
 * as all ones (an ISA bus with nothing on it) and are logged once per port.
 */
import { hex } from './hw/address.js';
import { Reg } from './hw/guest-cpu.js';
import { IO_OPERAND_KEEP, IO_OPERAND_MASK, decodeIoQualification } from './hw/registers.js';
import type { Vcpu } from './vcpu.js';

export interface PortDevice {
  read(offset: number, size: 1 | 2 | 4): number;
  write(offset: number, size: 1 | 2 | 4, value: number): void;
}

export const DEBUG_EXIT_PORT = 0xf4;
export const COM1_BASE = 0x3f8;
export const COM2_BASE = 0x2f8;

export class PortBus {
  private readonly ranges: { base: number; length: number; device: PortDevice }[] = [];
  private readonly reportedUnknown = new Set<number>();

  register(base: number, length: number, device: PortDevice): void {
    this.ranges.push({ base, length, device });
  }

  private find(port: number): { base: number; device: PortDevice } | undefined {
    for (const range of this.ranges) if (port >= range.base && port < range.base + range.length) return range;
    return undefined;
  }

  /** Whether this unknown port is seen for the first time (it gets one log line). */
  firstUnknown(port: number): boolean {
    if (this.reportedUnknown.has(port)) return false;
    this.reportedUnknown.add(port);
    return true;
  }

  in(port: number, size: 1 | 2 | 4): number | undefined {
    const range = this.find(port);
    return range?.device.read(port - range.base, size);
  }

  out(port: number, size: 1 | 2 | 4, value: number): boolean {
    const range = this.find(port);
    range?.device.write(port - range.base, size, value);
    return range !== undefined;
  }
}

const ALL_ONES = { 1: 0xff, 2: 0xffff, 4: 0xffffffff } as const;

export function handleIo(vcpu: Vcpu, bus: PortBus): void {
  const cpu = vcpu.cpu;
  const { port, size, isIn } = decodeIoQualification(cpu.exit.qualification);
  if (isIn) {
    let value = bus.in(port, size);
    if (value === undefined) {
      if (bus.firstUnknown(port)) vcpu.log.write('warn', 'io', `IN from unknown port ${hex(port)}: reads all ones`);
      value = ALL_ONES[size];
    }
    cpu.set(Reg.RAX, (cpu.get(Reg.RAX) & IO_OPERAND_KEEP[size]) | (BigInt(value >>> 0) & IO_OPERAND_MASK[size]));
  } else {
    const value = Number(cpu.get(Reg.RAX) & IO_OPERAND_MASK[size]);
    if (!bus.out(port, size, value) && bus.firstUnknown(port)) vcpu.log.write('warn', 'io', `OUT to unknown port ${hex(port)}: ignored`);
  }
  cpu.stepNextInstruction();
}

/** The debug-exit port (QEMU's isa-debug-exit): the guest writes a status and the VM stops with it. */
export function debugExitDevice(vcpu: Vcpu): PortDevice {
  return {
    read: () => 0xff,
    write: (_offset, _size, value) => {
      vcpu.cpu.stepNextInstruction();
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
