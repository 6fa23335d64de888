/* simcli.c: `stale sim` (argument parsing, the staleness sweep with one
 * forked child per run, CSV output) and `stale calibrate`. */
#include <errno.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/link.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "csv.h"
#include "harness.h"
#include "runopt.h"
#include "sim.h"

#define SIM_MAX_JOBS 64

/* Everything `stale sim` was asked for. Strings borrowed from argv. */
typedef struct sim_cli {
  runopt o;
  plat_spec plat;
  double straggle_fraction, straggle_factor; /* --stragglers: per clock */
  uint32_t nodes; /* 0: not given */
  const char *platform_file;
  const char *trace_frames; /* --trace-frames FILE (undocumented in --help) */
  const char *model_trace;  /* --model-trace FILE: the model sampled in time */
  double model_every;       /* --model-every: seconds between samples (0: default) */
  uint32_t jobs;
  uint32_t stack_kib;
  uint32_t nic_window;
  int network; /* 0 default, 1 switch, 2 direct */
  const char *gen_flag;   /* a flag of the generated platform that was given */
  const char *racks_flag; /* one that only the racks topology has */
} sim_cli;

static double wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void sim_usage(FILE *f) {
  fprintf(f,
          "usage: stale sim --app NAME [options]\n"
          "Simulates a cluster running NAME with SimGrid; one CSV row per (run, clock).\n\n"
          "Run options:\n%s\n"
          "Platform options (units as in SimGrid):\n"
          "  --nodes N               simulated nodes (default 16; with --platform: its hosts)\n"
          "  --topology T            flat (one switch) or racks (racks joined by a top link)\n"
          "  --rack-size N           hosts per rack for racks (default 32)\n"
          "  --bandwidth BW          host link bandwidth, e.g. 1Gbps, 125MBps (default 1Gbps)\n"
          "  --latency L             host link latency, e.g. 50us (default 50us)\n"
          "  --backbone BW           cluster or rack backbone bandwidth (default 10Gbps)\n"
          "  --backbone-latency L    backbone latency (default 1us)\n"
          "  --uplink BW             rack uplink bandwidth (default 10Gbps)\n"
          "  --top-bandwidth BW      shared link joining racks (default 40Gbps)\n"
          "  --host-speed S          flop/s of a host, e.g. 1Gf (default 5.5Gf; see\n"
          "                          `stale calibrate` for this machine's rate)\n"
          "  --stragglers FxK        transient stragglers: in every clock each node is, with\n"
          "                          probability F, K times slower for that clock (from the seed)\n"
          "  --slow-nodes FxK        persistent: a fraction F of hosts, chosen from the seed,\n"
          "                          K times slower for the whole run\n"
          "  --jitter J              each node's speed times U[1-J, 1+J], from the seed\n"
          "  --platform FILE.xml     a SimGrid platform file instead; nodes are its hosts\n"
          "                          sorted by name\n\n"
          "  --network M             switch (default for flat): SimGrid models each\n"
          "                          sender's link, each receiver's link is a FIFO switch\n"
          "                          port (fast at thousands of nodes); direct (default\n"
          "                          for racks and --platform): every frame is a SimGrid\n"
          "                          transfer between the two hosts (exact, slow at scale)\n"
          "  --nic-window N          switch model: frames a NIC has on the wire at once\n"
          "                          (default 1: one after another, like a socket queue)\n\n"
          "Model samples in simulated time:\n"
          "  --model-trace FILE      also write the servers' model objective sampled every\n"
          "                          --model-every simulated seconds (run, seed, staleness,\n"
          "                          comm_policy, comm_budget_Bps, sim_time_s,\n"
          "                          model_objective), not only when a clock completes\n"
          "  --model-every L         the sampling period, e.g. 5ms (default 10ms)\n\n"
          "Execution:\n"
          "  --jobs N                runs simulated in parallel, one process each (default 2)\n"
          "  --stack-size KiB        stack of each simulated actor (default %u)\n",
          runopt_help(), (unsigned)SIM_DEFAULT_STACK_KIB);
}

