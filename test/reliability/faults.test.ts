/**
 * Guests that fail: each runs in its own host process, which must report how the VM ended and then
 * exit by itself — proof that no vCPU thread or timer was left behind.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const HOST = fileURLToPath(new URL('./fault-host.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url));

interface HostReport {
  readonly reason: { kind: string; status?: number; vcpu?: number; rip?: string; message?: string };
  readonly stillRunning?: boolean;
  readonly exitsWhileHung?: number[];
  readonly runStates: string[];
  readonly log: string;
}

function host(...args: string[]): Promise<HostReport> {
  return new Promise((resolve, reject) => {
    // No process.exit in the host: if it hangs, this timeout kills it and the test fails.
    execFile(process.execPath, [TSX, HOST, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`the host process did not end cleanly: ${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as HostReport);
    });
  });
}

describe('fault guests, each in a host process that must exit by itself', () => {
  it('a triple fault stops the VM and says where', async () => {
    const report = await host('triple-fault');
    expect(report.reason).toMatchObject({ kind: 'triple-fault', vcpu: 0 });
    expect(report.log).toMatch(/\[ERROR\] vcpu {4}\| Triple fault: rip=0x[0-9a-f]+ vcpu=0/);
    expect(report.runStates).toEqual(['stopped', 'stopped']);
  }, 40_000);

  it('an exit the VMM cannot handle stops the VM, naming the reason and RIP', async () => {
    const report = await host('outside-memory');
    expect(report.reason.kind).toBe('unhandled-exit');
    expect(report.reason.message).toMatch(/^Unhandled VM-exit: reason=EPT_VIOLATION \(48\) read of gpa=0x7fff0000 \(gva 0x7fff0000\), outside guest memory rip=0x[0-9a-f]+ vcpu=0$/);
    expect(report.runStates).toEqual(['stopped', 'stopped']);
  }, 40_000);

  it('a write to a protected range is refused and logged, and the guest goes on', async () => {
    const report = await host('protect-write');
    expect(report.reason).toEqual({ kind: 'debug-exit', status: 0x11 }); // the byte before the refused write
    expect(report.log).toMatch(/\[WARN \] ept {5}\| Refused write to protected 0x400000/);
  }, 40_000);

  it('a kernel spinning with interrupts off keeps running, the VMM keeps control, and the host can stop it', async () => {
    const report = await host('spin-cli', '500');
    expect(report.stillRunning).toBe(true);
    // The preemption timer still takes each spinning vCPU out to the VMM.
    for (const exits of report.exitsWhileHung!) expect(exits).toBeGreaterThan(0);
    expect(report.reason).toEqual({ kind: 'host-stop' });
    expect(report.runStates).toEqual(['stopped', 'stopped']);
  }, 40_000);
});
