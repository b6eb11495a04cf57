/* status N: exit with status N (the shell's $? tests). */
#include "libc.h"

int main(int argc, char **argv) { return argc > 1 ? atoi(argv[1]) : 0; }
