/*
 * Power off. The debug-exit port 0xF4 (ymir-dbg's, and QEMU's isa-debug-exit) stops the VM
 * with a status; where nothing answers there, the ACPI-less ways QEMU's machines offer.
 */
#include "kernel.h"

#define DEBUG_EXIT_PORT 0xf4

noreturn void machine_halt(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

noreturn void power_off(int status)
{
	cli();
	printk("reboot: Power down\n");
	uart_flush_polled(&com1);
	uart_flush_polled(&com2);
	outl(DEBUG_EXIT_PORT, (u32)status & 0xff);
	/* QEMU i440fx: PIIX4 PM1a control at 0x604, SLP_TYP 0 | SLP_EN; Bochs and old QEMU at
	 * 0xB004; VirtualBox at 0x4004. */
	outw(0x604, 0x2000);
	outw(0xb004, 0x2000);
	outw(0x4004, 0x3400);
	machine_halt();
}
