/* sim.c: the simulated-run harness (sim_run). Builds or loads the platform,
 * creates one st_node and one simbe_node per host, starts a receiver actor
 * per node and the app's worker actors, runs SimGrid, and reads the
 * objective of every clock from the server shards afterwards. */
#include "sim.h"

#include <errno.h>
#include <math.h>
#include <simgrid/actor.h>
#include <simgrid/cond.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/mailbox.h>
#include <simgrid/mutex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "simbe.h"

/* One worker actor's handle: owned by the run. */
typedef struct sim_worker {
  simbe_sender out; /* first: the actor's data (see simbe.h) */
  struct sim_ctx *run;
  simbe_node *n;
  ps_worker w;
} sim_worker;

/* Everything a run owns while SimGrid runs. */
typedef struct sim_ctx {
  const sim_params *p;
  simbe_world world;
  simbe_node *bnodes;  /* [nnodes] */
  st_node **nodes;     /* [nnodes] */
  sim_worker *workers; /* [nnodes * wpn] */
  uint32_t *finished;  /* [clocks] workers done with each clock */
  sim_clock_stat *stats;
  uint32_t nworkers;
  int report_phase; /* 0: not yet, 1: reports sent, 2: released */
  uint32_t end;  /* the end the workers returned (UINT32_MAX: none yet) */
  int disagree;  /* a worker returned another end: a bug */
  /* The model's snapshots: each shard's clock as last seen, how many
   * shards have every worker's updates of each clock, and how many clocks
   * have their model objective. Worker states stay alive (wstates) until
   * the model of their last clock is measured. */
  st_clock_t *shard_seen; /* [nservers] */
  uint32_t *shards_done;  /* [clocks] */
  uint32_t model_done;
  void **wstates;         /* [nworkers] */
  sg_mutex_t model_mutex; /* with model_cond and clock_cond */
  sg_cond_t model_cond;   /* model_done moved */
  sg_cond_t clock_cond;   /* a clock was finished by every worker */
  int freeing;            /* a worker's state is about to be freed: no more samples */
  sim_sample *samples;    /* sim_params.model_every: [nsamples], capacity capsamples */
  size_t nsamples, capsamples;
} sim_ctx;

static int sim_initialised;

/* This clock's work multiplier for node: a transient straggler is drawn
 * independently per (seed, node, clock) by a hash, so it does not depend on
 * the order actors run in. */
static double sim_straggle(const sim_params *p, uint32_t node, uint32_t clock) {
  if (!(p->straggle_fraction > 0) || p->straggle_factor == 1.0) return 1.0;
  uint64_t z = p->seed ^ 0x5354524147474cull; /* "STRAGGL" */
  z += ((uint64_t)node << 32 | clock) * 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  double u = (double)(z >> 11) * 0x1.0p-53;
  return u < p->straggle_fraction ? p->straggle_factor : 1.0;
}

/* Once the run is quiet: every node reports the end barrier (its shard's
 * metrics rows) to node 0 through the core (rep.h), as the real runtime
 * does; then node 0 releases it. Called by the last worker, with no frame
 * in flight. The simulator's own per-clock record is global (the time the
 * last worker finished a clock), so the reports carry no records. */
static int sim_at_quiet(void *arg) {
  sim_ctx *r = arg;
  uint32_t n = r->p->cfg.nclients, end = r->end;
  int rc = 0;
  if (end == UINT32_MAX) return 0; /* a worker failed: the run ends with its error */
  if (r->report_phase == 0) {
    for (uint32_t i = 0; i < n && rc == 0; i++) {
      rc = rep_arrive(r->nodes[i]->rep, end, NULL, 0, 0, r->nodes[i]->server);
      simbe_flush(&r->bnodes[i]);
    }
  } else if (r->report_phase == 1) {
    rc = rep_release(r->nodes[0]->rep, end);
    simbe_flush(&r->bnodes[0]);
  } else {
    return 0;
  }
  if (rc) {
    char msg[160];
    snprintf(msg, sizeof msg, "the end-of-run report failed: %s", st_strerror(rc));
    simbe_fail(&r->world, rc, msg);
    return 0;
  }
  r->report_phase++;
  return 1;
}

