/** Rewrite the generated instruction table of vmm/hw/README.md from the opcode table. */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withInstructionTable } from '../vmm/hw/instruction-table.js';

const readme = fileURLToPath(new URL('../vmm/hw/README.md', import.meta.url));
writeFileSync(readme, withInstructionTable(readFileSync(readme, 'utf8')));
process.stdout.write(`wrote the instruction table of ${readme}\n`);
