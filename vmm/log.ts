/**
 * The VMM log, in Ymir's format on COM1 (`[INFO ] vmc     | message`: level padded to 5, scope
 * padded to 7), with the same records kept in the shared log ring for the monitor and LOG_READ.
 */
import type { LogLevel } from './monitor-api.js';
import { LEVELS } from './log-ring.js';
import { Control, type VmShared } from './shared.js';

const LABEL: Record<LogLevel, string> = { debug: 'DEBUG', info: 'INFO ', warn: 'WARN ', error: 'ERROR' };
const encoder = new TextEncoder();
const DEBUG = LEVELS.indexOf('debug');

export function formatLogLine(level: LogLevel, scope: string, message: string): string {
  return `[${LABEL[level]}] ${scope.padEnd(7)} | ${message}\n`;
}

export function logLevelIndex(level: LogLevel): number {
  return LEVELS.indexOf(level);
}

export class VmmLog {
  constructor(
    private readonly shared: VmShared,
    /** Asked while COM1 is full: true when the VM is stopping and waiting makes no sense. */
    private readonly stopping: () => boolean,
    /** Whether the guest left a line open on COM1 (then the record starts on a fresh line). */
    private readonly takeOpenLine: () => boolean,
  ) {}

  get level(): number {
    return Atomics.load(this.shared.control, Control.LOG_LEVEL);
  }

  /** Whether the level is debug: exits and VMCALLs are traced (`--log-level debug`). */
  get tracing(): boolean {
    return this.level === DEBUG;
  }

  /**
   * A debug record for the log ring only (the TUI's log pane, `ymirsh log`, the monitor), not
   * COM1: one line per exit on the console would bury the guest's own output.
   */
  trace(scope: string, message: string): void {
    if (this.tracing) this.shared.log.append('debug', scope, message, this.shared.uptimeMs());
  }

  write(level: LogLevel, scope: string, message: string): void {
    if (logLevelIndex(level) < this.level) return;
    this.shared.log.append(level, scope, message, this.shared.uptimeMs());
    const line = formatLogLine(level, scope, message);
    this.shared.com1Tx.pushAll(encoder.encode(this.takeOpenLine() ? `\n${line}` : line), this.stopping);
  }

  scope(name: string): ScopedLog {
    return new ScopedLog(this, name);
  }
}

/** A logger bound to one scope, as each Ymir file declares `const log = std.log.scoped(.vmc)`. */
export class ScopedLog {
  constructor(private readonly log: VmmLog, readonly name: string) {}
  debug(message: string): void { this.log.write('debug', this.name, message); }
  info(message: string): void { this.log.write('info', this.name, message); }
  warn(message: string): void { this.log.write('warn', this.name, message); }
  err(message: string): void { this.log.write('error', this.name, message); }
}
