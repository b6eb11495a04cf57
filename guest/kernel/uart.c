/*
 * The 16550A UART driver (National Semiconductor PC16550D datasheet): COM1 is the console,
 * COM2 the data channel. Receive is interrupt driven (RDA and character-timeout interrupts);
 * transmit goes through a ring that the THRE interrupt drains 16 bytes (one FIFO) at a time.
 * Polled output exists only for early boot and oopses, before or instead of interrupts.
 */
#include "kernel.h"

/* Register offsets from the port base. */
#define UART_RBR 0 /* receive buffer (read, DLAB = 0) */
#define UART_THR 0 /* transmit holding (write, DLAB = 0) */
#define UART_DLL 0 /* divisor latch low (DLAB = 1) */
#define UART_IER 1 /* interrupt enable (DLAB = 0) */
#define UART_DLM 1 /* divisor latch high (DLAB = 1) */
#define UART_IIR 2 /* interrupt identification (read) */
#define UART_FCR 2 /* FIFO control (write) */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define IER_RDI 0x01  /* received data available */
#define IER_THRI 0x02 /* transmitter holding register empty */
#define IER_RLSI 0x04 /* receiver line status */
#define IIR_NO_INT 0x01
#define IIR_ID 0x0e
#define IIR_MSI 0x00
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_RLSI 0x06
#define IIR_TIMEOUT 0x0c
#define IIR_FIFO_BITS 0xc0 /* both set: 16550A with working FIFOs */
#define FCR_ENABLE 0x01
#define FCR_CLEAR_RCVR 0x02
#define FCR_CLEAR_XMIT 0x04
#define LCR_WLEN8 0x03
#define LCR_DLAB 0x80
#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT2 0x08 /* gates the interrupt line on PCs */
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define FIFO_SIZE 16
#define BASE_BAUD 115200

static u8 com1_tx[TX_BUF], com2_tx[TX_BUF];
struct uart com1 = { .base = 0x3f8, .irq = 4, .name = "ttyS0", .tx = com1_tx };
struct uart com2 = { .base = 0x2f8, .irq = 3, .name = "ttyS1", .tx = com2_tx };

static const char *uart_type(struct uart *u)
{
	u8 iir = inb(u->base + UART_IIR) & IIR_FIFO_BITS;
	return iir == IIR_FIFO_BITS ? "16550A" : iir ? "16550" : "16450";
}

/* 115200 8N1 with FIFOs, interrupts off. A port that does not keep a scratch value is absent
 * (nothing behind it reads as all ones). */
void uart_early_init(struct uart *u)
{
	outb(u->base + UART_SCR, 0xa5);
	if (inb(u->base + UART_SCR) != 0xa5)
		return;
	u->present = true;
	outb(u->base + UART_IER, 0);
	outb(u->base + UART_LCR, LCR_DLAB);
	outb(u->base + UART_DLL, 1); /* divisor 1: BASE_BAUD */
	outb(u->base + UART_DLM, 0);
	outb(u->base + UART_LCR, LCR_WLEN8);
	/* Trigger level 1 byte: a typed key interrupts at once, without the FIFO timeout. */
	outb(u->base + UART_FCR, FCR_ENABLE | FCR_CLEAR_RCVR | FCR_CLEAR_XMIT);
	outb(u->base + UART_MCR, MCR_DTR | MCR_RTS);
	u->fifo_size = (inb(u->base + UART_IIR) & IIR_FIFO_BITS) == IIR_FIFO_BITS ? FIFO_SIZE : 1;
}

static void uart_irq(struct trapframe *tf);

/* The receive interrupt on or off; bytes already waiting interrupt as soon as it is back on. */
void uart_set_rx_irq(struct uart *u, bool on)
{
	u64 f = irq_save();
	u8 ier = on ? u->ier | IER_RDI : u->ier & ~IER_RDI;
	if (u->irq_on && ier != u->ier) {
		u->ier = ier;
		outb(u->base + UART_IER, ier);
	}
	irq_restore(f);
}

