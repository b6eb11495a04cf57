/* guest/build/bare-hello, the bare runtime's example image, under QEMU TCG. */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { GUEST_BUILD, QemuGuest } from './qemu.js';

let guest: QemuGuest | undefined;
afterEach(async () => {
  await guest?.stop();
  guest = undefined;
});

describe('the bare runtime', () => {
  it('enters long mode, prints on COM1, starts every AP, survives a #UD VMCALL and exits through port 0xF4', async () => {
    guest = new QemuGuest({ kernel: join(GUEST_BUILD, 'bare-hello'), initrd: null, smp: 3 });
    expect(await guest.exited).toBe((42 << 1) | 1);
    const out = guest.text();
    expect(out).toContain('bare-hello: hello from CPU 0 of 3 (xAPIC)\r\n');
    for (const cpu of [1, 2]) expect(out).toContain(`bare-hello: CPU ${cpu} is up\r\n`);
    expect(out).toContain('bare-hello: VMCALL raised #UD: no VMM\r\n');
    expect(out).toContain('bare-hello: 3 CPUs said hello; exit 42\r\n');
  });
});
