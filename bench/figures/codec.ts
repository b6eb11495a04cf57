/**
 * The CALL codec on a 100-entry request and its response, both sides: what one ymirsh command
 * batch costs in JavaScript before any VM exit. Each figure is per message and per entry.
 */
import {
  ALL_VCPUS, DisSyntax, LogLevel, Op, type OpName, ResponseWriter, decodeRequest, decodeResponse, encodeAddressArgs,
  encodeBtArgs, encodeDisArgs, encodeLogLevelArgs, encodeLogReadArgs, encodeMemReadArgs, encodeRangeArgs, encodeRequest, encodeText,
  encodeVcpuArgs, requestSize,
} from '../../shell-protocol/index.js';
import { type Figure, medianOf, nsPerIteration } from '../harness.js';

const ENTRIES = 100;
const ITERATIONS = 20_000;
/** "Microseconds" for a 100-entry message, as the protocol's design asks of the hot path. */
const TARGET_NS_PER_MESSAGE = 10_000;

/** A typical argument for every op; the request cycles through them. */
const ARGS: Record<OpName, Uint8Array> = {
  HELLO: new Uint8Array(0),
  OPS: new Uint8Array(0),
  VM_INFO: new Uint8Array(0),
  VCPU_REGS: encodeVcpuArgs(0),
  EXIT_STATS: encodeVcpuArgs(ALL_VCPUS),
  LOG_READ: encodeLogReadArgs({ cursor: 0n, maxRecords: 32 }),
  TRANSLATE: encodeAddressArgs(0x7f0000001000n),
  MEM_READ: encodeMemReadArgs({ gpa: 0x1000n, length: 64 }),
  PROTECT: encodeRangeArgs({ gpa: 0x100000n, length: 0x1000n }),
  UNPROTECT: encodeRangeArgs({ gpa: 0x100000n, length: 0x1000n }),
  PROTECTED: new Uint8Array(0),
  STATS_RESET: encodeVcpuArgs(0),
  LOG_LEVEL: encodeLogLevelArgs(LogLevel.INFO),
  ECHO: encodeText('ymir-dbg codec bench'),
  DIS: encodeDisArgs({ address: 0x401000n, count: 8, syntax: DisSyntax.INTEL }),
  BT: encodeBtArgs({ vcpu: 0, maxFrames: 16 }),
  SEAL: encodeRangeArgs({ gpa: 0x100000n, length: 0x1000n }),
};
const OPS = Object.keys(Op) as OpName[];
const entries = Array.from({ length: ENTRIES }, (_, i) => {
  const name = OPS[i % OPS.length]!;
  return { op: Op[name], args: ARGS[name] };
});
/** Answers of 0 to 120 bytes, in the range most ops answer with. */
const answers = entries.map((e, i) => ({ op: e.op, data: new Uint8Array((i * 37) % 121) }));

function figures(what: string, nsPerMessage: number): Figure[] {
  const name = `codec: ${what} of ${ENTRIES} entries`;
  return [
    { name, value: nsPerMessage, unit: 'ns', target: { value: TARGET_NS_PER_MESSAGE, direction: 'at-most' } },
    { name: `${name}, rate`, value: 1e9 / nsPerMessage, unit: 'msg/s' },
    { name: `${name}, per entry`, value: nsPerMessage / ENTRIES, unit: 'ns' },
  ];
}

export async function codecFigures(): Promise<Figure[]> {
  const requestBuffer = new Uint8Array(requestSize(entries));
  const request = encodeRequest(entries).slice();
  const writer = new ResponseWriter(new Uint8Array(64 * 1024));
  for (const a of answers) writer.data(a.op, a.data);
  const response = writer.bytes.slice(0, writer.finish());
  // Each body returns a number folded into `sink`, so the work cannot be optimised away.
  let sink = 0;
  const time = (body: () => number): Promise<number> => medianOf(5, () => nsPerIteration(ITERATIONS, () => { sink ^= body(); }) + (sink & 0));
  const encodeRequestNs = await time(() => encodeRequest(entries, 0, requestBuffer).length);
  const decodeRequestNs = await time(() => { const d = decodeRequest(request); return d.ok ? d.value.entries.length : -1; });
  const encodeResponseNs = await time(() => {
    writer.reset();
    for (const a of answers) writer.data(a.op, a.data);
    return writer.finish();
  });
  const decodeResponseNs = await time(() => { const d = decodeResponse(response); return d.ok ? d.value.entries.length : -1; });
  return [
    ...figures('guest encodes a request', encodeRequestNs),
    ...figures('VMM decodes a request', decodeRequestNs),
    ...figures('VMM writes a response', encodeResponseNs),
    ...figures('guest decodes a response', decodeResponseNs),
  ];
}
