/* rt_ckpt.h: checkpoint files of the real runtime. A checkpoint of clock K
 * is a directory DIR/ckpt-K holding per server shard its non-zero rows of
 * every table (shard-S.bin) and its push state (held-S.bin: which clients
 * hold which rows); per node its client's cache (cache-N.bin: rows, values,
 * freshness) and its record of the clocks before K (records-N.bin); per
 * worker the app's state (worker-W.bin); each file ends in a SHA-256 of the
 * rest. A COMPLETE file that rank 0 writes once every other file is on disk
 * names the layout and the run's configuration; only checkpoints with
 * COMPLETE are ever resumed from, and only in this layout. Files are written to a
 * temporary name, fsync'd and renamed, so a crash leaves either the old
 * state or the new one. Owns nothing between calls. */
#ifndef RT_CKPT_H
#define RT_CKPT_H

#include <stddef.h>
#include <stdint.h>

#include "srv.h"
#include "tbl.h"

/* What a checkpoint must agree with to be resumed: everything that decides
 * what the tables hold. Strings borrowed; data and app_options may be NULL. */
typedef struct rt_ckpt_meta {
  const char *app, *app_options, *data;
  uint64_t seed;
  uint32_t nodes, servers, workers_per_node, clocks, staleness;
  int push, ordered;
} rt_ckpt_meta;

/* Writes shard's rows (values read from s, borrowed) of every table in t.
 * 0 or a negative error with a message naming the file in err. */
int rt_ckpt_write_shard(const char *dir, uint32_t k, uint32_t shard, uint32_t nservers,
                        const tbl_set *t, const srv_shard *s, char *err, size_t errlen);
/* Marks checkpoint k complete (call after every shard file exists). */
int rt_ckpt_mark_complete(const char *dir, uint32_t k, const rt_ckpt_meta *m, char *err,
                          size_t errlen);
/* Deletes the checkpoints of clocks below `below` (their files of ours and
 * then the directory; anything else in it is left, and so is the
 * directory). Best effort: a checkpoint it cannot delete only costs disk. */
void rt_ckpt_prune(const char *dir, uint32_t below);
/* Finds the highest complete checkpoint in dir and checks it against m.
 * 0 with *k set, or a negative error with a message in err (none found,
 * or made by a different configuration). */
int rt_ckpt_latest(const char *dir, const rt_ckpt_meta *m, uint32_t *k, char *err,
                   size_t errlen);

/* Writes the app state of worker (global index) for checkpoint k: state
 * borrowed, hashed like the shard files. Call before the barrier reports. */
int rt_ckpt_write_worker(const char *dir, uint32_t k, uint32_t worker, const uint8_t *state,
                         size_t len, char *err, size_t errlen);
/* Reads it back, checking the hash and header: *state is malloc'd (the
 * caller frees it). 0, or a negative error with a message naming the file. */
int rt_ckpt_read_worker(const char *dir, uint32_t k, uint32_t worker, uint8_t **state,
                        size_t *len, char *err, size_t errlen);

/* The client cache of node (cl_cache_save's bytes) and the push state of
 * shard (srv_held_save's), written and read back like a worker's state:
 * borrowed to write, *state malloc'd when read (the caller frees it). The
 * bytes themselves are checked by the core's loaders. */
int rt_ckpt_write_cache(const char *dir, uint32_t k, uint32_t node, const uint8_t *state,
                        size_t len, char *err, size_t errlen);
int rt_ckpt_read_cache(const char *dir, uint32_t k, uint32_t node, uint8_t **state, size_t *len,
                       char *err, size_t errlen);
int rt_ckpt_write_held(const char *dir, uint32_t k, uint32_t shard, const uint8_t *state,
                       size_t len, char *err, size_t errlen);
int rt_ckpt_read_held(const char *dir, uint32_t k, uint32_t shard, uint8_t **state, size_t *len,
                      char *err, size_t errlen);

/* Writes node's records for checkpoint k: v[0..n) (borrowed; the runtime's
 * time, bytes, blocked time and counters of each clock before k, and of the
 * checkpoint itself), hashed like the other files, so a resumed run's CSV
 * keeps the clocks it did not run and continues the counters. Call before
 * the barrier reports. */
int rt_ckpt_write_records(const char *dir, uint32_t k, uint32_t node, const double *v, size_t n,
                          char *err, size_t errlen);
/* Reads them back into v[0..n): ST_EFRAME unless the file holds exactly n. */
int rt_ckpt_read_records(const char *dir, uint32_t k, uint32_t node, double *v, size_t n,
                         char *err, size_t errlen);

/* One restored row: table, row and width values (copied by the reader). */
typedef struct rt_ckpt_row {
  uint32_t table, row;
  float *v; /* [width of table], owned by the rt_ckpt_rows */
} rt_ckpt_row;

typedef struct rt_ckpt_rows {
  rt_ckpt_row *rows;
  uint32_t n;
  float *values; /* backing store of every row's v */
} rt_ckpt_rows;

/* Reads shard's file of checkpoint k, checking its hash and every row
 * against t and the shard assignment. Fills *out (free with
 * rt_ckpt_rows_free). */
int rt_ckpt_read_shard(const char *dir, uint32_t k, uint32_t shard, uint32_t nservers,
                       const tbl_set *t, rt_ckpt_rows *out, char *err, size_t errlen);
void rt_ckpt_rows_free(rt_ckpt_rows *r);

#endif
