#include "editor.h"
#include "lib/rt.h"

enum { HISTORY = 64, ESC = 0x1b, CTRL_A = 1, CTRL_C = 3, CTRL_D = 4, CTRL_E = 5, CTRL_K = 11, CTRL_U = 21, CTRL_W = 23, DEL = 0x7f };
enum key { KEY_NONE, KEY_UP, KEY_DOWN, KEY_RIGHT, KEY_LEFT, KEY_HOME, KEY_END, KEY_DELETE };

static char history[HISTORY][LINE_MAX];
static size_t history_count; /* lines kept; the oldest go when it is full */

struct line {
	const char *prompt;
	char *text;
	size_t len, pos;
};

/*
 * Show the line again from its start: CR, prompt and text, spaces over what the old line had
 * beyond the new one, then backspaces to the cursor.
 */
static void redraw(struct line *l, size_t old_len)
{
	size_t end = l->len;

	print("\r%s%.*s", l->prompt, (int)l->len, l->text);
	for (; end < old_len; end++) sink_putc(&out, ' ');
	for (; end > l->pos; end--) sink_putc(&out, '\b');
	sink_flush(&out);
}

static void set_text(struct line *l, const char *text)
{
	size_t old = l->len;

	l->len = strlen(text);
	memcpy(l->text, text, l->len);
	l->pos = l->len;
	redraw(l, old);
}

/* Remove text[from, to) and put the cursor at `from`. */
static void cut(struct line *l, size_t from, size_t to)
{
	size_t old = l->len;

	memmove(l->text + from, l->text + to, l->len - to);
	l->len -= to - from;
	l->pos = from;
	redraw(l, old);
}

/* The rest of an escape sequence: ESC [ A..D, H, F, or ESC [ n ~ (and ESC O A.. in application mode). */
static enum key read_key(const struct editor *e)
{
	int c = e->read_byte(), n = 0;

	if (c != '[' && c != 'O') return KEY_NONE;
	c = e->read_byte();
	while (c >= '0' && c <= '9') n = n * 10 + (c - '0'), c = e->read_byte();
	switch (c) {
	case 'A': return KEY_UP;
	case 'B': return KEY_DOWN;
	case 'C': return KEY_RIGHT;
	case 'D': return KEY_LEFT;
	case 'H': return KEY_HOME;
	case 'F': return KEY_END;
	case '~': return n == 1 || n == 7 ? KEY_HOME : n == 4 || n == 8 ? KEY_END : n == 3 ? KEY_DELETE : KEY_NONE;
	default: return KEY_NONE;
	}
}

/* Complete the command name being typed: the unique match and a space, or the longest common prefix, or the list. */
static void complete(const struct editor *e, struct line *l)
{
	const char *names[64];
	char prefix[LINE_MAX];
	size_t n, common;

	for (size_t i = 0; i < l->len; i++)
		if (l->text[i] == ' ') return;
	memcpy(prefix, l->text, l->len);
	prefix[l->len] = 0;
	n = e->complete(prefix, names, sizeof(names) / sizeof(names[0]));
	if (n == 0) return;
	common = strlen(names[0]);
	for (size_t i = 1; i < n; i++) {
		size_t k = 0;
		while (k < common && names[i][k] == names[0][k]) k++;
		common = k;
	}
	if (n == 1 && common + 1 < LINE_MAX) {
		memcpy(prefix, names[0], common);
		prefix[common] = ' ';
		prefix[common + 1] = 0;
	} else if (common > l->len) {
		memcpy(prefix, names[0], common);
		prefix[common] = 0;
	} else {
		sink_putc(&out, '\n');
		for (size_t i = 0; i < n; i++) print("%s%s", i ? "  " : "", names[i]);
		sink_putc(&out, '\n');
		l->pos = l->len;
		redraw(l, 0);
		return;
	}
	set_text(l, prefix);
}

static void remember(const char *text)
{
	int blank = 1;

	for (const char *p = text; *p; p++)
		if (*p != ' ' && *p != '\t') blank = 0;
	if (blank || (history_count > 0 && strcmp(history[(history_count - 1) % HISTORY], text) == 0)) return;
	memcpy(history[history_count % HISTORY], text, strlen(text) + 1);
	history_count++;
}

enum line_result editor_read(const struct editor *e, const char *prompt, char text[LINE_MAX])
{
	struct line l = { prompt, text, 0, 0 };
	size_t oldest = history_count > HISTORY ? history_count - HISTORY : 0, recall = history_count;

	print("%s", prompt);
	sink_flush(&out);
	for (;;) {
		int c = e->read_byte();
		enum key key = KEY_NONE;

		if (c < 0) {
			text[0] = 0;
			return LINE_EOF;
		}
		if (c == ESC) key = read_key(e);
		if (c == '\r' || c == '\n') {
			text[l.len] = 0;
			print("\n");
			remember(text);
			return LINE_OK;
		}
		if (c == CTRL_C) {
			print("^C\n");
			return LINE_CANCEL;
		}
		if (c == CTRL_D && l.len == 0) {
			print("\n");
			return LINE_EOF;
		}
		if ((c == DEL || c == '\b') && l.pos > 0) cut(&l, l.pos - 1, l.pos);
		else if ((c == CTRL_D || key == KEY_DELETE) && l.pos < l.len) cut(&l, l.pos, l.pos + 1);
		else if (c == CTRL_U) cut(&l, 0, l.pos);
		else if (c == CTRL_K) {
			size_t old = l.len;
			l.len = l.pos;
			redraw(&l, old);
		} else if (c == CTRL_W) {
			size_t from = l.pos;
			while (from > 0 && l.text[from - 1] == ' ') from--;
			while (from > 0 && l.text[from - 1] != ' ') from--;
			cut(&l, from, l.pos);
		} else if ((c == CTRL_A || key == KEY_HOME) && l.pos > 0) l.pos = 0, redraw(&l, l.len);
		else if ((c == CTRL_E || key == KEY_END) && l.pos < l.len) l.pos = l.len, redraw(&l, l.len);
		else if (key == KEY_LEFT && l.pos > 0) l.pos--, print("\b"), sink_flush(&out);
		else if (key == KEY_RIGHT && l.pos < l.len) print("%c", l.text[l.pos++]), sink_flush(&out);
		else if (key == KEY_UP || key == KEY_DOWN) {
			if (key == KEY_UP && recall > oldest) recall--;
			else if (key == KEY_DOWN && recall < history_count) recall++;
			else continue;
			set_text(&l, recall == history_count ? "" : history[recall % HISTORY]);
		} else if (c == '\t') complete(e, &l);
		else if (c >= 0x20 && c < 0x7f && l.len + 1 < LINE_MAX) {
			memmove(l.text + l.pos + 1, l.text + l.pos, l.len - l.pos);
			l.text[l.pos++] = (char)c;
			l.len++;
			if (l.pos == l.len) print("%c", c), sink_flush(&out);
			else redraw(&l, l.len);
		}
	}
}
