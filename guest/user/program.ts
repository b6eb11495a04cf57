/** A guest user program: what the init shell can start as a process at CPL 3. */
import type { UserRuntime } from './runtime.js';

export interface Program {
  readonly name: string;
  /** One line for the shell's `help`. */
  readonly summary: string;
  /** Runs at CPL 3 in the process's own address space; returns the exit status. */
  main(rt: UserRuntime, argv: readonly string[]): number;
}