/* Harness hook: this clock's work multiplier of the worker's node. */
static void sim_before_step(void *ctx, ps_worker *w, uint32_t clock) {
  sim_ctx *r = ctx;
  r->bnodes[w->client_index].slow[w->id] = sim_straggle(r->p, w->client_index, clock);
}

/* Harness hook for --until-time: waits until every worker has finished
 * clock c; its time is the simulated instant the last one did. */
static int sim_clock_time(void *ctx, ps_worker *w, uint32_t c, double *time) {
  (void)w;
  sim_ctx *r = ctx;
  sg_mutex_lock(r->model_mutex);
  while (r->finished[c] < r->nworkers && !r->world.error) sg_cond_wait(r->clock_cond, r->model_mutex);
  sg_mutex_unlock(r->model_mutex);
  *time = r->stats[c].time;
  return r->finished[c] == r->nworkers ? 0 : ST_ESTATE;
}

static int sim_after_init(void *ctx, ps_worker *w, void *ws, char *msg, size_t msglen) {
  (void)msg;
  (void)msglen;
  sim_ctx *r = ctx;
  r->wstates[w->global_index] = ws;
  return 0;
}

/* Harness hook: a worker's state must outlive the model snapshots of the
 * clocks it ran (the servers may not have its last updates yet). */
static void sim_before_free(void *ctx, ps_worker *w, void *ws, int failed) {
  (void)ws;
  sim_ctx *r = ctx;
  if (!failed && r->p->app->model_terms) {
    st_clock_t end = cl_worker_clock(w->client, w->id);
    sg_mutex_lock(r->model_mutex);
    while (r->model_done < end && !r->world.error) sg_cond_wait(r->model_cond, r->model_mutex);
    sg_mutex_unlock(r->model_mutex);
  }
  r->freeing = 1; /* the first state goes: the model is no longer whole */
  r->wstates[w->global_index] = NULL;
}

static int sim_model_read(void *ctx, uint32_t table, uint32_t row, float *out) {
  sim_ctx *r = ctx;
  const st_config *cfg = &r->p->cfg;
  uint32_t shard = tbl_shard(table, row, cfg->nservers);
  return srv_read_row(r->nodes[cfg_server_node(cfg, shard)]->server, table, row, out);
}

/* The model objective from the servers' rows and every worker's current
 * state (when: "of clock k" or "at T s", for an error message); 1 if
 * measured, 0 if not (*out NAN). At clock k's snapshot every shard has
 * every worker's updates of clock k. The terms are
 * summed as the PS sums a metrics row in ordered mode (cl.h, srv.h): each
 * node's workers in worker order, then the nodes in node order, so that
 * `stale run --model-objective` at s = 0 gets the same floats (with one
 * worker per node this is plain worker order). An app that has no model
 * for this run (model_terms > 0: a scheduled Lasso) leaves it unmeasured. */
static int sim_model_value(sim_ctx *r, const char *when, double *out) {
  const app_ops *app = r->p->app;
  double obj = NAN;
  int have = 0;
  if (app->model_terms) {
    float sum[APP_METRICS_WIDTH] = {0};
    app_model m = {.ctx = r, .read = sim_model_read};
    uint32_t wpn = r->p->cfg.workers_per_client;
    have = 1;
    for (uint32_t i = 0; i < r->nworkers && have; i += wpn) {
      float node[APP_METRICS_WIDTH] = {0};
      for (uint32_t g = i; g < i + wpn && have; g++) {
        float row[APP_METRICS_WIDTH] = {0};
        int rc = r->wstates[g] ? app->model_terms(r->p->shared, r->wstates[g], &m, row) : ST_ESTATE;
        if (rc > 0) {
          have = 0;
        } else if (rc) {
          char msg[160];
          snprintf(msg, sizeof msg, "worker %u: %s model_terms %s failed: %s", (unsigned)g,
                   app->name, when, st_strerror(rc));
          simbe_fail(&r->world, rc, msg);
          have = 0;
        }
        for (uint32_t j = 0; j < APP_METRICS_WIDTH; j++) node[j] += row[j];
      }
      for (uint32_t j = 0; j < APP_METRICS_WIDTH; j++) sum[j] += node[j];
    }
    if (have) obj = app->objective(r->p->shared, sum);
  }
  *out = obj;
  return have;
}

