/** shell-protocol: the VMCALL ABI v1 shared by the guest (ymirsh) and the VMM. See spec.md. */
export * from './constants.js';
export * from './exit-reasons.js';
export * from './layout.js';
export * from './structs.js';
export * from './codec.js';
export * from './ops.js';