/* Parses one sim-only flag at argv[*i]: 1 consumed, 0 unknown, < 0 error. */
static int sim_parse_flag(sim_cli *c, int argc, char **argv, int *i, char *err, size_t errlen) {
  const char *v;
  int rc;
#define TAKE(name) ((rc = runopt_take(argc, argv, i, name, &v, err, errlen)) != 0)
#define DONE(expr) return rc < 0 ? rc : ((rc = (expr)) != 0 ? rc : 1)
  if (TAKE("--nodes")) DONE(runopt_u32("--nodes", v, 1, 1u << 20, &c->nodes, err, errlen));
  /* Flags that shape the generated platform: noted, as --platform ignores them. */
#define GEN(name) (TAKE(name) && (c->gen_flag = name, 1))
#define RACKS(name) (GEN(name) && (c->racks_flag = name, 1))
  if (GEN("--topology")) DONE(plat_parse_topology("--topology", v, &c->plat.topology, err, errlen));
  if (RACKS("--rack-size"))
    DONE(runopt_u32("--rack-size", v, 1, 1u << 20, &c->plat.rack_size, err, errlen));
  if (GEN("--bandwidth")) DONE(plat_parse_bandwidth("--bandwidth", v, &c->plat.bandwidth, err, errlen));
  if (GEN("--latency")) DONE(plat_parse_latency("--latency", v, &c->plat.latency, err, errlen));
  if (GEN("--backbone-latency"))
    DONE(plat_parse_latency("--backbone-latency", v, &c->plat.backbone_latency, err, errlen));
  if (GEN("--backbone"))
    DONE(plat_parse_bandwidth("--backbone", v, &c->plat.backbone_bandwidth, err, errlen));
  if (RACKS("--uplink"))
    DONE(plat_parse_bandwidth("--uplink", v, &c->plat.uplink_bandwidth, err, errlen));
  if (RACKS("--top-bandwidth"))
    DONE(plat_parse_bandwidth("--top-bandwidth", v, &c->plat.top_bandwidth, err, errlen));
  if (GEN("--host-speed")) DONE(plat_parse_speed("--host-speed", v, &c->plat.host_speed, err, errlen));
  if (TAKE("--stragglers"))
    DONE(plat_parse_stragglers("--stragglers", v, &c->straggle_fraction, &c->straggle_factor, err,
                               errlen));
  if (GEN("--slow-nodes"))
    DONE(plat_parse_stragglers("--slow-nodes", v, &c->plat.straggler_fraction,
                               &c->plat.straggler_factor, err, errlen));
  if (GEN("--jitter")) DONE(runopt_real("--jitter", v, 0, 0.99, &c->plat.jitter, err, errlen));
#undef RACKS
#undef GEN
  if (TAKE("--platform")) {
    if (rc < 0) return rc;
    c->platform_file = v;
    return 1;
  }
  if (TAKE("--network")) {
    if (rc < 0) return rc;
    if (!strcmp(v, "switch")) c->network = 1;
    else if (!strcmp(v, "direct")) c->network = 2;
    else {
      snprintf(err, errlen, "--network: bad value '%s' (expected switch or direct)", v);
      return ST_EPARSE;
    }
    return 1;
  }
  /* For sim/bench: not in --help, documented in sim.h and the README. */
  if (TAKE("--trace-frames")) {
    if (rc < 0) return rc;
    c->trace_frames = v;
    return 1;
  }
  if (TAKE("--model-trace")) {
    if (rc < 0) return rc;
    c->model_trace = v;
    return 1;
  }
  if (TAKE("--model-every")) DONE(runopt_duration("--model-every", v, &c->model_every, err, errlen));
  if (TAKE("--jobs")) DONE(runopt_u32("--jobs", v, 1, SIM_MAX_JOBS, &c->jobs, err, errlen));
  if (TAKE("--nic-window")) DONE(runopt_u32("--nic-window", v, 1, 1024, &c->nic_window, err, errlen));
  if (TAKE("--stack-size"))
    DONE(runopt_u32("--stack-size", v, 16, 65536, &c->stack_kib, err, errlen));
#undef TAKE
#undef DONE
  return 0;
}

static int sim_parse(sim_cli *c, int argc, char **argv, char *err, size_t errlen) {
  memset(c, 0, sizeof *c);
  runopt_defaults(&c->o);
  plat_defaults(&c->plat, 0);
  c->straggle_factor = 1.0;
  c->jobs = 2;
  c->stack_kib = SIM_DEFAULT_STACK_KIB;
  int i = 1;
  while (i < argc) {
    int rc = runopt_parse(&c->o, argc, argv, &i, err, errlen);
    if (rc == 0) rc = sim_parse_flag(c, argc, argv, &i, err, errlen);
    if (rc < 0) return rc;
    if (rc == 0) {
      if (argv[i][0] == '-')
        snprintf(err, errlen, "unknown flag '%s' (see stale sim --help)", argv[i]);
      else
        snprintf(err, errlen, "unexpected argument '%s' (see stale sim --help)", argv[i]);
      return ST_EPARSE;
    }
  }
  return 0;
}

/* What the probe of a platform file found: its host count and the first
 * value SimGrid would fail on during the run (what[0] == 0: none). */
typedef struct sim_probe_report {
  uint32_t hosts;
  char kind[8], name[128], what[16], want[32];
  double value;
} sim_probe_report;

