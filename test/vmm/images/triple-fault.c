/* No IDT at all: the #GP from an unknown MSR has no handler, nor does #DF: a triple fault. */
#include "bare.h"

void bare_main(u32 magic, u64 info) {
	(void)magic; (void)info;
	struct { u16 limit; u64 base; } __attribute__((packed)) empty = { 0, 0 };
	__asm__ volatile("lidt %0" :: "m"(empty));
	rdmsr(0xdead);
	bare_exit(1);
}
