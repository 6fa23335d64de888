/* tbl.c: the table set of a run and the stable row-to-shard map. */
#include "tbl.h"

#include <stddef.h>

int tbl_add(tbl_set *set, const tbl_def *def) {
  if (def->width == 0 || def->rows == 0) return ST_EINVAL;
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
