/**
 * What the VMM records of each exit for the monitor, in shared memory: a per-vCPU ring of the last
 * exits (kvm's kvm_exit tracepoint, `info trace`) and read/write counts per I/O port and per MSR
 * (perf kvm stat's breakdowns, `info ioports`, `info msrs`). The vCPU threads write at their exits
 * with a few typed-array stores; the main thread reads without locking and never stops a vCPU.
 */
import type { AccessBreakdownRow, ExitTraceRecord } from './monitor-api.js';

/** Slots of each vCPU's ring; the one the writer may be filling is never read, so TRACE_ENTRIES can be. */
const TRACE_SLOTS = 512;
/** Exits of a vCPU the trace gives at most. */
export const TRACE_ENTRIES = TRACE_SLOTS - 1;
/** Fields of a trace record, as doubles: reason, qualification, RIP, handling ns, uptime ms (NaN: untimed, or still being handled). */
const TRACE_FIELDS = 5;
/** Slots of the MSR table (open addressing); MSRs beyond that many distinct ones are not broken down. */
export const MSR_SLOTS = 512;
/** An empty MSR slot. MSR 0xFFFFFFFF exists on no CPU, so its accesses are the one MSR not broken down. */
const EMPTY = 0xffffffff;

export interface ExitStatsHandles {
  readonly trace: SharedArrayBuffer;
  /** Per vCPU, the number of records written so far (the next one's sequence). */
  readonly traceHeads: SharedArrayBuffer;
  /** Per port, [reads low, reads high, writes low, writes high] u32 words. */
  readonly ports: SharedArrayBuffer;
  readonly msrKeys: SharedArrayBuffer;
  /** Per MSR slot, the same four words as a port's. */
  readonly msrCounts: SharedArrayBuffer;
}

export class ExitStats {
  private readonly trace: Float64Array;
  private readonly traceHeads: Int32Array;
  private readonly ports: Uint32Array;
  private readonly msrKeys: Uint32Array;
  private readonly msrCounts: Uint32Array;

  static create(vcpus: number): ExitStats {
    const sab = (bytes: number): SharedArrayBuffer => new SharedArrayBuffer(bytes);
    const msrKeys = sab(MSR_SLOTS * 4);
    new Uint32Array(msrKeys).fill(EMPTY);
    return new ExitStats({
      trace: sab(vcpus * TRACE_SLOTS * TRACE_FIELDS * 8),
      traceHeads: sab(vcpus * 4),
      ports: sab(65536 * 4 * 4),
      msrKeys,
      msrCounts: sab(MSR_SLOTS * 4 * 4),
    });
  }

  constructor(readonly handles: ExitStatsHandles) {
    this.trace = new Float64Array(handles.trace);
    this.traceHeads = new Int32Array(handles.traceHeads);
    this.ports = new Uint32Array(handles.ports);
    this.msrKeys = new Uint32Array(handles.msrKeys);
    this.msrCounts = new Uint32Array(handles.msrCounts);
  }

  // --- writers (a vCPU's thread, at its exits) ---------------------------------------------------

  /**
   * An exit into the vCPU's ring, as it begins (so a vCPU stuck in an exit shows it); returns
   * where its handling time goes (`exitHandled`). Only that vCPU writes its ring: the record is
   * stored first, then the head, so a reader never takes a record being written. Plain stores, as
   * the exit counters' (shared.ts): an Atomics.store costs a fence, about twice the rest of the
   * record, and x86-64 hosts (TSO) make stores visible in program order anyway. On a host with a
   * weaker memory order a reader may, rarely, show a slot's previous record.
   */
  recordExit(vcpu: number, reason: number, qualification: number, rip: number, timeMs: number): number {
    const head = this.traceHeads[vcpu]!;
    const at = (vcpu * TRACE_SLOTS + (head & (TRACE_SLOTS - 1))) * TRACE_FIELDS;
    const t = this.trace;
    t[at] = reason;
    t[at + 1] = qualification;
    t[at + 2] = rip;
    t[at + 3] = Number.NaN;
    t[at + 4] = timeMs;
    this.traceHeads[vcpu] = head + 1;
    return at;
  }

  /** The handling time of the exit `recordExit` put at `at` (timed exits only). */
  exitHandled(at: number, handlingNs: number): void {
    this.trace[at + 3] = handlingNs;
  }

