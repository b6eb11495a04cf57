/**
 * The debugger on a vCPU thread: it parks the vCPU when the main thread asks (the DEBUG attention
 * bit) or when the vCPU hits something the debugger set, publishes its registers into the debug
 * area while parked, takes back the ones the debugger wrote, and on the command to go on either
 * continues or executes one instruction under the monitor trap flag.
 *
 * What it intercepts, only while a debugger is attached (or a step or a watched access is under way):
 * - #BP (exception bitmap bit 3): an INT3 the debugger patched in is a stop at its address (RIP
 *   stays on the INT3, as the exit leaves it); any other INT3 is the guest's and is injected back.
 * - EPT violations on pages whose permissions the debugger took away: an execute breakpoint at RIP
 *   is a stop before the instruction; an instruction whose accesses (accesses.ts) touch a watched
 *   range is completed with the page's permissions given back for that one instruction (MTF) and
 *   then reported, with RIP after it, as x86 reports data breakpoints; any other access to the page
 *   is completed the same way and not reported.
 * - MONITOR_TRAP_FLAG exits it asked for.
 * - CR0 and CR4 writes while breakpoints wait for their address to be mapped (set before the guest
 *   turned paging on): the write is the VMM's, then the vCPU reports MAPPING, so the debugger sets
 *   them before the guest runs on.
 *
 * None of these exits is counted: the guest never sees the debugger in its exit counters. While a
 * step or a watched access is under way no interrupt is injected, so a step executes the
 * instruction at RIP and not the first one of an interrupt handler (QEMU's gdbstub does the same).
 */
import { ExitReason } from '../../shell-protocol/exit-reasons.js';
import { Attention } from '../hw/cpu.js';
import { SegAttr, Seg, Vector } from '../hw/state.js';
import { type EventType, INTERRUPTION_ERROR_CODE_VALID, INTERRUPTION_VALID, type Vmcs } from '../hw/vmcs.js';
import { RunStateCode } from '../shared.js';
import type { Vcpu } from '../vcpu/vcpu.js';
import { type AddressingState, instructionAccesses } from './accesses.js';
import { Cause, Command, type DebugArea, DebugState, Reg, type Watch, WatchKind } from './area.js';
import { readVirtual } from '../services/guest-buffer.js';

/** EPT-violation qualification bits (SDM Vol.3C Table 28-7). */
const Qual = { READ: 1, WRITE: 2, FETCH: 4, TRANSLATED: 1 << 8 } as const;
const NEEDED = { read: 1, write: 2, execute: 4 } as const;
const WATCH_CAUSE: Record<WatchKind, Cause> = {
  [WatchKind.EXECUTE]: Cause.HW_BREAKPOINT,
  [WatchKind.WRITE]: Cause.WATCH_WRITE,
  [WatchKind.READ]: Cause.WATCH_READ,
  [WatchKind.ACCESS]: Cause.WATCH_ACCESS,
};
/** How long a parked vCPU sleeps between looks at the VM's stop word. */
const PARK_POLL_MS = 20;

export class DebugAgent {
  /** Whether an exit may be the debugger's: the dispatcher asks handleExit only then. */
  engaged = false;
  /** No interrupt injection now: a step or a watched access is under way. */
  holdsInterrupts = false;
  private readonly area: DebugArea;
  private readonly vmcs: Vmcs;
  private attached = false;
  private stepping = false;
  /**
   * The guest's own #BP is being injected back: the CPU checks injected events against the
   * exception bitmap, so #BP is let through for that entry and taken back after one instruction.
   */
  private reinjecting = false;
  /** Pages whose permissions are given back for the instruction being completed. */
  private readonly lifted: number[] = [];
  /** The watch the instruction being completed touches (its index), or -1. */
  private pendingWatch = -1;
  /** A paging change is to be reported once the CR write that made it is done. */
  private mappingChanged = false;
  /** Instructions retired and RIP when the monitor trap flag was armed. */
  private armedRetired = 0;
  private armedRip = 0;

  constructor(private readonly vcpu: Vcpu) {
    this.area = vcpu.shared.debug;
    this.vmcs = vcpu.vmcs;
  }

  /** An exit, if it is the debugger's: handle it and say so (the dispatcher then skips it). */
  handleExit(reason: number): boolean {
    switch (reason) {
      case ExitReason.EXCEPTION_NMI: return this.onException();
      case ExitReason.MONITOR_TRAP_FLAG: return this.onMonitorTrap();
      case ExitReason.EPT_VIOLATION: return this.onEptViolation();
      case ExitReason.EXTERNAL_INTERRUPT: return this.onKick();
      case ExitReason.CR_ACCESS: return this.onControlRegister();
      default: return false;
    }
  }

  /** The DEBUG attention bit, seen outside an exit of the guest (in HLT, or before an AP starts). */
  stopHere(): void {
    Atomics.and(this.vcpu.shared.control, this.vcpu.shared.attentionIndex(this.vcpu.index), ~Attention.DEBUG);
    this.park(Cause.NONE);
  }

  private onKick(): boolean {
    const shared = this.vcpu.shared;
    if ((Atomics.load(shared.control, shared.attentionIndex(this.vcpu.index)) & Attention.DEBUG) === 0) return false;
    this.stopHere();
    return true;
  }

  private onException(): boolean {
    const v = this.vmcs;
    const info = v.exitInterruptionInfo;
    if (!this.attached || (info & 0xff) !== Vector.BP) return false;
    if (this.area.hasBreakpoint(this.linearRip())) {
      this.report(Cause.BREAKPOINT);
      return true;
    }
    // The guest's own INT3: deliver it as if nothing had intercepted it.
    v.inject(Vector.BP, ((info >>> 8) & 7) as EventType);
    v.entryInstructionLength = v.exitInstructionLength;
    v.exceptionBitmap &= ~(1 << Vector.BP);
    this.reinjecting = true;
    this.arm();
    return true;
  }

  /** The VMM handles the write; the trap after it reports the change (the write is done by then). */
  private onControlRegister(): boolean {
    if (this.area.unmappedBreakpoints > 0) {
      this.mappingChanged = true;
      this.arm();
    }
    return false;
  }

  private onMonitorTrap(): boolean {
    if (!this.stepping && this.lifted.length === 0 && !this.reinjecting && !this.mappingChanged) return false;
    const v = this.vmcs;
    // An exit taken inside the instruction (the watched page's own violation) ends the CPU's step
    // before the instruction ran: the trap stays armed for the instruction itself.
    if (this.vcpu.cpu.retired === this.armedRetired && v.guestRipNumber === this.armedRip) return true;
    this.restorePages();
    if (this.reinjecting) {
      this.reinjecting = false;
      this.attach(this.attached);
    }
    const watch = this.pendingWatch;
    this.pendingWatch = -1;
    const stepped = this.stepping;
    const mapping = this.mappingChanged;
    this.stepping = false;
    this.mappingChanged = false;
    this.refresh();
    if (watch >= 0) this.report(WATCH_CAUSE[this.area.watch(watch).kind], watch);
    else if (stepped) this.report(Cause.STEP);
    else if (mapping) this.report(Cause.MAPPING);
    return true;
  }

  private onEptViolation(): boolean {
    const v = this.vmcs;
    const q = v.exitQualification;
    const page = Math.floor(v.guestPhysicalAddress / 4096);
    const need = (q & Qual.FETCH) !== 0 ? NEEDED.execute : (q & Qual.WRITE) !== 0 ? NEEDED.write : NEEDED.read;
    const deny = this.area.eptDeny[page] ?? 0;
    // Not a bit the debugger took, or one the VMM refuses anyway (PROTECT): the VMM's own violation.
    if ((deny & need) === 0 || ((this.area.eptBase[page] ?? 0) & need) === 0) return false;
    if ((q & Qual.TRANSLATED) !== 0) {
      if (need === NEEDED.execute) {
        const hit = this.matchingWatch((w) => w.kind === WatchKind.EXECUTE && w.start === this.linearRip());
        if (hit >= 0) {
          this.report(Cause.HW_BREAKPOINT, hit);
          return true;
        }
      } else if (this.pendingWatch < 0) this.pendingWatch = this.watchTouched();
    }
    this.liftPage(page);
    // A violation while an event was being delivered (a watched stack): deliver it again.
    if (v.idtVectoringInfo >= INTERRUPTION_VALID) {
      const info = v.idtVectoringInfo;
      v.inject(info & 0xff, ((info >>> 8) & 7) as EventType, (info & INTERRUPTION_ERROR_CODE_VALID) !== 0 ? v.idtVectoringErrorCode : undefined);
      v.entryInstructionLength = v.exitInstructionLength;
    }
    return true;
  }

