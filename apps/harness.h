/* harness.h: what both backends do the same way around an app, so that
 * neither writes it again: one worker's loop over its clocks (with the
 * backend's hooks around it), the metrics table, the defaults of a run, and
 * the CSV's common columns. The harness owns nothing; every pointer is
 * borrowed for the call.
 *
 * A worker's loop is a harness_loop_fn: the data-parallel clock loop
 * (harness_clock_loop: step, then clock) is the default; a task-driven app
 * (the scheduler's rounds) supplies its own through app_ops.loop, and gets
 * the same hooks, metrics and CSV. */
#ifndef HARNESS_H
#define HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "cfg.h"
#include "csv.h"

/* ---- stopping rules ------------------------------------------------------
 * A run ends after its last clock (--clocks), or once a clock has ended at
 * or after until_time (--until-time), or once a clock's objective is at or
 * below target (--target), whichever comes first. In a data-parallel run
 * every worker must stop after the same clock, or the others would wait
 * forever for its updates; a worker cannot simply look at its own clock's
 * time or its own view of the objective. Two ways the workers agree:
 *
 * The decision about clock c is taken after clock c + lag, lag = min(s,
 * HARNESS_STOP_LAG), from data every worker sees identically, on every
 * backend:
 *  - the metrics row of clock c, read through the PS once complete
 *    (ps_get_complete: every worker's updates of clock c are at its shard,
 *    and no later clock writes that row, so every reader gets the same
 *    floats). Under SSP a worker past clock c + s waits for those updates
 *    anyway, so for a finite bound the rule costs no extra waiting;
 *  - the time clock c ended (hooks.clock_time: the simulator's record of
 *    the simulated instant its last worker finished it; the real runtime's
 *    maximum over nodes, gathered by rank 0 and sent to all).
 * So every worker stops after the same clock c* + lag, c* the first clock
 * meeting the rule; `stale sim` and `stale run` stop at the same clock for
 * the same objectives. For a bound above HARNESS_STOP_LAG (inf) the
 * waiting keeps a worker within HARNESS_STOP_LAG clocks of the slowest
 * while a time or target rule is set; with --clocks alone nothing waits. */
typedef struct harness_stop {
  uint8_t has_until, has_target; /* which rules are set (zeroed: none) */
  double until_time; /* stop after the clock ending at or after this */
  double target;     /* stop after the clock whose objective reaches this */
  uint8_t maximize;  /* reaching is >= target (app_ops.maximize), else <= */
  uint8_t row_lag;   /* app_ops.metrics_lag: a clock's row is whole one clock
                        later, so the decision about it waits one more clock */
} harness_stop;

#define HARNESS_STOP_LAG 16u

/* Why a run ended. */
enum { HARNESS_STOP_CLOCKS = 0, HARNESS_STOP_TIME = 1, HARNESS_STOP_TARGET = 2 };

/* Whether a time or target rule is set. */
int harness_stop_active(const harness_stop *st);
/* The rule itself, decided once for every backend: HARNESS_STOP_TARGET if
 * objective is a number that reaches target (<=, or >= when maximize), HARNESS_STOP_TIME if time >= until_time,
 * else 0. A nan objective never meets a target. */
int harness_stop_met(const harness_stop *st, double time, double objective);
/* Clocks between a clock and the decision taken from it (see above). */
uint32_t harness_stop_lag(uint32_t staleness);
/* The clock whose record ended a run that had clocks [first, end) of at
 * most max (the rule met there: harness_stop_met of its time and
 * objective), or UINT32_MAX if it ran them all. A run resumed at first
 * decides about the clocks before it too, as the run it continues did, so
 * first does not change the answer. */
uint32_t harness_stop_clock(const harness_stop *st, uint32_t staleness, uint32_t first,
                            uint32_t end, uint32_t max);
/* "clocks", "time" or "target". */
const char *harness_stop_name(int why);
/* The rows a run's CSV holds of the `ran` clocks it ran out of `clocks`:
 * all of them, but one fewer for an app with metrics_lag that a stopping
 * rule ended before its last clock. */
uint32_t harness_rows(const app_ops *app, uint32_t ran, uint32_t clocks);

/* What a backend does around each worker's clocks. Every hook is optional;
 * ctx is the backend's. A hook returning non-zero stops the worker with
 * that error (it may have written a more precise message into msg). */
typedef struct harness_hooks {
  void *ctx;
  /* After worker_init, before the first clock (the real runtime restores a
   * checkpoint here). */
  int (*after_init)(void *ctx, ps_worker *w, void *wstate, char *msg, size_t msglen);
  /* Before the step of clock c (the simulator draws this clock's straggler). */
  void (*before_step)(void *ctx, ps_worker *w, uint32_t clock);
  /* After ps_clock of clock c returned (per-clock statistics, checkpoints). */
  int (*after_clock)(void *ctx, ps_worker *w, void *wstate, uint32_t clock, char *msg,
                     size_t msglen);
  /* Needed for until_time: blocks until every worker has finished clock c
   * and gives the time it ended (the CSV's time column). */
  int (*clock_time)(void *ctx, ps_worker *w, uint32_t clock, double *time);
  /* Before worker_free, with failed non-zero if the worker failed (the
   * simulator keeps the state alive for model_terms). */
  void (*before_free)(void *ctx, ps_worker *w, void *wstate, int failed);
} harness_hooks;

/* One worker's run: the app, its loaded state, clocks [first, end) at most,
 * the stopping rule and the bound it runs at (for the lag). */
typedef struct harness_run {
  const app_ops *app;
  void *shared;
  uint32_t first, end;
  const harness_hooks *hooks; /* NULL: none */
  harness_stop stop;          /* zeroed: none */
  uint32_t staleness;
  /* The model objective through the PS (`stale run --model-objective`):
   * 0, not measured this way (the simulator takes its snapshot at the
   * servers for free); else the run's clocks C, and after clock c the
   * worker adds its app->model_terms to metrics row C + c (see
   * harness_model_clock). */
  uint32_t model_clocks;
} harness_run;

/* After clock c of worker w (ps_clock done): 0 to go on, a HARNESS_STOP_*
 * reason > 0 if c is the run's last clock, or a negative error (message in
 * msg). The clock loop calls it; a task-driven loop calls it after each of
 * its clocks too; a run resumed at first > 0 calls it for first - 1 before
 * its first clock (the decision the run it continues took after writing
 * its checkpoint: the backend must serve that clock's metrics row and
 * time from the checkpoint). */
int harness_stop_after(const harness_run *run, ps_worker *w, uint32_t c, int *why, char *msg,
                       size_t msglen);
/* Ends clock c of a worker loop whose step returned rc: ps_clock, the
 * after_clock hook, the stopping rules, as every loop (the clock loop and
 * the task-driven ones) must in that order. Returns a negative error, 0 to
 * go on, or 1 when c was the run's last clock (*clock is then c + 1). */
int harness_end_clock(const harness_run *run, ps_worker *w, void *wstate, uint32_t c, int rc,
                      uint32_t *clock, char *msg, size_t msglen);

/* Runs clocks [run->first, run->end) of worker w, whose state is wstate,
 * or fewer if a stopping rule ends the run. Returns 0 with *clock the end
 * (one past the last clock run), or the error with a message in msg and
 * *clock the clock it stopped in. */
typedef int (*harness_loop_fn)(const harness_run *run, ps_worker *w, void *wstate,
                               uint32_t *clock, char *msg, size_t msglen);

/* The data-parallel loop: for each clock, before_step, app->step, ps_clock,
 * after_clock. */
int harness_clock_loop(const harness_run *run, ps_worker *w, void *wstate, uint32_t *clock,
                       char *msg, size_t msglen);

/* A rotation round: clock c's work on block (< nblocks); *result (zeroed by
 * the caller) is what the worker reports to the scheduler. 0 or negative. */
typedef int (*harness_block_fn)(void *shared, void *wstate, ps_worker *w, uint32_t c,
                                uint32_t block, float *result);

/* The loop of the rotation schedule: for each clock, before_step, one task
 * naming one block of nblocks (anything else is ST_EPEER), step on it, its
 * result reported, then the clock as harness_clock_loop ends it. */
int harness_rotation_loop(const harness_run *run, ps_worker *w, void *wstate, uint32_t nblocks,
                          harness_block_fn step, uint32_t *clock, char *msg, size_t msglen);

/* A worker's whole life: worker_init, after_init, the app's loop (app->loop,
 * or harness_clock_loop), worker_free. 0, or the error with a message
 * naming the worker, the clock and the app in msg (a hook's own message is
 * kept). */
int harness_run_worker(const harness_run *run, ps_worker *w, uint32_t *end, char *msg,
                       size_t msglen);

/* A scheduled run (p->kind not SCHED_NONE): makes node 0 the coordinator of
 * app's schedule, clocks * rounds_per_clock rounds, seeded by p->seed; other
 * nodes and unscheduled runs need nothing (0). ST_EINVAL with a message in
 * msg when the app has no such mode or the parameters do not fit it. */
int harness_attach_sched(const app_ops *app, void *shared, const sched_params *p, uint32_t clocks,
                         st_node *node, const st_backend *be, char *msg, size_t msglen);

/* Adds the metrics table (one row per clock, and with model a second row
 * per clock, C + c, for the model's terms) and then the app's tables to set
 * (emptied first). 0 or the table error. */
int harness_tables(const app_ops *app, void *shared, uint32_t clocks, int model, tbl_set *set);

/* ---- the model objective in the real runtime ---------------------------
 * After clock c has ended (ps_clock, then the after_clock hook), worker w
 * computes app->model_terms from its own state, which is exactly that of
 * the end of clock c, and rows read complete through c (ps_get_complete:
 * every worker's updates of clocks <= c are in them, whatever the bound;
 * its cache serves them when it holds them that fresh), and adds the terms
 * to metrics row run->model_clocks + c. So the snapshot is "at least clock
 * c": at s = 0 in ordered mode exactly clock c's model (no shard applies a
 * clock's updates before every client's have arrived, and this worker's of
 * clock c + 1 cannot have), at s > 0 the rows may also hold faster workers'
 * later updates (as the simulator's snapshot may). Its costs: the reads
 * (their bytes are in bytes_sent, the reads in read_staleness, at staleness
 * 0), one more metrics row per clock, the app's evaluation, and a wait at
 * every clock's end until every worker's updates of that clock are at the
 * shards: at s = 0 the next clock's reads wait for that anyway; at s > 0 it
 * makes the run progress in step like BSP, so it is opt-in.
 *
 * The terms of clock c travel with the updates of clock c + 1, so a worker
 * that measures the model ends its run with one more ps_clock (the model's
 * closing clock): a backend waits for it before reading the rows. A
 * resumed run (first > 0) measures the model of clock first - 1 after its
 * after_init hook (the restored state and rows), since a checkpoint taken
 * at clock first holds only updates of the clocks before it. 0, or the
 * error with a message in msg. */
int harness_model_clock(const harness_run *run, ps_worker *w, void *wstate, uint32_t c, char *msg,
                        size_t msglen);

/* Server shards of a run of nodes when --servers is not given: one per 16
 * nodes, at least one. */
uint32_t harness_default_servers(uint32_t nodes);

/* The staleness bound as the CSV and messages print it: a number or "inf". */
void harness_staleness_text(uint32_t staleness, char *buf, size_t len);

/* ---- the CSV ------------------------------------------------------------
 * Every backend's rows are: the run's common fields, the backend's own, the
 * clock's fields, the app's extra metrics, and the free text last (a quoted
 * comma in it cannot shift earlier columns for tools that split on commas). */

/* Writes the header: common run columns (run .. seed, until_time_s,
 * target, comm_policy, comm_budget_Bps, comm_interval_s), middle[0..nmiddle)
 * (the backend's), "clock", time_col, "objective", "model_objective",
 * "bytes_sent", "blocked_s", "stopped_by", "bytes_early", "bytes_at_clocks",
 * "read_staleness", "pacing_s", the app's extra metric names, "app_options",
 * "data". 0 or ST_EIO. */
int harness_csv_header(csv_writer *w, const char *const *middle, uint32_t nmiddle,
                       const char *time_col, const app_ops *app);
/* Starts a row with the run's common fields. */
void harness_csv_run_fields(csv_writer *w, uint32_t run, const app_ops *app, const st_config *cfg,
                            uint32_t clocks, uint64_t seed, const harness_stop *stop);
/* The clock's own fields of one row (what are measured). */
typedef struct harness_clock_rec {
  uint32_t clock;
  double time, bytes, blocked;
  /* Up to the clock's end, summed over nodes: bytes of early sends and
   * pushes, bytes of clock flushes and push rounds, reads served and the
   * sum of their staleness in clocks (cl_get). */
  double bytes_early, bytes_clock, reads, stale;
  double pacing; /* seconds clients had something to send early (cl_stats) */
  const float *metrics;   /* the clock's summed metrics row */
  uint8_t has_model;      /* model_objective was measured (else an empty field) */
  double model_objective; /* of the servers' model (app_ops.model_terms) */
  const char *stopped_by; /* why the run ended (harness_stop_name) */
} harness_clock_rec;

/* A node's totals so far for harness_clock_rec (node borrowed): adds its
 * client's and shard's counters to rec. */
void harness_add_node_stats(harness_clock_rec *rec, const st_node *node);
/* Ends a row: the clock's fields, the objective and extras from its metrics
 * row, the free text. 0 or ST_EIO. */
int harness_csv_end_row(csv_writer *w, const app_ops *app, void *shared,
                        const harness_clock_rec *rec, const char *app_options, const char *data);

#endif
