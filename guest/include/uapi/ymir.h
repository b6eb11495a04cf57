/*
 * ymir-guest's own system calls, beside the Linux x86-64 ones the kernel implements: how a root
 * process asks the kernel for what only CPL 0 may do with the ymir VMM. ymirsh includes this file;
 * under another kernel (real Linux) both calls return -ENOSYS, and ymirsh falls back to a direct
 * VMCALL at CPL 3 (which the VMM answers with EPERM for privileged services and ops).
 */
#ifndef YMIR_GUEST_UAPI_YMIR_H
#define YMIR_GUEST_UAPI_YMIR_H

#include <stdint.h>

/*
 * long ymir_vmcall(struct ymir_vmcall_regs *regs)
 *
 * The kernel loads RAX, RBX, RCX, RDX, RSI, RDI from *regs, executes VMCALL at CPL 0 and stores
 * the six registers back. Returns 0 when the VMCALL ran (the service's status is then regs->rax),
 * or a negative errno: EPERM (the caller's euid is not 0), EFAULT (regs is not a user address), EINVAL (a
 * CALL with the guest-physical flag, RDI bit 0, or whose buffers are not entirely user memory:
 * the kernel checks them as access_ok() does, so a process cannot aim the VMM at kernel memory),
 * ENODEV (VMCALL raised #UD: no VMM, or a stealthy one). MAP_SHARED (service 3) is refused with
 * EINVAL here: use ymir_map_counters().
 */
#define YMIR_SYS_VMCALL 0x1000

/*
 * long ymir_map_counters(void)
 *
 * Maps the VMM's shared exit-counter page (VMCALL MAP_SHARED, spec.md section 7) read-only into
 * the calling process and returns its user address; the same page for every process. Errors as
 * ymir_vmcall (EPERM, ENODEV), or the VMM's own status.
 */
#define YMIR_SYS_MAP_COUNTERS 0x1001

struct ymir_vmcall_regs {
	uint64_t rax;
	uint64_t rbx;
	uint64_t rcx;
	uint64_t rdx;
	uint64_t rsi;
	uint64_t rdi;
}; /* 48 bytes */

/* The data channel (COM2): ymirsh --json writes one JSON object per line here. */
#define YMIR_DATA_DEVICE "/dev/ttyS1"
/* The console (COM1). */
#define YMIR_CONSOLE_DEVICE "/dev/ttyS0"

#endif
