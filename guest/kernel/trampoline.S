/*
 * The AP trampoline, as Linux's realmode/rm/trampoline_64.S: the BSP copies these bytes to
 * TRAMPOLINE_PHYS and sends INIT-SIPI-SIPI with vector TRAMPOLINE_PHYS >> 12. An AP starts in
 * real mode at CS:IP = 0x0800:0000 (SDM Vol. 3A 9.4.4), enters protected mode, then long mode
 * on the trampoline page tables (identity map of the low 2 MiB plus the kernel's half), and
 * jumps to ap_start64 in the kernel image on the stack the BSP left in tr_stack.
 *
 * Code here is data to the kernel (it runs only at its copy), so it lives in .rodata and every
 * address it uses is TRAMPOLINE_PHYS + its offset.
 */
#include "layout.h"
#include "asm.h"

#define T(sym) (TRAMPOLINE_PHYS + (sym) - trampoline_start)

	.section .rodata.trampoline, "a"
	.balign 16
	.globl trampoline_start
trampoline_start:
	.code16
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	movl $1, tr_started - trampoline_start	/* tells the BSP a second STARTUP is not needed */
	lgdtl tr_gdt_descriptor - trampoline_start
	movl %cr0, %eax
	orl $CR0_PE, %eax
	movl %eax, %cr0
	ljmpl $GDT_KERNEL_CS32, $T(tr_protected)

	.code32
tr_protected:
	movl $GDT_KERNEL_DS, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %cr4, %eax
	orl $(CR4_PAE | CR4_PGE), %eax
	movl %eax, %cr4
	movl T(tr_cr3), %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl T(tr_efer), %eax
	wrmsr
	movl %cr0, %eax
	orl $(CR0_PG | CR0_WP), %eax
	movl %eax, %cr0
	ljmpl $GDT_KERNEL_CS, $T(tr_long)

	.code64
tr_long:
	movq T(tr_stack), %rsp
	movq T(tr_percpu), %rdi
	movq T(tr_entry), %rax
	jmp *%rax

	.balign 8
tr_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: 32-bit code */
	.quad 0x00af9a000000ffff	/* 0x10: 64-bit code */
	.quad 0x00cf92000000ffff	/* 0x18: data */
tr_gdt_descriptor:
	.word tr_gdt_descriptor - tr_gdt - 1
	.long T(tr_gdt)

	/* Filled in by the BSP for each AP (smp.c). */
	.balign 8
	.globl tr_cr3, tr_efer, tr_stack, tr_percpu, tr_entry, tr_started
tr_started:	.long 0		/* set by the AP */
	.long 0
tr_cr3:		.long 0		/* physical, below 4 GiB */
tr_efer:	.long 0
tr_stack:	.quad 0
tr_percpu:	.quad 0
tr_entry:	.quad 0
	.globl trampoline_end
trampoline_end:
