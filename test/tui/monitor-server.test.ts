/**
 * The monitor socket as a client sees it: a raw socket speaking JSON lines (the protocol as
 * written), and the monitor client, the remote view and the human monitor on top of it, all
 * against a fake VM.
 */
import { mkdtempSync, statSync } from 'node:fs';
import { type Socket, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitReason } from '../../shell-protocol/exit-reasons.js';
import { MonitorClient } from '../../tui/monitor/client.js';
import { resolveVm } from '../../tui/monitor/discovery.js';
import { MonitorCommandError } from '../../tui/monitor/protocol.js';
import { RemoteVm } from '../../tui/monitor/remote-vm.js';
import { MonitorServer } from '../../tui/monitor/server.js';
import { FakeMonitor, snapshot } from './fake-monitor.js';

const scratch = mkdtempSync(join(tmpdir(), 'ymir-monitor-'));
let server: MonitorServer | undefined;
const sockets: Socket[] = [];
afterEach(() => {
  server?.close();
  server = undefined;
  for (const socket of sockets.splice(0)) socket.destroy();
});

async function serve(vm = new FakeMonitor()): Promise<{ vm: FakeMonitor; path: string }> {
  const path = join(scratch, `${Math.random().toString(36).slice(2)}.sock`);
  server = await MonitorServer.listen(path, vm, { name: 'testvm', pid: process.pid, mode: 'console' });
  return { vm, path };
}

/** A raw client: send lines, take the next JSON object the server sends. */
function raw(path: string): { send: (line: string) => void; next: () => Promise<Record<string, unknown>> } {
  const socket = createConnection(path);
  sockets.push(socket);
  socket.setEncoding('utf8');
  const queue: Record<string, unknown>[] = [];
  const waiters: ((message: Record<string, unknown>) => void)[] = [];
  let pending = '';
  socket.on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      const message = JSON.parse(line) as Record<string, unknown>;
      const waiter = waiters.shift();
      if (waiter) waiter(message);
      else queue.push(message);
    }
  });
  return {
    send: (line) => socket.write(`${line}\n`),
    next: () => (queue.length > 0 ? Promise.resolve(queue.shift()!) : new Promise((resolve) => waiters.push(resolve))),
  };
}

