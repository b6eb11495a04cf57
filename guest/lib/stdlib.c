/* Numbers from strings, and malloc: first fit over blocks taken from brk, freed blocks kept
 * on a list and split when larger than asked. Enough for small tools; not thread-safe. */
#include "libc.h"

unsigned long strtoul(const char *s, char **end, int base)
{
	while (*s == ' ' || *s == '\t')
		s++;
	if ((base == 0 || base == 16) && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2, base = 16;
	else if (base == 0)
		base = s[0] == '0' ? 8 : 10;
	unsigned long v = 0;
	for (;; s++) {
		int d = *s >= '0' && *s <= '9' ? *s - '0' : *s >= 'a' && *s <= 'z' ? *s - 'a' + 10 : *s >= 'A' && *s <= 'Z' ? *s - 'A' + 10 : 99;
		if (d >= base)
			break;
		v = v * (unsigned long)base + (unsigned long)d;
	}
	if (end)
		*end = (char *)s;
	return v;
}

long strtol(const char *s, char **end, int base)
{
	while (*s == ' ' || *s == '\t')
		s++;
	int neg = *s == '-';
	if (*s == '-' || *s == '+')
		s++;
	unsigned long v = strtoul(s, end, base);
	return neg ? -(long)v : (long)v;
}

int atoi(const char *s) { return (int)strtol(s, 0, 10); }

struct block {
	size_t size; /* bytes after the header */
	struct block *next_free;
};

static struct block *free_list;
static char *heap_end;

void *malloc(size_t n)
{
	n = (n + 15) & ~(size_t)15;
	for (struct block **pp = &free_list; *pp; pp = &(*pp)->next_free) {
		struct block *b = *pp;
		if (b->size < n)
			continue;
		if (b->size >= n + sizeof(struct block) + 64) {
			struct block *rest = (struct block *)((char *)(b + 1) + n);
			rest->size = b->size - n - sizeof(struct block);
			rest->next_free = b->next_free;
			b->size = n;
			*pp = rest;
		} else
			*pp = b->next_free;
		return b + 1;
	}
	if (!heap_end)
		heap_end = (char *)brk(0);
	char *want = heap_end + sizeof(struct block) + n;
	if ((char *)brk(want) != want)
		return 0;
	struct block *b = (struct block *)heap_end;
	heap_end = want;
	b->size = n;
	return b + 1;
}

void free(void *p)
{
	if (!p)
		return;
	struct block *b = (struct block *)p - 1;
	b->next_free = free_list;
	free_list = b;
}

void *calloc(size_t n, size_t size)
{
	if (size && n > (size_t)-1 / size)
		return 0;
	void *p = malloc(n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

void *realloc(void *p, size_t n)
{
	if (!p)
		return malloc(n);
	struct block *b = (struct block *)p - 1;
	if (b->size >= n)
		return p;
	void *q = malloc(n);
	if (q) {
		memcpy(q, p, b->size);
		free(p);
	}
	return q;
}
