#include "bare.h"

#define COM1 0x3f8
#define MSR_APIC_BASE 0x1b
#define X2APIC_ID 0x802
#define X2APIC_SVR 0x80f
#define X2APIC_EOI 0x80b
#define X2APIC_ICR 0x830

void putc(char c) {
	while (!(inb(COM1 + 5) & 0x20))
		;
	outb(COM1, c);
}

void puts(const char *s) {
	while (*s) putc(*s++);
}

void put_hex(u64 v) {
	puts("0x");
	int started = 0;
	for (int shift = 60; shift >= 0; shift -= 4) {
		int d = (v >> shift) & 0xf;
		if (d || started || shift == 0) { putc("0123456789abcdef"[d]); started = 1; }
	}
}

void put_dec(u64 v) {
	char buf[24];
	int n = 0;
	do { buf[n++] = '0' + v % 10; v /= 10; } while (v);
	while (n) putc(buf[--n]);
}

void bare_exit(u8 status) {
	outb(0xf4, status);
	for (;;) hlt();
}

struct vmcall_result vmcall(u64 rax, u64 rbx, u64 rcx, u64 rdx, u64 rsi, u64 rdi) {
	struct vmcall_result r;
	/* PROBE also answers in RDX and RSI (spec.md section 2). */
	__asm__ volatile("vmcall" : "+a"(rax), "+b"(rbx), "+c"(rcx), "+d"(rdx), "+S"(rsi) : "D"(rdi) : "memory");
	r.status = (s64)rax;
	r.rbx = rbx;
	r.rcx = rcx;
	return r;
}

/* The IDT: 64-bit interrupt gates to the stubs in entry.S, dispatching to registered handlers. */
struct gate { u16 off0, sel; u8 ist, type; u16 off1; u32 off2, zero; } __attribute__((packed));
static struct gate idt[256] __attribute__((aligned(16)));
static void (*handlers[256])(struct frame *);
extern char interrupt_stubs[];

void set_handler(int vector, void (*handler)(struct frame *)) { handlers[vector] = handler; }

void idt_present(int vector, int present) {
	if (present) idt[vector].type |= 0x80;
	else idt[vector].type &= ~0x80;
}

void bare_interrupt(struct frame *f) {
	void (*h)(struct frame *) = handlers[f->vector];
	if (h) { h(f); return; }
	puts("unexpected vector "); put_dec(f->vector); puts(" error "); put_hex(f->error); puts(" rip "); put_hex(f->rip); putc('\n');
	bare_exit(99);
}

void idt_init(void) {
	for (int v = 0; v < 256; v++) {
		u64 a = (u64)interrupt_stubs + v * 16;
		idt[v] = (struct gate){ (u16)a, 0x08, 0, 0x8e, (u16)(a >> 16), (u32)(a >> 32), 0 };
	}
	struct { u16 limit; u64 base; } __attribute__((packed)) p = { sizeof idt - 1, (u64)idt };
	__asm__ volatile("lidt %0" :: "m"(p));
}

void x2apic_enable(void) {
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | (1 << 10) | (1 << 11));
	wrmsr(X2APIC_SVR, 0x1ff);
}

void lapic_eoi(void) { wrmsr(X2APIC_EOI, 0); }

u32 cpu_id(void) { return (u32)rdmsr(X2APIC_ID); }

u32 cpu_count(void) {
	u32 a, b, c, d;
	cpuid(1, 0, &a, &b, &c, &d);
	return (b >> 16) & 0xff;
}

extern char trampoline_start[], trampoline_end[], trampoline_stack[];
static void (*ap_function)(u32);
static u8 ap_stacks[16][8192] __attribute__((aligned(16)));
static volatile u32 ap_started;

void bare_ap_main(void) {
	x2apic_enable();
	u32 id = cpu_id();
	__atomic_add_fetch(&ap_started, 1, __ATOMIC_SEQ_CST);
	ap_function(id);
	for (;;) hlt();
}

/* INIT, then STARTUP at 0x8000 (vector 8), one AP at a time so each has its own stack. */
void start_aps(u32 n, void (*ap_main)(u32)) {
	u8 *t = (u8 *)0x8000;
	for (char *s = trampoline_start; s < trampoline_end; s++) *t++ = *s;
	ap_function = ap_main;
	for (u32 ap = 1; ap < n && ap < 16; ap++) {
		*(u64 *)(0x8000 + (trampoline_stack - trampoline_start)) = (u64)(ap_stacks[ap] + sizeof ap_stacks[ap]);
		u32 before = ap_started;
		wrmsr(X2APIC_ICR, ((u64)ap << 32) | 0x4500);
		wrmsr(X2APIC_ICR, ((u64)ap << 32) | 0x4608);
		while (ap_started == before)
			__asm__ volatile("pause");
	}
}
