/* runopt.c: see runopt.h. */
#include "runopt.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cfg.h"
#include "../core/comm.h"
#include "../core/st.h"

void runopt_defaults(runopt *o) {
  memset(o, 0, sizeof *o);
  o->staleness[0] = 1;
  o->nstaleness = 1;
  o->clocks = 20;
  o->seed = 1;
  o->seeds[0] = 1;
  o->nseeds = 1;
  o->workers_per_node = 1;
  o->push = 1;
  o->ordered = -1;
  o->sched = sched_params_defaults();
}

int runopt_take(int argc, char **argv, int *i, const char *name, const char **val, char *err,
                size_t errlen) {
  const char *a = argv[*i];
  size_t n = strlen(name);
  if (strncmp(a, name, n) != 0) return 0;
  if (a[n] == '=') {
    *val = a + n + 1;
    *i += 1;
    return 1;
  }
  if (a[n] != '\0') return 0;
  if (*i + 1 >= argc) {
    snprintf(err, errlen, "%s: missing value", name);
    return ST_EPARSE;
  }
  *val = argv[*i + 1];
  *i += 2;
  return 1;
}

/* A successful value parse consumed the flag: 1; a failed one: its error. */
static int consumed(int rc) { return rc ? rc : 1; }

static int bad(char *err, size_t errlen, const char *flag, const char *s, const char *why) {
  snprintf(err, errlen, "%s: bad value '%s' (%s)", flag, s, why);
  return ST_EPARSE;
}

int runopt_u64(const char *flag, const char *s, uint64_t *out, char *err, size_t errlen) {
  if (!*s || *s < '0' || *s > '9') return bad(err, errlen, flag, s, "expected a non-negative integer");
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end) return bad(err, errlen, flag, s, "expected a non-negative integer");
  if (errno == ERANGE) return bad(err, errlen, flag, s, "too large");
  *out = (uint64_t)v;
  return 0;
}

int runopt_u32(const char *flag, const char *s, uint32_t min, uint32_t max, uint32_t *out,
               char *err, size_t errlen) {
  uint64_t v;
  int rc = runopt_u64(flag, s, &v, err, errlen);
  if (rc) return rc;
  if (v < min || v > max) {
    snprintf(err, errlen, "%s: bad value '%s' (must be in %u..%u)", flag, s, (unsigned)min,
             (unsigned)max);
    return ST_EPARSE;
  }
  *out = (uint32_t)v;
  return 0;
}

int runopt_real(const char *flag, const char *s, double min, double max, double *out, char *err,
                size_t errlen) {
  if (!*s || strchr(" \t\n", *s)) return bad(err, errlen, flag, s, "expected a number");
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (*end || !isfinite(v)) return bad(err, errlen, flag, s, "expected a finite number");
  if (errno == ERANGE) return bad(err, errlen, flag, s, "out of range");
  if (v < min || v > max) {
    snprintf(err, errlen, "%s: bad value '%s' (must be in %g..%g)", flag, s, min, max);
    return ST_EPARSE;
  }
  *out = v;
  return 0;
}

int runopt_staleness_list(const char *s, uint32_t *out, uint32_t max, uint32_t *n, char *err,
                          size_t errlen) {
  char item[32];
  uint32_t k = 0;
  const char *p = s;
  for (;;) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    if (len == 0 || len >= sizeof item)
      return bad(err, errlen, "--staleness", s, "expected a comma list of numbers or inf");
    memcpy(item, p, len);
    item[len] = '\0';
    if (k == max) {
      char why[64];
      snprintf(why, sizeof why, "more than %u values", (unsigned)max);
      return bad(err, errlen, "--staleness", s, why);
    }
    /* "inf" or a decimal that leaves room for the inf sentinel. */
    if (cfg_parse_staleness(item, &out[k]) != 0 ||
        (strcmp(item, "inf") != 0 && out[k] == ST_STALENESS_INF))
      return bad(err, errlen, "--staleness", s, "each value is inf or an integer from 0 to 4294967294");
    k++;
    if (!comma) break;
    p = comma + 1;
  }
  *n = k;
  return 0;
}

/* --seed: one number or a comma list of them. */
static int runopt_seed_list(runopt *o, const char *s, char *err, size_t errlen) {
  char item[32];
  uint32_t k = 0;
  for (const char *p = s;;) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    if (len == 0 || len >= sizeof item) return bad(err, errlen, "--seed", s, "expected a comma list of non-negative integers");
    if (k == RUNOPT_MAX_SEEDS) {
      char why[64];
      snprintf(why, sizeof why, "more than %u values", (unsigned)RUNOPT_MAX_SEEDS);
      return bad(err, errlen, "--seed", s, why);
    }
    memcpy(item, p, len);
    item[len] = '\0';
    if (runopt_u64("--seed", item, &o->seeds[k], err, errlen) != 0)
      return bad(err, errlen, "--seed", s, "expected a comma list of non-negative integers");
    k++;
    if (!comma) break;
    p = comma + 1;
  }
  o->nseeds = k;
  o->seed = o->seeds[0];
  return 0;
}

