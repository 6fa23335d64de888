#include "sort.h"

#include <string.h>

void sort_pairs(sort_pair *a, sort_pair *tmp, size_t n) {
  if (n < 2) return;
  uint64_t all_or = 0, all_and = ~(uint64_t)0;
  for (size_t i = 0; i < n; i++) {
    all_or |= a[i].key;
    all_and &= a[i].key;
  }
  uint64_t varies = all_or ^ all_and; /* bits that differ between some keys */
  sort_pair *src = a, *dst = tmp;
  for (unsigned shift = 0; shift < 64; shift += 8) {
    if (!((varies >> shift) & 0xff)) continue; /* every key has this byte */
    size_t count[256] = {0};
    for (size_t i = 0; i < n; i++) count[(src[i].key >> shift) & 0xff]++;
    size_t pos = 0;
    for (unsigned b = 0; b < 256; b++) {
      size_t c = count[b];
      count[b] = pos;
      pos += c;
    }
    for (size_t i = 0; i < n; i++) dst[count[(src[i].key >> shift) & 0xff]++] = src[i];
    sort_pair *t = src;
    src = dst;
    dst = t;
  }
  if (src != a) memcpy(a, src, n * sizeof *a);
}
