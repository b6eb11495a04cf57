/* Quicksort (median of three, insertion sort for short runs) and a bottom-up mergesort over the
   same random data; the result says whether both sorted it and how it looks. */
#include "workload.h"

enum { MAX = 2048 };
static uint32_t a[MAX], b[MAX], tmp[MAX];

static void insertion(uint32_t *v, int lo, int hi) {
  for (int i = lo + 1; i <= hi; i++) {
    uint32_t x = v[i];
    int j = i - 1;
    while (j >= lo && v[j] > x) {
      v[j + 1] = v[j];
      j--;
    }
    v[j + 1] = x;
  }
}

static void quicksort(uint32_t *v, int lo, int hi) {
  while (hi - lo > 12) {
    int mid = lo + (hi - lo) / 2;
    if (v[mid] < v[lo]) { uint32_t t = v[mid]; v[mid] = v[lo]; v[lo] = t; }
    if (v[hi] < v[lo]) { uint32_t t = v[hi]; v[hi] = v[lo]; v[lo] = t; }
    if (v[hi] < v[mid]) { uint32_t t = v[hi]; v[hi] = v[mid]; v[mid] = t; }
    uint32_t pivot = v[mid];
    int i = lo, j = hi;
    while (i <= j) {
      while (v[i] < pivot) i++;
      while (v[j] > pivot) j--;
      if (i <= j) {
        uint32_t t = v[i]; v[i] = v[j]; v[j] = t;
        i++;
        j--;
      }
    }
    /* Recurse into the smaller side: bounded stack depth. */
    if (j - lo < hi - i) {
      quicksort(v, lo, j);
      lo = i;
    } else {
      quicksort(v, i, hi);
      hi = j;
    }
  }
  insertion(v, lo, hi);
}

static void mergesort(uint32_t *v, int n) {
  for (int width = 1; width < n; width *= 2) {
    for (int lo = 0; lo < n; lo += 2 * width) {
      int mid = lo + width < n ? lo + width : n;
      int hi = lo + 2 * width < n ? lo + 2 * width : n;
      int i = lo, j = mid, k = lo;
      while (i < mid && j < hi) tmp[k++] = v[i] <= v[j] ? v[i++] : v[j++];
      while (i < mid) tmp[k++] = v[i++];
      while (j < hi) tmp[k++] = v[j++];
    }
    memcpy(v, tmp, (size_t)n * sizeof *v);
  }
}

uint64_t wl_sort(uint32_t seed, uint32_t size) {
  int n = size < MAX ? (int)size : MAX;
  uint64_t state = seed | 1;
  for (int i = 0; i < n; i++) a[i] = b[i] = (uint32_t)wl_next(&state) % 100000u;
  quicksort(a, 0, n - 1);
  mergesort(b, n);
  uint64_t sum = 0;
  int sorted = 1;
  for (int i = 0; i < n; i++) {
    if (a[i] != b[i] || (i > 0 && a[i - 1] > a[i])) sorted = 0;
    sum = sum * 31 + a[i];
  }
  return sum ^ (uint64_t)sorted << 63;
}
