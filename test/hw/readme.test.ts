import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { withInstructionTable } from '../../vmm/hw/instruction-table.js';

describe('vmm/hw/README.md', () => {
  it('lists exactly the instructions the opcode table supports (run `npx tsx scripts/gen-hw-readme.ts`)', () => {
    const readme = readFileSync(new URL('../../vmm/hw/README.md', import.meta.url), 'utf8');
    expect(withInstructionTable(readme)).toBe(readme);
  });
});
