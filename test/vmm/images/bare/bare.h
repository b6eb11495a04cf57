/* The bare runtime of test images: serial output, MSRs, the VMCALL convention, IDT, x2APIC, SMP. */
#ifndef BARE_H
#define BARE_H
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long u64;
typedef long s64;

struct frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8, rdi, rsi, rbp, rbx, rdx, rcx, rax;
	u64 vector, error, rip, cs, rflags, rsp, ss;
};

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u64 rdmsr(u32 msr) { u32 lo, hi; __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr)); return ((u64)hi << 32) | lo; }
static inline void wrmsr(u32 msr, u64 v) { __asm__ volatile("wrmsr" :: "c"(msr), "a"((u32)v), "d"((u32)(v >> 32))); }
static inline u64 rdtsc(void) { u32 lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return ((u64)hi << 32) | lo; }
static inline void cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d) { __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub)); }
static inline void sti(void) { __asm__ volatile("sti"); }
static inline void cli(void) { __asm__ volatile("cli"); }
static inline void hlt(void) { __asm__ volatile("hlt"); }

struct vmcall_result { s64 status; u64 rbx, rcx; };
struct vmcall_result vmcall(u64 rax, u64 rbx, u64 rcx, u64 rdx, u64 rsi, u64 rdi);

void putc(char c);
void puts(const char *s);
void put_hex(u64 v);
void put_dec(u64 v);
__attribute__((noreturn)) void bare_exit(u8 status);

void idt_init(void);
void set_handler(int vector, void (*handler)(struct frame *));
/* Mark an IDT gate present or not (to provoke #NP during delivery). */
void idt_present(int vector, int present);
void x2apic_enable(void);
void lapic_eoi(void);
u32 cpu_count(void);
u32 cpu_id(void);
/* Start APs 1..n-1 at ap_main(index), each on its own stack, one after the other. */
void start_aps(u32 n, void (*ap_main)(u32));

void bare_ap_main(void);
#endif
