/**
 * I/O-instruction exits (SDM Vol.3C 26.1.3; qualification Table 28-5) and the port bus: devices see
 * offsets from their base. IN and OUT move AL/AX/EAX; INS and OUTS are emulated here through the
 * guest's page tables, one operand per iteration, up to a bounded number of REP iterations per exit.
 * Unknown ports read as all ones (an ISA bus with nothing on it) and are logged once per port.
 */
import { Gpr } from '../hw/state.js';
import type { Vcpu } from '../vcpu/vcpu.js';
import { GuestAccess, accessGuest, injectGuestFault } from '../vcpu/guest-memory.js';

export interface PortDevice {
  read(offset: number, size: 1 | 2 | 4): number;
  write(offset: number, size: 1 | 2 | 4, value: number): void;
}

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
const MASK = ALL_ONES;
/** REP INS/OUTS iterations per exit; more leave RIP on the instruction, which exits again. */
const STRING_IO_SLICE = 4096;

function portIn(vcpu: Vcpu, bus: PortBus, port: number, size: 1 | 2 | 4): number {
  const value = bus.in(port, size);
  if (value !== undefined) return value & MASK[size];
  if (bus.firstUnknown(port)) vcpu.log.write('warn', 'io', `IN from unknown port 0x${port.toString(16)}: reads all ones`);
  return ALL_ONES[size];
}

function portOut(vcpu: Vcpu, bus: PortBus, port: number, size: 1 | 2 | 4, value: number): void {
  if (!bus.out(port, size, value & MASK[size]) && bus.firstUnknown(port)) vcpu.log.write('warn', 'io', `OUT to unknown port 0x${port.toString(16)}: ignored`);
}

export function handleIo(vcpu: Vcpu, bus: PortBus): void {
  const v = vcpu.vmcs;
  const q = v.exitQualification;
  const size = ((q & 7) + 1) as 1 | 2 | 4;
  const isIn = (q & (1 << 3)) !== 0;
  const string = (q & (1 << 4)) !== 0;
  const port = q >>> 16;
  vcpu.shared.exitStats.countPort(port, !isIn);
  if (string) return stringIo(vcpu, bus, port, size, isIn, (q & (1 << 5)) !== 0);
  if (isIn) {
    const value = portIn(vcpu, bus, port, size);
    const rax = v.gpr32(Gpr.RAX);
    // IN AL/AX merges into RAX; IN EAX zero-extends (a 32-bit register write).
    if (size === 4) v.setGprUnsigned(Gpr.RAX, value >>> 0);
    else v.state.r[0] = ((rax & ~MASK[size]) | value) | 0;
  } else {
    portOut(vcpu, bus, port, size, v.gpr32(Gpr.RAX));
  }
  v.advanceRip();
}

/**
 * INS/OUTS: the address size and segment come from the instruction information (Table 28-8),
 * the linear address of the first operand from the exit; DF chooses the direction.
 */
function stringIo(vcpu: Vcpu, bus: PortBus, port: number, size: 1 | 2 | 4, isIn: boolean, rep: boolean): void {
  const v = vcpu.vmcs;
  const info = v.exitInstructionInfo;
  const addressSize = [2, 4, 8][(info >>> 7) & 7] ?? 8;
  const index = isIn ? Gpr.RDI : Gpr.RSI;
  const width = addressSize === 8 ? 2 ** 64 : 2 ** (addressSize * 8);
  const read = (reg: number): number => (addressSize === 8 ? v.gprNumber(reg) : v.gpr32(reg) % width);
  const write = (reg: number, value: number): void => {
    if (addressSize === 8) v.setGprNumber(reg, value);
    else if (addressSize === 4) v.setGprUnsigned(reg, ((value % width) + width) % width);
    else v.state.r[reg * 2] = (v.state.r[reg * 2]! & ~0xffff) | (value & 0xffff);
  };
  const step = (v.guestRflags & 0x400) !== 0 ? -size : size;
  let linear = v.guestLinearAddress;
  let count = rep ? read(Gpr.RCX) : 1;
  for (let n = 0; n < STRING_IO_SLICE && count > 0;) {
    // OUTS forward reads as many operands as lie in one page with one translation; INS goes an
    // operand at a time, so a fault never follows a port read whose value it would lose.
    const inPage = Math.floor((4096 - (((linear % 4096) + 4096) % 4096)) / size);
    const k = !isIn && step > 0 ? Math.max(1, Math.min(count, inPage, STRING_IO_SLICE - n)) : 1;
    const bytes = new Uint8Array(k * size);
    if (isIn) {
      const value = portIn(vcpu, bus, port, size);
      for (let b = 0; b < size; b++) bytes[b] = (value >>> (8 * b)) & 0xff;
    }
    // The access the guest's instruction makes, at its CPL: a fault there is the guest's #PF.
    const failure = accessGuest(v, linear, bytes, isIn ? GuestAccess.WRITE : GuestAccess.READ);
    if (failure !== undefined) return injectGuestFault(vcpu, failure);
    if (!isIn) {
      for (let at = 0; at < bytes.length; at += size) {
        let value = 0;
        for (let b = size - 1; b >= 0; b--) value = (value << 8) | bytes[at + b]!;
        portOut(vcpu, bus, port, size, value);
      }
    }
    linear += step * k;
    write(index, read(index) + step * k);
    count -= k;
    n += k;
    if (rep) write(Gpr.RCX, count);
  }
  if (count === 0) v.advanceRip();
}
