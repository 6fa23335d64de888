/* sampler.c: LightLDA-style Metropolis-Hastings Gibbs sweeps (see sampler.h). */
#include "sampler.h"

#include <stdlib.h>
#include <string.h>

#include "../../core/st.h"

void lda_rng_seed(lda_rng *r, uint64_t seed, uint64_t stream) {
  uint64_t z = seed ^ (stream * 0x9E3779B97F4A7C15ull) ^ 0x4C44415F524E47ull; /* "LDA_RNG" */
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  r->s = z ? z : 0x9E3779B97F4A7C15ull; /* xorshift must not start at 0 */
}

int lda_sampler_init(lda_sampler *s, uint32_t K, uint32_t V, double alpha, double beta, uint32_t mh,
                     uint32_t nslots, uint32_t ndocs, const uint64_t *doc_start, const uint32_t *slot) {
  memset(s, 0, sizeof *s);
  if (K == 0 || K > LDA_MAX_TOPICS || !(alpha > 0) || !(beta > 0) || mh == 0) return ST_EINVAL;
  s->K = K;
  s->nslots = nslots;
  s->ndocs = ndocs;
  s->alpha = alpha;
  s->beta = beta;
  s->vbeta = (double)V * beta;
  s->mh = mh;
  s->doc_start = doc_start;
  s->slot = slot;
  uint64_t ntok = doc_start[ndocs];
  s->z = calloc(ntok + 1, sizeof *s->z);
  s->ndk = calloc((size_t)ndocs * K + 1, sizeof *s->ndk);
  s->nwk = calloc((size_t)nslots * K + 1, sizeof *s->nwk);
  s->nk = calloc(K, sizeof *s->nk);
  s->aoff = calloc((size_t)nslots + 1, sizeof *s->aoff);
  s->amass = calloc((size_t)nslots + 1, sizeof *s->amass);
  s->scratch = malloc(K * sizeof *s->scratch);
  s->small = malloc(K * sizeof *s->small);
  s->large = malloc(K * sizeof *s->large);
  s->capmoves = ntok + 1;
  s->moves = malloc(s->capmoves * sizeof *s->moves);
  if (!s->z || !s->ndk || !s->nwk || !s->nk || !s->aoff || !s->amass || !s->scratch || !s->small ||
      !s->large || !s->moves) {
    lda_sampler_free(s);
    return ST_ENOMEM;
  }
  return 0;
}

void lda_sampler_free(lda_sampler *s) {
  free(s->z);
  free(s->ndk);
  free(s->nwk);
  free(s->nk);
  free(s->aoff);
  free(s->atopic);
  free(s->acount);
  free(s->aprob);
  free(s->aalias);
  free(s->amass);
  free(s->moves);
  free(s->scratch);
  free(s->small);
  free(s->large);
  memset(s, 0, sizeof *s);
}

void lda_sampler_init_topics(lda_sampler *s, uint64_t seed, const uint32_t *doc_id) {
  for (uint32_t d = 0; d < s->ndocs; d++) {
    lda_rng r;
    lda_rng_seed(&r, seed, ((uint64_t)0x494E4954 << 32) | doc_id[d]); /* "INIT" */
    for (uint64_t i = s->doc_start[d]; i < s->doc_start[d + 1]; i++)
      s->z[i] = (lda_topic_t)lda_rng_below(&r, s->K);
  }
  lda_sampler_count_docs(s);
}

int lda_sampler_set_topics(lda_sampler *s, const lda_topic_t *z) {
  uint64_t n = s->doc_start[s->ndocs];
  for (uint64_t i = 0; i < n; i++)
    if (z[i] >= s->K) return ST_EINVAL;
  memcpy(s->z, z, n * sizeof *z);
  lda_sampler_count_docs(s);
  return 0;
}

void lda_sampler_count_docs(lda_sampler *s) {
  memset(s->ndk, 0, (size_t)s->ndocs * s->K * sizeof *s->ndk);
  for (uint32_t d = 0; d < s->ndocs; d++)
    for (uint64_t i = s->doc_start[d]; i < s->doc_start[d + 1]; i++) s->ndk[(size_t)d * s->K + s->z[i]]++;
}

void lda_sampler_own_counts(const lda_sampler *s, int32_t *out) {
  uint64_t n = s->doc_start[s->ndocs];
  for (uint64_t i = 0; i < n; i++) out[(size_t)s->slot[i] * s->K + s->z[i]]++;
}

