/*
 * Small kernel allocations: power-of-two classes from 32 to 2048 bytes carved from pages, each
 * block with a 16-byte header naming its class; larger ones take whole pages (the header then
 * holds the page count). Memory comes back zeroed.
 */
#include "kernel.h"

#define MIN_SHIFT 5
#define MAX_SHIFT 11
#define HEADER 16

struct header {
	u64 pages; /* 0 for a class block */
	u64 shift;
};

static void *free_lists[MAX_SHIFT + 1];

void *kmalloc(u64 size)
{
	u64 need = size + HEADER;
	if (need > (1u << MAX_SHIFT)) {
		u64 pages = ALIGN_UP(need, PAGE_SIZE) / PAGE_SIZE;
		u64 pa = page_alloc(pages);
		if (!pa)
			return 0;
		struct header *h = phys_to_virt(pa);
		h->pages = pages;
		return (u8 *)h + HEADER;
	}
	u64 shift = MIN_SHIFT;
	while ((1u << shift) < need)
		shift++;
	u64 f = irq_save();
	if (!free_lists[shift]) {
		u64 pa = page_alloc(1);
		if (!pa) {
			irq_restore(f);
			return 0;
		}
		u8 *page = phys_to_virt(pa);
		for (u64 off = 0; off < PAGE_SIZE; off += 1u << shift) {
			*(void **)(page + off) = free_lists[shift];
			free_lists[shift] = page + off;
		}
	}
	struct header *h = free_lists[shift];
	free_lists[shift] = *(void **)h;
	irq_restore(f);
	memset(h, 0, 1u << shift);
	h->shift = shift;
	return (u8 *)h + HEADER;
}

void kfree(void *p)
{
	if (!p)
		return;
	struct header *h = (struct header *)((u8 *)p - HEADER);
	if (h->pages) {
		page_free(virt_to_phys(h), h->pages);
		return;
	}
	u64 f = irq_save();
	*(void **)h = free_lists[h->shift];
	free_lists[h->shift] = h;
	irq_restore(f);
}
