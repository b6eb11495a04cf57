/*
 * /bin/ymirsh-hello: the seed chapter's ymirsh, exactly — VMCALL service 0 (hello), then exit.
 * The VMM logs its logo and "This OS is hypervisored by Ymir." on the console.
 */
#include <asm/unistd.h>
	.text
	.globl _start
	.type _start, @function
_start:
	mov $0, %rax		/* service 0: hello */
	vmcall
	mov $__NR_exit, %eax	/* exit(0) */
	xor %edi, %edi
	syscall
	.size _start, . - _start
	.section .note.GNU-stack, "", @progbits
