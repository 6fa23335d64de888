/* app.h: how an application plugs into stale. An app is written once
 * against the worker API (core/ps.h); both backends run it through these
 * ops. The harness (harness.h) owns the clock loop:
 *
 *   app->load(...)            once per process: data, shared read-only
 *   app->tables(...)          the PS tables the app needs
 *   per worker: app->worker_init, then for c in 0..clocks-1:
 *       app->step(ws, w, c);  ps_clock(w);
 *   app->worker_free
 *
 * Objectives travel through the PS itself: during step c a worker adds its
 * partial objective terms to row c of the metrics table (APP_METRICS_TABLE),
 * and app->objective turns a summed row into the number that is plotted. So
 * both backends measure the objective the same way. */
#ifndef APP_H
#define APP_H

#include "../core/ps.h"

struct harness_run;

/* The model as the servers hold it, for app_ops.model_terms: read copies
 * the current value of (table, row) into out[width]. Borrowed for the call. */
typedef struct app_model {
  void *ctx;
  int (*read)(void *ctx, uint32_t table, uint32_t row, float *out);
} app_model;

#define APP_METRICS_TABLE 0u
#define APP_METRICS_WIDTH 4u

typedef struct app_params {
  const char *data;    /* data file or NULL for the app's default */
  const char *options; /* "key=value,key=value" app options, or NULL */
  uint64_t seed;
  uint32_t nworkers; /* workers in the whole cluster */
  uint32_t clocks;
  /* The run's schedule (borrowed for load; NULL or kind SCHED_NONE: a
   * data-parallel run). A task-driven app keeps what its loop needs. */
  const sched_params *sched;
} app_params;

typedef struct app_ops {
  const char *name;
  const char *summary;
  /* Loads data and prepares shared state (*shared, owned by the app until
   * free). On error returns negative and writes a message naming the file
   * and line into err[errlen]. */
  int (*load)(const app_params *p, void **shared, char *err, size_t errlen);
  /* Adds the app's tables (ids >= 1; 0 is the metrics table) to set. */
  int (*tables)(void *shared, tbl_set *set);
  /* Per-worker state for worker w (its data partition). */
  int (*worker_init)(void *shared, ps_worker *w, void **wstate);
  /* One clock of work: reads, computes, charges, increments, and adds its
   * objective terms to row `clock` of the metrics table. */
  int (*step)(void *shared, void *wstate, ps_worker *w, st_clock_t clock);
  void (*worker_free)(void *shared, void *wstate);
  /* Optional (NULL: the worker keeps nothing between clocks that the PS
   * does not hold). For checkpoints: worker_save serializes the worker's
   * own state into *buf (malloc'd; the caller frees it), worker_load
   * restores it into a freshly initialised wstate; ST_EFRAME if buf does
   * not fit this worker. */
  int (*worker_save)(void *shared, void *wstate, uint8_t **buf, size_t *len);
  int (*worker_load)(void *shared, void *wstate, const uint8_t *buf, size_t len);
  /* The objective of a summed metrics row; name says what it is ("rmse"). */
  double (*objective)(void *shared, const float *metrics_row);
  const char *objective_name;
  /* 1 if the objective improves upward (a likelihood, an accuracy): a
   * --target is then reached at or above it. 0: lower is better. */
  uint8_t maximize;
  /* 1: the app completes metrics row c during clock c + 1 (LDA's word and
   * topic parts come from the next clock's reads), except under its last
   * clock (--clocks); a run a stopping rule ends leaves out its last row,
   * which nothing completed (harness_rows). 0: rows are whole at once. */
  uint8_t metrics_lag;
  void (*free)(void *shared);
  /* Optional extra metrics, one CSV column each after blocked_s: nextra
   * names (static strings) and extra(shared, summed metrics row, k) for
   * k < nextra. Their terms share the metrics row with the objective's. */
  uint32_t nextra;
  const char *const *extra_names;
  double (*extra)(void *shared, const float *metrics_row, uint32_t k);
  /* Optional: the objective of the model itself. Adds to row[0..
   * APP_METRICS_WIDTH) (zeroed by the caller) worker wstate's terms of the
   * same metrics row that step() writes, but computed from the servers'
   * current values (m->read) instead of the worker's reads; objective()
   * then turns the sum over all workers into the model's objective. The
   * simulator calls it at each clock's end (the model_objective column),
   * `stale run --model-objective` after each clock on rows read complete
   * through it (harness.h). 0, a negative error, or 1 when this run keeps
   * no model in the PS (a scheduled Lasso: the field stays empty). */
  int (*model_terms)(void *shared, void *wstate, const app_model *m, float *row);
  /* Optional: a task-driven worker loop (harness_loop_fn, see harness.h)
   * instead of the harness's clock loop of step() then clock. */
  int (*loop)(const struct harness_run *run, ps_worker *w, void *wstate, uint32_t *clock,
              char *msg, size_t msglen);
  /* Optional (NULL: `stale calibrate` times its generic MF-style kernel).
   * Times the app's own kernel at the shapes its options (borrowed, may be
   * NULL) give, for about `seconds`, and sets *rate to the work units per
   * second it charges through ps_charge: the --host-speed that makes
   * simulated seconds resemble real ones. report[reportlen] receives what
   * was timed, real against modeled seconds. 0, or negative with a message
   * in report. */
  /* Optional: for a run with a schedule, what the scheduler needs of the
   * app (core/mpsched.h); *out's ctx may point into shared. 0, or negative
   * when the app cannot run that schedule (message in err). */
  int (*sched)(void *shared, const sched_params *p, sched_app *out, char *err, size_t errlen);
  int (*calibrate)(const char *options, double seconds, double *rate, char *report,
                   size_t reportlen);
} app_ops;

/* The app registered under name, or NULL. */
const app_ops *app_find(const char *name);
/* NULL-terminated list of all apps. */
const app_ops *const *app_all(void);

#endif
