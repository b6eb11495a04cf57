/*
 * A guest to debug: every vCPU loops without exits. The BSP calls bump() through two levels of
 * calls (frames for a backtrace) and adds to `counter`; each AP adds to its own counter. The BSP
 * also keeps the longest time (TSC) between two iterations, `max_gap`, which a debugger's stop must
 * not show. When the debugger sets `stop_requested` the BSP ends the VM with status 0x5a.
 */
#include "bare.h"

/* Alone on its page (.bss after it is page-aligned): a watchpoint on it makes no other access exit. */
volatile u64 counter __attribute__((aligned(4096))) = 1;
volatile u64 calls;
volatile u64 max_gap;
volatile u64 ap_counters[16];
volatile u32 stop_requested;

__attribute__((noinline)) void bump(u64 step) {
	counter += step;
	calls++;
}

/* A write after each call keeps it a call (no tail jump): every level is a frame. */
__attribute__((noinline)) void level2(u64 n) {
	bump((n & 1) ? 1 : 2);
	calls++;
}

__attribute__((noinline)) void level1(u64 n) {
	level2(n + 1);
	calls++;
}

static void ap(u32 index) {
	for (;;) ap_counters[index]++;
}

void bare_main(u32 magic, u64 info) {
	(void)magic; (void)info;
	x2apic_enable();
	start_aps(cpu_count(), ap);
	puts("debug-loop up\n");
	u64 last = rdtsc();
	for (u64 i = 0; !stop_requested; i++) {
		level1(i);
		u64 now = rdtsc();
		if (now - last > max_gap) max_gap = now - last;
		last = now;
	}
	bare_exit(0x5a);
}
