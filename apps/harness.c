/* harness.c: see harness.h. */
#include "harness.h"

#include <math.h>
#include <stdio.h>

#include "comm.h"

int harness_stop_active(const harness_stop *st) { return st->has_until || st->has_target; }

int harness_stop_met(const harness_stop *st, double time, double objective) {
  if (st->has_target && isfinite(objective) &&
      (st->maximize ? objective >= st->target : objective <= st->target))
    return HARNESS_STOP_TARGET;
  if (st->has_until && time >= st->until_time) return HARNESS_STOP_TIME;
  return 0;
}

uint32_t harness_stop_lag(uint32_t staleness) {
  return staleness < HARNESS_STOP_LAG ? staleness : HARNESS_STOP_LAG;
}

uint32_t harness_rows(const app_ops *app, uint32_t ran, uint32_t clocks) {
  return app->metrics_lag && ran > 0 && ran < clocks ? ran - 1 : ran;
}

uint32_t harness_stop_clock(const harness_stop *st, uint32_t staleness, uint32_t first,
                            uint32_t end, uint32_t max) {
  (void)first; /* a resumed run decides about the clocks before its first too */
  uint32_t lag = harness_stop_lag(staleness) + st->row_lag;
  if (!harness_stop_active(st) || end >= max || end < lag + 1) return UINT32_MAX;
  return end - 1 - lag;
}

const char *harness_stop_name(int why) {
  return why == HARNESS_STOP_TIME ? "time" : why == HARNESS_STOP_TARGET ? "target" : "clocks";
}

int harness_stop_after(const harness_run *run, ps_worker *w, uint32_t c, int *why, char *msg,
                       size_t msglen) {
  const harness_hooks *h = run->hooks;
  *why = 0;
  if (!harness_stop_active(&run->stop)) return 0;
  /* Decided from clock d = c - lag, complete and the same for everyone. */
  uint32_t lag = harness_stop_lag(run->staleness) + run->stop.row_lag;
  if (c < lag) return 0;
  uint32_t d = c - lag;
  double time = 0.0, objective = NAN;
  int rc = 0;
  if (run->stop.has_target) {
    float row[APP_METRICS_WIDTH];
    rc = ps_get_complete(w, APP_METRICS_TABLE, d, d + run->stop.row_lag, row);
    if (rc == 0) objective = run->app->objective(run->shared, row);
  }
  if (rc == 0 && run->stop.has_until) {
    if (!h || !h->clock_time)
      rc = ST_ESTATE; /* a backend that cannot tell when a clock ended */
    else
      rc = h->clock_time(h->ctx, w, d, &time);
  }
  if (rc) {
    snprintf(msg, msglen, "worker %u: the stopping rule's record of clock %u: %s",
             (unsigned)w->global_index, (unsigned)d, st_strerror(rc));
    return rc;
  }
  *why = harness_stop_met(&run->stop, time, objective);
  return *why;
}

/* The model's reader (app_model) in the real runtime: rows complete
 * through the worker's last ended clock. */
typedef struct harness_model_ctx {
  ps_worker *w;
  st_clock_t through;
} harness_model_ctx;

static int harness_model_read(void *ctx, uint32_t table, uint32_t row, float *out) {
  harness_model_ctx *m = ctx;
  int rc = ps_get_complete(m->w, table, row, m->through, out);
  return rc > 0 ? ST_ESTATE : rc;
}

int harness_model_clock(const harness_run *run, ps_worker *w, void *wstate, uint32_t c, char *msg,
                        size_t msglen) {
  if (!run->model_clocks || !run->app->model_terms) return 0;
  st_clock_t now = ps_clock_now(w); /* the core clock after c's (a restore clock may precede) */
  if (now == 0 || c >= run->model_clocks) return ST_ESTATE;
  harness_model_ctx mc = {.w = w, .through = now - 1};
  app_model m = {.ctx = &mc, .read = harness_model_read};
  float row[APP_METRICS_WIDTH] = {0};
  int rc = run->app->model_terms(run->shared, wstate, &m, row);
  if (rc > 0) return 0; /* no model in the PS for this run */
  if (rc == 0) rc = ps_inc(w, APP_METRICS_TABLE, run->model_clocks + c, row);
  if (rc)
    snprintf(msg, msglen, "worker %u: %s model_terms of clock %u failed: %s",
             (unsigned)w->global_index, run->app->name, (unsigned)c, st_strerror(rc));
  return rc;
}

int harness_end_clock(const harness_run *run, ps_worker *w, void *wstate, uint32_t c, int rc,
                      uint32_t *clock, char *msg, size_t msglen) {
  const harness_hooks *h = run->hooks;
  if (rc == 0) rc = ps_clock(w);
  if (rc == 0 && h && h->after_clock) rc = h->after_clock(h->ctx, w, wstate, c, msg, msglen);
  if (rc == 0) rc = harness_model_clock(run, w, wstate, c, msg, msglen);
  int why = 0;
  if (rc == 0 && c + 1 < run->end) rc = harness_stop_after(run, w, c, &why, msg, msglen);
  if (rc > 0) {
    *clock = c + 1;
    return 1;
  }
  return rc;
}

int harness_clock_loop(const harness_run *run, ps_worker *w, void *wstate, uint32_t *clock,
                       char *msg, size_t msglen) {
  const harness_hooks *h = run->hooks;
  for (uint32_t c = run->first; c < run->end; c++) {
    *clock = c;
    if (h && h->before_step) h->before_step(h->ctx, w, c);
    int rc = harness_end_clock(run, w, wstate, c, run->app->step(run->shared, wstate, w, c), clock,
                               msg, msglen);
    if (rc < 0) return rc;
    if (rc > 0) return 0;
  }
  *clock = run->end;
  return 0;
}

int harness_rotation_loop(const harness_run *run, ps_worker *w, void *wstate, uint32_t nblocks,
                          harness_block_fn step, uint32_t *clock, char *msg, size_t msglen) {
  const harness_hooks *h = run->hooks;
  for (uint32_t c = run->first; c < run->end; c++) {
    *clock = c;
    if (h && h->before_step) h->before_step(h->ctx, w, c);
    sched_task t;
    float res = 0.0f;
    int rc = ps_task_next(w, &t);
    if (rc == 0 && (t.nvars != 1 || t.vars[0] >= nblocks)) rc = ST_EPEER;
    if (rc == 0) rc = step(run->shared, wstate, w, c, t.vars[0], &res);
    if (rc == 0) rc = ps_task_done(w, &res, 1);
    rc = harness_end_clock(run, w, wstate, c, rc, clock, msg, msglen);
    if (rc < 0) return rc;
    if (rc > 0) return 0; /* the scheduler's later rounds are left undone */
  }
  *clock = run->end;
  return 0;
}

int harness_run_worker(const harness_run *run, ps_worker *w, uint32_t *end, char *msg,
                       size_t msglen) {
  const app_ops *app = run->app;
  const harness_hooks *h = run->hooks;
  void *ws = NULL;
  msg[0] = '\0';
  *end = run->first;
  int rc = app->worker_init(run->shared, w, &ws);
  if (rc) {
    snprintf(msg, msglen, "worker %u: %s worker_init failed: %s", (unsigned)w->global_index,
             app->name, st_strerror(rc));
    return rc;
  }
  uint32_t clock = run->first;
  if (h && h->after_init) rc = h->after_init(h->ctx, w, ws, msg, msglen);
  /* A resumed run: the model of the checkpoint's last clock (harness.h). */
  if (rc == 0 && run->first > 0) rc = harness_model_clock(run, w, ws, run->first - 1, msg, msglen);
  /* A run resumed at first takes the decision the run it continues took
   * after clock first - 1 (from the same restored row and record), which
   * may be that it ended there. */
  int why = 0, stopped = 0;
  if (rc == 0 && run->first > 0 && run->first < run->end) {
    rc = harness_stop_after(run, w, run->first - 1, &why, msg, msglen);
    stopped = rc > 0; /* before its first clock: clock stays first */
    if (stopped) rc = 0;
  }
  if (rc == 0 && !stopped) {
    harness_loop_fn loop = app->loop ? app->loop : harness_clock_loop;
    rc = loop(run, w, ws, &clock, msg, msglen);
  }
  /* The model's closing clock: sends the last clock's model terms. */
  if (rc == 0 && run->model_clocks && app->model_terms) rc = ps_clock(w);
  if (h && h->before_free) h->before_free(h->ctx, w, ws, rc != 0);
  app->worker_free(run->shared, ws);
  *end = clock;
  if (rc && !msg[0])
    snprintf(msg, msglen, "worker %u: clock %u of %s failed: %s", (unsigned)w->global_index,
             (unsigned)clock, app->name, st_strerror(rc));
  return rc;
}

int harness_attach_sched(const app_ops *app, void *shared, const sched_params *p, uint32_t clocks,
                         st_node *node, const st_backend *be, char *msg, size_t msglen) {
  if (!p || p->kind == SCHED_NONE) return 0;
  if (!app->sched) { /* refused on every node, not only where it would hang */
    snprintf(msg, msglen, "--schedule %s: %s has no scheduled mode", sched_kind_name(p->kind),
             app->name);
    return ST_EINVAL;
  }
  if (node->id != 0) return 0;
  sched_app sa;
  msg[0] = '\0';
  int rc = app->sched(shared, p, &sa, msg, msglen);
  if (rc) {
    if (!msg[0]) snprintf(msg, msglen, "--schedule %s: %s", sched_kind_name(p->kind), st_strerror(rc));
    return rc;
  }
  sched_params q = *p;
  q.rounds = clocks * p->rounds_per_clock;
  rc = node_attach_sched(node, &q, &sa, be);
  if (rc)
    snprintf(msg, msglen, "--schedule %s: the scheduler does not fit %s (%s)",
             sched_kind_name(p->kind), app->name, st_strerror(rc));
  return rc;
}

