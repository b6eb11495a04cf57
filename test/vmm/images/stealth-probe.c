/* VMCALL under a stealthy VMM raises #UD; CPUID shows no hypervisor and a real vendor. */
#include "bare.h"

static volatile u32 undefined_opcodes;

static void invalid_opcode(struct frame *f) {
	undefined_opcodes++;
	f->rip += 3; /* past the VMCALL */
}

void bare_main(u32 magic, u64 info) {
	(void)magic; (void)info;
	idt_init();
	set_handler(6, invalid_opcode);
	u32 a, b, c, d;
	cpuid(1, 0, &a, &b, &c, &d);
	u32 hypervisor = c >> 31;
	for (u64 service = 0; service < 3; service++) vmcall(service, 0, 0, 0, 0, 0);
	cpuid(0, 0, &a, &b, &c, &d);
	char vendor[13] = { 0 };
	for (int k = 0; k < 4; k++) { vendor[k] = b >> (8 * k); vendor[4 + k] = d >> (8 * k); vendor[8 + k] = c >> (8 * k); }
	puts("hypervisor bit "); put_dec(hypervisor); puts(", #UD "); put_dec(undefined_opcodes); puts(", vendor "); puts(vendor); putc('\n');
	bare_exit(0);
}
