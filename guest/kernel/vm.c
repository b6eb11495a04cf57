/*
 * Page tables (4-level, SDM Vol. 3A 5.5) and user address spaces.
 *
 * The kernel's half (PML4 entries 256-511) is built once at boot: a direct map of all RAM in
 * 2 MiB pages, the kernel image in 4 KiB pages with text RX, rodata R+NX, data RW+NX, and the
 * fixmap. Every address space copies those 256 entries, so later kernel mappings must go below
 * them (the fixmap does) and never add a PML4 entry. The user half is each process's own: VMAs
 * (sorted, disjoint) say what may be there; pages arrive on first touch (demand-zero), except
 * ELF segments, which exec fills at once.
 */
#include "kernel.h"

extern char __text_start[], __rodata_start[], __data_start[], __kernel_end[];

u64 phys_base;
u64 pte_nx;
u64 *kernel_pml4;
static u64 kernel_pml4_phys;

static u64 *table_at(u64 entry) { return phys_to_virt(entry & PTE_ADDR); }

/* The 4 KiB leaf entry of va, creating the tables above it when asked. NULL where a table is
 * missing (and not created) or a large page maps va. */
u64 *pte_lookup(u64 *pml4, u64 va, bool create)
{
	u64 *table = pml4;
	u64 flags = va < TASK_SIZE ? PTE_P | PTE_W | PTE_U : PTE_P | PTE_W;
	for (int shift = 39; shift > 12; shift -= 9) {
		u64 *e = &table[(va >> shift) & 511];
		if (!(*e & PTE_P)) {
			if (!create)
				return 0;
			u64 pa = page_alloc(1);
			if (!pa)
				return 0;
			*e = pa | flags;
		} else if (*e & PTE_PS)
			return 0;
		table = table_at(*e);
	}
	return &table[(va >> 12) & 511];
}

static void map_2m(u64 *pml4, u64 va, u64 pa, u64 flags)
{
	u64 *table = pml4;
	for (int shift = 39; shift > 21; shift -= 9) {
		u64 *e = &table[(va >> shift) & 511];
		if (!(*e & PTE_P))
			*e = page_alloc(1) | PTE_P | PTE_W;
		table = table_at(*e);
	}
	table[(va >> 21) & 511] = pa | flags | PTE_PS;
}

static void map_kernel_4k(u64 start, u64 end, u64 flags)
{
	for (u64 va = start; va < end; va += PAGE_SIZE) {
		u64 *pte = pte_lookup(kernel_pml4, va, true);
		if (!pte)
			panic("out of memory for the kernel's page tables");
		*pte = (va - KERNEL_VMA) | flags;
	}
}

void paging_init(void)
{
	pte_nx = boot_cpu.nx ? PTE_NX : 0;
	u64 global = boot_cpu.pge ? PTE_G : 0;
	kernel_pml4_phys = page_alloc(1);
	kernel_pml4 = phys_to_virt(kernel_pml4_phys);
	for (u64 pa = 0; pa < ALIGN_UP(ram_end, 1 << 21); pa += 1 << 21)
		map_2m(kernel_pml4, DIRECT_MAP + pa, pa, PTE_P | PTE_W | global | pte_nx);
	map_kernel_4k((u64)__text_start, (u64)__rodata_start, PTE_P | global);
	map_kernel_4k((u64)__rodata_start, (u64)__data_start, PTE_P | global | pte_nx);
	map_kernel_4k((u64)__data_start, (u64)__kernel_end, PTE_P | PTE_W | global | pte_nx);
	/* The fixmap's tables exist from now on, so the kernel half never gains an entry later. */
	if (!pte_lookup(kernel_pml4, FIXMAP_BASE, true))
		panic("out of memory for the fixmap");
	write_cr3(kernel_pml4_phys);
	phys_base = DIRECT_MAP;
	kernel_pml4 = phys_to_virt(kernel_pml4_phys);
	printk("x86/mm: direct map of %lu MiB at 0x%lx in 2M pages; kernel text RX, rodata R+NX, data RW+NX\n",
	       ALIGN_UP(ram_end, 1 << 21) >> 20, (u64)DIRECT_MAP);
	printk("x86/mm: user space [0x0000000000000000-0x%016lx], per-process page tables\n", (u64)TASK_SIZE - 1);
}

/* A device page in the fixmap; flags such as PTE_PCD | PTE_PWT make it uncached. */
void map_fixmap(u64 va, u64 pa, u64 flags)
{
	u64 *pte = pte_lookup(kernel_pml4, va, true);
	*pte = pa | PTE_P | PTE_W | pte_nx | flags;
	invlpg(va);
}

