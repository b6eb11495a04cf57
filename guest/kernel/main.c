/*
 * kmain: the boot sequence, in the order Linux's start_kernel does the same things, printing a
 * log of the same shape. It runs on the boot stack, which then becomes CPU 0's scheduler stack.
 */
#include "kernel.h"

extern char __text_start[], __rodata_start[], __data_start[], __bss_start[], __kernel_end[];

static void print_cpu(void)
{
	printk("CPU: vendor %s, family 0x%x model 0x%x stepping 0x%x\n", boot_cpu.vendor, boot_cpu.family, boot_cpu.model,
	       boot_cpu.stepping);
	if (boot_cpu.brand[0])
		printk("CPU: %s\n", boot_cpu.brand);
	if (boot_cpu.hypervisor_present)
		printk("Hypervisor detected: %s\n", boot_cpu.hypervisor[0] ? boot_cpu.hypervisor : "(unnamed)");
}

static void print_memory(void)
{
	u64 k = 1024;
	u64 text = (u64)(__rodata_start - __text_start), rodata = (u64)(__data_start - __rodata_start);
	u64 data = (u64)(__bss_start - __data_start), bss = (u64)(__kernel_end - __bss_start);
	printk("Memory: %luK/%luK available (%luK kernel code, %luK rwdata, %luK rodata, %luK bss)\n", pages_free() * 4,
	       ram_end / k, text / k, data / k, rodata / k, bss / k);
}

noreturn void kmain(u32 magic, u64 mbi_phys)
{
	time_mark_boot();
	uart_early_init(&com1);
	uart_early_init(&com2);
	printk("%s version %s (gcc %s) #1 SMP\n", KERNEL_NAME, KERNEL_RELEASE, __VERSION__);
	if (magic != MULTIBOOT_BOOTLOADER_MAGIC)
		panic("not started by a Multiboot loader (EAX = 0x%x)", magic);
	struct multiboot_info *mbi = phys_to_virt(mbi_phys);
	const char *cmdline = mbi->flags & MULTIBOOT_INFO_CMDLINE ? (const char *)phys_to_virt(mbi->cmdline) : "";
	printk("Command line: %s\n", cmdline);
	if (mbi->flags & MULTIBOOT_INFO_LOADER_NAME)
		printk("Boot loader: %s (Multiboot 1)\n", (const char *)phys_to_virt(mbi->boot_loader_name));
	cmdline_parse(cmdline);
	cpu_detect();
	print_cpu();
	printk("Multiboot-provided physical RAM map:\n");
	page_init(mbi_phys);
	printk("NX (Execute Disable) protection: %s\n", boot_cpu.nx ? "active" : "not available");
	paging_init();
	idt_init();
	struct percpu *bsp = percpu_alloc(0);
	cpu_init_tables(bsp);
	print_memory();
	pic_init();
	apic_init();
	bsp->apic_id = apic_id();
	time_init();
	tty_init(&tty_s0, &com1);
	tty_init(&tty_s1, &com2);
	printk("Serial: 8250/16550 driver, 2 ports, IRQ sharing disabled\n");
	uart_init_irq(&com1);
	uart_init_irq(&com2);
	sti();
	smp_boot();
	fs_init();
	initramfs_unpack(mbi_phys);
	proc_start_init();
	scheduler();
}