/* The scheduler's flags (see runopt.h). */
static int runopt_parse_sched(sched_params *p, int argc, char **argv, int *i, char *err,
                              size_t errlen) {
  const char *v;
  int rc;
  if ((rc = runopt_take(argc, argv, i, "--schedule", &v, err, errlen)) != 0) {
    if (rc < 0) return rc;
    if (!strcmp(v, "none")) {
      p->kind = SCHED_NONE;
      return 1;
    }
    if (sched_kind_parse(v, &p->kind) != 0)
      return bad(err, errlen, "--schedule", v,
                 "expected none, sequential, shotgun, priority, dependency, "
                 "priority+dependency or rotation");
    return 1;
  }
  if ((rc = runopt_take(argc, argv, i, "--schedule-size", &v, err, errlen)) != 0)
    return rc < 0 ? rc : consumed(runopt_u32("--schedule-size", v, 1, 1u << 20, &p->size, err, errlen));
  if ((rc = runopt_take(argc, argv, i, "--rho", &v, err, errlen)) != 0)
    return rc < 0 ? rc : consumed(runopt_real("--rho", v, 0.0, 1e300, &p->rho, err, errlen));
  if ((rc = runopt_take(argc, argv, i, "--eta", &v, err, errlen)) != 0) {
    if (rc < 0) return rc;
    if ((rc = runopt_real("--eta", v, 0.0, 1e300, &p->eta, err, errlen)) != 0) return rc;
    return p->eta > 0 ? 1 : bad(err, errlen, "--eta", v, "must be above 0");
  }
  if ((rc = runopt_take(argc, argv, i, "--depth", &v, err, errlen)) != 0)
    return rc < 0 ? rc : consumed(runopt_u32("--depth", v, 0, 64, &p->depth, err, errlen));
  if ((rc = runopt_take(argc, argv, i, "--rounds-per-clock", &v, err, errlen)) != 0)
    return rc < 0 ? rc
                  : consumed(runopt_u32("--rounds-per-clock", v, 1, 1u << 20, &p->rounds_per_clock,
                                        err, errlen));
  return 0;
}

typedef struct runopt_unit {
  const char *name;
  double scale;
} runopt_unit;

/* SimGrid's bandwidth units (sim/plat.c takes the same for --bandwidth). */
static const runopt_unit runopt_bw_units[] = {
    {"bps", 1.0 / 8},      {"kbps", 1e3 / 8},     {"Kbps", 1e3 / 8},
    {"Mbps", 1e6 / 8},     {"Gbps", 1e9 / 8},     {"Tbps", 1e12 / 8},
    {"Kibps", 1024.0 / 8}, {"Mibps", 1048576.0 / 8}, {"Gibps", 1073741824.0 / 8},
    {"Bps", 1},            {"kBps", 1e3},         {"KBps", 1e3},
    {"MBps", 1e6},         {"GBps", 1e9},         {"TBps", 1e12},
    {"KiBps", 1024.0},     {"MiBps", 1048576.0},  {"GiBps", 1073741824.0},
    {NULL, 0}};
static const runopt_unit runopt_time_units[] = {{"s", 1}, {"ms", 1e-3}, {"us", 1e-6}, {NULL, 0}};

/* A positive finite number followed by one of units. */
static int runopt_unit_value(const char *flag, const char *s, const runopt_unit *units,
                             const char *example, double *out, char *err, size_t errlen) {
  if (!((*s >= '0' && *s <= '9') || *s == '.')) return bad(err, errlen, flag, s, example);
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno == ERANGE || !isfinite(v) || !(v > 0)) return bad(err, errlen, flag, s, "must be positive and finite");
  for (const runopt_unit *u = units; u->name; u++)
    if (!strcmp(end, u->name)) {
      *out = v * u->scale;
      return 0;
    }
  return bad(err, errlen, flag, s, example);
}

int runopt_bandwidth(const char *flag, const char *s, double *out, char *err, size_t errlen) {
  return runopt_unit_value(flag, s, runopt_bw_units, "expected a number and a unit, e.g. 10MBps or 80Mbps",
                           out, err, errlen);
}

int runopt_duration(const char *flag, const char *s, double *out, char *err, size_t errlen) {
  return runopt_unit_value(flag, s, runopt_time_units, "expected a number and a unit, e.g. 5ms", out,
                           err, errlen);
}

