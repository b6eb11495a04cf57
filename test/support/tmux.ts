/**
 * A real terminal for end-to-end tests: a detached tmux session running a command, read with
 * capture-pane and typed into with send-keys, as a person at that terminal would. When the command
 * ends, the screen shows `exit status N`.
 */
import { execFileSync } from 'node:child_process';

const tmux = (...args: string[]): string => execFileSync('tmux', args, { encoding: 'utf8' });

export class TmuxTerminal {
  readonly name = `ymir-e2e-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  /** `environment` adds variables to the command's (tmux's -e), on top of this process's. */
  constructor(command: string, columns: number, rows: number, cwd: string, environment: Record<string, string> = {}) {
    // The shell prints the exit status and keeps the pane open to read the last screen (tmux's
    // remain-on-exit redraws a dead pane and loses lines).
    const wrapped = `${command}; echo "exit status $?"; sleep 600`;
    const variables = Object.entries(environment).flatMap(([name, value]) => ['-e', `${name}=${value}`]);
    tmux('new-session', '-d', '-s', this.name, '-x', String(columns), '-y', String(rows), '-c', cwd, ...variables, wrapped);
  }

  screen(): string {
    return tmux('capture-pane', '-p', '-t', this.name);
  }

  /** A tmux format variable of the pane, e.g. `pane_title`, `alternate_on`. */
  pane(variable: string): string {
    return tmux('display-message', '-p', '-t', this.name, `#{${variable}}`).trim();
  }

  /** Type text (literally), then each named key (Enter, C-q, ...) as its own keystroke. */
  type(text: string, ...keys: string[]): void {
    if (text !== '') tmux('send-keys', '-t', this.name, '-l', text);
    for (const key of keys) tmux('send-keys', '-t', this.name, key);
  }

  async waitFor(match: (screen: string) => boolean, what: string, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      if (match(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the screen:\n${screen}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * As waitFor, for a screen that also stays the same for `stillMs`: a capture can fall between
   * two rows of one redraw, and a screen read half old, half new would tell of a state never shown.
   */
  async waitForStill(match: (screen: string) => boolean, what: string, timeoutMs = 20_000, stillMs = 200): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = await this.waitFor(match, what, Math.max(0, deadline - Date.now()));
      await new Promise((resolve) => setTimeout(resolve, stillMs));
      if (this.screen() === screen) return screen;
    }
  }

  kill(): void {
    try {
      tmux('kill-session', '-t', this.name);
    } catch {
      // already gone
    }
  }
}