static u64 prot_to_pte(u32 prot)
{
	u64 f = PTE_P | PTE_U;
	if (prot & PROT_WRITE)
		f |= PTE_W;
	if (!(prot & PROT_EXEC))
		f |= pte_nx;
	return f;
}

struct mm *mm_create(void)
{
	struct mm *mm = kmalloc(sizeof *mm);
	if (!mm)
		return 0;
	mm->pml4_phys = page_alloc(1);
	if (!mm->pml4_phys) {
		kfree(mm);
		return 0;
	}
	mm->pml4 = phys_to_virt(mm->pml4_phys);
	memcpy(mm->pml4 + 256, kernel_pml4 + 256, 256 * sizeof(u64));
	mm->users = 1;
	return mm;
}

/* Free the tables under entry (a table at this level) and the pages they map. */
static void free_tables(u64 *table, int level)
{
	for (int i = 0; i < 512; i++) {
		u64 e = table[i];
		if (!(e & PTE_P))
			continue;
		if (level > 1)
			free_tables(table_at(e), level - 1);
		else if (!(e & PTE_NOFREE))
			page_free(e & PTE_ADDR, 1);
	}
	page_free(virt_to_phys(table), 1);
}

void mm_put(struct mm *mm)
{
	if (--mm->users > 0)
		return;
	if (read_cr3() == mm->pml4_phys)
		write_cr3(kernel_pml4_phys);
	for (int i = 0; i < 256; i++)
		if (mm->pml4[i] & PTE_P)
			free_tables(table_at(mm->pml4[i]), 3);
	page_free(mm->pml4_phys, 1);
	for (struct vma *v = mm->vmas, *next; v; v = next) {
		next = v->next;
		kfree(v);
	}
	kfree(mm);
}

void mm_switch(struct mm *mm)
{
	u64 cr3 = mm ? mm->pml4_phys : kernel_pml4_phys;
	if (read_cr3() != cr3)
		write_cr3(cr3);
}

static bool mm_is_live(struct mm *mm) { return read_cr3() == mm->pml4_phys; }

struct vma *vma_find(struct mm *mm, u64 addr)
{
	for (struct vma *v = mm->vmas; v && v->start <= addr; v = v->next)
		if (addr < v->end)
			return v;
	return 0;
}

static bool vma_overlaps(struct mm *mm, u64 start, u64 end)
{
	for (struct vma *v = mm->vmas; v && v->start < end; v = v->next)
		if (v->end > start)
			return true;
	return false;
}

int vma_insert(struct mm *mm, u64 start, u64 end, u32 prot, u32 flags)
{
	if (start >= end || end > TASK_SIZE || vma_overlaps(mm, start, end))
		return -EINVAL;
	struct vma *n = kmalloc(sizeof *n);
	if (!n)
		return -ENOMEM;
	*n = (struct vma){ start, end, prot, flags, 0 };
	struct vma **pp = &mm->vmas;
	while (*pp && (*pp)->start < start)
		pp = &(*pp)->next;
	n->next = *pp;
	*pp = n;
	return 0;
}

/* Make addr a VMA boundary: split the VMA that contains it. */
static int vma_split(struct mm *mm, u64 addr)
{
	struct vma *v = vma_find(mm, addr);
	if (!v || v->start == addr)
		return 0;
	struct vma *tail = kmalloc(sizeof *tail);
	if (!tail)
		return -ENOMEM;
	*tail = *v;
	tail->start = addr;
	v->end = addr;
	v->next = tail;
	return 0;
}

/* Map pages now (ELF segments): a page another segment already mapped is shared and gains
 * this segment's permissions. */
int mm_map_pages(struct mm *mm, u64 va, u64 len, u32 prot)
{
	u64 start = ALIGN_DOWN(va, PAGE_SIZE), end = ALIGN_UP(va + len, PAGE_SIZE);
	for (u64 p = start; p < end; p += PAGE_SIZE) {
		struct vma *v = vma_find(mm, p);
		if (v)
			v->prot |= prot;
		else {
			u64 run = p;
			while (run < end && !vma_find(mm, run))
				run += PAGE_SIZE;
			int err = vma_insert(mm, p, run, prot, 0);
			if (err)
				return err;
		}
		u64 *pte = pte_lookup(mm->pml4, p, true);
		if (!pte)
			return -ENOMEM;
		if (!(*pte & PTE_P)) {
			u64 pa = page_alloc(1);
			if (!pa)
				return -ENOMEM;
			*pte = pa;
		}
		u32 have = vma_find(mm, p)->prot;
		*pte = (*pte & PTE_ADDR) | prot_to_pte(have);
	}
	return 0;
}

