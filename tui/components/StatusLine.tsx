import { Text } from 'ink';
import type { VmState } from '../../vmm/monitor-api.js';

export interface StatusLineProps {
  readonly state: VmState;
  readonly uptimeMs: number;
  readonly exitRate: number;
  readonly raw: boolean;
  readonly width: number;
}

const STATE_COLOURS: Record<VmState, string> = { created: 'gray', running: 'green', paused: 'yellow', stopped: 'red' };

export function StatusLine({ state, uptimeMs, exitRate, raw, width }: StatusLineProps) {
  // Most needed first: a narrow terminal cuts from the right.
  const keys = raw ? '^T cooked · ^Q quit · keys go to the guest' : '^G help · ^Q quit · Tab focus · ^T raw · ^P pause · ^O sort · PgUp/PgDn scroll';
  const left = ` VM ${state} · up ${(uptimeMs / 1000).toFixed(1)}s · ${Math.round(exitRate)} exits/s `;
  return (
    <Text wrap="truncate">
      <Text inverse color={STATE_COLOURS[state]}>{left}</Text>
      <Text color="gray"> {keys.slice(0, Math.max(0, width - left.length - 1))}</Text>
    </Text>
  );
}
