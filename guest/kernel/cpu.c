/* What the boot CPU is, from CPUID (SDM Vol. 2A, CPUID), as Linux's early identify_cpu. */
#include "kernel.h"

struct cpu_info boot_cpu;

static void regs_to_string(char *out, u32 a, u32 b, u32 c)
{
	memcpy(out, &a, 4);
	memcpy(out + 4, &b, 4);
	memcpy(out + 8, &c, 4);
	out[12] = 0;
}

void cpu_detect(void)
{
	struct cpuid_regs r = cpuid(0, 0);
	boot_cpu.max_leaf = r.eax;
	regs_to_string(boot_cpu.vendor, r.ebx, r.edx, r.ecx);

	r = cpuid(1, 0);
	u32 family = (r.eax >> 8) & 0xf, model = (r.eax >> 4) & 0xf;
	if (family == 0xf)
		family += (r.eax >> 20) & 0xff;
	if (family == 0x6 || family >= 0xf)
		model |= ((r.eax >> 16) & 0xf) << 4;
	boot_cpu.family = family;
	boot_cpu.model = model;
	boot_cpu.stepping = r.eax & 0xf;
	boot_cpu.x2apic = r.ecx & (1u << 21);
	boot_cpu.tsc_deadline = r.ecx & (1u << 24);
	boot_cpu.hypervisor_present = r.ecx & (1u << 31);
	boot_cpu.pge = r.edx & (1u << 13);

	u32 max_ext = cpuid(0x80000000, 0).eax;
	if (max_ext >= 0x80000001) {
		r = cpuid(0x80000001, 0);
		boot_cpu.nx = r.edx & (1u << 20);
		boot_cpu.gbpages = r.edx & (1u << 26);
	}
	if (max_ext >= 0x80000004) {
		u32 *b = (u32 *)boot_cpu.brand;
		for (u32 i = 0; i < 3; i++) {
			r = cpuid(0x80000002 + i, 0);
			b[i * 4] = r.eax, b[i * 4 + 1] = r.ebx, b[i * 4 + 2] = r.ecx, b[i * 4 + 3] = r.edx;
		}
		boot_cpu.brand[48] = 0;
	}
	/* Leaves 0x40000000 and up belong to the hypervisor when CPUID.1:ECX[31] says one exists. */
	if (boot_cpu.hypervisor_present) {
		r = cpuid(0x40000000, 0);
		regs_to_string(boot_cpu.hypervisor, r.ebx, r.ecx, r.edx);
	}
}
