/**
 * `ymir`: the host side of ymir-dbg. With no command it boots the embedded VM in the TUI; `console`
 * and `run` are the other ways to drive a VM; `stat`, `top` and `monitor` attach to a running one
 * through its monitor socket.
 */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { VmConfigError } from '../vmm/vm.js';
import { parseScript, runScript } from './run.js';
import { type VmOptions, parseAdd, parseGdb, parseLogLevel, parseMemory, parseSeconds, parseTimeout, parseVcpus } from './options.js';
import { type TerminatingSignal, exitQuietlyOnEpipe, onTerminatingSignal, signalStatus } from './signals.js';
import { VERSION } from './version.js';
import { OutputFile, describeStop, hostVm } from './vm-host.js';

const EXIT_USAGE = 2;

/** A usage error: one line, and where to read more. */
class UsageError extends Error {}

/** The options of a VM that ymir starts, given after the command or before it (`ymir --vcpus 4 run`). */
const VM_OPTIONS: readonly (() => Option)[] = [
  () => new Option('--vcpus <n>', 'vCPUs, one thread each (default 2)').argParser(parseVcpus),
  () => new Option('--memory <size>', 'guest memory, e.g. 64M, 1536M or 1.5G (default 64M)').argParser(parseMemory),
  () => new Option('--stealth', 'hide the hypervisor: VMCALL raises #UD, CPUID shows none'),
  () => new Option('--log-level <level>', 'VMM log level: debug, info, warn or error (default info)').argParser(parseLogLevel),
  () => new Option('--name <name>', 'the VM\'s name on its monitor (ymir stat --vm NAME)'),
  () => new Option('--monitor <path>', 'serve the monitor socket at PATH (default $XDG_RUNTIME_DIR/ymir/PID.sock)'),
  () => new Option('--gdb <[host:]port>', 'serve the gdb remote protocol on PORT (loopback unless HOST is given)').argParser(parseGdb),
  () => new Option('--gdb-wait', 'hold the guest before its first instruction until gdb continues it (on :1234 without --gdb)'),
  () => new Option('--kernel <file>', 'boot this Multiboot kernel instead of guest/build/kernel'),
  () => new Option('--initrd <file>', 'the initramfs (cpio newc) to load as its module instead of guest/build/initramfs.cpio'),
  () => new Option('--append <cmdline>', 'the kernel command line'),
  () => new Option('--add <guest=host>', 'put a host file or directory into the initramfs at GUEST, e.g. /bin/hello=./hello (repeatable)').argParser(parseAdd),
];
const VM_KEYS = ['vcpus', 'memory', 'stealth', 'logLevel', 'name', 'monitor', 'gdb', 'gdbWait', 'kernel', 'initrd', 'append', 'add'] as const;
const COM2_OPTION = (): Option => new Option('--com2 <file>', 'write what the guest sends on COM2 to FILE (default: discarded)');
const VM_DEFAULTS: VmOptions = { vcpus: 2, memory: 64 * 2 ** 20, stealth: false, logLevel: 'info' };

function withVmOptions(command: Command): Command {
  for (const option of VM_OPTIONS) command.addOption(option());
  return command;
}

/** The VM options (and --com2) of `command`, each from after the command if given there, else from before it. */
function vmOptions(program: Command, command: Command): VmOptions & { com2?: string } {
  const merged: Record<string, unknown> = { ...VM_DEFAULTS };
  for (const key of [...VM_KEYS, 'com2']) {
    const source = command.getOptionValueSource(key) === 'cli' ? command : program.getOptionValueSource(key) === 'cli' ? program : undefined;
    if (source) merged[key] = source.getOptionValue(key);
  }
  return merged as unknown as VmOptions & { com2?: string };
}

