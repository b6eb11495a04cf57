/* CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), table-driven, over pseudo-random bytes. */
#include "workload.h"

static uint32_t table[256];
static uint8_t data[8192];

uint64_t wl_crc32(uint32_t seed, uint32_t size) {
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = n;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    table[n] = c;
  }
  if (size > sizeof data) size = sizeof data;
  uint64_t state = seed | 1;
  for (uint32_t n = 0; n < size; n += 8) {
    uint64_t v = wl_next(&state);
    for (int k = 0; k < 8 && n + k < size; k++) data[n + k] = (uint8_t)(v >> (8 * k));
  }
  uint32_t crc = 0xffffffffu;
  for (uint32_t n = 0; n < size; n++) crc = table[(crc ^ data[n]) & 0xff] ^ (crc >> 8);
  return ~crc;
}