  /** The index of the first watch `test` accepts, or -1. */
  private matchingWatch(test: (w: Watch) => boolean): number {
    const count = this.area.watchCount;
    for (let k = 0; k < count; k++) if (test(this.area.watch(k))) return k;
    return -1;
  }

  /** The data watch the instruction at RIP touches, or -1. */
  private watchTouched(): number {
    const v = this.vmcs;
    const code = new Uint8Array(15);
    const length = readVirtual(this.supervisorSpace(), BigInt.asUintN(64, BigInt(this.linearRip())), code);
    const state: AddressingState = {
      bitness: this.codeSize(),
      rip: BigInt.asUintN(64, BigInt(v.guestRipNumber)),
      gpr: (n) => v.gpr(n),
      segmentBase: (n) => v.segment(n).base,
      directionFlag: (v.guestRflags & (1 << 10)) !== 0,
    };
    const accesses = instructionAccesses(code.subarray(0, length), state);
    // Undecodable: the faulting access itself is all that is known.
    const touched = accesses ?? [{ address: v.guestLinearAddress, size: 1, read: true, write: true }];
    return this.matchingWatch((w) => {
      if (w.kind === WatchKind.EXECUTE) return false;
      return touched.some((a) => a.address < w.start + w.length && w.start < a.address + a.size &&
        (w.kind === WatchKind.ACCESS || (w.kind === WatchKind.WRITE ? a.write : a.read)));
    });
  }

  /** Give a page back its VMM permissions for the instruction being completed. */
  private liftPage(page: number): void {
    const shared = this.vcpu.shared;
    // Again if it is lifted already: the debugger may have changed the page's watches meanwhile.
    shared.lockEpt(() => shared.memory.setEptPermissions(page, 1, this.area.eptBase[page]!));
    if (!this.lifted.includes(page)) this.lifted.push(page);
    this.arm();
  }

  private restorePages(): void {
    const shared = this.vcpu.shared;
    for (const page of this.lifted) {
      shared.lockEpt(() => shared.memory.setEptPermissions(page, 1, this.area.eptBase[page]! & ~this.area.eptDeny[page]!));
    }
    this.lifted.length = 0;
  }

  /** Arm the monitor trap flag for the next instruction. */
  private arm(): void {
    this.armedRetired = this.vcpu.cpu.retired;
    this.armedRip = this.vmcs.guestRipNumber;
    this.refresh();
  }

  private refresh(): void {
    const busy = this.stepping || this.lifted.length > 0 || this.reinjecting || this.mappingChanged;
    this.vmcs.monitorTrapFlag = busy;
    this.holdsInterrupts = busy;
    this.engaged = this.attached || busy;
  }

  /** Report a stop: the first vCPU to report since the last resume stops every other. */
  private report(cause: Cause, watch = -1): void {
    const shared = this.vcpu.shared;
    const index = this.vcpu.index;
    if (this.area.claimEvent(index)) {
      for (let v = 0; v < shared.vcpus; v++) if (v !== index) shared.kick(v, Attention.DEBUG);
      this.park(cause, watch);
    } else if (cause === Cause.BREAKPOINT || cause === Cause.HW_BREAKPOINT) {
      // Another vCPU's stop came first. RIP is still at the breakpoint: it hits again once resumed.
      this.park(Cause.NONE);
    } else {
      // A step or a completed watched access cannot be had again: it stays pending for the next resume.
      this.park(cause, watch);
    }
  }

