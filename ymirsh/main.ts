/**
 * ymirsh: the debug shell inside the guest. Interactive over the serial console (its own line
 * editing in raw mode), or scripted: `ymirsh -c 'cmd; cmd'`, `ymirsh FILE`, with `-k` to keep going
 * after a failure and `--json` for one JSON object per command on the data channel (COM2).
 */
import { Signal } from '../guest/abi.js';
import { SyscallError, type UserRuntime, VmcallUnavailable } from '../guest/user/runtime.js';
import type { Program } from '../guest/user/program.js';
import { statusName } from '../shell-protocol/constants.js';
import { COMMANDS, type Command, CommandFailed, type Shell, UsageError, dumpCommand } from './commands.js';
import { LineEditor } from './line-editor.js';
import { CallError, Transport } from './transport.js';

export const PROMPT = 'ymirsh> ';
/** Exit status when VMCALL raises #UD (sysexits' EX_UNAVAILABLE). */
export const EXIT_NO_VMM = 69;
export const EXIT_USAGE = 2;
const USAGE = 'usage: ymirsh [-k] [--json] [-c COMMANDS | FILE]';

type Outcome = { readonly status: number; readonly data?: unknown; readonly error?: string };

class Session implements Shell {
  readonly transport: Transport;
  private readonly byName = new Map(COMMANDS.map((c) => [c.name, c]));

  constructor(readonly rt: UserRuntime) {
    this.transport = new Transport(rt);
  }

  print(text: string): void {
    this.rt.print(text);
  }

  keyPressed(): boolean {
    if (this.rt.available() === 0) return false;
    this.rt.read(0, 64); // the key only stops the display
    return true;
  }

  names(): string[] {
    return [...this.byName.keys(), 'help', 'exit', 'x/', 'xp/'].sort();
  }

  private find(name: string): Command | undefined {
    return this.byName.get(name) ?? dumpCommand(name);
  }

  /** Run one command line; `exit` is the caller's business. */
  run(line: string): Outcome {
    const [name, ...args] = line.trim().split(/\s+/);
    if (!name) return { status: 0 };
    if (name === 'help') return this.help(args[0]);
    const command = this.find(name);
    if (!command) {
      this.print(`ymirsh: ${name}: unknown command (try help)\n`);
      return { status: EXIT_USAGE, error: 'unknown command' };
    }
    try {
      const result = command.run(this, args);
      return { status: 0, data: result.data };
    } catch (error) {
      if (error instanceof UsageError) {
        this.print(`${command.name}: ${error.message}\nusage: ${command.usage}\n`);
        return { status: EXIT_USAGE, error: error.message };
      }
      if (error instanceof CommandFailed || error instanceof CallError || error instanceof SyscallError) {
        this.print(`${command.name}: ${error.message}\n`);
        return { status: 1, error: error.message };
      }
      throw error;
    }
  }

  private help(name: string | undefined): Outcome {
    if (name !== undefined) {
      const command = this.find(name);
      if (!command) {
        this.print(`help: no command ${name}\n`);
        return { status: EXIT_USAGE, error: 'unknown command' };
      }
      this.print(`usage: ${command.usage}\n  ${command.summary}\n`);
      return { status: 0 };
    }
    const lines = ['ymirsh commands (help CMD for usage):'];
    const rows: [string, string][] = [...COMMANDS, dumpCommand('x')!, dumpCommand('xp')!].map((c) => [c.usage.split(' ')[0]!, c.summary]);
    rows.push(['help [CMD]', 'this list, or one command\'s usage'], ['exit', 'leave ymirsh (or Ctrl-D)']);
    for (const [name, summary] of rows) lines.push(`  ${name.padEnd(11)} ${summary}`);
    this.print(`${lines.join('\n')}\n`);
    return { status: 0 };
  }
}

interface Options {
  keepGoing: boolean;
  json: boolean;
  commands: string[] | undefined;
  file: string | undefined;
}