/* --comm-budget: a bandwidth, or "Flink" with 0 < F <= 1. */
static int runopt_comm_budget(runopt *o, const char *v, char *err, size_t errlen) {
  size_t n = strlen(v);
  if (n > 4 && !strcmp(v + n - 4, "link")) {
    char num[64];
    if (n - 4 >= sizeof num) return bad(err, errlen, "--comm-budget", v, "too long");
    memcpy(num, v, n - 4);
    num[n - 4] = '\0';
    double f;
    if (runopt_real("--comm-budget", num, 1e-9, 1, &f, err, errlen)) return ST_EPARSE;
    o->comm_budget_link = f;
    o->comm_budget = 0;
    return 0;
  }
  o->comm_budget_link = 0;
  return runopt_bandwidth("--comm-budget", v, &o->comm_budget, err, errlen);
}

int runopt_comm(const runopt *o, double link_Bps, st_config *cfg, char *err, size_t errlen) {
  double budget = o->comm_budget;
  if (o->comm_budget_link > 0) {
    if (!(link_Bps > 0)) {
      snprintf(err, errlen, "--comm-budget: a fraction of the link needs a known link (the simulator's); "
                            "give bytes/s, e.g. 10MBps");
      return ST_EPARSE;
    }
    budget = o->comm_budget_link * link_Bps;
  }
  if (o->comm_policy != COMM_NONE && !(budget > 0)) {
    snprintf(err, errlen, "--comm-policy %s: needs --comm-budget", comm_policy_name(o->comm_policy));
    return ST_EPARSE;
  }
  if (o->comm_policy == COMM_NONE && budget > 0) {
    snprintf(err, errlen, "--comm-budget: has no effect with --comm-policy none");
    return ST_EPARSE;
  }
  cfg->comm_policy = o->comm_policy;
  cfg->comm_budget = o->comm_policy == COMM_NONE ? 0 : budget;
  cfg->comm_interval = o->comm_interval;
  return 0;
}

int runopt_parse(runopt *o, int argc, char **argv, int *i, char *err, size_t errlen) {
  const char *a = argv[*i];
  const char *v;
  int rc;
  if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
    o->help = 1;
    *i += 1;
    return 1;
  }
  if (!strcmp(a, "--pull")) {
    o->push = 0;
    *i += 1;
    return 1;
  }
  if ((rc = runopt_take(argc, argv, i, "--app", &v, err, errlen)) != 0) {
    if (rc > 0) o->app = v;
    return rc;
  }
  if ((rc = runopt_take(argc, argv, i, "--ordered", &v, err, errlen)) != 0) {
    if (rc < 0) return rc;
    if (!strcmp(v, "on"))
      o->ordered = 1;
    else if (!strcmp(v, "off"))
      o->ordered = 0;
    else if (!strcmp(v, "auto"))
      o->ordered = -1;
    else
      return bad(err, errlen, "--ordered", v, "expected on, off or auto");
    return 1;
  }
  if ((rc = runopt_take(argc, argv, i, "--staleness", &v, err, errlen)) != 0)
    return rc < 0 ? rc
                  : consumed(runopt_staleness_list(v, o->staleness, RUNOPT_MAX_STALENESS, &o->nstaleness,
                                           err, errlen));
  if ((rc = runopt_take(argc, argv, i, "--clocks", &v, err, errlen)) != 0)
    return rc < 0 ? rc : consumed(runopt_u32("--clocks", v, 1, 1000000, &o->clocks, err, errlen));
  if ((rc = runopt_take(argc, argv, i, "--until-time", &v, err, errlen)) != 0) {
    if (rc < 0) return rc;
    o->has_until = 1;
    return consumed(runopt_real("--until-time", v, 1e-12, 1e12, &o->until_time, err, errlen));
  }
  if ((rc = runopt_take(argc, argv, i, "--target", &v, err, errlen)) != 0) {
    if (rc < 0) return rc;
    o->has_target = 1;
    return consumed(runopt_real("--target", v, -1e300, 1e300, &o->target, err, errlen));
  }
  if ((rc = runopt_take(argc, argv, i, "--seed", &v, err, errlen)) != 0)
    return rc < 0 ? rc : consumed(runopt_seed_list(o, v, err, errlen));
  if ((rc = runopt_take(argc, argv, i, "--data", &v, err, errlen)) != 0) {
    if (rc > 0) o->data = v;
    return rc;
  }
  if ((rc = runopt_take(argc, argv, i, "--app-options", &v, err, errlen)) != 0) {
    if (rc > 0) o->app_options = v;
    return rc;
  }
  if ((rc = runopt_take(argc, argv, i, "--out", &v, err, errlen)) != 0) {
    if (rc > 0) o->out = v;
    return rc;
  }
  if ((rc = runopt_take(argc, argv, i, "--workers-per-node", &v, err, errlen)) != 0)
    return rc < 0 ? rc
                  : consumed(runopt_u32("--workers-per-node", v, 1, 1024, &o->workers_per_node, err,
                                errlen));
  if ((rc = runopt_take(argc, argv, i, "--comm-policy", &v, err, errlen)) != 0) {
    if (rc < 0) return rc;
    if (comm_policy_parse(v, &o->comm_policy) != 0)
      return bad(err, errlen, "--comm-policy", v, "expected none, fifo, random, magnitude, relative, age or combined");
    return 1;
  }
  if ((rc = runopt_take(argc, argv, i, "--comm-budget", &v, err, errlen)) != 0)
    return rc < 0 ? rc : consumed(runopt_comm_budget(o, v, err, errlen));
  if ((rc = runopt_take(argc, argv, i, "--comm-interval", &v, err, errlen)) != 0)
    return rc < 0 ? rc : consumed(runopt_duration("--comm-interval", v, &o->comm_interval, err, errlen));
  if ((rc = runopt_take(argc, argv, i, "--servers", &v, err, errlen)) != 0)
    return rc < 0 ? rc : consumed(runopt_u32("--servers", v, 1, 1u << 24, &o->servers, err, errlen));
  return runopt_parse_sched(&o->sched, argc, argv, i, err, errlen);
}

