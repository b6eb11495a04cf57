/*
 * Entry of every test program. _start runs natively only (the stepper starts recording at
 * ymir_test_start): it moves RSP to a stack inside the compared data segment and installs a
 * handler for the fault signals on an alternate stack, so the stepper can read the CPU's trap
 * number, error code and CR2 from the signal frame (see stepper.c). The interpreter begins at
 * ymir_test_start with the registers the native run had there.
 */
    .intel_syntax noprefix
    .section .text.start, "ax"
    .globl _start, ymir_test_start, ymir_fault_handler, ymir_exit
_start:
    lea rsp, [rip + ymir_stack_top]
    /* sigaltstack(&ss, NULL) */
    mov eax, 131
    lea rdi, [rip + ymir_ss]
    xor esi, esi
    syscall
    /* rt_sigaction(sig, &sa, NULL, 8) for SIGTRAP 5, SIGILL 4, SIGBUS 7, SIGFPE 8, SIGSEGV 11 */
    .irp sig, 4, 5, 7, 8, 11
    mov eax, 13
    mov edi, \sig
    lea rsi, [rip + ymir_sa]
    xor edx, edx
    mov r10d, 8
    syscall
    .endr
    xor eax, eax
    xor ecx, ecx
    xor edx, edx
    xor ebx, ebx
    xor esi, esi
    xor edi, edi
    xor r10d, r10d
    xor r11d, r11d          /* (writes no memory: the data segment is still the ELF's image) */
ymir_test_start:
    call ymir_main
    mov edi, eax
ymir_exit:
    mov eax, 231            /* exit_group */
    syscall
    ud2

/* Only reached when a program faults outside the stepper: exit with status 99. */
ymir_fault_handler:
    mov edi, 99
    mov eax, 231
    syscall
    ud2

    .section .rodata
    .balign 8
ymir_sa:
    .quad ymir_fault_handler
    .quad 0x4c000004        /* SA_SIGINFO | SA_ONSTACK | SA_NODEFER | SA_RESTORER */
    .quad ymir_fault_handler /* restorer: never returned to */
    .quad 0                 /* sa_mask */
ymir_ss:
    .quad ymir_sigstack
    .long 0
    .long 0
    .quad 65536

    .section .ymir_sigstack, "aw", @nobits
    .balign 4096
ymir_sigstack:
    .skip 65536

    .section .note.GNU-stack, "", @progbits

    .bss
    .balign 4096
    .globl ymir_stack_bottom, ymir_stack_top
ymir_stack_bottom:
    .skip 16384
ymir_stack_top:
