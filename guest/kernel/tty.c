/*
 * The tty line discipline on each serial port, after Linux's n_tty: input processing (ICRNL,
 * IGNCR, INLCR), ISIG characters that signal the foreground process group, canonical editing
 * (erase, kill, word erase, EOF, line delimiters) with echo, raw mode with VMIN/VTIME for line
 * editors, and output processing (OPOST/ONLCR). Input arrives from the UART interrupt; readers
 * and writers sleep until there is data or room.
 */
#include "kernel.h"

struct tty tty_s0, tty_s1;

#define CTRL(c) ((c) & 0x1f)
#define BIT_GET(map, i) ((map)[((i) % TTY_BUF) / 8] & (1 << ((i) % 8)))
#define BIT_SET(map, i) ((map)[((i) % TTY_BUF) / 8] |= (u8)(1 << ((i) % 8)))
#define BIT_CLEAR(map, i) ((map)[((i) % TTY_BUF) / 8] &= (u8) ~(1 << ((i) % 8)))

/* Linux's defaults (tty_std_termios): cooked, echoing, signals on, CR read as NL, NL written
 * as CR NL. */
static const struct termios default_termios = {
	.c_iflag = ICRNL | IXON,
	.c_oflag = OPOST | ONLCR,
	.c_cflag = B38400 | CS8 | CREAD | HUPCL,
	.c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
	.c_cc = { [VINTR] = CTRL('C'), [VQUIT] = CTRL('\\'), [VERASE] = 0x7f, [VKILL] = CTRL('U'), [VEOF] = CTRL('D'),
		  [VTIME] = 0, [VMIN] = 1, [VSTART] = CTRL('Q'), [VSTOP] = CTRL('S'), [VSUSP] = CTRL('Z'),
		  [VREPRINT] = CTRL('R'), [VWERASE] = CTRL('W'), [VLNEXT] = CTRL('V') },
};

void tty_init(struct tty *t, struct uart *u)
{
	t->uart = u;
	t->termios = default_termios;
	t->winsize = (struct winsize){ .ws_row = 24, .ws_col = 80 };
	u->tty = t;
}

/* Output processing of one byte into out (at most 2 bytes); returns the count. */
static int opost(struct tty *t, u8 c, u8 *out)
{
	int n = 0;
	if ((t->termios.c_oflag & (OPOST | ONLCR)) == (OPOST | ONLCR) && c == '\n')
		out[n++] = '\r';
	out[n++] = c;
	return n;
}

/* Echo from the interrupt: dropped when the transmit ring is full, as Linux drops echoes. */
static void echo_bytes(struct tty *t, const char *s, u32 n)
{
	for (u32 i = 0; i < n; i++) {
		u8 out[2];
		int k = opost(t, (u8)s[i], out);
		if (uart_tx_room(t->uart) >= (u32)k)
			uart_tx_write(t->uart, out, (u32)k);
	}
}

static void echo_char(struct tty *t, u8 c)
{
	if (!(t->termios.c_lflag & ECHO))
		return;
	if ((t->termios.c_lflag & ECHOCTL) && c < 0x20 && c != '\t' && c != '\n') {
		char ctl[2] = { '^', (char)(c + 0x40) };
		echo_bytes(t, ctl, 2);
	} else if ((t->termios.c_lflag & ECHOCTL) && c == 0x7f)
		echo_bytes(t, "^?", 2);
	else
		echo_bytes(t, (const char *)&c, 1);
}

/* Take back the last character of the line being edited, on the screen too. */
static bool erase_one(struct tty *t)
{
	if (t->head == t->canon_end)
		return false;
	u8 c = t->buf[--t->head % TTY_BUF];
	if ((t->termios.c_lflag & (ECHO | ECHOE)) == (ECHO | ECHOE)) {
		int width = ((t->termios.c_lflag & ECHOCTL) && (c < 0x20 || c == 0x7f) && c != '\t') ? 2 : 1;
		for (int i = 0; i < width; i++)
			echo_bytes(t, "\b \b", 3);
	}
	return true;
}

static void store(struct tty *t, u8 c, bool line_end, bool is_eof)
{
	u32 i = t->head++;
	t->buf[i % TTY_BUF] = c;
	if (line_end)
		BIT_SET(t->eol, i);
	else
		BIT_CLEAR(t->eol, i);
	if (is_eof)
		BIT_SET(t->eof, i);
	else
		BIT_CLEAR(t->eof, i);
}

