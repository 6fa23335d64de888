/* rt_run.c: `stale run`, one node of a real cluster. Owns the process's
 * libuv loop (run on the calling thread, which becomes the loop thread), the
 * transport, the backend, the node's core state and the worker threads that
 * run the app. The barriers and the end-of-run report are the core's
 * (core/rep.h); this file decides when a node has reached one and what
 * rank 0 does with a complete one.
 *
 * End of a run: a node whose workers have finished, and whose server shard
 * (if any) has seen every client's final clock, reports the end barrier
 * (its per-clock records and its shard's metrics rows) to rank 0; once rank
 * 0 has every report it releases the barrier, and each node says BYE when
 * released, then keeps serving until every peer has said BYE. Rank 0 writes
 * the CSV from the reports. Losing a peer before its BYE ends the run on
 * every node with a message naming it.
 *
 * Checkpoints: after every N clocks all workers wait at a barrier; once a
 * node's shard and client are settled there (every client's updates
 * applied, pushed and received: srv_settled, cl_settled), the node writes
 * the shard's rows and push state, the client's cache and its record
 * (the clocks before, and its counters at the barrier itself), and reports
 * the barrier; rank 0, with every report, marks the checkpoint complete and
 * releases everyone. Since nobody runs ahead, a checkpoint is a consistent
 * cut: it holds exactly the updates of the clocks before it, and what each
 * role needs to go on as if never stopped. --resume loads it into the
 * fresh node before any frame, passes the same barrier again (so its frames
 * count as the first run's did) and continues at the checkpoint's clock:
 * the same traffic, byte for byte, and the same values. Worker-local app
 * state is restored by the app's worker_load when it has one. */
#include <errno.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "csv.h"
#include "harness.h"
#include "rt.h"
#include "rt_be.h"
#include "rt_ckpt.h"
#include "rt_net.h"
#include "rt_opt.h"
#include "runopt.h"

/* --until-time: when each clock ended, gathered so every node knows it
 * (the report of core/rep.h comes only at barriers). */
#define CTRL_CLOCK_TIME (RT_CTRL_USER + 5) /* node -> rank 0: u32 clock, f64 its time */
#define CTRL_CLOCK_DONE (RT_CTRL_USER + 6) /* rank 0 -> node: u32 clock, f64 max time */

/* What one node measured at the end of each clock. */
typedef rep_clock clock_rec;
/* A run of records is read and written as RT_REC_DOUBLES doubles per clock. */
#define RT_REC_DOUBLES (sizeof(clock_rec) / sizeof(double))
_Static_assert(sizeof(clock_rec) % sizeof(double) == 0, "clock_rec is doubles only");

typedef struct rt_worker {
  struct rt_run *run;
  ps_worker w;
  pthread_t thr;
  int started;
} rt_worker;

typedef struct rt_run {
  rt_opt o;
  const app_ops *app;
  void *shared;
  st_config cfg;
  tbl_set tables;
  uv_loop_t loop;
  rt_be be;
  rt_net *net;
  st_node *node;
  rt_worker *workers;
  uv_async_t progress; /* workers finished: check for the end */
  int progress_open;
  /* under be.mu */
  uint32_t *finished; /* [clocks] local workers done with each clock */
  clock_rec *rec;     /* [clocks] */
  uint32_t recorded; /* clocks below this have their record */
  uint32_t workers_done;
  int worker_error;
  char worker_msg[700];
  /* loop thread */
  int sent_final, exit_code, ended;
  double ready_at;
  /* checkpoints and resume. A barrier is named by the app clock the
   * workers are about to start; all ids are >= 1. */
  uint32_t start;   /* first app clock this run executes (core clocks are app clocks) */
  uint32_t resumed; /* 1: the node was loaded from the checkpoint of `start` */
  pthread_cond_t barrier_cond;
  uint32_t at_barrier, barrier_id, go_barrier, reported; /* under be.mu */
  /* The end of the run is the barrier after the last clock: every node
   * reports its records and its shard's metrics rows there (core/rep.h),
   * rank 0 writes the CSV from what it collected. */
  int bye_said;
  /* The record continues the checkpoint's in a resumed run: clock c >= start
   * gets base (the node's counters at the checkpoint) plus what was measured
   * since the mesh formed (since_* below, under be.mu). */
  clock_rec base;
  double since_time, since_bytes, since_blocked;
  int since_set;
  /* what run_setup got to, so run_free releases exactly that */
  uint8_t cond_init, loop_init, be_init;
  /* the stopping rule */
  uint32_t end;          /* clocks the run had, as its workers returned (under be.mu) */
  int end_disagree;      /* under be.mu */
  double *clock_end;     /* [clocks]: when clock c ended on every node, once known */
  uint8_t *clock_known;  /* [clocks], under be.mu, with clock_cond */
  pthread_cond_t clock_cond;
  uint32_t times_sent;   /* loop thread: clocks whose end this node reported */
  uint32_t *time_count;  /* rank 0 [clocks]: nodes that reported the clock */
  double *time_max;      /* rank 0 [clocks] */
  uint8_t clock_cond_init;
} rt_run;

/* The barrier that ends the run (checkpoint barriers come before it; a run
 * a stopping rule ends early keeps this number: it names the end). */
static uint32_t end_barrier(const rt_run *r) { return r->o.run.clocks; }

static void run_fail(rt_run *r, uint32_t peer, const char *msg) {
  rt_net_fail(r->net, peer, msg);
}

/* Worker thread: waits at barrier b until rank 0 releases it. After a
 * failure it never returns (the process is ending). */
static void barrier_wait(rt_run *r, uint32_t b) {
  pthread_mutex_lock(&r->be.mu);
  r->barrier_id = b;
  r->at_barrier++;
  if (r->progress_open)
    uv_async_send(&r->progress);
  while (r->go_barrier < b || r->be.failed)
    pthread_cond_wait(&r->barrier_cond, &r->be.mu);
  pthread_mutex_unlock(&r->be.mu);
}

static void barrier_release(rt_run *r, uint32_t b) {
  pthread_mutex_lock(&r->be.mu);
  r->go_barrier = b;
  r->at_barrier = 0;
  pthread_cond_broadcast(&r->barrier_cond);
  pthread_mutex_unlock(&r->be.mu);
}

/* What this run's checkpoints must agree with to be resumed. */
/* Checkpoints hold table values only: a table whose rule keeps more state
 * (AdaRevision's accumulated updates, z, versions) cannot be resumed from
 * one, so such runs refuse checkpointing rather than resume wrongly. */
