import { useEffect, useState } from 'react';
import type { RegisterSnapshot, VmView } from '../../vmm/monitor-api.js';
import { useInterval } from './use-interval.js';

export interface RegistersView {
  readonly current: RegisterSnapshot;
  /** The snapshot shown before the current one, to highlight what changed. */
  readonly previous: RegisterSnapshot | undefined;
}

/** Whether two snapshots hold the same state (a vCPU republishes an unchanged one whenever it is asked). */
export function sameRegisters(a: RegisterSnapshot, b: RegisterSnapshot): boolean {
  for (const key of Object.keys(a) as (keyof RegisterSnapshot)[]) {
    if (key === 'sequence') continue;
    const x = a[key];
    const y = b[key];
    if (Array.isArray(x) && Array.isArray(y) ? x.some((v, i) => v !== y[i]) : x !== y) return false;
  }
  return true;
}

/**
 * A vCPU's registers polled every `ms`, and at once whenever `refresh` changes (a debugger stop).
 * The view changes only when a register did, so an idle vCPU costs no redraws.
 */
export function useRegisters(vm: VmView, vcpu: number, refresh = 0, ms = 250): RegistersView {
  const [view, setView] = useState<RegistersView>(() => ({ current: vm.registers(vcpu), previous: undefined }));
  const poll = (): void => {
    const next = vm.registers(vcpu);
    setView((old) => (old.current.vcpu === vcpu && sameRegisters(next, old.current) ? old : { current: next, previous: old.current.vcpu === vcpu ? old.current : undefined }));
  };
  useInterval(poll, ms);
  useEffect(poll, [refresh, vcpu]);
  return view;
}
