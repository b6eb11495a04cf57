/**
 * The full state a vCPU publishes with its register snapshot (Snap from SEGMENTS on): segment
 * caches, descriptor tables, debug registers, the VMCS controls and exit information, its local
 * APIC. The vCPU writes it as 32-bit words inside the snapshot's sequence lock (no BigInt), at the
 * same moments as the snapshot (a SNAPSHOT kick, PAUSE, HLT, the VMM's preemption slice), never
 * per exit; the main thread decodes a consistent copy of the slots.
 */
import type { Cpu } from '../hw/cpu.js';
import { Gpr, SEG_NAMES, TWO32 } from '../hw/state.js';
import type { Vmcs } from '../hw/vmcs.js';
import type { Lapic } from '../devices/lapic.js';
import type { FullRegisterState, LapicState, RegisterSnapshot, SegmentName, SegmentRegister, VmcsField } from '../monitor-api.js';
import { SEGMENT_SLOTS, Snap } from '../shared.js';

/** Pin-based VM-execution controls this VMM runs with (SDM Vol.3C 25.6.1): external-interrupt exiting, the preemption timer. */
const PIN_BASED = (1 << 0) | (1 << 6);
/** Primary processor-based controls always set (25.6.2): TSC offsetting, unconditional I/O exiting, MSR bitmaps, secondary controls. */
const PROC_BASED_FIXED = (1 << 3) | (1 << 24) | (1 << 28) | (1 << 31);
const ProcBased = { INTERRUPT_WINDOW: 1 << 2, HLT: 1 << 7, CR8_LOAD: 1 << 19, CR8_STORE: 1 << 20, NMI_WINDOW: 1 << 22, MONITOR_TRAP_FLAG: 1 << 27 } as const;
/** Secondary controls: enable EPT, unrestricted guest (APs start in real mode). */
const SECONDARY = (1 << 1) | (1 << 7);
/** Guest activity states (SDM 25.4.2). */
const Activity = { ACTIVE: 0, HLT: 1 } as const;

/** A number (an integer of at most 64 bits, negative as two's complement) into a slot's two words. */
function put(w: Int32Array, at: number, value: number): void {
  w[at] = value | 0;
  w[at + 1] = Math.floor(value / TWO32) | 0;
}

/**
 * Write the full state into the snapshot of a vCPU whose slots start at `base`, through the slots
 * and through `w`, the same memory as 32-bit words (the caller holds the lock).
 */
export function publishFullState(slots: BigUint64Array, w: Int32Array, base: number, cpu: Cpu, vmcs: Vmcs, lapic: Lapic, halted: boolean): void {
  const word = (slot: number): number => (base + slot) * 2;
  for (let seg = 0; seg < 8; seg++) {
    const at = word(Snap.SEGMENTS + seg * SEGMENT_SLOTS);
    put(w, at, cpu.segBase[seg]!);
    w[at + 2] = cpu.segLimit[seg]! | 0;
    w[at + 3] = cpu.segAttr[seg]!;
    w[at + 4] = cpu.segSelector[seg]!;
  }
  put(w, word(Snap.GDTR_BASE), cpu.gdtrBase);
  put(w, word(Snap.IDTR_BASE), cpu.idtrBase);
  w[word(Snap.TABLE_LIMITS)] = cpu.gdtrLimit;
  w[word(Snap.TABLE_LIMITS) + 1] = cpu.idtrLimit;
  put(w, word(Snap.KERNEL_GS_BASE), cpu.kernelGsBase);
  for (let n = 0; n < 6; n++) slots[base + Snap.DEBUG_REGISTERS + n] = cpu.dr[n]!;
  put(w, word(Snap.TSC_OFFSET), cpu.tscOffset);
  const proc = PROC_BASED_FIXED | (vmcs.interruptWindowExiting ? ProcBased.INTERRUPT_WINDOW : 0) | (vmcs.hltExiting ? ProcBased.HLT : 0) |
    (vmcs.cr8Exiting ? ProcBased.CR8_LOAD | ProcBased.CR8_STORE : 0) | (vmcs.nmiWindowExiting ? ProcBased.NMI_WINDOW : 0) |
    (vmcs.monitorTrapFlag ? ProcBased.MONITOR_TRAP_FLAG : 0);
  const pairs: readonly [number, number, number][] = [
    [Snap.CONTROLS, PIN_BASED, proc],
    [Snap.CONTROLS2, SECONDARY, vmcs.exceptionBitmap],
    [Snap.CR_MASKS, vmcs.cr0GuestHostMask, vmcs.cr4GuestHostMask],
    [Snap.CR_SHADOWS, vmcs.cr0ReadShadow, vmcs.cr4ReadShadow],
    [Snap.EXIT_INSTRUCTION, vmcs.exitInstructionLength, vmcs.exitInstructionInfo],
    [Snap.EXIT_INTERRUPTION, vmcs.exitInterruptionInfo, vmcs.exitInterruptionErrorCode],
    [Snap.IDT_VECTORING, vmcs.idtVectoringInfo, vmcs.idtVectoringErrorCode],
    [Snap.ENTRY_INTERRUPTION, vmcs.entryInterruptionInfo, vmcs.entryExceptionErrorCode],
    // Interruptibility (25.4.2): bit 0 blocking by STI (the model keeps one shadow for STI and MOV SS), bit 3 blocking by NMI.
    [Snap.GUEST_STATE, (cpu.interruptShadow ? 1 : 0) | (cpu.nmiBlocked ? 8 : 0), halted ? Activity.HLT : Activity.ACTIVE],
    [Snap.ENTRY_LENGTH_CR8, vmcs.entryInstructionLength, lapic.cr8],
    [Snap.CR_IN_FORCE, cpu.cr0, cpu.cr4],
  ];
  for (const [slot, low, high] of pairs) {
    w[word(slot)] = low;
    w[word(slot) + 1] = high;
  }
  put(w, word(Snap.EXIT_QUALIFICATION), vmcs.exitQualification);
  put(w, word(Snap.GUEST_LINEAR_ADDRESS), vmcs.guestLinearAddress);
  put(w, word(Snap.GUEST_PHYSICAL_ADDRESS), vmcs.guestPhysicalAddress);
  lapic.publish(w, word(Snap.LAPIC));
}

