/* srv.h: one server shard. Owns the authoritative values of the rows that
 * hash to it, each client's clock (from CLOCK frames), the minimum of those
 * (the shard's clock), read requests parked until the shard's clock is high
 * enough, and, in push mode, which clients hold which rows. Applies each
 * client frame exactly once: frames carry per-channel sequence numbers and a
 * repeated or old one is dropped. In ordered mode it also holds the update
 * frames of clients ahead of the shard clock and applies them, in client
 * order, when the shard clock passes them. */
#ifndef SRV_H
#define SRV_H

#include "backend.h"
#include "cfg.h"
#include "comm.h"
#include "snap.h"
#include "tbl.h"
#include "tmr.h"
#include "wire.h"

typedef struct srv_shard srv_shard;

typedef struct srv_stats {
  uint64_t frames_in, frames_dup, rows_applied, reads_parked, rows_sent, frames_out;
  uint64_t timers_fired, timers_late; /* live and superseded timer firings */
  /* Bytes of all frames sent, of push rounds' frames, and of early pushes. */
  uint64_t bytes_out, bytes_push, bytes_early;
  /* AdaRevision updates whose cited version had no snapshot left (ada.h). */
  uint64_t ada_approx;
} srv_stats;

/* Creates shard `shard` of the cluster. cfg and tables are copied; be is
 * borrowed and must outlive the shard. NULL on allocation failure. */
srv_shard *srv_create(const st_config *cfg, const tbl_set *tables, uint32_t shard,
                      const st_backend *be);
void srv_destroy(srv_shard *s);

/* Handles one decoded client frame (UPDATE, CLOCK, READ); may send ROWS
 * frames. Returns 0, or ST_EPEER / ST_ENOTABLE / ST_ERANGE / ST_ETYPE for a
 * frame that must be rejected; a rejected frame changes nothing. */
int srv_on_message(srv_shard *s, const wire_msg *msg);

/* The shard clock: min over clients of their last clock. */
st_clock_t srv_min_clock(const srv_shard *s);
/* Copies the current value of (table, row) into out[width]; a row never
 * updated reads as zeros. ST_EINVAL if the row is not on this shard. */
int srv_read_row(const srv_shard *s, uint32_t table, uint32_t row, float *out);
/* Arms the shard's pacing timer (superseding an earlier arming): the hook
 * for pushes between clocks. 0 or the backend's error. */
int srv_timer_arm(srv_shard *s, double delay);
/* A server timer fired; a late one is counted and ignored. A live one is
 * a pacing tick (push mode, a policy other than none): the best rows
 * changed since their last push that the budget pays for are pushed early
 * to the clients holding them (WIRE_F_EARLY, values only). 0, or a send or
 * allocation error. */
int srv_on_timer(srv_shard *s, uint64_t token);
/* Makes the shard spend b (borrowed; the node's, shared with its client)
 * instead of its own bucket; NULL: its own again. */
void srv_set_bucket(srv_shard *s, comm_bucket *b);
const srv_stats *srv_get_stats(const srv_shard *s);

/* ---- checkpoints ----------------------------------------------------------
 * A shard is settled at clock k when every client has clocked k and nothing
 * waits: no parked read, no held update frame, no row changed since the push
 * round of k. Its rows and push state are then a consistent cut with
 * settled clients' (cl_settled). */
int srv_settled(const srv_shard *s, st_clock_t k);
/* Sets (table, row) of a shard that has handled no frame to v[0..width)
 * (borrowed), bit for bit: a checkpoint's values coming back. 0, or
 * ST_ESTATE (frames handled), ST_ENOTABLE / ST_ERANGE, ST_EINVAL (another
 * shard's row), ST_ENOMEM. */
int srv_restore_row(srv_shard *s, uint32_t table, uint32_t row, const float *v);
/* Appends the rest of a settled shard's state to out: its clock, the
 * pacer's counters and, in push mode, which clients hold which rows (each
 * client's in the order it got them) and the clock each row was last pushed
 * at. ST_ESTATE unless settled at its clock, or ST_ENOMEM. */
int srv_held_save(const srv_shard *s, snap_buf *out);
/* Puts it (p[0..len), borrowed) into a shard that has handled no frame
 * (values restored before or after): every client's clock, and the
 * shard's, become the saved clock. 0, or ST_ESTATE (frames handled, or
 * loaded already), ST_EINVAL (saved in the other of push and pull mode),
 * ST_EFRAME (truncated, malformed or trailing bytes), ST_EPEER (another
 * client count, or a row of another shard), ST_ENOTABLE / ST_ERANGE: then
 * nothing is loaded. ST_ENOMEM may leave it partly loaded: destroy it. */
int srv_held_load(srv_shard *s, const uint8_t *p, size_t len);

#endif