int harness_tables(const app_ops *app, void *shared, uint32_t clocks, int model, tbl_set *set) {
  *set = (tbl_set){0};
  if (model && clocks > UINT32_MAX / 2) return ST_ERANGE;
  tbl_def metrics = {.id = APP_METRICS_TABLE, .rows = model ? 2 * clocks : clocks,
                     .width = APP_METRICS_WIDTH, .sparse = 0};
  int rc = tbl_add(set, &metrics);
  return rc ? rc : app->tables(shared, set);
}

uint32_t harness_default_servers(uint32_t nodes) { return nodes ? (nodes + 15) / 16 : 1; }

void harness_staleness_text(uint32_t staleness, char *buf, size_t len) {
  if (staleness == ST_STALENESS_INF)
    snprintf(buf, len, "inf");
  else
    snprintf(buf, len, "%u", (unsigned)staleness);
}

static const char *const harness_run_cols[] = {
    "run",  "app",    "metric", "nodes",        "workers_per_node", "servers", "staleness",
    "push", "clocks", "seed",   "until_time_s", "target", "comm_policy", "comm_budget_Bps",
    "comm_interval_s"};
static const char *const harness_clock_cols[] = {"objective",       "model_objective", "bytes_sent",
                                                 "blocked_s",       "stopped_by",      "bytes_early",
                                                 "bytes_at_clocks", "read_staleness",  "pacing_s"};

int harness_csv_header(csv_writer *w, const char *const *middle, uint32_t nmiddle,
                       const char *time_col, const app_ops *app) {
  for (size_t i = 0; i < sizeof harness_run_cols / sizeof *harness_run_cols; i++)
    csv_str(w, harness_run_cols[i]);
  for (uint32_t i = 0; i < nmiddle; i++) csv_str(w, middle[i]);
  csv_str(w, "clock");
  csv_str(w, time_col);
  for (size_t i = 0; i < sizeof harness_clock_cols / sizeof *harness_clock_cols; i++)
    csv_str(w, harness_clock_cols[i]);
  for (uint32_t k = 0; k < app->nextra; k++) csv_str(w, app->extra_names[k]);
  csv_str(w, "app_options");
  csv_str(w, "data");
  return csv_end_row(w);
}

void harness_csv_run_fields(csv_writer *w, uint32_t run, const app_ops *app, const st_config *cfg,
                            uint32_t clocks, uint64_t seed, const harness_stop *stop) {
  char stal[16];
  harness_staleness_text(cfg->staleness, stal, sizeof stal);
  csv_u64(w, run);
  csv_str(w, app->name);
  csv_str(w, app->objective_name);
  csv_u64(w, cfg->nclients);
  csv_u64(w, cfg->workers_per_client);
  csv_u64(w, cfg->nservers);
  csv_str(w, stal);
  csv_u64(w, cfg->push);
  csv_u64(w, clocks);
  csv_u64(w, seed);
  if (stop && stop->has_until)
    csv_real(w, stop->until_time);
  else
    csv_str(w, NULL);
  if (stop && stop->has_target)
    csv_real(w, stop->target);
  else
    csv_str(w, NULL);
  csv_str(w, comm_policy_name(cfg->comm_policy));
  csv_real(w, cfg->comm_budget);
  csv_real(w, cfg->comm_policy == COMM_NONE ? 0 : cfg_comm_interval(cfg));
}

void harness_add_node_stats(harness_clock_rec *rec, const st_node *node) {
  if (node->client) {
    const cl_stats *c = cl_get_stats(node->client);
    rec->bytes_early += (double)c->bytes_early;
    rec->bytes_clock += (double)c->bytes_clock;
    rec->reads += (double)c->reads_served;
    rec->stale += (double)c->stale_clocks;
    rec->pacing += c->pacing_s;
  }
  if (node->server) {
    const srv_stats *s = srv_get_stats(node->server);
    rec->bytes_early += (double)s->bytes_early;
    rec->bytes_clock += (double)s->bytes_push;
  }
}

int harness_csv_end_row(csv_writer *w, const app_ops *app, void *shared,
                        const harness_clock_rec *rec, const char *app_options, const char *data) {
  csv_u64(w, rec->clock);
  csv_real(w, rec->time);
  csv_real(w, app->objective(shared, rec->metrics));
  if (!rec->has_model)
    csv_str(w, NULL);
  else
    csv_real(w, rec->model_objective);
  csv_u64(w, (uint64_t)rec->bytes);
  csv_real(w, rec->blocked);
  csv_str(w, rec->stopped_by ? rec->stopped_by : "clocks");
  csv_u64(w, (uint64_t)rec->bytes_early);
  csv_u64(w, (uint64_t)rec->bytes_clock);
  csv_real(w, rec->reads > 0 ? rec->stale / rec->reads : 0);
  csv_real(w, rec->pacing);
  for (uint32_t k = 0; k < app->nextra; k++) csv_real(w, app->extra(shared, rec->metrics, k));
  csv_str(w, app_options);
  csv_str(w, data);
  return csv_end_row(w);
}
