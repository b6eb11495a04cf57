#include "json.h"

void json_start(struct json *j, struct sink *sink)
{
	j->sink = sink;
	j->depth = 0;
	j->first[0] = 1;
	j->after_key = 0;
}

/* Before a value: the comma that separates it from the one before, unless a key just went out. */
static void value(struct json *j)
{
	if (j->after_key) j->after_key = 0;
	else if (!j->first[j->depth]) sink_putc(j->sink, ',');
	j->first[j->depth] = 0;
}

void json_open(struct json *j, char bracket)
{
	value(j);
	sink_putc(j->sink, bracket);
	if (j->depth + 1 < sizeof(j->first)) j->depth++;
	j->first[j->depth] = 1;
}

void json_close(struct json *j, char bracket)
{
	sink_putc(j->sink, bracket);
	if (j->depth) j->depth--;
}

/* The length of the UTF-8 sequence at p (of at most n bytes), or 0 when it is not one. */
static size_t utf8_length(const unsigned char *p, size_t n)
{
	size_t len = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 && p[0] <= 0xdf ? 2 : 0;
	uint32_t cp;

	if (len == 0 || len > n) return 0;
	for (size_t i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80) return 0;
	cp = len == 2 ? 0 : len == 3 ? (uint32_t)(p[0] & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 : (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3f) << 12;
	if (len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000))) return 0; /* overlong, or a surrogate */
	if (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) return 0;
	return len;
}

void json_string(struct json *j, const char *text, size_t n)
{
	const unsigned char *p = (const unsigned char *)text;

	value(j);
	sink_putc(j->sink, '"');
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		size_t len;

		if (c == '"' || c == '\\') sfmt(j->sink, "\\%c", c), i++;
		else if (c == '\n') sink_puts(j->sink, "\\n"), i++;
		else if (c == '\r') sink_puts(j->sink, "\\r"), i++;
		else if (c == '\t') sink_puts(j->sink, "\\t"), i++;
		else if (c == '\b') sink_puts(j->sink, "\\b"), i++;
		else if (c == '\f') sink_puts(j->sink, "\\f"), i++;
		else if (c < 0x20) sfmt(j->sink, "\\u%04x", c), i++;
		else if (c < 0x80) sink_putc(j->sink, (char)c), i++;
		else if ((len = utf8_length(p + i, n - i)) != 0) sink_write(j->sink, text + i, len), i += len;
		else sink_puts(j->sink, "\\ufffd"), i++;
	}
	sink_putc(j->sink, '"');
}

void json_cstring(struct json *j, const char *text)
{
	json_string(j, text, strlen(text));
}

void json_key(struct json *j, const char *key)
{
	json_cstring(j, key);
	sink_putc(j->sink, ':');
	j->after_key = 1;
}

void json_u64(struct json *j, uint64_t v)
{
	value(j);
	sfmt(j->sink, "%lu", v);
}

void json_i64(struct json *j, int64_t v)
{
	value(j);
	sfmt(j->sink, "%ld", v);
}

void json_bool(struct json *j, int v)
{
	value(j);
	sink_puts(j->sink, v ? "true" : "false");
}

void json_hex(struct json *j, uint64_t v)
{
	char text[20];
	struct sink s = { text, 0, sizeof(text), -1, 0 };

	sfmt(&s, "0x%lx", v);
	json_string(j, text, s.len);
}