  /** Park until the main thread says go on (or the VM stops); publish registers, take back writes. */
  private park(cause: Cause, watch = -1): void {
    const area = this.area;
    const index = this.vcpu.index;
    this.stepping = false;
    this.refresh();
    const parkStart = performance.now();
    for (;;) {
      area.setCause(index, cause, watch);
      this.publishRegisters();
      area.setParkedAt(index, performance.timeOrigin + performance.now());
      area.setState(index, DebugState.PARKED);
      this.vcpu.publishSnapshot();
      const command = this.waitForCommand();
      this.takeRegisters();
      this.attach(area.attached);
      if (command !== Command.STEP) break;
      // A halted vCPU executes nothing until an interrupt it may not take now: its step is done at once.
      const shared = this.vcpu.shared;
      if (Atomics.load(shared.control, shared.runStateIndex(index)) !== RunStateCode.HALTED) {
        this.stepping = true;
        this.arm();
        break;
      }
      area.claimEvent(index);
      cause = Cause.STEP;
      watch = -1;
    }
    // The VMX-preemption timer does not count the time parked (the VM's clock does not either).
    this.vmcs.preemptionDeadline += performance.now() - parkStart;
  }

  private waitForCommand(): number {
    const area = this.area;
    const vcpu = this.vcpu;
    const shared = vcpu.shared;
    const attention = shared.attentionIndex(vcpu.index);
    for (;;) {
      const command = area.takeCommand(vcpu.index);
      if (command !== Command.NONE) return command;
      const bits = Atomics.load(shared.control, attention);
      if ((bits & Attention.STOP) !== 0 || vcpu.stopping) vcpu.stopVm({ kind: 'host-stop' });
      if ((bits & Attention.SNAPSHOT) !== 0) {
        Atomics.and(shared.control, attention, ~Attention.SNAPSHOT);
        vcpu.publishSnapshot();
      }
      Atomics.wait(area.words, area.commandIndex(vcpu.index), Command.NONE, PARK_POLL_MS);
    }
  }

  private attach(attached: boolean): void {
    this.attached = attached;
    const v = this.vmcs;
    v.exceptionBitmap = attached ? v.exceptionBitmap | (1 << Vector.BP) : v.exceptionBitmap & ~(1 << Vector.BP);
    this.refresh();
  }

  /** The vCPU's address space as the kernel sees it (the debugger reads what the CPU would fetch). */
  private supervisorSpace(): { memory: Vmcs['memory']; cr3: bigint | undefined; cpl: number } {
    const v = this.vmcs;
    return { memory: v.memory, cr3: v.paging ? BigInt(v.guestCr3) : undefined, cpl: 0 };
  }

  private linearRip(): number {
    const v = this.vmcs;
    return this.codeSize() === 64 ? v.guestRipNumber : (Number(v.segment(Seg.CS).base) + v.guestRipNumber) % 2 ** 32;
  }

  private codeSize(): 16 | 32 | 64 {
    const v = this.vmcs;
    if (v.codeIs64Bit) return 64;
    if ((v.guestCr0 & 1) === 0) return 16;
    return (v.segment(Seg.CS).accessRights & SegAttr.DB) !== 0 ? 32 : 16;
  }

  // --- registers --------------------------------------------------------------------------------

  private publishRegisters(): void {
    const v = this.vmcs;
    const area = this.area;
    const index = this.vcpu.index;
    for (let n = 0; n < 16; n++) area.publishRegister(index, n as Reg, v.gpr(n));
    area.publishRegister(index, Reg.RIP, v.guestRip);
    area.publishRegister(index, Reg.RFLAGS, BigInt(v.guestRflags));
    for (let s = Seg.ES; s <= Seg.GS; s++) area.publishRegister(index, (Reg.ES + s) as Reg, BigInt(v.segment(s).selector));
    area.publishRegister(index, Reg.FS_BASE, v.segment(Seg.FS).base);
    area.publishRegister(index, Reg.GS_BASE, v.segment(Seg.GS).base);
    area.publishRegister(index, Reg.CR0, BigInt(v.guestVisibleCr0));
    area.publishRegister(index, Reg.CR2, v.guestCr2);
    area.publishRegister(index, Reg.CR3, BigInt(v.guestCr3));
    area.publishRegister(index, Reg.CR4, BigInt(v.guestVisibleCr4));
    area.publishRegister(index, Reg.EFER, BigInt(v.guestEfer));
    area.publishRegister(index, Reg.CPL, BigInt(v.guestCpl));
    area.publishRegister(index, Reg.MODE, BigInt(this.codeSize()));
  }

