/* sampler.h: collapsed Gibbs sampling for LDA with a cost per token that
 * does not grow with the number of topics K: LightLDA's cycle of two
 * Metropolis-Hastings proposals (Yuan et al., WWW 2015).
 *
 *   word proposal  q_w(k) ~ n'_wk + beta, drawn in O(1) from a Walker alias
 *                  table over the non-zeros of n'_w plus a uniform branch,
 *                  where n' is the snapshot of the counts the table was built
 *                  from (start of the clock); the acceptance ratio uses the
 *                  same snapshot, so the chain is exact for the current
 *                  counts however stale the table is.
 *   doc proposal   q_d(k) ~ n_dk + alpha, drawn in O(1) by picking the topic
 *                  of a random token of the document (or a uniform topic).
 *
 * Why not SparseLDA's buckets: their cost is O(K_d + K_w) per token (non-
 * zeros of the document's and the word's topic counts), which early in a
 * run, or with long documents and frequent words, approaches K; the MH
 * cycle costs O(mh) per token whatever K is, plus O(K_w) per word and clock
 * to rebuild its alias table, and only needs counts it can read in O(1).
 *
 * An lda_sampler owns its arrays. It knows nothing of the PS: the caller
 * loads the word-topic and topic counts it read (lda_sampler_load_*), calls
 * lda_sampler_begin, sweeps, and reads the changes back. */
#ifndef LDA_SAMPLER_H
#define LDA_SAMPLER_H

#include <stddef.h>
#include <stdint.h>

typedef uint16_t lda_topic_t; /* K <= LDA_MAX_TOPICS */
#define LDA_MAX_TOPICS 65535u

/* xorshift64*: a fast generator for the sampler's hot loop. */
typedef struct lda_rng {
  uint64_t s;
} lda_rng;

void lda_rng_seed(lda_rng *r, uint64_t seed, uint64_t stream);
static inline uint64_t lda_rng_next(lda_rng *r) {
  r->s ^= r->s >> 12;
  r->s ^= r->s << 25;
  r->s ^= r->s >> 27;
  return r->s * 0x2545F4914F6CDD1Dull;
}
/* Uniform in [0, 1). */
static inline double lda_rng_unif(lda_rng *r) { return (double)(lda_rng_next(r) >> 11) * 0x1.0p-53; }
/* Uniform integer in [0, n), n < 2^32 (multiply-shift; bias < n / 2^32). */
static inline uint32_t lda_rng_below(lda_rng *r, uint32_t n) {
  return (uint32_t)(((lda_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* One change made by a sweep: a token of word slot moved from topic `from`
 * to topic `to`. */
typedef struct lda_move {
  uint32_t slot;
  lda_topic_t from, to;
} lda_move;

typedef struct lda_sampler {
  uint32_t K, nslots, ndocs;
  double alpha, beta, vbeta; /* vbeta = V * beta */
  uint32_t mh;               /* proposal cycles per token */
  const uint64_t *doc_start; /* borrowed: ndocs + 1 offsets into slot/z */
  const uint32_t *slot;      /* borrowed: word slot of every token */
  lda_topic_t *z;            /* owned: topic of every token */
  int32_t *ndk;              /* owned: ndocs x K */
  int32_t *nwk;              /* owned: nslots x K, the counts as read + own moves */
  int64_t *nk;               /* owned: K */
  /* Alias tables of the snapshot, one per slot over its non-zero topics
   * sorted by topic: entries [aoff[s], aoff[s + 1]). */
  uint64_t *aoff;
  lda_topic_t *atopic;
  int32_t *acount;
  float *aprob;
  uint32_t *aalias;
  int64_t *amass; /* per slot: sum of its snapshot counts */
  size_t acap;
  lda_move *moves; /* this sweep's moves */
  size_t nmoves, capmoves;
  double *scratch; /* K, for alias building */
  uint32_t *small, *large;
} lda_sampler;

/* Sets up for K topics, nslots word slots, ndocs documents whose tokens are
 * slot[doc_start[d] .. doc_start[d + 1]) (borrowed, must outlive s); V is
 * the vocabulary size of the whole corpus. Topics start unassigned (all 0)
 * until lda_sampler_init_topics or lda_sampler_set_topics. 0 or ST_ENOMEM /
 * ST_EINVAL. */
int lda_sampler_init(lda_sampler *s, uint32_t K, uint32_t V, double alpha, double beta, uint32_t mh,
                     uint32_t nslots, uint32_t ndocs, const uint64_t *doc_start, const uint32_t *slot);
void lda_sampler_free(lda_sampler *s);
/* Draws every token's topic uniformly from a stream per document, seeded
 * by (seed, doc_id[d]), so the start does not depend on the partition. */
void lda_sampler_init_topics(lda_sampler *s, uint64_t seed, const uint32_t *doc_id);
/* Restores topics z[ntokens] (each < K): ST_EINVAL otherwise. */
int lda_sampler_set_topics(lda_sampler *s, const lda_topic_t *z);
/* Recounts ndk from z. */
void lda_sampler_count_docs(lda_sampler *s);
/* The counts of slot's tokens by topic from z alone (own contribution),
 * added into out[K] (borrowed). */
void lda_sampler_own_counts(const lda_sampler *s, int32_t *out_nwk);
/* Builds every slot's alias table from the current nwk (the snapshot). */
int lda_sampler_begin(lda_sampler *s);
/* One pass over every token, in order; appends to s->moves (cleared
 * first). rng is the caller's. */
int lda_sampler_sweep(lda_sampler *s, lda_rng *rng);
/* The same over the tokens whose slot is active (active[nslots], borrowed;
 * NULL: every token): a block of words (the rotation schedule). */
int lda_sampler_sweep_some(lda_sampler *s, lda_rng *rng, const uint8_t *active);
/* The same over documents [d0, d1) only (a part of a clock's sweep);
 * ST_EINVAL unless d0 <= d1 <= ndocs. */
int lda_sampler_sweep_docs(lda_sampler *s, lda_rng *rng, const uint8_t *active, uint32_t d0,
                           uint32_t d1);

/* ln Gamma(n + a) - ln Gamma(a) for integer n >= 0, tabulated for small n. */
typedef struct lda_lgamma {
  double a;
  double *tab;
  uint32_t n;
} lda_lgamma;
int lda_lgamma_init(lda_lgamma *g, double a, uint32_t n);
void lda_lgamma_free(lda_lgamma *g);
static inline double lda_lgamma_at(const lda_lgamma *g, int64_t n);

/* The document part of the collapsed log joint for s's documents:
 * sum_d [lnG(K alpha) - lnG(N_d + K alpha) + sum_k (lnG(n_dk + alpha) - lnG(alpha))]. */
double lda_ll_docs(const lda_sampler *s, const lda_lgamma *ga);
/* One word's part: sum_k (lnG(n_wk + beta) - lnG(beta)) over row[K]. */
double lda_ll_word_row(const float *row, uint32_t K, const lda_lgamma *gb);
/* The topic part: -sum_k lnG(n_k + V beta). */
double lda_ll_topics(const float *nk, uint32_t K, double vbeta);
/* The constant K lnG(V beta) that completes the word part. */
double lda_ll_const(uint32_t K, double vbeta);

#include <math.h>
static inline double lda_lgamma_at(const lda_lgamma *g, int64_t n) {
  if (n <= 0) return 0.0;
  if ((uint64_t)n < g->n) return g->tab[n];
  return lgamma((double)n + g->a) - lgamma(g->a);
}

#endif
