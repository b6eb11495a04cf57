/**
 * The TUI's interface state and what each key does to it, in one place and outside React.
 *
 * Keys are applied to this object as they arrive, not to the last rendered props: a terminal can
 * deliver "help" and Enter in two reads before Ink re-renders, and an input computed from the
 * rendered value would send an empty line and drop "help". Effects on the VM are returned, not run.
 */
import type { Key } from 'ink';
import { DisSyntax } from '../shell-protocol/constants.js';
import type { LogLevel } from '../vmm/monitor-api.js';
import { EXIT_SORT_KEYS, type ExitSortKey } from './exit-table.js';
import { LEVELS } from './components/LogPane.js';
import { keyBytes } from './keys.js';

export type Focus = 'console' | 'registers' | 'code' | 'exits' | 'log';
export type SidePane = Exclude<Focus, 'console'>;
const FOCUS_ORDER: readonly Focus[] = ['console', 'registers', 'code', 'exits', 'log'];
export type ExitOrder = ExitSortKey | 'recent';
const EXIT_ORDERS: readonly ExitOrder[] = ['recent', ...EXIT_SORT_KEYS];
const HISTORY_LIMIT = 500;

export type TuiEffect =
  | { readonly kind: 'send'; readonly text: string }
  /** Stop the VM in the debugger, or let it go on. */
  | { readonly kind: 'toggle-pause' }
  /** One instruction on the registers pane's vCPU (stopping the VM first if it runs). */
  | { readonly kind: 'step' }
  | { readonly kind: 'quit' };

/** Scroll positions of the side panes, in rows (the log's counted back from its newest). */
export interface PaneScroll {
  registers: number;
  exits: number;
  log: number;
}
type ScrolledPane = keyof PaneScroll;

/** What the key handling needs to know about the rest of the screen. */
export interface TuiContext {
  readonly vcpus: number;
  /** Console lines visible at once (a page for PgUp/PgDn). */
  readonly consoleRows: number;
  /** Lines the console holds, for the scroll-back limit. */
  readonly consoleLines: number;
  /** The VMM log scopes seen so far. */
  readonly scopes: readonly string[];
  /** How far each side pane can scroll (rows it has beyond those it shows). */
  readonly scrollLimits: Readonly<PaneScroll>;
}

/** C0 controls that are keys of their own (Tab, Ctrl-letter, Backspace), not a paste's line breaks. */
const CONTROL_KEY = /[\x01-\x09\x0b\x0c\x0e-\x1a\x7f]/;
const CONTROL_KEYS = /([\x01-\x09\x0b\x0c\x0e-\x1a\x7f])/;

/** One piece of a split input as Ink would have reported it alone. */
function controlKey(part: string, key: Key): [string, Key] {
  const code = part.charCodeAt(0);
  if (part.length > 1 || !CONTROL_KEY.test(part)) return [part, key];
  if (code === 0x09) return ['', { ...key, tab: true }];
  if (code === 0x7f || code === 0x08) return ['', { ...key, backspace: true }];
  return [String.fromCharCode(code + 0x60), { ...key, ctrl: true }];
}

function cycle<T>(list: readonly T[], current: T, step: number): T {
  return list[(list.indexOf(current) + step + list.length) % list.length]!;
}

export class TuiState {
  focus: Focus = 'console';
  /** The side pane a stacked layout shows below the console: the focused one, or the last one focused. */
  strip: SidePane = 'exits';
  /** Keys go straight to the guest (for ymirsh's own line editing). */
  raw = false;
  help = false;
  /** The input line and the cursor's offset in it. */
  line = '';
  cursor = 0;
  history: string[] = [];
  /** Index into `history` while recalling with Up/Down, -1 when editing a new line. */
  recall = -1;
  /** Console lines scrolled back from the end (0: following the output). */
  scrollBack = 0;
  vcpu = 0;
  sort: ExitOrder = 'recent';
  /** Whose exits the exits pane counts: every vCPU, or the registers pane's. */
  exitsScope: 'all' | 'vcpu' = 'all';
  level: LogLevel = 'info';
  scope: string | undefined = undefined;
  readonly scroll: PaneScroll = { registers: 0, exits: 0, log: 0 };
  /** The code pane's syntax. */
  syntax: DisSyntax = DisSyntax.ATT;
  /** Set when the VM stopped by itself: the next key quits. */
  stopped = false;
  /** A one-line answer to the last key (why it did nothing), shown until the next key. */
  notice: string | undefined = undefined;

