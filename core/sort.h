/* sort.h: sorting (key, pointer) pairs by key, stably, in linear time.
 *
 * A client flush sorts every row it touched (thousands per clock) so that
 * frames are identical from run to run and sent deltas can be searched by
 * key; a comparison sort through qsort's indirect calls was a quarter of
 * the worker's time with small rows. Keys are (table << 32 | row), whose
 * high bytes are mostly equal, so a byte-wise radix sort that skips the
 * bytes every key shares usually makes two or three passes. */
#ifndef SORT_H
#define SORT_H

#include <stddef.h>
#include <stdint.h>

typedef struct sort_pair {
  uint64_t key;
  void *val; /* not owned: the caller's */
} sort_pair;

/* Sorts a[0..n) by key, ascending; equal keys keep their order. tmp is
 * scratch of n pairs owned by the caller. The result is in a. */
void sort_pairs(sort_pair *a, sort_pair *tmp, size_t n);

#endif