function parseOptions(argv: readonly string[]): Options | string {
  const options: Options = { keepGoing: false, json: false, commands: undefined, file: undefined };
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-k') options.keepGoing = true;
    else if (arg === '--json') options.json = true;
    else if (arg === '-c') {
      const text = argv[++i];
      if (text === undefined) return '-c needs COMMANDS';
      options.commands = splitScript(text, ';');
    } else if (arg === '-h' || arg === '--help') return '';
    else if (arg.startsWith('-')) return `unknown option ${arg}`;
    else if (options.file === undefined) options.file = arg;
    else return 'one script file';
  }
  return options;
}

/** Script lines: `#` starts a comment, blank lines are skipped. */
export function splitScript(text: string, separator: string | RegExp): string[] {
  return text.split(separator).map((line) => line.replace(/#.*$/, '').trim()).filter((line) => line !== '');
}

function runScript(session: Session, rt: UserRuntime, commands: readonly string[], options: Options): number {
  let firstFailure = 0;
  for (const line of commands) {
    rt.print(`${PROMPT}${line}\n`);
    const outcome = line === 'exit' ? { status: 0 } : session.run(line);
    if (options.json) rt.printData(`${JSON.stringify({ command: line, status: outcome.status, ok: outcome.status === 0, ...(outcome.error ? { error: outcome.error } : {}), ...(outcome.data !== undefined ? { data: outcome.data } : {}) })}\n`);
    if (line === 'exit') break;
    if (outcome.status !== 0 && firstFailure === 0) {
      firstFailure = outcome.status;
      if (!options.keepGoing) break;
    }
  }
  return firstFailure;
}

function interactive(session: Session, rt: UserRuntime): number {
  let pending: number[] = [];
  const editor = new LineEditor({
    readByte: () => {
      while (pending.length === 0) pending = [...rt.read(0, 256)];
      return pending.shift()!;
    },
    write: (text) => rt.print(text),
  }, (prefix) => session.names().filter((name) => name.startsWith(prefix)));
  rt.setRaw(true);
  try {
    for (;;) {
      const input = editor.read(PROMPT);
      if (input.kind === 'eof') return 0;
      if (input.kind === 'cancel') continue;
      for (const line of splitScript(input.text, ';')) {
        if (line === 'exit') return 0;
        session.run(line);
      }
    }
  } finally {
    rt.setRaw(false);
  }
}

export const ymirsh: Program = {
  name: 'ymirsh',
  summary: 'the debug shell over VMCALL (ymirsh --help)',
  main(rt, argv) {
    const options = parseOptions(argv);
    if (typeof options === 'string') {
      rt.print(options === '' ? `${USAGE}\n` : `ymirsh: ${options}\n${USAGE}\n`);
      return options === '' ? 0 : EXIT_USAGE;
    }
    rt.catchSignal(Signal.SIGILL);
    const session = new Session(rt);
    try {
      const probe = session.transport.probe();
      const scripted = options.commands !== undefined || options.file !== undefined;
      if (!scripted) rt.print(`ymirsh: connected to the VMM over VMCALL, ABI ${probe.major}.${probe.minor}. Type help.\n`);
      if (options.commands) return runScript(session, rt, options.commands, options);
      if (options.file !== undefined) {
        const bytes = rt.readFile(options.file);
        if (!bytes) {
          rt.print(`ymirsh: ${options.file}: No such file or directory\n`);
          return EXIT_USAGE;
        }
        return runScript(session, rt, splitScript(new TextDecoder().decode(bytes), /\r?\n/), options);
      }
      return interactive(session, rt);
    } catch (error) {
      if (error instanceof VmcallUnavailable) {
        rt.print('ymirsh: VMCALL raised #UD: no hypervisor answers it (bare metal, or a VMM in stealth mode)\n');
        return EXIT_NO_VMM;
      }
      if (error instanceof CallError) {
        rt.print(`ymirsh: ${error.message} (${statusName(error.status)})\n`);
        return 1;
      }
      throw error;
    }
  },
};
