/*
 * Keeps RSI, RDI and R8..R15 equal to a counter that changes before every exit, forever, so a
 * snapshot in which they differ would be torn.
 */
#include "bare.h"

void bare_main(u32 magic, u64 info) {
	(void)magic; (void)info;
	__asm__ volatile(
		"xor %%eax, %%eax\n"
		"1: inc %%rax\n"
		"mov %%rax, %%rsi; mov %%rax, %%rdi; mov %%rax, %%r8; mov %%rax, %%r9; mov %%rax, %%r10\n"
		"mov %%rax, %%r11; mov %%rax, %%r12; mov %%rax, %%r13; mov %%rax, %%r14; mov %%rax, %%r15\n"
		"outb %%al, $0x80\n" /* an exit that leaves those registers alone (POST port: unknown, ignored) */
		"jmp 1b\n" ::: "rax", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "memory");
}
