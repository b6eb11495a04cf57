/*
 * The bare runtime's entry: Multiboot 1 header, 32-bit entry to long mode (SDM Vol. 3A 10.8.5)
 * on page tables that identity map [0, 4 GiB) with 2 MiB pages, the page of the xAPIC
 * (0xFEE00000) uncached; a GDT (0x08 code, 0x10 data); the IDT stubs; and the AP trampoline,
 * copied to 0x8000 by start_aps.
 */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x3
#define PTE_PCD_PWT 0x18

	.section .multiboot, "a"
	.balign 4
	.long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

	.text
	.code32
	.globl _start
_start:
	cli
	cld
	movl %eax, %ebp			/* the magic; EBX holds the information structure */
	movl $bsp_stack_top, %esp
	movl $__bss_start, %edi		/* zero .bss, the stack included, before using either */
	movl $__bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	rep stosb
	movl $(pdpt + 3), pml4
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $12, %eax
	addl $(pd + 3), %eax
	movl %eax, pdpt(, %ecx, 8)
	incl %ecx
	cmpl $4, %ecx
	jne 1b
	xorl %ecx, %ecx
2:	movl %ecx, %eax
	shll $21, %eax
	orl $0x83, %eax			/* present, writable, 2 MiB */
	cmpl $0x7f7, %ecx		/* 0xFEE00000 >> 21: the APIC page is device memory */
	jne 3f
	orl $PTE_PCD_PWT, %eax
3:	movl %eax, pd(, %ecx, 8)
	movl %ecx, %eax
	shrl $11, %eax
	movl %eax, pd + 4(, %ecx, 8)
	incl %ecx
	cmpl $2048, %ecx
	jne 2b
	call long_mode_32
	lgdt gdt_pointer
	ljmp $0x08, $long_entry

/* CR4.PAE, CR3, EFER.LME | SCE, CR0.PG | WP: shared by the BSP and the trampoline. */
long_mode_32:
	movl %cr4, %eax
	orl $0x20, %eax
	movl %eax, %cr4
	movl $pml4, %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx
	rdmsr
	orl $0x101, %eax
	wrmsr
	movl %cr0, %eax
	orl $0x80010001, %eax
	movl %eax, %cr0
	ret

	.code64
long_entry:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	xorl %eax, %eax
	movl %eax, %fs
	movl %eax, %gs
	movl %ebp, %edi			/* bare_main(magic, info), zero-extended */
	movl %ebx, %esi
	call bare_main
	movl $0, %edi
	call bare_exit

/* The APs' 64-bit landing: the trampoline has loaded the GDT and page tables and RSP. */
	.globl ap_long_entry
ap_long_entry:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	call bare_ap_main
4:	cli
	hlt
	jmp 4b

/* The IDT stubs: vector v's is at interrupt_stubs + 16 * v; each pushes an error code where
 * the CPU does not (SDM Vol. 3A 6.15), then the vector. */
.altmacro
.macro STUB vector
	.balign 16
	.if (\vector == 8) || (\vector == 10) || (\vector == 11) || (\vector == 12) || (\vector == 13) || (\vector == 14) || (\vector == 17) || (\vector == 21) || (\vector == 29) || (\vector == 30)
	.else
	pushq $0
	.endif
	pushq $\vector
	jmp interrupt_common
.endm
	.balign 16
	.globl interrupt_stubs
interrupt_stubs:
	.set vector, 0
	.rept 256
	STUB %vector
	.set vector, vector + 1
	.endr

interrupt_common:
	pushq %rax
	pushq %rcx
	pushq %rdx
	pushq %rbx
	pushq %rbp
	pushq %rsi
	pushq %rdi
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	cld
	movq %rsp, %rdi
	call bare_interrupt
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rdi
	popq %rsi
	popq %rbp
	popq %rbx
	popq %rdx
	popq %rcx
	popq %rax
	addq $16, %rsp
	iretq

/* The AP trampoline (real mode at 0x0800:0000 after STARTUP vector 8). */
#define T(sym) (0x8000 + (sym) - trampoline_start)
	.globl trampoline_start, trampoline_end, trampoline_stack, trampoline_started
	.code16
trampoline_start:
	cli
	movw %cs, %ax
	movw %ax, %ds
	movl $1, trampoline_started - trampoline_start
	lgdtl gdt_pointer_rm - trampoline_start
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl $0x18, $T(trampoline_32)
	.code32
trampoline_32:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl T(trampoline_stack), %esp
	movl $long_mode_32, %eax	/* absolute: this code runs at its copy */
	call *%eax
	ljmpl $0x08, $ap_long_entry
	.balign 8
gdt_pointer_rm:
	.word gdt_end - gdt - 1
	.long gdt
trampoline_stack:	.quad 0
trampoline_started:	.long 0
trampoline_end:

	.data
	.balign 8
gdt:
	.quad 0
	.quad 0x00af9b000000ffff	/* 0x08: 64-bit code */
	.quad 0x00cf93000000ffff	/* 0x10: data */
	.quad 0x00cf9b000000ffff	/* 0x18: 32-bit code, for the trampoline */
gdt_end:
gdt_pointer:
	.word gdt_end - gdt - 1
	.quad gdt

	.bss
	.balign 4096
pml4:	.skip 4096
pdpt:	.skip 4096
pd:	.skip 4 * 4096
	.balign 16
	.skip 16384
bsp_stack_top:

	.section .note.GNU-stack, "", @progbits
