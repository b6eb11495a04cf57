/* An open-addressing hash table (linear probing, FNV-1a over the key's bytes): inserts, lookups
   that hit and miss, deletions with backward-shift. */
#include "workload.h"

enum { SLOTS = 512 };
struct slot {
  uint64_t key;
  uint64_t value;
  uint8_t used;
};
static struct slot table[SLOTS];

static uint32_t fnv1a(uint64_t key) {
  uint32_t h = 2166136261u;
  for (int k = 0; k < 8; k++) {
    h ^= (uint8_t)(key >> (8 * k));
    h *= 16777619u;
  }
  return h;
}

static struct slot *find(uint64_t key) {
  for (uint32_t i = fnv1a(key) & (SLOTS - 1);; i = (i + 1) & (SLOTS - 1)) {
    if (!table[i].used || table[i].key == key) return &table[i];
  }
}

static void erase(uint64_t key) {
  uint32_t i = (uint32_t)(find(key) - table);
  if (!table[i].used) return;
  table[i].used = 0;
  for (uint32_t j = (i + 1) & (SLOTS - 1); table[j].used; j = (j + 1) & (SLOTS - 1)) {
    uint32_t home = fnv1a(table[j].key) & (SLOTS - 1);
    /* Move j back to i when its home is not cyclically within (i, j]. */
    if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
      table[i] = table[j];
      table[j].used = 0;
      i = j;
    }
  }
}

uint64_t wl_hash(uint32_t seed, uint32_t size) {
  memset(table, 0, sizeof table);
  uint32_t n = size < SLOTS / 2 ? size : SLOTS / 2;
  uint64_t state = seed | 1, sum = 0;
  for (uint32_t k = 0; k < n; k++) {
    uint64_t key = wl_next(&state) % (n * 4);
    struct slot *s = find(key);
    s->value = s->used ? s->value + 1 : key * 3;
    s->key = key;
    s->used = 1;
  }
  state = seed | 1;
  for (uint32_t k = 0; k < n; k++) {
    uint64_t key = wl_next(&state) % (n * 4);
    if (k % 3 == 0) erase(key);
    struct slot *s = find(key ^ 1);
    sum = sum * 7 + (s->used ? s->value : 0) + find(key)->used;
  }
  return sum;
}
