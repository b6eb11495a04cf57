/* 64-bit multiply and divide: modular exponentiation with a 128-bit product, gcd, signed and
   unsigned division and remainder by values only known at run time. */
#include "workload.h"

/* a * b mod m without 128-bit division (which would call libgcc): double and add, with the
   128-bit product's high half deciding the fast path. */
static uint64_t mulmod(uint64_t a, uint64_t b, uint64_t m) {
  unsigned __int128 product = (unsigned __int128)a * b;
  if ((uint64_t)(product >> 64) == 0) return (uint64_t)product % m;
  uint64_t result = 0;
  a %= m;
  while (b) {
    if (b & 1) result = result >= m - a ? result - (m - a) : result + a;
    a = a >= m - a ? a - (m - a) : a + a;
    b >>= 1;
  }
  return result;
}

static uint64_t powmod(uint64_t base, uint64_t exp, uint64_t m) {
  uint64_t result = 1 % m;
  base %= m;
  while (exp) {
    if (exp & 1) result = mulmod(result, base, m);
    base = mulmod(base, base, m);
    exp >>= 1;
  }
  return result;
}

static uint64_t gcd(uint64_t a, uint64_t b) {
  while (b) {
    uint64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

uint64_t wl_muldiv(uint32_t seed, uint32_t size) {
  uint64_t state = seed | 1, sum = 0;
  for (uint32_t n = 0; n < size; n++) {
    uint64_t a = wl_next(&state), b = wl_next(&state) | 1;
    int64_t s = (int64_t)a >> (n % 17), t = (int64_t)(b >> (n % 29)) - 12345;
    if (t == 0) t = 7;
    sum += powmod(a, b >> 56, (b >> 1) | 1);
    sum ^= gcd(a >> (n % 13), b >> (n % 11));
    sum += (uint64_t)(s / t) + (uint64_t)(s % t);
    sum += (a / (b >> 32 | 1)) * 3 + (uint32_t)a / ((uint32_t)b | 1u);
    sum = sum * 0x9e3779b97f4a7c15ULL + (uint64_t)((__int128)s * t >> 64);
  }
  return sum;
}
