/* gen.h: a corpus drawn from LDA's own generative model, with the true
 * topics kept, for scale runs and for checking that the sampler recovers
 * what generated the data:
 *   phi_k ~ Dirichlet(topic_beta) over V words, k < K
 *   for each document: theta ~ Dirichlet(doc_alpha) over K topics,
 *     length = doc_len, each token: k ~ theta, word ~ phi_k.
 * Seeded; the same parameters give the same corpus on every machine. The
 * caller owns the corpus and the K x V row-major phi it gets. */
#ifndef LDA_GEN_H
#define LDA_GEN_H

#include "corpus.h"

typedef struct lda_gen_params {
  uint32_t docs, vocab, topics, doc_len;
  double doc_alpha, topic_beta;
  uint64_t seed;
} lda_gen_params;

/* 2000 docs, 1000 words, 10 topics, 100 tokens a doc, alpha 0.1, beta 0.05. */
lda_gen_params lda_gen_defaults(void);
/* Draws the corpus into *out and, if phi is not NULL, the true topics into
 * a malloc'd *phi. 0, ST_EINVAL (a zero shape, non-positive concentration,
 * over LDA_MAX_TOKENS tokens) with a message, or ST_ENOMEM. */
int lda_generate(const lda_gen_params *p, lda_corpus *out, double **phi, char *err, size_t errlen);

/* Mean over true topics of the cosine similarity to the best-matching
 * learned topic. true_phi is Kt x V, learned Kl x V (row-major). */
double lda_topic_recovery(const double *true_phi, uint32_t Kt, const double *learned, uint32_t Kl,
                          uint32_t V);

#endif
