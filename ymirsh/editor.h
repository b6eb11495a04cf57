/*
 * ymirsh's line editor over the serial console in raw mode: a cursor that Left/Right, Home/End,
 * Ctrl-A and Ctrl-E move; Backspace and Delete; Ctrl-U and Ctrl-K (kill before and after the
 * cursor), Ctrl-W (the word before it); Ctrl-C cancels the line, Ctrl-D ends on an empty one;
 * history on Up/Down; Tab completes command names. It redraws with CR, BS and spaces only, which
 * every terminal takes.
 */
#ifndef YMIRSH_EDITOR_H
#define YMIRSH_EDITOR_H

#include <stddef.h>

enum { LINE_MAX = 1024 };

enum line_result { LINE_OK, LINE_EOF, LINE_CANCEL };

struct editor {
	/* The next input byte, or -1 at the end of input. */
	int (*read_byte)(void);
	/* Names that start with `prefix`, sorted, in `names` (at most `room`); returns how many. */
	size_t (*complete)(const char *prefix, const char **names, size_t room);
};

/* Read one line into `line` (NUL-terminated). */
enum line_result editor_read(const struct editor *e, const char *prompt, char line[LINE_MAX]);

#endif
