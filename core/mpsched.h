/* mpsched.h: the model-parallel scheduler after STRADS (Lee et al., NIPS 2014;
 * Kim et al., EuroSys 2016), as two state machines of the core.
 *
 * The coordinator (sched_coord, on node 0) owns the model's scheduled
 * variables: their values, their priorities (squared last change plus a
 * floor eta), which are in flight, and the rounds dispatched and not yet
 * complete. A round: sample candidates (by priority or uniformly), drop any
 * whose dependency with one already picked exceeds rho, send the picked set
 * to the workers in a TASK frame (with the changes of the last round that
 * completed), gather every worker's RESULT, and when the round is complete
 * turn the summed results into the variables' new values (the app's update
 * op) and their new priorities (a result is any float: a diverging run's
 * infinities are the app's to show, its priorities are capped). Up to `depth` rounds are dispatched beyond
 * the oldest incomplete one (STRADS' pipelining): round k leaves when round
 * k - depth - 1 completes, so what it samples from depends only on rounds
 * up to k - depth - 1 and the rounds are the same on every backend.
 *
 * Two ways to dispatch: SCHED_BROADCAST (every worker gets the whole set and
 * reports a partial result per variable over its own data, summed at the
 * coordinator in worker order: row-partitioned data, Lasso's coordinate
 * descent) and the rotation schedule (worker g gets block (g + k) mod B in
 * round k: disjoint blocks, nothing summed: MF, LDA).
 *
 * The agent (sched_agent, on every client node) queues the tasks of its
 * node's workers and sends their results; the worker API (ps.h) blocks on
 * it. A worker's first fetch sends a HELLO: the coordinator starts once every
 * worker has said it, so no backend needs to know when the run begins.
 *
 * Both own their buffers; they borrow the backend. Frames: WIRE_TASK (node
 * 0 -> client node; hdr.clock = round) and WIRE_RESULT (client -> node 0). */
#ifndef MPSCHED_H
#define MPSCHED_H

#include "backend.h"
#include "cfg.h"
#include "wire.h"

typedef enum sched_kind {
  SCHED_NONE = 0,   /* no scheduler: a data-parallel run */
  SCHED_SEQUENTIAL, /* one variable a round, cyclically: the reference */
  SCHED_SHOTGUN,    /* size variables uniformly at random (Bradley et al. 2011) */
  SCHED_PRIORITY,   /* size variables by priority */
  SCHED_DEPENDENCY, /* uniform candidates, dependency filter */
  SCHED_PRIODEP,    /* priority candidates, dependency filter (STRADS) */
  SCHED_ROTATION,   /* disjoint blocks per worker, rotating */
  SCHED_KIND_COUNT
} sched_kind;

/* STRADS' Lasso defaults: schedule_size 32, infthreshold 0.1. */
#define SCHED_DEFAULT_SIZE 32u
#define SCHED_DEFAULT_RHO 0.1
#define SCHED_DEFAULT_ETA 1e-6
/* Candidates drawn per round by the dependency schedules: this many times
 * the size (the filter keeps at most size of them, each at most rho from
 * every other and from every variable of the rounds in flight). */
#define SCHED_OVERSAMPLE 2u

typedef struct sched_params {
  uint8_t kind;             /* sched_kind */
  uint32_t size;            /* variables per round (at most), >= 1 */
  double rho;               /* dependency threshold, >= 0 */
  double eta;               /* priority floor, > 0 */
  uint32_t depth;           /* rounds dispatched beyond the oldest incomplete one */
  uint32_t rounds_per_clock; /* rounds a worker runs per clock (the CSV's row) */
  uint32_t rounds;          /* rounds in the run (clocks * rounds_per_clock) */
  uint64_t seed;
} sched_params;

/* SCHED_NONE, defaults above, depth 0, 1 round per clock. */
sched_params sched_params_defaults(void);
/* The kind named s ("sequential", "shotgun", "priority", "dependency",
 * "priority+dependency", "rotation"): 0 or ST_EPARSE. */
int sched_kind_parse(const char *s, uint8_t *kind);
/* Static name of a kind ("none" for SCHED_NONE, "?" for others). */
const char *sched_kind_name(uint8_t kind);

/* What the app tells the scheduler: how many variables (blocks for
 * rotation), what a result holds, and the two functions. ctx is the app's
 * (borrowed; the ops may only read it). */
typedef struct sched_app {
  void *ctx;
  uint32_t nvars;
  uint32_t width; /* result floats per variable, >= 1 */
  /* Broadcast mode: the variable's new value from its old one and the
   * workers' results for it, summed in worker order (sum[width]). Required
   * unless the kind is rotation. */
  float (*update)(void *ctx, uint32_t var, float old, const double *sum);
  /* Dependency of two variables, >= 0 (Lasso: |correlation| of columns);
   * adds the work it did (flops) to *work, which the workers are charged
   * as the scheduler's time. Required by the dependency schedules. */
  double (*dep)(void *ctx, uint32_t a, uint32_t b, double *work);
} sched_app;