/* Clock k's model (see sim_model_value), recorded in its stats. */
static void sim_model_eval(sim_ctx *r, uint32_t k) {
  char when[32];
  snprintf(when, sizeof when, "of clock %u", (unsigned)k);
  double obj;
  int have = sim_model_value(r, when, &obj);
  r->stats[k].has_model = (uint8_t)have;
  r->stats[k].model_objective = obj;
  sg_mutex_lock(r->model_mutex);
  r->model_done = k + 1;
  sg_cond_notify_all(r->model_cond);
  sg_mutex_unlock(r->model_mutex);
}

/* simbe hook: a server handled a frame. A clock that every shard now has
 * from every worker is the model's snapshot. */
static void sim_server_frame(void *arg, simbe_node *n) {
  sim_ctx *r = arg;
  const st_config *cfg = &r->p->cfg;
  uint32_t shard = n->id - cfg->server_base;
  st_clock_t now = srv_min_clock(n->node->server), was = r->shard_seen[shard];
  if (now <= was) return;
  r->shard_seen[shard] = now;
  for (st_clock_t k = was; k < now && k < r->p->clocks; k++) {
    if (++r->shards_done[k] == cfg->nservers) sim_model_eval(r, k);
  }
}

/* Harness hook: the last worker to finish a clock records it. */
static int sim_after_clock(void *ctx, ps_worker *w, void *ws, uint32_t c, char *msg,
                           size_t msglen) {
  (void)w;
  (void)ws;
  (void)msg;
  (void)msglen;
  sim_ctx *r = ctx;
  const sim_params *p = r->p;
  if (++r->finished[c] == r->nworkers) {
    sim_clock_stat *s = &r->stats[c];
    s->time = simgrid_get_clock();
    s->bytes = r->world.bytes_sent;
    s->blocked = r->world.blocked;
    harness_clock_rec tot = {0};
    for (uint32_t i = 0; i < p->cfg.nclients; i++) harness_add_node_stats(&tot, r->nodes[i]);
    s->bytes_early = tot.bytes_early;
    s->bytes_clock = tot.bytes_clock;
    s->reads = tot.reads;
    s->stale = tot.stale;
    s->pacing = tot.pacing;
    sg_mutex_lock(r->model_mutex);
    sg_cond_notify_all(r->clock_cond);
    sg_mutex_unlock(r->model_mutex);
    if (p->progress) p->progress(p->progress_arg, c, p->clocks, s->time);
  }
  return 0;
}

/* sim_params.model_every: samples the model at every multiple of it while
 * every worker's state is alive (none before the workers are set up or
 * once one is about to be freed). It only reads: a daemon that sends
 * nothing, so the run's frames and times are the same without it. */
static void sim_sampler_actor(int argc, char **argv) {
  (void)argc;
  (void)argv;
  sim_ctx *r = sg_actor_self_get_data();
  sg_actor_daemonize(sg_actor_self());
  for (uint64_t k = 1; !r->world.error && !r->freeing; k++) {
    sg_actor_sleep_until((double)k * r->p->model_every);
    if (r->world.error || r->freeing) break;
    int alive = 1;
    for (uint32_t g = 0; g < r->nworkers && alive; g++) alive = r->wstates[g] != NULL;
    if (!alive) continue;
    double t = simgrid_get_clock(), obj;
    char when[48];
    snprintf(when, sizeof when, "at %.6f s", t);
    if (!sim_model_value(r, when, &obj)) continue;
    if (r->nsamples == r->capsamples) {
      size_t cap = r->capsamples ? 2 * r->capsamples : 256;
      sim_sample *v = realloc(r->samples, cap * sizeof *v);
      if (!v) {
        simbe_fail(&r->world, ST_ENOMEM, "out of memory for the model samples");
        break;
      }
      r->samples = v;
      r->capsamples = cap;
    }
    r->samples[r->nsamples++] = (sim_sample){t, obj};
  }
}

