/* Program entry and the few wrappers C cannot write. */

/* _start: the kernel leaves RSP at argc, then argv[], NULL, envp[], NULL, auxv (psABI 3.4.1). */
	.text
	.globl _start
_start:
	xorl %ebp, %ebp			/* the outermost frame, for backtraces */
	movq %rsp, %rdi
	andq $-16, %rsp
	call __libc_start
	hlt

/* vfork: the child runs on the parent's stack until it calls execve or _exit, so the return
 * address is kept in a register, not in the stack slot the child may overwrite. */
	.globl vfork
vfork:
	popq %rdx
	movl $58, %eax			/* __NR_vfork */
	syscall
	pushq %rdx
	ret

/* The signal restorer: a handler returns here, on its rt_sigframe. */
	.globl __restore_rt
__restore_rt:
	movl $15, %eax			/* __NR_rt_sigreturn */
	syscall
	hlt

	.section .note.GNU-stack, "", @progbits
