/*
 * The three ways ymirsh reaches the VMM: VMCALL executed by ymirsh itself at CPL 3 (as the seed's
 * ymirsh does), VMCALL executed by the kernel on ymirsh's behalf at CPL 0 (guest/include/uapi/
 * ymir.h), and the kernel's mapping of the shared counter page. Under real Linux the kernel calls
 * answer -ENOSYS; without a VMM the CPL-3 VMCALL raises #UD, which arrives as SIGILL.
 */
#ifndef YMIRSH_VMCALL_H
#define YMIRSH_VMCALL_H

#include <stdint.h>

#include <uapi/ymir.h>

/* VMCALL at CPL 3 with the six registers of the ABI; they hold the VMM's answer afterwards. */
void vmcall_direct(struct ymir_vmcall_regs *regs);
/* VMCALL by the kernel at CPL 0: 0 when it ran (the answer is in regs), or a negative errno. */
long vmcall_kernel(struct ymir_vmcall_regs *regs);
/* The kernel's read-only mapping of the shared counter page: its address, or a negative errno. */
long vmcall_map_counters(const volatile uint8_t **page);

/* Call `on_ud` (which must not return) when a VMCALL raises #UD. */
void vmcall_on_ud(void (*on_ud)(void));

#endif
