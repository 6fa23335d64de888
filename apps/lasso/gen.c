/* gen.c: the correlated Lasso design and the `stale gen-lasso` command. */
#include "../appopt.h"
#include "gen.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/st.h"
#include "../mf/rng.h" /* the project's seeded generator (xoshiro256**) */

lasso_gen_params lasso_gen_defaults(void) {
  lasso_gen_params g = {
      .n = 500, .p = 1000, .group = 10, .k = 20, .rho = 0.5, .noise = 1.0, .seed = 1};
  return g;
}

static int gen_fail(char *err, size_t errlen, const char *fmt, ...) {
  if (err && errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return ST_EINVAL;
}

int lasso_gen_check(const lasso_gen_params *g, char *err, size_t errlen) {
  if (g->n < 2) return gen_fail(err, errlen, "gen-lasso: n must be at least 2");
  if (g->p < 1) return gen_fail(err, errlen, "gen-lasso: p must be at least 1");
  if (g->group < 1 || g->group > g->p)
    return gen_fail(err, errlen, "gen-lasso: group must be in 1..p (p = %u)", g->p);
  if (!(g->rho >= 0.0 && g->rho < 1.0))
    return gen_fail(err, errlen, "gen-lasso: rho must be in [0, 1)");
  if (g->k > g->p) return gen_fail(err, errlen, "gen-lasso: k must be at most p (p = %u)", g->p);
  if (!(g->noise >= 0.0 && isfinite(g->noise)))
    return gen_fail(err, errlen, "gen-lasso: noise must be a finite number >= 0");
  if ((uint64_t)g->n * g->p > ((uint64_t)1 << 30))
    return gen_fail(err, errlen, "gen-lasso: n * p = %llu values is over 2^30 (4 GiB of floats)",
                    (unsigned long long)g->n * g->p);
  return 0;
}

/* Random stream numbers, one purpose each ("LX" rows, "LB" truth, "LN" noise). */
#define STREAM_ROW(i) (((uint64_t)0x4C58 << 32) | (i))
#define STREAM_TRUTH ((uint64_t)0x4C42 << 32)
#define STREAM_NOISE ((uint64_t)0x4C4E << 32)

int lasso_generate(const lasso_gen_params *g, lasso_data *out, double *truth, char *err,
                   size_t errlen) {
  lasso_data_init(out);
  int rc = lasso_gen_check(g, err, errlen);
  if (rc) return rc;
  uint32_t ngroups = (g->p + g->group - 1) / g->group;
  double *beta = calloc(g->p, sizeof *beta);
  uint32_t *perm = malloc((size_t)g->p * sizeof *perm);
  double *z = malloc((size_t)ngroups * sizeof *z);
  out->y = malloc((size_t)g->n * sizeof *out->y);
  out->dense = malloc((size_t)g->n * g->p * sizeof *out->dense);
  if (!beta || !perm || !z || !out->y || !out->dense) {
    rc = gen_fail(err, errlen, "gen-lasso: out of memory for %u x %u", g->n, g->p);
    rc = ST_ENOMEM;
    goto out;
  }
  out->n = g->n;
  out->p = g->p;
  out->nnz = (size_t)g->n * g->p;
  mf_rng r;
  mf_rng_seed(&r, g->seed, STREAM_TRUTH);
  for (uint32_t j = 0; j < g->p; j++) perm[j] = j;
  for (uint32_t a = 0; a < g->k; a++) { /* partial Fisher-Yates: a uniform k-subset */
    uint32_t b = a + (uint32_t)mf_rng_below(&r, g->p - a);
    uint32_t t = perm[a];
    perm[a] = perm[b];
    perm[b] = t;
    double mag = 1.0 + mf_rng_uniform(&r);
    beta[perm[a]] = (mf_rng_next(&r) >> 63) ? -mag : mag;
  }
  double a = sqrt(g->rho), b = sqrt(1.0 - g->rho);
  mf_rng nr;
  mf_rng_seed(&nr, g->seed, STREAM_NOISE);
  for (uint32_t i = 0; i < g->n; i++) {
    mf_rng_seed(&r, g->seed, STREAM_ROW(i));
    for (uint32_t q = 0; q < ngroups; q++) z[q] = mf_rng_normal(&r);
    float *x = out->dense + (size_t)i * g->p;
    double dot = 0.0;
    for (uint32_t j = 0; j < g->p; j++) {
      x[j] = (float)(a * z[j / g->group] + b * mf_rng_normal(&r));
      dot += beta[j] * x[j]; /* of the stored float, so y matches the data */
    }
    out->y[i] = (float)(dot + g->noise * mf_rng_normal(&nr));
  }
  if (truth) memcpy(truth, beta, (size_t)g->p * sizeof *truth);
  rc = 0;
out:
  free(beta);
  free(perm);
  free(z);
  if (rc) lasso_data_free(out);
  return rc;
}

/* ---- command line ---- */

static void gen_usage(FILE *fp, const char *prog) {
  lasso_gen_params d = lasso_gen_defaults();
  fprintf(fp,
          "usage: %s [--n N] [--p P] [--group G] [--rho R] [--k K] [--noise S] [--seed S]\n"
          "          [--format libsvm|table] [--truth FILE] --out FILE\n"
          "Writes a seeded Lasso design: P columns in groups of G with pairwise correlation R\n"
          "inside a group, a K-sparse true coefficient vector (+-U[1,2] at uniform columns)\n"
          "and y = X beta + S * N(0,1) noise. FILE '-' is standard output.\n"
          "  --n N          samples (default %u)\n"
          "  --p P          columns (default %u)\n"
          "  --group G      columns per correlated group, 1..P (default %u)\n"
          "  --rho R        correlation inside a group, [0, 1) (default %g)\n"
          "  --k K          true non-zeros, 0..P (default %u)\n"
          "  --noise S      noise standard deviation (default %g)\n"
          "  --seed S       random seed (default %llu)\n"
          "  --format F     libsvm (\"y idx:val ...\", default) or table (\"y x1 ... xP\")\n"
          "  --truth FILE   also write the true coefficients, \"index value\" (1-based)\n"
          "  --out FILE     output file (required)\n"
          "  --help         this text\n",
          prog, d.n, d.p, d.group, d.rho, d.k, d.noise, (unsigned long long)d.seed);
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out) {
  if (!*s) return -1;
  for (const char *c = s; *c; c++)
    if (*c < '0' || *c > '9') return -1;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || v > max) return -1;
  *out = v;
  return 0;
}

