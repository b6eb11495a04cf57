/** Write shell-protocol/include/ymir_vmc.h and the generated tables of spec.md from the TypeScript definitions. */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderCHeader, withGeneratedSpec } from '../shell-protocol/c-header.js';

const header = fileURLToPath(new URL('../shell-protocol/include/ymir_vmc.h', import.meta.url));
writeFileSync(header, renderCHeader());
const spec = fileURLToPath(new URL('../shell-protocol/spec.md', import.meta.url));
writeFileSync(spec, withGeneratedSpec(readFileSync(spec, 'utf8')));
process.stdout.write(`wrote ${header} and the generated tables of ${spec}\n`);