static void sim_worker_actor(int argc, char **argv) {
  (void)argc;
  (void)argv;
  sim_worker *sw = sg_actor_self_get_data();
  sim_ctx *r = sw->run;
  const sim_params *p = r->p;
  char msg[200];
  simbe_worker_wait_start(&r->world);
  harness_hooks hooks = {.ctx = r,
                         .after_init = sim_after_init,
                         .before_step = sim_before_step,
                         .after_clock = sim_after_clock,
                         .clock_time = sim_clock_time,
                         .before_free = sim_before_free};
  harness_run run = {.app = p->app, .shared = p->shared, .first = 0, .end = p->clocks,
                     .hooks = &hooks, .stop = p->stop, .staleness = p->cfg.staleness};
  uint32_t end;
  int rc = harness_run_worker(&run, &sw->w, &end, msg, sizeof msg);
  if (rc != 0) {
    simbe_fail(&r->world, rc, msg);
    return;
  }
  if (r->end == UINT32_MAX)
    r->end = end;
  else if (end != r->end)
    r->disagree = 1;
  simbe_worker_done(&r->world, &sw->out);
}

/* SimGrid's options: quiet logs (output must be deterministic) and small
 * stacks (thousands of actors). */
static void sim_init_simgrid(uint32_t stack_kib) {
  /* No TCP ack cross-traffic: half the flows for SimGrid to share. */
  static char a0[] = "stale", a1[] = "--log=root.thres:critical",
              a3[] = "--cfg=network/crosstraffic:0";
  static char a2[64];
  snprintf(a2, sizeof a2, "--cfg=contexts/stack-size:%u", (unsigned)stack_kib);
  char *argv[] = {a0, a1, a2, a3, NULL};
  int argc = 4;
  simgrid_init(&argc, argv);
}

/* Writes the generated platform to a temporary file and loads it. */
static int sim_load_generated(const plat_spec *spec, char *err, size_t errlen) {
  char *xml = NULL;
  int rc = plat_build_xml(spec, &xml, err, errlen);
  if (rc) return rc;
  const char *dir = getenv("TMPDIR");
  char path[512];
  snprintf(path, sizeof path, "%s/stale-plat-XXXXXX", dir && *dir ? dir : "/tmp");
  int fd = mkstemp(path);
  if (fd < 0) {
    free(xml);
    snprintf(err, errlen, "%s: cannot create the platform file", path);
    return ST_EIO;
  }
  size_t len = strlen(xml), off = 0;
  while (off < len) {
    ssize_t k = write(fd, xml + off, len - off);
    if (k <= 0) break;
    off += (size_t)k;
  }
  close(fd);
  free(xml);
  if (off < len) {
    unlink(path);
    snprintf(err, errlen, "%s: cannot write the platform file", path);
    return ST_EIO;
  }
  simgrid_load_platform(path);
  unlink(path);
  return 0;
}

/* The hosts nodes run on: node<i> of a generated platform, or the first
 * nclients hosts (in SimGrid's host order, i.e. by name) of a file. */
