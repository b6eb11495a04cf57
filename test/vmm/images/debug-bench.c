/*
 * For the debugger's bench (vmm/debug/bench.ts): the BSP runs blocks of a loop of LOOP_INSNS
 * instructions, ITERATIONS times a block, and counts the blocks in `blocks`. `never_called` and
 * `untouched` are for a breakpoint and a watchpoint that nothing hits. It prints where they are.
 */
#include "bare.h"

#define ITERATIONS 100000

volatile u64 blocks __attribute__((aligned(4096)));
/* On a page of its own (.bss after it is page-aligned): nothing reads or writes it. */
volatile u64 untouched __attribute__((aligned(4096)));

__attribute__((noinline)) void never_called(void) { untouched = 1; }

void bare_main(u32 magic, u64 info) {
	(void)magic; (void)info;
	puts("debug-bench: blocks "); put_hex((u64)&blocks);
	puts(" never_called "); put_hex((u64)never_called);
	puts(" untouched "); put_hex((u64)&untouched);
	puts(" iterations "); put_dec(ITERATIONS);
	puts(" insns 8\n");
	for (;;) {
		u64 n = ITERATIONS;
		/* 8 instructions an iteration. */
		__asm__ volatile("1: add %%rdx, %%rax\n xor %%rsi, %%rdx\n add $3, %%rsi\n sub %%rsi, %%rax\n"
		                 "   inc %%rdi\n or %%rax, %%rdi\n dec %0\n jnz 1b"
		                 : "+c"(n) :: "rax", "rdx", "rsi", "rdi", "cc");
		blocks++;
	}
}
