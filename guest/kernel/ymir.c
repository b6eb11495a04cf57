/*
 * ymir-guest's own system calls (include/uapi/ymir.h): VMCALL at CPL 0 on behalf of a root
 * process, and the VMM's shared counter page mapped read-only into it. A CPU without a VMM, or
 * a stealthy VMM, raises #UD for VMCALL (shell-protocol/spec.md section 2.2); the exception
 * table turns that into -ENODEV.
 */
#include "kernel.h"
#include "asm.h"
#include "../include/uapi/ymir.h"

#define SERVICE_CALL 2
#define SERVICE_MAP_SHARED 3
#define CALL_PHYSICAL 1 /* RDI bit 0: the buffers are guest-physical */
#define MAX_MESSAGE (1024 * 1024)

/* VMCALL with the six ABI registers (spec.md section 1); false when it raised #UD. */
static bool vmcall(struct ymir_vmcall_regs *r)
{
	u64 ok = 1;
	__asm__ volatile("1: vmcall\n"
			 "2:\n"
			 ".pushsection .text.fixup, \"ax\"\n"
			 "3: xorl %k6, %k6\n"
			 "   jmp 2b\n"
			 ".popsection\n"
			 ".pushsection __ex_table, \"a\"\n"
			 ".balign 8\n"
			 ".quad 1b, 3b\n"
			 ".popsection"
			 : "+a"(r->rax), "+b"(r->rbx), "+c"(r->rcx), "+d"(r->rdx), "+S"(r->rsi), "+D"(r->rdi), "+r"(ok)
			 :
			 : "memory");
	return ok;
}

s64 sys_ymir_vmcall(u64 uregs)
{
	struct proc *p = current_proc();
	struct ymir_vmcall_regs r;
	if (p->euid != 0)
		return -EPERM;
	if (copy_from_user(&r, (const void *)uregs, sizeof r))
		return -EFAULT;
	if (r.rax == SERVICE_MAP_SHARED)
		return -EINVAL;
	if (r.rax == SERVICE_CALL) {
		/* The VMM would take the buffers as given: keep them inside this process's memory,
		 * and present, because the VMM walks the page tables rather than faulting. */
		u64 req_len = MIN(r.rcx, (u64)MAX_MESSAGE), resp_len = MIN(r.rsi, (u64)MAX_MESSAGE);
		if ((r.rdi & CALL_PHYSICAL) || !access_ok(r.rbx, r.rcx) || !access_ok(r.rdx, r.rsi))
			return -EINVAL;
		if (mm_populate(p->mm, r.rbx, req_len, false) || mm_populate(p->mm, r.rdx, resp_len, true))
			return -EINVAL;
	}
	if (!vmcall(&r))
		return -ENODEV;
	return copy_to_user((void *)uregs, &r, sizeof r) ? -EFAULT : 0;
}

static u64 counter_page; /* physical; the VMM writes it after MAP_SHARED */

s64 sys_ymir_map_counters(void)
{
	struct proc *p = current_proc();
	if (p->euid != 0)
		return -EPERM;
	if (!counter_page) {
		u64 pa = page_alloc(1);
		if (!pa)
			return -ENOMEM;
		struct ymir_vmcall_regs r = { .rax = SERVICE_MAP_SHARED, .rbx = pa };
		if (!vmcall(&r)) {
			page_free(pa, 1);
			return -ENODEV;
		}
		if (r.rax) {
			page_free(pa, 1);
			return (s64)r.rax;
		}
		counter_page = pa;
	}
	u64 va = vm_find_free(p->mm, PAGE_SIZE);
	if (!va)
		return -ENOMEM;
	int err = vm_map_shared_page(p->mm, va, counter_page);
	return err ? err : (s64)va;
}
