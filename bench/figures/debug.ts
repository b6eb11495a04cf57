/**
 * The debugger's cost, on the debug-bench test image (test/vmm/images/debug-bench.c, a loop of a
 * known number of instructions that counts its blocks in guest memory):
 * - MIPS detached, and with gdb attached over the remote protocol with a software breakpoint and
 *   a watchpoint set that nothing hits (the target: within 5 % of detached);
 * - single steps per second, through the core and through the protocol (`s` packets).
 */
import { type Socket, connect } from 'node:net';
import { testImage } from '../../scripts/build-image.js';
import { gpa } from '../../vmm/hw/address.js';
import { type GdbServer, startGdbServer } from '../../vmm/debug/gdb-server.js';
import { PacketReader, frame } from '../../vmm/debug/packets.js';
import { type Vm, createVm } from '../../vmm/vm.js';
import type { Figure } from '../harness.js';

/** Wall time of each MIPS window, and how many pairs of windows (detached, attached) make a median. */
const WINDOW_MS = 500;
const ROUNDS = 8;
const STEPS = 2000;

interface Layout {
  readonly blocks: bigint;
  readonly neverCalled: bigint;
  readonly untouched: bigint;
  /** Guest instructions per block. */
  readonly instructions: number;
}

async function waitForLayout(vm: Vm): Promise<Layout> {
  let text = '';
  const stop = vm.com1.onData((bytes) => { text += Buffer.from(bytes).toString('latin1'); });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = /debug-bench: blocks (0x[0-9a-f]+) never_called (0x[0-9a-f]+) untouched (0x[0-9a-f]+) iterations (\d+) insns (\d+)\n/.exec(text);
    if (m) {
      stop();
      return { blocks: BigInt(m[1]!), neverCalled: BigInt(m[2]!), untouched: BigInt(m[3]!), instructions: Number(m[4]) * Number(m[5]) };
    }
    if (Date.now() > deadline || vm.state === 'stopped') throw new Error(`the debug-bench guest did not start: ${text.slice(-500)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** MIPS of the running guest over one window (its blocks counter, read from RAM). */
async function mips(vm: Vm, layout: Layout): Promise<number> {
  const b0 = vm.shared.memory.read64(gpa(layout.blocks));
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
  const b1 = vm.shared.memory.read64(gpa(layout.blocks));
  const t1 = performance.now();
  return (Number(b1 - b0) * layout.instructions) / ((t1 - t0) * 1e3);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

/** A minimal remote-protocol client in no-ack mode. */
class Client {
  private readonly reader = new PacketReader(1 << 16);
  private readonly replies: string[] = [];
  private wake: () => void = () => undefined;

  constructor(private readonly socket: Socket) {
    socket.on('data', (data) => {
      for (const e of this.reader.feed(data)) if (e.kind === 'packet') this.replies.push(e.data.toString('latin1'));
      this.wake();
    });
  }

  static open(server: GdbServer): Promise<Client> {
    return new Promise((resolve, reject) => {
      const socket = connect(server.address.port, server.address.host, () => resolve(new Client(socket)));
      socket.setNoDelay(true);
      socket.once('error', reject);
    });
  }

  async request(packet: string): Promise<string> {
    this.post(packet);
    return this.reply();
  }

  /** Send a packet whose reply comes later (c). */
  post(packet: string): void {
    if (this.replies.length > 0) throw new Error(`an unread reply: ${this.replies[0]}`);
    this.socket.write(frame(packet));
  }

  async reply(): Promise<string> {
    while (this.replies.length === 0) await new Promise<void>((resolve) => { this.wake = resolve; });
    return this.replies.shift()!;
  }

  /** Ctrl-C: the stop reply of the c it interrupts. */
  interrupt(): Promise<string> {
    this.socket.write(Buffer.from([3]));
    return this.reply();
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Attach gdb (a raw client) with a breakpoint and a watchpoint nothing hits, and continue. */
async function attach(server: GdbServer, layout: Layout): Promise<Client> {
  const client = await Client.open(server);
  await client.request('QStartNoAckMode');
  await client.request(`Z0,${layout.neverCalled.toString(16)},1`);
  await client.request(`Z2,${layout.untouched.toString(16)},8`);
  client.post('c');
  return client;
}

/** Steps per second of `step`, after a warm-up. */
async function stepRate(step: () => Promise<unknown>): Promise<number> {
  for (let n = 0; n < STEPS / 10; n++) await step();
  const start = performance.now();
  for (let n = 0; n < STEPS; n++) await step();
  return STEPS / ((performance.now() - start) / 1000);
}

export async function debugFigures(kernel = testImage('debug-bench')): Promise<Figure[]> {
  const vm = createVm({ vcpus: 1, kernel, initrd: '' });
  const server = await startGdbServer(vm, { port: 0 });
  vm.start();
  try {
    const layout = await waitForLayout(vm);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // hot blocks compiled
    // Detached and attached windows alternate, so that a busy host slows both alike.
    const detached: number[] = [];
    const attached: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      detached.push(await mips(vm, layout));
      const client = await attach(server, layout);
      await new Promise((resolve) => setTimeout(resolve, 100));
      attached.push(await mips(vm, layout));
      await client.interrupt();
      await client.request('D');
      client.close();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const client = await attach(server, layout);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await client.interrupt();
    const protocolSteps = await stepRate(() => client.request('s'));
    const coreSteps = await stepRate(() => server.debugger.step(0));
    client.close();

    const ratios = detached.map((d, k) => (attached[k]! / d) * 100);
    return [
      { name: 'guest MIPS, no debugger', value: median(detached), unit: 'MIPS' },
      { name: 'guest MIPS, gdb attached, a breakpoint and a watchpoint set, none hit', value: median(attached), unit: 'MIPS' },
      {
        name: 'guest speed with gdb attached, relative to detached', value: median(ratios), unit: '%',
        target: { value: 95, direction: 'at-least' }, note: `median of ${ROUNDS} alternating pairs; breakpoints are INT3, watchpoints EPT permissions of their page: no cost elsewhere`,
      },
      { name: 'single steps (MTF), debugger core', value: coreSteps, unit: 'steps/s' },
      { name: 'single steps (MTF), gdb remote protocol round trip', value: protocolSteps, unit: 'steps/s' },
    ];
  } finally {
    await server.close();
    await vm.stop();
  }
}
