/* Constants shared by the assembly and the C that builds the same structures. */
#ifndef KERNEL_ASM_H
#define KERNEL_ASM_H

/* Control registers and EFER (SDM Vol. 3A 2.5, 2.2.1). */
#define CR0_PE (1 << 0)
#define CR0_WP (1 << 16)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define CR4_PGE (1 << 7)
#define MSR_EFER 0xc0000080
#define EFER_SCE (1 << 0)
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102

/* struct percpu offsets (checked against the C struct in percpu.h). */
#define PERCPU_KERNEL_RSP 8
#define PERCPU_USER_RSP 16

/* struct trapframe offsets (trap.h) and the pseudo-vector of the SYSCALL entry. */
#define TF_CS 144
#define TRAP_SYSCALL 0x100

/* An exception-table entry: a fault at insn resumes at fixup (Linux's _ASM_EXTABLE). */
#define EXTABLE(insn, fixup) .pushsection __ex_table, "a"; .balign 8; .quad insn, fixup; .popsection

#endif
