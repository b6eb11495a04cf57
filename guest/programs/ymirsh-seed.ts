/** The seed chapter's ymirsh: one VMCALL with RAX = 0 (HELLO), nothing else. */
import type { Program } from '../user/program.js';

export const ymirshSeed: Program = {
  name: 'ymirsh-seed',
  summary: "the seed chapter's ymirsh: VMCALL service 0 (hello)",
  main(rt) {
    rt.vmcall({ rax: 0n, rbx: 0n, rcx: 0n, rdx: 0n, rsi: 0n, rdi: 0n });
    return 0;
  },
};