static int rt_run_ckpt_refused(const rt_run *r, char *err, size_t errlen) {
  if (!r->o.ckpt_dir || (!r->o.ckpt_every && !r->o.resume)) return 0;
  for (uint32_t t = 0; t < r->tables.n; t++)
    if (r->tables.defs[t].rule != TBL_RULE_ADD) {
      snprintf(err, errlen, "%s: table %u has an adaptive rule (AdaRevision), whose step state checkpoints "
                            "do not keep: run it without --checkpoint-every and --resume",
               r->app->name, r->tables.defs[t].id);
      return 1;
    }
  return 0;
}

static rt_ckpt_meta rt_run_ckpt_meta(const rt_run *r) {
  rt_ckpt_meta m = {.app = r->app->name,
                    .app_options = r->o.run.app_options,
                    .data = r->o.run.data,
                    .seed = r->o.run.seed,
                    .nodes = r->cfg.nclients,
                    .servers = r->cfg.nservers,
                    .workers_per_node = r->cfg.workers_per_client,
                    .clocks = r->o.run.clocks,
                    .staleness = r->cfg.staleness,
                    .push = r->cfg.push,
                    .ordered = r->cfg.ordered};
  return m;
}

/* Every barrier but a resumed run's first, the one its checkpoint was. */
static int is_checkpoint(const rt_run *r, uint32_t b) { return !(r->resumed && b == r->start); }

/* Worker seconds this node's workers spent blocked so far (under be.mu). */
static double blocked_sum(const rt_run *r) {
  double blocked = 0;
  for (uint32_t i = 0; i < r->be.nworkers; i++)
    blocked += r->be.w[i].blocked;
  return blocked;
}

/* What this node has measured up to now (under be.mu): time, bytes and
 * blocked time since the run began, and the core's counters, continued
 * from the checkpoint's in a resumed run. */
static clock_rec rec_now(rt_run *r) {
  clock_rec x;
  double t0 = r->since_set ? r->since_time : r->ready_at;
  x.time = r->base.time + rt_be_now(&r->be) - t0;
  x.bytes = r->base.bytes + (double)rt_net_bytes_sent(r->net) - r->since_bytes;
  x.blocked = r->base.blocked + blocked_sum(r) - r->since_blocked;
  harness_clock_rec tot = {0};
  harness_add_node_stats(&tot, r->node);
  x.bytes_early = r->base.bytes_early + tot.bytes_early;
  x.bytes_clock = r->base.bytes_clock + tot.bytes_clock;
  x.reads = r->base.reads + tot.reads;
  x.stale = r->base.stale + tot.stale;
  x.pacing = r->base.pacing + tot.pacing;
  return x;
}

/* Whether this node's roles are settled at checkpoint barrier b (under
 * be.mu): then what they hold is the cut the checkpoint must be. */
static int settled_at(const rt_run *r, uint32_t b) {
  return (!r->node->client || cl_settled(r->node->client, b)) &&
         (!r->node->server || srv_settled(r->node->server, b));
}

/* Writes this node's part of checkpoint b (under be.mu): its shard's rows
 * and push state, its client's cache, and its record (the clocks before b,
 * then the counters at b). 0, or an error described in err. */
static int write_checkpoint(rt_run *r, uint32_t b, char *err, size_t errlen) {
  const char *dir = r->o.ckpt_dir;
  snap_buf st = {0};
  int rc = 0;
  if (r->node->server) {
    uint32_t shard = r->node->id - r->cfg.server_base;
    rc = rt_ckpt_write_shard(dir, b, shard, r->cfg.nservers, &r->tables, r->node->server, err,
                             errlen);
    if (rc == 0 && (rc = srv_held_save(r->node->server, &st)) != 0)
      snprintf(err, errlen, "checkpoint %u: shard %u's push state: %s", b, shard, st_strerror(rc));
    if (rc == 0)
      rc = rt_ckpt_write_held(dir, b, shard, st.data, st.len, err, errlen);
    snap_buf_free(&st);
  }
  if (rc == 0 && r->node->client) {
    if ((rc = cl_cache_save(r->node->client, &st)) != 0)
      snprintf(err, errlen, "checkpoint %u: node %u's cache: %s", b, r->node->id, st_strerror(rc));
    if (rc == 0)
      rc = rt_ckpt_write_cache(dir, b, r->node->id, st.data, st.len, err, errlen);
    snap_buf_free(&st);
  }
  if (rc != 0)
    return rc;
  clock_rec *v = malloc(((size_t)b + 1) * sizeof *v);
  if (!v) {
    snprintf(err, errlen, "checkpoint %u: out of memory", b);
    return ST_ENOMEM;
  }
  memcpy(v, r->rec, (size_t)b * sizeof *v);
  v[b] = rec_now(r);
  rc = rt_ckpt_write_records(dir, b, r->node->id, &v[0].time, ((size_t)b + 1) * RT_REC_DOUBLES,
                             err, errlen);
  free(v);
  return rc;
}

/* Rank 0, loop thread: once every node reported checkpoint barrier b,
 * marks the checkpoint complete and releases everyone. */
static int barrier_complete(rt_run *r, uint32_t b) {
  if (is_checkpoint(r, b)) {
    char err[600];
    rt_ckpt_meta m = rt_run_ckpt_meta(r);
    if (rt_ckpt_mark_complete(r->o.ckpt_dir, b, &m, err, sizeof err) != 0) {
      rt_net_fail(r->net, RT_NO_PEER, err);
      return 0;
    }
    if (r->o.verbose)
      fprintf(stderr, "stale: checkpoint of clock %u complete in %s\n", b, r->o.ckpt_dir);
    /* Keep this one and the one before (should this one be damaged later). */
    if (b > r->o.ckpt_every)
      rt_ckpt_prune(r->o.ckpt_dir, b - r->o.ckpt_every);
  }
  pthread_mutex_lock(&r->be.mu);
  int rc = rep_release(r->node->rep, b);
  pthread_mutex_unlock(&r->be.mu);
  return rc;
}

/* Loop thread: rank 0 releases a barrier every node reported; every node
 * lets its workers past the barriers released so far. */
