/**
 * `ymir`: the host side of ymir-dbg. With no command it boots the embedded VM in the TUI; `console`,
 * `run`, `stat` and `top` are the other ways to watch or drive it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { type GdbAddress, parseGdbAddress, startGdbServer } from '../vmm/debug/gdb-server.js';
import { type Vm, createVm } from '../vmm/vm.js';
import type { StopReason } from '../vmm/monitor-api.js';
import { runConsole } from './console.js';
import { MIN_COLUMNS, MIN_ROWS } from './layout.js';
import { type VmOptions, parseLogLevel, parseMemory, parseSeconds, parseVcpus, vmConfig } from './options.js';
import { parseScript, runScript } from './run.js';
import { runStat } from './stat.js';
import { limitHeapGrowth } from './heap.js';

const EXIT_USAGE = 2;

function describeStop(reason: StopReason): string {
  switch (reason.kind) {
    case 'debug-exit': return `the guest powered off with status ${reason.status}`;
    case 'host-stop': return 'stopped by the host';
    case 'triple-fault': return `vCPU ${reason.vcpu} triple-faulted at rip 0x${reason.rip.toString(16)}`;
    case 'unhandled-exit': return reason.message;
    case 'internal-error': return `internal error on vCPU ${reason.vcpu}: ${reason.message}`;
  }
}

function withVmOptions(command: Command): Command {
  return command
    .addOption(new Option('--vcpus <n>', 'vCPUs, one thread each').argParser(parseVcpus).default(2))
    .addOption(new Option('--memory <size>', 'guest memory, e.g. 64M or 1G').argParser(parseMemory).default(64 * 2 ** 20, '64M'))
    .option('--stealth', 'hide the hypervisor: VMCALL raises #UD, CPUID shows none', false)
    .addOption(new Option('--log-level <level>', 'VMM log level').argParser(parseLogLevel).default('info'));
}

interface GdbOptions {
  readonly gdb?: GdbAddress;
  readonly gdbWait: boolean;
}

/** `--gdb [HOST:]PORT` and `--gdb-wait` (QEMU's -gdb and -S): a gdb server for the VM. */
function withGdbOptions(command: Command): Command {
  return command
    .addOption(new Option('--gdb <[host:]port>', 'a gdb remote server (loopback unless a host is given)').argParser((text) => {
      const address = parseGdbAddress(text);
      if (typeof address === 'string') throw new InvalidArgumentError(address);
      return address;
    }))
    .option('--gdb-wait', 'with --gdb: hold the VM before its first instruction until gdb continues it', false);
}

/** Start the gdb server before the VM starts, so that --gdb-wait holds its first instruction. */
async function serveGdb(vm: Vm, options: GdbOptions): Promise<void> {
  if (options.gdb === undefined) return;
  const server = await startGdbServer(vm, { ...options.gdb, waitForDebugger: options.gdbWait });
  process.stderr.write(`ymir: gdb server on ${server.address.host}:${server.address.port}${options.gdbWait ? ', waiting for gdb' : ''}\n`);
}

async function tui(options: VmOptions & GdbOptions): Promise<number> {
  const { stdout, stdin } = process;
  if (!stdout.isTTY || !stdin.isTTY) {
    process.stderr.write('ymir: the TUI needs a terminal. Use `ymir console` for a plain serial console, or `ymir run SCRIPT` for a scripted session.\n');
    return EXIT_USAGE;
  }
  if ((stdout.columns ?? 0) < MIN_COLUMNS || (stdout.rows ?? 0) < MIN_ROWS) {
    process.stderr.write(`ymir: the terminal is ${stdout.columns}x${stdout.rows}; the TUI needs at least ${MIN_COLUMNS}x${MIN_ROWS}. Resize it, or use \`ymir console\`.\n`);
    return EXIT_USAGE;
  }
  limitHeapGrowth();
  // Ink draws nothing but the last frame when CI or CONTINUOUS_INTEGRATION is set (it reads them
  // when it loads). This is a terminal (checked above), so a person is watching it: keep them out.
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  // Ink takes half a second to load (yoga's WebAssembly): only the TUI pays for it.
  const [{ render }, { createElement }, { App, TUI_MAX_FPS }] = await Promise.all([import('ink'), import('react'), import('./components/App.js')]);
  const vm = createVm(vmConfig(options));
  await serveGdb(vm, options);
  vm.start();
  stdout.write('\x1b[?1049h'); // the alternate screen, restored on exit
  let quit!: () => void;
  const quitting = new Promise<void>((resolve) => { quit = resolve; });
  const app = render(createElement(App, { vm, onQuit: quit }), { exitOnCtrlC: false, maxFps: TUI_MAX_FPS });
  await Promise.race([quitting, vm.waitForStop().then(() => new Promise<void>((resolve) => setTimeout(resolve, 1500)))]);
  app.unmount();
  stdout.write('\x1b[?1049l');
  const reason = await vm.stop();
  stdout.write(`ymir: VM ${describeStop(reason)}\n`);
  return 0;
}

async function main(argv: readonly string[]): Promise<number> {
  let status = 0;
  const program = new Command('ymir')
    .description('ymir-dbg: a debug shell over VMCALL, on a modelled VMX machine')
    .exitOverride()
    .showHelpAfterError()
    // `ymir run --stealth`: the VM options after a command are the command's, not the TUI's.
    .enablePositionalOptions();
  withGdbOptions(withVmOptions(program)).action(async (options: VmOptions & GdbOptions) => { status = await tui(options); });

  withGdbOptions(withVmOptions(program.command('console').description('COM1 on this terminal, no TUI (Ctrl-A X quits)'))).action(async (options: VmOptions & GdbOptions) => {
    const vm = createVm(vmConfig(options));
    await serveGdb(vm, options);
    await runConsole(vm, process.stdin, process.stdout);
    const reason = await vm.stop();
    process.stdout.write(`\r\nymir: VM ${describeStop(reason)}\r\n`);
    status = reason.kind === 'debug-exit' ? reason.status : 0;
  });

  withGdbOptions(withVmOptions(program.command('run').description('boot headless, run ymirsh commands, exit with their status')))
    .argument('[script]', 'a file of ymirsh commands, one a line (# comments)')
    .option('-c, --commands <cmds>', 'commands separated by ;')
    .option('--json', 'print the JSON objects ymirsh writes to COM2', false)
    .option('-k, --keep-going', 'run every command even after one fails', false)
    .addOption(new Option('--timeout <seconds>', 'give up after this long (exit 124)').argParser(parseSeconds).default(30))
    .option('--transcript <file>', 'write everything COM1 carried to FILE')
    .action(async (file: string | undefined, options: VmOptions & GdbOptions & { commands?: string; json: boolean; keepGoing: boolean; timeout: number; transcript?: string }) => {
      let bytes: Uint8Array;
      if (options.commands !== undefined) bytes = Buffer.from(options.commands.split(';').join('\n'));
      else if (file !== undefined) {
        try {
          bytes = readFileSync(file);
        } catch (error) {
          process.stderr.write(`ymir run: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}\n`);
          status = EXIT_USAGE;
          return;
        }
      } else {
        process.stderr.write('ymir run: give a SCRIPT file or -c COMMANDS\n');
        status = EXIT_USAGE;
        return;
      }
      const script = parseScript(bytes);
      if (!script.ok) {
        process.stderr.write(`ymir run: ${file ?? '-c'}: ${script.error}\n`);
        status = EXIT_USAGE;
        return;
      }
      const vm = createVm(vmConfig(options));
      await serveGdb(vm, options);
      const result = await runScript(vm, { lines: script.lines, json: options.json, keepGoing: options.keepGoing, timeoutMs: options.timeout * 1000 });
      if (options.transcript) writeFileSync(options.transcript, result.transcript);
      process.stdout.write(options.json ? result.json.map((line) => `${line}\n`).join('') : result.text);
      if (result.stop === undefined) process.stderr.write(`ymir run: timed out after ${options.timeout} s\n`);
      else if (result.stop.kind !== 'debug-exit') process.stderr.write(`ymir run: VM ${describeStop(result.stop)}\n`);
      status = result.status;
    });

  withVmOptions(program.command('stat').description('exit counters like kvm_stat'))
    .option('-1, --once', 'print the table once and exit', false)
    .option('-l, --log', 'one line of rates per interval', false)
    .addOption(new Option('--interval <seconds>', 'refresh interval').argParser(parseSeconds).default(1))
    .action(async (options: VmOptions & { once: boolean; log: boolean; interval: number }) => {
      const vm = createVm(vmConfig(options));
      let interrupted = false;
      process.once('SIGINT', () => { interrupted = true; });
      await runStat(vm, { once: options.once, logLines: options.log, intervalMs: options.interval * 1000 }, process.stdout, () => interrupted);
      await vm.stop();
    });

  withVmOptions(program.command('top').description('a dashboard: exit rates and totals, registers, the VMM log'))
    .addOption(new Option('--interval <seconds>', 'chart refresh interval').argParser(parseSeconds).default(1))
    .action(async (options: VmOptions & { interval: number }) => {
      const { runTop } = await import('./top.js'); // blessed loads only for this command
      const result = await runTop(() => createVm(vmConfig(options)), { intervalMs: options.interval * 1000 });
      if (result.stop) process.stdout.write(`ymir: VM ${describeStop(result.stop)}\n`);
      status = result.status;
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    const code = (error as { exitCode?: number; code?: string }).exitCode;
    if (code !== undefined) return (error as { code?: string }).code === 'commander.helpDisplayed' || (error as { code?: string }).code === 'commander.version' ? 0 : EXIT_USAGE;
    throw error;
  }
  return status;
}


process.exitCode = await main(process.argv.slice(2));
// Worker threads are gone once every VM stopped; leave now rather than wait on stray timers.
process.exit();
