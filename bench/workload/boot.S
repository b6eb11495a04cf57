/*
 * The benchmark workload as a Multiboot (v1) kernel for QEMU: a 32-bit entry that identity-maps
 * the first 1 GiB with 2 MiB pages, enters long mode, calls the workload's ymir_main and reports
 * its result on QEMU's isa-debug-exit port 0xf4 (the process exits with (result << 1) | 1).
 */
    .section .multiboot, "a"
    .balign 4
    .long 0x1badb002                /* magic */
    .long 0                         /* flags: an ELF image, nothing asked */
    .long -0x1badb002               /* checksum */

    .section .text.boot, "ax"
    .code32
    .globl _start
_start:
    cli
    mov $boot_stack_top, %esp
    /* PML4[0] -> PDPT, PDPT[0] -> PD, PD[n] = n * 2 MiB, present, writable, large. */
    mov $pdpt, %eax
    or $3, %eax
    mov %eax, pml4
    mov $pd, %eax
    or $3, %eax
    mov %eax, pdpt
    xor %ecx, %ecx
1:  mov %ecx, %eax
    shl $21, %eax
    or $0x83, %eax
    mov %eax, pd(, %ecx, 8)
    inc %ecx
    cmp $512, %ecx
    jne 1b
    mov %cr4, %eax
    or $0x20, %eax                  /* PAE */
    mov %eax, %cr4
    mov $pml4, %eax
    mov %eax, %cr3
    mov $0xc0000080, %ecx           /* EFER.LME */
    rdmsr
    or $0x100, %eax
    wrmsr
    mov %cr0, %eax
    or $0x80000001, %eax            /* PG, PE */
    mov %eax, %cr0
    lgdt gdt_pointer
    ljmp $0x08, $long_mode

    .code64
long_mode:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $boot_stack_top, %rsp
    call ymir_main
    mov $0xf4, %dx
    out %al, %dx
2:  hlt
    jmp 2b

    .section .rodata
    .balign 8
gdt:
    .quad 0
    .quad 0x00af9a000000ffff        /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff        /* 0x10: data */
gdt_pointer:
    .word gdt_pointer - gdt - 1
    .long gdt

    .section .note.GNU-stack, "", @progbits

    .bss
    .balign 4096
pml4: .skip 4096
pdpt: .skip 4096
pd:   .skip 4096
    .skip 16384
boot_stack_top:
