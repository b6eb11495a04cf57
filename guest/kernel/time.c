/*
 * Time: the TSC is the clock (ns since boot for printk, clock_gettime and sleeps), the local
 * APIC timer the alarm. Their rates come from CPUID leaf 0x15 where the CPU reports them (TSC =
 * crystal * EBX / EAX; the APIC timer counts at the crystal clock, SDM Vol. 3A 12.5.4), and
 * otherwise from counting both across 10 ms of the PIT's channel 2, as Linux's
 * pit_calibrate_tsc does.
 */
#include "kernel.h"

#define PIT_HZ 1193182
#define PIT_CH2 0x42
#define PIT_MODE 0x43
#define PIT_GATE 0x61 /* bit 0: channel 2 gate, bit 1: speaker, bit 5: channel 2 output */
#define CALIBRATE_MS 10
#define TIME_SLICE_NS 10000000

u64 tsc_hz, apic_timer_hz;
static u64 tsc_boot, ns_per_tsc_32; /* ns = (tsc - tsc_boot) * ns_per_tsc_32 >> 32 */
static u64 armed_for;               /* the deadline the APIC timer is set for, 0 when stopped */

void time_mark_boot(void) { tsc_boot = rdtsc(); }

static bool calibrate_cpuid(void)
{
	if (boot_cpu.max_leaf < 0x15)
		return false;
	struct cpuid_regs r = cpuid(0x15, 0);
	if (!r.eax || !r.ebx || !r.ecx)
		return false;
	tsc_hz = (u64)r.ecx * r.ebx / r.eax;
	apic_timer_hz = r.ecx;
	printk("tsc: Detected %lu.%03lu MHz TSC from CPUID 0x15 (crystal %lu Hz)\n", tsc_hz / 1000000, tsc_hz / 1000 % 1000,
	       apic_timer_hz);
	return true;
}

/* Mode 0 on channel 2 raises its output when the count runs out; no interrupt is involved. */
static bool calibrate_pit(void)
{
	outb(PIT_GATE, (inb(PIT_GATE) & ~0x02) | 0x01);
	outb(PIT_MODE, 0xb0); /* channel 2, lobyte/hibyte, mode 0, binary */
	u32 latch = PIT_HZ / (1000 / CALIBRATE_MS);
	outb(PIT_CH2, latch & 0xff);
	outb(PIT_CH2, latch >> 8);
	apic_timer_start_free_running();
	u32 a0 = apic_timer_count();
	u64 t0 = rdtsc(), loops = 0;
	while (!(inb(PIT_GATE) & 0x20)) {
		loops++;
		if (rdtsc() - t0 > 100000000000ULL)
			return false;
	}
	u64 t1 = rdtsc();
	u32 a1 = apic_timer_count();
	apic_timer_stop();
	/* No PIT: port 0x61 reads as all ones and the output looks high at once. */
	if (loops < 50)
		return false;
	tsc_hz = (t1 - t0) * (1000 / CALIBRATE_MS);
	apic_timer_hz = (u64)(a0 - a1) * (1000 / CALIBRATE_MS);
	printk("tsc: Fast TSC calibration using PIT: %lu.%03lu MHz, APIC timer %lu.%03lu MHz\n", tsc_hz / 1000000,
	       tsc_hz / 1000 % 1000, apic_timer_hz / 1000000, apic_timer_hz / 1000 % 1000);
	return tsc_hz && apic_timer_hz;
}

static void timer_interrupt(struct trapframe *tf)
{
	(void)tf;
	apic_eoi();
	armed_for = 0;
	timers_expire(ktime_ns());
	if (need_time_slice())
		need_resched = true;
	timer_reprogram();
}

void time_init(void)
{
	if (!calibrate_cpuid() && !calibrate_pit()) {
		tsc_hz = apic_timer_hz = 1000000000;
		printk("tsc: no CPUID 0x15 and no PIT: assuming 1 GHz for the TSC and the APIC timer\n");
	}
	ns_per_tsc_32 = (1000000000ULL << 32) / tsc_hz;
	irq_set_handler(VECTOR_APIC_TIMER, timer_interrupt);
	printk("clocksource: tsc, %lu Hz; clockevent: lapic one-shot, %lu Hz; tickless idle\n", tsc_hz, apic_timer_hz);
}

u64 ktime_ns(void)
{
	u64 d = rdtsc() - tsc_boot;
	return (u64)(((unsigned __int128)d * ns_per_tsc_32) >> 32);
}

void udelay(u64 us)
{
	u64 end = rdtsc() + us * (tsc_hz / 1000000);
	while (rdtsc() < end)
		cpu_relax();
}

/* Arm the APIC timer for the earliest of the sleepers' deadlines and the end of a time slice;
 * stop it when there is neither (tickless: an idle machine takes no timer interrupts). */
void timer_reprogram(void)
{
	u64 f = irq_save();
	u64 now = ktime_ns();
	u64 next = timers_next();
	if (need_time_slice() && (!next || next > now + TIME_SLICE_NS))
		next = now + TIME_SLICE_NS;
	if (!next) {
		if (armed_for)
			apic_timer_stop();
		armed_for = 0;
	} else if (next != armed_for) {
		apic_timer_oneshot(next > now ? next - now : 1);
		armed_for = next;
	}
	irq_restore(f);
}
