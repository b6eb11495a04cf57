/*
 * REP OUTSB as a driver uses it to fill a UART FIFO, and far beyond: a 10,000-byte buffer that
 * crosses pages, forward (DF = 0), then the same bytes backward (DF = 1). The host checks every
 * byte and its order, and RCX and RSI after each.
 */
#include "bare.h"

#define LENGTH 10000

static char buffer[LENGTH] __attribute__((aligned(4096)));

static void outs_forward(const void *p, u64 n)
{
	__asm__ volatile("rep outsb" : "+S"(p), "+c"(n) : "d"(0x3f8) : "memory");
	puts("\nforward: rcx "); put_dec(n); puts(", rsi - buffer "); put_dec((u64)((const char *)p - buffer)); putc('\n');
}

static void outs_backward(const void *last, u64 n)
{
	__asm__ volatile("std; rep outsb; cld" : "+S"(last), "+c"(n) : "d"(0x3f8) : "memory");
	puts("\nbackward: rcx "); put_dec(n); puts(", rsi - buffer "); put_dec((u64)((const char *)last - buffer)); putc('\n');
}

void bare_main(u32 magic, u64 info)
{
	(void)magic; (void)info;
	for (u32 i = 0; i < LENGTH; i++)
		buffer[i] = (char)('a' + i % 26);
	/* Start 100 bytes before a page boundary so the run crosses three pages. */
	outs_forward(buffer + 4000, 6000);
	outs_backward(buffer + 9999, 6000);
	bare_exit(0);
}
