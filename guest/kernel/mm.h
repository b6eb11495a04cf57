/* Physical pages, page tables and user address spaces. */
#ifndef KERNEL_MM_H
#define KERNEL_MM_H

#include "types.h"
#include "layout.h"

/* Page-table entry bits (SDM Vol. 3A 5.5, table 5-20). */
#define PTE_P (1ULL << 0)
#define PTE_W (1ULL << 1)
#define PTE_U (1ULL << 2)
#define PTE_PWT (1ULL << 3)
#define PTE_PCD (1ULL << 4)
#define PTE_PS (1ULL << 7)
#define PTE_G (1ULL << 8)
#define PTE_NOFREE (1ULL << 9) /* software bit: the page is not this address space's to free */
#define PTE_NX (1ULL << 63)
#define PTE_ADDR 0x000ffffffffff000ULL

/* Where physical memory is visible: 0 while the boot identity map is live, then DIRECT_MAP. */
extern u64 phys_base;
extern u64 pte_nx; /* PTE_NX when EFER.NXE is on, else 0 */
static inline void *phys_to_virt(u64 pa) { return (void *)(pa + phys_base); }
static inline u64 virt_to_phys(const void *va)
{
	u64 v = (u64)va;
	return v >= KERNEL_VMA ? v - KERNEL_VMA : v - phys_base;
}

struct vma {
	u64 start, end; /* [start, end), page aligned */
	u32 prot;       /* PROT_READ | PROT_WRITE | PROT_EXEC */
	u32 flags;
	struct vma *next; /* sorted by start, not overlapping */
};
#define VMA_STACK (1 << 0)
#define VMA_HEAP (1 << 1)

struct mm {
	u64 *pml4;
	u64 pml4_phys;
	struct vma *vmas;
	u64 brk_start, brk;
	int users; /* processes sharing it (vfork) */
};

#endif