/** Words of a copy of the snapshot slots. */
const wordsOf = (slots: BigUint64Array): Uint32Array => new Uint32Array(slots.buffer, slots.byteOffset, slots.length * 2);

export function decodeFullState(snapshot: RegisterSnapshot, slots: BigUint64Array): FullRegisterState {
  const w = wordsOf(slots);
  const segment = (seg: number): SegmentRegister => {
    const slot = Snap.SEGMENTS + seg * SEGMENT_SLOTS;
    return { selector: w[(slot + 2) * 2]!, base: slots[slot]!, limit: w[(slot + 1) * 2]!, accessRights: w[(slot + 1) * 2 + 1]! };
  };
  return {
    ...snapshot,
    segments: Object.fromEntries(SEG_NAMES.map((name, seg) => [name, segment(seg)])) as Record<SegmentName, SegmentRegister>,
    gdtr: { base: slots[Snap.GDTR_BASE]!, limit: w[Snap.TABLE_LIMITS * 2]! },
    idtr: { base: slots[Snap.IDTR_BASE]!, limit: w[Snap.TABLE_LIMITS * 2 + 1]! },
    cr8: BigInt(w[Snap.ENTRY_LENGTH_CR8 * 2 + 1]!),
    debugRegisters: Array.from(slots.subarray(Snap.DEBUG_REGISTERS, Snap.DEBUG_REGISTERS + 6)),
    kernelGsBase: slots[Snap.KERNEL_GS_BASE]!,
  };
}

export function decodeLapic(slots: BigUint64Array): LapicState {
  const w = wordsOf(slots);
  const at = Snap.LAPIC * 2;
  const vectors = (from: number): number[] => {
    const list: number[] = [];
    for (let v = 0; v < 256; v++) if ((w[from + (v >>> 5)]! >>> (v & 31)) & 1) list.push(v);
    return list;
  };
  return {
    id: w[at]!, tpr: w[at + 1]!, ppr: w[at + 2]!, lvtTimer: w[at + 3]!, timerInitialCount: w[at + 4]!, timerCurrentCount: w[at + 5]!,
    timerDivide: w[at + 6]!, irr: vectors(at + 8), isr: vectors(at + 16),
  };
}

/** A VMCS field: its SDM Vol.3C Appendix B encoding, the name Linux's vmx.h gives it, how to read it from the slots. */
type FieldSource = readonly [encoding: number, name: string, value: (s: FullRegisterState, slots: BigUint64Array, w: Uint32Array) => bigint];

const lowWord = (slot: number) => (_s: FullRegisterState, _slots: BigUint64Array, w: Uint32Array): bigint => BigInt(w[slot * 2]!);
const highWord = (slot: number) => (_s: FullRegisterState, _slots: BigUint64Array, w: Uint32Array): bigint => BigInt(w[slot * 2 + 1]!);
const whole = (slot: number) => (_s: FullRegisterState, slots: BigUint64Array): bigint => slots[slot]!;

/** Per segment in Seg order, the selector, limit, access-rights and base encodings (Appendix B.1.2, B.3.3, B.4.3). */
function segmentFields(): FieldSource[] {
  return SEG_NAMES.flatMap((name, seg): FieldSource[] => {
    const n = name.toUpperCase();
    const s = (full: FullRegisterState): SegmentRegister => full.segments[name];
    return [
      [0x0800 + seg * 2, `GUEST_${n}_SELECTOR`, (f) => BigInt(s(f).selector)],
      [0x4800 + seg * 2, `GUEST_${n}_LIMIT`, (f) => BigInt(s(f).limit)],
      [0x4814 + seg * 2, `GUEST_${n}_AR_BYTES`, (f) => BigInt(s(f).accessRights)],
      [0x6806 + seg * 2, `GUEST_${n}_BASE`, (f) => s(f).base],
    ];
  });
}