static int parse_real(const char *s, double *out) {
  if (!*s) return -1;
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || *end || !isfinite(v)) return -1;
  *out = v;
  return 0;
}

static int write_truth(const char *path, const double *beta, uint32_t p) {
  FILE *fp = fopen(path, "w");
  if (!fp) return -1;
  for (uint32_t j = 0; j < p; j++)
    if (beta[j] != 0.0) fprintf(fp, "%u %.17g\n", j + 1, beta[j]);
  int bad = ferror(fp);
  return (fclose(fp) != 0 || bad) ? -1 : 0;
}

int lasso_gen_main(int argc, char **argv) {
  const char *prog = argc > 0 && argv[0] ? argv[0] : "gen-lasso";
  lasso_gen_params g = lasso_gen_defaults();
  const char *out_path = NULL, *truth_path = NULL;
  int table = 0;
  for (int a = 1; a < argc; a++) {
    const char *arg = argv[a];
    if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
      gen_usage(stdout, prog);
      return 0;
    }
    char name[32];
    const char *val;
    if (appopt_flag(prog, argc, argv, &a, name, sizeof name, &val)) return 2;
    uint64_t v = 0;
    const char *want = NULL;
    if (!strcmp(name, "--out")) {
      if (!*val) want = "a file name";
      out_path = val;
    } else if (!strcmp(name, "--truth")) {
      if (!*val) want = "a file name";
      truth_path = val;
    } else if (!strcmp(name, "--format")) {
      if (!strcmp(val, "libsvm"))
        table = 0;
      else if (!strcmp(val, "table"))
        table = 1;
      else
        want = "libsvm or table";
    } else if (!strcmp(name, "--rho") || !strcmp(name, "--noise")) {
      double d;
      if (parse_real(val, &d))
        want = "a number";
      else if (name[2] == 'r')
        g.rho = d;
      else
        g.noise = d;
    } else if (!strcmp(name, "--seed")) {
      if (parse_u64(val, UINT64_MAX, &v)) want = "a non-negative integer";
      g.seed = v;
    } else if (!strcmp(name, "--n") || !strcmp(name, "--p") || !strcmp(name, "--group") ||
               !strcmp(name, "--k")) {
      if (parse_u64(val, UINT32_MAX, &v)) want = "a non-negative integer below 2^32";
      uint32_t u = (uint32_t)v;
      if (name[2] == 'n')
        g.n = u;
      else if (name[2] == 'p')
        g.p = u;
      else if (name[2] == 'g')
        g.group = u;
      else
        g.k = u;
    } else {
      fprintf(stderr, "%s: unknown option '%s' (see --help)\n", prog, name);
      return 2;
    }
    if (want) {
      fprintf(stderr, "%s: bad value '%s' for %s: expected %s\n", prog, val, name, want);
      return 2;
    }
  }
  if (!out_path) {
    fprintf(stderr, "%s: --out FILE is required (see --help)\n", prog);
    return 2;
  }
  char err[512];
  if (lasso_gen_check(&g, err, sizeof err)) {
    fprintf(stderr, "%s\n", err);
    return 2;
  }
  lasso_data d;
  double *truth = malloc((size_t)g.p * sizeof *truth);
  if (!truth) {
    fprintf(stderr, "%s: out of memory\n", prog);
    return 1;
  }
  int rc = lasso_generate(&g, &d, truth, err, sizeof err);
  if (!rc) rc = lasso_data_write(&d, out_path, table, err, sizeof err);
  if (rc) fprintf(stderr, "%s\n", err);
  if (!rc && truth_path && write_truth(truth_path, truth, g.p)) {
    fprintf(stderr, "%s: %s: %s\n", prog, truth_path, strerror(errno));
    rc = 1;
  }
  lasso_data_free(&d);
  free(truth);
  return rc ? 1 : 0;
}
