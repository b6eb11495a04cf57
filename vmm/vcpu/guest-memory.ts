/**
 * The VMM's own accesses to guest-virtual memory (emulated INS/OUTS, the debugger, the monitor):
 * linear addresses through the vCPU's current page tables with the permissions of an access at the
 * guest's CPL, as the CPU would check them, and the EPT permissions of the physical page. A failure
 * is described, never thrown: the caller injects the guest's #PF or refuses the request.
 */
import { EptPerm } from '../hw/memory.js';
import { WalkResult, WalkStatus, walk } from '../hw/paging.js';
import { Cr0, Efer } from '../hw/state.js';
import { EventType, type Vmcs } from '../hw/vmcs.js';
import type { Vcpu } from './vcpu.js';

export const GuestAccess = { READ: 0, WRITE: 1, FETCH: 2 } as const;
export type GuestAccess = (typeof GuestAccess)[keyof typeof GuestAccess];

export type GuestFault =
  /** The guest's page tables refuse the access: the #PF the CPU would raise. */
  | { readonly kind: 'page-fault'; readonly address: number; readonly errorCode: number }
  /** The translation leads outside RAM, or EPT denies it. */
  | { readonly kind: 'physical'; readonly address: number; readonly physical: number };

export interface AccessOptions {
  /** Check as a supervisor access even at CPL 3 (the guest kernel's view). */
  readonly supervisor?: boolean;
  /** Leave accessed/dirty bits as they are (a debugger's look). */
  readonly inspect?: boolean;
}

const scratch = new WalkResult();

/** The guest-physical address of `linear`, or the fault. */
export function translateGuest(v: Vmcs, linear: number, access: GuestAccess, options: AccessOptions = {}): number | GuestFault {
  let physical: number;
  if ((v.guestCr0 & Cr0.PG) === 0) physical = linear >>> 0;
  else {
    const r = walk(v.memory, linear, {
      cr3: v.guestCr3,
      write: access === GuestAccess.WRITE,
      fetch: access === GuestAccess.FETCH,
      user: v.guestCpl === 3 && options.supervisor !== true,
      writeProtect: (v.guestCr0 & Cr0.WP) !== 0,
      noExecute: (v.guestEfer & Efer.NXE) !== 0,
      inspect: options.inspect === true,
    }, scratch);
    if (r.status === WalkStatus.PAGE_FAULT) return { kind: 'page-fault', address: linear, errorCode: r.errorCode };
    if (r.status === WalkStatus.EPT_VIOLATION) return { kind: 'physical', address: linear, physical: r.physical };
    physical = r.physical;
  }
  const need = access === GuestAccess.WRITE ? EptPerm.WRITE : access === GuestAccess.READ ? EptPerm.READ : EptPerm.EXECUTE;
  if (physical >= v.memory.size || (v.memory.ept[Math.floor(physical / 4096)]! & need) === 0) return { kind: 'physical', address: linear, physical };
  return physical;
}

/**
 * Read guest memory at `linear` into `bytes` (READ, FETCH) or write `bytes` there (WRITE). Every
 * page is translated before anything is written, so a failing access changes nothing.
 */
export function accessGuest(v: Vmcs, linear: number, bytes: Uint8Array, access: GuestAccess, options: AccessOptions = {}): GuestFault | undefined {
  const pieces: number[] = [];
  let at = 0;
  while (at < bytes.length) {
    const address = linear + at;
    const p = translateGuest(v, address, access, options);
    if (typeof p !== 'number') return p;
    const n = Math.min(bytes.length - at, 4096 - (((address % 4096) + 4096) % 4096));
    pieces.push(p, n);
    at += n;
  }
  at = 0;
  for (let k = 0; k < pieces.length; k += 2) {
    const p = pieces[k]!;
    const n = pieces[k + 1]!;
    if (access === GuestAccess.WRITE) {
      v.memory.bytes.set(bytes.subarray(at, at + n), p);
      v.memory.noteWrite(p, n);
    } else bytes.set(v.memory.bytes.subarray(p, p + n), at);
    at += n;
  }
  return undefined;
}

/** Give the guest the fault its own access would have taken (#PF with CR2), or refuse loudly. */
export function injectGuestFault(vcpu: Vcpu, fault: GuestFault): void {
  if (fault.kind === 'page-fault') {
    vcpu.vmcs.guestCr2 = BigInt.asUintN(64, BigInt(fault.address));
    vcpu.vmcs.inject(14, EventType.HARDWARE_EXCEPTION, fault.errorCode);
    return;
  }
  vcpu.abortUnhandled(`emulated access to 0x${BigInt.asUintN(64, BigInt(fault.address)).toString(16)} reaches guest-physical 0x${fault.physical.toString(16)}, outside RAM or denied by EPT`);
}

