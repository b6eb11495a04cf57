/** How the screen is divided at a given terminal size (pure, so tests can check every size). */
export interface Layout {
  readonly consoleWidth: number;
  readonly consoleRows: number;
  readonly sideWidth: number;
  readonly registerRows: number;
  readonly exitRows: number;
  readonly logRows: number;
}

export const MIN_COLUMNS = 80;
export const MIN_ROWS = 24;

export function layout(columns: number, rows: number): Layout {
  const logRows = rows >= 40 ? 8 : rows >= 30 ? 5 : 3;
  const topHeight = rows - 2 - (logRows + 3);
  const sideWidth = columns >= 160 ? 50 : columns >= 110 ? 44 : 30;
  const sideContent = topHeight - 6; // two panes' borders and titles
  const registerRows = Math.max(2, Math.floor(sideContent / 2));
  return {
    consoleWidth: Math.max(10, columns - sideWidth - 2),
    consoleRows: Math.max(1, topHeight - 3),
    sideWidth,
    registerRows,
    exitRows: Math.max(2, sideContent - registerRows),
    logRows,
  };
}
