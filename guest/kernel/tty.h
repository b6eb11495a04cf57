/* A serial port with the tty line discipline on it (Linux's n_tty, reduced). */
#ifndef KERNEL_TTY_H
#define KERNEL_TTY_H

#include "types.h"
#include "../include/uapi/abi.h"

#define TTY_BUF 4096 /* a power of two */
#define TX_BUF 8192  /* a power of two */

struct uart {
	u16 base;
	u8 irq;
	const char *name;
	bool present;
	bool irq_on; /* receive and THRE interrupts are in use */
	u8 fifo_size; /* bytes the transmitter takes at once when THRE: 16 with FIFOs, else 1 */
	u8 ier;
	/* The transmit ring, drained into the FIFO on THRE. */
	u8 *tx; /* TX_BUF bytes */
	u32 tx_head, tx_tail; /* free-running; tx_head - tx_tail bytes wait */
	struct tty *tty;
};

struct tty {
	struct uart *uart;
	struct termios termios;
	struct winsize winsize;
	int pgrp; /* the foreground process group: ISIG characters signal it */
	u8 buf[TTY_BUF];
	u8 eol[TTY_BUF / 8]; /* bit i: buf[i % TTY_BUF] ends a line (NL, EOL, EOF) */
	u8 eof[TTY_BUF / 8]; /* bit i: buf[i % TTY_BUF] is an EOF mark, not data */
	u32 read_pos;  /* next byte a reader takes */
	u32 canon_end; /* end of the completed lines (all of the buffer in raw mode) */
	u32 head;      /* end of the input; [canon_end, head) is the line being edited */
};

#endif
