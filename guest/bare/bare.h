/*
 * The bare runtime for test and benchmark images: no kernel, just a Multiboot 1 entry into
 * long mode with the first 4 GiB identity mapped (2 MiB pages; the local APIC's page uncached),
 * a polled COM1 console, an IDT whose vectors call registered handlers, the local APIC (x2APIC
 * where CPUID.1:ECX[21] offers it, else the xAPIC page), the VMCALL convention of
 * shell-protocol/spec.md section 1, SMP start of the other CPUs, and exit through the
 * debug-exit port 0xF4. An image defines bare_main and links with entry.S, bare.c, bare.ld and
 * lib/format.c, lib/str.c (guest/Makefile's bare-hello shows how).
 */
#ifndef BARE_H
#define BARE_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

/* What an interrupt stub saved, lowest address first. */
struct frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8, rdi, rsi, rbp, rbx, rdx, rcx, rax;
	u64 vector, error, rip, cs, rflags, rsp, ss;
};

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(u16 port, u32 v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port)
{
	u8 v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}
static inline void wrmsr(u32 msr, u64 v) { __asm__ volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory"); }
static inline u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}
static inline void cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void hlt(void) { __asm__ volatile("hlt" ::: "memory"); }
static inline void pause(void) { __asm__ volatile("pause" ::: "memory"); }

/* The image's entry: EAX and EBX as the Multiboot loader left them. */
void bare_main(u32 magic, u64 info);

/* COM1, polled. printf formats as lib/format.h says. */
void putc(char c);
void puts(const char *s);
void put_hex(u64 v);
void put_dec(u64 v);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Port 0xF4: ymir-dbg stops with status & 0xff; QEMU (-device isa-debug-exit) with
 * status << 1 | 1. Halts if nothing is there. */
__attribute__((noreturn)) void bare_exit(u8 status);

/* VMCALL with RAX = service, RBX, RCX, RDX, RSI = arguments, RDI = flags; the outputs. */
struct vmcall_result {
	s64 status; /* RAX */
	u64 rbx, rcx, rdx, rsi;
};
struct vmcall_result vmcall(u64 rax, u64 rbx, u64 rcx, u64 rdx, u64 rsi, u64 rdi);

/* Interrupts. Without a handler, a vector prints the frame and exits with status 99. */
void idt_init(void);
void set_handler(int vector, void (*handler)(struct frame *));

/* The local APIC. Registers are named by their x2APIC index (MSR 0x800 + index; the xAPIC
 * offset is index * 16): 0x02 ID, 0x0b EOI, 0x0f SVR, 0x30 ICR, 0x32 LVT timer, 0x38 initial
 * count, 0x39 current count, 0x3e divide configuration. */
int lapic_x2apic(void);       /* 1 in x2APIC mode */
void lapic_enable(void);      /* on this CPU; SVR = 0x1ff */
u32 lapic_read(u32 index);
void lapic_write(u32 index, u32 value);
void lapic_eoi(void);
void lapic_icr(u32 dest, u32 low); /* an IPI: low is ICR[31:0] */
u32 cpu_id(void);             /* this CPU's APIC ID */
u32 cpu_count(void);          /* CPUID.1:EBX[23:16]: the CPUs of the package */

/* Start CPUs 1..n-1 (APIC IDs 1..n-1), one after the other, each on its own 16 KiB stack with
 * its APIC enabled and the IDT loaded, running ap_main(its APIC ID); returns how many started.
 * An AP that returns from ap_main halts. */
u32 start_aps(u32 n, void (*ap_main)(u32 id));

#endif
