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
} harness_hooks;

/* One worker's run: the app, its loaded state, clocks [first, end). */
typedef struct harness_run {
  const app_ops *app;
  void *shared;
  uint32_t first, end;
  const harness_hooks *hooks; /* NULL: none */
} harness_run;

/* Runs clocks [run->first, run->end) of worker w, whose state is wstate.
 * Returns 0, or the error with a message in msg and *clock the clock it
 * stopped in. */
typedef int (*harness_loop_fn)(const harness_run *run, ps_worker *w, void *wstate,
                               uint32_t *clock, char *msg, size_t msglen);

/* The data-parallel loop: for each clock, before_step, app->step, ps_clock,
 * after_clock. */
int harness_clock_loop(const harness_run *run, ps_worker *w, void *wstate, uint32_t *clock,
                       char *msg, size_t msglen);

/* A worker's whole life: worker_init, after_init, the app's loop (app->loop,
 * or harness_clock_loop), worker_free. 0, or the error with a message
 * naming the worker, the clock and the app in msg (a hook's own message is
 * kept). */
int harness_run_worker(const harness_run *run, ps_worker *w, char *msg, size_t msglen);

/* Adds the metrics table (one row per clock) and then the app's tables to
 * set (emptied first). 0 or the table error. */
int harness_tables(const app_ops *app, void *shared, uint32_t clocks, tbl_set *set);

/* Server shards of a run of nodes when --servers is not given: one per 16
 * nodes, at least one. */
uint32_t harness_default_servers(uint32_t nodes);

/* The staleness bound as the CSV and messages print it: a number or "inf". */
void harness_staleness_text(uint32_t staleness, char *buf, size_t len);

/* ---- the CSV ------------------------------------------------------------
 * Every backend's rows are: the run's common fields, the backend's own, the
 * clock's fields, the app's extra metrics, and the free text last (a quoted
 * comma in it cannot shift earlier columns for tools that split on commas). */

/* Writes the header: common run columns, middle[0..nmiddle) (the backend's),
 * "clock", time_col, "objective", "bytes_sent", "blocked_s", the app's extra
 * metric names, "app_options", "data". 0 or ST_EIO. */
int harness_csv_header(csv_writer *w, const char *const *middle, uint32_t nmiddle,
                       const char *time_col, const app_ops *app);
/* Starts a row with the run's common fields. */
void harness_csv_run_fields(csv_writer *w, uint32_t run, const app_ops *app, const st_config *cfg,
                            uint32_t clocks, uint64_t seed);
/* The clock's own fields of one row (what are measured). */
typedef struct harness_clock_rec {
  uint32_t clock;
  double time, bytes, blocked;
  const float *metrics; /* the clock's summed metrics row */
} harness_clock_rec;
/* Ends a row: the clock's fields, the objective and extras from its metrics
 * row, the free text. 0 or ST_EIO. */
int harness_csv_end_row(csv_writer *w, const app_ops *app, void *shared,
                        const harness_clock_rec *rec, const char *app_options, const char *data);

#endif