static void sim_probe_bad(sim_probe_report *r, const char *kind, const char *name,
                          const char *what, double value, const char *want) {
  snprintf(r->kind, sizeof r->kind, "%s", kind);
  snprintf(r->name, sizeof r->name, "%s", name);
  snprintf(r->what, sizeof r->what, "%s", what);
  snprintf(r->want, sizeof r->want, "%s", want);
  r->value = value;
}

/* Checks every host's speed and every link's bandwidth and latency: SimGrid
 * loads a speed="-5Gf" and only aborts once a run uses it, blaming routes. */
static void sim_probe_values(sim_probe_report *r) {
  sg_host_t *hosts = sg_host_list();
  for (uint32_t i = 0; hosts && i < r->hosts; i++) {
    double v = sg_host_get_speed(hosts[i]);
    if (!(isfinite(v) && v > 0)) {
      sim_probe_bad(r, "host", sg_host_get_name(hosts[i]), "speed", v, "must be positive");
      break;
    }
  }
  free(hosts);
  size_t nl = sg_link_count();
  sg_link_t *links = sg_link_list();
  for (size_t i = 0; links && !r->what[0] && i < nl; i++) {
    double bw = sg_link_get_bandwidth(links[i]), lat = sg_link_get_latency(links[i]);
    if (!(isfinite(bw) && bw > 0))
      sim_probe_bad(r, "link", sg_link_get_name(links[i]), "bandwidth", bw, "must be positive");
    else if (!(isfinite(lat) && lat >= 0))
      sim_probe_bad(r, "link", sg_link_get_name(links[i]), "latency", lat,
                    "must be non-negative");
  }
  free(links);
}

/* Counts the hosts of a platform file in a child process (SimGrid can be
 * initialised once per process, and the parent never initialises it). */
static int sim_probe_hosts(const char *file, uint32_t *count, char *err, size_t errlen) {
  if (access(file, R_OK) != 0) {
    snprintf(err, errlen, "%s: %s", file, strerror(errno));
    return ST_EINVAL;
  }
  int fds[2];
  if (pipe(fds) != 0) {
    snprintf(err, errlen, "pipe: %s", strerror(errno));
    return ST_ESTATE;
  }
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    snprintf(err, errlen, "fork: %s", strerror(errno));
    return ST_ESTATE;
  }
  if (pid == 0) {
    close(fds[0]);
    /* SimGrid's own logs stay on here: they name the file and line of a
     * bad platform. */
    static char a0[] = "stale", a1[] = "--log=root.thres:error";
    char *av[] = {a0, a1, NULL};
    int ac = 2;
    simgrid_init(&ac, av);
    simgrid_load_platform(file);
    sim_probe_report rep = {.hosts = (uint32_t)sg_host_count()};
    sim_probe_values(&rep);
    _exit(write(fds[1], &rep, sizeof rep) == (ssize_t)sizeof rep ? 0 : 1);
  }
  close(fds[1]);
  sim_probe_report rep;
  ssize_t k = read(fds[0], &rep, sizeof rep);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (k != (ssize_t)sizeof rep || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    snprintf(err, errlen, "%s: SimGrid could not load this platform (its message is above)", file);
    return ST_EINVAL;
  }
  uint32_t n = rep.hosts;
  if (rep.what[0]) {
    rep.name[sizeof rep.name - 1] = '\0';
    rep.what[sizeof rep.what - 1] = '\0';
    rep.kind[sizeof rep.kind - 1] = rep.want[sizeof rep.want - 1] = '\0';
    snprintf(err, errlen, "%s: %s '%s' has %s %g: %s", file, rep.kind, rep.name, rep.what,
             rep.value, rep.want);
    return ST_EINVAL;
  }
  if (n == 0) {
    snprintf(err, errlen, "%s: the platform has no hosts", file);
    return ST_EINVAL;
  }
  *count = n;
  return 0;
}

/* The simulator's own columns, between the harness's run and clock ones. */
static const char *const sim_columns[] = {
    "topology",     "platform",      "bandwidth_Bps", "latency_s", "backbone_Bps",
    "host_speed_flops", "slow_fraction", "slow_factor", "jitter", "straggler_fraction",
    "straggler_factor", "ordered", "network", "nic_window", "rack_size", "uplink_Bps", "top_Bps",
    "backbone_latency_s"};
#define SIM_NCOLUMNS (uint32_t)(sizeof sim_columns / sizeof sim_columns[0])

