/* vec.h: growing a heap array, the one pattern every core module needs. */
#ifndef VEC_H
#define VEC_H

#include <stdlib.h>

#include "st.h"

/* Ensures *arr (of *cap elements of size elem) holds at least need elements,
 * doubling. Returns 0 or ST_ENOMEM (then *arr and *cap are unchanged). The
 * caller owns *arr and frees it. */
static inline int vec_reserve(void *arr, size_t *cap, size_t need, size_t elem) {
  void **p = (void **)arr;
  if (need <= *cap) return 0;
  size_t ncap = *cap ? *cap : 8;
  while (ncap < need) ncap *= 2;
  void *np = st_realloc(*p, ncap * elem);
  if (!np) return ST_ENOMEM;
  *p = np;
  *cap = ncap;
  return 0;
}

#endif