  /** Take the registers the debugger wrote while this vCPU was parked. */
  private takeRegisters(): void {
    const dirty = this.area.takeDirty(this.vcpu.index);
    if (dirty === 0) return;
    const v = this.vmcs;
    const s = v.state;
    const value = (reg: Reg): bigint => this.area.register(this.vcpu.index, reg);
    const written = (reg: Reg): boolean => (dirty & (1 << reg)) !== 0;
    for (let n = 0; n < 16; n++) if (written(n as Reg)) v.setGpr(n, value(n as Reg));
    if (written(Reg.RIP)) v.guestRip = value(Reg.RIP);
    if (written(Reg.RFLAGS)) v.guestRflags = Number(value(Reg.RFLAGS) & 0xffffffffn);
    for (let seg = Seg.ES; seg <= Seg.GS; seg++) {
      const reg = (Reg.ES + seg) as Reg;
      if (written(reg) && Number(value(reg) & 0xffffn) !== s.segSelector[seg]) this.loadSegment(seg, Number(value(reg) & 0xffffn));
    }
    if (written(Reg.FS_BASE)) s.segBase[Seg.FS] = Number(BigInt.asIntN(64, value(Reg.FS_BASE)));
    if (written(Reg.GS_BASE)) s.segBase[Seg.GS] = Number(BigInt.asIntN(64, value(Reg.GS_BASE)));
    // CR0 and CR4 as the guest sees them: bits the VMM forces (CR0.NE, CR4.VMXE) stay forced.
    if (written(Reg.CR0)) {
      const wanted = Number(value(Reg.CR0) & 0xffffffffn);
      const forced = (v.guestCr0 ^ v.guestVisibleCr0) & v.cr0GuestHostMask;
      v.cr0ReadShadow = wanted & v.cr0GuestHostMask;
      v.guestCr0 = ((wanted & ~forced) | (v.guestCr0 & forced)) >>> 0;
    }
    if (written(Reg.CR4)) {
      const wanted = Number(value(Reg.CR4) & 0xffffffffn);
      const forced = (v.guestCr4 ^ v.guestVisibleCr4) & v.cr4GuestHostMask;
      v.cr4ReadShadow = wanted & v.cr4GuestHostMask;
      v.guestCr4 = ((wanted & ~forced) | (v.guestCr4 & forced)) >>> 0;
    }
    if (written(Reg.CR2)) v.guestCr2 = value(Reg.CR2);
    if (written(Reg.CR3)) v.guestCr3 = Number(value(Reg.CR3) & 0xfffffffffffffn);
    if (written(Reg.EFER)) v.guestEfer = Number(value(Reg.EFER) & 0xffffffffn);
  }

  /**
   * A selector the debugger wrote: its descriptor cache loaded from the GDT, as a MOV to the
   * segment register would load it (real mode: base = selector * 16). A selector whose descriptor
   * cannot be read is logged and left as it was.
   */
  private loadSegment(seg: number, selector: number): void {
    const v = this.vmcs;
    const s = v.state;
    if ((v.guestCr0 & 1) === 0) {
      s.loadRealSegment(seg, selector);
    } else if ((selector & ~3) === 0) {
      s.segSelector[seg] = selector;
      s.segAttr[seg] = SegAttr.UNUSABLE;
    } else {
      const bytes = new Uint8Array(8);
      const offset = selector & ~7;
      if ((selector & 4) !== 0 || offset + 7 > v.gdtr.limit || readVirtual(this.supervisorSpace(), v.gdtr.base + BigInt(offset), bytes) < 8) {
        this.vcpu.log.write('warn', 'debug', `vCPU ${this.vcpu.index}: selector 0x${selector.toString(16)} has no GDT descriptor: ${['es', 'cs', 'ss', 'ds', 'fs', 'gs'][seg]} not loaded`);
        return;
      }
      const view = new DataView(bytes.buffer);
      const lo = view.getUint32(0, true);
      const hi = view.getUint32(4, true);
      const limit = (lo & 0xffff) | (hi & 0xf0000);
      s.segSelector[seg] = selector;
      s.segBase[seg] = ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0;
      s.segLimit[seg] = (hi & (1 << 23)) !== 0 ? limit * 4096 + 4095 : limit;
      s.segAttr[seg] = (hi >>> 8) & 0xf0ff;
    }
    v.guestStateChanged = true;
  }
}
