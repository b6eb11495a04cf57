import { useEffect, useMemo, useState } from 'react';
import type { SerialPortHost } from '../../vmm/monitor-api.js';
import { ConsoleScreen } from '../console-screen.js';

/**
 * Frames per second the console redraws at most, however fast the guest prints. Below Ink's own
 * frame rate (TUI_MAX_FPS), so a key typed during a flood usually finds Ink free to draw it at once.
 */
const MAX_FPS = 20;

/** The serial console as a screen model, re-rendered at most MAX_FPS times a second. */
export function useConsole(port: SerialPortHost, maxLines = 10_000): ConsoleScreen {
  const screen = useMemo(() => new ConsoleScreen(maxLines), [port, maxLines]);
  const [, setVersion] = useState(0);
  useEffect(() => {
    let scheduled: NodeJS.Timeout | undefined;
    const unsubscribe = port.onData((bytes) => {
      screen.write(bytes);
      scheduled ??= setTimeout(() => {
        scheduled = undefined;
        setVersion(screen.version);
      }, 1000 / MAX_FPS);
    });
    return () => {
      unsubscribe();
      if (scheduled) clearTimeout(scheduled);
    };
  }, [port, screen]);
  return screen;
}
