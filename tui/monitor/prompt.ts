/**
 * `ymir monitor`: the human monitor of a running VM over its socket, as QEMU's `(qemu)` prompt. On a
 * terminal it edits lines with history (node's readline); from a pipe it runs each line it reads.
 * Each line is sent as `human-monitor-command`; the answer is shown as plain text.
 */
import { createInterface } from 'node:readline';
import { sanitize } from '../terminal-text.js';
import { MonitorClient } from './client.js';

const PROMPT = '(ymir) ';

export interface PromptIo {
  readonly stdin: NodeJS.ReadStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** Runs the prompt until end of input, `quit`, or the VM's end; resolves with the exit status. */
export async function runMonitorPrompt(path: string, io: PromptIo): Promise<number> {
  let client: MonitorClient;
  try {
    client = await MonitorClient.connect(path);
  } catch (error) {
    io.stderr.write(`ymir monitor: ${(error as Error).message}\n`);
    return 1;
  }
  const { vm } = client.greeting.QMP;
  const terminal = 'isTTY' in io.stdin && io.stdin.isTTY === true;
  if (terminal) io.stdout.write(`ymir monitor: VM ${vm.name} (pid ${vm.pid}, ymir ${vm.mode}). help lists the commands; Ctrl-D leaves.\n`);
  const lines = createInterface({ input: io.stdin, output: terminal ? io.stdout : undefined, terminal, prompt: PROMPT, historySize: 500 });
  let gone = false;
  void client.closed.then(() => {
    gone = true;
    io.stderr.write('ymir monitor: the VM has stopped\n');
    lines.close();
  });
  if (terminal) lines.prompt();
  try {
    for await (const line of lines) {
      if (gone) break;
      const command = line.trim();
      if (command !== '') {
        try {
          const answer = await client.execute<string>('human-monitor-command', { 'command-line': command });
          if (answer !== '') io.stdout.write(`${sanitize(new TextEncoder().encode(answer))}\n`);
        } catch (error) {
          if (gone) break;
          io.stdout.write(`${(error as Error).message}\n`);
        }
        if (/^(quit|q)$/.test(command)) break;
      }
      if (terminal) lines.prompt();
    }
  } finally {
    lines.close();
    client.close();
  }
  return 0;
}
