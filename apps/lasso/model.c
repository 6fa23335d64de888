/* model.c: Lasso arithmetic and options. */
#include "../appopt.h"
#include "model.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/st.h"
#include "../mf/rng.h"
#include "gen.h"

lasso_options lasso_options_defaults(void) {
  lasso_gen_params g = lasso_gen_defaults();
  lasso_options o = {.lambda = 0.1,
                     .step = 1.0,
                     .delay = -1,
                     .block = 256,
                     .power = 100,
                     .gen_n = g.n,
                     .gen_p = g.p,
                     .gen_group = g.group,
                     .gen_k = g.k,
                     .gen_rho = g.rho,
                     .gen_noise = g.noise};
  return o;
}

#define opt_fail(err, errlen, ...) appopt_fail(err, errlen, "lasso", __VA_ARGS__)

static int is_word(const char *s, size_t len, const char *w) {
  return strlen(w) == len && memcmp(s, w, len) == 0;
}

enum {
  K_LAMBDA, K_STEP, K_DELAY, K_STD, K_BLOCK, K_POWER, K_FORMAT, K_LABEL, K_FEATURES,
  K_N, K_P, K_GROUP, K_RHO, K_K, K_NOISE, K_COEF, K_DEPROWS, NKEYS
};
static const char *const keys[NKEYS] = {"lambda", "step",     "delay", "standardize",
                                        "block",  "power",    "format", "label",
                                        "features", "n",      "p",     "group",
                                        "rho",    "k",        "noise", "coef",
                                        "deprows"};

/* Applies key k = val[0..vlen) to o; returns what was expected, or NULL. */
static const char *set_option(lasso_options *o, int k, const char *val, size_t vlen) {
  if (k == K_FORMAT) {
    if (is_word(val, vlen, "auto")) o->load.format = LASSO_FMT_AUTO;
    else if (is_word(val, vlen, "libsvm")) o->load.format = LASSO_FMT_LIBSVM;
    else if (is_word(val, vlen, "csv")) o->load.format = LASSO_FMT_CSV;
    else if (is_word(val, vlen, "table")) o->load.format = LASSO_FMT_TABLE;
    else return "auto, libsvm, csv or table";
    return NULL;
  }
  if (k == K_LABEL) {
    if (is_word(val, vlen, "first")) o->load.label_last = 0;
    else if (is_word(val, vlen, "last")) o->load.label_last = 1;
    else return "first or last";
    return NULL;
  }
  if (k == K_COEF) {
    if (vlen == 0 || vlen >= sizeof o->coef) return "a file name of 1..511 bytes";
    memcpy(o->coef, val, vlen);
    o->coef[vlen] = '\0';
    return NULL;
  }
  if (k == K_DELAY && is_word(val, vlen, "auto")) {
    o->delay = -1;
    return NULL;
  }
  double v;
  if (appopt_number(val, vlen, &v)) return k == K_DELAY ? "auto or an integer in 0..1000000" : "a number";
  int integer = v == floor(v);
  switch (k) {
  case K_LAMBDA: if (!(v >= 0)) return "a number >= 0"; o->lambda = v; break;
  case K_STEP: if (!(v > 0 && v < 2)) return "a number in (0, 2)"; o->step = v; break;
  case K_DELAY: if (!integer || v < 0 || v > 1e6) return "auto or an integer in 0..1000000";
    o->delay = (int32_t)v; break;
  case K_STD: if (v != 0 && v != 1) return "0 or 1"; o->standardize = (uint8_t)v; break;
  case K_BLOCK: if (!integer || v < 1 || v > 4096) return "an integer in 1..4096";
    o->block = (uint32_t)v; break;
  case K_POWER: if (!integer || v < 1 || v > 100000) return "an integer in 1..100000";
    o->power = (uint32_t)v; break;
  case K_FEATURES: if (!integer || v < 1 || v > 4e9) return "a positive integer";
    o->load.features = (uint32_t)v; break;
  case K_RHO: if (!(v >= 0 && v < 1)) return "a number in [0, 1)"; o->gen_rho = v; break;
  case K_NOISE: if (!(v >= 0)) return "a number >= 0"; o->gen_noise = v; break;
  case K_DEPROWS: if (!integer || v < 0 || v > 4e9) return "a non-negative integer";
    o->dep_rows = (uint32_t)v; break;
  default: /* n, p, group, k */
    if (!integer || v < (k == K_K ? 0 : 1) || v > 4e9)
      return k == K_K ? "a non-negative integer" : "a positive integer";
    if (k == K_N) o->gen_n = (uint32_t)v;
    else if (k == K_P) o->gen_p = (uint32_t)v;
    else if (k == K_GROUP) o->gen_group = (uint32_t)v;
    else o->gen_k = (uint32_t)v;
  }
  return NULL;
}

