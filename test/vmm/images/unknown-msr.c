/* RDMSR of an MSR the VMM does not know: #GP(0) arrives in the guest's own IDT handler. */
#include "bare.h"

static volatile u64 error = ~0ul;

static void general_protection(struct frame *f) {
	error = f->error;
	f->rip += 2; /* past the RDMSR */
}

void bare_main(u32 magic, u64 info) {
	(void)magic; (void)info;
	idt_init();
	set_handler(13, general_protection);
	rdmsr(0xdead);
	if (error == ~0ul) { puts("no fault\n"); bare_exit(1); }
	puts("#GP error "); put_dec(error); putc('\n');
	bare_exit(42);
}