static void barrier_progress(rt_run *r) {
  pthread_mutex_lock(&r->be.mu);
  uint32_t b = r->reported;
  int complete = r->node->id == 0 && b && b != end_barrier(r) && rep_complete(r->node->rep, b);
  pthread_mutex_unlock(&r->be.mu);
  if (complete) {
    int rc = barrier_complete(r, b);
    if (rc != 0) {
      char err[200];
      snprintf(err, sizeof err, "barrier of clock %u: %s", b, st_strerror(rc));
      rt_net_fail(r->net, RT_NO_PEER, err);
      return;
    }
  }
  pthread_mutex_lock(&r->be.mu);
  uint32_t rel = rep_released(r->node->rep), go = r->go_barrier;
  pthread_mutex_unlock(&r->be.mu);
  if (rel > go && rel != end_barrier(r))
    barrier_release(r, rel);
}

/* Loop thread: once every local worker waits at the barrier and this
 * node's shard has everyone's updates up to it (and, at a checkpoint, its
 * roles are settled), write its part of the checkpoint and report to rank 0. */
static void maybe_barrier(rt_run *r) {
  char err[600] = "";
  int rc = 0, report = 0;
  uint32_t b = 0;
  pthread_mutex_lock(&r->be.mu);
  uint32_t at = r->barrier_id;
  if (r->at_barrier == r->cfg.workers_per_client && r->reported < at &&
      (!r->node->server || srv_min_clock(r->node->server) >= at) &&
      (!is_checkpoint(r, at) || settled_at(r, at))) {
    b = at;
    r->reported = b;
    report = 1;
    if (is_checkpoint(r, b))
      rc = write_checkpoint(r, b, err, sizeof err);
    if (rc == 0) {
      rc = rep_arrive(r->node->rep, b, NULL, 0, 0, NULL);
      if (rc != 0)
        snprintf(err, sizeof err, "barrier of clock %u: %s", b, st_strerror(rc));
    }
  }
  pthread_mutex_unlock(&r->be.mu);
  if (report && rc != 0)
    rt_net_fail(r->net, RT_NO_PEER, err);
}

/* Records a worker's failure message for the run's report (first wins). */
static void worker_note(rt_run *r, const char *msg) {
  pthread_mutex_lock(&r->be.mu);
  if (!r->worker_msg[0]) snprintf(r->worker_msg, sizeof r->worker_msg, "%s", msg);
  pthread_mutex_unlock(&r->be.mu);
}

/* Writes this worker's app state into checkpoint k. */
static int worker_checkpoint(rt_run *r, rt_worker *rw, void *ws, uint32_t k) {
  uint8_t *buf = NULL;
  size_t len = 0;
  char err[600];
  int rc = r->app->worker_save(r->shared, ws, &buf, &len);
  if (rc == 0 && rt_ckpt_write_worker(r->o.ckpt_dir, k, rw->w.global_index, buf, len, err,
                                      sizeof err) != 0) {
    worker_note(r, err);
    rc = ST_ESTATE;
  }
  free(buf);
  return rc;
}

/* Resume: puts back this worker's app state from the checkpoint resumed. */
static int worker_restore(rt_run *r, rt_worker *rw, void *ws) {
  uint8_t *buf = NULL;
  size_t len = 0;
  char err[600];
  int rc = rt_ckpt_read_worker(r->o.ckpt_dir, r->start, rw->w.global_index, &buf, &len, err,
                               sizeof err);
  if (rc != 0) {
    worker_note(r, err);
    return rc;
  }
  rc = r->app->worker_load(r->shared, ws, buf, len);
  if (rc != 0) {
    snprintf(err, sizeof err, "checkpoint %u: worker %u's state does not fit this run", r->start,
             rw->w.global_index);
    worker_note(r, err);
  }
  free(buf);
  return rc;
}

/* Harness hook: a resumed run restores the worker's state (the tables and
 * caches were loaded before the mesh formed), then passes the checkpoint's
 * barrier again, as the first run did after it wrote the checkpoint. */
static int worker_after_init(void *ctx, ps_worker *w, void *ws, char *msg, size_t msglen) {
  (void)msg;
  (void)msglen;
  rt_worker *rw = ctx;
  rt_run *r = rw->run;
  (void)w;
  if (!r->resumed)
    return 0;
  int rc = r->app->worker_load ? worker_restore(r, rw, ws) : 0;
  if (rc == 0)
    barrier_wait(r, r->start);
  return rc;
}

/* Backend hook, under be.mu as a worker leaves the core: once the client's
 * clock has passed c (every local worker clocked c and the flush is sent),
 * c's record is taken, before the loop thread can handle a frame. So what
 * the flush sets off (this node's shard pushing once every client's clock
 * is in, its own last among them) always counts in the next clock, never
 * in c, whatever the threads' timing. */
static void record_clocks(void *ctx) {
  rt_run *r = ctx;
  if (!r->node->client)
    return;
  st_clock_t k = cl_worker_clock(r->node->client, 0);
  for (uint32_t i = 1; i < r->cfg.workers_per_client; i++) {
    st_clock_t w = cl_worker_clock(r->node->client, i);
    k = w < k ? w : k;
  }
  for (; r->recorded < k && r->recorded < r->o.run.clocks; r->recorded++)
    r->rec[r->recorded] = rec_now(r);
}

/* Harness hook: counts the clock done (its record is taken as it ends,
 * record_clocks), and checkpoints. */
static int worker_after_clock(void *ctx, ps_worker *w, void *ws, uint32_t c, char *msg,
                              size_t msglen) {
  (void)w;
  (void)msg;
  (void)msglen;
  rt_worker *rw = ctx;
  rt_run *r = rw->run;
  pthread_mutex_lock(&r->be.mu);
  if (++r->finished[c] == r->cfg.workers_per_client) {
    if (r->o.run.has_until && r->progress_open)
      uv_async_send(&r->progress); /* the loop thread reports it */
  }
  pthread_mutex_unlock(&r->be.mu);
  if (r->o.ckpt_every && (c + 1) % r->o.ckpt_every == 0 && c + 1 < r->o.run.clocks) {
    /* The worker's own state goes on disk before it reports at the
     * barrier, so a checkpoint marked complete has every worker's. */
    int rc = r->app->worker_save ? worker_checkpoint(r, rw, ws, c + 1) : 0;
    if (rc != 0)
      return rc;
    barrier_wait(r, c + 1);
  }
  return 0;
}

/* Harness hook for --until-time: blocks until rank 0 has said when clock c
 * ended on every node. */
static int worker_clock_time(void *ctx, ps_worker *w, uint32_t c, double *time) {
  (void)w;
  rt_worker *rw = ctx;
  rt_run *r = rw->run;
  pthread_mutex_lock(&r->be.mu);
  while (!r->clock_known[c] && !r->be.failed) pthread_cond_wait(&r->clock_cond, &r->be.mu);
  int rc = r->clock_known[c] ? 0 : ST_ECLOSED;
  *time = r->clock_end[c];
  pthread_mutex_unlock(&r->be.mu);
  return rc;
}

