/**
 * The vCPU register file and the VMCS-like exit-information fields (SDM Vol.3C 25.9 "VM-Exit
 * Information Fields", 25.8.3 "VM-Entry Controls for Event Injection").
 */
import { Reg } from './guest-cpu.js';

/** Registers beyond the guest-cpu `Reg` ones: control registers, EFER, segment bases. */
export const SysReg = {
  CR0: 18, CR2: 19, CR3: 20, CR4: 21, EFER: 22, FS_BASE: 23, GS_BASE: 24,
} as const;
export type SysReg = (typeof SysReg)[keyof typeof SysReg];
export const REGISTER_COUNT = 25;

/** Segment selector slots. */
export const Seg = { CS: 0, DS: 1, ES: 2, FS: 3, GS: 4, SS: 5 } as const;
export const SEGMENT_COUNT = 6;

/** Flat long-mode selectors, as a kernel's GDT lays them out. */
export const KERNEL_CS = 0x08;
export const KERNEL_DS = 0x10;
export const USER_DS = 0x1b;
export const USER_CS = 0x23;

export const CR0_PE = 1n << 0n;
export const CR0_NE = 1n << 5n;
export const CR0_WP = 1n << 16n;
export const CR0_PG = 1n << 31n;
export const CR4_PAE = 1n << 5n;
export const CR4_PGE = 1n << 7n;
export const CR4_VMXE = 1n << 13n;
export const EFER_SCE = 1n << 0n;
export const EFER_LME = 1n << 8n;
export const EFER_LMA = 1n << 10n;
export const EFER_NXE = 1n << 11n;

export class RegisterFile {
  readonly values = new BigUint64Array(REGISTER_COUNT);
  readonly selectors = new Uint16Array(SEGMENT_COUNT);

  constructor() {
    this.selectors[Seg.CS] = KERNEL_CS;
    this.selectors.fill(KERNEL_DS, Seg.DS);
    this.values[Reg.RFLAGS] = 0x2n; // bit 1 is reserved and always set
    this.values[SysReg.CR0] = CR0_PE | CR0_NE;
  }

  get cpl(): 0 | 3 {
    return (this.selectors[Seg.CS]! & 3) === 3 ? 3 : 0;
  }
}

/** Event types of the VM-entry interruption-information field (SDM 25.8.3). */
export const EventType = {
  EXTERNAL_INTERRUPT: 0,
  NMI: 2,
  HARDWARE_EXCEPTION: 3,
  SOFTWARE_INTERRUPT: 4,
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

/** The exit-information area the CPU fills at each exit, plus the event the VMM injects at entry. */
export class ExitInformation {
  basicReason = 0;
  /**
   * The SDM's 64-bit exit qualification. Every qualification this CPU reports (I/O, CR access,
   * EPT violation) has its defined bits below bit 32, so a number holds it exactly, and an exit
   * does not allocate a bigint for it.
   */
  qualification = 0;
  instructionLength = 0;
  guestPhysicalAddress = 0n;
  guestLinearAddress = 0n;
  /** VM-entry interruption information: valid when `injectVector` >= 0. */
  injectVector = -1;
  injectType: EventType = EventType.EXTERNAL_INTERRUPT;
  injectErrorCode: number | undefined = undefined;
}

/** The part of RAX an I/O instruction moves: AL, AX or EAX (made once: every I/O exit masks with one). */
export const IO_OPERAND_MASK = { 1: 0xffn, 2: 0xffffn, 4: 0xffffffffn } as const;
/** The rest of RAX, which an IN leaves as it was. */
export const IO_OPERAND_KEEP = { 1: ~IO_OPERAND_MASK[1], 2: ~IO_OPERAND_MASK[2], 4: ~IO_OPERAND_MASK[4] } as const;

/** Exit qualification for I/O instructions (SDM Vol.3C Table 28-5). */
export function ioQualification(port: number, size: 1 | 2 | 4, isIn: boolean, immediate: boolean): number {
  return ((size - 1) | (isIn ? 1 << 3 : 0) | (immediate ? 1 << 6 : 0) | ((port & 0xffff) << 16)) >>> 0;
}

export interface IoAccess {
  readonly port: number;
  readonly size: 1 | 2 | 4;
  readonly isIn: boolean;
}
export function decodeIoQualification(q: number): IoAccess {
  return { port: (q >>> 16) & 0xffff, size: ((q & 7) + 1) as 1 | 2 | 4, isIn: (q & (1 << 3)) !== 0 };
}

/** Control-register access types (SDM Vol.3C Table 28-3). */
export const CrAccessType = { MOV_TO_CR: 0, MOV_FROM_CR: 1, CLTS: 2, LMSW: 3 } as const;
export function crQualification(cr: number, accessType: number, gpr: number): number {
  return (cr & 0xf) | ((accessType & 3) << 4) | ((gpr & 0xf) << 8);
}
export function decodeCrQualification(q: number): { cr: number; accessType: number; gpr: number } {
  return { cr: q & 0xf, accessType: (q >>> 4) & 3, gpr: (q >>> 8) & 0xf };
}

/** EPT-violation qualification bits (SDM Vol.3C Table 28-7). */
export const EptQual = {
  READ: 1 << 0,
  WRITE: 1 << 1,
  FETCH: 1 << 2,
  READABLE: 1 << 3,
  WRITABLE: 1 << 4,
  EXECUTABLE: 1 << 5,
  LINEAR_VALID: 1 << 7,
} as const;
