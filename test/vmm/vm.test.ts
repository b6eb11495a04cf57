import { describe, expect, it } from 'vitest';
import { ExitReason } from '../../shell-protocol/exit-reasons.js';
import { createVm } from '../../vmm/vm.js';

const image = (name: string): string => new URL(`./images/${name}.ts`, import.meta.url).href;

function collect(port: { onData(listener: (bytes: Uint8Array) => void): () => void }): () => string {
  const chunks: Buffer[] = [];
  port.onData((bytes) => chunks.push(Buffer.from(bytes)));
  return () => Buffer.concat(chunks).toString('latin1');
}

describe('a VM running a guest image', () => {
  it('counts every exit exactly per vCPU and stops with the debug-exit status', async () => {
    const vm = createVm({ vcpus: 3, guestImage: image('counting') });
    const console1 = collect(vm.com1);
    vm.start();
    const reason = await vm.waitForStop();
    expect(reason).toEqual({ kind: 'debug-exit', status: 7 });
    // The VMM logs each AP's launch on the same port, at any point of the guest's line, as one
    // serial line shared by two writers does.
    const guestOutput = console1().replace(/\[(INFO |WARN |ERROR|DEBUG)\] [^\n]*\n/g, '');
    expect(guestOutput).toContain('counting guest up\n');
    // Each vCPU: 1 leaf-1 CPUID to learn its index or the count, 999 leaf-0 ones.
    for (let v = 0; v < 3; v++) expect(vm.exitCounts(v)[ExitReason.CPUID]).toBe(1000);
    expect(vm.exitCounts(0)[ExitReason.MSR_WRITE]).toBe(2);
    expect(vm.state).toBe('stopped');
  });
});
