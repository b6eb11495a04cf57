/* escflood [N]: print N (default 200) lines, each after an escape sequence a hostile guest might
 * send a terminal: clear, home, set the title, switch screens, reset, a C1 CSI (UTF-8), a position
 * query, a bell, colour, a DCS query, an OSC 52 clipboard write. The host must show them, not act. */
#include "libc.h"

static const char *const hostile[] = {
	"\x1b[2J", "\x1b[H", "\x1b]0;pwned\x07", "\x1b[?1049h", "\x1b" "c", "\xc2\x9b" "31m",
	"\x1b[6n", "\x07", "\x1b[31;1mred", "\x1bP+q\x1b\\", "\x1b]52;c;cHduZWQ=\x07",
};

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 200;
	for (int i = 0; i < rounds; i++)
		printf("%sline %d\n", hostile[i % (int)(sizeof hostile / sizeof hostile[0])], i);
	printf("escflood done\n");
	return 0;
}
