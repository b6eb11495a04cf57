import { setFlagsFromString } from 'node:v8';

/**
 * Let V8's heap grow to twice what survived the last full GC instead of up to four times. The
 * TUI keeps about 20 MB live, but a console flood promotes its scrollback lines at megabytes a
 * second, so V8's default growth parks 50 MB and more of dead lines in old space (bench: RSS
 * 170 MiB instead of 210 MiB, frame time unchanged). Flags are per process: call it once, early.
 */
export function limitHeapGrowth(): void {
  setFlagsFromString('--heap-growing-percent=100');
}
