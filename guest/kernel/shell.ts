/**
 * /init: a busybox-style shell on the console with the prompt `~ # `. Builtins run in the kernel;
 * anything else is looked up in the program table and started as a CPL-3 process.
 */
import { ParseError, parseWords, splitCommands } from './command-line.js';
import type { Kernel } from './kernel.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
export const PROMPT = '~ # ';

type Builtin = (args: readonly string[]) => number;

export class InitShell {
  private lastStatus = 0;
  private readonly builtins: ReadonlyMap<string, { summary: string; run: Builtin }>;

  constructor(private readonly kernel: Kernel) {
    this.builtins = new Map<string, { summary: string; run: Builtin }>([
      ['help', { summary: 'list builtins and programs', run: () => this.help() }],
      ['echo', { summary: 'print the arguments', run: (args) => this.say(`${args.join(' ')}\n`) }],
      ['uptime', { summary: 'time since boot, and timer interrupts taken', run: () => this.uptime() }],
      ['cat', { summary: 'cat FILE | cat > FILE (until Ctrl-D)', run: (args) => this.cat(args) }],
      ['ls', { summary: 'list files', run: (args) => this.ls(args) }],
      ['rm', { summary: 'remove a file', run: (args) => this.rm(args) }],
      ['poweroff', { summary: 'poweroff [STATUS]: stop the machine', run: (args) => this.kernel.powerOff(Number(args[0] ?? 0)) }],
    ]);
  }

  run(): never {
    const tty = this.kernel.tty;
    tty.print('/bin/sh: can\'t access tty; job control turned off\n');
    for (;;) {
      tty.print(PROMPT);
      const bytes = tty.read(4096);
      if (bytes.length === 0) {
        tty.print('\n');
        continue; // Ctrl-D: init does not exit
      }
      this.execute(decoder.decode(bytes).replace(/\n$/, ''));
    }
  }

  execute(line: string): void {
    try {
      for (const command of splitCommands(line)) {
        const [name, ...args] = parseWords(command, this.lastStatus);
        if (name !== undefined) this.lastStatus = this.runCommand(name, args);
      }
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      this.kernel.tty.print(`sh: syntax error: ${error.message}\n`);
      this.lastStatus = 2;
    }
  }

  private runCommand(name: string, args: readonly string[]): number {
    const builtin = this.builtins.get(name);
    if (builtin) return builtin.run(args);
    const program = this.kernel.programs.get(name.replace(/^(\/bin\/|\.\/bin\/)/, ''));
    if (!program) {
      this.kernel.tty.print(`sh: ${name}: not found\n`);
      return 127;
    }
    return this.kernel.exec(program, [name, ...args]);
  }

  private say(text: string): number {
    this.kernel.tty.print(text);
    return 0;
  }

  private help(): number {
    const lines = ['Builtins:'];
    for (const [name, { summary }] of this.builtins) lines.push(`  ${name.padEnd(10)} ${summary}`);
    lines.push('Programs in /bin:');
    for (const [name, program] of this.kernel.programs) lines.push(`  ${name.padEnd(10)} ${program.summary}`);
    return this.say(`${lines.join('\n')}\n`);
  }

  private uptime(): number {
    const seconds = Number(this.kernel.uptimeNs()) / 1e9;
    return this.say(`up ${seconds.toFixed(2)} s, ${this.kernel.ticksSinceBoot()} timer interrupts, ${this.kernel.vcpus} CPUs\n`);
  }

  private cat(args: readonly string[]): number {
    const files = this.kernel.files;
    if (args[0] === '>' || args[0]?.startsWith('>')) {
      const path = args[0] === '>' ? args[1] : args[0].slice(1);
      if (!path) return this.fail('cat: missing file after >');
      if (!path.startsWith('/tmp/')) return this.fail(`cat: can't create ${path}: Read-only file system`);
      const chunks: number[] = [];
      for (;;) {
        const bytes = this.kernel.tty.read(4096);
        if (bytes.length === 0) break;
        chunks.push(...bytes);
      }
      files.set(path, Uint8Array.from(chunks));
      return 0;
    }
    let status = 0;
    for (const path of args) {
      const data = files.get(path);
      if (data) this.kernel.tty.write(data);
      else status = this.fail(`cat: can't open '${path}': No such file or directory`);
    }
    return status;
  }

  private ls(args: readonly string[]): number {
    const dir = (args[0] ?? '/').replace(/\/?$/, '/');
    const names = new Set<string>();
    for (const path of this.kernel.files.keys()) if (path.startsWith(dir)) names.add(path.slice(dir.length).split('/')[0]!);
    if (dir === '/') names.add('bin');
    if (dir === '/bin/') for (const name of this.kernel.programs.keys()) names.add(name);
    return this.say(names.size > 0 ? `${[...names].sort().join('  ')}\n` : '');
  }

  private rm(args: readonly string[]): number {
    let status = 0;
    for (const path of args) if (!this.kernel.files.delete(path)) status = this.fail(`rm: can't remove '${path}': No such file or directory`);
    return status;
  }

  private fail(message: string): number {
    this.kernel.tty.write(encoder.encode(`${message}\n`));
    return 1;
  }
}
