/* linesum: read lines from stdin up to a line "end" (or EOF), then print how many lines and
 * bytes arrived and their FNV-1a hash: a paste's whole-and-in-order check in one line. */
#include "libc.h"

int main(void)
{
	unsigned hash = 2166136261u, lines = 0;
	unsigned long bytes = 0;
	char line[512];
	long got;
	while ((got = read(0, line, sizeof line)) > 0) {
		if (got == 4 && !memcmp(line, "end\n", 4))
			break;
		for (long i = 0; i < got; i++)
			hash = (hash ^ (unsigned char)line[i]) * 16777619u;
		bytes += (unsigned long)got;
		lines += line[got - 1] == '\n';
	}
	printf("linesum: %u lines, %lu bytes, fnv1a %08x\n", lines, bytes, hash);
	return 0;
}
