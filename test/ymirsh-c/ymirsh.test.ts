import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Op } from '../../shell-protocol/constants.js';
import { ExitReason } from '../../shell-protocol/exit-reasons.js';
import { gpa } from '../../vmm/hw/address.js';
import { SNAPSHOT_SLOTS, Snap } from '../../vmm/shared.js';
import { type FakeVm } from '../vmm-services/fake-caller.js';
import { pipeAnswer } from './oracle.js';
import { type Answer, Kind, type Kernel, type RunOptions, build, runYmirsh, vm, vmmAnswer } from './pipe.js';

let binary: string;
beforeAll(() => {
  binary = `${build()}/ymirsh-pipe`;
});

const run = (args: readonly string[], answer: Answer, options: Partial<RunOptions> = {}) => runYmirsh(binary, args, { answer, ...options });
const withVm = (kernel: Kernel = 'present'): { vm: FakeVm; answer: Answer } => {
  const v = vm();
  return { vm: v, answer: vmmAnswer(v, kernel) };
};

describe('ymirsh against the VMM services', () => {
  it('reads guest memory across pages, as x and xp, equal to what memory holds', async () => {
    const { vm: v, answer } = withVm();
    v.shared.memory.writeBytes(gpa(0x1ff8n), Uint8Array.from({ length: 16 }, (_, i) => 0x10 + i));
    const r = await run(['-c', 'x/2xg 0x1ff8; xp/16xb 0x1ff8'], answer);
    expect(r.stdout).toContain('0000000000001ff8: 0x1716151413121110 0x1f1e1d1c1b1a1918\n');
    expect(r.stdout).toContain('0000000000001ff8: 0x10 0x11 0x12 0x13 0x14 0x15 0x16 0x17\n0000000000002000: 0x18 0x19');
    expect(r.status).toBe(0);
  });

  it('disassembles guest code and walks a vCPU\'s frame-pointer chain', async () => {
    const { vm: v, answer } = withVm();
    v.shared.memory.writeBytes(gpa(0x401000n), Uint8Array.of(0x48, 0xc7, 0xc0, 0, 0, 0, 0, 0x0f, 0x01, 0xc1, 0xc3));
    v.shared.memory.write64(gpa(0x8000n), 0n);
    v.shared.memory.write64(gpa(0x8008n), 0x401234n);
    const base = SNAPSHOT_SLOTS;
    v.shared.snapshots[base + Snap.RIP] = 0x401007n;
    v.shared.snapshots[base + Snap.GPRS + 5] = 0x8000n;
    const r = await run(['--json', '-c', 'dis 0x401000 3; dis --att 0x401000 1; bt 1'], answer);
    expect(r.stdout).toContain('0000000000401000  48 c7 c0 00 00 00 00     mov rax, 0\n0000000000401007  0f 01 c1                 vmcall\n000000000040100a  c3                       ret\n');
    expect(r.stdout).toContain('0000000000401000  48 c7 c0 00 00 00 00     mov $0,%rax\n');
    expect(r.stdout).toContain('vCPU 1, snapshot #0:\n#0  0000000000401007  frame 0000000000008000\n#1  0000000000401234  frame 0000000000008000\n(end of the chain: RBP is 0)\n');
    const bt = JSON.parse(r.data.trim().split('\n')[2]!) as { data: unknown };
    expect(bt.data).toEqual([{ vcpu: 1, stop: 1, frames: [{ address: '0x401007', frame: '0x8000' }, { address: '0x401234', frame: '0x8000' }] }]);
  });

  it('says where disassembly runs out of memory, and fails when it cannot start', async () => {
    const { answer } = withVm();
    const r = await run(['-k', '-c', 'dis 0xfffffe 4; dis 0x1000000 2'], answer);
    expect(r.stdout).toContain('0000000000fffffe  00 00                    add [rax], al\n(0x1000000: not readable)\n');
    expect(r.stdout).toContain('dis: EFAULT: 0x1000000 is not mapped\n');
    expect(r.status).toBe(1);
  });

  it('counts its own VMCALLs in exits, and stats reset clears them', async () => {
    const { vm: v, answer } = withVm();
    for (let i = 0; i < 3; i++) v.shared.countExit(0, ExitReason.VMCALL);
    v.shared.countExit(1, ExitReason.HLT);
    const r = await run(['--json', '-c', 'exits; stats reset; exits 1'], answer);
    const reports = r.data.trim().split('\n').map((l) => JSON.parse(l) as { data: { counts?: unknown } });
    expect(reports[0]!.data.counts).toEqual([{ reason: 'HLT', nr: 12, count: 1 }, { reason: 'VMCALL', nr: 18, count: 3 }]);
    expect(r.stdout).toContain('exit counters reset (all vCPUs)\n');
    expect(reports[2]!.data).toEqual({ vcpu: 1, total: 0, counts: [] });
  });

  it('without the kernel call (real Linux) gets the VMM\'s EPERM for privileged ops, and the rest still works', async () => {
    for (const kernel of ['absent', 'not-root'] as const) {
      const { answer } = withVm(kernel);
      const r = await run(['-k', '-c', 'protect 0x300000 0x1000; xp/1xw 0; stats reset; translate 0x1000'], answer);
      expect(r.stdout).toContain('protect: EPERM: 0x300000+0x1000 needs root (CPL 0)\n');
      expect(r.stdout).toContain('xp: EPERM: 0x0 needs root (CPL 0)\n');
      expect(r.stdout).toContain('stats: EPERM: vCPU all needs root (CPL 0)\n');
      expect(r.stdout).toContain('0x1000 -> 0x1000 (4 KiB page, present writable user executable)\n');
      expect(r.status).toBe(1);
      expect(r.frames.filter((f) => f.regs.rax === 2n).map((f) => f.kind)).toEqual([Kind.KERNEL, Kind.DIRECT, Kind.KERNEL, Kind.DIRECT, Kind.KERNEL, Kind.DIRECT, Kind.DIRECT]);
    }
  });

  it('seals a range that unprotect then cannot lift, and lists it as sealed', async () => {
    const { answer } = withVm();
    const r = await run(['-k', '-c', 'protect --seal 0x300000 0x2000; unprotect 0x300000 0x2000; protected'], answer);
    expect(r.stdout).toContain('sealed 0x300000-0x301fff (8 KiB) against guest writes until the VM restarts\n');
    expect(r.stdout).toContain('unprotect: EPERM: 0x300000+0x2000 is sealed until the VM restarts\n');
    expect(r.stdout).toMatch(/0000000000300000   0000000000301fff        8 KiB               0  sealed\n/);
  });

  it('refreshes exits --watch from the shared page until a key is pressed', async () => {
    const { vm: v, answer } = withVm();
    v.shared.countExit(0, ExitReason.VMCALL);
    v.shared.countExit(1, ExitReason.HLT);
    const r = await run(['-c', 'exits --watch 0.2'], answer, { input: [[/VM exits \(live[\s\S]*VM exits \(live/, 'q']] });
    expect(r.stdout).toContain('VM exits (live, every 0.2s; press a key to stop):\x1b[K\n');
    expect(r.stdout).toContain('\x1b[J\x1b[5AVM exits (live'); // up over the last frame's five lines
    expect(r.stdout).toMatch(/HLT\s+12\s+1\s+50\.00\x1b\[K\nVMCALL\s+18\s+1\s+50\.00\x1b\[K\n/);
    expect(r.status).toBe(0);
  });

  it('needs the kernel\'s counter page for --watch, and says so', async () => {
    const { answer } = withVm('absent');
    const r = await run(['-c', 'exits --watch'], answer);
    expect(r.stdout).toContain('exits: the kernel does not map the shared counter page (errno 38)\n');
    expect(r.status).toBe(1);
  });

  it('times PROBE round trips with ping', async () => {
    const { answer } = withVm();
    const r = await run(['-c', 'ping 50'], answer);
    expect(r.stdout).toMatch(/^ymirsh> ping 50\n50 PROBE round trips: min \d+ ns, median \d+ ns, p99 \d+ ns\n$/);
    expect(r.frames.filter((f) => f.regs.rax === 1n)).toHaveLength(51);
  });
});

describe('ymirsh scripts', () => {
  it('runs -c commands and exits 0, with one --json object per command', async () => {
    const { answer } = withVm();
    const r = await run(['--json', '-c', 'version; exits 0; exit; ops'], answer);
    expect(r.status).toBe(0);
    const objects = r.data.trim().split('\n').map((l) => JSON.parse(l) as { command: string; ok: boolean; status: number; data: unknown });
    expect(objects.map((o) => [o.command, o.ok, o.status])).toEqual([['version', true, 0], ['exits 0', true, 0], ['exit', true, 0]]);
    expect(objects[0]!.data).toMatchObject({ abi: '1.1', vcpus: 2 });
  });

  it('stops at the first failing command with its status, unless -k', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ymirsh-script-'));
    const script = join(dir, 's.ysh');
    writeFileSync(script, '# a script\nversion\r\ntranslate 0x7f0000000000  # not mapped\n\nops\nfrob\n');
    const { answer } = withVm();
    const stopped = await run([script], answer);
    expect(stopped.status).toBe(1);
    expect(stopped.stdout).toContain('ymirsh> translate 0x7f0000000000\ntranslate: EFAULT: 0x7f0000000000 is not mapped\n');
    expect(stopped.stdout).not.toContain('ymirsh> ops');
    const kept = await run(['-k', '--json', script], answer);
    expect(kept.status).toBe(1);
    expect(kept.stdout).toContain('ymirsh> ops\n');
    expect(kept.stdout).toContain('ymirsh> frob\nymirsh: frob: unknown command (try help)\n');
    expect(kept.data.trim().split('\n').map((l) => (JSON.parse(l) as { status: number; error?: string })).map((o) => [o.status, o.error])).toEqual([
      [0, undefined], [1, 'EFAULT: 0x7f0000000000 is not mapped'], [0, undefined], [2, 'unknown command'],
    ]);
  });

  it('exits 2 on a usage error, a bad option, a missing file', async () => {
    const { answer } = withVm();
    expect((await run(['-c', 'regs 1 2'], answer)).status).toBe(2);
    const option = await run(['--frob'], answer);
    expect([option.status, option.stdout]).toEqual([2, 'ymirsh: unknown option --frob\nusage: ymirsh [-k] [--json] [-c COMMANDS | FILE]\n']);
    expect((await run(['-c'], answer)).stdout).toBe('ymirsh: -c needs COMMANDS\nusage: ymirsh [-k] [--json] [-c COMMANDS | FILE]\n');
    expect((await run(['a', 'b'], answer)).stdout).toBe('ymirsh: one script file\nusage: ymirsh [-k] [--json] [-c COMMANDS | FILE]\n');
    const missing = await run(['/nonexistent/s.ysh'], answer);
    expect([missing.status, missing.stdout]).toEqual([2, 'ymirsh: /nonexistent/s.ysh: No such file or directory\n']);
    expect((await run(['--help'], answer)).status).toBe(0);
  });

  it('keeps --json lines valid JSON whatever bytes the guest\'s memory or the VMM hold', async () => {
    const r = await run(['--json', '-c', 'echo "quoted" \\back'], withVm().answer);
    const lines = r.data.trim().split('\n');
    expect((JSON.parse(lines[0]!) as { data: { text: string } }).data.text).toBe('"quoted" \\back');
    const hostile = await run(['--json', '-c', 'banner'], pipeAnswer((op) => ({ status: 0, data: op === Op.HELLO ? Uint8Array.of(0x1b, 0x5d, 0x30, 0x3b, 0xff, 0xc3, 0xa9, 0x07, 0x0a) : new Uint8Array(0) })));
    expect((JSON.parse(hostile.data.trim()) as { data: { text: string } }).data.text).toBe('\x1b]0;\ufffdé\x07\n');
  });
});

describe('ymirsh, interactive', () => {
  const type = (keys: string) => ({ input: [[/ymirsh> $/, keys] as const] });

  it('starts with the ABI version and a prompt, and leaves on Ctrl-D', async () => {
    const { answer } = withVm();
    const r = await run([], answer, type('\x04'));
    expect(r.stdout).toBe('ymirsh: connected to the VMM over VMCALL, ABI 1.1. Type help.\nymirsh> \n');
    expect(r.status).toBe(0);
  });

  it('edits lines: cursor moves, backspace, Ctrl-A/E/U/K/W, history and tab completion', async () => {
    const { answer } = withVm();
    const keys = [
      'opz\x7fs\r', // backspace
      'garbage words\x17\x17\x15ops\r', // Ctrl-W twice, Ctrl-U
      '\x1b[A\r', // up arrow recalls `ops`
      'anslate 0x1000\x01tr\r', // Ctrl-A, insert at the start
      'translate 0x1000 junk\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x0b\r', // left five times, Ctrl-K
      'echo b\x1b[Da\x05c\r', // left, insert, Ctrl-E, append
      'transl\t0x2000\r', // the unique completion and a space
      'prot\t\t\x15exit\r', // ambiguous: the common prefix, then the list
    ].join('');
    const r = await run([], answer, type(keys));
    const commands = [...r.stdout.matchAll(/0x1000 -> 0x1000|0x2000 -> 0x2000|PRIVILEGED|^abc$/gm)].map((m) => m[0]);
    expect(commands).toEqual(['PRIVILEGED', 'PRIVILEGED', 'PRIVILEGED', '0x1000 -> 0x1000', '0x1000 -> 0x1000', 'abc', '0x2000 -> 0x2000']);
    expect(r.stdout).toContain('\nprotect  protected\n');
    expect(r.stdout).not.toContain('junk:');
    expect(r.status).toBe(0);
  });

  it('cancels a line with Ctrl-C and runs several commands separated by ;', async () => {
    const { answer } = withVm();
    const r = await run([], answer, type('regs\x03echo one; echo two\r\x04'));
    expect(r.stdout).toContain('ymirsh> regs^C\nymirsh> ');
    expect(r.stdout).toContain('one\ntwo\nymirsh> ');
  });
});

describe('ymirsh without a ymir VMM', () => {
  it('says VMCALL raised #UD and exits 69 (SIGILL caught, the terminal left as it was)', async () => {
    const r = await run(['-c', 'version'], () => ({ ret: 1n }));
    expect([r.status, r.signal, r.stdout]).toEqual([69, null, 'ymirsh: VMCALL raised #UD: no hypervisor answers it (bare metal, or a VMM in stealth mode)\n']);
  });

  it('reports another hypervisor\'s answer with the value it got, and exits 69', async () => {
    const kvm = await run([], () => ({ regs: { rax: BigInt.asUintN(64, -1n) } }));
    expect([kvm.status, kvm.stdout]).toEqual([69, 'ymirsh: not a ymir VMM: PROBE answered RAX=-1 (0xffffffffffffffff), RBX=0x0, not status 0 and magic 0x52494d59 ("YMIR")\n']);
    const other = await run([], () => ({ regs: { rax: 0n, rbx: 0x4b4d564bn } }));
    expect(other.stdout).toContain('RAX=0 (0x0), RBX=0x4b4d564b');
  });

  it('exits 69 when the VMM goes away in the middle of a session', async () => {
    const { answer } = withVm();
    let calls = 0;
    const r = await run(['-c', 'version; ops'], (frame) => (++calls > 3 ? { ret: 1n } : answer(frame)));
    expect(r.stdout).toContain('ymirsh> ops\nymirsh: VMCALL raised #UD');
    expect(r.status).toBe(69);
  });

  it('refuses a VMM of another major version', async () => {
    const r = await run([], () => ({ regs: { rax: 0n, rbx: 0x52494d59n, rcx: 0x20000n } }));
    expect([r.status, r.stdout]).toEqual([69, 'ymirsh: the VMM speaks VMCALL ABI 2.0, ymirsh ABI 1\n']);
  });
});