static void clock_time_known(rt_run *r, uint32_t c, double t) {
  pthread_mutex_lock(&r->be.mu);
  r->clock_end[c] = t;
  r->clock_known[c] = 1;
  pthread_cond_broadcast(&r->clock_cond);
  pthread_mutex_unlock(&r->be.mu);
}

/* Rank 0: node's clock c ended at t; the last node's report is sent to all. */
static int clock_time_report(rt_run *r, uint32_t c, double t) {
  if (c >= r->o.run.clocks || r->time_count[c] >= r->cfg.nclients) return ST_EFRAME;
  if (t > r->time_max[c] || r->time_count[c] == 0) r->time_max[c] = t;
  if (++r->time_count[c] < r->cfg.nclients) return 0;
  uint8_t p[12];
  memcpy(p, &c, 4);
  memcpy(p + 4, &r->time_max[c], 8);
  for (uint32_t i = 1; i < r->cfg.nclients; i++) {
    int rc = rt_net_send_ctrl(r->net, i, CTRL_CLOCK_DONE, p, sizeof p);
    if (rc) return rc;
  }
  clock_time_known(r, c, r->time_max[c]);
  return 0;
}

/* Loop thread: reports the clocks this node's workers have all finished. */
static void report_clock_times(rt_run *r) {
  if (!r->o.run.has_until) return;
  for (;;) {
    pthread_mutex_lock(&r->be.mu);
    uint32_t c = r->times_sent;
    /* A resumed run's clocks before its checkpoint are reported from their
     * records, so a decision about them (harness_stop_after) gets the same
     * time as the first run's did. */
    int done = c < r->o.run.clocks && (c < r->start || r->finished[c] == r->cfg.workers_per_client);
    double t = done ? r->rec[c].time : 0;
    if (done) r->times_sent++;
    pthread_mutex_unlock(&r->be.mu);
    if (!done) return;
    int rc;
    if (r->node->id == 0) {
      rc = clock_time_report(r, c, t);
    } else {
      uint8_t p[12];
      memcpy(p, &c, 4);
      memcpy(p + 4, &t, 8);
      rc = rt_net_send_ctrl(r->net, 0, CTRL_CLOCK_TIME, p, sizeof p);
    }
    if (rc) {
      char m[120];
      snprintf(m, sizeof m, "cannot report when clock %u ended: %s", c, st_strerror(rc));
      run_fail(r, RT_NO_PEER, m);
      return;
    }
  }
}

static void *worker_main(void *arg) {
  rt_worker *rw = arg;
  rt_run *r = rw->run;
  harness_hooks hooks = {.ctx = rw, .after_init = worker_after_init,
                         .after_clock = worker_after_clock, .clock_time = worker_clock_time};
  harness_run run = {.app = r->app, .shared = r->shared, .first = r->start,
                     .end = r->o.run.clocks, .hooks = &hooks, .stop = runopt_stop(&r->o.run, r->app),
                     .staleness = r->cfg.staleness,
                     .model_clocks = r->o.model_objective ? r->o.run.clocks : 0};
  char msg[sizeof r->worker_msg];
  uint32_t end;
  int rc = harness_run_worker(&run, &rw->w, &end, msg, sizeof msg);
  pthread_mutex_lock(&r->be.mu);
  if (rc == 0 && r->end == 0)
    r->end = end;
  else if (rc == 0 && end != r->end)
    r->end_disagree = 1;
  r->workers_done++;
  if (rc != 0 && !r->worker_error) {
    r->worker_error = rc;
    if (!r->worker_msg[0]) /* a more precise note (a checkpoint file) stays */
      snprintf(r->worker_msg, sizeof r->worker_msg, "%s", msg);
  }
  if (r->progress_open)
    uv_async_send(&r->progress);
  pthread_mutex_unlock(&r->be.mu);
  return NULL;
}

/* Loop thread: once the run's end is released (rank 0: once every node
 * reported it, then rank 0 releases it), says BYE. */
static void maybe_bye(rt_run *r) {
  if (r->bye_said || !r->sent_final)
    return;
  pthread_mutex_lock(&r->be.mu);
  rep_state *rep = r->node->rep;
  int rc = 0, go = 0;
  if (r->node->id == 0 && rep_complete(rep, end_barrier(r)))
    rc = rep_release(rep, end_barrier(r));
  go = rc == 0 && rep_released(rep) == end_barrier(r);
  pthread_mutex_unlock(&r->be.mu);
  if (rc != 0) {
    char m[200];
    snprintf(m, sizeof m, "cannot release the end of the run: %s", st_strerror(rc));
    run_fail(r, RT_NO_PEER, m);
    return;
  }
  if (!go)
    return;
  r->bye_said = 1;
  rt_net_bye(r->net);
}

/* Loop thread, node lock NOT held. Reports this node's records and its
 * shard's metrics rows once its work and its shard are complete, then says
 * BYE when the end is released. */
static void maybe_finish(rt_run *r) {
  if (r->ended)
    return;
  report_clock_times(r);
  if (r->ended)
    return;
  maybe_barrier(r);
  if (r->ended)
    return;
  barrier_progress(r);
  if (r->ended || r->sent_final) {
    maybe_bye(r);
    return;
  }
  pthread_mutex_lock(&r->be.mu);
  int done = r->workers_done == r->cfg.workers_per_client;
  int err = r->worker_error;
  char msg[sizeof r->worker_msg];
  memcpy(msg, r->worker_msg, sizeof msg);
  if (done && !err && r->end_disagree) {
    err = ST_ESTATE;
    snprintf(msg, sizeof msg, "bug: this node's workers stopped after different clocks");
  }
  uint32_t end = r->end;
  /* With --model-objective the workers' closing clock carries the last
   * clock's model terms (harness.h): the shard must have it too. */
  int final = done && !err &&
              (!r->node->server ||
               srv_min_clock(r->node->server) >= end + (r->o.model_objective ? 1 : 0));
  int rc = 0;
  if (final) {
    rc = rep_arrive(r->node->rep, end_barrier(r), r->rec, 0, end, r->node->server);
    r->sent_final = 1;
  }
  pthread_mutex_unlock(&r->be.mu);
  if (err) {
    run_fail(r, RT_NO_PEER, msg);
    return;
  }
  if (!final)
    return;
  if (rc != 0) {
    char m[200];
    snprintf(m, sizeof m, "cannot report the final metrics: %s", st_strerror(rc));
    run_fail(r, RT_NO_PEER, m);
    return;
  }
  maybe_bye(r);
}

