/* model.c: MF arithmetic and options. */
#include "../appopt.h"
#include "model.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/st.h"
#include "rng.h"

mf_options mf_options_defaults(void) {
  mf_options o = {.rank = 16, .lr = 0.2f, .reg = 0.05f, .batch = 1.0f, .avg = 1, .chunks = 1,
                  .step = MF_STEP_SGD, .eta0 = 0.1f};
  return o;
}

#define opt_fail(err, errlen, ...) appopt_fail(err, errlen, "mf", __VA_ARGS__)

int mf_options_parse(const char *text, mf_options *out, char *err, size_t errlen) {
  mf_options o = mf_options_defaults();
  static const char *const keys[] = {"rank", "lr", "reg", "batch", "avg", "users", "items", "ratings", "chunks", "step", "eta0", "reread"};
  enum { NKEYS = sizeof keys / sizeof keys[0] };
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
      if (strlen(keys[i]) == klen && memcmp(keys[i], p, klen) == 0) k = i;
    if (k < 0)
      return opt_fail(err, errlen,
                      "unknown key '%.*s' (known: rank, lr, reg, batch, avg, users, items, ratings, chunks, step, eta0, reread)",
                      (int)klen, p);
    if (seen[k]++) return opt_fail(err, errlen, "key '%.*s' given twice", (int)klen, p);
    if (k == 9) { /* step: a word, not a number */
      if (vlen == 3 && memcmp(val, "sgd", 3) == 0)
        o.step = MF_STEP_SGD;
      else if (vlen == 11 && memcmp(val, "adarevision", 11) == 0)
        o.step = MF_STEP_ADAREV;
      else if (vlen == 7 && memcmp(val, "adagrad", 7) == 0)
        o.step = MF_STEP_ADAGRAD;
      else
        return opt_fail(err, errlen, "bad value '%.*s' for 'step': expected sgd, adarevision or adagrad",
                        (int)vlen, val);
      if (!end) break;
      p = end + 1;
      if (!*p) return opt_fail(err, errlen, "trailing ','");
      continue;
    }
    double v;
    const char *want = NULL;
    if (appopt_number(val, vlen, &v))
      want = "a number";
    else if (k == 0 && (v != floor(v) || v < 1 || v > 1024))
      want = "an integer in 1..1024";
    else if (k == 1 && !(v > 0))
      want = "a number > 0";
    else if (k == 2 && !(v >= 0))
      want = "a number >= 0";
    else if (k == 3 && !(v > 0 && v <= 64))
      want = "a number in (0, 64]";
    else if (k == 4 && v != 0 && v != 1)
      want = "0 or 1";
    else if (k >= 5 && k <= 7 && (v != floor(v) || v < 1 || v > 4e9))
      want = "a positive integer";
    else if (k == 8 && (v != floor(v) || v < 1 || v > 1024))
      want = "an integer in 1..1024";
    else if (k == 10 && !(v > 0 && v <= 1e6))
      want = "a number in (0, 1e6]";
    else if (k == 11 && v != 0 && v != 1)
      want = "0 or 1";
    if (want)
      return opt_fail(err, errlen, "bad value '%.*s' for '%.*s': expected %s", (int)vlen, val,
                      (int)klen, p, want);
    if (k == 0)
      o.rank = (uint32_t)v;
    else if (k == 1)
      o.lr = (float)v;
    else if (k == 2)
      o.reg = (float)v;
    else if (k == 3)
      o.batch = (float)v;
    else if (k == 4)
      o.avg = (uint8_t)v;
    else if (k == 5)
      o.gen_users = (uint32_t)v;
    else if (k == 6)
      o.gen_items = (uint32_t)v;
    else if (k == 7)
      o.gen_ratings = (uint64_t)v;
    else if (k == 8)
      o.chunks = (uint32_t)v;
    else if (k == 10)
      o.eta0 = (float)v;
    else
      o.reread = (uint8_t)v;
    if (!end) break;
    p = end + 1;
    if (!*p) return opt_fail(err, errlen, "trailing ','");
  }
  *out = o;
  return 0;
}

void mf_init_factor(uint64_t seed, char kind, uint32_t index, uint32_t rank, float *out) {
  mf_rng r;
  mf_rng_seed(&r, seed, ((uint64_t)(unsigned char)kind << 40) | ((uint64_t)0x494E << 32) | index);
  for (uint32_t c = 0; c < rank; c++) out[c] = (float)(0.2 * mf_rng_uniform(&r) - 0.1);
}

float mf_predict(const float *u, const float *v, uint32_t rank, float mu) {
  float dot = 0.0f;
  for (uint32_t c = 0; c < rank; c++) dot += u[c] * v[c];
  return mu + dot;
}

float mf_sgd_update(float *u, float *v, float *dv, uint32_t rank, float r, float mu, float lr,
                    float reg) {
  float e = r - mf_predict(u, v, rank, mu);
  for (uint32_t c = 0; c < rank; c++) {
    float uc = u[c], vc = v[c];
    float gu = e * vc - reg * uc;
    float gv = e * uc - reg * vc;
    u[c] = uc + lr * gu;
    v[c] = vc + lr * gv;
    if (dv) dv[c] += lr * gv;
  }
  return e;
}

float mf_grad_update(float *u, const float *v, float *gsum, uint32_t rank, float r, float mu,
                     float lr, float reg) {
  float e = r - mf_predict(u, v, rank, mu);
  for (uint32_t c = 0; c < rank; c++) {
    float uc = u[c], vc = v[c];
    u[c] = uc + lr * (e * vc - reg * uc);
    gsum[c] += e * uc - reg * vc;
  }
  return e;
}

double mf_rmse(const float *row) {
  if (!(row[1] > 0.0f)) return NAN;
  return sqrt((double)row[0] / (double)row[1]);
}
