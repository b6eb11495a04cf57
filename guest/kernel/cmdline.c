/*
 * The kernel command line, split as Linux's next_arg() does: words separated by spaces, double
 * quotes group a word and are removed. Everything after "--" is init's argv[1..], as on Linux.
 * Multiboot loaders such as QEMU's and GRUB's put the kernel's path first: a first word with a
 * '/' and no '=' is that path, not a parameter.
 */
#include "kernel.h"

#define MAX_INIT_ARGS 32

const char *init_path = "/init";
int init_argc = 1;
char *init_argv[MAX_INIT_ARGS + 2] = { "/init" };
int panic_timeout;
static char words[4096];

static int parse_int(const char *s)
{
	int sign = 1, v = 0;
	if (*s == '-')
		sign = -1, s++;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return sign * v;
}

/* The next word of *p into out (unquoted); returns false at the end. */
static bool next_word(const char **p, char **out, char **room, char *end)
{
	const char *s = *p;
	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	if (!*s)
		return false;
	char *w = *room;
	bool quoted = false;
	for (; *s && (quoted || (*s != ' ' && *s != '\t' && *s != '\n')); s++) {
		if (*s == '"')
			quoted = !quoted;
		else if (*room < end - 1)
			*(*room)++ = *s;
	}
	*(*room)++ = 0;
	*out = w;
	*p = s;
	return true;
}

void cmdline_parse(const char *cmdline)
{
	const char *p = cmdline;
	char *room = words, *end = words + sizeof words, *w;
	bool first = true, to_init = false;
	while (room < end - 1 && next_word(&p, &w, &room, end)) {
		if (to_init) {
			if (init_argc < MAX_INIT_ARGS)
				init_argv[init_argc++] = w;
			continue;
		}
		if (first && strchr(w, '/') && !strchr(w, '=')) {
			first = false;
			continue;
		}
		first = false;
		if (!strcmp(w, "--"))
			to_init = true;
		else if (!strncmp(w, "init=", 5))
			init_path = init_argv[0] = w + 5;
		else if (!strncmp(w, "panic=", 6))
			panic_timeout = parse_int(w + 6);
	}
	init_argv[init_argc] = 0;
}
