import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderCHeader, withGeneratedSpec } from '../../shell-protocol/c-header.js';
import { decodeRequest, decodeResponse } from '../../shell-protocol/codec.js';
import { Op } from '../../shell-protocol/constants.js';
import { checkArgs, checkResult, decodeSharedPage } from '../../shell-protocol/ops.js';
import { type GoldenVector, goldenVectors, renderManifest } from '../../shell-protocol/vectors.js';

const root = fileURLToPath(new URL('../../shell-protocol/', import.meta.url));
const vectorDir = join(root, 'vectors');
const vectors = goldenVectors();

/** The status of the first entry that fails `check`, or 0. */
function firstError<E>(entries: readonly E[], check: (entry: E) => number): number {
  for (const entry of entries) {
    const status = check(entry);
    if (status !== 0) return status;
  }
  return 0;
}
const statusOf = (d: { ok: true } | { ok: false; error: { status: number } }): number => (d.ok ? 0 : d.error.status);

/** What the TypeScript codec makes of a vector, in the manifest's terms. */
function summarize(v: GoldenVector): Pick<GoldenVector, 'status' | 'count' | 'firstOp' | 'firstError'> {
  const none = { count: 0, firstOp: 0, firstError: 0 };
  if (v.kind === 'shared-page') {
    const page = decodeSharedPage(v.bytes);
    return page.ok ? { ...none, status: 0, count: page.value.counts.length } : { ...none, status: page.error.status };
  }
  if (v.kind === 'request') {
    const request = decodeRequest(v.bytes);
    if (!request.ok) return { ...none, status: request.error.status };
    const entries = request.value.entries;
    return { status: 0, count: entries.length, firstOp: entries[0]?.op ?? 0, firstError: firstError(entries, (e) => statusOf(checkArgs(e.op, e.args))) };
  }
  const response = decodeResponse(v.bytes);
  if (!response.ok) return { ...none, status: response.error.status };
  const entries = response.value.entries;
  return { status: 0, count: entries.length, firstOp: entries[0]?.op ?? 0, firstError: firstError(entries, (e) => e.status || statusOf(checkResult(e.op, e.data))) };
}

describe('the generated C header', () => {
  it('is up to date with the TypeScript definitions', () => {
    const committed = readFileSync(join(root, 'include/ymir_vmc.h'), 'utf8');
    expect(committed, 'stale: run `npx tsx scripts/gen-c-header.ts`').toBe(renderCHeader());
  });
});

describe('spec.md', () => {
  it('has struct and exit-reason tables that match the definitions', () => {
    const spec = readFileSync(join(root, 'spec.md'), 'utf8');
    expect(spec, 'stale: run `npx tsx scripts/gen-c-header.ts`').toBe(withGeneratedSpec(spec));
  });
});

describe('the golden vectors', () => {
  it('are up to date with the codec', () => {
    const stale = 'stale: run `npx tsx scripts/gen-vectors.ts`';
    expect(readFileSync(join(vectorDir, 'manifest.txt'), 'utf8'), stale).toBe(renderManifest(vectors));
    for (const v of vectors) expect(Buffer.from(readFileSync(join(vectorDir, v.file))).equals(Buffer.from(v.bytes)), `${v.file} ${stale}`).toBe(true);
    expect(readdirSync(vectorDir).sort()).toEqual([...vectors.map((v) => v.file), 'manifest.txt'].sort());
  });

  it('hold a valid request and a valid response for every op', () => {
    for (const op of Object.values(Op)) {
      for (const kind of ['request', 'response'] as const) {
        expect(vectors.some((v) => v.kind === kind && v.status === 0 && v.firstError === 0 && v.count === 1 && v.firstOp === op), `${kind} for op ${op}`).toBe(true);
      }
    }
  });

  it('hold malformed messages for every status a decoder can give', () => {
    const refused = new Set(vectors.filter((v) => v.status !== 0).map((v) => `${v.kind} ${v.status}`));
    const entries = new Set(vectors.filter((v) => v.firstError !== 0).map((v) => `${v.kind} ${v.firstError}`));
    expect([...refused].sort()).toEqual(['request -22', 'request -7', 'request -71', 'response -71', 'shared-page -71']);
    expect([...entries].sort()).toEqual(['request -22', 'request -38', 'request -7', 'response -1', 'response -28', 'response -38', 'response -71']);
  });

  it('decode in TypeScript to the status, count, first op and first failing entry status the manifest gives', () => {
    for (const v of vectors) expect(summarize(v), v.file).toEqual({ status: v.status, count: v.count, firstOp: v.firstOp, firstError: v.firstError });
  });

  it('are built and named the same by a C++17 client of ymir_vmc.h, compiled with g++ -Wall -Wextra -Werror', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ymir-vmc-')), 'client');
    execFileSync('g++', ['-std=c++17', '-Wall', '-Wextra', '-Werror', '-pedantic', '-I', join(root, 'include'), join(root, 'c/client.cpp'), '-o', out]);
    expect(execFileSync(out, [vectorDir], { encoding: 'utf8' })).toBe('request-echo equal\nentry-response-eperm EPERM\n');
  });

  it('decode in C, compiled with cc -std=c11 -Wall -Wextra -Werror against ymir_vmc.h, to the same results', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ymir-vmc-')), 'vectors_check');
    execFileSync('cc', ['-std=c11', '-Wall', '-Wextra', '-Werror', '-pedantic', '-I', join(root, 'include'), join(root, 'c/vectors_check.c'), '-o', out]);
    const report = execFileSync(out, [vectorDir], { encoding: 'utf8' });
    expect(report).toBe(`${vectors.length} vectors checked, 0 failures\n`);
  });
});
