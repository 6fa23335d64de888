/* runopt.h: the command-line flags shared by `stale sim` and `stale run`,
 * with strict number parsing. A runopt holds only values and pointers
 * borrowed from argv (valid as long as argv is). Backend-only flags are
 * parsed by the backend, which calls runopt_parse first for each argument.
 * Errors are written into a caller buffer naming the flag and the value. */
#ifndef RUNOPT_H
#define RUNOPT_H

#include <stddef.h>
#include <stdint.h>

#include "../core/mpsched.h"
#include "harness.h"
#include "cfg.h"

#define RUNOPT_MAX_STALENESS 64
#define RUNOPT_MAX_SEEDS 64

typedef struct runopt {
  const char *app; /* --app NAME (borrowed from argv) */
  uint32_t staleness[RUNOPT_MAX_STALENESS]; /* --staleness 0,1,inf: one run each */
  uint32_t nstaleness;
  uint32_t clocks;           /* --clocks N (default 20): the most a run has */
  uint8_t has_until, has_target;
  double until_time;         /* --until-time S: stop after the clock ending at/after S */
  double target;             /* --target X: stop after the clock with objective <= X */
  uint64_t seed;             /* --seed N (default 1): the first of seeds */
  uint64_t seeds[RUNOPT_MAX_SEEDS]; /* --seed 1,2,3: for stale sim, one sweep per seed */
  uint32_t nseeds;
  const char *data;          /* --data FILE or NULL */
  const char *app_options;   /* --app-options k=v,... or NULL */
  const char *out;           /* --out FILE.csv or NULL (stdout) */
  uint32_t workers_per_node; /* --workers-per-node N (default 1) */
  uint32_t servers;          /* --servers N; 0 = default (nodes/16, >= 1) */
  uint8_t push;              /* 1 unless --pull */
  int8_t ordered;            /* --ordered on|off|auto: -1 auto (on for s = 0) */
  uint8_t help;              /* --help or -h seen */
  /* --schedule NAME (none: a data-parallel run), --schedule-size N, --rho X,
   * --eta X, --depth N, --rounds-per-clock N (core/mpsched.h). */
  sched_params sched;
  /* Managed communication (core/comm.h). */
  uint8_t comm_policy;       /* --comm-policy NAME (default none) */
  double comm_budget;        /* --comm-budget BW: bytes/s per node, or */
  double comm_budget_link;   /* --comm-budget Flink: that fraction of the link */
  double comm_interval;      /* --comm-interval L: seconds between ticks (0: default) */
} runopt;

/* Fills o with the defaults above (staleness list = {1}). */
void runopt_defaults(runopt *o);

/* Parses argv[*i] if it is a common flag ("--flag value" or "--flag=value"),
 * advancing *i past what it consumed. Returns 1 if consumed, 0 if argv[*i] is
 * not a common flag (nothing changed), or ST_EPARSE with a message in err. */
int runopt_parse(runopt *o, int argc, char **argv, int *i, char *err, size_t errlen);

/* If argv[*i] is --name or --name=..., sets *val to its value (borrowed from
 * argv), advances *i and returns 1; returns 0 if it is another flag, or
 * ST_EPARSE when the value is missing. */
int runopt_take(int argc, char **argv, int *i, const char *name, const char **val, char *err,
                size_t errlen);

/* Strict decimal parsers: the whole string must be a number in [min, max].
 * Return 0 or ST_EPARSE with "--flag: bad value 'x' (...)" in err. */
int runopt_u32(const char *flag, const char *s, uint32_t min, uint32_t max, uint32_t *out,
               char *err, size_t errlen);
int runopt_u64(const char *flag, const char *s, uint64_t *out, char *err, size_t errlen);
int runopt_real(const char *flag, const char *s, double min, double max, double *out, char *err,
                size_t errlen);
/* Parses a comma list of staleness bounds (numbers or "inf"). */
int runopt_staleness_list(const char *s, uint32_t *out, uint32_t max, uint32_t *n, char *err,
                          size_t errlen);

/* Whether a run with this staleness applies updates in client order
 * (cfg.ordered): --ordered, or by default only for BSP, where it costs
 * nothing and makes the result independent of message timing. */
int runopt_ordered(const runopt *o, uint32_t staleness);

/* The stopping rules given (--until-time, --target) for app's objective. */
harness_stop runopt_stop(const runopt *o, const app_ops *app);

/* Parses a bandwidth "125MBps", "1Gbps" (bytes/s as SimGrid's units) into
 * *out (> 0). 0 or ST_EPARSE with the flag and value in err. */
int runopt_bandwidth(const char *flag, const char *s, double *out, char *err, size_t errlen);
/* A duration: a positive finite number and s, ms or us, e.g. 5ms; seconds
 * into *out. 0 or ST_EPARSE with err naming flag. */
int runopt_duration(const char *flag, const char *s, double *out, char *err, size_t errlen);

/* Puts the comm options into cfg; link_Bps is the node's link bandwidth
 * (0 when unknown, as in a real run: then "Flink" is refused). 0 or
 * ST_EPARSE (a policy without a budget, or a budget without a policy). */
int runopt_comm(const runopt *o, double link_Bps, st_config *cfg, char *err, size_t errlen);

/* Checks what every run needs (an app name). 0 or ST_EPARSE. */
int runopt_check(const runopt *o, char *err, size_t errlen);

/* Help text for the common flags (static). */
const char *runopt_help(void);

#endif