int lasso_options_parse(const char *text, lasso_options *out, char *err, size_t errlen) {
  lasso_options o = lasso_options_defaults();
  int seen[NKEYS] = {0};
  const char *p = text ? text : "";
  while (*p) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    const char *eq = memchr(p, '=', len);
    if (!eq) return opt_fail(err, errlen, "'%.*s' is not key=value", (int)len, p);
    size_t klen = (size_t)(eq - p);
    const char *val = eq + 1;
    size_t vlen = len - klen - 1;
    int k = -1;
    for (int i = 0; i < NKEYS; i++)
      if (is_word(p, klen, keys[i])) k = i;
    if (k < 0)
      return opt_fail(err, errlen,
                      "unknown key '%.*s' (known: lambda, step, delay, standardize, block, power, "
                      "format, label, features, n, p, group, rho, k, noise, coef, deprows)",
                      (int)klen, p);
    if (seen[k]++) return opt_fail(err, errlen, "key '%.*s' given twice", (int)klen, p);
    const char *want = set_option(&o, k, val, vlen);
    if (want)
      return opt_fail(err, errlen, "bad value '%.*s' for '%.*s': expected %s", (int)vlen, val,
                      (int)klen, p, want);
    if (!end) break;
    p = end + 1;
    if (!*p) return opt_fail(err, errlen, "trailing ','");
  }
  *out = o;
  return 0;
}

double lasso_soft(double v, double t) {
  if (v > t) return v - t;
  if (v < -t) return v + t;
  return 0.0;
}

/* x_i . v over row i, in double. */
static double row_dot(const lasso_data *d, uint32_t i, const double *v) {
  double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
  if (d->dense) {
    const float *x = d->dense + (size_t)i * d->p;
    uint32_t j = 0;
    /* Four sums in a fixed order: the compiler may keep them in vector
     * lanes without reassociating anything, so results stay bit-exact. */
    for (; j + 4 <= d->p; j += 4) {
      s0 += x[j] * v[j];
      s1 += x[j + 1] * v[j + 1];
      s2 += x[j + 2] * v[j + 2];
      s3 += x[j + 3] * v[j + 3];
    }
    for (; j < d->p; j++) s0 += x[j] * v[j];
  } else {
    for (size_t k = d->row_start[i]; k < d->row_start[i + 1]; k++) s0 += d->val[k] * v[d->col[k]];
  }
  return (s0 + s1) + (s2 + s3);
}

/* acc += a * x_i. */
static void row_axpy(const lasso_data *d, uint32_t i, double a, double *acc) {
  if (d->dense) {
    const float *x = d->dense + (size_t)i * d->p;
    for (uint32_t j = 0; j < d->p; j++) acc[j] += a * x[j];
  } else {
    for (size_t k = d->row_start[i]; k < d->row_start[i + 1]; k++) acc[d->col[k]] += a * d->val[k];
  }
}

void lasso_pass(const lasso_data *d, uint32_t r0, uint32_t r1, const double *beta, double b,
                double *sse, double *rsum, double *acc) {
  double s = 0.0, t = 0.0;
  /* One read of each row for both products: the row is still in cache for
   * the gradient term, so a pass costs one sweep over the worker's data. */
  for (uint32_t i = r0; i < r1; i++) {
    double r = (double)d->y[i] - b - row_dot(d, i, beta);
    s += r * r;
    t += r;
    row_axpy(d, i, r, acc);
  }
  *sse += s;
  *rsum += t;
}

double lasso_lipschitz(const lasso_data *d, const double *mean, uint32_t iters) {
  size_t p = d->p;
  double *v = malloc((p + 1) * sizeof *v), *w = malloc((p + 1) * sizeof *w);
  if (!v || !w) {
    free(v);
    free(w);
    return ST_ENOMEM;
  }
  mf_rng r;
  mf_rng_seed(&r, 0x4C4950u, 0); /* fixed: the estimate must not depend on the run seed */
  double norm = 0.0;
  for (size_t j = 0; j < p; j++) {
    v[j] = mf_rng_uniform(&r) + 0.5; /* positive: not orthogonal to a dominant mean mode */
    norm += v[j] * v[j];
  }
  norm = sqrt(norm);
  for (size_t j = 0; j < p; j++) v[j] /= norm;
  double est = 0.0;
  for (uint32_t it = 0; it < iters; it++) {
    /* w = Xc^T Xc v / n, with Xc v = X v - (xbar . v) and Xc^T u = X^T u - xbar sum(u). */
    double mv = 0.0, usum = 0.0;
    for (size_t j = 0; j < p; j++) mv += mean[j] * v[j];
    memset(w, 0, p * sizeof *w);
    for (uint32_t i = 0; i < d->n; i++) {
      double u = row_dot(d, i, v) - mv;
      usum += u;
      row_axpy(d, i, u, w);
    }
    double wn = 0.0;
    for (size_t j = 0; j < p; j++) {
      w[j] = (w[j] - mean[j] * usum) / (double)d->n;
      wn += w[j] * w[j];
    }
    wn = sqrt(wn); /* ||v|| = 1, so ||w|| is the Rayleigh-like estimate */
    if (wn == 0.0) {
      est = 0.0;
      break;
    }
    int done = it > 0 && fabs(wn - est) <= 1e-6 * wn;
    est = wn;
    for (size_t j = 0; j < p; j++) v[j] = w[j] / wn;
    if (done) break;
  }
  free(v);
  free(w);
  return est;
}

double lasso_objective(const float *row, double lambda) {
  if (!(row[3] > 0.0f)) return NAN;
  return (double)row[0] / (2.0 * (double)row[3]) + lambda * (double)row[1];
}
