/**
 * Where monitor sockets live and how `--vm NAME|PID|PATH` finds one: `$XDG_RUNTIME_DIR/ymir/PID.sock`
 * (or a directory of the user's own under the system's temporary directory when XDG_RUNTIME_DIR
 * is not set), unless a VM was started with `--monitor PATH`.
 */
import { readdirSync, unlinkSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { MonitorClient } from './client.js';
import type { MonitorVmIdentity } from './protocol.js';

export function monitorDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const runtime = env.XDG_RUNTIME_DIR;
  return runtime ? join(runtime, 'ymir') : join(tmpdir(), `ymir-${userInfo().uid}`);
}

export function defaultMonitorPath(pid = process.pid, env: NodeJS.ProcessEnv = process.env): string {
  return join(monitorDirectory(env), `${pid}.sock`);
}

export interface RunningVm {
  readonly path: string;
  readonly identity: MonitorVmIdentity;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The VMs whose sockets are in the monitor directory and answer; sockets of processes that are gone are removed. */
export async function listRunningVms(env: NodeJS.ProcessEnv = process.env): Promise<RunningVm[]> {
  const directory = monitorDirectory(env);
  let names: string[];
  try {
    names = readdirSync(directory).filter((name) => /^\d+\.sock$/.test(name));
  } catch {
    return [];
  }
  const found = await Promise.all(names.map(async (name): Promise<RunningVm | undefined> => {
    const path = join(directory, name);
    try {
      const client = await MonitorClient.connect(path, 1000);
      client.close();
      return { path, identity: client.greeting.QMP.vm };
    } catch {
      if (!alive(Number.parseInt(name, 10))) {
        try {
          unlinkSync(path);
        } catch {
          // someone else cleaned up
        }
      }
      return undefined;
    }
  }));
  return found.filter((vm): vm is RunningVm => vm !== undefined).sort((a, b) => a.identity.pid - b.identity.pid);
}

export type Resolved = { readonly ok: true; readonly path: string } | { readonly ok: false; readonly message: string };

function describe(vms: readonly RunningVm[]): string {
  return vms.map((vm) => `  ${String(vm.identity.pid).padEnd(8)} ${vm.identity.name.padEnd(16)} ymir ${vm.identity.mode}`).join('\n');
}

/** The socket `--vm` names: a path (anything with a /), a PID, a name, or with none the only running VM. */
export async function resolveVm(spec: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<Resolved> {
  if (spec !== undefined && spec.includes('/')) return { ok: true, path: spec };
  const vms = await listRunningVms(env);
  if (spec === undefined) {
    if (vms.length === 1) return { ok: true, path: vms[0]!.path };
    if (vms.length === 0) return { ok: false, message: 'no running VM to attach to: start one with `ymir`, `ymir console` or `ymir run`, or give --vm PATH' };
    return { ok: false, message: `${vms.length} VMs are running; choose one with --vm PID or --vm NAME:\n  PID      NAME             COMMAND\n${describe(vms)}` };
  }
  const matches = vms.filter((vm) => (/^\d+$/.test(spec) ? vm.identity.pid === Number(spec) : vm.identity.name === spec));
  if (matches.length === 1) return { ok: true, path: matches[0]!.path };
  const list = vms.length > 0 ? `; running:\n  PID      NAME             COMMAND\n${describe(vms)}` : '; no VM is running';
  return { ok: false, message: matches.length === 0 ? `no running VM is '${spec}'${list}` : `${matches.length} running VMs are named '${spec}': use --vm PID${list}` };
}
