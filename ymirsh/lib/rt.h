/*
 * ymirsh's runtime: the memory and string functions gcc may call, output sinks with a small
 * printf, number parsing, time and sleep. Everything is static: no heap.
 */
#ifndef YMIRSH_RT_H
#define YMIRSH_RT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
int starts_with(const char *s, const char *prefix);

/*
 * Where text goes: a buffer that is written to `fd` when full (and by sink_flush), or, with
 * fd < 0, a memory buffer that notes an overflow instead of growing.
 */
struct sink {
	char *buf;
	size_t len;
	size_t cap;
	int fd;
	int overflow;
};

extern struct sink out; /* stdout */

void sink_putc(struct sink *s, char c);
void sink_write(struct sink *s, const char *text, size_t n);
void sink_puts(struct sink *s, const char *text);
void sink_flush(struct sink *s);

/*
 * printf for sinks: %s %c %d %u %x %% with the length modifier l (64-bit), flags '-' and '0',
 * a width (or '*') and a precision for strings (or '.*').
 */
void sfmt(struct sink *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vsfmt(struct sink *s, const char *fmt, va_list ap);
/* sfmt into stdout. */
void print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Spaces to pad `s` from column `from` to `width`. */
void sink_pad(struct sink *s, size_t from, size_t width);

/* Parse all of `text` as a decimal u64; 0 on success, -1 when it is not one or overflows. */
int parse_u64(const char *text, uint64_t *value);

/* Nanoseconds of CLOCK_MONOTONIC. */
uint64_t now_ns(void);
void sleep_ms(unsigned ms);

/* The text of a Linux errno (positive), for file errors. */
const char *errno_text(long err);

#endif
