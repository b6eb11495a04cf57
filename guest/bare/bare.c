/* The bare runtime's C half: console, exit, VMCALL, IDT, local APIC, AP start. */
#include "bare.h"
#include "../lib/format.h"

#define COM1 0x3f8
#define DEBUG_EXIT 0xf4
#define MSR_APIC_BASE 0x1b
#define XAPIC_BASE 0xfee00000UL
#define APIC_ID 0x02
#define APIC_EOI 0x0b
#define APIC_SVR 0x0f
#define APIC_ICR 0x30
#define APIC_ICR_HIGH 0x31
#define TRAMPOLINE 0x8000

void putc(char c)
{
	if (c == '\n')
		putc('\r');
	while (!(inb(COM1 + 5) & 0x20)) /* LSR.THRE */
		pause();
	outb(COM1, (u8)c);
}

void puts(const char *s)
{
	while (*s)
		putc(*s++);
}

static void put_char(void *ctx, char c)
{
	(void)ctx;
	putc(c);
}

/* One printf at a time across CPUs, so lines from several CPUs never interleave. */
static volatile int print_lock;

int printf(const char *fmt, ...)
{
	while (__atomic_exchange_n(&print_lock, 1, __ATOMIC_ACQUIRE))
		pause();
	va_list ap;
	va_start(ap, fmt);
	int n = vformat(put_char, 0, fmt, ap);
	va_end(ap);
	__atomic_store_n(&print_lock, 0, __ATOMIC_RELEASE);
	return n;
}

void put_hex(u64 v) { printf("0x%lx", v); }
void put_dec(u64 v) { printf("%lu", v); }

void bare_exit(u8 status)
{
	outl(DEBUG_EXIT, status);
	for (;;)
		__asm__ volatile("cli; hlt");
}

struct vmcall_result vmcall(u64 rax, u64 rbx, u64 rcx, u64 rdx, u64 rsi, u64 rdi)
{
	__asm__ volatile("vmcall" : "+a"(rax), "+b"(rbx), "+c"(rcx), "+d"(rdx), "+S"(rsi) : "D"(rdi) : "memory");
	return (struct vmcall_result){ (s64)rax, rbx, rcx, rdx, rsi };
}

struct gate {
	u16 offset_low, selector;
	u8 ist, type;
	u16 offset_mid;
	u32 offset_high, reserved;
} __attribute__((packed));

static struct gate idt[256] __attribute__((aligned(16)));
static void (*handlers[256])(struct frame *);
extern char interrupt_stubs[];

void set_handler(int vector, void (*handler)(struct frame *)) { handlers[vector] = handler; }

void bare_interrupt(struct frame *f)
{
	if (handlers[f->vector]) {
		handlers[f->vector](f);
		return;
	}
	printf("bare: unexpected vector %lu, error 0x%lx, rip 0x%lx, rsp 0x%lx, CPU %u\n", f->vector, f->error, f->rip, f->rsp, cpu_id());
	bare_exit(99);
}

static void idt_load(void)
{
	struct {
		u16 limit;
		u64 base;
	} __attribute__((packed)) p = { sizeof idt - 1, (u64)idt };
	__asm__ volatile("lidt %0" : : "m"(p));
}

void idt_init(void)
{
	for (int v = 0; v < 256; v++) {
		u64 a = (u64)interrupt_stubs + 16 * (u64)v;
		idt[v] = (struct gate){ (u16)a, 0x08, 0, 0x8e, (u16)(a >> 16), (u32)(a >> 32), 0 };
	}
	idt_load();
}

int lapic_x2apic(void)
{
	u32 a, b, c, d;
	cpuid(1, 0, &a, &b, &c, &d);
	return (c >> 21) & 1;
}

u32 lapic_read(u32 index)
{
	if (lapic_x2apic())
		return (u32)rdmsr(0x800 + index);
	return *(volatile u32 *)(XAPIC_BASE + index * 16);
}

void lapic_write(u32 index, u32 value)
{
	if (lapic_x2apic())
		wrmsr(0x800 + index, value);
	else
		*(volatile u32 *)(XAPIC_BASE + index * 16) = value;
}

void lapic_enable(void)
{
	u64 base = rdmsr(MSR_APIC_BASE) | (1 << 11);
	if (lapic_x2apic())
		base |= 1 << 10;
	wrmsr(MSR_APIC_BASE, base);
	lapic_write(APIC_SVR, 0x1ff);
}

void lapic_eoi(void) { lapic_write(APIC_EOI, 0); }

void lapic_icr(u32 dest, u32 low)
{
	if (lapic_x2apic()) {
		wrmsr(0x800 + APIC_ICR, ((u64)dest << 32) | low);
		return;
	}
	lapic_write(APIC_ICR_HIGH, dest << 24);
	lapic_write(APIC_ICR, low);
	while (lapic_read(APIC_ICR) & (1 << 12)) /* delivery status */
		pause();
}

u32 cpu_id(void) { return lapic_x2apic() ? lapic_read(APIC_ID) : lapic_read(APIC_ID) >> 24; }

u32 cpu_count(void)
{
	u32 a, b, c, d;
	cpuid(1, 0, &a, &b, &c, &d);
	u32 n = (b >> 16) & 0xff;
	return n ? n : 1;
}

extern char trampoline_start[], trampoline_end[], trampoline_stack[], trampoline_started[];
static void (*ap_function)(u32);
static u8 ap_stacks[16][16384] __attribute__((aligned(16)));
static volatile u32 aps_online;

void bare_ap_main(void)
{
	idt_load();
	lapic_enable();
	__atomic_add_fetch(&aps_online, 1, __ATOMIC_SEQ_CST);
	ap_function(cpu_id());
}

#define TRAMPOLINE_FIELD(sym, type) (*(volatile type *)(TRAMPOLINE + ((sym) - trampoline_start)))

u32 start_aps(u32 n, void (*ap_main)(u32))
{
	volatile u8 *t = (u8 *)TRAMPOLINE;
	for (char *s = trampoline_start; s < trampoline_end; s++)
		*t++ = (u8)*s;
	ap_function = ap_main;
	u32 started = 0;
	for (u32 ap = 1; ap < n && ap <= sizeof ap_stacks / sizeof ap_stacks[0]; ap++) {
		TRAMPOLINE_FIELD(trampoline_stack, u64) = (u64)(ap_stacks[ap - 1] + sizeof ap_stacks[ap - 1]);
		TRAMPOLINE_FIELD(trampoline_started, u32) = 0;
		u32 before = aps_online;
		lapic_icr(ap, 0x4500); /* INIT */
		for (int sipi = 0; sipi < 2 && !TRAMPOLINE_FIELD(trampoline_started, u32); sipi++) {
			lapic_icr(ap, 0x4600 | (TRAMPOLINE >> 12)); /* STARTUP at 0x8000 */
			for (int i = 0; i < 100000 && !TRAMPOLINE_FIELD(trampoline_started, u32); i++)
				pause();
		}
		for (u64 i = 0; i < 100000000 && aps_online == before; i++)
			pause();
		started += aps_online != before;
	}
	return started;
}
