/**
 * A byte ring in shared memory between threads, with back-pressure instead of loss: a producer
 * that finds it full waits for the consumer. Producers may be several threads (vCPUs, the VMM
 * log), so pushes take a short spin lock; there is one consumer.
 */
const WRITE = 0;
const READ = 1;
const LOCK = 2;
/** Set while the consumer sleeps in waitAsync, so producers notify only when someone listens. */
const CONSUMER_WAITING = 3;
const HEADER_INTS = 4;

export interface ByteRingHandle {
  readonly header: SharedArrayBuffer;
  readonly data: SharedArrayBuffer;
}

export class ByteRing {
  private readonly header: Int32Array;
  private readonly data: Uint8Array;
  private readonly mask: number;

  static create(capacity: number): ByteRing {
    if (capacity <= 0 || (capacity & (capacity - 1)) !== 0) throw new RangeError(`ring capacity ${capacity} is not a power of two`);
    return new ByteRing({ header: new SharedArrayBuffer(HEADER_INTS * 4), data: new SharedArrayBuffer(capacity) });
  }

  constructor(readonly handle: ByteRingHandle) {
    this.header = new Int32Array(handle.header);
    this.data = new Uint8Array(handle.data);
    this.mask = this.data.length - 1;
  }

  get capacity(): number {
    return this.data.length;
  }

  /** Bytes waiting for the consumer. */
  get length(): number {
    return (Atomics.load(this.header, WRITE) - Atomics.load(this.header, READ)) >>> 0;
  }

  /** Push as many of `bytes[from..]` as fit now; returns how many. */
  tryPush(bytes: Uint8Array, from = 0): number {
    while (Atomics.compareExchange(this.header, LOCK, 0, 1) !== 0);
    const write = Atomics.load(this.header, WRITE);
    const free = this.data.length - ((write - Atomics.load(this.header, READ)) >>> 0);
    const n = Math.min(free, bytes.length - from);
    for (let i = 0; i < n; i++) this.data[(write + i) & this.mask] = bytes[from + i]!;
    Atomics.store(this.header, WRITE, (write + n) | 0);
    Atomics.store(this.header, LOCK, 0);
    if (n > 0 && Atomics.load(this.header, CONSUMER_WAITING) !== 0) Atomics.notify(this.header, WRITE);
    return n;
  }

  /**
   * Push one byte if there is room: the UART's path for every THR write, so it spends as few
   * Atomics calls as it can. WRITE is read plainly under the lock that orders its writers, and
   * READ plainly too: a stale READ only makes the ring look fuller, and the caller waits and retries.
   */
  tryPushByte(byte: number): boolean {
    while (Atomics.compareExchange(this.header, LOCK, 0, 1) !== 0);
    const write = this.header[WRITE]!;
    const full = ((write - this.header[READ]!) >>> 0) >= this.data.length;
    if (!full) {
      this.data[write & this.mask] = byte;
      Atomics.store(this.header, WRITE, (write + 1) | 0);
    }
    Atomics.store(this.header, LOCK, 0);
    if (!full && Atomics.load(this.header, CONSUMER_WAITING) !== 0) Atomics.notify(this.header, WRITE);
    return !full;
  }

  /**
   * Push every byte, waiting (Atomics.wait, in slices of `sliceMs`) while the ring is full.
   * `shouldAbort` is asked between waits; returns false when it aborted the push.
   */
  pushAll(bytes: Uint8Array, shouldAbort: () => boolean, sliceMs = 20): boolean {
    let from = 0;
    while (from < bytes.length) {
      const read = Atomics.load(this.header, READ);
      const n = this.tryPush(bytes, from);
      from += n;
      if (n === 0) {
        if (shouldAbort()) return false;
        Atomics.wait(this.header, READ, read, sliceMs);
      }
    }
    return true;
  }

  /** Take up to `max` bytes (consumer side). */
  pop(max = this.data.length): Uint8Array {
    const read = Atomics.load(this.header, READ);
    const n = Math.min(max, (Atomics.load(this.header, WRITE) - read) >>> 0);
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.data[(read + i) & this.mask]!;
    Atomics.store(this.header, READ, (read + n) | 0);
    if (n > 0) Atomics.notify(this.header, READ);
    return out;
  }

  /** Take one byte, or -1 when empty (consumer side). */
  popByte(): number {
    const read = Atomics.load(this.header, READ);
    if (read === Atomics.load(this.header, WRITE)) return -1;
    const byte = this.data[read & this.mask]!;
    Atomics.store(this.header, READ, (read + 1) | 0);
    Atomics.notify(this.header, READ);
    return byte;
  }

  /** Resolve when bytes are waiting or `timeoutMs` passes (consumer side, async threads). */
  async waitForData(timeoutMs: number): Promise<void> {
    const write = Atomics.load(this.header, WRITE);
    if (write !== Atomics.load(this.header, READ)) return;
    Atomics.store(this.header, CONSUMER_WAITING, 1);
    await waitAsync(this.header, WRITE, write, timeoutMs);
    Atomics.store(this.header, CONSUMER_WAITING, 0);
  }

  /** Resolve when the ring has room or `timeoutMs` passes (producer side, async threads). */
  async waitForRoomAsync(timeoutMs: number): Promise<void> {
    const read = Atomics.load(this.header, READ);
    if (this.length < this.data.length) return;
    await waitAsync(this.header, READ, read, timeoutMs);
  }
}

/**
 * Atomics.waitAsync with a timer beside it: a pending waitAsync alone does not keep Node's event
 * loop alive, and a host waiting for guest output must not exit for want of something to do.
 */
async function waitAsync(cells: Int32Array, index: number, value: number, timeoutMs: number): Promise<void> {
  const waiter = Atomics.waitAsync(cells, index, value, timeoutMs);
  if (!waiter.async) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([waiter.value, new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); })]);
  clearTimeout(timer);
}
