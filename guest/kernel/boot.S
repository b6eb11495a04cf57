/*
 * The Multiboot 1 entry (Multiboot Specification 0.6.96, section 3.2): 32-bit protected mode,
 * paging off, EAX = 0x2BADB002, EBX = the information structure. It builds boot page tables
 * (identity map of the first 4 GiB for the early C code that reads the Multiboot structures,
 * and the kernel's -2 GiB window), enters long mode (SDM Vol. 3A 10.8.5: CR4.PAE, CR3,
 * EFER.LME, CR0.PG) and jumps to the higher half.
 */
#include "layout.h"
#include "asm.h"

#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003 /* bit 0: page-align modules; bit 1: memory information */
#define PA(sym) ((sym) - KERNEL_VMA)
#define PTE_P 0x1
#define PTE_W 0x2
#define PTE_PS 0x80

	.section .multiboot, "a"
	.balign 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.section .boot.text, "ax"
	.code32
	.globl multiboot_entry
multiboot_entry:
	cli
	cld
	movl %eax, %ebp			/* the Multiboot magic, checked by kmain */
	movl %ebx, %esi			/* the information structure */
	movl $PA(boot_stack_top), %esp

	/* The loader zeroed .bss from the ELF's memsz; do it again for loaders that did not. */
	movl $PA(__bss_start), %edi
	movl $PA(__kernel_end), %ecx
	subl %edi, %ecx
	shrl $2, %ecx
	xorl %eax, %eax
	rep stosl

	/* Long mode needs CPUID.80000001H:EDX.LM[29]. */
	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb no_long_mode
	movl $0x80000001, %eax
	cpuid
	btl $29, %edx
	jnc no_long_mode
	btl $20, %edx			/* NX: EFER.NXE may only be set where it exists */
	jnc 1f
	movl $1, PA(cpu_has_nx)
1:
	/* Four page directories of 2 MiB pages: physical [0, 4 GiB). */
	movl $PA(boot_pd), %edi
	xorl %ecx, %ecx
2:	movl %ecx, %eax
	shll $21, %eax
	orl $(PTE_P | PTE_W | PTE_PS), %eax
	movl %eax, (%edi, %ecx, 8)
	movl %ecx, %eax
	shrl $11, %eax
	movl %eax, 4(%edi, %ecx, 8)
	incl %ecx
	cmpl $2048, %ecx
	jb 2b
	/* PDPT for the identity map: its first four entries are the four directories. */
	movl $PA(boot_pdpt_low), %edi
	movl $(PA(boot_pd) + PTE_P + PTE_W), %eax
	xorl %ecx, %ecx
3:	movl %eax, (%edi, %ecx, 8)
	addl $4096, %eax
	incl %ecx
	cmpl $4, %ecx
	jb 3b
	/* 0xffffffff80000000 is PML4 511, PDPT 510: map it to physical [0, 2 GiB). */
	movl $(PA(boot_pd) + PTE_P + PTE_W), PA(boot_pdpt_high) + 510 * 8
	movl $(PA(boot_pd) + 4096 + PTE_P + PTE_W), PA(boot_pdpt_high) + 511 * 8
	movl $(PA(boot_pdpt_low) + PTE_P + PTE_W), PA(boot_pml4)
	movl $(PA(boot_pdpt_high) + PTE_P + PTE_W), PA(boot_pml4) + 511 * 8

	movl %cr4, %eax
	orl $(CR4_PAE | CR4_PGE), %eax
	movl %eax, %cr4
	movl $PA(boot_pml4), %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $(EFER_LME | EFER_SCE), %eax
	cmpl $0, PA(cpu_has_nx)
	je 4f
	orl $EFER_NXE, %eax
4:	wrmsr
	movl %cr0, %eax
	orl $(CR0_PE | CR0_WP | CR0_PG), %eax
	movl %eax, %cr0
	/* Now in compatibility mode; a far jump to a 64-bit code segment enters 64-bit mode. */
	lgdt boot_gdt_descriptor
	ljmp $GDT_KERNEL_CS, $entry64

no_long_mode:
	movl $no_long_mode_message, %esi
5:	lodsb
	testb %al, %al
	jz 6f
	movw $0x3f8, %dx
	outb %al, %dx
	jmp 5b
6:	hlt
	jmp 6b

	.code64
entry64:
	movl $GDT_KERNEL_DS, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	xorl %eax, %eax
	movl %eax, %fs
	movl %eax, %gs
	movabsq $start64, %rax
	jmp *%rax

	.section .boot.data, "a"
	.balign 8
boot_gdt:
	.quad 0
	.quad 0x00cf9b000000ffff	/* 0x08: 32-bit code (accessed: the CPU need not write it) */
	.quad 0x00af9b000000ffff	/* 0x10: 64-bit code (L) */
	.quad 0x00cf93000000ffff	/* 0x18: data */
boot_gdt_descriptor:
	.word boot_gdt_descriptor - boot_gdt - 1
	.long boot_gdt
no_long_mode_message:
	.asciz "ymir-guest: this CPU has no long mode (x86-64); cannot boot\r\n"

	.text
start64:
	leaq boot_stack_top(%rip), %rsp
	movl %ebp, %edi			/* zero-extends: the upper halves are undefined after the switch */
	movl %esi, %esi
	xorl %ebp, %ebp
	call kmain
7:	cli
	hlt
	jmp 7b

	.data
	.globl cpu_has_nx
	.balign 4
cpu_has_nx:
	.long 0

	.bss
	.balign 4096
	.globl boot_pml4
boot_pml4:	.skip 4096
boot_pdpt_low:	.skip 4096
boot_pdpt_high:	.skip 4096
boot_pd:	.skip 4 * 4096
	.globl boot_stack_top
boot_stack:	.skip KSTACK_SIZE
boot_stack_top:
