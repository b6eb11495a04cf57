/**
 * A fixed VMM that answers every op with its golden vector (shell-protocol/vectors/response-OP.bin)
 * for the C ymirsh over the pipe, and what the TypeScript ymirsh — the first implementation of
 * these commands — printed for the same answers (recorded in typescript-answers.json), the
 * oracle of every text and JSON answer the C one prints.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ABI_MAJOR, ABI_MINOR, ALL_FEATURES, MAX_MESSAGE_SIZE, Op, type OpName } from '../../shell-protocol/constants.js';
import { ResponseWriter, decodeRequest, decodeResponse } from '../../shell-protocol/codec.js';
import { decodeLogReadArgs, encodeLogRead } from '../../shell-protocol/ops.js';
import type { Answer } from './pipe.js';

const vectors = fileURLToPath(new URL('../../shell-protocol/vectors/', import.meta.url));

export interface OpAnswer {
  readonly status: number;
  readonly data: Uint8Array;
}

/** The data of the golden response of `op`. */
export function goldenAnswer(op: number): OpAnswer {
  const name = (Object.entries(Op) as [OpName, number][]).find(([, n]) => n === op)![0];
  const decoded = decodeResponse(new Uint8Array(readFileSync(`${vectors}response-${name.toLowerCase()}.bin`)));
  if (!decoded.ok) throw new Error(decoded.error.reason);
  const entry = decoded.value.entries[0]!;
  return { status: entry.status, data: Uint8Array.from(entry.data) };
}

/** The golden LOG_READ record has sequence 43 and next cursor 44: a read from 44 on finds the end. */
const LOG_END = 44n;

export type Responder = (op: number, args: Uint8Array) => OpAnswer;

/** Every op answered with its vector; `statuses` makes chosen ops fail instead. */
export function goldenVmm(statuses: Partial<Record<number, number>> = {}): Responder {
  return (op, args) => {
    const status = statuses[op];
    if (status !== undefined) return { status, data: new Uint8Array(0) };
    if (op === Op.LOG_READ) {
      const a = decodeLogReadArgs(args);
      if (a.ok && a.value.cursor >= LOG_END) return { status: 0, data: encodeLogRead({ nextCursor: LOG_END, lost: 0n, records: [] }) };
    }
    return goldenAnswer(op);
  };
}

const PROBE = { rax: 0n, rbx: 0x52494d59n, rcx: BigInt((ABI_MAJOR << 16) | ABI_MINOR), rdx: BigInt(ALL_FEATURES), rsi: BigInt(MAX_MESSAGE_SIZE) };

/** The responder as the pipe answers: PROBE, HELLO, and CALLs (direct or through the kernel). */
export function pipeAnswer(respond: Responder): Answer {
  return (frame) => {
    if (frame.regs.rax === 1n) return { regs: PROBE };
    if (frame.regs.rax === 0n) return { regs: { rax: 0n } };
    const request = decodeRequest(frame.request ?? new Uint8Array(0));
    if (!request.ok) throw new Error(`ymirsh sent a bad request: ${request.error.reason}`);
    const writer = new ResponseWriter(new Uint8Array(Number(frame.regs.rsi)));
    for (const e of request.value.entries) {
      const a = respond(e.op, Uint8Array.from(e.args));
      if (!(a.status === 0 ? writer.data(e.op, a.data) : writer.status(e.op, a.status))) break;
    }
    const length = writer.finish();
    return { regs: { rax: 0n, rbx: BigInt(length), rcx: BigInt(writer.entries) }, bytes: writer.bytes.slice(0, length) };
  };
}

export interface Recorded {
  readonly status: number;
  readonly text: string;
  readonly data?: unknown;
}

const recording = JSON.parse(readFileSync(new URL('./typescript-answers.json', import.meta.url), 'utf8')) as Record<string, Record<string, Recorded>>;

/** What the TypeScript ymirsh printed and reported for `line` in `scenario` (see scenarios.ts). */
export function recorded(scenario: string, line: string): Recorded {
  const answer = recording[scenario]?.[line];
  if (!answer) throw new Error(`no recorded answer for ${scenario}: ${line}`);
  return answer;
}

/** Split a script run's console output into what each `ymirsh> LINE` printed. */
export function byCommand(stdout: string): Map<string, string> {
  const outputs = new Map<string, string>();
  const parts = stdout.split(/^ymirsh> /m).slice(1);
  for (const part of parts) {
    const newline = part.indexOf('\n');
    outputs.set(part.slice(0, newline), part.slice(newline + 1));
  }
  return outputs;
}
