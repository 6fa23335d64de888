/* tbl.c: the table set of a run and the stable row-to-shard map. */
#include "tbl.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

int tbl_add(tbl_set *set, const tbl_def *def) {
  if (def->width == 0 || def->rows == 0 || def->rule > TBL_RULE_ADAGRAD) return ST_EINVAL;
  if (def->rule != TBL_RULE_ADD && (def->sparse || !(def->alpha > 0) || !isfinite(def->alpha)))
    return ST_EINVAL;
  if (tbl_find(set, def->id) != NULL) return ST_EEXIST;
  if (set->n >= TBL_MAX) return ST_ENOMEM;
  set->defs[set->n++] = *def;
  return 0;
}

const tbl_def *tbl_find(const tbl_set *set, uint32_t id) {
  /* Linear scan: at most TBL_MAX entries, and runs define a handful. */
  for (uint32_t i = 0; i < set->n && i < TBL_MAX; i++)
    if (set->defs[i].id == id) return &set->defs[i];
  return NULL;
}

int tbl_check(const tbl_set *set, uint32_t table, uint32_t row) {
  const tbl_def *d = tbl_find(set, table);
  if (d == NULL) return ST_ENOTABLE;
  return row < d->rows ? 0 : ST_ERANGE;
}

/* splitmix64's finalizer: a fixed bijective mix, so neighbouring rows spread
 * over shards and every node, run and backend computes the same owner. */
static uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

uint32_t tbl_shard(uint32_t table, uint32_t row, uint32_t nshards) {
  if (nshards <= 1) return 0; /* also spares the division on every row */
  return (uint32_t)(mix64(tbl_key(table, row)) % nshards);
}

/* ---- sparse rows ----------------------------------------------------------- */

void tbl_srow_free(tbl_srow *r) {
  st_free(r->cols);
  *r = (tbl_srow){0};
}

/* Makes room for need entries (contents kept). Grows with headroom and
 * gives memory back when a row has shrunk to under half its room, so a
 * row's footprint follows its non-zeros. */
static int tbl_srow_fit(tbl_srow *r, uint32_t need) {
  if (need <= r->cap && r->cap <= 2 * (uint64_t)need + 16) return 0;
  uint32_t cap = need + need / 4 + 4;
  if (cap < need) cap = need; /* wrapped */
  void *mem = st_malloc((size_t)cap * (sizeof *r->cols + sizeof *r->vals));
  if (!mem) return need <= r->cap ? 0 : ST_ENOMEM; /* a failed shrink is harmless */
  uint32_t *cols = mem;
  float *vals = (float *)(cols + cap);
  if (r->n) {
    memcpy(cols, r->cols, r->n * sizeof *cols);
    memcpy(vals, r->vals, r->n * sizeof *vals);
  }
  st_free(r->cols);
  r->cols = cols;
  r->vals = vals;
  r->cap = cap;
  return 0;
}

void tbl_srow_dense(const tbl_srow *r, float *out, uint32_t width) {
  memset(out, 0, (size_t)width * sizeof *out);
  for (uint32_t i = 0; i < r->n; i++) out[r->cols[i]] = r->vals[i];
}

void tbl_srow_scatter_add(const tbl_srow *r, float *dst) {
  for (uint32_t i = 0; i < r->n; i++) dst[r->cols[i]] += r->vals[i];
}

int tbl_srow_set(tbl_srow *r, const float *v, uint32_t width) {
  uint32_t nnz = 0;
  for (uint32_t i = 0; i < width; i++) nnz += v[i] != 0.0f;
  uint32_t keep = r->n;
  r->n = 0; /* nothing to carry over when the room changes */
  if (tbl_srow_fit(r, nnz)) {
    r->n = keep;
    return ST_ENOMEM;
  }
  for (uint32_t i = 0; i < width; i++)
    if (v[i] != 0.0f) {
      r->cols[r->n] = i;
      r->vals[r->n++] = v[i];
    }
  return 0;
}

int tbl_srow_add(tbl_srow *r, const float *delta, uint32_t width, float *scratch) {
  tbl_srow_dense(r, scratch, width);
  for (uint32_t i = 0; i < width; i++) scratch[i] += delta[i];
  return tbl_srow_set(r, scratch, width);
}

int tbl_srow_merge(tbl_srow *r, const uint32_t *cols, const float *vals, uint32_t n, tbl_srow *tmp) {
  for (uint32_t i = 1; i < n; i++)
    if (cols[i] <= cols[i - 1]) return ST_EINVAL;
  uint64_t most = (uint64_t)r->n + n;
  if (most > UINT32_MAX) return ST_ENOMEM;
  tmp->n = 0;
  if (tmp->cap < most && tbl_srow_fit(tmp, (uint32_t)most)) return ST_ENOMEM;
  uint32_t i = 0, j = 0, k = 0;
  while (i < r->n || j < n) {
    uint32_t col;
    float v;
    if (j == n || (i < r->n && r->cols[i] < cols[j])) {
      col = r->cols[i];
      v = r->vals[i++];
    } else if (i == r->n || cols[j] < r->cols[i]) {
      col = cols[j];
      v = 0.0f + vals[j++]; /* as a dense row starting at +0 would hold */
    } else {
      col = cols[j];
      v = r->vals[i++] + vals[j++];
    }
    if (v == 0.0f) continue;
    tmp->cols[k] = col;
    tmp->vals[k++] = v;
  }
  uint32_t keep = r->n;
  r->n = 0;
  if (tbl_srow_fit(r, k)) {
    r->n = keep;
    return ST_ENOMEM;
  }
  if (k) {
    memcpy(r->cols, tmp->cols, k * sizeof *r->cols);
    memcpy(r->vals, tmp->vals, k * sizeof *r->vals);
  }
  r->n = k;
  return 0;
}
