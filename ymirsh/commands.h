/*
 * ymirsh's commands. Each parses its arguments (bad ones are a usage error: the usage is printed,
 * status 2), asks the VMM through the transport — several queries in one multi-call where it needs
 * more than one answer — and prints a text answer (a failure is one line, status 1); what --json
 * reports of a command is written into shell_data as it runs.
 */
#ifndef YMIRSH_COMMANDS_H
#define YMIRSH_COMMANDS_H

#include <stddef.h>

#include "json.h"

enum { EXIT_USAGE = 2 };

/* Run one command line (it is split in place); returns its status. */
int shell_run(char *line);
/* After shell_run: the one-line error of a failed command ("" when none), and its --json data. */
extern char shell_error[256];
extern struct sink shell_data;

/* Command names that start with `prefix`, sorted, for tab completion. */
size_t shell_complete(const char *prefix, const char **names, size_t room);

#endif
