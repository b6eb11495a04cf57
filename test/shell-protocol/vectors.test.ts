import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderCHeader, withSpecStructs } from '../../shell-protocol/c-header.js';
import { decodeRequest, decodeResponse } from '../../shell-protocol/codec.js';
import { goldenVectors, renderManifest } from '../../shell-protocol/vectors.js';

const root = fileURLToPath(new URL('../../shell-protocol/', import.meta.url));
const vectorDir = join(root, 'vectors');

describe('the generated C header', () => {
  it('is up to date with the TypeScript definitions', () => {
    const committed = readFileSync(join(root, 'include/ymir_vmc.h'), 'utf8');
    expect(committed, 'stale: run `npx tsx scripts/gen-c-header.ts`').toBe(renderCHeader());
  });
});

describe('spec.md', () => {
  it('has struct tables that match the definitions', () => {
    const spec = readFileSync(join(root, 'spec.md'), 'utf8');
    expect(spec, 'stale: run `npx tsx scripts/gen-c-header.ts`').toBe(withSpecStructs(spec));
  });
});

describe('the golden vectors', () => {
  it('are up to date with the codec', () => {
    const vectors = goldenVectors();
    expect(readFileSync(join(vectorDir, 'manifest.txt'), 'utf8'), 'stale: run `npx tsx scripts/gen-vectors.ts`').toBe(renderManifest(vectors));
    for (const v of vectors) expect(Buffer.from(readFileSync(join(vectorDir, v.file))).equals(Buffer.from(v.bytes)), v.file).toBe(true);
    expect(readdirSync(vectorDir).length).toBe(vectors.length + 1);
  });

  it('cover a request and a response for every op', () => {
    const files = goldenVectors().map((v) => v.file);
    expect(files.filter((f) => f.startsWith('request-')).length).toBeGreaterThanOrEqual(14);
    expect(files.filter((f) => f.startsWith('response-')).length).toBeGreaterThanOrEqual(14);
  });

  it('decode in TypeScript to the status and entries the manifest gives', () => {
    for (const v of goldenVectors()) {
      const decoded = v.kind === 'request' ? decodeRequest(v.bytes) : decodeResponse(v.bytes);
      expect(decoded.ok ? 0 : decoded.error.status, v.file).toBe(v.status);
      if (decoded.ok) {
        expect(decoded.value.entries.length, v.file).toBe(v.entries);
        expect(decoded.value.entries[0]?.op ?? 0, v.file).toBe(v.firstOp);
      }
    }
  });

  it('decode in C, compiled with cc -Wall -Werror against ymir_vmc.h, to the same results', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ymir-vmc-')), 'vectors_check');
    execFileSync('cc', ['-std=c11', '-Wall', '-Wextra', '-Werror', '-I', join(root, 'include'), join(root, 'c/vectors_check.c'), '-o', out]);
    const report = execFileSync(out, [vectorDir], { encoding: 'utf8' });
    expect(report).toBe(`${goldenVectors().length} vectors checked, 0 failures\n`);
  });
});
