/* test_lda.c: the LDA app: both loaders (every malformed kind names file
 * and line), the tokenizer, the UCI writer, options, the MH sampler's
 * invariance (its chain has the exact collapsed posterior as stationary
 * distribution, with a stale alias table), the generator, and whole runs
 * through the real core on the in-memory backend: counts stay exact, the
 * log-likelihood rises, runs are deterministic, and topics of a generated
 * corpus are recovered. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "lda/corpus.h"
#include "lda/gen.h"
#include "lda/lda.h"
#include "lda/sampler.h"
#include "mem_backend.h"

static char tmpdir[64];

static void make_tmpdir(void) {
  strcpy(tmpdir, "/tmp/test_lda_XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void rm_tmpdir(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  ck_assert_int_eq(system(cmd), 0);
}

/* Writes len bytes of text to tmpdir/name; path out in path[256]. */
static void write_file(char *path, const char *name, const char *text, size_t len) {
  snprintf(path, 256, "%s/%s", tmpdir, name);
  if (len == 0) len = strlen(text);
  FILE *fp = fopen(path, "wb");
  ck_assert_ptr_nonnull(fp);
  ck_assert_uint_eq(fwrite(text, 1, len, fp), len);
  fclose(fp);
}

static void assert_starts(const char *err, const char *path, int line) {
  char want[320];
  if (line)
    snprintf(want, sizeof want, "%s:%d: ", path, line);
  else
    snprintf(want, sizeof want, "%s: ", path);
  ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "message '%s' does not start with '%s'", err,
                want);
}

/* ---- UCI ---------------------------------------------------------------- */

static const char good_vocab[] = "apple\nbanana\ncherry\n";

START_TEST(test_uci_loads) {
  make_tmpdir();
  char dw[256], vp[256], err[256];
  write_file(dw, "docword.t.txt", "2\n3\n4\n1 1 2\n1 3 1\n2 2 3\n2 1 1\n", 0);
  write_file(vp, "vocab.t.txt", good_vocab, strlen(good_vocab));
  lda_corpus c;
  ck_assert_msg(lda_load_uci(dw, NULL, &c, err, sizeof err) == 0, "%s", err);
  ck_assert_uint_eq(c.ndocs, 2);
  ck_assert_uint_eq(c.nwords, 3);
  ck_assert_uint_eq(c.ntokens, 7);
  ck_assert_uint_eq(c.doc_start[1], 3);
  const uint32_t want[] = {0, 0, 2, 1, 1, 1, 0};
  for (int i = 0; i < 7; i++) ck_assert_uint_eq(c.tokens[i], want[i]);
  ck_assert_str_eq(c.vocab[2], "cherry");
  /* written back and read again: the same corpus, as bags of words */
  char dw2[256], vp2[256];
  snprintf(dw2, sizeof dw2, "%s/docword.u.txt", tmpdir);
  snprintf(vp2, sizeof vp2, "%s/vocab.u.txt", tmpdir);
  ck_assert_int_eq(lda_write_uci(&c, dw2, vp2, err, sizeof err), 0);
  lda_corpus d;
  ck_assert_msg(lda_load_uci(dw2, NULL, &d, err, sizeof err) == 0, "%s", err);
  ck_assert_uint_eq(d.ntokens, c.ntokens);
  ck_assert_uint_eq(d.doc_start[1], c.doc_start[1]);
  uint32_t hc[2][3] = {{0}}, hd[2][3] = {{0}};
  for (uint32_t k = 0; k < 2; k++)
    for (uint64_t t = c.doc_start[k]; t < c.doc_start[k + 1]; t++) hc[k][c.tokens[t]]++, hd[k][d.tokens[t]]++;
  ck_assert_mem_eq(hc, hd, sizeof hc);
  ck_assert_str_eq(d.vocab[1], "banana");
  lda_corpus_free(&c);
  lda_corpus_free(&d);
  rm_tmpdir();
}
END_TEST