static int sim_write_rows(FILE *f, const sim_cli *c, const app_ops *app, void *shared,
                          const st_config *cfg, uint32_t run, const sim_clock_stat *st,
                          uint32_t ran, int stopped_by) {
  csv_writer w;
  csv_init(&w, f);
  int rc = 0;
  harness_stop stop = runopt_stop(&c->o, app);
  for (uint32_t k = 0; k < ran && rc == 0; k++) {
    harness_csv_run_fields(&w, run, app, cfg, c->o.clocks, c->o.seed, &stop);
    if (c->platform_file) {
      csv_str(&w, "file");
      csv_str(&w, c->platform_file);
      for (int e = 0; e < 7; e++) csv_str(&w, NULL);
    } else {
      csv_str(&w, plat_topology_name(c->plat.topology));
      csv_str(&w, NULL);
      csv_real(&w, c->plat.bandwidth);
      csv_real(&w, c->plat.latency);
      csv_real(&w, c->plat.backbone_bandwidth);
      csv_real(&w, c->plat.host_speed);
      csv_real(&w, c->plat.straggler_fraction);
      csv_real(&w, c->plat.straggler_factor);
      csv_real(&w, c->plat.jitter);
    }
    csv_real(&w, c->straggle_fraction);
    csv_real(&w, c->straggle_factor);
    csv_u64(&w, cfg->ordered);
    csv_str(&w, c->plat.ports ? "switch" : "direct");
    if (c->plat.ports)
      csv_u64(&w, c->nic_window ? c->nic_window : SIM_NIC_WINDOW);
    else
      csv_str(&w, NULL);
    if (!c->platform_file && c->plat.topology == PLAT_RACKS) {
      csv_u64(&w, c->plat.rack_size);
      csv_real(&w, c->plat.uplink_bandwidth);
      csv_real(&w, c->plat.top_bandwidth);
    } else {
      for (int e = 0; e < 3; e++) csv_str(&w, NULL);
    }
    if (c->platform_file)
      csv_str(&w, NULL);
    else
      csv_real(&w, c->plat.backbone_latency);
    harness_clock_rec rec = {.clock = k, .time = st[k].time, .bytes = (double)st[k].bytes,
                             .blocked = st[k].blocked, .bytes_early = st[k].bytes_early,
                             .bytes_clock = st[k].bytes_clock, .reads = st[k].reads,
                             .stale = st[k].stale, .pacing = st[k].pacing, .metrics = st[k].metrics,
                             .has_model = st[k].has_model,
                             .model_objective = st[k].model_objective,
                             .stopped_by = harness_stop_name(stopped_by)};
    rc = harness_csv_end_row(&w, app, shared, &rec, c->o.app_options, c->o.data);
  }
  if (rc == 0) rc = csv_flush(&w);
  return rc;
}

/* Progress on stderr at most every few seconds of real time. */
typedef struct sim_progress_state {
  uint32_t run, runs;
  const char *stal;
  double start, last;
} sim_progress_state;

static void sim_progress(void *arg, uint32_t clock, uint32_t clocks, double sim_time) {
  sim_progress_state *ps = arg;
  double now = wall_now();
  if (now - ps->last < 3.0) return;
  ps->last = now;
  fprintf(stderr, "stale sim: run %u/%u (staleness %s): clock %u/%u, simulated %.3f s, %.0f s elapsed\n",
          (unsigned)ps->run + 1, (unsigned)ps->runs, ps->stal, (unsigned)clock + 1, (unsigned)clocks,
          sim_time, now - ps->start);
}

/* The child's whole life: one simulation, rows into f. Never returns. */
/* The sweep's own process, which every run must not outlive. */
static pid_t sim_sweep_pid;

/* The run's model samples as rows of the --model-trace file. */
static int sim_write_samples(FILE *f, const st_config *cfg, uint32_t run, uint64_t seed,
                             const sim_sample *v, size_t n) {
  csv_writer w;
  csv_init(&w, f);
  char stal[16];
  harness_staleness_text(cfg->staleness, stal, sizeof stal);
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    csv_u64(&w, run);
    csv_u64(&w, seed);
    csv_str(&w, stal);
    csv_str(&w, comm_policy_name(cfg->comm_policy));
    csv_real(&w, cfg->comm_budget);
    csv_real(&w, v[i].time);
    csv_real(&w, v[i].objective);
    rc = csv_end_row(&w);
  }
  if (rc == 0) rc = csv_flush(&w);
  return rc;
}

static const char *const sim_trace_columns[] = {"run",         "seed",           "staleness",
                                                "comm_policy", "comm_budget_Bps", "sim_time_s",
                                                "model_objective"};