  countPort(port: number, write: boolean): void {
    add64(this.ports, port * 4 + (write ? 2 : 0));
  }

  countMsr(msr: number, write: boolean): void {
    const slot = this.msrSlot(msr >>> 0);
    if (slot >= 0) add64(this.msrCounts, slot * 4 + (write ? 2 : 0));
  }

  /** The MSR's slot, claimed on first use (vCPUs race for empty slots with compare-exchange); -1 when the table is full. */
  private msrSlot(msr: number): number {
    if (msr === EMPTY) return -1;
    const keys = this.msrKeys;
    for (let probe = 0, slot = Math.imul(msr, 0x9e3779b1) >>> 23; probe < MSR_SLOTS; probe++, slot = (slot + 1) & (MSR_SLOTS - 1)) {
      const key = keys[slot]!;
      if (key === msr) return slot;
      if (key !== EMPTY) continue;
      const old = Atomics.compareExchange(keys, slot, EMPTY, msr);
      if (old === EMPTY || old === msr) return slot;
    }
    return -1;
  }

  // --- readers (any thread) ----------------------------------------------------------------------

  /** The newest `last` records of a vCPU, oldest first; records overwritten while reading are left out. */
  exitTrace(vcpu: number, last: number): ExitTraceRecord[] {
    const head = Atomics.load(this.traceHeads, vcpu);
    const first = Math.max(0, head - Math.min(last, TRACE_ENTRIES));
    const copies: Float64Array[] = [];
    for (let sequence = first; sequence < head; sequence++) {
      const at = (vcpu * TRACE_SLOTS + (sequence & (TRACE_SLOTS - 1))) * TRACE_FIELDS;
      copies.push(this.trace.slice(at, at + TRACE_FIELDS));
    }
    // The writer may have started on record `now` (the slot of now - TRACE_SLOTS) meanwhile: copies up to that one may be torn.
    const now = Atomics.load(this.traceHeads, vcpu);
    const valid = Math.max(first, now - TRACE_SLOTS + 1);
    return copies.slice(valid - first).map((r) => ({
      vcpu,
      reason: r[0]!,
      qualification: BigInt(r[1]!),
      rip: BigInt.asUintN(64, BigInt(r[2]!)),
      ...(Number.isNaN(r[4]!) ? {} : { timeMs: r[4]! }),
      ...(Number.isNaN(r[3]!) ? {} : { handlingNs: Math.round(r[3]!) }),
    }));
  }

  /** Every port with an exit, ascending. */
  portBreakdown(): AccessBreakdownRow[] {
    const rows: AccessBreakdownRow[] = [];
    const ports = this.ports;
    for (let port = 0; port < 65536; port++) {
      // Plain reads skip the ports never used; the atomic reads below take the counts.
      const at = port * 4;
      if ((ports[at]! | ports[at + 1]! | ports[at + 2]! | ports[at + 3]!) === 0) continue;
      const row = counts(ports, port, at);
      if (row !== undefined) rows.push(row);
    }
    return rows;
  }

  /** Every MSR with an exit, ascending. */
  msrBreakdown(): AccessBreakdownRow[] {
    const rows: AccessBreakdownRow[] = [];
    for (let slot = 0; slot < MSR_SLOTS; slot++) {
      const msr = Atomics.load(this.msrKeys, slot);
      const row = msr === EMPTY ? undefined : counts(this.msrCounts, msr, slot * 4);
      if (row !== undefined) rows.push(row);
    }
    return rows.sort((a, b) => a.target - b.target);
  }
}

/**
 * Add one to a [low, high] u32 pair. vCPUs share these counters, so the low word takes a locked
 * add (an I/O or MSR exit costs far more than one); its carry goes to the high word.
 */
function add64(cells: Uint32Array, low: number): void {
  if (Atomics.add(cells, low, 1) === 0xffffffff) Atomics.add(cells, low + 1, 1);
}

function read64(cells: Uint32Array, low: number): number {
  for (;;) {
    const high = Atomics.load(cells, low + 1);
    const value = Atomics.load(cells, low);
    if (Atomics.load(cells, low + 1) === high) return high * 2 ** 32 + value;
  }
}

function counts(cells: Uint32Array, target: number, at: number): AccessBreakdownRow | undefined {
  const reads = read64(cells, at);
  const writes = read64(cells, at + 2);
  return reads === 0 && writes === 0 ? undefined : { target, reads, writes };
}