/* ---- the sampler: weighted draws without replacement (a Fenwick tree) -- */

typedef struct sched_sampler {
  uint32_t n;
  double *tree; /* [n + 1] partial sums */
  double *w;    /* [n] weights */
  uint64_t rng;
} sched_sampler;

/* 0 or ST_ENOMEM; weights start at 0. */
int sched_sampler_init(sched_sampler *s, uint32_t n, uint64_t seed);
void sched_sampler_free(sched_sampler *s);
/* Sets every weight (w[n], borrowed, each >= 0) and rebuilds the tree. */
void sched_sampler_set_all(sched_sampler *s, const double *w);
/* Sets weight i. */
void sched_sampler_set(sched_sampler *s, uint32_t i, double w);
/* Draws i with probability w[i] / sum(w) and sets its weight to 0 (so
 * successive draws are without replacement). -1 when every weight is 0. */
int64_t sched_sampler_draw(sched_sampler *s);
/* The generator's next uniform integer in [0, n). */
uint32_t sched_rand(uint64_t *state, uint32_t n);

/* ---- the coordinator (node 0) ------------------------------------------ */

typedef struct sched_coord sched_coord;
typedef struct sched_agent sched_agent;

typedef struct sched_stats {
  uint64_t rounds_done;   /* rounds complete */
  uint64_t picked;        /* variables dispatched */
  uint64_t rejected;      /* candidates the dependency filter dropped */
  uint64_t dep_calls;     /* dependency evaluations */
  double max_admitted;    /* largest dependency of a pair admitted together */
} sched_stats;

/* The coordinator of a cluster of cfg (copied), scheduling app (copied; its
 * ctx borrowed for the coordinator's life) under p (copied). local is node
 * 0's agent (borrowed), to which node 0's own tasks go without a frame. NULL
 * if p or app do not fit (kind none, size 0, eta <= 0, a required op
 * missing, rotation with fewer blocks than workers) or on allocation
 * failure. */
sched_coord *sched_coord_create(const st_config *cfg, const sched_params *p,
                                const sched_app *app, const st_backend *be, sched_agent *local);
void sched_coord_destroy(sched_coord *c);
/* A RESULT frame (HELLO or a round's result). 0, or ST_EPEER / ST_ERANGE /
 * ST_ESTATE for a frame that must be refused (nothing taken from it), or a
 * send error. */
int sched_coord_on_message(sched_coord *c, const wire_msg *m);
/* Values of every variable as of the last complete round (nvars floats). */
const float *sched_coord_values(const sched_coord *c);
/* Current priority of var (its weight for the priority schedules). */
double sched_coord_priority(const sched_coord *c, uint32_t var);
const sched_stats *sched_coord_stats(const sched_coord *c);
/* 1 once every round of the run is complete. */
int sched_coord_finished(const sched_coord *c);

/* ---- the agent (every client node) ------------------------------------- */

/* A task as a worker sees it; arrays borrowed until the worker's next
 * sched_agent_done (or ps_task_done). */
typedef struct sched_task {
  uint32_t round;
  uint32_t nvars;
  const uint32_t *vars;     /* variables (blocks) to work on, in order */
  uint32_t nchanges;        /* changes of the round that completed last */
  const uint32_t *change_vars;
  const float *change_vals; /* their new values */
  double work;              /* scheduler's work charged to this worker */
} sched_task;

/* The agent of client node `node` of cfg (copied). NULL on allocation
 * failure. */
sched_agent *sched_agent_create(const st_config *cfg, uint32_t node, const st_backend *be);
void sched_agent_destroy(sched_agent *a);
/* Node 0: where results go without a frame (borrowed). */
void sched_agent_set_local(sched_agent *a, sched_coord *c);
/* Worker's next task into *t: 0, or ST_WAIT (none yet: block, then call
 * again; the first call also says HELLO), or a send error. */
int sched_agent_next(sched_agent *a, uint32_t worker, sched_task *t);
/* Worker's result for its current task: vals[nvars * width] in the task's
 * variable order (borrowed). 0, ST_ESTATE (no current task), ST_EINVAL (n
 * not nvars * width), or a send error. */
int sched_agent_done(sched_agent *a, uint32_t worker, const float *vals, uint32_t n);
/* A TASK frame from node 0: queues it for the workers it names and wakes
 * them. 0, or ST_EPEER / ST_ERANGE for a frame that must be refused. */
int sched_agent_on_message(sched_agent *a, const wire_msg *m);

#endif
