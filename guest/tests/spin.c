/* spin: burn the CPU until a signal ends it (the ^C test). With -s, sleep in nanosleep instead. */
#include "libc.h"

int main(int argc, char **argv)
{
	printf("spin: running, pid %d\n", getpid());
	if (argc > 1 && !strcmp(argv[1], "-s"))
		for (;;) {
			struct timespec ts = { 10, 0 };
			nanosleep(&ts, 0);
		}
	for (volatile unsigned long i = 0;; i++)
		;
}
