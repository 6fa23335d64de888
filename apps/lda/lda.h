/* lda.h: Latent Dirichlet Allocation by collapsed Gibbs sampling on the PS.
 * The corpus and options are shared read-only by the workers of a process;
 * each worker owns its documents (doc d belongs to worker d mod nworkers),
 * their topic assignments and document-topic counts. Word-topic counts and
 * topic totals live in PS tables. */
#ifndef LDA_LDA_H
#define LDA_LDA_H

#include "../app.h"

/* Table 1: word-topic counts n_wk, V rows of width K, stored sparse.
 * Table 2: topic totals n_k, one dense row of width K. Counts are integers
 * carried by float deltas: every value and every partial sum is an integer
 * of magnitude below 2^24 (the corpus is refused beyond LDA_MAX_TOKENS), so
 * float addition on them is exact and order-independent. */
#define LDA_WORD_TABLE 1u
#define LDA_TOPIC_TABLE 2u

/* Modeled cost charged to the simulator (flops at --host-speed) per token
 * and MH cycle, and per count read or scanned: set from the one-core
 * benchmark (experiments/lda_bench.sh) at the default host speed. */
#define LDA_FLOPS_PER_TOKEN_CYCLE 300.0
#define LDA_FLOPS_PER_COUNT 2.0

typedef enum { LDA_FMT_AUTO, LDA_FMT_UCI, LDA_FMT_LINES, LDA_FMT_DIR } lda_format;

typedef struct lda_options {
  uint32_t topics;       /* K, 1..65535 */
  double alpha, beta;    /* symmetric Dirichlet priors, > 0 */
  uint32_t mh;           /* MH proposal cycles per token, 1..64 */
  uint32_t top;          /* words per topic in the top-words file */
  char topwords[512];    /* file for the top words at the end, "" for none */
  lda_format format;     /* how to read --data */
  char vocab[512];       /* UCI vocab file, "" for docword's sibling */
  uint32_t min_count;    /* plain text: words seen fewer times are dropped */
  char stopwords[512];   /* plain text: extra stop-word file, "" for none */
  /* Generated corpus (no --data): shape and priors; 0 = default. */
  uint32_t gen_docs, gen_vocab, gen_len, gen_topics;
  uint32_t chunks; /* a clock's sweep in this many parts of the documents,
                      each incremented as it ends and each after the first
                      re-reading the counts; 1..1024, default 1 */
} lda_options;

/* topics=100, alpha=0.1, beta=0.01, mh=2, top=10, min_count=5, chunks=1 */
lda_options lda_options_defaults(void);
/* Parses "key=value,..." (NULL or "" gives the defaults). Keys: topics,
 * alpha, beta, mh, top, topwords, format (auto|uci|lines|dir), vocab,
 * min_count, stopwords, gen_docs, gen_vocab, gen_len, gen_topics, chunks.
 * 0 or ST_EPARSE with a message in err. */
int lda_options_parse(const char *text, lda_options *out, char *err, size_t errlen);

/* The per-token log-likelihood of a summed metrics row (see lda.c). */
double lda_objective_of(uint32_t K, double vbeta, const float *row);

extern const app_ops lda_app;

#endif
