/*
 * The integer workload: small freestanding C programs (gcc -O2 -mgeneral-regs-only), each a
 * function of a seed and a size that returns a checksum of everything it computed. They are the
 * differential test's real compiled code (test/cpu) and the benchmark's workload (bench/workload).
 */
#ifndef WORKLOAD_H
#define WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

uint64_t wl_crc32(uint32_t seed, uint32_t size);
uint64_t wl_sort(uint32_t seed, uint32_t size);
uint64_t wl_format(uint32_t seed, uint32_t size);
uint64_t wl_hash(uint32_t seed, uint32_t size);
uint64_t wl_muldiv(uint32_t seed, uint32_t size);
uint64_t wl_switch(uint32_t seed, uint32_t size);

/* xorshift64*: the programs' input data, the same on every run. */
static inline uint64_t wl_next(uint64_t *state) {
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545f4914f6cdd1dULL;
}

/* What gcc may call even in freestanding code (lib.c). */
void *memset(void *dest, int c, size_t n);
void *memcpy(void *dest, const void *src, size_t n);
void *memmove(void *dest, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif
