/* rep.h: a run's barriers and its end-of-run report, as a state machine of
 * the core, so that both backends and the tests drive them the same way.
 *
 * A barrier is named by a number b >= 1 (the backends use the app clock
 * about to start; the end of the run is the barrier after the last clock).
 * A node that has reached it (its workers wait there, its shard holds every
 * client's updates up to it) calls rep_arrive: a REPORT frame tells node 0,
 * carrying this node's per-clock record (time, bytes, blocked) and the rows
 * of the report table (cfg.report_table: the metrics table) that its shard
 * holds. Node 0 collects one report from every node; rep_complete says when
 * it has them all, and rep_release (called when node 0 is done with them:
 * a checkpoint marked complete, the CSV written) sends RELEASE to every
 * node. Node 0 keeps what the reports carried: per clock the largest time,
 * the sums of the other fields, and the table's rows.
 *
 * A rep_state owns its buffers; it borrows the backend. One barrier is
 * collected at a time: a report for another one is a peer's error. */
#ifndef REP_H
#define REP_H

#include "backend.h"
#include "cfg.h"
#include "srv.h"
#include "tbl.h"
#include "wire.h"

/* A node's record of one clock. Each double travels as two float32 parts
 * (high and the remainder), exact to 48 bits of mantissa. */
typedef struct rep_clock {
  double time, bytes, blocked;
  /* Managed communication (harness_clock_rec): early and at-clock bytes,
   * reads served and the sum of their staleness in clocks. Summed. */
  double bytes_early, bytes_clock, reads, stale, pacing;
} rep_clock;

/* Table id the per-clock records travel under in a REPORT. */
#define REP_RECORD_TABLE UINT32_MAX

typedef struct rep_state rep_state;

/* The report role of node `node` (every node has one; node 0 collects).
 * cfg and tables are copied, be is borrowed. NULL on allocation failure. */
rep_state *rep_create(const st_config *cfg, const tbl_set *tables, uint32_t node,
                      const st_backend *be);
void rep_destroy(rep_state *r);

/* This node reached barrier b: recs[0..nrecs) (borrowed) are its records of
 * clocks first..first + nrecs - 1, shard (borrowed, NULL if none) gives the
 * report table's rows it holds. Sends the REPORT (node 0 takes its own at
 * once). 0, ST_EINVAL (b == 0, or b not after the last released one),
 * ST_ESTATE (already arrived at b), or a send or encoding error. */
int rep_arrive(rep_state *r, uint32_t b, const rep_clock *recs, uint32_t first, uint32_t nrecs,
               const srv_shard *shard);
/* A REPORT (at node 0) or RELEASE (from node 0) frame. 0, or ST_EPEER /
 * ST_ESTATE / ST_ERANGE for a frame that must be refused (nothing taken
 * from it). */
int rep_on_message(rep_state *r, const wire_msg *m);

/* Node 0: every node has reported barrier b. */
int rep_complete(const rep_state *r, uint32_t b);
/* Node 0: releases barrier b once complete: RELEASE to every other node.
 * 0, ST_ESTATE (not complete), or a send error. */
int rep_release(rep_state *r, uint32_t b);
/* The highest barrier released at this node (0 before any). */
uint32_t rep_released(const rep_state *r);

/* Node 0, after the reports: the aggregate record of clock c (zeros if no
 * report carried it), and the report table's row c (NULL if none did). */
rep_clock rep_record(const rep_state *r, uint32_t c);
const float *rep_row(const rep_state *r, uint32_t c);

#endif