START_TEST(test_uci_errors) {
  make_tmpdir();
  struct {
    const char *docword, *vocab, *what;
    int line, in_vocab;
  } cases[] = {
      {"2\nx\n4\n", NULL, "header line W (words): 'x' is not an integer", 2, 0},
      {"2\n3\n", NULL, "the header ends before its NNZ", 2, 0},
      {"0\n3\n1\n1 1 1\n", NULL, "is not in 1..", 1, 0},
      /* Header counts bounded before anything is sized by them. */
      {"3000000000\n3\n1\n1 1 1\n", NULL, "'3000000000' is not in 1..16777215", 1, 0},
      {"2\n3\n99999999\n1 1 1\n", NULL, "'99999999' is not in 1..6", 3, 0},
      {"16777215\n3\n16777215\n1 1 1\n", NULL, "the header's NNZ is 16777215, the file has 1", 4, 0},
      {"2\n3\n2\n1 1 2\n1 2\n", NULL, "found 2 fields", 5, 0},
      {"2\n3\n2\n1 1 2\n1 2 z\n", NULL, "count is not an integer", 5, 0},
      {"2\n3\n2\n1 1 2\n1 2 3 4\n", NULL, "found more", 5, 0},
      {"2\n3\n2\n1 1 2\n3 2 1\n", NULL, "docID out of range 1..2", 5, 0},
      {"2\n3\n2\n1 1 2\n0 2 1\n", NULL, "docID out of range 1..2", 5, 0},
      {"2\n3\n2\n1 4 2\n1 2 1\n", NULL, "wordID out of range 1..3", 4, 0},
      {"2\n3\n2\n1 1 0\n1 2 1\n", NULL, "count must be in 1..", 4, 0},
      {"2\n3\n2\n1 1 -1\n1 2 1\n", NULL, "count must be in 1..", 4, 0},
      {"2\n3\n3\n1 1 1\n2 2 1\n1 1 4\n", NULL, "doc 1 word 1 repeated (first at line 4)", 6, 0},
      {"2\n3\n3\n1 1 2\n1 2 1\n", NULL, "the header's NNZ is 3, the file has 2 triples", 5, 0},
      {"2\n3\n1\n1 1 2\n1 2 1\n", NULL, "more triples than the header's NNZ = 1", 5, 0},
      {"2\n3\n1\n1 1 16777216\n", NULL, "count must be in 1..16777215", 4, 0},
      {"2\n3\n2\n1 1 9000000\n2 1 9000000\n", NULL, "more than 16777215 tokens", 5, 0},
      {"2\n3\n1\n1 1 2\n", "apple\nbanana\n", "2 words, the docword header says W = 3", 0, 1},
      {"2\n3\n1\n1 1 2\n", "apple\nbanana\ncherry\ndate\n", "more words than the docword header's W = 3", 4, 1},
      {"2\n3\n1\n1 1 2\n", "apple\n\ncherry\n", "word 2 is empty", 2, 1},
      {"2\n3\n1\n1 1 2\n", "apple\nbig banana\ncherry\n", "not one word", 2, 1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char dw[256], vp[256], err[256] = "";
    write_file(dw, "docword.e.txt", cases[i].docword, strlen(cases[i].docword));
    const char *v = cases[i].vocab ? cases[i].vocab : good_vocab;
    write_file(vp, "vocab.e.txt", v, strlen(v));
    lda_corpus c;
    int rc = lda_load_uci(dw, NULL, &c, err, sizeof err);
    ck_assert_msg(rc < 0, "case %zu loaded", i);
    assert_starts(err, cases[i].in_vocab ? vp : dw, cases[i].line);
    ck_assert_msg(strstr(err, cases[i].what), "case %zu: '%s' lacks '%s'", i, err, cases[i].what);
    ck_assert_uint_eq(c.ndocs, 0);
    ck_assert_ptr_null(c.tokens);
  }
  /* the vocabulary file is missing, or cannot be found from the name */
  char dw[256], err[256];
  snprintf(dw, sizeof dw, "%s/docword.none.txt", tmpdir);
  write_file(dw, "docword.none.txt", "1\n1\n1\n1 1 1\n", 12);
  lda_corpus c;
  ck_assert_int_eq(lda_load_uci(dw, NULL, &c, err, sizeof err), ST_EINVAL);
  ck_assert_msg(strstr(err, "vocab.none.txt: "), "%s", err);
  write_file(dw, "words.txt", "1\n1\n1\n1 1 1\n", 12);
  ck_assert_int_eq(lda_load_uci(dw, NULL, &c, err, sizeof err), ST_EINVAL);
  ck_assert_msg(strstr(err, "does not start with 'docword.'"), "%s", err);
  rm_tmpdir();
}
END_TEST

/* ---- plain text -------------------------------------------------------- */

START_TEST(test_text_tokenizer) {
  make_tmpdir();
  char p[256], err[256];
  const char *text = "The Kernel schedules processes; the KERNEL's scheduler!\n"
                     "\n"
                     "memory pages: the kernel maps pages 4096 bytes\n"
                     "of and the\n"
                     "mmap(2) maps memory-pages\n";
  write_file(p, "docs.txt", text, strlen(text));
  lda_text_opts o = {.min_count = 2};
  lda_corpus c;
  ck_assert_msg(lda_load_text(p, &o, &c, err, sizeof err) == 0, "%s", err);
  /* kept (count >= 2, not stop words): kernel 3, maps 2, memory 2, pages 3;
   * "s" (from kernel's) once, dropped; lines 2 and 4 are left empty */
  ck_assert_uint_eq(c.nwords, 4);
  const char *vocab[] = {"kernel", "maps", "memory", "pages"};
  for (int i = 0; i < 4; i++) ck_assert_str_eq(c.vocab[i], vocab[i]);
  ck_assert_uint_eq(c.ndocs, 3);
  ck_assert_uint_eq(c.ntokens, 10);
  const uint32_t want[] = {0, 0, 2, 3, 0, 1, 3, 1, 2, 3};
  for (int i = 0; i < 10; i++) ck_assert_uint_eq(c.tokens[i], want[i]);
  ck_assert_uint_eq(c.doc_start[1], 2);
  ck_assert_uint_eq(c.doc_start[2], 7);
  lda_corpus_free(&c);
  /* one document per file, files in name order; an extra stop-word file */
  char dir[256], sw[256];
  snprintf(dir, sizeof dir, "%s/d", tmpdir);
  ck_assert_int_eq(mkdir(dir, 0700), 0);
  write_file(p, "d/b.txt", "zebra yak\nzebra\n", 16);
  write_file(p, "d/a.txt", "yak yak\ncamel\n", 14);
  write_file(sw, "stop.txt", "# mine\n  Camel \n", 16);
  lda_text_opts od = {.min_count = 1, .stopwords = sw, .one_per_file = 1};
  ck_assert_msg(lda_load_text(dir, &od, &c, err, sizeof err) == 0, "%s", err);
  ck_assert_uint_eq(c.ndocs, 2);
  ck_assert_uint_eq(c.nwords, 2);
  ck_assert_str_eq(c.vocab[0], "yak");
  ck_assert_uint_eq(c.doc_start[1], 2); /* a.txt: yak yak (camel stopped) */
  ck_assert_uint_eq(c.ntokens, 5);
  lda_corpus_free(&c);
  ck_assert(lda_is_stopword("the") && lda_is_stopword("yourselves") && !lda_is_stopword("kernel"));
  rm_tmpdir();
}
END_TEST

START_TEST(test_text_errors) {
  make_tmpdir();
  char p[256], sw[256], err[256];
  lda_corpus c;
  lda_text_opts o = {.min_count = 1};
  struct {
    const char *text;
    size_t len;
    const char *what;
    int line;
  } cases[] = {
      {"good words\nbad\0byte\n", 20, "column 4: a NUL byte", 2},
      {"ok\ncaf\xc3\xa9 fine\nna\xefve\n", 0, "column 3: byte 0xef is not UTF-8", 3},
      {"ok\n\xc0\xaf\n", 0, "column 1: byte 0xc0 is not UTF-8", 2},
      {"short\nabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcde x\n", 0,
       "column 1: a word of 65 letters (at most 64)", 2},
      {"the and of\n1234\n", 16, "no document has a word left", 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    write_file(p, "e.txt", cases[i].text, cases[i].len);
    int rc = lda_load_text(p, &o, &c, err, sizeof err);
    ck_assert_msg(rc == ST_EPARSE, "case %zu: %d", i, rc);
    assert_starts(err, p, cases[i].line);
    ck_assert_msg(strstr(err, cases[i].what), "case %zu: '%s' lacks '%s'", i, err, cases[i].what);
    ck_assert_ptr_null(c.tokens);
  }
  /* a line over the limit */
  size_t big = LDA_MAX_LINE + 10;
  char *longline = malloc(big + 8);
  memcpy(longline, "fine\n", 5);
  memset(longline + 5, 'a', big);
  for (size_t k = 5; k < big + 5; k += 10) longline[k] = ' ';
  longline[big + 5] = '\n';
  write_file(p, "long.txt", longline, big + 6);
  free(longline);
  ck_assert_int_eq(lda_load_text(p, &o, &c, err, sizeof err), ST_EPARSE);
  assert_starts(err, p, 2);
  ck_assert_msg(strstr(err, "bytes (at most 1048576)"), "%s", err);
  /* a stop-word file line that is not one word of letters */
  write_file(p, "ok.txt", "alpha beta\n", 11);
  write_file(sw, "stop.txt", "gamma\nnot one\n", 14);
  lda_text_opts os = {.min_count = 1, .stopwords = sw};
  ck_assert_int_eq(lda_load_text(p, &os, &c, err, sizeof err), ST_EPARSE);
  assert_starts(err, sw, 2);
  ck_assert_msg(strstr(err, "column 4: a stop word is one word of letters"), "%s", err);
  write_file(sw, "stop.txt", "gamma\nstop-word\n", 16);
  ck_assert_int_eq(lda_load_text(p, &os, &c, err, sizeof err), ST_EPARSE);
  assert_starts(err, sw, 2);
  /* a file that cannot be read */
  snprintf(p, sizeof p, "%s/absent.txt", tmpdir);
  ck_assert_int_eq(lda_load_text(p, &o, &c, err, sizeof err), ST_EINVAL);
  assert_starts(err, p, 0);
  rm_tmpdir();
}
END_TEST

START_TEST(test_options) {
  lda_options o;
  char err[256];
  ck_assert_int_eq(lda_options_parse(NULL, &o, err, sizeof err), 0);
  ck_assert_uint_eq(o.topics, 100);
  ck_assert_int_eq(lda_options_parse("topics=7,alpha=0.5,beta=0.02,mh=3,top=5,topwords=/tmp/x,"
                                     "format=uci,min_count=2,gen_docs=9",
                                     &o, err, sizeof err),
                   0);
  ck_assert_uint_eq(o.topics, 7);
  ck_assert_double_eq(o.alpha, 0.5);
  ck_assert_uint_eq(o.mh, 3);
  ck_assert_str_eq(o.topwords, "/tmp/x");
  ck_assert_int_eq(o.format, LDA_FMT_UCI);
  ck_assert_uint_eq(o.gen_docs, 9);
  const char *bad[][2] = {{"topics=0", "1..65535"},  {"topics=2.5", "non-negative integer"},
                          {"alpha=0", "> 0"},        {"mh=0", "1..64"},
                          {"format=xml", "expected auto"}, {"size=3", "unknown key"},
                          {"topics=3,topics=4", "twice"},   {"topics", "not key=value"},
                          {"topwords=", "path"}};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    ck_assert_int_eq(lda_options_parse(bad[i][0], &o, err, sizeof err), ST_EPARSE);
    ck_assert_msg(strstr(err, bad[i][1]), "'%s': %s", bad[i][0], err);
  }
}
END_TEST

/* ---- the sampler --------------------------------------------------------- */

/* The chain over two tokens (words 0 and 1 of one document) with fixed
 * counts of the rest of the corpus must have the collapsed posterior as its
 * stationary distribution, with the alias tables built once (stale). */
START_TEST(test_sampler_stationary) {
  enum { K = 3, V = 2 };
  const double alpha = 0.5, beta = 0.3;
  const int32_t others[V][K] = {{5, 1, 0}, {0, 2, 7}};
  const uint64_t start[2] = {0, 2};
  const uint32_t slot[2] = {0, 1};
  double exact[K][K], total = 0.0;
  for (int a = 0; a < K; a++)
    for (int b = 0; b < K; b++) {
      double lp = 0.0;
      for (int k = 0; k < K; k++) {
        int nd = (a == k) + (b == k);
        int n0 = others[0][k] + (a == k), n1 = others[1][k] + (b == k);
        lp += lgamma(nd + alpha) + lgamma(n0 + beta) + lgamma(n1 + beta) - lgamma(n0 + n1 + V * beta);
      }
      total += exact[a][b] = exp(lp);
    }
  lda_sampler s;
  ck_assert_int_eq(lda_sampler_init(&s, K, V, alpha, beta, 1, 2, 1, start, slot), 0);
  const lda_topic_t z0[2] = {0, 0};
  ck_assert_int_eq(lda_sampler_set_topics(&s, z0), 0);
  for (int w = 0; w < V; w++)
    for (int k = 0; k < K; k++) s.nwk[w * K + k] = others[w][k];
  lda_sampler_own_counts(&s, s.nwk);
  for (int k = 0; k < K; k++) s.nk[k] = s.nwk[k] + s.nwk[K + k];
  ck_assert_int_eq(lda_sampler_begin(&s), 0);
  lda_rng r;
  lda_rng_seed(&r, 7, 1);
  double hist[K][K] = {{0}};
  const int n = 400000;
  for (int i = 0; i < n; i++) {
    if (lda_sampler_sweep(&s, &r)) ck_abort_msg("sweep failed");
    hist[s.z[0]][s.z[1]] += 1.0;
  }
  double tv = 0.0;
  for (int a = 0; a < K; a++)
    for (int b = 0; b < K; b++) tv += fabs(hist[a][b] / n - exact[a][b] / total) / 2;
  ck_assert_msg(tv < 0.01, "total variation %f from the posterior", tv);
  /* the counts stayed those of the state */
  for (int k = 0; k < K; k++)
    ck_assert_int_eq(s.nwk[k], others[0][k] + (s.z[0] == k));
  lda_sampler_free(&s);
}
END_TEST

START_TEST(test_lgamma_parts) {
  lda_lgamma g;
  ck_assert_int_eq(lda_lgamma_init(&g, 0.1, 16), 0);
  ck_assert_double_eq(lda_lgamma_at(&g, 0), 0.0);
  ck_assert_double_eq_tol(lda_lgamma_at(&g, 3), lgamma(3.1) - lgamma(0.1), 1e-12);
  ck_assert_double_eq_tol(lda_lgamma_at(&g, 100), lgamma(100.1) - lgamma(0.1), 1e-9);
  const float row[4] = {0, 2, 0, 100};
  ck_assert_double_eq_tol(lda_ll_word_row(row, 4, &g), lda_lgamma_at(&g, 2) + lda_lgamma_at(&g, 100), 1e-9);
  lda_lgamma_free(&g);
  /* a one-token corpus, K = 2, V = 1: log p(w, z) = log(1/2) exactly */
  const float m[4] = {(float)(lgamma(2 * 0.1) - lgamma(1 + 2 * 0.1) + lgamma(1.1) - lgamma(0.1)),
                      (float)(lgamma(1.01) - lgamma(0.01)), (float)(-lgamma(1.01) - lgamma(0.01)), 1.0f};
  ck_assert_double_eq_tol(lda_objective_of(2, 0.01, m), log(0.5), 1e-5);
}
END_TEST

START_TEST(test_generator) {
  lda_gen_params p = lda_gen_defaults();
  p.docs = 50;
  p.vocab = 40;
  p.topics = 4;
  p.doc_len = 30;
  lda_corpus a, b, c;
  double *phi;
  char err[256];
  ck_assert_int_eq(lda_generate(&p, &a, &phi, err, sizeof err), 0);
  ck_assert_int_eq(lda_generate(&p, &b, NULL, err, sizeof err), 0);
  p.seed = 2;
  ck_assert_int_eq(lda_generate(&p, &c, NULL, err, sizeof err), 0);
  ck_assert_uint_eq(a.ntokens, 1500);
  ck_assert_mem_eq(a.tokens, b.tokens, a.ntokens * sizeof *a.tokens);
  ck_assert_int_ne(memcmp(a.tokens, c.tokens, a.ntokens * sizeof *a.tokens), 0);
  for (uint32_t k = 0; k < 4; k++) {
    double sum = 0;
    for (uint32_t w = 0; w < 40; w++) sum += phi[k * 40 + w];
    ck_assert_double_eq_tol(sum, 1.0, 1e-9);
  }
  ck_assert_double_eq_tol(lda_topic_recovery(phi, 4, phi, 4, 40), 1.0, 1e-12);
  lda_corpus_free(&c);
  p.topics = 0;
  ck_assert_int_eq(lda_generate(&p, &c, NULL, err, sizeof err), ST_EINVAL);
  ck_assert_ptr_null(c.tokens);
  free(phi);
  lda_corpus_free(&a);
  lda_corpus_free(&b);
}
END_TEST

/* ---- whole runs ------------------------------------------------------------ */

#define E2E_CLIENTS 2u
#define E2E_WPC 2u
#define E2E_MAXCLOCKS 40u

typedef struct e2e_result {
  float metrics[E2E_MAXCLOCKS][APP_METRICS_WIDTH];
  double recovery;
  uint64_t ntokens;
} e2e_result;

/* Runs lda on a generated corpus with 2 clients x 2 workers and 2 shards,
 * round robin by clock; checks afterwards that the PS counts are exactly
 * those of the workers' topics; reports the metrics rows and how well the
 * learned topics match the generating ones. */
static void e2e_run(uint64_t seed, uint32_t staleness, uint32_t clocks, e2e_result *res) {
  char err[256], opts[200];
  const uint32_t K = 5, V = 200;
  snprintf(opts, sizeof opts, "topics=%u,alpha=0.1,beta=0.05,gen_docs=600,gen_vocab=%u,gen_len=80,gen_topics=%u", K, V, K);
  app_params p = {.options = opts, .seed = seed, .nworkers = E2E_CLIENTS * E2E_WPC, .clocks = clocks};
  void *shared;
  ck_assert_msg(lda_app.load(&p, &shared, err, sizeof err) == 0, "%s", err);
  lda_gen_params g = lda_gen_defaults();
  g.seed = seed, g.docs = 600, g.vocab = V, g.doc_len = 80, g.topics = K;
  lda_corpus truth;
  double *phi;
  ck_assert_int_eq(lda_generate(&g, &truth, &phi, err, sizeof err), 0);
  res->ntokens = truth.ntokens;

  tbl_set tables = {0};
  tbl_def metrics = {.id = APP_METRICS_TABLE, .rows = clocks, .width = APP_METRICS_WIDTH};
  ck_assert_int_eq(tbl_add(&tables, &metrics), 0);
  ck_assert_int_eq(lda_app.tables(shared, &tables), 0);
  ck_assert_int_eq(tbl_find(&tables, LDA_WORD_TABLE)->sparse, 1);
  st_config cfg = {.nclients = E2E_CLIENTS, .nservers = 2, .workers_per_client = E2E_WPC,
                   .server_base = E2E_CLIENTS, .staleness = staleness, .push = 1};
  mem_opts mo = {.seed = seed, .max_delay = 3};
  mem_world *world = mem_create(&cfg, &tables, &mo);
  ck_assert_ptr_nonnull(world);
  ps_worker w[E2E_CLIENTS * E2E_WPC];
  void *ws[E2E_CLIENTS * E2E_WPC];
  for (uint32_t c = 0; c < E2E_CLIENTS; c++)
    for (uint32_t k = 0; k < E2E_WPC; k++) {
      uint32_t gi = c * E2E_WPC + k;
      w[gi] = (ps_worker){.client = mem_node(world, c)->client, .be = mem_backend(world, c), .id = k,
                          .client_index = c, .nworkers = p.nworkers, .global_index = gi};
      ck_assert_int_eq(lda_app.worker_init(shared, &w[gi], &ws[gi]), 0);
    }
  for (st_clock_t clock = 0; clock < clocks; clock++)
    for (uint32_t gi = 0; gi < p.nworkers; gi++) {
      ck_assert_int_eq(lda_app.step(shared, ws[gi], &w[gi], clock), 0);
      ck_assert_int_eq(ps_clock(&w[gi]), 0);
    }
  ck_assert_int_eq(mem_drain(world), 0);
  ck_assert_int_eq(mem_error(world), 0);
  /* The shards' counts are exactly those of the workers' final topics. */
  int64_t *want = calloc((size_t)V * K, sizeof *want);
  for (uint32_t gi = 0; gi < p.nworkers; gi++) {
    uint8_t *buf;
    size_t len;
    ck_assert_int_eq(lda_app.worker_save(shared, ws[gi], &buf, &len), 0);
    uint64_t nt;
    memcpy(&nt, buf + 4, 8);
    const lda_topic_t *z = (const lda_topic_t *)(buf + 12);
    uint64_t t = 0;
    for (uint32_t d = gi; d < truth.ndocs; d += p.nworkers)
      for (uint64_t j = truth.doc_start[d]; j < truth.doc_start[d + 1]; j++, t++)
        want[(size_t)truth.tokens[j] * K + z[t]]++;
    ck_assert_uint_eq(t, nt);
    free(buf);
  }
  float row[16], totals[16];
  double *learned = calloc((size_t)K * V, sizeof *learned);
  int64_t colsum[16] = {0};
  for (uint32_t v = 0; v < V; v++) {
    uint32_t shard = tbl_shard(LDA_WORD_TABLE, v, 2);
    ck_assert_int_eq(srv_read_row(mem_node(world, E2E_CLIENTS + shard)->server, LDA_WORD_TABLE, v, row), 0);
    for (uint32_t k = 0; k < K; k++) {
      ck_assert_msg(row[k] == (float)want[(size_t)v * K + k], "word %u topic %u: PS %f, topics %lld", v, k,
                    row[k], (long long)want[(size_t)v * K + k]);
      colsum[k] += (int64_t)row[k];
      learned[(size_t)k * V + v] = row[k] + 0.05;
    }
  }
  uint32_t tshard = tbl_shard(LDA_TOPIC_TABLE, 0, 2);
  ck_assert_int_eq(srv_read_row(mem_node(world, E2E_CLIENTS + tshard)->server, LDA_TOPIC_TABLE, 0, totals), 0);
  for (uint32_t k = 0; k < K; k++) ck_assert_int_eq((int64_t)totals[k], colsum[k]);
  res->recovery = lda_topic_recovery(phi, K, learned, K, V);
  memset(res->metrics, 0, sizeof res->metrics);
  for (st_clock_t c = 0; c < clocks; c++) {
    uint32_t shard = tbl_shard(APP_METRICS_TABLE, c, 2);
    ck_assert_int_eq(srv_read_row(mem_node(world, E2E_CLIENTS + shard)->server, APP_METRICS_TABLE, c,
                                  res->metrics[c]),
                     0);
  }
  for (uint32_t gi = 0; gi < p.nworkers; gi++) lda_app.worker_free(shared, ws[gi]);
  free(want);
  free(learned);
  free(phi);
  lda_corpus_free(&truth);
  mem_destroy(world);
  lda_app.free(shared);
}

START_TEST(test_e2e_recovers_topics) {
  for (uint32_t s = 0; s <= 2; s += 2) {
    e2e_result res;
    e2e_run(11, s, 40, &res);
    for (uint32_t c = 0; c < 40; c++) ck_assert_float_eq(res.metrics[c][3], (float)res.ntokens);
    double first = lda_objective_of(5, 200 * 0.05, res.metrics[0]);
    double end = lda_objective_of(5, 200 * 0.05, res.metrics[39]);
    ck_assert_msg(end > first + 0.3, "s=%u: log-likelihood %f at clock 0, %f at the end", s, first, end);
    ck_assert_msg(res.recovery >= 0.9, "s=%u: mean best cosine %f", s, res.recovery);
  }
}
END_TEST

START_TEST(test_e2e_deterministic) {
  e2e_result a, b, c;
  e2e_run(21, 1, 6, &a);
  e2e_run(21, 1, 6, &b);
  e2e_run(22, 1, 6, &c);
  ck_assert_mem_eq(a.metrics, b.metrics, sizeof a.metrics);
  ck_assert_int_ne(memcmp(a.metrics, c.metrics, sizeof a.metrics), 0);
}
END_TEST

START_TEST(test_checkpoint_roundtrip) {
  char err[256];
  app_params p = {.options = "topics=4,gen_docs=20,gen_vocab=30,gen_len=10", .seed = 3, .nworkers = 2, .clocks = 2};
  void *shared;
  ck_assert_msg(lda_app.load(&p, &shared, err, sizeof err) == 0, "%s", err);
  ps_worker w = {.nworkers = 2, .global_index = 1};
  void *a, *b;
  ck_assert_int_eq(lda_app.worker_init(shared, &w, &a), 0);
  ck_assert_int_eq(lda_app.worker_init(shared, &w, &b), 0);
  uint8_t *buf;
  size_t len;
  ck_assert_int_eq(lda_app.worker_save(shared, a, &buf, &len), 0);
  ck_assert_uint_eq(len, 12 + 100 * sizeof(lda_topic_t));
  ck_assert_int_eq(lda_app.worker_load(shared, b, buf, len), 0);
  ck_assert_int_eq(lda_app.worker_load(shared, b, buf, len - 1), ST_EFRAME);
  buf[12] = 9; /* topic 9 of 4 */
  ck_assert_int_eq(lda_app.worker_load(shared, b, buf, len), ST_EFRAME);
  free(buf);
  lda_app.worker_free(shared, a);
  lda_app.worker_free(shared, b);
  lda_app.free(shared);
  ck_assert_ptr_eq(app_find("lda"), &lda_app);
  /* a top-words file that cannot be written is refused at load, by name */
  app_params q = {.options = "topics=4,gen_docs=20,topwords=/nonexistent/dir/top.txt", .seed = 3,
                  .nworkers = 1, .clocks = 2};
  ck_assert_int_eq(lda_app.load(&q, &shared, err, sizeof err), ST_EINVAL);
  ck_assert_msg(strstr(err, "topwords=/nonexistent/dir/top.txt: "), "%s", err);
}
END_TEST

static Suite *lda_suite(void) {
  Suite *s = suite_create("lda");
  TCase *data = tcase_create("data");
  tcase_add_test(data, test_uci_loads);
  tcase_add_test(data, test_uci_errors);
  tcase_add_test(data, test_text_tokenizer);
  tcase_add_test(data, test_text_errors);
  tcase_add_test(data, test_options);
  tcase_add_test(data, test_generator);
  suite_add_tcase(s, data);
  TCase *model = tcase_create("model");
  tcase_add_test(model, test_sampler_stationary);
  tcase_add_test(model, test_lgamma_parts);
  tcase_add_test(model, test_checkpoint_roundtrip);
  suite_add_tcase(s, model);
  TCase *run = tcase_create("run");
  tcase_add_test(run, test_e2e_recovers_topics);
  tcase_add_test(run, test_e2e_deterministic);
  suite_add_tcase(s, run);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(lda_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