static void on_progress(uv_async_t *a) { maybe_finish(a->data); }

static void h_frame(void *ud, uint32_t src, const uint8_t *f, size_t len) {
  rt_run *r = ud;
  pthread_mutex_lock(&r->be.mu);
  int rc = node_on_frame(r->node, f, len);
  pthread_mutex_unlock(&r->be.mu);
  if (rc < 0) {
    char m[200];
    snprintf(m, sizeof m, "rank %u sent a frame the core rejected: %s", src, st_strerror(rc));
    run_fail(r, src, m);
    return;
  }
  maybe_finish(r);
}

/* The barriers and the report are core frames; the runtime's own control
 * messages are --until-time's clock ends. Any other is a peer's error. */
static void h_ctrl(void *ud, uint32_t src, uint32_t type, const uint8_t *p, size_t len) {
  rt_run *r = ud;
  if ((type == CTRL_CLOCK_TIME || type == CTRL_CLOCK_DONE) && len == 12 && r->o.run.has_until) {
    uint32_t c;
    double t;
    memcpy(&c, p, 4);
    memcpy(&t, p + 4, 8);
    int rc = ST_EPEER;
    if (r->node->id == 0 && type == CTRL_CLOCK_TIME)
      rc = clock_time_report(r, c, t);
    else if (src == 0 && type == CTRL_CLOCK_DONE && c < r->o.run.clocks) {
      clock_time_known(r, c, t);
      rc = 0;
    }
    if (rc == 0) return;
  }
  char m[200];
  snprintf(m, sizeof m, "rank %u sent an unknown control message (type %u, %zu bytes)", src,
           type, len);
  run_fail(r, src, m);
}

static void h_ready(void *ud) {
  rt_run *r = ud;
  r->ready_at = rt_be_now(&r->be);
  if (r->resumed) { /* measured from here on, on top of the checkpoint's */
    pthread_mutex_lock(&r->be.mu);
    r->since_time = r->ready_at;
    r->since_bytes = (double)rt_net_bytes_sent(r->net);
    r->since_blocked = blocked_sum(r);
    r->since_set = 1;
    pthread_mutex_unlock(&r->be.mu);
  }
  if (r->o.verbose)
    fprintf(stderr, "stale: rank %u: all %u peers connected\n", r->node->id, r->cfg.nclients - 1);
  for (uint32_t i = 0; i < r->cfg.workers_per_client; i++) {
    rt_worker *rw = &r->workers[i];
    if (pthread_create(&rw->thr, NULL, worker_main, rw) != 0) {
      run_fail(r, RT_NO_PEER, "cannot start a worker thread");
      return;
    }
    rw->started = 1;
  }
}

static void end_loop(rt_run *r) {
  if (r->ended)
    return;
  r->ended = 1;
  pthread_mutex_lock(&r->be.mu);
  int open = r->progress_open;
  r->progress_open = 0;
  pthread_mutex_unlock(&r->be.mu);
  if (open)
    uv_close((uv_handle_t *)&r->progress, NULL);
  rt_be_close(&r->be);
  rt_net_shutdown(r->net);
}

static void h_fail(void *ud, uint32_t peer, const char *msg) {
  rt_run *r = ud;
  (void)peer;
  fprintf(stderr, "stale: %s (this is rank %u)\n", msg, r->node->id);
  r->exit_code = 1;
  rt_be_fail(&r->be);
  end_loop(r);
}

static void h_done(void *ud) {
  rt_run *r = ud;
  end_loop(r);
}

static void h_log(void *ud, const char *msg) {
  rt_run *r = ud;
  fprintf(stderr, "stale: rank %u: %s\n", r->node ? r->node->id : r->o.rank, msg);
}

/* The real runtime's own columns, between the harness's run and clock ones. */
static const char *const rt_columns[] = {"backend", "ordered", "run_status"};
#define RT_NCOLUMNS (uint32_t)(sizeof rt_columns / sizeof rt_columns[0])

/* Rank 0: one CSV row per clock, as `stale sim` writes them. */
static int write_csv(rt_run *r) {
  const rep_state *rep = r->node->rep;
  if (rep_released(rep) != end_barrier(r)) {
    fprintf(stderr, "stale: the run ended before every node reported\n");
    return 1;
  }
  uint32_t end = r->end;
  uint32_t clocks = r->o.run.clocks;
  for (uint32_t c = 0; c < end; c++)
    if (!rep_row(rep, c) || (r->o.model_objective && !rep_row(rep, clocks + c))) {
      fprintf(stderr, "stale: the metrics row of clock %u never arrived\n", c);
      return 1;
    }
  FILE *f = stdout;
  if (r->o.run.out && !(f = fopen(r->o.run.out, "w"))) {
    fprintf(stderr, "stale: --out: %s: %s\n", r->o.run.out, strerror(errno));
    return 1;
  }
  csv_writer w;
  csv_init(&w, f);
  int rc = harness_csv_header(&w, rt_columns, RT_NCOLUMNS, "time_s", r->app);
  harness_stop stop = runopt_stop(&r->o.run, r->app);
  /* The reason, as the workers decided it: the rule met by the clock the
   * decision came from (the same time and metrics row they read). */
  const char *why = "clocks";
  uint32_t d = harness_stop_clock(&stop, r->cfg.staleness, r->start, end, r->o.run.clocks);
  if (d != UINT32_MAX)
    why = harness_stop_name(harness_stop_met(&stop, rep_record(rep, d).time,
                                             r->app->objective(r->shared, rep_row(rep, d))));
  uint32_t rows = harness_rows(r->app, end, clocks);
  for (uint32_t c = 0; c < rows && rc == 0; c++) {
    harness_csv_run_fields(&w, 0, r->app, &r->cfg, r->o.run.clocks, r->o.run.seed, &stop);
    csv_str(&w, "real");
    csv_u64(&w, r->cfg.ordered);
    csv_str(&w, "complete");
    rep_clock a = rep_record(rep, c);
    harness_clock_rec rec = {.clock = c, .time = a.time, .bytes = a.bytes,
                             .blocked = a.blocked, .bytes_early = a.bytes_early,
                             .bytes_clock = a.bytes_clock, .reads = a.reads, .stale = a.stale,
                             .pacing = a.pacing, .metrics = rep_row(rep, c), .stopped_by = why};
    if (r->o.model_objective) {
      rec.has_model = 1;
      rec.model_objective = r->app->objective(r->shared, rep_row(rep, clocks + c));
    }
    rc = harness_csv_end_row(&w, r->app, r->shared, &rec, r->o.run.app_options, r->o.run.data);
  }
  if (rc == 0)
    rc = csv_flush(&w);
  if (f != stdout && fclose(f) != 0)
    rc = ST_EIO;
  if (rc != 0) {
    fprintf(stderr, "stale: %s: write failed\n", r->o.run.out ? r->o.run.out : "standard output");
    return 1;
  }
  return 0;
}

