/* gen.c: corpora from LDA's generative model, and topic recovery. */
#include "gen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/st.h"
#include "sampler.h"

lda_gen_params lda_gen_defaults(void) {
  lda_gen_params p = {.docs = 2000, .vocab = 1000, .topics = 10, .doc_len = 100,
                      .doc_alpha = 0.1, .topic_beta = 0.05, .seed = 1};
  return p;
}

static double gen_normal(lda_rng *r) {
  double u = lda_rng_unif(r), v = lda_rng_unif(r);
  return sqrt(-2.0 * log(1.0 - u)) * cos(6.283185307179586 * v);
}

/* Marsaglia and Tsang's gamma(shape, 1); shape < 1 by the U^(1/shape) boost. */
static double gen_gamma(lda_rng *r, double shape) {
  if (shape < 1.0) {
    double u = lda_rng_unif(r);
    return gen_gamma(r, shape + 1.0) * pow(1.0 - u, 1.0 / shape);
  }
  double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
  for (;;) {
    double x = gen_normal(r), v = 1.0 + c * x;
    if (v <= 0) continue;
    v = v * v * v;
    double u = lda_rng_unif(r);
    if (log(1.0 - u) < 0.5 * x * x + d - d * v + d * log(v)) return d * v;
  }
}

static void gen_dirichlet(lda_rng *r, double conc, double *out, uint32_t n) {
  double sum = 0.0;
  for (uint32_t i = 0; i < n; i++) sum += out[i] = gen_gamma(r, conc);
  if (!(sum > 0)) { /* every draw underflowed: put the mass on one */
    memset(out, 0, n * sizeof *out);
    out[lda_rng_below(r, n)] = 1.0;
    return;
  }
  for (uint32_t i = 0; i < n; i++) out[i] /= sum;
}

/* Index of u in the cumulative distribution cdf[n] (cdf[n-1] ~ 1). */
static uint32_t gen_pick(const double *cdf, uint32_t n, double u) {
  uint32_t lo = 0, hi = n - 1;
  while (lo < hi) {
    uint32_t mid = (lo + hi) / 2;
    if (cdf[mid] <= u)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

int lda_generate(const lda_gen_params *p, lda_corpus *out, double **phi_out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  if (phi_out) *phi_out = NULL;
  uint64_t ntok = (uint64_t)p->docs * p->doc_len;
  if (!p->docs || !p->vocab || !p->topics || !p->doc_len || !(p->doc_alpha > 0) ||
      !(p->topic_beta > 0) || p->topics > LDA_MAX_TOPICS || ntok > LDA_MAX_TOKENS) {
    if (err && errlen)
      snprintf(err, errlen, "lda generator: docs, vocab, topics (<= %u) and doc_len must be > 0 "
                            "with at most %u tokens in all, alpha and beta > 0",
               LDA_MAX_TOPICS, LDA_MAX_TOKENS);
    return ST_EINVAL;
  }
  const uint32_t K = p->topics, V = p->vocab;
  double *phi = malloc((size_t)K * V * sizeof *phi);
  double *cdf = malloc((size_t)K * V * sizeof *cdf);
  double *theta = malloc((K + 1) * sizeof *theta);
  uint64_t *start = malloc(((size_t)p->docs + 1) * sizeof *start);
  uint32_t *tokens = malloc((ntok + 1) * sizeof *tokens);
  if (!phi || !cdf || !theta || !start || !tokens) {
    free(phi), free(cdf), free(theta), free(start), free(tokens);
    if (err && errlen) snprintf(err, errlen, "lda generator: out of memory");
    return ST_ENOMEM;
  }
  lda_rng r;
  lda_rng_seed(&r, p->seed, 0x544F50494353ull); /* "TOPICS" */
  for (uint32_t k = 0; k < K; k++) {
    gen_dirichlet(&r, p->topic_beta, phi + (size_t)k * V, V);
    double c = 0.0;
    for (uint32_t w = 0; w < V; w++) cdf[(size_t)k * V + w] = c += phi[(size_t)k * V + w];
  }
  uint64_t t = 0;
  for (uint32_t d = 0; d < p->docs; d++) {
    lda_rng_seed(&r, p->seed, ((uint64_t)0x444F43 << 32) | d); /* "DOC" */
    gen_dirichlet(&r, p->doc_alpha, theta, K);
    for (uint32_t k = 1; k < K; k++) theta[k] += theta[k - 1];
    start[d] = t;
    for (uint32_t i = 0; i < p->doc_len; i++) {
      uint32_t k = gen_pick(theta, K, lda_rng_unif(&r) * theta[K - 1]);
      const double *c = cdf + (size_t)k * V;
      tokens[t++] = gen_pick(c, V, lda_rng_unif(&r) * c[V - 1]);
    }
  }
  start[p->docs] = t;
  free(cdf);
  free(theta);
  lda_corpus_adopt(out, p->docs, V, start, tokens, NULL);
  if (phi_out)
    *phi_out = phi;
  else
    free(phi);
  return 0;
}

double lda_topic_recovery(const double *tp, uint32_t Kt, const double *lp, uint32_t Kl, uint32_t V) {
  double sum = 0.0;
  for (uint32_t a = 0; a < Kt; a++) {
    const double *x = tp + (size_t)a * V;
    double best = -1.0;
    for (uint32_t b = 0; b < Kl; b++) {
      const double *y = lp + (size_t)b * V;
      double xy = 0, xx = 0, yy = 0;
      for (uint32_t w = 0; w < V; w++) xy += x[w] * y[w], xx += x[w] * x[w], yy += y[w] * y[w];
      double c = xx > 0 && yy > 0 ? xy / sqrt(xx * yy) : 0.0;
      if (c > best) best = c;
    }
    sum += best;
  }
  return Kt ? sum / Kt : 0.0;
}
