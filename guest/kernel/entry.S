/*
 * Kernel entries and exits: the 256 IDT stubs, the SYSCALL entry, the way back to user mode
 * (SYSRET when the frame allows it, IRETQ otherwise), the context switch, and the user-copy
 * routine whose faults the exception table turns into a short count.
 *
 * Every entry builds a struct trapframe (trap.h) on the kernel stack: the hardware frame
 * (SS, RSP, RFLAGS, CS, RIP), an error code (0 when the vector has none; the system-call
 * number for SYSCALL), the vector, then the general registers.
 */
#include "layout.h"
#include "asm.h"

.macro SAVE_REGS
	pushq %rdi
	pushq %rsi
	pushq %rdx
	pushq %rcx
	pushq %rax
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
.endm

.macro RESTORE_REGS
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rax
	popq %rcx
	popq %rdx
	popq %rsi
	popq %rdi
.endm

/* Vectors for which the CPU pushes an error code (SDM Vol. 3A 6.15). Each stub starts at a
 * 16-byte boundary and is at most 12 bytes (push imm8 2, push imm32 5, jmp rel32 5), so the stub
 * of vector v is at interrupt_stubs + 16 * v. */
.altmacro
.macro STUB vector
	.balign 16
	.if (\vector == 8) || (\vector == 10) || (\vector == 11) || (\vector == 12) || (\vector == 13) || (\vector == 14) || (\vector == 17) || (\vector == 21) || (\vector == 29) || (\vector == 30)
	.else
	pushq $0
	.endif
	pushq $\vector
	.if (\vector == 2) || (\vector == 8) || (\vector == 18)
	jmp paranoid_common
	.else
	jmp interrupt_common
	.endif
.endm

	.text
	.balign 16
	.globl interrupt_stubs
interrupt_stubs:
	.set vector, 0
	.rept 256
	STUB %vector
	.set vector, vector + 1
	.endr

/* Interrupts and exceptions: swap to the kernel's GS when the interrupted code ran at CPL 3. */
interrupt_common:
	testb $3, 24(%rsp)		/* CS, above the vector and the error code */
	jz 1f
	swapgs
1:	SAVE_REGS
	cld
	movq %rsp, %rdi
	call trap
	.globl trap_return
trap_return:
	testb $3, TF_CS(%rsp)
	jz 2f
	movq %rsp, %rdi
	call prepare_exit_to_user	/* signals, rescheduling; returns with IF = 0 */
	RESTORE_REGS
	addq $16, %rsp
	swapgs
	iretq
2:	RESTORE_REGS
	addq $16, %rsp
	iretq

/*
 * NMI, #DF and #MC run on IST stacks and may arrive anywhere, even between SYSCALL and its
 * SWAPGS, so CS does not tell which GS is loaded: IA32_GS_BASE does (the kernel's is a
 * negative address), as Linux's paranoid_entry.
 */
paranoid_common:
	SAVE_REGS
	cld
	movl $MSR_GS_BASE, %ecx
	rdmsr
	xorl %ebx, %ebx			/* rbx: 1 when we swapped */
	testl %edx, %edx
	js 3f
	swapgs
	movl $1, %ebx
3:	movq %rsp, %rdi
	call trap
	testl %ebx, %ebx
	jz 4f
	swapgs
4:	RESTORE_REGS
	addq $16, %rsp
	iretq

/*
 * SYSCALL (SDM Vol. 2B): RCX = user RIP, R11 = user RFLAGS, RSP still the user's; IA32_FMASK
 * cleared IF. The kernel stack of the current process comes from the per-CPU area.
 */
	.globl syscall_entry
syscall_entry:
	swapgs
	movq %rsp, %gs:PERCPU_USER_RSP
	movq %gs:PERCPU_KERNEL_RSP, %rsp
	pushq $GDT_USER_DS
	pushq %gs:PERCPU_USER_RSP
	pushq %r11
	pushq $GDT_USER_CS
	pushq %rcx
	pushq %rax			/* error slot: the system-call number (Linux's orig_rax) */
	pushq $TRAP_SYSCALL
	SAVE_REGS
	cld
	movq %rsp, %rdi
	call syscall_dispatch
	movq %rsp, %rdi
	call syscall_exit_to_user	/* prepare_exit_to_user, then: may this frame SYSRET? */
	testl %eax, %eax
	jz 5f
	RESTORE_REGS			/* RCX = RIP and R11 = RFLAGS, as checked */
	addq $16, %rsp
	movq 24(%rsp), %rsp		/* user RSP, from the frame's RSP slot */
	swapgs
	sysretq
5:	RESTORE_REGS
	addq $16, %rsp
	swapgs
	iretq

/* A new process's first return to user mode: swtch "returns" here with RSP at its trapframe. */
	.globl process_first_entry
process_first_entry:
	jmp trap_return

/*
 * void swtch(struct context **save, struct context *load): save the callee-saved registers on
 * this stack, store the stack pointer in *save, continue on load's stack.
 */
	.globl swtch
swtch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

/*
 * u64 copy_user(void *dst, const void *src, u64 n): copies to or from user memory (the caller
 * checked the range with access_ok) and returns how many bytes were NOT copied. A fault that
 * paging cannot resolve resumes at the fixup with RCX = the bytes left (REP MOVSB is
 * interruptible: its registers show the progress, SDM Vol. 2B MOVS).
 */
	.globl copy_user
copy_user:
	movq %rdx, %rcx
6:	rep movsb
	xorl %eax, %eax
	ret
7:	movq %rcx, %rax
	ret
	EXTABLE(6b, 7b)

/* u64 clear_user(void *dst, u64 n): the same for zeroing. */
	.globl clear_user
clear_user:
	movq %rsi, %rcx
	xorl %eax, %eax
8:	rep stosb
	ret
9:	movq %rcx, %rax
	ret
	EXTABLE(8b, 9b)

/* void ap_start64(struct percpu *): where the trampoline lands, on the AP's own stack. */
	.globl ap_start64
ap_start64:
	xorl %ebp, %ebp
	call ap_main
10:	cli
	hlt
	jmp 10b
