/** /bin: the programs the init shell can start. */
import type { Program } from '../user/program.js';
import { escflood, fault, flood } from './flood.js';
import { ymirshSeed } from './ymirsh-seed.js';
import { ymirsh } from '../../ymirsh/main.js';

const programs: Program[] = [ymirsh, ymirshSeed, flood, escflood, fault];

export const PROGRAMS: ReadonlyMap<string, Program> = new Map(programs.map((p) => [p.name, p]));
