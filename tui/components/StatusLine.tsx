import { Text } from 'ink';
import type { VmState } from '../../vmm/monitor-api.js';
import { compactNumber } from '../exit-table.js';

export interface StatusLineProps {
  readonly state: VmState;
  /** As uptimeLabel writes it. */
  readonly uptime: string;
  readonly exitRate: number;
  readonly raw: boolean;
  readonly width: number;
  /** Set once the VM stopped by itself: what happened, shown instead of the keys. */
  readonly stopped?: string;
  /** Set while the debugger holds the VM: who stopped it and why, shown instead of its state. */
  readonly debugger?: string;
  /** The answer to the last key (why it did nothing), shown alone until the next key. */
  readonly notice?: string;
}

const STATE_COLOURS: Record<VmState, string> = { created: 'gray', running: 'green', paused: 'yellow', stopped: 'red' };

const COOKED_KEYS = ['^G help', '^Q quit', 'Tab focus', '^T raw', '^P pause', '^S step', '^O sort', '^X exits scope', 'PgUp/PgDn scroll'];
const STOPPED_KEYS = ['^P continue', '^S step', '^G help', '^Q quit', 'Tab focus'];
const RAW_KEYS = ['^T cooked', '^Q quit', 'keys go to the guest'];

/**
 * Uptime to the minute: the status line changes (and the screen redraws) once a minute while the
 * VM idles, not every second — a redraw of the whole TUI costs tens of milliseconds.
 */
export function uptimeLabel(uptimeMs: number): string {
  const minutes = Math.floor(uptimeMs / 60_000);
  return minutes === 0 ? '<1m' : minutes < 60 ? `${minutes}m` : `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** Keys that fit in `width`, whole ones only, most needed first. */
export function fittingKeys(keys: readonly string[], width: number): string {
  let out = '';
  for (const key of keys) {
    const next = out === '' ? key : `${out} · ${key}`;
    if (next.length > width) break;
    out = next;
  }
  return out;
}

export function StatusLine({ state, uptime, exitRate, raw, width, stopped, debugger: held, notice }: StatusLineProps) {
  if (stopped) {
    return <Text wrap="truncate"><Text inverse color="red">{` ${stopped} · press any key to exit `.slice(0, width)}</Text></Text>;
  }
  if (notice !== undefined) return <Text wrap="truncate"><Text inverse color="yellow">{` ${notice} `}</Text></Text>;
  const left = held === undefined ? ` VM ${state} · up ${uptime} · ${compactNumber(exitRate)} exits/s ` : ` ${held} `;
  const keys = raw ? RAW_KEYS : held === undefined ? COOKED_KEYS : STOPPED_KEYS;
  return (
    <Text wrap="truncate">
      <Text inverse color={held === undefined ? STATE_COLOURS[state] : 'magenta'}>{left}</Text>
      <Text color="gray"> {fittingKeys(keys, width - left.length - 1)}</Text>
    </Text>
  );
}