void uart_init_irq(struct uart *u)
{
	if (!u->present)
		return;
	printk("00:0%d: %s at I/O 0x%x (irq = %d, base_baud = %d) is a %s\n", u == &com1 ? 1 : 2, u->name, u->base, u->irq,
	       BASE_BAUD, uart_type(u));
	u64 f = irq_save();
	irq_set_handler(VECTOR_PIC_BASE + u->irq, uart_irq);
	outb(u->base + UART_MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
	/* Clear stale line status; received bytes stay: what was typed before boot is type-ahead,
	 * and the receive interrupt enabled below delivers it to the tty. */
	(void)inb(u->base + UART_LSR);
	u->ier = IER_RDI | IER_RLSI;
	outb(u->base + UART_IER, u->ier);
	u->irq_on = true;
	pic_unmask(u->irq);
	irq_restore(f);
}

/* Polled output: wait for THRE, then fill the FIFO (an empty FIFO takes fifo_size bytes). */
static void uart_write_polled(struct uart *u, const char *s, u64 n)
{
	if (!u->present)
		return;
	while (n) {
		while (!(inb(u->base + UART_LSR) & LSR_THRE))
			cpu_relax();
		u64 k = n < u->fifo_size ? n : u->fifo_size;
		outsb(u->base + UART_THR, s, k);
		s += k;
		n -= k;
	}
}

/* Empty the ring by polling: for oopses and power-off, which must not lose the last lines. */
void uart_flush_polled(struct uart *u)
{
	while (u->tx_head != u->tx_tail) {
		char chunk[FIFO_SIZE];
		u32 k = 0;
		while (k < FIFO_SIZE && u->tx_head != u->tx_tail)
			chunk[k++] = (char)u->tx[u->tx_tail++ % TX_BUF];
		uart_write_polled(u, chunk, k);
	}
}

u32 uart_tx_room(struct uart *u) { return TX_BUF - (u->tx_head - u->tx_tail); }

/* Move ring bytes into the FIFO when the holding register is empty; keep the THRE interrupt
 * enabled exactly while bytes wait. Called with interrupts off. */
static void uart_tx_fill(struct uart *u)
{
	if (inb(u->base + UART_LSR) & LSR_THRE) {
		u8 chunk[FIFO_SIZE];
		u32 k = 0;
		while (k < FIFO_SIZE && u->tx_head != u->tx_tail)
			chunk[k++] = u->tx[u->tx_tail++ % TX_BUF];
		outsb(u->base + UART_THR, chunk, k);
	}
	u8 ier = u->tx_head != u->tx_tail ? (u->ier | IER_THRI) : (u->ier & ~IER_THRI);
	if (ier != u->ier) {
		u->ier = ier;
		outb(u->base + UART_IER, ier);
	}
	if (u->tty && uart_tx_room(u) >= TX_BUF / 2)
		tty_output_drained(u->tty);
}

/* Queue up to n bytes; returns how many fit. */
u32 uart_tx_write(struct uart *u, const u8 *p, u32 n)
{
	if (!u->present)
		return n;
	u64 f = irq_save();
	u32 k = MIN(n, uart_tx_room(u));
	for (u32 i = 0; i < k; i++)
		u->tx[u->tx_head++ % TX_BUF] = p[i];
	if (!(u->ier & IER_THRI))
		uart_tx_fill(u);
	irq_restore(f);
	return k;
}

/* Kernel messages: polled before interrupts are set up and in a panic; otherwise queued, and
 * when the ring is full, drained by polling (printk never sleeps). */
void uart_print(struct uart *u, const char *s, u64 n)
{
	u64 f = irq_save();
	if (!u->irq_on || in_panic) {
		uart_flush_polled(u);
		uart_write_polled(u, s, n);
	} else {
		while (n) {
			u32 k = uart_tx_write(u, (const u8 *)s, (u32)MIN(n, (u64)TX_BUF));
			s += k, n -= k;
			if (n)
				uart_flush_polled(u);
		}
	}
	irq_restore(f);
}

static void uart_service(struct uart *u)
{
	/* Bounded: a device that never clears IIR must not hold the CPU forever. */
	for (int i = 0; i < 64; i++) {
		u8 iir = inb(u->base + UART_IIR);
		if (iir & IIR_NO_INT)
			return;
		switch (iir & IIR_ID) {
		case IIR_RLSI:
			(void)inb(u->base + UART_LSR);
			break;
		case IIR_RDI:
		case IIR_TIMEOUT:
			while (inb(u->base + UART_LSR) & LSR_DR) {
				/* A full tty stops reading: unread bytes wait in the UART and behind it, at the
				 * far end, so a paste is never cut (Linux's n_tty throttle does the same). */
				if (u->tty && tty_must_throttle(u->tty)) {
					uart_set_rx_irq(u, false);
					break;
				}
				u8 c = inb(u->base + UART_RBR);
				if (u->tty)
					tty_receive(u->tty, c);
			}
			break;
		case IIR_THRI:
			uart_tx_fill(u);
			break;
		case IIR_MSI:
			(void)inb(u->base + UART_MSR);
			break;
		}
	}
}

static void uart_irq(struct trapframe *tf)
{
	struct uart *u = tf->vector == (u64)(VECTOR_PIC_BASE + com1.irq) ? &com1 : &com2;
	uart_service(u);
	pic_eoi(u->irq);
}
