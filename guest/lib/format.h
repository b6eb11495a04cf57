/*
 * printf-style formatting, shared by the kernel's printk and the C library's printf:
 * %d %i %u %x %X %o %p %s %c %%, the l/ll/z/h/hh length modifiers, flags '-', '0', ' ', '+',
 * a width and a precision (either may be '*').
 */
#ifndef GUEST_LIB_FORMAT_H
#define GUEST_LIB_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/* Writes the formatted text through put(ctx, c); returns the number of characters. */
int vformat(void (*put)(void *ctx, char c), void *ctx, const char *fmt, va_list ap);
/* As C's: always terminates when size > 0; returns the length the whole text would have. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
