/* The process entry: argc, argv and envp from the initial stack (System V ABI, x86-64) into main. */
#include <asm/unistd.h>
	.text
	.globl _start
	.type _start, @function
_start:
	xor %ebp, %ebp			/* the outermost frame: backtraces end here */
	mov (%rsp), %rdi		/* argc */
	lea 8(%rsp), %rsi		/* argv */
	lea 16(%rsp,%rdi,8), %rdx	/* envp */
	and $-16, %rsp
	call main
	mov %eax, %edi
	mov $__NR_exit_group, %eax
	syscall
	hlt
	.size _start, . - _start
	.section .note.GNU-stack, "", @progbits
