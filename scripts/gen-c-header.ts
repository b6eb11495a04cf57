/** Write shell-protocol/include/ymir_vmc.h from the TypeScript definitions. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderCHeader } from '../shell-protocol/c-header.js';

const target = fileURLToPath(new URL('../shell-protocol/include/ymir_vmc.h', import.meta.url));
writeFileSync(target, renderCHeader());
process.stdout.write(`wrote ${target}\n`);
