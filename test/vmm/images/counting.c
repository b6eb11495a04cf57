/*
 * Every vCPU executes CPUID a known number of times; the BSP prints a line and, once the APs
 * report done, ends the VM through the debug-exit port.
 */
#include "bare.h"

#define CPUIDS_PER_VCPU 1000
static volatile u8 done[16];

static void work(u32 index, int cpuids) {
	u32 a, b, c, d;
	for (int i = 0; i < cpuids; i++) cpuid(0, 0, &a, &b, &c, &d);
	done[index] = 1;
}

static void ap(u32 index) { work(index, CPUIDS_PER_VCPU); }

void bare_main(u32 magic, u64 info) {
	(void)magic; (void)info;
	x2apic_enable();
	u32 n = cpu_count(); /* the BSP's first CPUID */
	puts("counting guest up\n");
	start_aps(n, ap);
	work(0, CPUIDS_PER_VCPU - 1);
	for (u32 v = 1; v < n; v++)
		while (!done[v]) __asm__ volatile("pause");
	bare_exit(7);
}
