/* Memory system calls: brk, and anonymous mmap, munmap and mprotect. Pages arrive on first
 * touch. File mappings are not supported yet (ENODEV). */
#include "syscall.h"

#define VALID_PROT (PROT_READ | PROT_WRITE | PROT_EXEC)

/* The heap is the VMA [brk_start, page_up(brk)), grown and shrunk by brk. */
SYSCALL_DEFINE(brk)
{
	struct mm *mm = current_proc()->mm;
	u64 want = a0;
	if (want < mm->brk_start || want > USER_MMAP_TOP)
		return (s64)mm->brk;
	u64 old_end = ALIGN_UP(mm->brk, PAGE_SIZE), new_end = ALIGN_UP(want, PAGE_SIZE);
	if (new_end > old_end) {
		struct vma *heap = old_end > mm->brk_start ? vma_find(mm, old_end - 1) : 0;
		for (struct vma *v = mm->vmas; v; v = v->next)
			if (v != heap && v->start < new_end && v->end > old_end)
				return (s64)mm->brk; /* something is mapped in the way */
		if (heap && (heap->flags & VMA_HEAP))
			heap->end = new_end;
		else if (vma_insert(mm, old_end, new_end, PROT_READ | PROT_WRITE, VMA_HEAP))
			return (s64)mm->brk;
	} else if (new_end < old_end)
		vm_unmap(mm, new_end, old_end);
	mm->brk = want;
	return (s64)mm->brk;
}

SYSCALL_DEFINE(mmap)
{
	struct mm *mm = current_proc()->mm;
	u64 addr = a0, len = a1, prot = a2, flags = a3;
	if (!len || (addr & (PAGE_SIZE - 1)) || (prot & ~(u64)VALID_PROT))
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS))
		return -ENODEV;
	if (!(flags & (MAP_PRIVATE | MAP_SHARED)))
		return -EINVAL;
	len = ALIGN_UP(len, PAGE_SIZE);
	if (len > TASK_SIZE || !len)
		return -ENOMEM;
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if (!access_ok(addr, len) || addr < PAGE_SIZE)
			return -EINVAL;
		if (flags & MAP_FIXED_NOREPLACE) {
			for (struct vma *v = mm->vmas; v; v = v->next)
				if (v->start < addr + len && v->end > addr)
					return -EEXIST;
		} else
			vm_unmap(mm, addr, addr + len);
	} else if (!addr || !access_ok(addr, len) || addr < PAGE_SIZE || vma_insert(mm, addr, addr + len, (u32)prot, 0)) {
		addr = vm_find_free(mm, len);
		if (!addr)
			return -ENOMEM;
	} else
		return (s64)addr; /* the hint was free and is now mapped */
	int err = vma_insert(mm, addr, addr + len, (u32)prot, 0);
	return err ? (err == -EINVAL ? -ENOMEM : err) : (s64)addr;
}

SYSCALL_DEFINE(munmap)
{
	if ((a0 & (PAGE_SIZE - 1)) || !a1 || !access_ok(a0, a1))
		return -EINVAL;
	return vm_unmap(current_proc()->mm, a0, a0 + ALIGN_UP(a1, PAGE_SIZE));
}

SYSCALL_DEFINE(mprotect)
{
	if ((a0 & (PAGE_SIZE - 1)) || (a2 & ~(u64)VALID_PROT) || !access_ok(a0, a1))
		return -EINVAL;
	if (!a1)
		return 0;
	return vm_protect(current_proc()->mm, a0, a0 + ALIGN_UP(a1, PAGE_SIZE), (u32)a2);
}
