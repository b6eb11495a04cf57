/** What the ABI services need from the VMM beyond the calling vCPU. */
import type { ProtectedRanges } from '../ept.js';
import type { VmShared } from '../shared.js';

export interface ServiceContext {
  readonly shared: VmShared;
  readonly protectedRanges: ProtectedRanges;
}

export const VMM_NAME = 'ymir-dbg 0.1.0';
