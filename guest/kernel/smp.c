/*
 * SMP bring-up, as Linux's smpboot.c: for each AP, the BSP prepares the trampoline (page
 * tables, stack, per-CPU area), sends INIT, STARTUP, and a second STARTUP if the AP did not
 * start (SDM Vol. 3A 9.4.4.1), then waits for it with a timeout. The APs come up on the
 * kernel's page tables with their own GDT, TSS and APIC, and idle in HLT with the timer masked:
 * processes run on the BSP only.

 */
#include "kernel.h"
#include "asm.h"

extern char trampoline_start[], trampoline_end[], tr_cr3[], tr_efer[], tr_stack[], tr_percpu[], tr_entry[], tr_started[];
extern char ap_start64[];

#define AP_TIMEOUT_NS 1000000000ULL

/* The APIC IDs of the other processors; returns their count. CPUID.1:EBX[23:16] counts the
 * logical processors of the package: ymir-dbg's vCPUs, QEMU's -smp cores; their APIC IDs are
 * 0..n-1 on both. */
static int find_aps(u32 *ids, int max)
{
	u32 self = apic_id(), count = (cpuid(1, 0).ebx >> 16) & 0xff;
	int n = 0;
	for (u32 id = 0; id < count && n < max; id++)
		if (id != self)
			ids[n++] = id;
	return n;
}

/* Identity map of the low 2 MiB, where the trampoline runs, beside the kernel's half. */
static u64 trampoline_tables(void)
{
	u64 pml4 = page_alloc(1), pdpt = page_alloc(1), pd = page_alloc(1);
	if (!pml4 || !pdpt || !pd || pml4 >= (1ULL << 32))
		panic("no memory below 4 GiB for the AP trampoline's page tables");
	u64 *t = phys_to_virt(pml4);
	memcpy(t + 256, kernel_pml4 + 256, 256 * sizeof(u64));
	t[0] = pdpt | PTE_P | PTE_W;
	((u64 *)phys_to_virt(pdpt))[0] = pd | PTE_P | PTE_W;
	((u64 *)phys_to_virt(pd))[0] = PTE_P | PTE_W | PTE_PS;
	return pml4;
}

#define TRAMPOLINE_FIELD(sym, type) (*(volatile type *)((u8 *)phys_to_virt(TRAMPOLINE_PHYS) + ((sym) - trampoline_start)))

static bool boot_ap(u32 cpu, u32 id, u64 pml4)
{
	struct percpu *pc = percpu_alloc(cpu);
	u64 stack = page_alloc(KSTACK_SIZE / PAGE_SIZE);
	if (!stack)
		panic("no memory for CPU %u's stack", cpu);
	pc->apic_id = id;
	memcpy(phys_to_virt(TRAMPOLINE_PHYS), trampoline_start, (u64)(trampoline_end - trampoline_start));
	TRAMPOLINE_FIELD(tr_cr3, u32) = (u32)pml4;
	TRAMPOLINE_FIELD(tr_efer, u32) = (u32)(rdmsr(MSR_EFER) & (EFER_LME | EFER_NXE | EFER_SCE));
	TRAMPOLINE_FIELD(tr_stack, u64) = (u64)phys_to_virt(stack) + KSTACK_SIZE;
	TRAMPOLINE_FIELD(tr_percpu, u64) = (u64)pc;
	TRAMPOLINE_FIELD(tr_entry, u64) = (u64)ap_start64;
	TRAMPOLINE_FIELD(tr_started, u32) = 0;

	printk("smpboot: Booting Node 0 Processor %u APIC 0x%x\n", cpu, id);
	/* The INIT and STARTUP delays of SDM Vol. 3A 9.4.4.1, which a virtual CPU does not need. */
	bool virt = boot_cpu.hypervisor_present;
	apic_send_init(id);
	udelay(virt ? 10 : 10000);
	for (int i = 0; i < 2 && !TRAMPOLINE_FIELD(tr_started, u32); i++) {
		apic_send_startup(id, TRAMPOLINE_PHYS >> 12);
		udelay(virt ? 10 : 200);
	}
	u64 deadline = ktime_ns() + AP_TIMEOUT_NS;
	while (!__atomic_load_n(&pc->online, __ATOMIC_ACQUIRE) && ktime_ns() < deadline)
		cpu_relax();
	if (!pc->online) {
		printk("smpboot: do_boot_cpu failed(-1) to wakeup CPU#%u\n", cpu);
		return false;
	}
	return true;
}

void smp_boot(void)
{
	u32 ids[MAX_CPUS];
	int n = find_aps(ids, MAX_CPUS - 1);
	printk("smp: Bringing up secondary CPUs ...\n");
	u64 pml4 = n ? trampoline_tables() : 0;
	for (int i = 0; i < n; i++)
		if (boot_ap(cpu_count, ids[i], pml4))
			cpu_count++;
	printk("smp: Brought up 1 node, %u CPU%s\n", cpu_count, cpu_count == 1 ? "" : "s");
	if (cpu_count == 2)
		printk("smp: processes run on CPU0 only; CPU1 idles with its timer masked\n");
	else if (cpu_count > 2)
		printk("smp: processes run on CPU0 only; CPU1-%u idle with their timers masked\n", cpu_count - 1);
}

noreturn void ap_main(struct percpu *pc)
{
	mm_switch(0);
	cpu_init_tables(pc);
	apic_init_ap();
	__atomic_store_n(&pc->online, 1, __ATOMIC_RELEASE);
	for (;;)
		sti_hlt();
}
