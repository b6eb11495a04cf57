/* SMP bring-up, the x2APIC timer and interrupt delivery through the IDT, on every vCPU. */
#include "bare.h"

static volatile u32 online;
static volatile u64 ticks;
static volatile u32 ipis;

static void timer(struct frame *f) { (void)f; ticks++; lapic_eoi(); }
static void ipi(struct frame *f) { (void)f; ipis++; lapic_eoi(); }

static void ap_main(u32 id) {
	__atomic_add_fetch(&online, 1, __ATOMIC_SEQ_CST);
	puts("AP "); put_dec(id); puts(" online\n");
}

void bare_main(u32 magic, u64 info) {
	(void)info;
	if (magic != 0x2badb002) bare_exit(98);
	idt_init();
	set_handler(0x40, timer);
	set_handler(0x41, ipi);
	x2apic_enable();
	u32 n = cpu_count();
	puts("BSP up, "); put_dec(n); puts(" CPUs\n");
	start_aps(n, ap_main);
	while (online != n - 1) __asm__ volatile("pause");
	/* Periodic timer: vector 0x40, 1 ms at divide-by-1 (1 GHz crystal). */
	wrmsr(0x83e, 0xb);
	wrmsr(0x832, (1 << 17) | 0x40);
	wrmsr(0x838, 1000000);
	sti();
	while (ticks < 20) hlt();
	wrmsr(0x832, 1 << 16);
	/* A self IPI. */
	wrmsr(0x83f, 0x41);
	while (ipis < 1) hlt();
	puts("ticks "); put_dec(ticks); puts(" ipis "); put_dec(ipis); putc('\n');
	bare_exit(42);
}