/** `ymir --vcpus 4 stat`: options given before a command that does not use them are refused, not dropped. */
function refuseOptions(program: Command, name: string, why: string, keys: readonly string[] = [...VM_KEYS, 'com2']): void {
  const given = keys.filter((key) => program.getOptionValueSource(key) === 'cli');
  if (given.length > 0) {
    const flag = `--${given[0]!.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    throw new UsageError(`${flag} does not apply to ${name}: ${why}`);
  }
}

function usageLine(command: Command): string {
  const path: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) path.unshift(c.name());
  return path.join(' ');
}

/** Commander's errors as one line with a pointer to --help, instead of the whole help text. */
function oneLineErrors(command: Command): Command {
  return command.configureOutput({
    outputError: (text, write) => {
      const message = text.replace(/^error: /, '').trim().split('\n')[0]!
        .replace(/^option '(-[-\w]+)[^']*' argument '([^']*)' is invalid\. (.*?)\.?$/, '$1 $2: $3');
      write(`${usageLine(command)}: ${message} (see '${usageLine(command)} --help')\n`);
    },
  });
}

/** Runs `body` with SIGINT/SIGTERM/SIGHUP cleaning up through `cleanup` first. */
async function withSignals<T>(cleanup: (signal: TerminatingSignal) => Promise<void> | void, body: () => Promise<T>): Promise<T> {
  const release = onTerminatingSignal(cleanup);
  try {
    return await body();
  } finally {
    release();
  }
}

async function tuiCommand(options: VmOptions & { com2?: string }): Promise<number> {
  const { stdout, stdin } = process;
  const { MIN_COLUMNS, MIN_ROWS } = await import('./layout.js');
  if (!stdout.isTTY || !stdin.isTTY) {
    process.stderr.write('ymir: the TUI needs a terminal. Use `ymir console` for a plain serial console, or `ymir run SCRIPT` for a scripted session.\n');
    return EXIT_USAGE;
  }
  if ((stdout.columns ?? 0) < MIN_COLUMNS || (stdout.rows ?? 0) < MIN_ROWS) {
    process.stderr.write(`ymir: the terminal is ${stdout.columns}x${stdout.rows}; the TUI needs at least ${MIN_COLUMNS}x${MIN_ROWS}. Resize it, or use \`ymir console\`.\n`);
    return EXIT_USAGE;
  }
  const com2 = options.com2 === undefined ? undefined : OutputFile.open(options.com2);
  if (typeof com2 === 'string') throw new UsageError(`--com2: ${com2}`);
  const hosted = await hostVm(options, 'tui', com2);
  let tui: Awaited<ReturnType<typeof import('./tui.js')['runTui']>> | undefined;
  return withSignals(async (signal) => {
    tui?.close();
    stdout.write(`ymir: VM ${describeStop(await hosted.shutdown(), signal)}\n`);
  }, async () => {
    const { runTui } = await import('./tui.js'); // Ink loads only for the TUI (yoga takes half a second)
    tui = await runTui(hosted.vm, { stdin, stdout, debug: hosted.debug });
    await tui.done;
    tui.close();
    const reason = await hosted.shutdown();
    stdout.write(`ymir: VM ${describeStop(reason)}\n`);
    return reason.kind === 'debug-exit' ? reason.status : reason.kind === 'host-stop' ? 0 : 1;
  });
}

async function consoleCommand(options: VmOptions & { com2?: string }): Promise<number> {
  const com2 = options.com2 === undefined ? undefined : OutputFile.open(options.com2);
  if (typeof com2 === 'string') throw new UsageError(`--com2: ${com2}`);
  const hosted = await hostVm(options, 'console', com2);
  const [{ runConsole }, { Hmp }] = await Promise.all([import('./console.js'), import('./monitor/hmp.js')]);
  const restore = (): void => {
    if (process.stdin.isTTY) process.stdin.setRawMode(false);
  };
  return withSignals(async (signal) => {
    restore();
    process.stdout.write(`\r\nymir: VM ${describeStop(await hosted.shutdown(), signal)}\r\n`);
  }, async () => {
    await runConsole(hosted.vm, process, new Hmp(hosted.vm, hosted.identity.name));
    const reason = await hosted.shutdown();
    process.stdout.write(`\r\nymir: VM ${describeStop(reason)}\r\n`);
    return reason.kind === 'debug-exit' ? reason.status : reason.kind === 'host-stop' ? 0 : 1;
  });
}

