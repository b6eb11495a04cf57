/* rawtest N: read N bytes in raw mode (no ICANON, ECHO, ISIG; VMIN 1) and print their codes,
 * then put the terminal back. Also shows the window size. */
#include "libc.h"

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 3;
	struct termios saved, raw;
	struct winsize ws;
	if (tcgetattr(0, &saved) < 0)
		return dprintf(2, "rawtest: not a tty\n"), 1;
	if (ioctl(0, TIOCGWINSZ, &ws) == 0)
		printf("rawtest: window %ux%u\n", ws.ws_col, ws.ws_row);
	raw = saved;
	raw.c_lflag &= ~(unsigned)(ICANON | ECHO | ISIG | IEXTEN);
	raw.c_iflag &= ~(unsigned)(ICRNL | IXON);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	tcsetattr(0, TCSETSF, &raw);
	printf("rawtest: ready\n");
	for (int i = 0; i < n; i++) {
		unsigned char c;
		if (read(0, &c, 1) != 1)
			break;
		printf("%02x%s", c, i + 1 < n ? " " : "\n");
	}
	tcsetattr(0, TCSETS, &saved);
	return 0;
}