harness_stop runopt_stop(const runopt *o, const app_ops *app) {
  harness_stop st = {.has_until = o->has_until, .has_target = o->has_target,
                     .until_time = o->until_time, .target = o->target,
                     .maximize = app->maximize, .row_lag = app->metrics_lag};
  return st;
}

int runopt_check(const runopt *o, char *err, size_t errlen) {
  if (!o->app) {
    snprintf(err, errlen, "--app is required (see --help)");
    return ST_EPARSE;
  }
  return 0;
}

const char *runopt_help(void) {
  return "  --app NAME              application to run (required), e.g. mf\n"
         "  --staleness LIST        staleness bound: a number or inf (default 1); for\n"
         "                          stale sim a comma list runs a sweep, one run per value\n"
         "  --clocks N              clocks each worker runs at most (default 20)\n"
         "  --until-time S          stop after the clock that ends at or after S seconds\n"
         "                          (simulated in stale sim, since the start in stale run)\n"
         "  --target X              stop after the clock whose objective reaches X (<= X,\n"
         "                          or >= X for an objective that improves upward)\n"
         "                          (the first of --clocks, --until-time, --target ends a run)\n"
         "  --seed N                random seed for data, platform and app (default 1); for\n"
         "                          stale sim a comma list repeats the sweep for each seed\n"
         "  --data FILE             the app's data file (default: the app's own)\n"
         "  --app-options K=V,...   app-specific options\n"
         "  --out FILE.csv          write the CSV here (default: standard output)\n"
         "  --workers-per-node N    worker threads/actors per node (default 1)\n"
         "  --servers N             server shards, on nodes 0..N-1 (default nodes/16,\n"
         "                          at least 1)\n"
         "  --pull                  servers do not push fresh rows; clients ask\n"
         "  --ordered on|off|auto   apply each clock's updates in client order, so sums\n"
         "                          do not depend on timing with one worker per node\n"
         "                          (default auto: on for s=0)\n"
         "  --schedule NAME         model-parallel schedule of a task-driven app: none\n"
         "                          (default), sequential, shotgun, priority, dependency,\n"
         "                          priority+dependency, rotation\n"
         "  --schedule-size N       variables a round (default 32, STRADS' schedule_size)\n"
         "  --rho X                 dependency threshold (default 0.1, STRADS' infthreshold)\n"
         "  --eta X                 priority floor: weight = last change^2 + eta (1e-6)\n"
         "  --depth N               rounds in flight beyond the oldest (default 0)\n"
         "  --rounds-per-clock N    scheduler rounds per clock, the CSV's row (default 1)\n"
         "  --comm-policy P         what a node sends between clocks, best first: none\n"
         "                          (default: at clocks only), fifo, random, magnitude,\n"
         "                          relative, age or combined (managed communication)\n"
         "  --comm-budget BW        bytes/s each node may spend on early sends, e.g.\n"
         "                          10MBps; in stale sim also a fraction of the node's\n"
         "                          link, e.g. 0.3link\n"
         "  --comm-interval L       time between pacing ticks (default 5ms)\n"
         "  --help                  this text\n";
}

int runopt_ordered(const runopt *o, uint32_t staleness) {
  return o->ordered < 0 ? staleness == 0 : o->ordered;
}