static int sim_hosts(const sim_params *p, sg_host_t *hosts, char *err, size_t errlen) {
  uint32_t n = p->cfg.nclients;
  if (!p->platform_file) {
    for (uint32_t i = 0; i < n; i++) {
      char name[32];
      snprintf(name, sizeof name, "node%u", (unsigned)i);
      hosts[i] = sg_host_by_name(name);
      if (!hosts[i]) {
        snprintf(err, errlen, "generated platform lacks host %s", name);
        return ST_ESTATE;
      }
    }
    return 0;
  }
  size_t count = sg_host_count();
  if (count < n) {
    snprintf(err, errlen, "%s: has %zu hosts, %u nodes requested", p->platform_file, count,
             (unsigned)n);
    return ST_EINVAL;
  }
  sg_host_t *all = sg_host_list();
  memcpy(hosts, all, n * sizeof *hosts);
  free(all);
  return 0;
}


/* Objective of each clock from the metrics rows node 0 collected. */
static int sim_objectives(sim_ctx *r) {
  const rep_state *rep = r->nodes[0]->rep;
  if (rep_released(rep) != r->end) return ST_ESTATE;
  for (uint32_t c = 0; c < r->end; c++) {
    const float *row = rep_row(rep, c);
    if (!row) return ST_ESTATE;
    memcpy(r->stats[c].metrics, row, sizeof r->stats[c].metrics);
    r->stats[c].objective = r->p->app->objective(r->p->shared, row);
  }
  return 0;
}

static void sim_free(sim_ctx *r) {
  uint32_t n = r->p->cfg.nclients;
  if (r->nodes)
    for (uint32_t i = 0; i < n; i++)
      if (r->nodes[i]) node_destroy(r->nodes[i]);
  if (r->bnodes)
    for (uint32_t i = 0; i < n; i++) simbe_node_free(&r->bnodes[i]);
  free(r->nodes);
  free(r->bnodes);
  free(r->workers);
  free(r->finished);
  free(r->shard_seen);
  free(r->shards_done);
  free(r->wstates);
  if (r->model_cond) sg_cond_destroy(r->model_cond);
  if (r->clock_cond) sg_cond_destroy(r->clock_cond);
  if (r->model_mutex) sg_mutex_destroy(r->model_mutex);
  free(r->world.mbox);
  simbe_timers_free(&r->world);
  if (r->world.quiet) sg_cond_destroy(r->world.quiet);
  if (r->world.ready_cond) sg_cond_destroy(r->world.ready_cond);
  if (r->world.all_done) sg_cond_destroy(r->world.all_done);
  if (r->world.mutex) sg_mutex_destroy(r->world.mutex);
}