static int grow_alias(lda_sampler *s, size_t need) {
  if (need <= s->acap) return 0;
  size_t cap = s->acap ? s->acap : 1024;
  while (cap < need) cap *= 2;
  lda_topic_t *t = realloc(s->atopic, cap * sizeof *t);
  if (!t) return ST_ENOMEM;
  s->atopic = t;
  int32_t *c = realloc(s->acount, cap * sizeof *c);
  if (!c) return ST_ENOMEM;
  s->acount = c;
  float *p = realloc(s->aprob, cap * sizeof *p);
  if (!p) return ST_ENOMEM;
  s->aprob = p;
  uint32_t *a = realloc(s->aalias, cap * sizeof *a);
  if (!a) return ST_ENOMEM;
  s->aalias = a;
  s->acap = cap;
  return 0;
}

/* Vose's alias method over the m entries at base (weights acount). */
static void build_alias(lda_sampler *s, uint64_t base, uint32_t m, int64_t mass) {
  double *q = s->scratch;
  uint32_t ns = 0, nl = 0;
  for (uint32_t i = 0; i < m; i++) {
    q[i] = (double)s->acount[base + i] * m / (double)mass;
    if (q[i] < 1.0)
      s->small[ns++] = i;
    else
      s->large[nl++] = i;
  }
  while (ns && nl) {
    uint32_t l = s->small[--ns], g = s->large[nl - 1];
    s->aprob[base + l] = (float)q[l];
    s->aalias[base + l] = g;
    q[g] -= 1.0 - q[l];
    if (q[g] < 1.0) {
      nl--;
      s->small[ns++] = g;
    }
  }
  while (nl) {
    uint32_t g = s->large[--nl];
    s->aprob[base + g] = 1.0f;
    s->aalias[base + g] = g;
  }
  while (ns) { /* only rounding leaves these */
    uint32_t l = s->small[--ns];
    s->aprob[base + l] = 1.0f;
    s->aalias[base + l] = l;
  }
}

int lda_sampler_begin(lda_sampler *s) {
  const uint32_t K = s->K;
  uint64_t off = 0;
  for (uint32_t w = 0; w < s->nslots; w++) {
    const int32_t *row = s->nwk + (size_t)w * K;
    if (grow_alias(s, off + K)) return ST_ENOMEM;
    s->aoff[w] = off;
    int64_t mass = 0;
    uint32_t m = 0;
    for (uint32_t k = 0; k < K; k++)
      if (row[k] > 0) {
        s->atopic[off + m] = (lda_topic_t)k;
        s->acount[off + m] = row[k];
        mass += row[k];
        m++;
      }
    s->amass[w] = mass;
    if (m) build_alias(s, off, m, mass);
    off += m;
  }
  s->aoff[s->nslots] = off;
  return 0;
}