static void unmap_range(struct mm *mm, u64 start, u64 end)
{
	for (u64 p = start; p < end; p += PAGE_SIZE) {
		u64 *pte = pte_lookup(mm->pml4, p, false);
		if (!pte || !(*pte & PTE_P))
			continue;
		if (!(*pte & PTE_NOFREE))
			page_free(*pte & PTE_ADDR, 1);
		*pte = 0;
		if (mm_is_live(mm))
			invlpg(p);
	}
}

int vm_unmap(struct mm *mm, u64 start, u64 end)
{
	if (vma_split(mm, start) || vma_split(mm, end))
		return -ENOMEM;
	for (struct vma **pp = &mm->vmas; *pp;) {
		struct vma *v = *pp;
		if (v->start >= start && v->end <= end) {
			unmap_range(mm, v->start, v->end);
			*pp = v->next;
			kfree(v);
		} else
			pp = &v->next;
	}
	return 0;
}

int vm_protect(struct mm *mm, u64 start, u64 end, u32 prot)
{
	for (u64 p = start; p < end;) {
		struct vma *v = vma_find(mm, p);
		if (!v)
			return -ENOMEM; /* as Linux: part of the range is not mapped */
		p = v->end;
	}
	if (vma_split(mm, start) || vma_split(mm, end))
		return -ENOMEM;
	for (struct vma *v = mm->vmas; v && v->start < end; v = v->next) {
		if (v->start < start)
			continue;
		v->prot = prot;
		for (u64 p = v->start; p < v->end; p += PAGE_SIZE) {
			u64 *pte = pte_lookup(mm->pml4, p, false);
			if (!pte || !(*pte & PTE_P))
				continue;
			*pte = (*pte & (PTE_ADDR | PTE_NOFREE)) | (prot ? prot_to_pte(prot) : 0);
			if (!prot && !(*pte & PTE_NOFREE)) {
				page_free(*pte & PTE_ADDR, 1); /* PROT_NONE: the contents go, as they may */
				*pte = 0;
			}
			if (mm_is_live(mm))
				invlpg(p);
		}
	}
	return 0;
}

/* The highest free range of len bytes below USER_MMAP_TOP and above the heap's reach. */
u64 vm_find_free(struct mm *mm, u64 len)
{
	u64 top = USER_MMAP_TOP;
	u64 floor = mm->brk_start + (1ULL << 30); /* leave the heap a GiB to grow */
	while (top >= len && top - len >= floor) {
		u64 cand = top - len, lowest = top;
		for (struct vma *v = mm->vmas; v && v->start < top; v = v->next)
			if (v->end > cand && v->start < lowest)
				lowest = v->start;
		if (lowest == top)
			return cand;
		top = lowest;
	}
	return 0;
}

/* A fault on a user page: a demand-zero page when the VMA allows the access, else -EFAULT. */
int handle_user_fault(struct mm *mm, u64 addr, bool write, bool exec)
{
	struct vma *v = vma_find(mm, addr);
	if (!v || (write && !(v->prot & PROT_WRITE)) || (exec && !(v->prot & PROT_EXEC)) || v->prot == PROT_NONE)
		return -EFAULT;
	u64 *pte = pte_lookup(mm->pml4, addr, true);
	if (!pte)
		return -ENOMEM;
	if (*pte & PTE_P)
		return -EFAULT; /* present and still faulting: a protection fault */
	u64 pa = page_alloc(1);
	if (!pa)
		return -ENOMEM;
	*pte = pa | prot_to_pte(v->prot);
	return 0;
}

/* Fault in [addr, addr + len) ahead of an access the CPU will not fault for us (the VMM walks
 * a VMCALL's buffers in the page tables and wants them present). */
int mm_populate(struct mm *mm, u64 addr, u64 len, bool write)
{
	for (u64 p = ALIGN_DOWN(addr, PAGE_SIZE); p < addr + len; p += PAGE_SIZE) {
		u64 *pte = pte_lookup(mm->pml4, p, false);
		if (pte && (*pte & PTE_P) && (!write || (*pte & PTE_W)))
			continue;
		if (handle_user_fault(mm, p, write, false))
			return -EFAULT;
	}
	return 0;
}

/* A page the address space does not own (the VMM's counter page), mapped read-only. */
int vm_map_shared_page(struct mm *mm, u64 va, u64 pa)
{
	int err = vma_insert(mm, va, va + PAGE_SIZE, PROT_READ, 0);
	if (err)
		return err;
	u64 *pte = pte_lookup(mm->pml4, va, true);
	if (!pte)
		return -ENOMEM;
	*pte = pa | PTE_P | PTE_U | pte_nx | PTE_NOFREE;
	return 0;
}
