/* sim.h: one simulated run of an app on a SimGrid platform, and the
 * `stale sim` / `stale calibrate` commands.
 *
 * sim_run initialises SimGrid, which can happen once per process: the CLI
 * forks one child per run of a sweep. sim_run borrows everything in its
 * params (the app's shared state stays owned by the caller) and writes one
 * sim_clock_stat per clock into the caller's array. */
#ifndef SIM_H
#define SIM_H

#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "cfg.h"
#include "harness.h"
#include "plat.h"

typedef struct sim_clock_stat {
  double time;      /* simulated seconds when the last worker finished the clock */
  uint64_t bytes;   /* bytes sent by all nodes up to then */
  double blocked;   /* worker seconds spent blocked on freshness up to then */
  double objective; /* app->objective of the clock's summed metrics row */
  /* All nodes' managed-communication counters up to then (harness.h). */
  double bytes_early, bytes_clock, reads, stale, pacing;
  float metrics[APP_METRICS_WIDTH]; /* that row */
  /* The objective of the model the servers hold once every shard has every
   * worker's updates of the clock (app->model_terms with each worker's
   * state at that simulated instant; node-mates' terms summed first, as
   * the PS sums them); NAN if the app has no model_terms. */
  double model_objective;
  uint8_t has_model; /* model_objective was measured (the app has a model for this run) */
} sim_clock_stat;

/* One sample of the model between clocks (sim_params.model_every). */
typedef struct sim_sample {
  double time;      /* simulated seconds */
  double objective; /* of the servers' model then, as model_objective */
} sim_sample;

/* Called after the simulation, before the nodes are destroyed, so a caller
 * (a test) can read the servers' tables. nodes[0..n) are borrowed. */
typedef void (*sim_inspect_fn)(void *arg, st_node *const *nodes, uint32_t n);
/* Called when a clock has been finished by every worker. */
typedef void (*sim_progress_fn)(void *arg, uint32_t clock, uint32_t clocks, double sim_time);

typedef struct sim_params {
  const app_ops *app; /* borrowed */
  void *shared;       /* the app's loaded state; borrowed */
  st_config cfg;      /* nclients = nodes; nservers, workers, staleness, push */
  uint32_t clocks;     /* the most clocks the run has */
  harness_stop stop;   /* --until-time, --target (zeroed: none) */
  /* Optional outputs: clocks the run had (stats[0..*ran) filled) and why
   * it ended (HARNESS_STOP_*). */
  uint32_t *ran;
  int *stopped_by;
  const char *platform_file; /* NULL: build from plat */
  plat_spec plat;            /* nodes must equal cfg.nclients when used */
  uint32_t stack_kib;        /* actor stack size; 0: SIM_DEFAULT_STACK_KIB */
  uint32_t nic_window;       /* 0: SIM_NIC_WINDOW */
  /* Optional: a file written with one "src dst bytes" line per frame sent,
   * in send order (sim/bench replays it); NULL: none. Borrowed. */
  const char *trace_frames;
  /* Transient stragglers: in every clock, each node is independently slow
   * with probability straggle_fraction, its work then taking
   * straggle_factor times longer (a pause, a co-located job). Drawn from
   * seed, node and clock, so runs repeat exactly. */
  double straggle_fraction, straggle_factor;
  uint64_t seed;
  const sched_params *sched; /* the run's schedule; NULL: none. Borrowed */
  /* > 0: also samples the model every model_every simulated seconds while
   * every worker's state is alive (the snapshot of model_objective, taken
   * at that instant, not when a clock is complete): rows complete in
   * bursts at s > 0 (when the slowest worker finishes), so a time to
   * target read from them is only as fine as those bursts. *samples
   * (malloc'ed; the caller frees it, also on error) and *nsamples receive
   * them; an app without a model for the run gives none. */
  double model_every;
  sim_sample **samples;
  size_t *nsamples;
  sim_progress_fn progress;  /* optional */
  void *progress_arg;
  sim_inspect_fn inspect;    /* optional */
  void *inspect_arg;
} sim_params;

#define SIM_DEFAULT_STACK_KIB 128
/* Frames a node's NIC keeps on the wire at once (switch network model), by
 * default. 1 sends them one after another, as a kernel's queue drains onto
 * one link: with 8, SimGrid shares the link among them, so all of a
 * server's pushes finish together and nothing overlaps with what it
 * receives; a real 8-host run over tc-limited links had the server's first
 * clients answer while it was still pushing to the others (the sim was 68%
 * slow with 8, 18% with 1; experiments/netns_vs_sim.sh). */
#define SIM_NIC_WINDOW 1

/* Runs the simulation; stats[0..clocks) receive the per-clock record.
 * Returns 0 or a negative error with a message in err (a second call in the
 * same process returns ST_ESTATE). */
int sim_run(const sim_params *p, sim_clock_stat *stats, char *err, size_t errlen);

/* `stale sim`: parses argv (argv[0] is "sim"), runs the sweep, writes CSV.
 * Returns the process exit status. */
int sim_main(int argc, char **argv);
/* `stale calibrate`: measures this machine's flop rate for --host-speed. */
int sim_calibrate_main(int argc, char **argv);

/* Measures the flop rate of the generic kernel for about `seconds`. */
double sim_calibrate(double seconds);

#endif
