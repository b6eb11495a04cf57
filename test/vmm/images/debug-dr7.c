/*
 * DR7 with a breakpoint enabled makes this CPU execute one instruction at a time (vmm/hw/README.md:
 * it matches no address, it only single-steps). A debugger's watched accesses and steps must work
 * when every instruction goes through that path, where an exit lands inside the instruction.
 */
#include "bare.h"

/* Alone on its page (.bss after it is page-aligned). */
volatile u64 counter __attribute__((aligned(4096))) = 1;

__attribute__((noinline)) void bump(void) { counter++; }

void bare_main(u32 magic, u64 info) {
	(void)magic; (void)info;
	/* L0 on an address nothing executes. */
	__asm__ volatile("mov %0, %%dr0\n mov %1, %%dr7" :: "r"((u64)0x1000), "r"((u64)1));
	puts("debug-dr7 up\n");
	for (;;) bump();
}
