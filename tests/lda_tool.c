/* lda_tool.c: the LDA app's command-line helpers, built next to its tests
 * and used by its scripts (never by a test):
 *   lda_tool text2uci IN OUTDIR NAME [MIN_COUNT [lines|dir]]
 *       tokenizes plain text (one document a line, or one file a document)
 *       with the app's own tokenizer and writes docword.NAME.txt and
 *       vocab.NAME.txt into OUTDIR;
 *   lda_tool gen OUTDIR NAME DOCS VOCAB TOPICS DOC_LEN SEED
 *       writes a corpus drawn from LDA's generative model in UCI format;
 *   lda_tool bench DOCWORD K SWEEPS [MH]
 *       the one-core benchmark: sweeps the whole corpus as one worker and
 *       prints tokens sampled per second, for the sweep alone and with the
 *       per-clock alias rebuild, and the per-token log-likelihood.
 * Errors go to stderr with a non-zero exit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lda/corpus.h"
#include "lda/gen.h"
#include "lda/sampler.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int write_out(const lda_corpus *c, const char *dir, const char *name) {
  char dw[1024], vp[1024], err[512];
  snprintf(dw, sizeof dw, "%s/docword.%s.txt", dir, name);
  snprintf(vp, sizeof vp, "%s/vocab.%s.txt", dir, name);
  if (lda_write_uci(c, dw, vp, err, sizeof err)) {
    fprintf(stderr, "lda_tool: %s\n", err);
    return 1;
  }
  printf("%s: %u documents, %u words, %llu tokens\n", dw, c->ndocs, c->nwords,
         (unsigned long long)c->ntokens);
  return 0;
}

static int text2uci(int argc, char **argv) {
  if (argc < 5) return 2;
  lda_text_opts o = {.min_count = argc > 5 ? (uint32_t)strtoul(argv[5], NULL, 10) : 5,
                     .one_per_file = argc > 6 && strcmp(argv[6], "dir") == 0};
  lda_corpus c;
  char err[512];
  if (lda_load_text(argv[2], &o, &c, err, sizeof err)) {
    fprintf(stderr, "lda_tool: %s\n", err);
    return 1;
  }
  int rc = write_out(&c, argv[3], argv[4]);
  lda_corpus_free(&c);
  return rc;
}

static int gen(int argc, char **argv) {
  if (argc < 9) return 2;
  lda_gen_params p = lda_gen_defaults();
  p.docs = (uint32_t)strtoul(argv[4], NULL, 10);
  p.vocab = (uint32_t)strtoul(argv[5], NULL, 10);
  p.topics = (uint32_t)strtoul(argv[6], NULL, 10);
  p.doc_len = (uint32_t)strtoul(argv[7], NULL, 10);
  p.seed = strtoull(argv[8], NULL, 10);
  lda_corpus c;
  char err[512];
  if (lda_generate(&p, &c, NULL, err, sizeof err)) {
    fprintf(stderr, "lda_tool: %s\n", err);
    return 1;
  }
  int rc = write_out(&c, argv[2], argv[3]);
  lda_corpus_free(&c);
  return rc;
}

static int bench(int argc, char **argv) {
  if (argc < 5) return 2;
  uint32_t K = (uint32_t)strtoul(argv[3], NULL, 10), sweeps = (uint32_t)strtoul(argv[4], NULL, 10);
  uint32_t mh = argc > 5 ? (uint32_t)strtoul(argv[5], NULL, 10) : 2;
  const double alpha = 0.1, beta = 0.01;
  lda_corpus c;
  char err[512];
  if (lda_load_uci(argv[2], NULL, &c, err, sizeof err)) {
    fprintf(stderr, "lda_tool: %s\n", err);
    return 1;
  }
  uint32_t *ids = malloc(((size_t)c.ndocs + 1) * sizeof *ids);
  for (uint32_t d = 0; d < c.ndocs; d++) ids[d] = d;
  lda_sampler s;
  if (!ids || lda_sampler_init(&s, K, c.nwords, alpha, beta, mh, c.nwords, c.ndocs, c.doc_start, c.tokens)) {
    fprintf(stderr, "lda_tool: cannot set up the sampler\n");
    return 1;
  }
  lda_sampler_init_topics(&s, 1, ids);
  lda_sampler_own_counts(&s, s.nwk);
  for (uint64_t t = 0; t < c.ntokens; t++) s.nk[s.z[t]]++;
  lda_lgamma ga, gb;
  lda_lgamma_init(&ga, alpha, 4096);
  lda_lgamma_init(&gb, beta, 4096);
  float *row = malloc(K * sizeof *row);
  double vbeta = c.nwords * beta, sweep_s = 0, begin_s = 0;
  printf("corpus %s: %u docs, %u words, %llu tokens; K=%u mh=%u\n", argv[2], c.ndocs, c.nwords,
         (unsigned long long)c.ntokens, K, mh);
  printf("sweep,sweep_s,begin_s,tokens_per_s_sweep,tokens_per_s_with_begin,loglik_per_token\n");
  for (uint32_t it = 1; it <= sweeps; it++) {
    lda_rng r;
    lda_rng_seed(&r, 1, it);
    double t0 = now();
    lda_sampler_begin(&s);
    double t1 = now();
    lda_sampler_sweep(&s, &r);
    double t2 = now();
    begin_s += t1 - t0;
    sweep_s += t2 - t1;
    double ll = lda_ll_docs(&s, &ga) + lda_ll_const(K, vbeta);
    for (uint32_t w = 0; w < c.nwords; w++) {
      for (uint32_t k = 0; k < K; k++) row[k] = (float)s.nwk[(size_t)w * K + k];
      ll += lda_ll_word_row(row, K, &gb);
    }
    for (uint32_t k = 0; k < K; k++) row[k] = (float)s.nk[k];
    ll += lda_ll_topics(row, K, vbeta);
    printf("%u,%.4f,%.4f,%.0f,%.0f,%.5f\n", it, t2 - t1, t1 - t0, c.ntokens / (t2 - t1),
           c.ntokens / (t2 - t0), ll / (double)c.ntokens);
    fflush(stdout);
  }
  printf("total: %.0f tokens/s (sweeps alone), %.0f tokens/s (with alias rebuilds), %.1f ns/token\n",
         (double)c.ntokens * sweeps / sweep_s, (double)c.ntokens * sweeps / (sweep_s + begin_s),
         1e9 * sweep_s / ((double)c.ntokens * sweeps));
  free(row);
  free(ids);
  lda_lgamma_free(&ga);
  lda_lgamma_free(&gb);
  lda_sampler_free(&s);
  lda_corpus_free(&c);
  return 0;
}

int main(int argc, char **argv) {
  int rc = 2;
  if (argc > 1 && strcmp(argv[1], "text2uci") == 0) rc = text2uci(argc, argv);
  if (argc > 1 && strcmp(argv[1], "gen") == 0) rc = gen(argc, argv);
  if (argc > 1 && strcmp(argv[1], "bench") == 0) rc = bench(argc, argv);
  if (rc == 2)
    fprintf(stderr, "usage: lda_tool text2uci IN OUTDIR NAME [MIN_COUNT [lines|dir]]\n"
                    "       lda_tool gen OUTDIR NAME DOCS VOCAB TOPICS DOC_LEN SEED\n"
                    "       lda_tool bench DOCWORD K SWEEPS [MH]\n");
  return rc;
}
