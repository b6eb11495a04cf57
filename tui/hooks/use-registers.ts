import { useState } from 'react';
import type { RegisterSnapshot, VmMonitor } from '../../vmm/monitor-api.js';
import { useInterval } from './use-interval.js';

export interface RegistersView {
  readonly current: RegisterSnapshot;
  /** The snapshot shown before the current one, to highlight what changed. */
  readonly previous: RegisterSnapshot | undefined;
}

/** A vCPU's registers polled every `ms` (the caller remounts it, by key, to watch another vCPU). */
export function useRegisters(vm: VmMonitor, vcpu: number, ms = 250): RegistersView {
  const [view, setView] = useState<RegistersView>(() => ({ current: vm.registers(vcpu), previous: undefined }));
  useInterval(() => {
    const next = vm.registers(vcpu);
    setView((old) => (next.sequence === old.current.sequence ? old : { current: next, previous: old.current }));
  }, ms);
  return view;
}