/* tf: the run's --model-trace rows (NULL: not asked for). */
static void sim_child(const sim_cli *sweep, const app_ops *app, void *shared, const st_config *cfg,
                      uint32_t run, uint64_t seed, FILE *f, FILE *tf) {
  /* If the sweep is killed (a batch system's SIGTERM, `timeout`), its runs
   * must not go on unattended. */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != sim_sweep_pid) _exit(1);
  /* This run's seed: its data (loaded by the parent), platform noise and
   * stragglers. */
  sim_cli one = *sweep;
  one.o.seed = seed;
  one.plat.seed = seed;
  const sim_cli *c = &one;
  uint32_t runs = c->o.nstaleness * c->o.nseeds;
  char err[512];
  char stal[16];
  harness_staleness_text(cfg->staleness, stal, sizeof stal);
  sim_clock_stat *st = calloc(c->o.clocks, sizeof *st);
  if (!st) {
    fprintf(stderr, "stale sim: run %u (staleness %s): out of memory\n", (unsigned)run, stal);
    _exit(1);
  }
  sim_progress_state ps = {run, runs, stal, wall_now(), wall_now()};
  uint32_t ran = 0;
  int stopped_by = 0;
  sim_sample *samples = NULL;
  size_t nsamples = 0;
  sim_params p = {.app = app,
                  .shared = shared,
                  .cfg = *cfg,
                  .clocks = c->o.clocks,
                  .stop = runopt_stop(&c->o, app),
                  .ran = &ran,
                  .stopped_by = &stopped_by,
                  .platform_file = c->platform_file,
                  .plat = c->plat,
                  .stack_kib = c->stack_kib,
                  .nic_window = c->nic_window,
                  .trace_frames = c->trace_frames,
                  .straggle_fraction = c->straggle_fraction,
                  .straggle_factor = c->straggle_factor,
                  .seed = c->o.seed,
                  .sched = &c->o.sched,
                  .model_every = tf ? c->model_every : 0,
                  .samples = &samples,
                  .nsamples = &nsamples,
                  .progress = sim_progress,
                  .progress_arg = &ps};
  int rc = sim_run(&p, st, err, sizeof err);
  if (rc != 0) {
    fprintf(stderr, "stale sim: run %u (staleness %s): %s\n", (unsigned)run, stal, err);
    _exit(1);
  }
  if (sim_write_rows(f, c, app, shared, cfg, run, st, harness_rows(app, ran, c->o.clocks), stopped_by) != 0) {
    fprintf(stderr, "stale sim: run %u: writing its rows failed: %s\n", (unsigned)run, strerror(errno));
    _exit(1);
  }
  if (tf && sim_write_samples(tf, cfg, run, seed, samples, nsamples) != 0) {
    fprintf(stderr, "stale sim: run %u: writing its model samples failed: %s\n", (unsigned)run,
            strerror(errno));
    _exit(1);
  }
  free(samples);
  if (wall_now() - ps.start >= 3.0)
    fprintf(stderr, "stale sim: run %u/%u (staleness %s) done in %.0f s: %u clocks, %.4g simulated s, stopped by %s\n",
            (unsigned)run + 1, (unsigned)runs, stal, wall_now() - ps.start,
            (unsigned)ran, ran ? st[ran - 1].time : 0.0, harness_stop_name(stopped_by));
  free(st);
  _exit(0);
}

static int sim_copy(FILE *from, FILE *to) {
  char buf[65536];
  size_t k;
  rewind(from);
  while ((k = fread(buf, 1, sizeof buf, from)) > 0)
    if (fwrite(buf, 1, k, to) != k) return ST_EIO;
  return ferror(from) ? ST_EIO : 0;
}

/* Runs every (seed, staleness value) in its own child, seed by seed, at
 * most c->jobs at a time, and appends their rows to out in run order. The
 * app's data of each seed is loaded when its first run starts (*shared:
 * that of the seed loaded last, owned by the caller). 0 or 1 (failed; said
 * why). */