const FIELDS: readonly FieldSource[] = [
  ...segmentFields(),
  [0x2010, 'TSC_OFFSET', whole(Snap.TSC_OFFSET)],
  [0x2400, 'GUEST_PHYSICAL_ADDRESS', whole(Snap.GUEST_PHYSICAL_ADDRESS)],
  [0x2806, 'GUEST_IA32_EFER', (s) => s.efer],
  [0x4000, 'PIN_BASED_VM_EXEC_CONTROL', lowWord(Snap.CONTROLS)],
  [0x4002, 'CPU_BASED_VM_EXEC_CONTROL', highWord(Snap.CONTROLS)],
  [0x4004, 'EXCEPTION_BITMAP', highWord(Snap.CONTROLS2)],
  [0x4016, 'VM_ENTRY_INTR_INFO_FIELD', lowWord(Snap.ENTRY_INTERRUPTION)],
  [0x4018, 'VM_ENTRY_EXCEPTION_ERROR_CODE', highWord(Snap.ENTRY_INTERRUPTION)],
  [0x401a, 'VM_ENTRY_INSTRUCTION_LEN', lowWord(Snap.ENTRY_LENGTH_CR8)],
  [0x401e, 'SECONDARY_VM_EXEC_CONTROL', lowWord(Snap.CONTROLS2)],
  [0x4402, 'VM_EXIT_REASON', (s) => BigInt(s.lastExitReason)],
  [0x4404, 'VM_EXIT_INTR_INFO', lowWord(Snap.EXIT_INTERRUPTION)],
  [0x4406, 'VM_EXIT_INTR_ERROR_CODE', highWord(Snap.EXIT_INTERRUPTION)],
  [0x4408, 'IDT_VECTORING_INFO_FIELD', lowWord(Snap.IDT_VECTORING)],
  [0x440a, 'IDT_VECTORING_ERROR_CODE', highWord(Snap.IDT_VECTORING)],
  [0x440c, 'VM_EXIT_INSTRUCTION_LEN', lowWord(Snap.EXIT_INSTRUCTION)],
  [0x440e, 'VMX_INSTRUCTION_INFO', highWord(Snap.EXIT_INSTRUCTION)],
  [0x4810, 'GUEST_GDTR_LIMIT', (s) => BigInt(s.gdtr.limit)],
  [0x4812, 'GUEST_IDTR_LIMIT', (s) => BigInt(s.idtr.limit)],
  [0x4824, 'GUEST_INTERRUPTIBILITY_INFO', lowWord(Snap.GUEST_STATE)],
  [0x4826, 'GUEST_ACTIVITY_STATE', highWord(Snap.GUEST_STATE)],
  [0x6000, 'CR0_GUEST_HOST_MASK', lowWord(Snap.CR_MASKS)],
  [0x6002, 'CR4_GUEST_HOST_MASK', highWord(Snap.CR_MASKS)],
  [0x6004, 'CR0_READ_SHADOW', lowWord(Snap.CR_SHADOWS)],
  [0x6006, 'CR4_READ_SHADOW', highWord(Snap.CR_SHADOWS)],
  [0x6400, 'EXIT_QUALIFICATION', whole(Snap.EXIT_QUALIFICATION)],
  [0x640a, 'GUEST_LINEAR_ADDRESS', whole(Snap.GUEST_LINEAR_ADDRESS)],
  // GUEST_CR0/CR4 hold the values in force (with the bits the VMM forces), not the read shadows.
  [0x6800, 'GUEST_CR0', lowWord(Snap.CR_IN_FORCE)],
  [0x6802, 'GUEST_CR3', (s) => s.cr3],
  [0x6804, 'GUEST_CR4', highWord(Snap.CR_IN_FORCE)],
  [0x6816, 'GUEST_GDTR_BASE', (s) => s.gdtr.base],
  [0x6818, 'GUEST_IDTR_BASE', (s) => s.idtr.base],
  [0x681a, 'GUEST_DR7', (s) => s.debugRegisters[5]!],
  [0x681c, 'GUEST_RSP', (s) => s.gprs[Gpr.RSP]!],
  [0x681e, 'GUEST_RIP', (s) => s.rip],
  [0x6820, 'GUEST_RFLAGS', (s) => s.rflags],
];

/** The VMCS-like fields of a vCPU from its published state, by encoding. */
export function vmcsFields(full: FullRegisterState, slots: BigUint64Array): VmcsField[] {
  const w = wordsOf(slots);
  return FIELDS.map(([encoding, name, value]) => ({ encoding, name, value: value(full, slots, w) })).sort((a, b) => a.encoding - b.encoding);
}
