/* A small printf into a buffer: %d %i %u %x %X %c %s %p %%, l/ll, width, zero padding, '-'. */
#include <stdarg.h>
#include "workload.h"

static char buffer[8192];

struct out {
  char *at, *end;
};

static void put(struct out *o, char c) {
  if (o->at < o->end) *o->at++ = c;
}

static void number(struct out *o, unsigned long long v, int negative, unsigned base, int upper, int width, int zero, int left) {
  char digits[24];
  const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  int n = 0;
  do {
    digits[n++] = set[v % base];
    v /= base;
  } while (v != 0);
  int length = n + negative;
  if (!left && !zero)
    for (; length < width; width--) put(o, ' ');
  if (negative) put(o, '-');
  if (!left && zero)
    for (; length < width; width--) put(o, '0');
  while (n > 0) put(o, digits[--n]);
  if (left)
    for (; length < width; width--) put(o, ' ');
}

static int format(char *dest, size_t size, const char *fmt, va_list ap) {
  struct out o = {dest, dest + size - 1};
  for (const char *p = fmt; *p; p++) {
    if (*p != '%') {
      put(&o, *p);
      continue;
    }
    int left = 0, zero = 0, width = 0, longs = 0;
    for (p++; *p == '-' || *p == '0'; p++) *p == '-' ? (left = 1) : (zero = 1);
    for (; *p >= '0' && *p <= '9'; p++) width = width * 10 + (*p - '0');
    for (; *p == 'l'; p++) longs++;
    switch (*p) {
    case 'd':
    case 'i': {
      long long v = longs ? va_arg(ap, long long) : va_arg(ap, int);
      number(&o, v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v, v < 0, 10, 0, width, zero, left);
      break;
    }
    case 'u':
    case 'x':
    case 'X': {
      unsigned long long v = longs ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned);
      number(&o, v, 0, *p == 'u' ? 10 : 16, *p == 'X', width, zero, left);
      break;
    }
    case 'p':
      put(&o, '0');
      put(&o, 'x');
      number(&o, (uintptr_t)va_arg(ap, void *), 0, 16, 0, width, zero, left);
      break;
    case 'c':
      put(&o, (char)va_arg(ap, int));
      break;
    case 's': {
      const char *s = va_arg(ap, const char *);
      int n = 0;
      while (s[n]) n++;
      if (!left)
        for (int k = n; k < width; k++) put(&o, ' ');
      for (int k = 0; k < n; k++) put(&o, s[k]);
      if (left)
        for (int k = n; k < width; k++) put(&o, ' ');
      break;
    }
    case '%':
      put(&o, '%');
      break;
    default:
      return -1;
    }
  }
  *o.at = 0;
  return (int)(o.at - dest);
}

static int sformat(char *dest, size_t size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = format(dest, size, fmt, ap);
  va_end(ap);
  return n;
}

uint64_t wl_format(uint32_t seed, uint32_t size) {
  static const char *const words[] = {"ymir", "vmcall", "exit", "guest", "ept", "vmcs"};
  uint64_t state = seed | 1, sum = 0;
  for (uint32_t n = 0; n < size; n++) {
    uint64_t r = wl_next(&state);
    int length = sformat(buffer, sizeof buffer, "[%5u] %-8s %08x %d %lld %c %X %p %%\n", (unsigned)n,
                         words[r % 6], (unsigned)(r >> 8), (int)(r >> 20), (long long)r, 'a' + (int)(r % 26),
                         (unsigned)(r >> 40), (void *)(uintptr_t)(r & 0xffffff));
    for (int k = 0; k < length; k++) sum = sum * 131 + (unsigned char)buffer[k];
  }
  return sum;
}
