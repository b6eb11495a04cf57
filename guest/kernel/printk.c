/*
 * Kernel messages on the console (COM1), each line prefixed with the time since boot as Linux
 * prints it, "[    0.398950] ". Before the TSC is calibrated the time reads 0.000000, as on Linux.
 */
#include "kernel.h"

volatile int in_panic;
static volatile u32 printk_lock;

static void lock(void)
{
	while (__atomic_exchange_n(&printk_lock, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
}
static void unlock(void) { __atomic_store_n(&printk_lock, 0, __ATOMIC_RELEASE); }

/* The console's output processing: LF becomes CR LF, as the 8250 console driver writes it. */
static void console_write(const char *s, u64 n)
{
	u64 start = 0;
	for (u64 i = 0; i < n; i++)
		if (s[i] == '\n') {
			uart_print(&com1, s + start, i - start);
			uart_print(&com1, "\r\n", 2);
			start = i + 1;
		}
	uart_print(&com1, s + start, n - start);
}

static void vprintk(const char *fmt, va_list ap)
{
	char line[512];
	u64 ns = tsc_hz ? ktime_ns() : 0;
	int n = snprintf(line, sizeof line, "[%5lu.%06lu] ", ns / 1000000000, ns / 1000 % 1000000);
	int m = vsnprintf(line + n, sizeof line - (u64)n, fmt, ap);
	u64 len = MIN((u64)(n + m), sizeof line - 1);
	u64 f = irq_save();
	if (!in_panic)
		lock();
	console_write(line, len);
	if (!in_panic)
		unlock();
	irq_restore(f);
}

void printk(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
}

noreturn void panic(const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	cli();
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	in_panic = 1;
	printk("Kernel panic - not syncing: %s\n", msg);
	printk("---[ end Kernel panic - not syncing: %s ]---\n", msg);
	if (panic_timeout != 0) {
		if (panic_timeout > 0) {
			printk("Rebooting in %d seconds..\n", panic_timeout);
			udelay((u64)panic_timeout * 1000000);
		}
		power_off(255); /* this machine cannot reboot; a panic ends it with status 255 */
	}
	machine_halt();
}
