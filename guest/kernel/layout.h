/*
 * The kernel's virtual memory map (as Linux's Documentation/arch/x86/x86_64/mm.rst):
 *
 *   0x0000000000000000 - 0x00007fffffffefff  user space, per process
 *   0xffff888000000000 - ...                 direct map of all physical RAM (2 MiB pages, NX)
 *   0xffffffff80000000 + phys                the kernel image, loaded at physical 1 MiB
 *   0xffffffffff000000 - ...                 fixmap: device pages such as the xAPIC (uncached)
 *
 * Also used by assembly: only #defines here.
 */
#ifndef KERNEL_LAYOUT_H
#define KERNEL_LAYOUT_H

#define PAGE_SIZE 4096
#define PAGE_SHIFT 12
#define KERNEL_VMA 0xffffffff80000000
#define KERNEL_PHYS 0x100000
#define DIRECT_MAP 0xffff888000000000
#define FIXMAP_BASE 0xffffffffff000000
#define FIXMAP_XAPIC (FIXMAP_BASE + 0x0000)

/* The highest user address + 1, as Linux's TASK_SIZE_MAX: the last page below the canonical
 * hole stays unmapped, so SYSRET never returns to a non-canonical RIP. */
#define TASK_SIZE 0x00007ffffffff000
#define USER_STACK_TOP TASK_SIZE
#define USER_STACK_MAX (8 * 1024 * 1024)
#define USER_MMAP_TOP 0x00007f0000000000

/* The AP trampoline lives at this physical address (below 1 MiB, page aligned): STARTUP vector
 * 0x08. */
#define TRAMPOLINE_PHYS 0x8000

/* Kernel stacks: one per process and per CPU for the scheduler; IST stacks for #DF and NMI. */
#define KSTACK_SIZE (32 * 1024)
#define IST_STACK_SIZE (8 * 1024)

/* GDT selectors, laid out as Linux's so SYSCALL/SYSRET's fixed arithmetic on IA32_STAR works:
 * SYSCALL loads CS = STAR[47:32], SS = CS + 8; SYSRET64 loads CS = STAR[63:48] + 16, SS =
 * STAR[63:48] + 8. */
#define GDT_KERNEL_CS32 0x08
#define GDT_KERNEL_CS 0x10
#define GDT_KERNEL_DS 0x18
#define GDT_USER_CS32 0x23
#define GDT_USER_DS 0x2b
#define GDT_USER_CS 0x33
#define GDT_TSS 0x40
#define GDT_ENTRIES 10

#endif
