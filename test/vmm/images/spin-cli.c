/* A kernel that starts its APs, turns interrupts off and spins on a memory load forever on every vCPU. */
#include "bare.h"

static volatile u32 word;

static void spin(u32 index) {
	(void)index;
	cli();
	for (;;) (void)word;
}

void bare_main(u32 magic, u64 info) {
	(void)magic; (void)info;
	x2apic_enable();
	start_aps(cpu_count(), spin);
	spin(0);
}