static int sim_sweep(const sim_cli *c, const app_ops *app, const app_params *ap, void **shared,
                     const st_config *base, FILE *out, const char *outname, FILE *trace) {
  uint32_t runs = c->o.nstaleness * c->o.nseeds, loaded = 0;
  FILE **tmp = calloc(runs, sizeof *tmp);
  FILE **ttmp = calloc(runs, sizeof *ttmp); /* --model-trace rows of each run */
  pid_t *pid = calloc(runs, sizeof *pid);
  int *state = calloc(runs, sizeof *state); /* 0 waiting, 1 running, 2 ok, 3 failed */
  uint32_t next = 0, emitted = 0, running = 0;
  int failed = 0;
  if (!tmp || !ttmp || !pid || !state) {
    fprintf(stderr, "stale sim: out of memory for %u runs\n", (unsigned)runs);
    failed = 1;
    runs = 0;
  }
  sim_sweep_pid = getpid();
  while (emitted < runs) {
    while (!failed && next < runs && running < c->jobs) {
      uint32_t k = next / c->o.nstaleness;
      if (k != loaded) {
        /* The runs of earlier seeds have their own copy (fork). */
        app->free(*shared);
        *shared = NULL;
        app_params p = *ap;
        p.seed = c->o.seeds[k];
        char err[512] = "";
        if (app->load(&p, shared, err, sizeof err) != 0) {
          fprintf(stderr, "stale sim: %s (seed %llu): %s\n", app->name,
                  (unsigned long long)p.seed, err[0] ? err : "loading failed");
          *shared = NULL;
          failed = 1;
          break;
        }
        loaded = k;
      }
      tmp[next] = tmpfile();
      if (trace) ttmp[next] = tmpfile();
      if (!tmp[next] || (trace && !ttmp[next])) {
        fprintf(stderr, "stale sim: cannot create a temporary file: %s\n", strerror(errno));
        failed = 1;
        break;
      }
      st_config cfg = *base;
      cfg.staleness = c->o.staleness[next % c->o.nstaleness];
      cfg.ordered = (uint8_t)runopt_ordered(&c->o, cfg.staleness);
      fflush(NULL);
      pid_t p = fork();
      if (p < 0) {
        fprintf(stderr, "stale sim: fork: %s\n", strerror(errno));
        failed = 1;
        break;
      }
      if (p == 0) sim_child(c, app, *shared, &cfg, next, c->o.seeds[k], tmp[next], ttmp[next]);
      pid[next] = p;
      state[next] = 1;
      running++;
      next++;
    }
    if (running == 0) break;
    int status;
    pid_t p = waitpid(-1, &status, 0);
    if (p < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (uint32_t r = 0; r < next; r++)
      if (pid[r] == p && state[r] == 1) {
        running--;
        int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        if (!ok && WIFSIGNALED(status))
          fprintf(stderr, "stale sim: run %u died of signal %d%s\n", (unsigned)r, WTERMSIG(status),
                  WTERMSIG(status) == SIGABRT
                      ? " (SimGrid gave up: its message above says why, e.g. two hosts of "
                        "--platform with no route between them)"
                      : "");
        state[r] = ok ? 2 : 3;
        if (!ok) failed = 1;
      }
    while (emitted < next && state[emitted] >= 2) {
      if (state[emitted] == 2 && !failed && sim_copy(tmp[emitted], out) != 0) {
        fprintf(stderr, "stale sim: %s: write failed: %s\n", outname, strerror(errno));
        failed = 1;
      }
      if (state[emitted] == 2 && !failed && trace && sim_copy(ttmp[emitted], trace) != 0) {
        fprintf(stderr, "stale sim: %s: write failed: %s\n", c->model_trace, strerror(errno));
        failed = 1;
      }
      fclose(tmp[emitted]);
      tmp[emitted] = NULL;
      if (ttmp[emitted]) fclose(ttmp[emitted]);
      ttmp[emitted] = NULL;
      emitted++;
    }
  }
  for (uint32_t r = 0; r < runs; r++) {
    if (tmp[r]) fclose(tmp[r]);
    if (ttmp[r]) fclose(ttmp[r]);
  }
  free(tmp);
  free(ttmp);
  free(pid);
  free(state);
  return failed;
}

int sim_main(int argc, char **argv) {
  char err[512];
  sim_cli c;
  if (sim_parse(&c, argc, argv, err, sizeof err) != 0) {
    fprintf(stderr, "stale sim: %s\n", err);
    return 2;
  }
  if (c.o.help) {
    sim_usage(stdout);
    return 0;
  }
  if (runopt_check(&c.o, err, sizeof err) != 0) {
    fprintf(stderr, "stale sim: %s\n", err);
    return 2;
  }
  if (c.trace_frames && (c.o.nstaleness != 1 || c.o.nseeds != 1)) {
    fprintf(stderr, "stale sim: --trace-frames: needs a single --staleness and --seed value\n");
    return 2;
  }
  if (c.model_every > 0 && !c.model_trace) {
    fprintf(stderr, "stale sim: --model-every: only with --model-trace FILE\n");
    return 2;
  }
  if (c.model_trace && !(c.model_every > 0)) c.model_every = 0.01;
  const app_ops *app = app_find(c.o.app);
  if (!app) {
    fprintf(stderr, "stale sim: --app: unknown app '%s'; known:", c.o.app);
    for (const app_ops *const *a = app_all(); *a; a++) fprintf(stderr, " %s", (*a)->name);
    fprintf(stderr, "\n");
    return 2;
  }
  if (c.model_trace && !app->model_terms) {
    fprintf(stderr, "stale sim: --model-trace: app %s has no model objective to sample\n", app->name);
    return 2;
  }
  if (c.platform_file && c.gen_flag) {
    fprintf(stderr, "stale sim: %s: has no effect with --platform (the file is the platform)\n",
            c.gen_flag);
    return 2;
  }
  if (!c.platform_file && c.racks_flag && c.plat.topology != PLAT_RACKS) {
    fprintf(stderr, "stale sim: %s: only with --topology racks\n", c.racks_flag);
    return 2;
  }
  uint32_t nodes = c.nodes ? c.nodes : 16;
  if (c.platform_file) {
    uint32_t hosts;
    if (sim_probe_hosts(c.platform_file, &hosts, err, sizeof err) != 0) {
      fprintf(stderr, "stale sim: --platform: %s\n", err);
      return 2;
    }
    if (c.nodes > hosts) {
      fprintf(stderr, "stale sim: --nodes %u: the platform %s has only %u hosts\n",
              (unsigned)c.nodes, c.platform_file, (unsigned)hosts);
      return 2;
    }
    nodes = c.nodes ? c.nodes : hosts;
  }
  c.plat.nodes = nodes;
  c.plat.seed = c.o.seed;
  if (c.network == 1 && (c.platform_file || c.plat.topology != PLAT_FLAT)) {
    fprintf(stderr, "stale sim: --network switch: only with the generated flat topology\n");
    return 2;
  }
  c.plat.ports = !c.platform_file && c.plat.topology == PLAT_FLAT && c.network != 2;
  if (!c.platform_file && plat_check(&c.plat, err, sizeof err) != 0) {
    fprintf(stderr, "stale sim: %s\n", err);
    return 2;
  }
  st_config cfg = {.nclients = nodes,
                   .nservers = c.o.servers ? c.o.servers : harness_default_servers(nodes),
                   .workers_per_client = c.o.workers_per_node,
                   .server_base = 0,
                   .push = c.o.push};
  if (cfg.nservers > nodes) {
    fprintf(stderr, "stale sim: --servers %u: more than the %u nodes\n", (unsigned)cfg.nservers,
            (unsigned)nodes);
    return 2;
  }
  /* A budget as a fraction of the link: of the generated platform's host link. */
  if (runopt_comm(&c.o, c.platform_file ? 0 : c.plat.bandwidth, &cfg, err, sizeof err) != 0) {
    fprintf(stderr, "stale sim: %s\n", err);
    return 2;
  }
  app_params ap = {.data = c.o.data,
                   .options = c.o.app_options,
                   .seed = c.o.seed,
                   .nworkers = nodes * c.o.workers_per_node,
                   .clocks = c.o.clocks,
                   .sched = &c.o.sched};
  void *shared = NULL;
  err[0] = '\0';
  if (app->load(&ap, &shared, err, sizeof err) != 0) {
    fprintf(stderr, "stale sim: %s: %s\n", app->name, err[0] ? err : "loading failed");
    return 1;
  }
  FILE *out = stdout;
  const char *outname = "standard output";
  if (c.o.out) {
    out = fopen(c.o.out, "w");
    outname = c.o.out;
    if (!out) {
      fprintf(stderr, "stale sim: --out: %s: %s\n", c.o.out, strerror(errno));
      app->free(shared);
      return 1;
    }
  }
  csv_writer w;
  csv_init(&w, out);
  int failed = harness_csv_header(&w, sim_columns, SIM_NCOLUMNS, "sim_time_s", app) != 0 || csv_flush(&w) != 0;
  if (failed) fprintf(stderr, "stale sim: %s: write failed: %s\n", outname, strerror(errno));
  FILE *trace = NULL;
  if (!failed && c.model_trace) {
    csv_writer tw;
    if (!(trace = fopen(c.model_trace, "w"))) {
      fprintf(stderr, "stale sim: --model-trace: %s: %s\n", c.model_trace, strerror(errno));
      failed = 1;
    } else {
      csv_init(&tw, trace);
      if (csv_header(&tw, sim_trace_columns, sizeof sim_trace_columns / sizeof *sim_trace_columns) != 0 || csv_flush(&tw) != 0) {
        fprintf(stderr, "stale sim: %s: write failed: %s\n", c.model_trace, strerror(errno));
        failed = 1;
      }
    }
  }
  if (!failed) failed = sim_sweep(&c, app, &ap, &shared, &cfg, out, outname, trace);
  if (trace && fclose(trace) != 0 && !failed) {
    fprintf(stderr, "stale sim: %s: write failed: %s\n", c.model_trace, strerror(errno));
    failed = 1;
  }
  if (failed && trace && unlink(c.model_trace) == 0)
    fprintf(stderr, "stale sim: removed the incomplete %s\n", c.model_trace);
  if (out != stdout) {
    if (fclose(out) != 0 && !failed) {
      fprintf(stderr, "stale sim: %s: write failed: %s\n", outname, strerror(errno));
      failed = 1;
    }
  } else if (fflush(out) != 0) {
    failed = 1;
  }
  /* A CSV missing runs would pass for a whole one: leave none. */
  if (failed && out != stdout && unlink(c.o.out) == 0)
    fprintf(stderr, "stale sim: removed the incomplete %s\n", c.o.out);
  if (shared) app->free(shared);
  return failed ? 1 : 0;
}

/* The kernel timed is an SGD step of matrix factorisation at rank 16, the
 * shape of the apps' inner loops: a dot product (its float sum is ordered,
 * so the compiler cannot reorder it into vector lanes), then two scaled
 * vector updates. Counted as 6 flop per rank element, as the MF app charges. */
double sim_calibrate(double seconds) {
  enum { K = 16, NU = 256, NV = 256 };
  static float u[NU][K], v[NV][K];
  for (int i = 0; i < NU; i++)
    for (int k = 0; k < K; k++) u[i][k] = 0.01f * (float)((i * 7 + k) % 13);
  for (int j = 0; j < NV; j++)
    for (int k = 0; k < K; k++) v[j][k] = 0.01f * (float)((j * 5 + k) % 11);
  volatile float lr_v = 0.001f, reg_v = 0.01f; /* not constants to fold */
  float lr = lr_v, reg = reg_v;
  double start = wall_now(), now;
  uint64_t steps = 0;
  uint32_t x = 12345;
  do {
    for (int r = 0; r < 4096; r++) {
      x = x * 1664525u + 1013904223u; /* which rating: pseudo-random pair */
      float *pu = u[(x >> 8) % NU], *pv = v[(x >> 20) % NV];
      float dot = 0;
      for (int k = 0; k < K; k++) dot += pu[k] * pv[k];
      float e = 1.0f - dot;
      for (int k = 0; k < K; k++) {
        float uk = pu[k];
        pu[k] += lr * (e * pv[k] - reg * uk);
        pv[k] += lr * (e * uk - reg * pv[k]);
      }
    }
    steps += 4096;
    now = wall_now();
  } while (now - start < seconds);
  volatile float sink = u[1][1] + v[2][2];
  (void)sink;
  return 6.0 * K * (double)steps / (now - start);
}

int sim_calibrate_main(int argc, char **argv) {
  double seconds = 1.0;
  char err[256];
  const char *app_name = NULL, *app_options = NULL;
  for (int i = 1; i < argc;) {
    const char *v;
    int rc;
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      printf("usage: stale calibrate [--seconds S] [--app NAME [--app-options K=V,...]]\n"
             "Times an MF-style SGD kernel (rank 16, 6 flop per rank element, as the MF\n"
             "app charges) for S seconds (default 1) and prints this machine's rate, the\n"
             "value to give `stale sim --host-speed` so simulated seconds resemble real ones.\n"
             "With --app, an app that has its own kernel (dnn: sgemm at its layer shapes)\n"
             "times that one instead.\n");
      return 0;
    }
    if ((rc = runopt_take(argc, argv, &i, "--app", &app_name, err, sizeof err)) != 0 ||
        (rc = runopt_take(argc, argv, &i, "--app-options", &app_options, err, sizeof err)) != 0) {
      if (rc < 0) {
        fprintf(stderr, "stale calibrate: %s\n", err);
        return 2;
      }
      continue;
    }
    if ((rc = runopt_take(argc, argv, &i, "--seconds", &v, err, sizeof err)) != 0) {
      if (rc < 0 || runopt_real("--seconds", v, 0.01, 600, &seconds, err, sizeof err) != 0) {
        fprintf(stderr, "stale calibrate: %s\n", err);
        return 2;
      }
      continue;
    }
    fprintf(stderr, "stale calibrate: unknown argument '%s' (see stale calibrate --help)\n", argv[i]);
    return 2;
  }
  const app_ops *app = app_name ? app_find(app_name) : NULL;
  if (app_name && !app) {
    fprintf(stderr, "stale calibrate: --app: unknown app '%s'\n", app_name);
    return 2;
  }
  double rate;
  if (app && app->calibrate) {
    char report[1024] = "";
    if (app->calibrate(app_options, seconds, &rate, report, sizeof report) != 0) {
      fprintf(stderr, "stale calibrate: %s: %s\n", app->name, report);
      return 2;
    }
    fputs(report, stdout);
  } else {
    rate = sim_calibrate(seconds);
  }
  printf("flop/s %.4g\n--host-speed %.3gGf\n", rate, rate / 1e9);
  return 0;
}
