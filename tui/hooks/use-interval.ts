import { useEffect, useRef } from 'react';

/** Call `tick` every `ms` while mounted (the latest `tick`, without restarting the timer). */
export function useInterval(tick: () => void, ms: number): void {
  const latest = useRef(tick);
  latest.current = tick;
  useEffect(() => {
    const timer = setInterval(() => latest.current(), ms);
    return () => clearInterval(timer);
  }, [ms]);
}
