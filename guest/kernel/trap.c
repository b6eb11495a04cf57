/*
 * The IDT and what each vector does. Exceptions at CPL 3 become signals, as Linux's traps.c
 * maps them; in the kernel, a fault at an instruction in the exception table resumes at its
 * fixup, and anything else is an oops. Interrupt vectors run the handler a driver registered.
 */
#include "kernel.h"

extern char interrupt_stubs[];

struct idt_gate {
	u16 offset_low;
	u16 selector;
	u8 ist;
	u8 type; /* P | DPL | type 0xE (64-bit interrupt gate: IF cleared on entry) */
	u16 offset_mid;
	u32 offset_high;
	u32 reserved;
} packed;

static struct idt_gate idt[256];
static void (*handlers[256])(struct trapframe *);

static const char *const exception_names[32] = {
	"divide error", "debug", "NMI", "int3", "overflow", "bounds", "invalid opcode", "device not available",
	"double fault", "coprocessor segment overrun", "invalid TSS", "segment not present", "stack segment",
	"general protection fault", "page fault", "reserved", "coprocessor error", "alignment check", "machine check",
	"SIMD exception", "virtualization exception", "control protection", "reserved", "reserved", "reserved",
	"reserved", "reserved", "reserved", "hypervisor injection", "VMM communication", "security exception", "reserved",
};

static void set_gate(int vector, int ist, int dpl)
{
	u64 addr = (u64)interrupt_stubs + 16 * (u64)vector;
	idt[vector] = (struct idt_gate){
		.offset_low = (u16)addr,
		.selector = GDT_KERNEL_CS,
		.ist = (u8)ist,
		.type = (u8)(0x8e | (dpl << 5)),
		.offset_mid = (u16)(addr >> 16),
		.offset_high = (u32)(addr >> 32),
	};
}

void idt_init(void)
{
	for (int v = 0; v < 256; v++)
		set_gate(v, 0, 0);
	set_gate(8, 1, 0);  /* #DF on IST1 */
	set_gate(2, 2, 0);  /* NMI on IST2 */
	set_gate(18, 3, 0); /* #MC on IST3 */
	set_gate(3, 0, 3);  /* int3 and into may be executed at CPL 3, as on Linux */
	set_gate(4, 0, 3);
}

void idt_load(void)
{
	struct descriptor_pointer idtr = { sizeof idt - 1, (u64)idt };
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

void irq_set_handler(int vector, void (*handler)(struct trapframe *)) { handlers[vector] = handler; }

/* Follow saved frame pointers while they stay on the kernel stack in use. */
static void backtrace(u64 rbp)
{
	printk("Call Trace:\n");
	for (int i = 0; i < 16 && rbp >= DIRECT_MAP && !(rbp & 7); i++) {
		u64 *frame = (u64 *)rbp;
		if (frame[1] < KERNEL_VMA)
			break;
		printk(" [<%016lx>]\n", frame[1]);
		if (frame[0] <= rbp)
			break;
		rbp = frame[0];
	}
}

static noreturn void oops(struct trapframe *tf, const char *what)
{
	struct proc *p = current_proc();
	in_panic = 1;
	if (tf->vector == 14)
		printk("BUG: unable to handle page fault for address: %016lx\n", read_cr2());
	printk("Oops: %s: %04lx [#1] SMP\n", what, tf->error);
	printk("CPU: %u PID: %d Comm: %s %s\n", this_cpu()->cpu, p ? p->pid : 0, p ? p->comm : "swapper", KERNEL_NAME " " KERNEL_RELEASE);
	printk("RIP: %04lx:%016lx\n", tf->cs, tf->rip);
	printk("RSP: %04lx:%016lx EFLAGS: %08lx\n", tf->ss, tf->rsp, tf->rflags);
	printk("RAX: %016lx RBX: %016lx RCX: %016lx\n", tf->rax, tf->rbx, tf->rcx);
	printk("RDX: %016lx RSI: %016lx RDI: %016lx\n", tf->rdx, tf->rsi, tf->rdi);
	printk("RBP: %016lx R08: %016lx R09: %016lx\n", tf->rbp, tf->r8, tf->r9);
	printk("R10: %016lx R11: %016lx R12: %016lx\n", tf->r10, tf->r11, tf->r12);
	printk("R13: %016lx R14: %016lx R15: %016lx\n", tf->r13, tf->r14, tf->r15);
	printk("CR0: %016lx CR2: %016lx CR3: %016lx CR4: %016lx\n", read_cr0(), read_cr2(), read_cr3(), read_cr4());
	printk("vector %lu (%s)\n", tf->vector, tf->vector < 32 ? exception_names[tf->vector] : "interrupt");
	if (!(tf->cs & 3))
		backtrace(tf->rbp);
	panic("Fatal exception");
}

/* The signal Linux sends for an exception at CPL 3, and its si_code. */
static int exception_signal(u64 vector, int *code)
{
	*code = SI_KERNEL;
	switch (vector) {
	case 0:
		*code = FPE_INTDIV;
		return SIGFPE;
	case 1:
	case 3:
		*code = TRAP_BRKPT;
		return SIGTRAP;
	case 6:
		*code = ILL_ILLOPN;
		return SIGILL;
	case 7:
		return SIGILL;
	case 16:
	case 19:
		return SIGFPE;
	case 12:
	case 17:
		*code = vector == 17 ? BUS_ADRALN : SI_KERNEL;
		return SIGBUS;
	default:
		return SIGSEGV;
	}
}

static void page_fault(struct trapframe *tf)
{
	u64 addr = read_cr2();
	bool user = tf->cs & 3;
	struct proc *p = current_proc();
	/* Error code bits (SDM Vol. 3A 5.7): P = protection (vs not present), W, U, I = fetch. */
	bool present = tf->error & 1, write = tf->error & 2, fetch = tf->error & 16;
	if (p && p->mm && addr < TASK_SIZE && !present && !handle_user_fault(p->mm, addr, write, fetch))
		return;
	if (user) {
		p->fault_cr2 = addr;
		force_signal(SIGSEGV, p->mm && vma_find(p->mm, addr) ? SEGV_ACCERR : SEGV_MAPERR, addr, tf);
		return;
	}
	if (extable_fixup(tf))
		return;
	oops(tf, write ? "page fault (supervisor write)" : fetch ? "page fault (supervisor fetch)" : "page fault (supervisor read)");
}

static void exception(struct trapframe *tf)
{
	u64 v = tf->vector;
	if (v == 14)
		return page_fault(tf);
	if (v == 2) {
		printk("Uhhuh. NMI received on CPU %u\n", this_cpu()->cpu);
		return;
	}
	if (v == 8 || v == 18)
		oops(tf, exception_names[v]);
	if (tf->cs & 3) {
		int code;
		int sig = exception_signal(v, &code);
		force_signal(sig, code, sig == SIGSEGV ? 0 : tf->rip, tf);
		return;
	}
	if (extable_fixup(tf))
		return;
	oops(tf, exception_names[v]);
}

void trap(struct trapframe *tf)
{
	u64 v = tf->vector;
	if (v < 32)
		exception(tf);
	else if (handlers[v])
		handlers[v](tf);
	else if (v != VECTOR_APIC_SPURIOUS) {
		printk("do_IRQ: %u.%lu No irq handler for vector\n", this_cpu()->cpu, v);
		apic_eoi();
	}
}