/* Snapshot count of topic t in the table [lo, hi). */
static inline int32_t snap_count(const lda_sampler *s, uint64_t lo, const uint64_t end, uint32_t t) {
  uint64_t hi = end;
  while (lo < hi) {
    uint64_t mid = (lo + hi) / 2;
    if (s->atopic[mid] < t)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < end && s->atopic[lo] == t ? s->acount[lo] : 0;
}

int lda_sampler_sweep(lda_sampler *s, lda_rng *r) { return lda_sampler_sweep_some(s, r, NULL); }

int lda_sampler_sweep_some(lda_sampler *s, lda_rng *r, const uint8_t *active) {
  return lda_sampler_sweep_docs(s, r, active, 0, s->ndocs);
}

int lda_sampler_sweep_docs(lda_sampler *s, lda_rng *r, const uint8_t *active, uint32_t d0,
                           uint32_t d1) {
  if (d0 > d1 || d1 > s->ndocs) return ST_EINVAL;
  const uint32_t K = s->K;
  const double a = s->alpha, b = s->beta, vb = s->vbeta, Ka = K * a, Kb = K * b;
  int64_t *nk = s->nk;
  lda_topic_t *z = s->z;
  s->nmoves = 0;
  for (uint32_t d = d0; d < d1; d++) {
    int32_t *nd = s->ndk + (size_t)d * K;
    const uint64_t st = s->doc_start[d], en = s->doc_start[d + 1];
    const double Nd = (double)(en - st);
    for (uint64_t i = st; i < en; i++) {
      const uint32_t w = s->slot[i];
      if (active && !active[w]) continue;
      int32_t *nw = s->nwk + (size_t)w * K;
      const uint32_t t0 = z[i];
      uint32_t cur = t0;
      nd[cur]--;
      nw[cur]--;
      nk[cur]--;
      const uint64_t lo = s->aoff[w], hi = s->aoff[w + 1];
      const uint32_t am = (uint32_t)(hi - lo);
      const double mass = (double)s->amass[w], wtot = mass + Kb;
      int32_t snap_cur = snap_count(s, lo, hi, cur);
      for (uint32_t step = 0; step < s->mh; step++) {
        /* word proposal */
        uint32_t t;
        int32_t snap_t;
        if (lda_rng_unif(r) * wtot < mass) {
          uint64_t j = lo + lda_rng_below(r, am);
          if (lda_rng_unif(r) >= s->aprob[j]) j = lo + s->aalias[j];
          t = s->atopic[j];
          snap_t = s->acount[j];
        } else {
          t = lda_rng_below(r, K);
          snap_t = snap_count(s, lo, hi, t);
        }
        if (t != cur) {
          double num = (nd[t] + a) * (nw[t] + b) * ((double)nk[cur] + vb) * (snap_cur + b);
          double den = (nd[cur] + a) * (nw[cur] + b) * ((double)nk[t] + vb) * (snap_t + b);
          if (lda_rng_unif(r) * den < num) {
            cur = t;
            snap_cur = snap_t;
            z[i] = (lda_topic_t)cur;
          }
        }
        /* doc proposal: the topic of a random token of d, the current one
         * included (its count cancels against the target's) */
        double v = lda_rng_unif(r) * (Nd + Ka);
        t = v < Nd ? z[st + (uint64_t)v] : lda_rng_below(r, K);
        if (t != cur) {
          double num = (nw[t] + b) * ((double)nk[cur] + vb);
          double den = (nw[cur] + b) * ((double)nk[t] + vb);
          if (lda_rng_unif(r) * den < num) {
            cur = t;
            snap_cur = snap_count(s, lo, hi, cur);
            z[i] = (lda_topic_t)cur;
          }
        }
      }
      nd[cur]++;
      nw[cur]++;
      nk[cur]++;
      z[i] = (lda_topic_t)cur;
      if (cur != t0) s->moves[s->nmoves++] = (lda_move){w, (lda_topic_t)t0, (lda_topic_t)cur};
    }
  }
  return 0;
}

/* ---- log-likelihood ------------------------------------------------------ */

int lda_lgamma_init(lda_lgamma *g, double a, uint32_t n) {
  g->a = a;
  g->n = n;
  g->tab = malloc((n ? n : 1) * sizeof *g->tab);
  if (!g->tab) return ST_ENOMEM;
  double la = lgamma(a);
  for (uint32_t i = 0; i < n; i++) g->tab[i] = lgamma((double)i + a) - la;
  return 0;
}

void lda_lgamma_free(lda_lgamma *g) {
  free(g->tab);
  g->tab = NULL;
}

double lda_ll_docs(const lda_sampler *s, const lda_lgamma *ga) {
  const uint32_t K = s->K;
  double Ka = K * s->alpha, sum = 0.0, base = lgamma(Ka);
  for (uint32_t d = 0; d < s->ndocs; d++) {
    const int32_t *nd = s->ndk + (size_t)d * K;
    double Nd = (double)(s->doc_start[d + 1] - s->doc_start[d]);
    double t = base - lgamma(Nd + Ka);
    for (uint32_t k = 0; k < K; k++)
      if (nd[k] > 0) t += lda_lgamma_at(ga, nd[k]);
    sum += t;
  }
  return sum;
}

double lda_ll_word_row(const float *row, uint32_t K, const lda_lgamma *gb) {
  double sum = 0.0;
  for (uint32_t k = 0; k < K; k++)
    if (row[k] > 0.5f) sum += lda_lgamma_at(gb, (int64_t)(row[k] + 0.5f));
  return sum;
}

double lda_ll_topics(const float *nk, uint32_t K, double vbeta) {
  double sum = 0.0;
  for (uint32_t k = 0; k < K; k++) sum -= lgamma((double)(nk[k] > 0 ? nk[k] : 0) + vbeta);
  return sum;
}

double lda_ll_const(uint32_t K, double vbeta) { return K * lgamma(vbeta); }
