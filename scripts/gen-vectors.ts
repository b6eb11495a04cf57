/** Rewrite shell-protocol/vectors/ (the golden vectors and their manifest). */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goldenVectors, renderManifest } from '../shell-protocol/vectors.js';

const dir = fileURLToPath(new URL('../shell-protocol/vectors/', import.meta.url));
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const vectors = goldenVectors();
for (const v of vectors) writeFileSync(join(dir, v.file), v.bytes);
writeFileSync(join(dir, 'manifest.txt'), renderManifest(vectors));
process.stdout.write(`wrote ${vectors.length} vectors to ${dir}\n`);
