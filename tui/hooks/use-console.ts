import { useEffect, useMemo, useState } from 'react';
import type { SerialPortHost } from '../../vmm/monitor-api.js';
import { ConsoleScreen } from '../console-screen.js';

/**
 * Frames per second the console redraws at most, however fast the guest prints. Below Ink's own
 * frame rate, so a key typed during a flood usually finds Ink free to draw it at once.
 */
const MAX_FPS = 20;

/**
 * The serial console as a screen model of `columns` x `rows` (what the guest learns if it asks
 * with a cursor position report), re-rendered at most MAX_FPS times a second.
 */
export function useConsole(port: SerialPortHost, columns: number, rows: number, maxLines = 10_000): ConsoleScreen {
  const screen = useMemo(() => new ConsoleScreen(maxLines), [port, maxLines]);
  screen.columns = columns;
  screen.rows = rows;
  const [, setVersion] = useState(0);
  useEffect(() => {
    let scheduled: NodeJS.Timeout | undefined;
    screen.onReply = (text) => { void port.write(text).catch(() => undefined); };
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