static int sim_setup(sim_ctx *r, char *err, size_t errlen) {
  const sim_params *p = r->p;
  const st_config *cfg = &p->cfg;
  uint32_t n = cfg->nclients, wpn = cfg->workers_per_client;
  tbl_set tables;
  int rc = harness_tables(p->app, p->shared, p->clocks, 0, &tables);
  if (rc) {
    snprintf(err, errlen, "%s: defining tables failed: %s", p->app->name, st_strerror(rc));
    return rc;
  }
  sg_host_t *hosts = calloc(n, sizeof *hosts);
  r->world.mbox = calloc(n, sizeof *r->world.mbox);
  r->bnodes = calloc(n, sizeof *r->bnodes);
  r->nodes = calloc(n, sizeof *r->nodes);
  r->nworkers = n * wpn;
  r->workers = calloc(r->nworkers, sizeof *r->workers);
  r->finished = calloc(p->clocks, sizeof *r->finished);
  r->shard_seen = calloc(cfg->nservers, sizeof *r->shard_seen);
  r->shards_done = calloc(p->clocks, sizeof *r->shards_done);
  r->wstates = calloc(r->nworkers, sizeof *r->wstates);
  r->end = UINT32_MAX;
  r->model_mutex = sg_mutex_init();
  r->model_cond = sg_cond_init();
  r->clock_cond = sg_cond_init();
  r->world.server_frame = sim_server_frame;
  r->world.server_frame_arg = r;
  if (!hosts || !r->world.mbox || !r->bnodes || !r->nodes || !r->workers || !r->finished ||
      !r->shard_seen || !r->shards_done || !r->wstates) {
    free(hosts);
    snprintf(err, errlen, "out of memory for %u nodes", (unsigned)n);
    return ST_ENOMEM;
  }
  rc = sim_hosts(p, hosts, err, errlen);
  if (rc) {
    free(hosts);
    return rc;
  }
  r->world.nnodes = n;
  r->world.nodes = r->bnodes;
  r->world.switch_mode = !p->platform_file && p->plat.ports;
  r->world.in_bw = p->plat.bandwidth;
  r->world.latency = p->plat.latency;
  r->world.window = p->nic_window ? p->nic_window : SIM_NIC_WINDOW;
  r->world.ready_needed = n;
  r->world.workers_left = r->nworkers;
  r->world.at_quiet = sim_at_quiet;
  r->world.at_quiet_arg = r;
  r->world.mutex = sg_mutex_init();
  r->world.quiet = sg_cond_init();
  r->world.ready_cond = sg_cond_init();
  r->world.all_done = sg_cond_init();
  for (uint32_t i = 0; i < n; i++) {
    char name[32];
    snprintf(name, sizeof name, "mb%u", (unsigned)i);
    r->world.mbox[i] = sg_mailbox_by_name(name);
    rc = simbe_node_init(&r->bnodes[i], &r->world, i, hosts[i], wpn);
    if (rc == 0) {
      r->nodes[i] = node_create(cfg, &tables, i, &r->bnodes[i].be);
      if (!r->nodes[i]) rc = ST_ENOMEM;
    }
    if (rc) {
      free(hosts);
      snprintf(err, errlen, "node %u: creation failed: %s", (unsigned)i, st_strerror(rc));
      return rc;
    }
    r->bnodes[i].node = r->nodes[i];
  }
  rc = harness_attach_sched(p->app, p->shared, p->sched, p->clocks, r->nodes[0], &r->bnodes[0].be,
                            err, errlen);
  if (rc) {
    free(hosts);
    return rc;
  }
  rc = simbe_timers_start(&r->world, r->bnodes[0].host);
  free(hosts);
  if (rc) {
    snprintf(err, errlen, "out of memory for the timer queue");
    return rc;
  }
  /* Mailbox owners first: workers wait until all are registered. */
  for (uint32_t i = 0; i < n; i++) {
    if (r->world.switch_mode) {
      char name[32];
      snprintf(name, sizeof name, "port%u", (unsigned)i);
      sg_host_t port = sg_host_by_name(name);
      if (!port) {
        snprintf(err, errlen, "generated platform lacks host %s", name);
        return ST_ESTATE;
      }
      if (simbe_start_port(&r->bnodes[i], port) != 0) {
        snprintf(err, errlen, "out of memory for node %u's port", (unsigned)i);
        return ST_ENOMEM;
      }
    }
    simbe_start_receiver(&r->bnodes[i]);
  }
  for (uint32_t i = 0; i < n; i++)
    for (uint32_t k = 0; k < wpn; k++) {
      sim_worker *sw = &r->workers[i * wpn + k];
      sw->run = r;
      sw->n = &r->bnodes[i];
      sw->w = (ps_worker){.client = r->nodes[i]->client,
                          .be = &r->bnodes[i].be,
                          .id = k,
                          .client_index = i,
                          .nworkers = r->nworkers,
                          .global_index = i * wpn + k,
                          .agent = r->nodes[i]->agent};
      char name[40];
      snprintf(name, sizeof name, "w%u.%u", (unsigned)i, (unsigned)k);
      sg_actor_t a = sg_actor_init(name, r->bnodes[i].host);
      sg_actor_set_data(a, sw);
      sg_actor_start(a, sim_worker_actor, 0, NULL);
    }
  if (p->model_every > 0) {
    sg_actor_t a = sg_actor_init("sampler", r->bnodes[0].host);
    sg_actor_set_data(a, r);
    sg_actor_start(a, sim_sampler_actor, 0, NULL);
  }
  return 0;
}

