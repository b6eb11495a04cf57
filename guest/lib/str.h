/* String and memory functions: the C library's, freestanding (the kernel links them too). */
#ifndef GUEST_LIB_STR_H
#define GUEST_LIB_STR_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
/* Copies at most size - 1 bytes and always terminates (size > 0); returns strlen(src). */
size_t strlcpy(char *dst, const char *src, size_t size);
/* Appends to dst within size bytes, always terminated; returns the length it tried to make. */
size_t strlcat(char *dst, const char *src, size_t size);

#endif