/* --rendezvous, ranks above 0: waits (up to the connect timeout) until
 * rank 0 has published its address in the file, and takes it as the
 * coordinator's. 0 or 1 with the reason in err. */
static int rendezvous_wait(rt_run *r, char *err, size_t errlen) {
  const char *path = r->o.rendezvous;
  double t0 = (double)uv_hrtime() / 1e9, waited = 0;
  for (;;) {
    FILE *f = fopen(path, "r");
    if (f) {
      char line[300];
      int got = fgets(line, sizeof line, f) != NULL;
      fclose(f);
      size_t n = got ? strlen(line) : 0;
      if (n > 0 && line[n - 1] == '\n') { /* rank 0 renames a whole line in place */
        line[n - 1] = '\0';
        if (rt_addr_parse(line, &r->o.coordinator) != 0) {
          snprintf(err, errlen, "--rendezvous %s: '%s' is not host:port", path, line);
          return 1;
        }
        r->o.coord_from = "--rendezvous";
        return 0;
      }
    } else if (errno != ENOENT) {
      snprintf(err, errlen, "--rendezvous %s: %s", path, strerror(errno));
      return 1;
    }
    waited = (double)uv_hrtime() / 1e9 - t0;
    if (waited > r->o.connect_timeout) {
      snprintf(err, errlen, "--rendezvous %s: rank 0 did not write its address within %.0f s",
               path, r->o.connect_timeout);
      return 1;
    }
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
}

/* --rendezvous, rank 0: refuses a file that is already there (an earlier
 * run's address would send the others to a dead port). */
static int rendezvous_check_fresh(const rt_run *r, char *err, size_t errlen) {
  struct stat st;
  if (stat(r->o.rendezvous, &st) == 0) {
    snprintf(err, errlen, "--rendezvous %s: the file exists; it must not before the run (remove "
                          "it, or give each run a fresh path)", r->o.rendezvous);
    return 1;
  }
  return 0;
}

/* --rendezvous, rank 0: publishes host:port (this machine's name when it
 * listens on every interface) by writing a temporary file and renaming it,
 * so a reader never sees half a line. */
static int rendezvous_publish(const rt_run *r, char *err, size_t errlen) {
  char host[256];
  const char *h = r->o.listen.host;
  if (!h[0] || !strcmp(h, "0.0.0.0") || !strcmp(h, "::")) {
    if (gethostname(host, sizeof host) != 0) {
      snprintf(err, errlen, "--rendezvous: cannot read this machine's name: %s", strerror(errno));
      return 1;
    }
    host[sizeof host - 1] = '\0';
    h = host;
  }
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.%ld.tmp", r->o.rendezvous, (long)getpid());
  FILE *f = fopen(tmp, "w");
  int ok = f && fprintf(f, "%s:%u\n", h, rt_net_port(r->net)) > 0;
  if (f && fclose(f) != 0) ok = 0;
  if (!ok || rename(tmp, r->o.rendezvous) != 0) {
    snprintf(err, errlen, "--rendezvous %s: cannot write it: %s", r->o.rendezvous, strerror(errno));
    unlink(tmp);
    return 1;
  }
  return 0;
}

/* Rank 0 after a failed run: the clocks it knows were completed, marked
 * "partial" in run_status. A clock is known complete when rank 0's shard
 * holds its metrics row and has every client's updates of it; the rows
 * stop at the first clock without one (with several shards, rows of other
 * shards never arrive: the run ended before its report). Time, bytes and
 * blocked time are rank 0's own record, the others' being lost. Returns
 * the number of rows written (0: nothing known, no file). */
static uint32_t write_partial_csv(rt_run *r) {
  uint32_t n = 0, clocks = r->o.run.clocks, w = APP_METRICS_WIDTH;
  float *rows = r->node->server ? malloc((size_t)clocks * w * sizeof *rows) : NULL;
  pthread_mutex_lock(&r->be.mu);
  uint32_t have = rows ? srv_min_clock(r->node->server) : 0; /* core clocks complete */
  while (rows && n < clocks &&
         tbl_shard(APP_METRICS_TABLE, n, r->cfg.nservers) == r->node->id - r->cfg.server_base) {
    /* A resumed run's clocks before its checkpoint came with it, their
     * records too. */
    int done = n < have && (n < r->start || r->finished[n] == r->cfg.workers_per_client);
    if (!done || srv_read_row(r->node->server, APP_METRICS_TABLE, n, &rows[(size_t)n * w]) != 0)
      break;
    n++;
  }
  pthread_mutex_unlock(&r->be.mu);
  FILE *f = stdout;
  if (n > 0 && r->o.run.out && !(f = fopen(r->o.run.out, "w")))
    n = 0;
  if (n > 0) {
    csv_writer cw;
    csv_init(&cw, f);
    int rc = harness_csv_header(&cw, rt_columns, RT_NCOLUMNS, "time_s", r->app);
    harness_stop stop = runopt_stop(&r->o.run, r->app);
    for (uint32_t c = 0; c < n && rc == 0; c++) {
      harness_csv_run_fields(&cw, 0, r->app, &r->cfg, clocks, r->o.run.seed, &stop);
      csv_str(&cw, "real");
      csv_u64(&cw, r->cfg.ordered);
      csv_str(&cw, "partial");
      harness_clock_rec rec = {.clock = c, .time = r->rec[c].time, .bytes = r->rec[c].bytes,
                               .blocked = r->rec[c].blocked, .bytes_early = r->rec[c].bytes_early,
                               .bytes_clock = r->rec[c].bytes_clock, .reads = r->rec[c].reads,
                               .stale = r->rec[c].stale, .pacing = r->rec[c].pacing,
                               .metrics = &rows[(size_t)c * w]};
      rc = harness_csv_end_row(&cw, r->app, r->shared, &rec, r->o.run.app_options,
                               r->o.run.data);
    }
    if (rc == 0)
      rc = csv_flush(&cw);
    if (f != stdout && fclose(f) != 0)
      rc = ST_EIO;
    if (rc != 0)
      n = 0;
  }
  free(rows);
  return n;
}

/* Resume: loads this node's part of the checkpoint of r->start into its
 * fresh roles: the shard's rows and push state, the client's cache. 0, or
 * 1 with the reason (naming the file) in err. */
static int resume_node(rt_run *r, char *err, size_t errlen) {
  const char *dir = r->o.ckpt_dir;
  uint32_t k = r->start, nrows = 0;
  uint8_t *buf = NULL;
  size_t len = 0;
  int rc = 0;
  if (r->node->server) {
    uint32_t shard = r->node->id - r->cfg.server_base;
    rt_ckpt_rows rows;
    if (rt_ckpt_read_shard(dir, k, shard, r->cfg.nservers, &r->tables, &rows, err, errlen) != 0)
      return 1;
    for (uint32_t i = 0; rc == 0 && i < rows.n; i++)
      rc = srv_restore_row(r->node->server, rows.rows[i].table, rows.rows[i].row, rows.rows[i].v);
    nrows = rows.n;
    rt_ckpt_rows_free(&rows);
    if (rc != 0) {
      snprintf(err, errlen, "%s/ckpt-%u/shard-%u.bin: %s", dir, k, shard, st_strerror(rc));
      return 1;
    }
    if (rt_ckpt_read_held(dir, k, shard, &buf, &len, err, errlen) != 0)
      return 1;
    rc = srv_held_load(r->node->server, buf, len);
    free(buf);
    if (rc != 0) {
      snprintf(err, errlen, "%s/ckpt-%u/held-%u.bin: %s", dir, k, shard, st_strerror(rc));
      return 1;
    }
  }
  if (r->node->client) {
    if (rt_ckpt_read_cache(dir, k, r->node->id, &buf, &len, err, errlen) != 0)
      return 1;
    rc = cl_cache_load(r->node->client, buf, len);
    free(buf);
    if (rc != 0) {
      snprintf(err, errlen, "%s/ckpt-%u/cache-%u.bin: %s", dir, k, r->node->id, st_strerror(rc));
      return 1;
    }
  }
  if (r->o.verbose || r->o.rank == 0)
    fprintf(stderr, "stale: rank %u: resuming from the checkpoint of clock %u (%u rows)\n",
            r->o.rank, k, nrows);
  return 0;
}

/* Everything up to a started transport. Returns 0 or an exit status. */
static int run_setup(rt_run *r, char *err, size_t errlen) {
  r->app = app_find(r->o.run.app);
  if (!r->app) {
    snprintf(err, errlen, "--app: unknown app '%s'", r->o.run.app);
    return 2;
  }
  if (r->o.model_objective && !r->app->model_terms) {
    snprintf(err, errlen, "--model-objective: %s has no model objective", r->app->name);
    return 2;
  }
  uint32_t world = r->o.size;
  r->cfg = (st_config){.nclients = world,
                       .nservers = r->o.run.servers ? r->o.run.servers : harness_default_servers(world),
                       .workers_per_client = r->o.run.workers_per_node,
                       .server_base = 0,
                       .staleness = r->o.run.staleness[0],
                       .push = r->o.run.push,
                       .ordered = (uint8_t)runopt_ordered(&r->o.run, r->o.run.staleness[0]),
                       .max_frame = r->o.max_frame};
  if (r->cfg.nservers > world) {
    snprintf(err, errlen, "--servers %u: more than the %u nodes", r->cfg.nservers, world);
    return 2;
  }
  if (runopt_comm(&r->o.run, 0, &r->cfg, err, errlen) != 0)
    return 2;
  app_params ap = {.data = r->o.run.data,
                   .options = r->o.run.app_options,
                   .seed = r->o.run.seed,
                   .nworkers = world * r->o.run.workers_per_node,
                   .clocks = r->o.run.clocks,
                   .sched = &r->o.run.sched};
  char aerr[400] = "";
  if (r->app->load(&ap, &r->shared, aerr, sizeof aerr) != 0) {
    snprintf(err, errlen, "%s: %s", r->app->name, aerr[0] ? aerr : "loading failed");
    r->shared = NULL;
    return 1;
  }
  int rc = harness_tables(r->app, r->shared, r->o.run.clocks, r->o.model_objective, &r->tables);
  if (rc != 0) {
    snprintf(err, errlen, "%s: defining tables: %s", r->app->name, st_strerror(rc));
    return 1;
  }
  if (rt_run_ckpt_refused(r, err, errlen)) return 1;
  pthread_cond_init(&r->barrier_cond, NULL);
  r->cond_init = 1;
  if (r->o.resume) {
    rt_ckpt_meta m = rt_run_ckpt_meta(r);
    uint32_t k;
    if (rt_ckpt_latest(r->o.ckpt_dir, &m, &k, err, errlen) != 0)
      return 1;
    r->start = k < r->o.run.clocks ? k : r->o.run.clocks;
    r->resumed = 1;
    r->recorded = r->start;
  }
  uint32_t clocks = r->o.run.clocks;
  r->finished = calloc(clocks, sizeof *r->finished);
  r->rec = calloc(clocks, sizeof *r->rec);
  r->workers = calloc(r->cfg.workers_per_client, sizeof *r->workers);
  r->clock_end = calloc(clocks, sizeof *r->clock_end);
  r->clock_known = calloc(clocks, 1);
  r->time_count = calloc(clocks, sizeof *r->time_count);
  r->time_max = calloc(clocks, sizeof *r->time_max);
  pthread_cond_init(&r->clock_cond, NULL);
  r->clock_cond_init = 1;
  if (!r->finished || !r->rec || !r->workers || !r->clock_end || !r->clock_known ||
      !r->time_count || !r->time_max) {
    snprintf(err, errlen, "out of memory");
    return 1;
  }
  if (r->resumed) { /* the clocks before, then the counters at the checkpoint */
    if (rt_ckpt_read_records(r->o.ckpt_dir, r->start, r->o.rank, &r->rec[0].time,
                             ((size_t)r->start + 1) * RT_REC_DOUBLES, err, errlen) != 0)
      return 1;
    r->base = r->rec[r->start];
    memset(&r->rec[r->start], 0, sizeof r->rec[r->start]);
  }
  if (uv_loop_init(&r->loop) != 0) {
    snprintf(err, errlen, "cannot start the event loop");
    return 1;
  }
  r->loop_init = 1;
  if (rt_be_init(&r->be, &r->loop, r->cfg.workers_per_client) != 0) {
    snprintf(err, errlen, "out of memory");
    return 1;
  }
  r->be_init = 1;
  rt_be_on_unlock(&r->be, record_clocks, r);
  uv_async_init(&r->loop, &r->progress, on_progress);
  r->progress.data = r;
  r->progress_open = 1;
  r->node = node_create(&r->cfg, &r->tables, r->o.rank, rt_be_backend(&r->be));
  if (!r->node) {
    snprintf(err, errlen, "cannot create node %u (bad configuration or out of memory)",
             r->o.rank);
    return 1;
  }
  if (r->resumed && resume_node(r, err, errlen) != 0)
    return 1;
  for (uint32_t i = 0; i < r->cfg.workers_per_client; i++) {
    ps_worker *w = &r->workers[i].w;
    r->workers[i].run = r;
    w->client = r->node->client;
    w->be = rt_be_backend(&r->be);
    w->id = i;
    w->client_index = r->o.rank;
    w->nworkers = world * r->cfg.workers_per_client;
    w->global_index = r->o.rank * r->cfg.workers_per_client + i;
    w->agent = r->node->agent;
  }
  if (harness_attach_sched(r->app, r->shared, &r->o.run.sched, r->o.run.clocks, r->node,
                           rt_be_backend(&r->be), err, errlen) != 0)
    return 2;
  rt_net_opts no = {.rank = r->o.rank,
                    .size = world,
                    .listen = r->o.listen,
                    .coordinator = r->o.coordinator,
                    .peers = r->o.hostfile,
                    .secret = r->o.secret,
                    .secret_len = r->o.secret_len,
                    .max_frame = r->o.max_frame ? r->o.max_frame : WIRE_MAX_FRAME,
                    .max_queued = r->o.max_queued,
                    .connect_timeout = r->o.connect_timeout,
                    .peer_timeout = r->o.peer_timeout};
  if (r->o.rendezvous) {
    int bad = r->o.rank == 0 ? rendezvous_check_fresh(r, err, errlen)
                             : rendezvous_wait(r, err, errlen);
    if (bad)
      return 1;
    no.coordinator = r->o.coordinator;
  }
  rt_net_handlers h = {r, h_frame, h_ctrl, h_ready, h_fail, h_done, h_log};
  r->net = rt_net_create(&r->loop, &no, &h, err, errlen);
  if (!r->net)
    return 1;
  rt_be_attach(&r->be, r->net, r->node);
  if (rt_net_start(r->net, err, errlen) != 0)
    return 1;
  if (r->o.rendezvous && r->o.rank == 0 && rendezvous_publish(r, err, errlen) != 0)
    return 1;
  if (r->o.verbose)
    fprintf(stderr, "stale: rank %u of %u listening on port %u\n", r->o.rank, world,
            rt_net_port(r->net));
  return 0;
}

/* Releases everything r holds, whatever run_setup got to. The loop must not
 * be running and no worker thread may be inside the core. */
static void run_free(rt_run *r) {
  if (r->loop_init && !r->ended) {
    if (r->net) {
      end_loop(r);
    } else { /* what end_loop closes, short of a transport */
      r->ended = 1;
      if (r->progress_open) uv_close((uv_handle_t *)&r->progress, NULL);
      r->progress_open = 0;
      if (r->be_init) rt_be_close(&r->be);
    }
  }
  if (r->loop_init) uv_run(&r->loop, UV_RUN_DEFAULT); /* runs the close callbacks */
  if (r->net) rt_net_destroy(r->net);
  node_destroy(r->node);
  if (r->be_init) rt_be_destroy(&r->be);
  if (r->loop_init) uv_loop_close(&r->loop);
  if (r->shared) r->app->free(r->shared);
  free(r->finished);
  free(r->rec);
  free(r->workers);
  free(r->clock_end);
  free(r->clock_known);
  free(r->time_count);
  free(r->time_max);
  if (r->clock_cond_init) pthread_cond_destroy(&r->clock_cond);
  if (r->cond_init) pthread_cond_destroy(&r->barrier_cond);
  rt_opt_free(&r->o);
  free(r);
}

int rt_run_main(int argc, char **argv) {
  /* A peer that resets its connection must be an error the loop reports
   * (EPIPE, naming the peer), not a silent death: libuv writes without
   * MSG_NOSIGNAL. */
  signal(SIGPIPE, SIG_IGN);
  rt_run *r = calloc(1, sizeof *r);
  if (!r) {
    fprintf(stderr, "stale run: out of memory\n");
    return 1;
  }
  char err[600] = "";
  int rc = rt_opt_parse(&r->o, argc, argv, err, sizeof err);
  if (rc != 0 || r->o.run.help) {
    if (r->o.run.help)
      rt_opt_usage(stdout);
    else
      fprintf(stderr, "stale run: %s\n", err);
    rt_opt_free(&r->o);
    free(r);
    return rc != 0 ? 2 : 0;
  }
  rt_be_keep_heap();
  int status = run_setup(r, err, sizeof err);
  if (status != 0) {
    fprintf(stderr, "stale run: rank %u: %s\n", r->o.rank, err);
    /* Handles may be open: close them before giving up. */
    if (r->net)
      rt_be_fail(&r->be);
    run_free(r); /* no worker started: everything can go */
    return status;
  }
  uv_run(&r->loop, UV_RUN_DEFAULT);
  if (r->exit_code != 0) {
    /* Started workers may be blocked forever inside the core: leave them
     * (what they use stays reachable); the process exits with this status.
     * Without any (a peer never joined), everything can go. */
    int status = r->exit_code, started = 0;
    for (uint32_t i = 0; i < r->cfg.workers_per_client; i++)
      started |= r->workers[i].started;
    if (started && r->o.rank == 0) {
      uint32_t n = write_partial_csv(r);
      if (n > 0)
        fprintf(stderr, "stale: wrote the %u clock%s completed before the failure to %s, "
                        "marked partial\n",
                n, n == 1 ? "" : "s", r->o.run.out ? r->o.run.out : "standard output");
    }
    if (!started)
      run_free(r);
    return status;
  }
  for (uint32_t i = 0; i < r->cfg.workers_per_client; i++)
    if (r->workers[i].started)
      pthread_join(r->workers[i].thr, NULL);
  status = r->o.rank == 0 ? write_csv(r) : 0;
  run_free(r);
  return status;
}
