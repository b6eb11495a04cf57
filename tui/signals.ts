/**
 * SIGINT, SIGTERM and SIGHUP in every `ymir` mode: the mode's own cleanup runs (terminal modes
 * back, transcript flushed, the VM stopped and its last line printed), then the process exits
 * with 128 + the signal's number, as a shell reports a command a signal ended.
 */
import { constants } from 'node:os';

export type TerminatingSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';
const SIGNALS: readonly TerminatingSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export function signalStatus(signal: TerminatingSignal): number {
  return 128 + constants.signals[signal];
}

/**
 * Until the returned function is called, a terminating signal runs `cleanup` once and ends the
 * process with 128 + signal. A second signal while cleanup runs ends it at once.
 */
export function onTerminatingSignal(cleanup: (signal: TerminatingSignal) => Promise<void> | void): () => void {
  let cleaning = false;
  const handler = (signal: TerminatingSignal): void => {
    if (cleaning) process.exit(signalStatus(signal));
    cleaning = true;
    void (async () => {
      try {
        await cleanup(signal);
      } finally {
        process.exit(signalStatus(signal));
      }
    })();
  };
  for (const signal of SIGNALS) process.on(signal, handler);
  return () => {
    for (const signal of SIGNALS) process.off(signal, handler);
  };
}

/**
 * A write to stdout whose reader went away (`ymir stat -l | head`) ends the process quietly
 * instead of with a stack trace: the output was no longer wanted.
 */
export function exitQuietlyOnEpipe(stream: NodeJS.WritableStream = process.stdout): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}