describe('the monitor socket', () => {
  it('greets with the version, capabilities and which VM it is, and takes commands only after qmp_capabilities', async () => {
    const { vm, path } = await serve();
    expect((statSync(path).mode & 0o777).toString(8)).toBe('600');
    const client = raw(path);
    const greeting = await client.next();
    expect(greeting).toMatchObject({ QMP: { version: { ymir: { major: 0, minor: 1 } }, capabilities: [], vm: { name: 'testvm', pid: process.pid, mode: 'console' } } });
    client.send('{"execute": "query-status", "id": 1}');
    expect(await client.next()).toEqual({ error: { class: 'CommandNotFound', desc: "Expecting capabilities negotiation with 'qmp_capabilities'" }, id: 1 });
    client.send('{"execute": "qmp_capabilities"}');
    expect(await client.next()).toEqual({ return: {} });
    client.send('{"execute": "query-status", "id": "two"}');
    expect(await client.next()).toEqual({ return: { running: true, status: 'running', 'uptime-ms': 1234 }, id: 'two' });
    vm.heldByDebugger = true; // as QEMU's query-status says of a VM gdb stopped
    client.send('{"execute": "query-status"}');
    expect(await client.next()).toEqual({ return: { running: false, status: 'debug', 'uptime-ms': 1234 } });
  });

  it('answers bad input with an error and keeps the connection', async () => {
    const { path } = await serve();
    const client = raw(path);
    await client.next();
    client.send('{"execute": "qmp_capabilities"}');
    await client.next();
    client.send('this is not json');
    expect(await client.next()).toMatchObject({ error: { class: 'GenericError', desc: expect.stringContaining('JSON parse error') } });
    client.send('[1, 2]');
    expect(await client.next()).toMatchObject({ error: { desc: expect.stringContaining("'execute'") } });
    client.send('{"execute": "frobnicate"}');
    expect(await client.next()).toEqual({ error: { class: 'CommandNotFound', desc: 'The command frobnicate has not been found' } });
    client.send('{"execute": "query-registers", "arguments": {"cpu-index": "zero"}}');
    expect(await client.next()).toMatchObject({ error: { desc: "Invalid parameter type for 'cpu-index', expected: integer" } });
    client.send('{"execute": "query-registers", "arguments": {"cpu-index": 7}}');
    expect(await client.next()).toMatchObject({ error: { desc: expect.stringContaining('out of range') } });
    client.send('{"execute": "query-log", "arguments": {"cursor": 0, "colour": "red"}}');
    expect(await client.next()).toMatchObject({ error: { desc: "Parameter 'colour' is unexpected" } });
    client.send('{"execute": "query-name"}');
    expect(await client.next()).toEqual({ return: { name: 'testvm' } });
  });

  it('sends STOP and RESUME as the VM pauses and resumes, and SHUTDOWN with the reason when it stops', async () => {
    const { vm, path } = await serve();
    const client = raw(path);
    await client.next();
    client.send('{"execute": "qmp_capabilities"}');
    await client.next();
    client.send('{"execute": "stop"}');
    const [stopEvent, stopReply] = [await client.next(), await client.next()];
    expect(stopEvent).toMatchObject({ event: 'STOP', data: {}, timestamp: { seconds: expect.any(Number), microseconds: expect.any(Number) } });
    expect(stopReply).toEqual({ return: {} });
    expect(vm.state).toBe('paused');
    vm.resume(); // from elsewhere (the TUI's Ctrl-P): every client hears of it
    expect(await client.next()).toMatchObject({ event: 'RESUME' });
    vm.powerOff({ kind: 'debug-exit', status: 7 });
    expect(await client.next()).toMatchObject({ event: 'SHUTDOWN', data: { guest: true, reason: { kind: 'debug-exit', status: 7 } } });
  });

  it('answers a call the CPU model cannot serve yet with a clear error, not a made-up value', async () => {
    const { path } = await serve();
    const client = await MonitorClient.connect(path);
    for (const command of ['query-vmcs', 'query-lapic', 'query-mappings', 'query-registers-full', 'query-exit-trace']) {
      await expect(client.execute(command, { 'cpu-index': 0 })).rejects.toThrow(/not available in this build/);
    }
    await expect(client.execute('system_reset')).rejects.toThrow(MonitorCommandError);
    client.close();
  });

  it('reads guest memory and runs human monitor commands', async () => {
    const { vm, path } = await serve();
    const client = await MonitorClient.connect(path);
    expect(await client.execute('memory-read', { address: '0x10', length: 4, physical: true })).toEqual({ data: '10111213' });
    await expect(client.execute('memory-read', { address: '0xffff0', length: 64, physical: true })).rejects.toThrow(/outside guest memory/);
    vm.snapshots[1] = snapshot(1, 2n, 0x1234n);
    expect(await client.execute('human-monitor-command', { 'command-line': 'cpu 1' })).toBe('');
    expect(await client.execute('human-monitor-command', { 'command-line': 'print $rip + 0x10' })).toBe('0x0000000000001244');
    expect(await client.execute('human-monitor-command', { 'command-line': 'info vmcs' })).toBe('info vmcs: not available in this build (the CPU model does not publish that state yet)');
    client.close();
  });
});

describe('a VM attached through its monitor', () => {
  it('reads counters, registers and the log as the VM itself would give them', async () => {
    const { vm, path } = await serve();
    vm.counts[0]![ExitReason.VMCALL] = 3;
    vm.counts[1]![ExitReason.VMCALL] = 4;
    vm.log.push({ sequence: 0, level: 'info', scope: 'vmc', message: 'hello', timeMs: 5 });
    const remote = await RemoteVm.attach(path);
    expect(remote.config).toEqual({ vcpus: 2, memoryBytes: 64 << 20, stealth: false, logLevel: 'info' });
    expect(remote.exitCounts(1)[ExitReason.VMCALL]).toBe(4);
    expect(remote.registers(1)).toEqual(vm.registers(1));
    expect(remote.readLog(0).records.map((r) => r.message)).toEqual(['hello']);
    vm.counts[0]![ExitReason.VMCALL] = 10;
    await remote.refresh();
    expect(remote.exitCounts(0)[ExitReason.VMCALL]).toBe(10);
    vm.powerOff({ kind: 'debug-exit', status: 3 });
    expect(await remote.stopped).toEqual({ kind: 'debug-exit', status: 3 });
    expect(remote.state).toBe('stopped');
    remote.close();
  });

  it('finds a VM by path, and says so when the name matches none', async () => {
    const { path } = await serve();
    expect(await resolveVm(path)).toEqual({ ok: true, path });
    const empty = { XDG_RUNTIME_DIR: mkdtempSync(join(tmpdir(), 'ymir-runtime-')) };
    expect(await resolveVm(undefined, empty)).toMatchObject({ ok: false, message: expect.stringContaining('no running VM to attach to') });
    expect(await resolveVm('nosuch', empty)).toMatchObject({ ok: false, message: expect.stringContaining("no running VM is 'nosuch'") });
  });
});