  handleKey(input: string, key: Key, ctx: TuiContext): TuiEffect[] {
    // Keys that arrive in one read (tmux send-keys, a fast typist) come as one input: a Tab or a
    // Ctrl key in it is still that key, not text for the input line. (Line breaks are a paste's.)
    if (!this.raw && !key.ctrl && input.length > 1 && CONTROL_KEY.test(input) && !input.includes('\x1b')) {
      return input.split(CONTROL_KEYS).filter((part) => part !== '').flatMap((part) => this.handleKey(...controlKey(part, key), ctx));
    }
    if (this.stopped || (key.ctrl && input === 'q')) return [{ kind: 'quit' }];
    this.notice = undefined;
    if (this.help) {
      this.help = false;
      return [];
    }
    if (key.ctrl && input === 't') {
      this.raw = !this.raw;
      return [];
    }
    if (this.scrollConsole(key, ctx)) return [];
    if (this.raw) return [{ kind: 'send', text: keyBytes(input, key) }];
    if (key.ctrl) return this.control(input, ctx);
    if (key.tab) {
      this.focus = cycle(FOCUS_ORDER, this.focus, key.shift ? -1 : 1);
      if (this.focus !== 'console') this.strip = this.focus;
      return [];
    }
    const step = key.upArrow ? -1 : key.downArrow ? 1 : 0;
    if (step !== 0) {
      this.step(step, ctx);
      return [];
    }
    const across = key.leftArrow ? -1 : key.rightArrow ? 1 : 0;
    if (across !== 0 && this.focus !== 'console') {
      this.across(across, key.shift, ctx);
      return [];
    }
    return this.edit(input, key);
  }

  private scrollConsole(key: Key, ctx: TuiContext): boolean {
    const oldest = Math.max(0, ctx.consoleLines - ctx.consoleRows);
    if (key.pageUp) this.scrollBack = Math.min(oldest, this.scrollBack + ctx.consoleRows);
    else if (key.pageDown) this.scrollBack = Math.max(0, this.scrollBack - ctx.consoleRows);
    else if (key.home && !this.raw) this.scrollBack = oldest;
    else if (key.end && !this.raw) this.scrollBack = 0;
    else return false;
    return true;
  }

  private control(input: string, ctx: TuiContext): TuiEffect[] {
    switch (input) {
      case 'c': return [{ kind: 'send', text: '\x03' }];
      case 'g': this.help = true; break;
      case 'p': return [{ kind: 'toggle-pause' }];
      case 's': return [{ kind: 'step' }];
      case 'o': this.sort = cycle(EXIT_ORDERS, this.sort, 1); break;
      case 'x': this.exitsScope = this.exitsScope === 'all' ? 'vcpu' : 'all'; break;
      case 'v': this.vcpu = (this.vcpu + 1) % ctx.vcpus; break;
      case 'a': this.cursor = 0; break;
      case 'e': this.cursor = this.line.length; break;
      case 'u': this.setLine(''); break;
    }
    return [];
  }

  /** Up/Down: history in the console, scrolling in a side pane (the log scrolls back from its newest row). */
  private step(step: number, ctx: TuiContext): void {
    if (this.focus === 'console') {
      if (this.history.length === 0) return;
      const next = this.recall < 0 ? (step < 0 ? this.history.length - 1 : -1) : this.recall + step;
      this.recall = next >= this.history.length ? -1 : Math.max(0, next);
      this.setLine(this.recall < 0 ? '' : this.history[this.recall]!);
      return;
    }
    if (this.focus === 'code') return; // the code pane follows RIP: nothing to scroll
    const pane: ScrolledPane = this.focus;
    this.scroll[pane] = Math.min(ctx.scrollLimits[pane], Math.max(0, this.scroll[pane] + (pane === 'log' ? -step : step)));
  }

  /** Left/Right in a side pane: the vCPU, the code's syntax, the exit order, the log level (with Shift, the log scope). */
  private across(step: number, shift: boolean, ctx: TuiContext): void {
    switch (this.focus) {
      case 'registers': this.vcpu = (this.vcpu + step + ctx.vcpus) % ctx.vcpus; return;
      case 'code': this.syntax = this.syntax === DisSyntax.ATT ? DisSyntax.INTEL : DisSyntax.ATT; return;
      case 'exits': this.sort = cycle(EXIT_ORDERS, this.sort, step); return;
      case 'log':
        if (shift) this.scope = cycle([undefined, ...ctx.scopes], this.scope, step);
        else this.level = cycle(LEVELS, this.level, step);
        return;
      case 'console': return;
    }
  }

  /** Line editing; text with line breaks (a paste) sends every complete line. */
  private edit(input: string, key: Key): TuiEffect[] {
    if (key.return) return [this.submit()];
    if (key.backspace || key.delete) {
      if (this.cursor > 0) {
        this.line = this.line.slice(0, this.cursor - 1) + this.line.slice(this.cursor);
        this.cursor--;
      }
      return [];
    }
    if (key.leftArrow) this.cursor = Math.max(0, this.cursor - 1);
    else if (key.rightArrow) this.cursor = Math.min(this.line.length, this.cursor + 1);
    if (input === '' || key.meta || key.escape) return [];
    const pieces = input.split(/\r\n|\r|\n/);
    const effects: TuiEffect[] = [];
    pieces.forEach((piece, i) => {
      this.line = this.line.slice(0, this.cursor) + piece + this.line.slice(this.cursor);
      this.cursor += piece.length;
      if (i < pieces.length - 1) effects.push(this.submit());
    });
    return effects;
  }

  private submit(): TuiEffect {
    const line = this.line;
    if (line.trim() !== '' && this.history[this.history.length - 1] !== line) {
      this.history.push(line);
      if (this.history.length > HISTORY_LIMIT) this.history.shift();
    }
    this.recall = -1;
    this.scrollBack = 0;
    this.setLine('');
    return { kind: 'send', text: `${line}\r` };
  }

  private setLine(line: string): void {
    this.line = line;
    this.cursor = line.length;
  }
}