static void flush_input(struct tty *t) { t->read_pos = t->canon_end = t->head; }

/* Whether input must wait in the UART: the buffer is full and a reader will make room. A
 * canonical line longer than the buffer has no reader yet, so it is cut (as n_tty cuts it)
 * and its end still fits. */
bool tty_must_throttle(const struct tty *t)
{
	u32 used = t->head - t->read_pos;
	if (t->termios.c_lflag & ICANON)
		return used >= TTY_BUF - 1 && t->canon_end != t->read_pos;
	return used >= TTY_BUF;
}

void tty_receive(struct tty *t, u8 c)
{
	const struct termios *tm = &t->termios;
	const u8 *cc = tm->c_cc;
	if (c == '\r') {
		if (tm->c_iflag & IGNCR)
			return;
		if (tm->c_iflag & ICRNL)
			c = '\n';
	} else if (c == '\n' && (tm->c_iflag & INLCR))
		c = '\r';

	if ((tm->c_lflag & ISIG) && c && (c == cc[VINTR] || c == cc[VQUIT])) {
		flush_input(t);
		echo_char(t, c);
		if (t->pgrp)
			signal_pgrp(t->pgrp, c == cc[VINTR] ? SIGINT : SIGQUIT);
		wakeup(t);
		return;
	}
	u32 used = t->head - t->read_pos;
	if (!(tm->c_lflag & ICANON)) {
		if (used < TTY_BUF) {
			store(t, c, false, false);
			t->canon_end = t->head;
			echo_char(t, c);
			wakeup(t);
		}
		return;
	}
	/* Canonical mode. BS is an erase too: terminals send either it or DEL for Backspace. */
	if (c && (c == cc[VERASE] || c == '\b')) {
		erase_one(t);
		return;
	}
	if (c && c == cc[VKILL]) {
		while (erase_one(t))
			;
		return;
	}
	if (c && c == cc[VWERASE] && (tm->c_lflag & IEXTEN)) {
		while (t->head != t->canon_end && t->buf[(t->head - 1) % TTY_BUF] == ' ')
			erase_one(t);
		while (t->head != t->canon_end && t->buf[(t->head - 1) % TTY_BUF] != ' ')
			erase_one(t);
		return;
	}
	bool eof = c && c == cc[VEOF];
	bool eol = c == '\n' || (c && (c == cc[VEOL] || c == cc[VEOL2]));
	if (eof || eol) {
		if (used >= TTY_BUF)
			return;
		store(t, c, true, eof);
		if (eol && (tm->c_lflag & (ECHO | ECHONL)))
			echo_bytes(t, (const char *)&c, 1);
		t->canon_end = t->head;
		wakeup(t);
		return;
	}
	if (used >= TTY_BUF - 1) /* the last byte is kept for the line's end */
		return;
	store(t, c, false, false);
	echo_char(t, c);
}

void tty_output_drained(struct tty *t) { wakeup(&t->uart->tx); }

/* Move what a reader may take now into kbuf; returns the count, or -1 when it must wait. */
static s64 take_input(struct tty *t, u8 *kbuf, u64 n)
{
	u64 got = 0;
	if (t->termios.c_lflag & ICANON) {
		if (t->canon_end == t->read_pos)
			return -1;
		while (got < n && t->read_pos != t->canon_end) {
			u32 i = t->read_pos++;
			bool end = BIT_GET(t->eol, i);
			if (!BIT_GET(t->eof, i))
				kbuf[got++] = t->buf[i % TTY_BUF];
			if (end)
				break;
		}
		return (s64)got;
	}
	u32 avail = t->canon_end - t->read_pos;
	u8 vmin = t->termios.c_cc[VMIN], vtime = t->termios.c_cc[VTIME];
	if (avail == 0 && (vmin > 0 || vtime > 0))
		return -1;
	if (avail < vmin && avail < n && vtime == 0)
		return -1;
	while (got < n && t->read_pos != t->canon_end)
		kbuf[got++] = t->buf[t->read_pos++ % TTY_BUF];
	return (s64)got;
}

