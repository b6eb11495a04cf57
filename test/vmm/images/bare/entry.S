/*
 * Test images' entry: a Multiboot 1 header, the 32-bit entry that switches to long mode with the
 * first 4 GiB identity mapped by 2 MiB pages, a 64-bit GDT and TSS, then bare_main(magic, info).
 * Also the AP trampoline (real mode -> long mode), copied to 0x8000 by bare_start_aps().
 */
    .set MB_MAGIC, 0x1BADB002
    .set MB_FLAGS, 0x3
    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

    .section .note.GNU-stack, "", @progbits
    .section .text
    .code32
    .globl _start
_start:
    mov %eax, %edi
    mov %ebx, %esi
    mov $bsp_stack_top, %esp
    lgdt gdt_ptr32
    call build_page_tables
    call enable_long_mode
    ljmp $0x08, $long_entry

/* PML4[0] -> PDPT; PDPT[0..3] -> four PDs of 2 MiB pages: 4 GiB identity. */
build_page_tables:
    movl $pdpt + 3, pml4
    xor %ecx, %ecx
1:  mov %ecx, %eax
    shl $12, %eax
    add $pd + 3, %eax
    mov %eax, pdpt(,%ecx,8)
    inc %ecx
    cmp $4, %ecx
    jne 1b
    xor %ecx, %ecx
2:  mov %ecx, %eax
    shl $21, %eax
    or $0x83, %eax
    mov %eax, pd(,%ecx,8)
    mov %ecx, %eax
    shr $11, %eax
    mov %eax, pd+4(,%ecx,8)
    inc %ecx
    cmp $2048, %ecx
    jne 2b
    ret

enable_long_mode:
    mov %cr4, %eax
    or $0x20, %eax
    mov %eax, %cr4
    mov $pml4, %eax
    mov %eax, %cr3
    mov $0xC0000080, %ecx
    rdmsr
    or $0x901, %eax          /* LME, NXE, SCE */
    wrmsr
    mov %cr0, %eax
    or $0x80010001, %eax     /* PG, WP, PE */
    mov %eax, %cr0
    ret

    .code64
long_entry:
    /* The outermost frame: a debugger's backtrace ends here. */
    .cfi_sections .debug_frame
    .cfi_startproc
    .cfi_undefined rip
    xor %ebp, %ebp
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %eax, %eax
    mov %ax, %fs
    mov %ax, %gs
    lea bsp_stack_top(%rip), %rsp
    lgdt gdt_ptr64(%rip)
    call bare_main
    jmp bare_halt
    .cfi_endproc

    .globl bare_halt
bare_halt:
    cli
3:  hlt
    jmp 3b

/* The AP trampoline, position independent in its page (copied to TRAMPOLINE = 0x8000). */
    .set TRAMPOLINE, 0x8000
    .globl trampoline_start, trampoline_end, trampoline_stack
    .code16
trampoline_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    lgdtl TRAMPOLINE + (tramp_gdt_ptr - trampoline_start)
    mov %cr0, %eax
    or $1, %eax
    mov %eax, %cr0
    ljmpl $0x18, $TRAMPOLINE + (tramp32 - trampoline_start)
    .code32
tramp32:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %ss
    mov TRAMPOLINE + (trampoline_stack - trampoline_start), %esp
    mov $enable_long_mode, %eax     /* absolute: this code runs copied to TRAMPOLINE */
    call *%eax
    ljmp $0x08, $ap_entry
    .align 8
tramp_gdt:
    .quad 0, 0x00af9a000000ffff, 0x00cf92000000ffff, 0x00cf9a000000ffff
tramp_gdt_ptr:
    .word 31
    .long TRAMPOLINE + (tramp_gdt - trampoline_start)
trampoline_stack:
    .quad 0
trampoline_end:

    .code64
ap_entry:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %ss
    mov TRAMPOLINE + (trampoline_stack - trampoline_start), %rsp
    lgdt gdt_ptr64(%rip)
    call bare_ap_main
    jmp bare_halt

    .section .rodata
    .align 8
gdt:  .quad 0, 0x00af9a000000ffff, 0x00cf92000000ffff, 0x00cf9a000000ffff
gdt_ptr32: .word 31
    .long gdt
gdt_ptr64: .word 31
    .quad gdt

    .section .bss
    .align 4096
    .globl pml4, pdpt, pd
pml4: .space 4096
pdpt: .space 4096
pd:   .space 4 * 4096
    .space 16384
bsp_stack_top:

/* Interrupt entry: one stub per vector pushes (error code or 0, vector) and joins the common path. */
    .section .text
    .code64
    .altmacro
    .macro stub vector
    .align 16
    .if (\vector == 8) || ((\vector >= 10) && (\vector <= 14)) || (\vector == 17)
    pushq $\vector
    .else
    pushq $0
    pushq $\vector
    .endif
    jmp interrupt_common
    .endm
    .align 16
    .globl interrupt_stubs
interrupt_stubs:
    .set v, 0
    .rept 256
    stub %v
    .set v, v + 1
    .endr

interrupt_common:
    push %rax; push %rcx; push %rdx; push %rbx; push %rbp; push %rsi; push %rdi
    push %r8; push %r9; push %r10; push %r11; push %r12; push %r13; push %r14; push %r15
    mov %rsp, %rdi
    call bare_interrupt
    pop %r15; pop %r14; pop %r13; pop %r12; pop %r11; pop %r10; pop %r9; pop %r8
    pop %rdi; pop %rsi; pop %rbp; pop %rbx; pop %rdx; pop %rcx; pop %rax
    add $16, %rsp
    iretq
