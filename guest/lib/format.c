#include "format.h"
#include "str.h"

#include <stdint.h>

struct spec {
	int left, zero, plus, space;
	int width, precision; /* precision < 0: none */
};

static int emit(void (*put)(void *, char), void *ctx, char c)
{
	put(ctx, c);
	return 1;
}

static int pad(void (*put)(void *, char), void *ctx, char c, int n)
{
	int count = 0;
	while (n-- > 0)
		count += emit(put, ctx, c);
	return count;
}

/* One field: an optional sign or prefix, then digits (or the text of %s and %c), padded. */
static int field(void (*put)(void *, char), void *ctx, const struct spec *s, const char *prefix, const char *body, int len, int numeric)
{
	int plen = (int)strlen(prefix);
	int zeros = 0, count = 0;
	if (numeric && s->precision > len)
		zeros = s->precision - len;
	int total = plen + zeros + len;
	int fill = s->width > total ? s->width - total : 0;
	if (!s->left && !(s->zero && s->precision < 0))
		count += pad(put, ctx, ' ', fill);
	for (int i = 0; i < plen; i++)
		count += emit(put, ctx, prefix[i]);
	if (!s->left && s->zero && s->precision < 0)
		count += pad(put, ctx, '0', fill);
	count += pad(put, ctx, '0', zeros);
	for (int i = 0; i < len; i++)
		count += emit(put, ctx, body[i]);
	if (s->left)
		count += pad(put, ctx, ' ', fill);
	return count;
}

static int number(void (*put)(void *, char), void *ctx, const struct spec *s, uint64_t v, int negative, unsigned base, int upper, const char *prefix)
{
	char digits[24];
	const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	int n = sizeof digits;
	if (v == 0 && s->precision != 0)
		digits[--n] = '0';
	while (v) {
		digits[--n] = set[v % base];
		v /= base;
	}
	const char *sign = negative ? "-" : s->plus ? "+" : s->space ? " " : prefix;
	return field(put, ctx, s, sign, digits + n, (int)sizeof digits - n, 1);
}

int vformat(void (*put)(void *, char), void *ctx, const char *fmt, va_list ap)
{
	int count = 0;
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			count += emit(put, ctx, *fmt);
			continue;
		}
		struct spec s = { .precision = -1 };
		for (;; fmt++) {
			if (fmt[1] == '-')
				s.left = 1;
			else if (fmt[1] == '0')
				s.zero = 1;
			else if (fmt[1] == '+')
				s.plus = 1;
			else if (fmt[1] == ' ')
				s.space = 1;
			else
				break;
		}
		fmt++;
		if (*fmt == '*') {
			s.width = va_arg(ap, int);
			if (s.width < 0)
				s.left = 1, s.width = -s.width;
			fmt++;
		} else
			while (*fmt >= '0' && *fmt <= '9')
				s.width = s.width * 10 + (*fmt++ - '0');
		if (*fmt == '.') {
			fmt++;
			s.precision = 0;
			if (*fmt == '*') {
				s.precision = va_arg(ap, int);
				fmt++;
			} else
				while (*fmt >= '0' && *fmt <= '9')
					s.precision = s.precision * 10 + (*fmt++ - '0');
		}
		int size = 0; /* -2 hh, -1 h, 0 int, 1 long, 2 long long */
		for (;; fmt++) {
			if (*fmt == 'l' || *fmt == 'z' || *fmt == 'j' || *fmt == 't')
				size++;
			else if (*fmt == 'h')
				size--;
			else
				break;
		}
		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t v = size > 0 ? va_arg(ap, int64_t) : va_arg(ap, int);
			if (size == -1)
				v = (short)v;
			else if (size == -2)
				v = (signed char)v;
			count += number(put, ctx, &s, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0, 10, 0, "");
			break;
		}
		case 'u':
		case 'x':
		case 'X':
		case 'o': {
			uint64_t v = size > 0 ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
			if (size == -1)
				v = (unsigned short)v;
			else if (size == -2)
				v = (unsigned char)v;
			unsigned base = *fmt == 'u' ? 10 : *fmt == 'o' ? 8 : 16;
			s.plus = s.space = 0;
			count += number(put, ctx, &s, v, 0, base, *fmt == 'X', "");
			break;
		}
		case 'p':
			s.plus = s.space = 0;
			count += number(put, ctx, &s, (uintptr_t)va_arg(ap, void *), 0, 16, 0, "0x");
			break;
		case 's': {
			const char *str = va_arg(ap, const char *);
			if (!str)
				str = "(null)";
			int len = (int)(s.precision >= 0 ? strnlen(str, (size_t)s.precision) : strlen(str));
			s.precision = -1;
			s.zero = 0;
			count += field(put, ctx, &s, "", str, len, 0);
			break;
		}
		case 'c': {
			char c = (char)va_arg(ap, int);
			s.precision = -1;
			s.zero = 0;
			count += field(put, ctx, &s, "", &c, 1, 0);
			break;
		}
		case '%':
			count += emit(put, ctx, '%');
			break;
		case 0:
			return count;
		default:
			count += emit(put, ctx, '%');
			count += emit(put, ctx, *fmt);
		}
	}
	return count;
}

struct buffer {
	char *p;
	size_t size, used;
};

static void put_buffer(void *ctx, char c)
{
	struct buffer *b = ctx;
	if (b->used + 1 < b->size)
		b->p[b->used] = c;
	b->used++;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct buffer b = { buf, size, 0 };
	int n = vformat(put_buffer, &b, fmt, ap);
	if (size)
		buf[b.used < size ? b.used : size - 1] = 0;
	return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