static s64 tty_read(struct file *f, u8 *ubuf, u64 n)
{
	struct tty *t = f->dev;
	u8 kbuf[512];
	n = MIN(n, sizeof kbuf);
	/* VMIN = 0, VTIME > 0: wait at most VTIME tenths of a second for the first byte. */
	u64 deadline = 0;
	if (!(t->termios.c_lflag & ICANON) && t->termios.c_cc[VMIN] == 0 && t->termios.c_cc[VTIME])
		deadline = ktime_ns() + t->termios.c_cc[VTIME] * 100000000ULL;
	for (;;) {
		u64 fl = irq_save();
		s64 got = take_input(t, kbuf, n);
		if (got >= 0) {
			if (got > 0 && !tty_must_throttle(t))
				uart_set_rx_irq(t->uart, true);
			irq_restore(fl);
			return copy_to_user(ubuf, kbuf, (u64)got) ? -EFAULT : got;
		}
		if (f->flags & O_NONBLOCK) {
			irq_restore(fl);
			return -EAGAIN;
		}
		if (deadline && ktime_ns() >= deadline) {
			irq_restore(fl);
			return 0;
		}
		int err = sleep_on(t, true, deadline);
		irq_restore(fl);
		if (err)
			return -ERESTARTSYS;
	}
}

static s64 tty_write(struct file *f, const u8 *ubuf, u64 n)
{
	struct tty *t = f->dev;
	u64 done = 0;
	while (done < n) {
		u8 in[256], out[512];
		u64 chunk = MIN(n - done, sizeof in);
		if (copy_from_user(in, ubuf + done, chunk))
			return done ? (s64)done : -EFAULT;
		u32 len = 0;
		for (u64 i = 0; i < chunk; i++)
			len += (u32)opost(t, in[i], out + len);
		for (u32 sent = 0; sent < len;) {
			u64 fl = irq_save();
			u32 room = uart_tx_room(t->uart);
			if (!room) {
				int err = sleep_on(&t->uart->tx, true, 0);
				irq_restore(fl);
				if (err)
					return done ? (s64)done : -ERESTARTSYS;
				continue;
			}
			sent += uart_tx_write(t->uart, out + sent, MIN(room, len - sent));
			irq_restore(fl);
		}
		done += chunk;
	}
	return (s64)n;
}

static s64 tty_ioctl(struct file *f, u64 request, u64 arg)
{
	struct tty *t = f->dev;
	struct termios tm;
	struct winsize ws;
	switch (request) {
	case TCGETS:
		return copy_to_user((void *)arg, &t->termios, sizeof t->termios) ? -EFAULT : 0;
	case TCSETS:
	case TCSETSW: /* output drains on its own; nothing to wait for that matters here */
	case TCSETSF:
		if (copy_from_user(&tm, (const void *)arg, sizeof tm))
			return -EFAULT;
		u64 fl = irq_save();
		if (request == TCSETSF)
			flush_input(t);
		/* Leaving canonical mode hands the line being edited to readers as it is. */
		if (!(tm.c_lflag & ICANON))
			t->canon_end = t->head;
		t->termios = tm;
		irq_restore(fl);
		wakeup(t);
		return 0;
	case TIOCGWINSZ:
		return copy_to_user((void *)arg, &t->winsize, sizeof t->winsize) ? -EFAULT : 0;
	case TIOCSWINSZ:
		if (copy_from_user(&ws, (const void *)arg, sizeof ws))
			return -EFAULT;
		if (memcmp(&ws, &t->winsize, sizeof ws)) {
			t->winsize = ws;
			if (t->pgrp)
				signal_pgrp(t->pgrp, SIGWINCH);
		}
		return 0;
	case TIOCGPGRP:
		return copy_to_user((void *)arg, &t->pgrp, sizeof t->pgrp) ? -EFAULT : 0;
	case TIOCSPGRP: {
		int pgrp;
		if (copy_from_user(&pgrp, (const void *)arg, sizeof pgrp))
			return -EFAULT;
		if (pgrp <= 0)
			return -EINVAL;
		t->pgrp = pgrp;
		return 0;
	}
	case FIONREAD: {
		int n = (int)(t->canon_end - t->read_pos);
		return copy_to_user((void *)arg, &n, sizeof n) ? -EFAULT : 0;
	}
	case TIOCSCTTY:
		t->pgrp = current_proc()->pgid;
		return 0;
	default:
		return -ENOTTY;
	}
}

const struct file_ops tty_ops = { .read = tty_read, .write = tty_write, .ioctl = tty_ioctl };
