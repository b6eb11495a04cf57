/*
 * Physical page allocator: one bit per 4 KiB page of RAM (set = in use), placed in the first
 * free memory above the kernel, the Multiboot structures and the modules. Memory below 1 MiB
 * stays reserved (the AP trampoline lives there), as Linux reserves most of it.
 */
#include "kernel.h"

extern char __kernel_end_phys[];

u64 ram_end;
static u64 bitmap_phys, npages, nfree, ntotal, hint;

static u8 *bitmap(void) { return phys_to_virt(bitmap_phys); }
static bool page_used(u64 i) { return bitmap()[i / 8] & (1 << (i % 8)); }
static void set_used(u64 i) { bitmap()[i / 8] |= (u8)(1 << (i % 8)); }
static void set_free(u64 i) { bitmap()[i / 8] &= (u8)~(1 << (i % 8)); }

/* Mark [start, end) in use (rounded outward to pages). */
static void reserve(u64 start, u64 end)
{
	for (u64 i = start / PAGE_SIZE; i < ALIGN_UP(end, PAGE_SIZE) / PAGE_SIZE && i < npages; i++)
		if (!page_used(i)) {
			set_used(i);
			nfree--, ntotal--;
		}
}

/* Release [start, end) (rounded inward to pages) for use. */
static void release(u64 start, u64 end)
{
	for (u64 i = ALIGN_UP(start, PAGE_SIZE) / PAGE_SIZE; i < end / PAGE_SIZE && i < npages; i++)
		if (page_used(i)) {
			set_free(i);
			nfree++, ntotal++;
		}
}

struct range {
	u64 start, end;
};

/* The memory the boot loader handed us: the information structure and what it points to. */
static int boot_ranges(u64 mbi_phys, struct range *out, int max)
{
	struct multiboot_info *mbi = phys_to_virt(mbi_phys);
	int n = 0;
	out[n++] = (struct range){ KERNEL_PHYS, (u64)__kernel_end_phys };
	out[n++] = (struct range){ mbi_phys, mbi_phys + sizeof *mbi };
	if (mbi->flags & MULTIBOOT_INFO_CMDLINE)
		out[n++] = (struct range){ mbi->cmdline, mbi->cmdline + strlen(phys_to_virt(mbi->cmdline)) + 1 };
	if (mbi->flags & MULTIBOOT_INFO_MMAP)
		out[n++] = (struct range){ mbi->mmap_addr, (u64)mbi->mmap_addr + mbi->mmap_length };
	if (mbi->flags & MULTIBOOT_INFO_MODS) {
		struct multiboot_module *mods = phys_to_virt(mbi->mods_addr);
		out[n++] = (struct range){ mbi->mods_addr, mbi->mods_addr + mbi->mods_count * sizeof *mods };
		for (u32 i = 0; i < mbi->mods_count && n + 2 <= max; i++) {
			out[n++] = (struct range){ mods[i].mod_start, mods[i].mod_end };
			if (mods[i].string)
				out[n++] = (struct range){ mods[i].string, mods[i].string + strlen(phys_to_virt(mods[i].string)) + 1 };
		}
	}
	return n;
}

/* The usable RAM ranges: the memory map, or mem_lower/mem_upper when there is none. */
static int usable_ranges(u64 mbi_phys, struct range *out, int max)
{
	struct multiboot_info *mbi = phys_to_virt(mbi_phys);
	int n = 0;
	if (mbi->flags & MULTIBOOT_INFO_MMAP) {
		for (u64 off = 0; off < mbi->mmap_length && n < max;) {
			struct multiboot_mmap_entry *e = phys_to_virt(mbi->mmap_addr + off);
			printk("multiboot: [mem 0x%016lx-0x%016lx] %s\n", e->addr, e->addr + e->len - 1,
			       e->type == MULTIBOOT_MEMORY_AVAILABLE ? "usable" : "reserved");
			if (e->type == MULTIBOOT_MEMORY_AVAILABLE)
				out[n++] = (struct range){ e->addr, e->addr + e->len };
			off += e->size + 4;
		}
	} else if (mbi->flags & MULTIBOOT_INFO_MEMORY) {
		out[n++] = (struct range){ 0, (u64)mbi->mem_lower * 1024 };
		out[n++] = (struct range){ 0x100000, 0x100000 + (u64)mbi->mem_upper * 1024 };
	} else
		panic("the boot loader gave no memory map");
	return n;
}

void page_init(u64 mbi_phys)
{
	struct range usable[32], boot[40];
	int nu = usable_ranges(mbi_phys, usable, 32);
	int nb = boot_ranges(mbi_phys, boot, 40);
	u64 taken = 0;
	for (int i = 0; i < nu; i++)
		ram_end = MAX(ram_end, usable[i].end);
	for (int i = 0; i < nb; i++)
		taken = MAX(taken, boot[i].end);
	npages = ram_end / PAGE_SIZE;
	u64 bytes = ALIGN_UP((npages + 7) / 8, PAGE_SIZE);
	bitmap_phys = ALIGN_UP(taken, PAGE_SIZE);
	bool fits = false;
	for (int i = 0; i < nu; i++)
		fits |= usable[i].start <= bitmap_phys && bitmap_phys + bytes <= usable[i].end;
	if (!fits)
		panic("no room for the page bitmap above 0x%lx", bitmap_phys);
	memset(bitmap(), 0xff, bytes);
	for (int i = 0; i < nu; i++)
		release(MAX(usable[i].start, 0x100000), usable[i].end);
	for (int i = 0; i < nb; i++)
		reserve(boot[i].start, boot[i].end);
	reserve(bitmap_phys, bitmap_phys + bytes);
}

u64 page_alloc(u64 n)
{
	u64 f = irq_save();
	for (u64 pass = 0; pass < 2; pass++) {
		u64 run = 0;
		for (u64 i = pass ? 0 : hint; i < npages; i++) {
			if (n == 1 && i % 8 == 0 && i + 8 <= npages && bitmap()[i / 8] == 0xff) {
				i += 7;
				run = 0;
				continue;
			}
			run = page_used(i) ? 0 : run + 1;
			if (run == n) {
				u64 first = i + 1 - n;
				for (u64 j = first; j <= i; j++)
					set_used(j);
				nfree -= n;
				hint = i + 1;
				irq_restore(f);
				memset(phys_to_virt(first * PAGE_SIZE), 0, n * PAGE_SIZE);
				return first * PAGE_SIZE;
			}
		}
	}
	irq_restore(f);
	return 0;
}

void page_free(u64 pa, u64 n)
{
	u64 f = irq_save();
	for (u64 i = pa / PAGE_SIZE; i < pa / PAGE_SIZE + n; i++) {
		if (!page_used(i))
			panic("page_free: page 0x%lx is already free", i * PAGE_SIZE);
		set_free(i);
		nfree++;
	}
	if (pa / PAGE_SIZE < hint)
		hint = pa / PAGE_SIZE;
	irq_restore(f);
}

u64 pages_free(void) { return nfree; }
u64 pages_total(void) { return ntotal; }
