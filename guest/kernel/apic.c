/*
 * The local APIC (SDM Vol. 3A chapter 12), in x2APIC mode where CPUID.1:ECX[21] offers it (its
 * registers are MSRs 0x800 + index, chapter 12.12) and otherwise in xAPIC mode through its MMIO
 * page, mapped uncached in the fixmap (offset = index * 16). The timer runs one-shot: the
 * kernel arms it for the next deadline only, and masks it when there is none.
 */
#include "kernel.h"

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_EXTD (1 << 10)
#define APIC_BASE_ENABLE (1 << 11)

/* Register indexes: the x2APIC MSR is 0x800 + index, the xAPIC offset index * 16. */
#define APIC_ID 0x02
#define APIC_TPR 0x08
#define APIC_EOI 0x0b
#define APIC_SVR 0x0f
#define APIC_ESR 0x28
#define APIC_ICR 0x30
#define APIC_ICR_HIGH 0x31 /* xAPIC only */
#define APIC_LVT_TIMER 0x32
#define APIC_LVT_LINT0 0x35
#define APIC_LVT_LINT1 0x36
#define APIC_LVT_ERROR 0x37
#define APIC_TIMER_INIT 0x38
#define APIC_TIMER_CURRENT 0x39
#define APIC_TIMER_DIVIDE 0x3e

#define SVR_ENABLE (1 << 8)
#define LVT_MASKED (1 << 16)
#define LVT_EXTINT (7 << 8)
#define LVT_NMI (4 << 8)
#define DIVIDE_BY_1 0xb
#define ICR_INIT 0x4500    /* INIT, level assert */
#define ICR_STARTUP 0x4600 /* STARTUP, level assert; the vector is the start page */
#define ICR_BUSY (1 << 12) /* xAPIC delivery status */

bool x2apic_mode;

static u32 apic_read(u32 reg)
{
	if (x2apic_mode)
		return (u32)rdmsr(0x800 + reg);
	return *(volatile u32 *)(FIXMAP_XAPIC + reg * 16);
}

static void apic_write(u32 reg, u32 v)
{
	if (x2apic_mode)
		wrmsr(0x800 + reg, v);
	else
		*(volatile u32 *)(FIXMAP_XAPIC + reg * 16) = v;
}

static void apic_error(struct trapframe *tf)
{
	(void)tf;
	apic_write(APIC_ESR, 0);
	printk("APIC error on CPU%u: %02x\n", this_cpu()->cpu, apic_read(APIC_ESR));
	apic_eoi();
}

/* Enable this CPU's APIC: x2APIC by IA32_APIC_BASE.EXTD, or the xAPIC page. */
static void apic_enable(bool bsp)
{
	u64 base = rdmsr(MSR_APIC_BASE);
	if (x2apic_mode)
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE | APIC_BASE_EXTD);
	else if (!(base & APIC_BASE_ENABLE))
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
	apic_write(APIC_TPR, 0);
	apic_write(APIC_SVR, SVR_ENABLE | VECTOR_APIC_SPURIOUS);
	apic_write(APIC_LVT_TIMER, LVT_MASKED | VECTOR_APIC_TIMER);
	apic_write(APIC_TIMER_DIVIDE, DIVIDE_BY_1);
	/* The 8259's output reaches the BSP's LINT0 as ExtINT (virtual wire mode); LINT1 is NMI. */
	apic_write(APIC_LVT_LINT0, bsp ? LVT_EXTINT : LVT_MASKED);
	apic_write(APIC_LVT_LINT1, bsp ? LVT_NMI : LVT_MASKED);
	apic_write(APIC_LVT_ERROR, VECTOR_APIC_ERROR);
	apic_write(APIC_ESR, 0);
	apic_write(APIC_ESR, 0);
}

void apic_init(void)
{
	x2apic_mode = boot_cpu.x2apic;
	if (x2apic_mode)
		printk("x2apic: enabled, switching to x2apic ops\n");
	else {
		u64 base = rdmsr(MSR_APIC_BASE) & 0xfffff000;
		map_fixmap(FIXMAP_XAPIC, base, PTE_PCD | PTE_PWT);
		printk("APIC: no x2APIC; xAPIC at 0x%lx, mapped uncached at 0x%lx\n", base, (u64)FIXMAP_XAPIC);
	}
	irq_set_handler(VECTOR_APIC_ERROR, apic_error);
	apic_enable(true);
	printk("APIC: Switched APIC routing to: physical %s\n", x2apic_mode ? "x2apic" : "flat");
}

void apic_init_ap(void) { apic_enable(false); }

u32 apic_id(void) { return x2apic_mode ? apic_read(APIC_ID) : apic_read(APIC_ID) >> 24; }

void apic_eoi(void) { apic_write(APIC_EOI, 0); }

static void apic_icr(u32 dest, u32 low)
{
	if (x2apic_mode) {
		wrmsr(0x800 + APIC_ICR, ((u64)dest << 32) | low);
		return;
	}
	apic_write(APIC_ICR_HIGH, dest << 24);
	apic_write(APIC_ICR, low);
	for (int i = 0; i < 100000 && (apic_read(APIC_ICR) & ICR_BUSY); i++)
		cpu_relax();
}

void apic_send_init(u32 dest) { apic_icr(dest, ICR_INIT); }
void apic_send_startup(u32 dest, u8 vector) { apic_icr(dest, ICR_STARTUP | vector); }

/* Interrupt once after ns; counts above 32 bits are cut and the deadline re-armed from the
 * interrupt (time.c). */
void apic_timer_oneshot(u64 ns)
{
	if (ns > 10000000000ULL)
		ns = 10000000000ULL; /* keeps the product below 2^64 */
	u64 count = ns * (apic_timer_hz / 1000) / 1000000;
	if (count == 0)
		count = 1;
	if (count > 0xffffffff)
		count = 0xffffffff;
	apic_write(APIC_LVT_TIMER, VECTOR_APIC_TIMER);
	apic_write(APIC_TIMER_INIT, (u32)count);
}

/* Masked and stopped: an idle CPU with nothing timed takes no timer interrupts at all. */
void apic_timer_stop(void)
{
	apic_write(APIC_LVT_TIMER, LVT_MASKED | VECTOR_APIC_TIMER);
	apic_write(APIC_TIMER_INIT, 0);
}

void apic_timer_start_free_running(void)
{
	apic_write(APIC_LVT_TIMER, LVT_MASKED | VECTOR_APIC_TIMER);
	apic_write(APIC_TIMER_INIT, 0xffffffff);
}

u32 apic_timer_count(void) { return apic_read(APIC_TIMER_CURRENT); }
