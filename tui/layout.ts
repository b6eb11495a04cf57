/**
 * How the screen is divided at a given terminal size (pure, so tests can check every size).
 *
 * Wide screens (118 columns and 30 rows or more) put the console on the left with at least 80
 * columns, the registers, code and exits panes beside it and the log along the bottom. Anything
 * smaller stacks: the console takes the whole width (80 columns at 80x24, what a guest assumes of a
 * serial terminal) and one strip below it shows one side pane at a time — the focused one, or the
 * last one focused.
 */
export const MIN_COLUMNS = 80;
export const MIN_ROWS = 24;
/** Columns the console keeps before side panes may sit beside it. */
const CONSOLE_MIN_COLUMNS = 80;
const SIDE_MIN_COLUMNS = 38;
const SIDE_MAX_COLUMNS = 51;

export type Layout =
  | {
    readonly kind: 'side';
    readonly columns: number;
    readonly rows: number;
    readonly consoleColumns: number;
    /** Console text rows, below its title row. */
    readonly consoleRows: number;
    readonly sideColumns: number;
    /** Content rows inside each bordered pane. */
    readonly registerRows: number;
    readonly codeRows: number;
    readonly exitRows: number;
    readonly logRows: number;
  }
  | {
    readonly kind: 'stacked';
    readonly columns: number;
    readonly rows: number;
    readonly consoleColumns: number;
    readonly consoleRows: number;
    /** Content rows of the strip, below its title row. */
    readonly stripRows: number;
  };

/** Rows that are not panes: the input line and the status line. */
const CHROME_ROWS = 2;

export function layout(columns: number, rows: number): Layout {
  const width = Math.max(MIN_COLUMNS, columns);
  const height = Math.max(MIN_ROWS, rows);
  if (width >= CONSOLE_MIN_COLUMNS + SIDE_MIN_COLUMNS && height >= 30) {
    const sideColumns = Math.min(SIDE_MAX_COLUMNS, width - CONSOLE_MIN_COLUMNS);
    const logRows = height >= 50 ? 10 : height >= 40 ? 8 : 5;
    const top = height - CHROME_ROWS - (logRows + 2);
    const sideContent = top - 6; // three bordered panes
    // The code pane gets a few rows (RIP and what follows); the exits pane keeps what it had before it.
    const codeRows = Math.min(8, Math.max(3, Math.round(sideContent * 0.18)));
    const registerRows = Math.floor((sideContent - codeRows) * 0.45); // it scrolls; the exits pane's rows are read at a glance
    return {
      kind: 'side', columns: width, rows: height, consoleColumns: width - sideColumns, consoleRows: top - 1, sideColumns,
      registerRows, codeRows, exitRows: sideContent - codeRows - registerRows, logRows,
    };
  }
  const panes = height - CHROME_ROWS - 2; // the console's and the strip's title rows
  const stripRows = Math.min(10, Math.max(7, Math.round(panes * 0.3)));
  return { kind: 'stacked', columns: width, rows: height, consoleColumns: width, consoleRows: panes - stripRows, stripRows };
}
