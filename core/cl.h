/* cl.h: the client of one node, shared by its workers. Owns the process
 * cache (row values with the clock they are known fresh to), the oplog
 * (increments not yet sent, merged per row), the frames sent but not yet
 * acknowledged (so read-my-writes survives a fresher row arriving), each
 * worker's clock, and which workers wait for which rows.
 *
 * The SSP read rule: a worker at clock c with bound s is served from the
 * cache only if the cached row reflects every update of clocks < c - s;
 * otherwise the client asks the row's shard and the worker waits. A read
 * always includes the worker's own increments, and this client's other
 * workers' too, except in ordered mode with several workers per client:
 * there a node-mate's increments of a clock are staged apart and added in
 * worker order when the clock is flushed (so sums, and s = 0 runs, do not
 * depend on thread timing), and seen from then on. When the slowest worker
 * of the client clocks, the oplog is flushed with the new client clock.
 *
 * Tables with the AdaRevision rule (tbl.h, ada.h) are the exception to
 * read-my-writes: there an increment is an update direction whose step the
 * shard decides, so a read returns the shard's value as sent (a version)
 * and never adds the client's pending increments; those are sent tagged
 * with the version the client's last read of the row served, and the
 * shard's revision term accounts for every update after it, own ones
 * included. The SSP freshness rule is unchanged. */
#ifndef CL_H
#define CL_H

#include "backend.h"
#include "cfg.h"
#include "comm.h"
#include "snap.h"
#include "tbl.h"
#include "tmr.h"
#include "wire.h"

typedef struct cl_client cl_client;

typedef struct cl_stats {
  uint64_t gets, gets_waited, reads_sent, rows_received, frames_out, bytes_out;
  uint64_t timers_fired, timers_late; /* live and superseded timer firings */
  /* Bytes of the frames sent early (paced UPDATEs) and at clocks (a
   * flush's frames); READs are in neither. Ticks that sent something. */
  uint64_t bytes_early, bytes_clock, ticks_sent;
  /* Reads served, and the sum over them of the clocks the row's freshness
   * was behind the reader's clock (see cl_get). Rows of early pushes. */
  uint64_t reads_served, stale_clocks, rows_early;
  /* Seconds the oplog held something while a policy was on: the time the
   * pacer had work (early bytes / this is its sending rate). */
  double pacing_s;
} cl_stats;

/* Creates client `client`; cfg and tables are copied, be is borrowed. */
cl_client *cl_create(const st_config *cfg, const tbl_set *tables, uint32_t client,
                     const st_backend *be);
void cl_destroy(cl_client *c);

/* Reads (table, row) for worker into out[width]. Returns 0 (out filled;
 * stats count the read's staleness: the reader's clock minus the cached
 * row's freshness clock, below which the value holds every update, if
 * positive), ST_WAIT (a request is on its way; block the worker, then call again), or
 * ST_ENOTABLE / ST_ERANGE / ST_EINVAL. */
int cl_get(cl_client *c, uint32_t worker, uint32_t table, uint32_t row, float *out);
/* cl_get with an explicit freshness instead of the SSP bound's: the row
 * must reflect every update of clocks < need (the shard clock >= need),
 * whatever the staleness. */
int cl_get_at(cl_client *c, uint32_t worker, uint32_t table, uint32_t row, st_clock_t need,
              float *out);
/* Adds delta[width] to (table, row): visible at once to this client's
 * workers, sent to the shard at the next flush. */
int cl_inc(cl_client *c, uint32_t worker, uint32_t table, uint32_t row, const float *delta);
/* Ends worker's current clock; when it was the client's slowest, flushes the
 * oplog with a CLOCK frame to every shard. */
int cl_clock(cl_client *c, uint32_t worker);
/* Asks for rows[0..n) of table without waiting (one READ per shard). */
int cl_prefetch(cl_client *c, uint32_t worker, uint32_t table, const uint32_t *rows, uint32_t n);
/* Handles a ROWS frame from a shard; wakes workers whose reads it serves. */
int cl_on_message(cl_client *c, const wire_msg *msg);

/* Arms the client's pacing timer (superseding an earlier arming): the hook
 * for sends between clocks. 0 or the backend's error. */
int cl_timer_arm(cl_client *c, double delay);
/* A client timer fired (token from tmr_token). A late one is counted and
 * ignored. A live one is a pacing tick (with a policy other than none):
 * the best buffered deltas the budget pays for go early (comm.h). 0, or a
 * send or allocation error. */
int cl_on_timer(cl_client *c, uint64_t token);
/* Makes the client spend b (borrowed; the node's, shared with its shard)
 * instead of its own bucket; NULL: its own again. */
void cl_set_bucket(cl_client *c, comm_bucket *b);

st_clock_t cl_worker_clock(const cl_client *c, uint32_t worker);
/* The staleness bound the client serves reads under (ST_STALENESS_INF: none). */
uint32_t cl_staleness(const cl_client *c);
const cl_stats *cl_get_stats(const cl_client *c);

/* ---- checkpoints ----------------------------------------------------------
 * A client is settled at clock k when every worker has clocked k and nothing
 * is in flight: no buffered increment, no outstanding read, no waiting
 * worker, and in push mode every held row known fresh to k (the shards'
 * push rounds of k have arrived). With every shard settled at k too
 * (srv_settled) its state is a consistent cut, and all a later run needs
 * of it: the shards have applied every frame it sent, so the copies it
 * keeps of frames not yet acknowledged would only be dropped unused. */
int cl_settled(const cl_client *c, st_clock_t k);
/* Appends a settled client's state to out: its clock, the rows it caches,
 * per shard in the order it first asked for them, each with its value and
 * freshness clock, and the pacer's counters. ST_ESTATE unless settled at its
 * clock, or ST_ENOMEM. Statistics are not part of it. */
int cl_cache_save(const cl_client *c, snap_buf *out);
/* Puts a saved state (p[0..len), borrowed) into a fresh client (same cfg
 * and tables, no call made yet): it then behaves as the saved one would,
 * on new channels (sequence numbers start over, as a fresh shard's do).
 * 0, or ST_ESTATE (not fresh), ST_EFRAME (truncated, malformed or trailing
 * bytes), ST_EPEER (another shard count or a row under the wrong shard),
 * ST_ENOTABLE / ST_ERANGE (a row or column the tables lack): then nothing is
 * loaded. ST_ENOMEM may leave it partly loaded: destroy it. */
int cl_cache_load(cl_client *c, const uint8_t *p, size_t len);

#endif