int sim_run(const sim_params *p, sim_clock_stat *stats, char *err, size_t errlen) {
  if (sim_initialised) {
    snprintf(err, errlen, "SimGrid runs once per process");
    return ST_ESTATE;
  }
  int rc = cfg_check(&p->cfg);
  if (rc || p->cfg.nclients == 0 || p->cfg.server_base + p->cfg.nservers > p->cfg.nclients ||
      p->clocks == 0) {
    snprintf(err, errlen, "bad cluster shape: %u nodes, %u servers, %u clocks",
             (unsigned)p->cfg.nclients, (unsigned)p->cfg.nservers, (unsigned)p->clocks);
    return ST_EINVAL;
  }
  if (!p->platform_file && p->plat.nodes != p->cfg.nclients) {
    snprintf(err, errlen, "platform has %u nodes, cluster %u", (unsigned)p->plat.nodes,
             (unsigned)p->cfg.nclients);
    return ST_EINVAL;
  }
  sim_initialised = 1;
  sim_init_simgrid(p->stack_kib ? p->stack_kib : SIM_DEFAULT_STACK_KIB);
  if (p->platform_file) {
    if (access(p->platform_file, R_OK) != 0) {
      snprintf(err, errlen, "%s: cannot read the platform file", p->platform_file);
      return ST_EINVAL;
    }
    simgrid_load_platform(p->platform_file);
  } else {
    rc = sim_load_generated(&p->plat, err, errlen);
    if (rc) return rc;
  }
  sim_ctx r;
  memset(&r, 0, sizeof r);
  r.p = p;
  r.stats = stats;
  memset(stats, 0, p->clocks * sizeof *stats);
  if (p->trace_frames && !(r.world.trace = fopen(p->trace_frames, "w"))) {
    snprintf(err, errlen, "--trace-frames: %s: %s", p->trace_frames, strerror(errno));
    return ST_EINVAL;
  }
  rc = sim_setup(&r, err, errlen);
  if (rc == 0) {
    simgrid_run();
    if (r.world.error) {
      rc = r.world.error;
      snprintf(err, errlen, "%s", r.world.errmsg);
    } else if (r.disagree || r.end == UINT32_MAX || r.end == 0) {
      rc = ST_ESTATE;
      snprintf(err, errlen, "simulation bug: the workers stopped after different clocks");
    } else if (r.finished[r.end - 1] != r.nworkers || r.world.inflight != 0) {
      rc = ST_ESTATE;
      snprintf(err, errlen, "simulation ended early: %u of %u workers finished, %llu frames in flight",
               (unsigned)r.finished[r.end - 1], (unsigned)r.nworkers,
               (unsigned long long)r.world.inflight);
    } else if (p->app->model_terms && r.model_done < r.end) {
      rc = ST_ESTATE;
      snprintf(err, errlen, "simulation bug: the model of clock %u was never measured",
               (unsigned)r.model_done);
    } else {
      rc = sim_objectives(&r);
      if (rc) snprintf(err, errlen, "reading the metrics rows failed: %s", st_strerror(rc));
      if (p->ran) *p->ran = r.end;
      uint32_t d = harness_stop_clock(&p->stop, p->cfg.staleness, 0, r.end, p->clocks);
      if (p->stopped_by)
        *p->stopped_by =
            d == UINT32_MAX ? HARNESS_STOP_CLOCKS
                            : harness_stop_met(&p->stop, r.stats[d].time, r.stats[d].objective);
    }
    if (rc == 0 && p->inspect) p->inspect(p->inspect_arg, r.nodes, p->cfg.nclients);
  }
  if (r.world.trace && (ferror(r.world.trace) | fclose(r.world.trace)) != 0 && rc == 0) {
    snprintf(err, errlen, "--trace-frames: %s: write failed", p->trace_frames);
    rc = ST_EIO;
  }
  if (p->samples) {
    *p->samples = r.samples;
    if (p->nsamples) *p->nsamples = r.nsamples;
  } else {
    free(r.samples);
  }
  sim_free(&r);
  return rc;
}
