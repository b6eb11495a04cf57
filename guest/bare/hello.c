/* bare-hello: the bare runtime's example. It prints, starts the other CPUs, asks the VMM for
 * PROBE by VMCALL (a #UD where no VMM answers, as under QEMU) and exits with status 42. */
#include "bare.h"

static volatile u32 hellos;
static volatile int vmcall_ud;

static void ap_hello(u32 id)
{
	printf("bare-hello: CPU %u is up\n", id);
	__atomic_add_fetch(&hellos, 1, __ATOMIC_SEQ_CST);
}

/* VMCALL is 0F 01 C1: step over it when it raises #UD. */
static void on_ud(struct frame *f)
{
	const u8 *insn = (const u8 *)f->rip;
	if (insn[0] != 0x0f || insn[1] != 0x01 || insn[2] != 0xc1) {
		printf("bare-hello: #UD at 0x%lx\n", f->rip);
		bare_exit(98);
	}
	vmcall_ud = 1;
	f->rip += 3;
}

void bare_main(u32 magic, u64 info)
{
	(void)info;
	if (magic != 0x2badb002)
		bare_exit(97);
	idt_init();
	set_handler(6, on_ud);
	lapic_enable();
	u32 n = cpu_count();
	printf("bare-hello: hello from CPU %u of %u (%s)\n", cpu_id(), n, lapic_x2apic() ? "x2APIC" : "xAPIC");
	u32 up = start_aps(n, ap_hello);
	while (hellos < up)
		pause();
	struct vmcall_result r = vmcall(1, 0, 0, 0, 0, 0); /* PROBE */
	if (vmcall_ud)
		printf("bare-hello: VMCALL raised #UD: no VMM\n");
	else
		printf("bare-hello: PROBE status %ld, magic 0x%lx, version 0x%lx\n", r.status, r.rbx, r.rcx);
	printf("bare-hello: %u CPUs said hello; exit 42\n", up + 1);
	bare_exit(42);
}
