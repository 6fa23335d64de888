/* tbl.h: table definitions and where rows live. A table is an id, a row
 * count, a row width and a storage kind: dense, or sparse (rows are kept
 * in client caches, oplogs and server shards as their non-zero entries, a
 * tbl_srow, and travel as (column, value) pairs). Rows
 * are sharded over server shards by a stable hash of (table, row), so every
 * node computes the same owner without talking.
 *
 * A table also has an update rule: by default increments are added; a
 * TBL_RULE_ADAREV table (dense only) takes increments as update directions
 * that its shard applies with AdaRevision's adaptive step (ada.h), starting
 * from step size alpha; TBL_RULE_ADAGRAD the same without the revision. */
#ifndef TBL_H
#define TBL_H

#include "st.h"

typedef struct tbl_def {
  uint32_t id;
  uint32_t rows;  /* valid row indices are 0..rows-1 */
  uint32_t width; /* values per row, > 0 */
  uint8_t sparse; /* 1: rows are stored and sent as their non-zeros */
  uint8_t rule;   /* TBL_RULE_* */
  float alpha;    /* TBL_RULE_ADAREV, _ADAGRAD: initial step size, > 0 and finite */
} tbl_def;

/* ADAGRAD is AdaRevision's adaptive step without the revision (the
 * version a client cites is ignored, as if it had seen everything): the
 * ablation that tells what the revision itself adds. */
enum tbl_rule { TBL_RULE_ADD = 0, TBL_RULE_ADAREV = 1, TBL_RULE_ADAGRAD = 2 };

#define TBL_MAX 64

/* The tables of a run. Plain value; every node holds an identical copy. */
typedef struct tbl_set {
  tbl_def defs[TBL_MAX];
  uint32_t n;
} tbl_set;

/* Adds def to set. ST_EINVAL for zero width or zero rows, an unknown rule,
 * or an AdaRevision table that is sparse or lacks a positive finite alpha;
 * ST_EEXIST for a
 * repeated id, ST_ENOMEM when TBL_MAX tables exist. */
int tbl_add(tbl_set *set, const tbl_def *def);
/* The definition of table id, or NULL. Borrowed from set. */
const tbl_def *tbl_find(const tbl_set *set, uint32_t id);
/* Checks that (table, row) exists: 0, ST_ENOTABLE or ST_ERANGE. */
int tbl_check(const tbl_set *set, uint32_t table, uint32_t row);
/* The shard (0..nshards-1) that owns (table, row). Stable across runs,
 * machines and backends. */
uint32_t tbl_shard(uint32_t table, uint32_t row, uint32_t nshards);
/* 64-bit key of (table, row) for hash maps. */
static inline uint64_t tbl_key(uint32_t table, uint32_t row) {
  return ((uint64_t)table << 32) | row;
}

/* A stored row of a sparse table: its non-zero entries, columns strictly
 * ascending. Owns cols and vals (one allocation); a zeroed tbl_srow is an
 * empty row. Entries whose sum becomes exactly 0 are dropped, so a value
 * that returns to zero costs nothing (reads see 0.0f, never -0.0f). */
typedef struct tbl_srow {
  uint32_t *cols;
  float *vals;
  uint32_t n, cap;
} tbl_srow;

void tbl_srow_free(tbl_srow *r);
/* out[0..width) = r (borrowed out). */
void tbl_srow_dense(const tbl_srow *r, float *out, uint32_t width);
/* dst[col] += val for every entry (dst borrowed, at least width long). */
void tbl_srow_scatter_add(const tbl_srow *r, float *dst);
/* r = the non-zeros of v[0..width). 0 or ST_ENOMEM (r unchanged). */
int tbl_srow_set(tbl_srow *r, const float *v, uint32_t width);
/* r += delta[0..width), through scratch[width] (borrowed). Element-wise
 * the same float additions as a dense row. 0 or ST_ENOMEM (r unchanged). */
int tbl_srow_add(tbl_srow *r, const float *delta, uint32_t width, float *scratch);
/* r += the n pairs (cols strictly ascending) in O(r->n + n), merging
 * through tmp (a scratch row the caller keeps). 0, ST_EINVAL (cols not
 * strictly ascending: r unchanged) or ST_ENOMEM (r unchanged). */
int tbl_srow_merge(tbl_srow *r, const uint32_t *cols, const float *vals, uint32_t n, tbl_srow *tmp);

#endif
