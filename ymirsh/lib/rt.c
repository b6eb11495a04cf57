#include "rt.h"
#include "sys.h"

void *memcpy(void *dst, const void *src, size_t n)
{
	char *d = dst;
	const char *s = src;

	while (n--) *d++ = *s++;
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	char *d = dst;
	const char *s = src;

	if (d < s) return memcpy(dst, src, n);
	while (n--) d[n] = s[n];
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	char *d = dst;

	while (n--) *d++ = (char)c;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y) return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n]) n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b) return (unsigned char)*a - (unsigned char)*b;
		if (!*a) return 0;
	}
	return 0;
}

int starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static char out_buffer[16384];
struct sink out = { out_buffer, 0, sizeof(out_buffer), 1, 0 };

void sink_flush(struct sink *s)
{
	size_t done = 0;

	if (s->fd < 0) return;
	while (done < s->len) {
		long n = sys_write(s->fd, s->buf + done, s->len - done);
		if (n == -EINTR) continue;
		if (n <= 0) break; /* nobody reads the console: the text is dropped, ymirsh goes on */
		done += (size_t)n;
	}
	s->len = 0;
}

void sink_putc(struct sink *s, char c)
{
	if (s->len == s->cap) {
		if (s->fd < 0) {
			s->overflow = 1;
			return;
		}
		sink_flush(s);
	}
	s->buf[s->len++] = c;
}

void sink_write(struct sink *s, const char *text, size_t n)
{
	while (n--) sink_putc(s, *text++);
}

void sink_puts(struct sink *s, const char *text)
{
	sink_write(s, text, strlen(text));
}

void sink_pad(struct sink *s, size_t from, size_t width)
{
	for (; from < width; from++) sink_putc(s, ' ');
}

/* One formatted field: `text` of `n` bytes padded to `width`, left-aligned or with `fill` in front. */
static void field(struct sink *s, const char *text, size_t n, size_t width, int left, char fill)
{
	if (!left)
		for (size_t i = n; i < width; i++) sink_putc(s, fill);
	sink_write(s, text, n);
	if (left) sink_pad(s, n, width);
}

void vsfmt(struct sink *s, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		char digits[24], *p = digits + sizeof(digits);
		int left = 0, is_long = 0, precision = -1, negative = 0;
		char fill = ' ';
		size_t width = 0;
		uint64_t v;

		if (*fmt != '%') {
			sink_putc(s, *fmt);
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '-') left = 1;
			else if (*fmt == '0') fill = '0';
			else break;
		}
		if (*fmt == '*') width = (size_t)va_arg(ap, int), fmt++;
		else
			while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (size_t)(*fmt++ - '0');
		if (*fmt == '.') {
			fmt++;
			if (*fmt == '*') precision = va_arg(ap, int), fmt++;
			else
				for (precision = 0; *fmt >= '0' && *fmt <= '9'; fmt++) precision = precision * 10 + (*fmt - '0');
		}
		if (*fmt == 'l') is_long = 1, fmt++;
		switch (*fmt) {
		case 's': {
			const char *text = va_arg(ap, const char *);
			size_t n = 0;

			while ((precision < 0 || n < (size_t)precision) && text[n]) n++;
			field(s, text, n, width, left, ' ');
			continue;
		}
		case 'c':
			digits[0] = (char)va_arg(ap, int);
			field(s, digits, 1, width, left, ' ');
			continue;
		case '%':
			sink_putc(s, '%');
			continue;
		case 'd': {
			int64_t x = is_long ? va_arg(ap, int64_t) : va_arg(ap, int);
			negative = x < 0;
			v = negative ? 0 - (uint64_t)x : (uint64_t)x;
			do *--p = (char)('0' + v % 10); while (v /= 10);
			break;
		}
		case 'u':
		case 'x':
			v = is_long ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
			if (*fmt == 'u') do *--p = (char)('0' + v % 10); while (v /= 10);
			else do *--p = "0123456789abcdef"[v % 16]; while (v /= 16);
			break;
		default: /* not a conversion this printf has: shown as it is */
			sink_putc(s, '%');
			sink_putc(s, *fmt);
			continue;
		}
		if (negative && fill == '0') {
			sink_putc(s, '-');
			if (width) width--;
		} else if (negative)
			*--p = '-';
		field(s, p, (size_t)(digits + sizeof(digits) - p), width, left, fill);
	}
}

void sfmt(struct sink *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsfmt(s, fmt, ap);
	va_end(ap);
}

void print(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsfmt(&out, fmt, ap);
	va_end(ap);
}

int parse_u64(const char *text, uint64_t *value)
{
	uint64_t v = 0;

	if (!*text) return -1;
	for (; *text; text++) {
		if (*text < '0' || *text > '9') return -1;
		if (v > (UINT64_MAX - (uint64_t)(*text - '0')) / 10) return -1;
		v = v * 10 + (uint64_t)(*text - '0');
	}
	*value = v;
	return 0;
}

uint64_t now_ns(void)
{
	struct timespec t;

	sys_clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

void sleep_ms(unsigned ms)
{
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000 };

	sys_nanosleep(&t);
}

const char *errno_text(long err)
{
	switch (err) {
	case ENOENT: return "No such file or directory";
	case EACCES: return "Permission denied";
	case EISDIR: return "Is a directory";
	case ENOTDIR: return "Not a directory";
	case EFBIG: return "File too large";
	default: return "Input/output error";
	}
}
