/* harness.c: see harness.h. */
#include "harness.h"

#include <stdio.h>

int harness_clock_loop(const harness_run *run, ps_worker *w, void *wstate, uint32_t *clock,
                       char *msg, size_t msglen) {
  const harness_hooks *h = run->hooks;
  for (uint32_t c = run->first; c < run->end; c++) {
    *clock = c;
    if (h && h->before_step) h->before_step(h->ctx, w, c);
    int rc = run->app->step(run->shared, wstate, w, c);
    if (rc == 0) rc = ps_clock(w);
    if (rc == 0 && h && h->after_clock) rc = h->after_clock(h->ctx, w, wstate, c, msg, msglen);
    if (rc) return rc;
  }
  *clock = run->end;
  return 0;
}

int harness_run_worker(const harness_run *run, ps_worker *w, char *msg, size_t msglen) {
  const app_ops *app = run->app;
  const harness_hooks *h = run->hooks;
  void *ws = NULL;
  msg[0] = '\0';
  int rc = app->worker_init(run->shared, w, &ws);
  if (rc) {
    snprintf(msg, msglen, "worker %u: %s worker_init failed: %s", (unsigned)w->global_index,
             app->name, st_strerror(rc));
    return rc;
  }
  uint32_t clock = run->first;
  if (h && h->after_init) rc = h->after_init(h->ctx, w, ws, msg, msglen);
  if (rc == 0) {
    harness_loop_fn loop = app->loop ? app->loop : harness_clock_loop;
    rc = loop(run, w, ws, &clock, msg, msglen);
  }
  app->worker_free(run->shared, ws);
  if (rc && !msg[0])
    snprintf(msg, msglen, "worker %u: clock %u of %s failed: %s", (unsigned)w->global_index,
             (unsigned)clock, app->name, st_strerror(rc));
  return rc;
}

int harness_tables(const app_ops *app, void *shared, uint32_t clocks, tbl_set *set) {
  *set = (tbl_set){0};
  tbl_def metrics = {.id = APP_METRICS_TABLE, .rows = clocks, .width = APP_METRICS_WIDTH, .sparse = 0};
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

static const char *const harness_run_cols[] = {"run",     "app",       "metric",  "nodes",
                                               "workers_per_node", "servers", "staleness",
                                               "push",    "clocks",    "seed"};
static const char *const harness_clock_cols[] = {"objective", "bytes_sent", "blocked_s"};

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
                            uint32_t clocks, uint64_t seed) {
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
}

int harness_csv_end_row(csv_writer *w, const app_ops *app, void *shared,
                        const harness_clock_rec *rec, const char *app_options, const char *data) {
  csv_u64(w, rec->clock);
  csv_real(w, rec->time);
  csv_real(w, app->objective(shared, rec->metrics));
  csv_u64(w, (uint64_t)rec->bytes);
  csv_real(w, rec->blocked);
  for (uint32_t k = 0; k < app->nextra; k++) csv_real(w, app->extra(shared, rec->metrics, k));
  csv_str(w, app_options);
  csv_str(w, data);
  return csv_end_row(w);
}
