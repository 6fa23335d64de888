/* tbl.h: table definitions and where rows live. A table is an id, a row
 * count, a row width and a storage hint (dense or sparse on the wire). Rows
 * are sharded over server shards by a stable hash of (table, row), so every
 * node computes the same owner without talking. */
#ifndef TBL_H
#define TBL_H

#include "st.h"

typedef struct tbl_def {
  uint32_t id;
  uint32_t rows;  /* valid row indices are 0..rows-1 */
  uint32_t width; /* values per row, > 0 */
  uint8_t sparse; /* 1: rows travel as (column, value) pairs of non-zeros */
} tbl_def;

#define TBL_MAX 64

/* The tables of a run. Plain value; every node holds an identical copy. */
typedef struct tbl_set {
  tbl_def defs[TBL_MAX];
  uint32_t n;
} tbl_set;

/* Adds def to set. ST_EINVAL for zero width or zero rows, ST_EEXIST for a
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

#endif
