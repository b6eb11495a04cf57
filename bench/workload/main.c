/*
 * The workload's entry (ymir_main, called by test/cpu/native/crt.S or by boot.S under QEMU): runs
 * the programs WL_SELECT picks (a bit per program, in the order below) WL_ITERATIONS times at
 * size WL_SIZE, keeps every checksum in wl_results and returns a byte of their sum (the same for
 * any number of iterations but 0).
 */
#include "workload.h"

#ifndef WL_SELECT
#define WL_SELECT 0x3f
#endif
#ifndef WL_ITERATIONS
#define WL_ITERATIONS 1
#endif
#ifndef WL_SIZE
#define WL_SIZE 1000
#endif

/* Only the selected programs are linked (a null entry otherwise), so a program's test carries no
   other program's data. */
#define PICK(bit, fn) ((WL_SELECT) & (1 << (bit)) ? (fn) : 0)
static uint64_t (*const programs[])(uint32_t, uint32_t) = {
    PICK(0, wl_crc32), PICK(1, wl_sort), PICK(2, wl_format), PICK(3, wl_hash), PICK(4, wl_muldiv), PICK(5, wl_switch),
};
enum { PROGRAMS = sizeof programs / sizeof programs[0] };
uint64_t wl_results[PROGRAMS];

int ymir_main(void) {
  for (uint32_t i = 0; i < WL_ITERATIONS; i++) {
    for (unsigned p = 0; p < PROGRAMS; p++) {
      /* One fixed input: every iteration does the same work and ends with the same results. */
      if (programs[p] != 0) wl_results[p] = programs[p](0x1234567u, WL_SIZE);
    }
  }
  uint64_t sum = 0;
  for (unsigned p = 0; p < PROGRAMS; p++) sum += wl_results[p];
  return (int)(sum & 0x7f);
}