interface RunOptions extends VmOptions {
  readonly commands?: string;
  readonly json?: boolean;
  readonly keepGoing?: boolean;
  readonly timeout: number;
  readonly transcript?: string;
}

function readStdin(): Buffer {
  try {
    return readFileSync(0);
  } catch (error) {
    throw new UsageError(`cannot read the script from stdin: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

async function runCommand(file: string | undefined, options: RunOptions): Promise<number> {
  if (file !== undefined && options.commands !== undefined) throw new UsageError('give a SCRIPT file or -c COMMANDS, not both');
  let bytes: Uint8Array;
  let source: string;
  if (options.commands !== undefined) {
    bytes = Buffer.from(options.commands.split(';').join('\n'));
    source = '-c';
  } else if (file === '-') {
    bytes = readStdin();
    source = 'stdin';
  } else if (file !== undefined) {
    try {
      bytes = readFileSync(file);
    } catch (error) {
      process.stderr.write(`ymir run: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}\n`);
      return EXIT_USAGE;
    }
    source = file;
  } else throw new UsageError('give a SCRIPT file, - for stdin, or -c COMMANDS');
  const script = parseScript(bytes);
  if (!script.ok) {
    process.stderr.write(`ymir run: ${source}: ${script.error}\n`);
    return EXIT_USAGE;
  }
  if (script.commands.length === 0) return 0; // nothing to run: no VM to boot
  const transcript = options.transcript === undefined ? undefined : OutputFile.open(options.transcript);
  if (typeof transcript === 'string') {
    process.stderr.write(`ymir run: --transcript: ${transcript}\n`);
    return EXIT_USAGE;
  }
  exitQuietlyOnEpipe();
  const hosted = await hostVm(options, 'run');
  const json = options.json === true;
  const emitJson = (line: string): void => { process.stdout.write(`${line}\n`); };
  return withSignals(async (signal) => {
    const reason = await hosted.shutdown();
    transcript?.close();
    if (json) emitJson(JSON.stringify({ summary: { status: signalStatus(signal), outcome: 'signal', signal, commands: script.commands.length } }));
    process.stderr.write(`ymir run: VM ${describeStop(reason, signal)}\n`);
  }, async () => {
    const result = await runScript(hosted.vm, {
      lines: script.lines, json, keepGoing: options.keepGoing === true, timeoutMs: options.timeout * 1000,
      onLine: (line, kind) => {
        transcript?.write(`${line}\n`);
        if (!json && kind === 'output') process.stdout.write(`${line}\n`);
      },
      onJson: emitJson,
    }, script.commands);
    await hosted.shutdown();
    transcript?.close();
    if (!result.started && !json) process.stdout.write(`${result.bootText}\n`);
    if (result.outcome === 'timeout') process.stderr.write(`ymir run: timed out after ${options.timeout} s\n`);
    else if (result.stop && result.stop.kind !== 'debug-exit') process.stderr.write(`ymir run: VM ${describeStop(result.stop)}\n`);
    return result.status;
  });
}

interface StatCommandOptions {
  readonly vm?: string;
  readonly once?: boolean;
  readonly log?: boolean;
  readonly logToFile?: string;
  readonly csv?: boolean;
  readonly skipZeroRecords?: boolean;
  readonly fields?: string;
  readonly setDelay: number;
}

async function attach(spec: string | undefined): Promise<import('./monitor/remote-vm.js').RemoteVm> {
  const [{ resolveVm }, { RemoteVm }] = await Promise.all([import('./monitor/discovery.js'), import('./monitor/remote-vm.js')]);
  const resolved = await resolveVm(spec);
  if (!resolved.ok) throw new UsageError(resolved.message);
  try {
    return await RemoteVm.attach(resolved.path);
  } catch (error) {
    throw new UsageError(`cannot attach to ${resolved.path}: ${(error as Error).message}`, { cause: error });
  }
}

async function statCommand(options: StatCommandOptions): Promise<number> {
  let fields: RegExp | undefined;
  if (options.fields !== undefined) {
    if (options.fields === 'help') {
      const { EXIT_REASON_COUNT, exitReasonName } = await import('../shell-protocol/exit-reasons.js');
      process.stdout.write(`${Array.from({ length: EXIT_REASON_COUNT }, (_, r) => exitReasonName(r)).filter((n) => !/^\d+$/.test(n)).join('\n')}\n`);
      return 0;
    }
    try {
      fields = new RegExp(options.fields);
    } catch {
      throw new UsageError(`-f: '${options.fields}' is not a regular expression`);
    }
  }
  if (options.csv && !options.log && options.logToFile === undefined) throw new UsageError('-c needs -l or -L (CSV is a logging format)');
  const logFile = options.logToFile === undefined ? undefined : OutputFile.open(options.logToFile);
  if (typeof logFile === 'string') throw new UsageError(`-L: ${logFile}`);
  exitQuietlyOnEpipe();
  const view = await attach(options.vm);
  const { runStat } = await import('./stat.js');
  const restore = (): void => {
    if (process.stdin.isTTY) process.stdin.setRawMode(false);
  };
  return withSignals((signal) => {
    restore();
    logFile?.close();
    process.stderr.write(`ymir stat: detached (${signal}); the VM keeps running\n`);
  }, async () => {
    await runStat(view, {
      once: options.once === true, log: options.log === true, csv: options.csv === true, skipZero: options.skipZeroRecords === true,
      intervalMs: options.setDelay * 1000,
      ...(fields ? { fields } : {}),
      ...(logFile ? { logFile: { write: (text: string) => { logFile.write(text); return true; } } as unknown as NodeJS.WritableStream } : {}),
    }, { stdout: process.stdout, stdin: process.stdin, env: process.env });
    view.close();
    logFile?.close();
    return 0;
  });
}

async function topCommand(options: { vm?: string; interval: number }): Promise<number> {
  const { runTop, topTerminalProblem } = await import('./top.js'); // blessed loads only for this command
  const problem = topTerminalProblem(process);
  if (problem) {
    process.stderr.write(`${problem}\n`);
    return EXIT_USAGE;
  }
  const view = await attach(options.vm);
  const result = await runTop(view, { intervalMs: options.interval * 1000 });
  view.close();
  process.stdout.write(result.stop ? `ymir: VM ${describeStop(result.stop)}\n` : `ymir top: detached; the VM (pid ${view.identity.pid}) keeps running\n`);
  return result.status;
}

async function monitorCommand(options: { vm?: string }): Promise<number> {
  const [{ resolveVm }, { runMonitorPrompt }] = await Promise.all([import('./monitor/discovery.js'), import('./monitor/prompt.js')]);
  const resolved = await resolveVm(options.vm);
  if (!resolved.ok) throw new UsageError(resolved.message);
  return runMonitorPrompt(resolved.path, process);
}

async function main(argv: readonly string[]): Promise<number> {
  let status = 0;
  const program = oneLineErrors(new Command('ymir'))
    .description('ymir-dbg: a debug shell over VMCALL, on a modelled VMX machine.\nWith no command: the TUI (Ctrl-G in it lists its keys).')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'this help')
    .helpCommand('help [command]', 'help for a command')
    .exitOverride()
    .allowExcessArguments(true) // so that `ymir frob` reaches the action and is named an unknown command
    // `ymir run --stealth`: options after a command are the command's; those before it are ymir's.
    .enablePositionalOptions();
  withVmOptions(program).addOption(COM2_OPTION()).action(async (_options: unknown, command: Command) => {
    if (command.args.length > 0) throw new UsageError(`unknown command '${command.args[0]}'`);
    status = await tuiCommand(vmOptions(program, command));
  });
  program.addHelpText('after', `
Commands that start a VM (the TUI, console, run) serve a monitor socket; stat, top and monitor
attach to it (--vm NAME|PID|PATH, or the only VM running). Exit status: the guest's poweroff
status; 2 for bad usage or a bad script; 124 when run times out; 128+N after signal N.`);

  oneLineErrors(withVmOptions(program.command('console')).addOption(COM2_OPTION()))
    .description('COM1 on this terminal, no TUI, like qemu -nographic (Ctrl-A X quits, Ctrl-A C monitor)')
    .action(async (_options: unknown, command: Command) => {
      status = await consoleCommand(vmOptions(program, command));
    });

  oneLineErrors(withVmOptions(program.command('run')))
    .description('boot headless, run ymirsh commands, print their output as it comes, exit with their status')
    .argument('[script]', 'a file of ymirsh commands, one a line (# comments); - reads it from stdin')
    .option('-c, --commands <cmds>', 'commands separated by ;')
    .option('--json', 'one checked JSON object per command, then a summary object')
    .option('-k, --keep-going', 'run every command even after one fails')
    .addOption(new Option('--timeout <seconds>', 'give up after this long, exit 124 (0: no limit)').argParser(parseTimeout).default(30))
    .option('--transcript <file>', 'write the session\'s console text to FILE')
    .action(async (file: string | undefined, _options: unknown, command: Command) => {
      refuseOptions(program, 'run', 'COM2 carries --json', ['com2']);
      status = await runCommand(file, { ...vmOptions(program, command), ...command.opts() } as RunOptions);
    });

  const attachOption = (): Option => new Option('--vm <vm>', 'the running VM: its name, PID or monitor socket path');
  oneLineErrors(program.command('stat'))
    .description('exit counters of a running VM, like kvm_stat (keys: h)')
    .addOption(attachOption())
    .option('-1, --once', 'print the table once, after one interval, and exit')
    .option('-l, --log', 'one line of rates per interval')
    .option('-L, --log-to-file <file>', 'the same lines, to FILE')
    .option('-c, --csv', 'log lines as CSV (with -l or -L)')
    .option('-z, --skip-zero-records', 'leave out log lines whose rates are all zero')
    .option('-f, --fields <regex>', 'only the events matching REGEX (-f help lists them)')
    .addOption(new Option('-s, --set-delay <seconds>', 'seconds between refreshes').argParser(parseSeconds).default(1))
    .action(async (options: StatCommandOptions) => {
      refuseOptions(program, 'stat', 'it watches a running VM (--vm)');
      status = await statCommand(options);
    });

  oneLineErrors(program.command('top'))
    .description('a dashboard of a running VM: exit rates and totals, registers, the VMM log')
    .addOption(attachOption())
    .addOption(new Option('--interval <seconds>', 'chart refresh interval').argParser(parseSeconds).default(1))
    .action(async (options: { vm?: string; interval: number }) => {
      refuseOptions(program, 'top', 'it watches a running VM (--vm)');
      status = await topCommand(options);
    });

  oneLineErrors(program.command('monitor'))
    .description('the human monitor of a running VM (info registers, x, stop, cont, ...; help lists them)')
    .addOption(attachOption())
    .action(async (options: { vm?: string }) => {
      refuseOptions(program, 'monitor', 'it talks to a running VM (--vm)');
      status = await monitorCommand(options);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof UsageError || error instanceof VmConfigError) {
      const command = argv.find((a) => ['console', 'run', 'stat', 'top', 'monitor'].includes(a));
      const name = command ? `ymir ${command}` : 'ymir';
      process.stderr.write(`${name}: ${error.message.includes('\n') ? error.message : `${error.message} (see '${name} --help')`}\n`);
      return EXIT_USAGE;
    }
    const code = (error as { exitCode?: number; code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') return 0;
    if ((error as { exitCode?: number }).exitCode !== undefined) return EXIT_USAGE;
    throw error;
  }
  return status;
}

process.exitCode = await main(process.argv.slice(2));
// Worker threads are gone once every VM stopped; leave now rather than wait on stray timers.
process.exit();
