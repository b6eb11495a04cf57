/*
 * Kernel access to user memory. Addresses are checked against TASK_SIZE first (access_ok);
 * a page that is not there is faulted in by the page-fault handler as for the process itself,
 * and one that cannot be resolves through the exception table to -EFAULT, as on Linux.
 */
#include "kernel.h"

struct extable_entry {
	u64 insn, fixup;
};
extern struct extable_entry __start___ex_table[], __stop___ex_table[];

bool extable_fixup(struct trapframe *tf)
{
	for (struct extable_entry *e = __start___ex_table; e < __stop___ex_table; e++)
		if (e->insn == tf->rip) {
			tf->rip = e->fixup;
			return true;
		}
	return false;
}

int copy_from_user(void *dst, const void *usrc, u64 n)
{
	if (!access_ok((u64)usrc, n) || copy_user(dst, usrc, n))
		return -EFAULT;
	return 0;
}

int copy_to_user(void *udst, const void *src, u64 n)
{
	if (!access_ok((u64)udst, n) || copy_user(udst, src, n))
		return -EFAULT;
	return 0;
}

/* Copies a string of at most max - 1 bytes and its terminator; returns its length, -EFAULT,
 * or -ENAMETOOLONG. It copies a page piece at a time so it never reads past the string's page. */
s64 strncpy_from_user(char *dst, const char *usrc, u64 max)
{
	u64 done = 0;
	while (done < max) {
		u64 addr = (u64)usrc + done;
		u64 chunk = MIN(max - done, PAGE_SIZE - (addr & (PAGE_SIZE - 1)));
		if (copy_from_user(dst + done, (const void *)addr, chunk))
			return -EFAULT;
		u64 len = strnlen(dst + done, chunk);
		if (len < chunk)
			return (s64)(done + len);
		done += chunk;
	}
	return -ENAMETOOLONG;
}
