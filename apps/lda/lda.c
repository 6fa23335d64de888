/* lda.c: LDA by collapsed Gibbs sampling on the parameter server.
 *
 * Partition: document d belongs to worker d mod nworkers, which keeps its
 * tokens' topics z and its document-topic counts n_dk (never in the PS).
 * Word-topic counts n_wk (LDA_WORD_TABLE, sparse rows) and topic totals n_k
 * (LDA_TOPIC_TABLE) are in the PS; every worker adds the changes its tokens
 * make, as +1/-1 float deltas (exact: see lda.h).
 *
 * Clock 0: the initial topics (uniform, a stream per document, so they do
 * not depend on the partition) are counted and added to the PS; no sampling.
 * Clock c >= 1: read (ps_get, so SSP decides freshness; at clock 1 complete
 * through clock 0, see get_row) the rows of the worker's words and the
 * totals into a working copy of integer counts; build each word's alias
 * table from that snapshot; sweep every token of the
 * worker's documents once with the MH sampler (sampler.h), updating the
 * working copy as it goes (its own changes are visible to it anyway by
 * read-my-writes); add each touched word's net change and the totals'
 * change to the PS; charge the modeled cost.
 *
 * Objective: the per-token collapsed log joint log p(w, z) / N, N the
 * corpus' tokens, as sum of four parts in metrics row c:
 *   [0] document part  sum_d [lnG(K a) - lnG(N_d + K a) + sum_k (lnG(n_dk + a) - lnG(a))]
 *       by each worker for its documents after its sweep of clock c (exact);
 *   [1] word part      sum_w sum_k (lnG(n_wk + b) - lnG(b)), word w by worker
 *       w mod nworkers;
 *   [2] topic part     -sum_k lnG(n_k + V b), by worker 0;
 *   [3] tokens         each worker's token count;
 * plus the constant K lnG(V b) added by the objective. The word and topic
 * parts of row c are computed from the rows the worker reads at the start
 * of clock c + 1 (at s = 0 exactly the counts after every worker's clock c),
 * those of the last row from reads at the end of the last clock (which at
 * s = 0 hold the other workers' counts of one clock earlier). */
#include "../appopt.h"
#include "lda.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../harness.h"
#include "corpus.h"
#include "gen.h"
#include "sampler.h"

/* lnG tables cover counts below this; larger counts call lgamma. */
#define LDA_LGAMMA_TAB 4096u

typedef struct lda_shared {
  lda_options opt;
  uint64_t seed;
  uint32_t clocks;
  lda_corpus corpus;
  double vbeta;
  lda_lgamma ga, gb;
  /* --schedule rotation: word w is in block w mod nblocks (the workers);
   * in round k (= clock k) worker g samples only the tokens of block
   * (g + k) mod nblocks, so no two workers change one word's counts in a
   * round (the topic totals stay shared, one round old, as in STRADS). */
  uint32_t nblocks;
} lda_shared;

typedef struct lda_worker {
  uint32_t g, nw, K;
  uint32_t ndocs;
  uint32_t *doc_id;
  uint64_t *doc_start;
  uint32_t *slot;   /* per token: index into words */
  uint32_t nslots;
  uint32_t *words;  /* slot -> word id, ascending */
  uint32_t nowned;  /* words w with w mod nworkers == g, for the word part */
  uint32_t *owned;
  uint32_t *owned_slot; /* slot of owned[i], or UINT32_MAX */
  uint64_t ntokens;
  lda_sampler smp;
  float *row, *delta, *totals; /* K each */
  size_t *mstart;             /* nslots + 1: moves grouped by slot */
  lda_move *mgroup;
  uint8_t *active;            /* rotation: nslots, the slots of this round's block */
} lda_worker;

/* ---- options ------------------------------------------------------------- */

lda_options lda_options_defaults(void) {
  lda_options o;
  memset(&o, 0, sizeof o);
  o.topics = 100;
  o.alpha = 0.1;
  o.beta = 0.01;
  o.mh = 2;
  o.top = 10;
  o.min_count = 5;
  o.chunks = 1;
  return o;
}

#define opt_fail(err, errlen, ...) appopt_fail(err, errlen, "lda", __VA_ARGS__)

int lda_options_parse(const char *text, lda_options *out, char *err, size_t errlen) {
  lda_options o = lda_options_defaults();
  static const char *const keys[] = {"topics",    "alpha",    "beta",      "mh",       "top",
                                     "topwords",  "format",   "vocab",     "min_count", "stopwords",
                                     "gen_docs",  "gen_vocab", "gen_len",  "gen_topics", "chunks"};
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
                      "unknown key '%.*s' (known: topics, alpha, beta, mh, top, topwords, format, "
                      "vocab, min_count, stopwords, gen_docs, gen_vocab, gen_len, gen_topics, chunks)",
                      (int)klen, p);
    if (seen[k]++) return opt_fail(err, errlen, "key '%.*s' given twice", (int)klen, p);
    if (k == 5 || k == 7 || k == 9) { /* paths */
      char *dst = k == 5 ? o.topwords : k == 7 ? o.vocab : o.stopwords;
      if (vlen == 0 || vlen >= sizeof o.topwords)
        return opt_fail(err, errlen, "%s must be a path of 1..%zu bytes", keys[k], sizeof o.topwords - 1);
      memcpy(dst, val, vlen);
      dst[vlen] = '\0';
    } else if (k == 6) {
      static const char *const fmts[] = {"auto", "uci", "lines", "dir"};
      int f = -1;
      for (int i = 0; i < 4; i++)
        if (strlen(fmts[i]) == vlen && memcmp(fmts[i], val, vlen) == 0) f = i;
      if (f < 0) return opt_fail(err, errlen, "format '%.*s': expected auto, uci, lines or dir", (int)vlen, val);
      o.format = (lda_format)f;
    } else {
      double v;
      const char *want = NULL;
      int integer = k != 1 && k != 2;
      if (appopt_number(val, vlen, &v))
        want = "a number";
      else if (integer && (v != floor(v) || v < 0 || v > 4294967295.0))
        want = "a non-negative integer";
      else if (k == 0 && (v < 1 || v > LDA_MAX_TOPICS))
        want = "an integer in 1..65535";
      else if ((k == 1 || k == 2) && !(v > 0))
        want = "a number > 0";
      else if (k == 3 && (v < 1 || v > 64))
        want = "an integer in 1..64";
      else if (k == 4 && (v < 1 || v > 1000))
        want = "an integer in 1..1000";
      else if (k == 13 && v > LDA_MAX_TOPICS)
        want = "an integer in 0..65535";
      else if (k == 14 && (v < 1 || v > 1024))
        want = "an integer in 1..1024";
      if (want) return opt_fail(err, errlen, "%s='%.*s': expected %s", keys[k], (int)vlen, val, want);
      switch (k) {
      case 0: o.topics = (uint32_t)v; break;
      case 1: o.alpha = v; break;
      case 2: o.beta = v; break;
      case 3: o.mh = (uint32_t)v; break;
      case 4: o.top = (uint32_t)v; break;
      case 8: o.min_count = (uint32_t)v; break;
      case 10: o.gen_docs = (uint32_t)v; break;
      case 11: o.gen_vocab = (uint32_t)v; break;
      case 12: o.gen_len = (uint32_t)v; break;
      case 13: o.gen_topics = (uint32_t)v; break;
      case 14: o.chunks = (uint32_t)v; break;
      }
    }
    p = end ? end + 1 : p + len;
  }
  *out = o;
  return 0;
}

/* ---- load ---------------------------------------------------------------- */

static void lda_free(void *shared) {
  lda_shared *s = shared;
  if (!s) return;
  lda_corpus_free(&s->corpus);
  lda_lgamma_free(&s->ga);
  lda_lgamma_free(&s->gb);
  free(s);
}

static int load_corpus(const app_params *p, lda_shared *s, char *err, size_t errlen) {
  const lda_options *o = &s->opt;
  if (!p->data) {
    lda_gen_params g = lda_gen_defaults();
    g.seed = p->seed;
    if (o->gen_docs) g.docs = o->gen_docs;
    if (o->gen_vocab) g.vocab = o->gen_vocab;
    if (o->gen_len) g.doc_len = o->gen_len;
    if (o->gen_topics) g.topics = o->gen_topics;
    return lda_generate(&g, &s->corpus, NULL, err, errlen);
  }
  lda_format f = o->format;
  if (f == LDA_FMT_AUTO) {
    struct stat st;
    const char *base = strrchr(p->data, '/');
    base = base ? base + 1 : p->data;
    if (stat(p->data, &st) == 0 && S_ISDIR(st.st_mode))
      f = LDA_FMT_DIR;
    else if (strncmp(base, "docword.", 8) == 0)
      f = LDA_FMT_UCI;
    else
      f = LDA_FMT_LINES;
  }
  if (f == LDA_FMT_UCI)
    return lda_load_uci(p->data, o->vocab[0] ? o->vocab : NULL, &s->corpus, err, errlen);
  lda_text_opts t = {.min_count = o->min_count,
                     .stopwords = o->stopwords[0] ? o->stopwords : NULL,
                     .one_per_file = f == LDA_FMT_DIR};
  return lda_load_text(p->data, &t, &s->corpus, err, errlen);
}

static int lda_load(const app_params *p, void **shared, char *err, size_t errlen) {
  *shared = NULL;
  lda_shared *s = calloc(1, sizeof *s);
  if (!s) return ST_ENOMEM;
  s->seed = p->seed;
  s->clocks = p->clocks;
  int rc = lda_options_parse(p->options, &s->opt, err, errlen);
  if (!rc) rc = load_corpus(p, s, err, errlen);
  if (rc) {
    lda_free(s);
    return rc;
  }
  if (s->opt.topwords[0]) {
    /* Refused now, by name, rather than as a failed last clock. */
    FILE *fp = fopen(s->opt.topwords, "w");
    if (!fp) {
      if (err && errlen) snprintf(err, errlen, "lda: topwords=%s: %s", s->opt.topwords, strerror(errno));
      lda_free(s);
      return ST_EINVAL;
    }
    fclose(fp);
  }
  if (p->sched && p->sched->kind != SCHED_NONE) {
    if (p->sched->kind != SCHED_ROTATION || p->sched->rounds_per_clock != 1) {
      if (err && errlen)
        snprintf(err, errlen, "--schedule %s: LDA runs the rotation schedule only, one round a "
                              "clock (--rounds-per-clock 1)", sched_kind_name(p->sched->kind));
      lda_free(s);
      return ST_EINVAL;
    }
    s->nblocks = p->nworkers ? p->nworkers : 1;
    if (s->opt.chunks > 1) {
      if (err && errlen) snprintf(err, errlen, "lda: chunks=%u needs the data-parallel loop, not --schedule rotation", (unsigned)s->opt.chunks);
      lda_free(s);
      return ST_EINVAL;
    }
  }
  s->vbeta = (double)s->corpus.nwords * s->opt.beta;
  if (lda_lgamma_init(&s->ga, s->opt.alpha, LDA_LGAMMA_TAB) ||
      lda_lgamma_init(&s->gb, s->opt.beta, LDA_LGAMMA_TAB)) {
    if (err && errlen) snprintf(err, errlen, "lda: out of memory");
    lda_free(s);
    return ST_ENOMEM;
  }
  *shared = s;
  return 0;
}

static int lda_tables(void *shared, tbl_set *set) {
  lda_shared *s = shared;
  tbl_def words = {.id = LDA_WORD_TABLE, .rows = s->corpus.nwords, .width = s->opt.topics, .sparse = 1};
  tbl_def totals = {.id = LDA_TOPIC_TABLE, .rows = 1, .width = s->opt.topics, .sparse = 0};
  int rc = tbl_add(set, &words);
  return rc ? rc : tbl_add(set, &totals);
}

/* ---- workers ------------------------------------------------------------- */

static void lda_worker_free(void *shared, void *wstate) {
  (void)shared;
  lda_worker *m = wstate;
  if (!m) return;
  lda_sampler_free(&m->smp);
  free(m->doc_id);
  free(m->doc_start);
  free(m->slot);
  free(m->words);
  free(m->owned);
  free(m->owned_slot);
  free(m->row);
  free(m->delta);
  free(m->totals);
  free(m->mstart);
  free(m->mgroup);
  free(m->active);
  free(m);
}

/* The worker's documents, tokens (as slots) and words. */
static int collect(const lda_shared *s, lda_worker *m) {
  const lda_corpus *c = &s->corpus;
  m->ndocs = c->ndocs > m->g ? (c->ndocs - m->g + m->nw - 1) / m->nw : 0;
  m->doc_id = malloc(((size_t)m->ndocs + 1) * sizeof *m->doc_id);
  m->doc_start = malloc(((size_t)m->ndocs + 1) * sizeof *m->doc_start);
  uint32_t *slot_of = malloc(((size_t)c->nwords + 1) * sizeof *slot_of);
  if (!m->doc_id || !m->doc_start || !slot_of) {
    free(slot_of);
    return ST_ENOMEM;
  }
  uint64_t n = 0;
  for (uint32_t i = 0; i < m->ndocs; i++) {
    uint32_t d = m->g + i * m->nw;
    m->doc_id[i] = d;
    m->doc_start[i] = n;
    n += c->doc_start[d + 1] - c->doc_start[d];
  }
  m->doc_start[m->ndocs] = n;
  m->ntokens = n;
  memset(slot_of, 0, ((size_t)c->nwords + 1) * sizeof *slot_of);
  for (uint32_t i = 0; i < m->ndocs; i++) {
    uint32_t d = m->doc_id[i];
    for (uint64_t t = c->doc_start[d]; t < c->doc_start[d + 1]; t++) slot_of[c->tokens[t]] = 1;
  }
  m->nslots = 0;
  for (uint32_t w = 0; w < c->nwords; w++) m->nslots += slot_of[w];
  m->words = malloc(((size_t)m->nslots + 1) * sizeof *m->words);
  m->slot = malloc((n + 1) * sizeof *m->slot);
  m->nowned = c->nwords > m->g ? (c->nwords - m->g + m->nw - 1) / m->nw : 0;
  m->owned = malloc(((size_t)m->nowned + 1) * sizeof *m->owned);
  m->owned_slot = malloc(((size_t)m->nowned + 1) * sizeof *m->owned_slot);
  if (!m->words || !m->slot || !m->owned || !m->owned_slot) {
    free(slot_of);
    return ST_ENOMEM;
  }
  uint32_t k = 0;
  for (uint32_t w = 0; w < c->nwords; w++) {
    if (slot_of[w]) {
      m->words[k] = w;
      slot_of[w] = k++;
    } else {
      slot_of[w] = UINT32_MAX;
    }
  }
  uint64_t t = 0;
  for (uint32_t i = 0; i < m->ndocs; i++) {
    uint32_t d = m->doc_id[i];
    for (uint64_t j = c->doc_start[d]; j < c->doc_start[d + 1]; j++) m->slot[t++] = slot_of[c->tokens[j]];
  }
  for (uint32_t i = 0; i < m->nowned; i++) {
    m->owned[i] = m->g + i * m->nw;
    m->owned_slot[i] = slot_of[m->owned[i]];
  }
  free(slot_of);
  return 0;
}

static int lda_worker_init(void *shared, ps_worker *w, void **wstate) {
  lda_shared *s = shared;
  *wstate = NULL;
  if (w->nworkers == 0 || w->global_index >= w->nworkers) return ST_EINVAL;
  lda_worker *m = calloc(1, sizeof *m);
  if (!m) return ST_ENOMEM;
  m->g = w->global_index;
  m->nw = w->nworkers;
  m->K = s->opt.topics;
  int rc = collect(s, m);
  if (!rc)
    rc = lda_sampler_init(&m->smp, m->K, s->corpus.nwords, s->opt.alpha, s->opt.beta, s->opt.mh,
                          m->nslots, m->ndocs, m->doc_start, m->slot);
  if (!rc) {
    m->row = malloc(m->K * sizeof *m->row);
    m->delta = calloc(m->K, sizeof *m->delta);
    m->totals = calloc(m->K, sizeof *m->totals);
    m->mstart = calloc((size_t)m->nslots + 2, sizeof *m->mstart);
    m->mgroup = malloc((m->ntokens + 1) * sizeof *m->mgroup);
    m->active = s->nblocks ? calloc((size_t)m->nslots + 1, 1) : NULL;
    if (!m->row || !m->delta || !m->totals || !m->mstart || !m->mgroup ||
        (s->nblocks && !m->active))
      rc = ST_ENOMEM;
  }
  if (rc) {
    lda_worker_free(shared, m);
    return rc;
  }
  lda_sampler_init_topics(&m->smp, s->seed, m->doc_id);
  *wstate = m;
  return 0;
}

/* Clock 1's reads wait for every worker's clock 0 (the initial counts), as
 * Bosen's LDA waits at a barrier after initialising its tables: under SSP a
 * read at clock 1 may otherwise lack any other worker's clock 0 (at s >= 1),
 * so the first sweep would sample from a fraction of the counts and row 0's
 * word and topic parts would be those of a fraction of the corpus (at s = 2
 * the objective at clock 0 read -2.9 instead of -7.1). Later clocks read as
 * SSP allows. At s = 0 a clock 1 read waits for the same clock anyway. */
static int get_row(ps_worker *w, uint32_t table, uint32_t row, float *out) {
  int rc = ps_clock_now(w) == 1 ? ps_get_complete(w, table, row, 0, out)
                                : ps_get(w, table, row, out);
  return rc ? (rc < 0 ? rc : ST_ESTATE) : 0;
}

/* Clock 0: adds the counts of the initial topics. */
static int add_initial(lda_worker *m, ps_worker *w) {
  const uint32_t K = m->K;
  int32_t *own = calloc((size_t)m->nslots * K + 1, sizeof *own);
  if (!own) return ST_ENOMEM;
  lda_sampler_own_counts(&m->smp, own);
  memset(m->totals, 0, K * sizeof *m->totals);
  int rc = 0;
  for (uint32_t sl = 0; sl < m->nslots && !rc; sl++) {
    const int32_t *c = own + (size_t)sl * K;
    for (uint32_t k = 0; k < K; k++) {
      m->delta[k] = (float)c[k];
      m->totals[k] += (float)c[k];
    }
    rc = ps_inc(w, LDA_WORD_TABLE, m->words[sl], m->delta);
  }
  free(own);
  memset(m->delta, 0, K * sizeof *m->delta);
  if (!rc && m->ntokens) rc = ps_inc(w, LDA_TOPIC_TABLE, 0, m->totals);
  return rc < 0 ? rc : 0;
}

/* Reads the worker's word rows and the totals into the sampler's counts;
 * *word_ll gets the word part of the owned words among them. */
static int read_counts(lda_shared *s, lda_worker *m, ps_worker *w) {
  const uint32_t K = m->K;
  int rc;
  for (uint32_t sl = 0; sl < m->nslots; sl++) {
    if ((rc = get_row(w, LDA_WORD_TABLE, m->words[sl], m->row))) return rc;
    int32_t *dst = m->smp.nwk + (size_t)sl * K;
    for (uint32_t k = 0; k < K; k++) dst[k] = (int32_t)lrintf(m->row[k]);
  }
  (void)s;
  if ((rc = get_row(w, LDA_TOPIC_TABLE, 0, m->row))) return rc;
  for (uint32_t k = 0; k < K; k++) m->smp.nk[k] = (int64_t)llrintf(m->row[k]);
  return 0;
}

/* Word part over the owned words and (worker 0) topic part, from reads now.
 * After read_counts the owned words among the slots are in the sampler. */
static int ll_words(lda_shared *s, lda_worker *m, ps_worker *w, int from_sampler, double *word,
                    double *topic) {
  const uint32_t K = m->K;
  int rc;
  *word = *topic = 0.0;
  for (uint32_t i = 0; i < m->nowned; i++) {
    if (from_sampler && m->owned_slot[i] != UINT32_MAX) {
      const int32_t *c = m->smp.nwk + (size_t)m->owned_slot[i] * K;
      for (uint32_t k = 0; k < K; k++)
        if (c[k] > 0) *word += lda_lgamma_at(&s->gb, c[k]);
      continue;
    }
    if ((rc = get_row(w, LDA_WORD_TABLE, m->owned[i], m->row))) return rc;
    *word += lda_ll_word_row(m->row, K, &s->gb);
  }
  if (m->g == 0) {
    if (from_sampler) {
      for (uint32_t k = 0; k < K; k++) m->row[k] = (float)m->smp.nk[k];
    } else if ((rc = get_row(w, LDA_TOPIC_TABLE, 0, m->row))) {
      return rc;
    }
    *topic = lda_ll_topics(m->row, K, s->vbeta);
  }
  return 0;
}

/* Adds the sweep's moves to the PS: one delta row per touched word. */
static int push_moves(lda_worker *m, ps_worker *w) {
  const uint32_t K = m->K;
  const lda_sampler *smp = &m->smp;
  memset(m->mstart, 0, ((size_t)m->nslots + 2) * sizeof *m->mstart);
  for (size_t i = 0; i < smp->nmoves; i++) m->mstart[smp->moves[i].slot + 2]++;
  for (uint32_t sl = 0; sl < m->nslots; sl++) m->mstart[sl + 2] += m->mstart[sl + 1];
  for (size_t i = 0; i < smp->nmoves; i++) m->mgroup[m->mstart[smp->moves[i].slot + 1]++] = smp->moves[i];
  memset(m->totals, 0, K * sizeof *m->totals);
  int rc = 0;
  for (uint32_t sl = 0; sl < m->nslots && !rc; sl++) {
    size_t a = m->mstart[sl], b = m->mstart[sl + 1];
    if (a == b) continue;
    for (size_t i = a; i < b; i++) {
      m->delta[m->mgroup[i].from] -= 1.0f;
      m->delta[m->mgroup[i].to] += 1.0f;
      m->totals[m->mgroup[i].from] -= 1.0f;
      m->totals[m->mgroup[i].to] += 1.0f;
    }
    rc = ps_inc(w, LDA_WORD_TABLE, m->words[sl], m->delta);
    for (size_t i = a; i < b; i++) m->delta[m->mgroup[i].from] = m->delta[m->mgroup[i].to] = 0.0f;
  }
  if (!rc && smp->nmoves) rc = ps_inc(w, LDA_TOPIC_TABLE, 0, m->totals);
  return rc < 0 ? rc : 0;
}

typedef struct top_entry {
  float count;
  uint32_t word;
} top_entry;

/* Worse first: lower count, then higher word id. */
static int top_worse(top_entry a, top_entry b) {
  return a.count < b.count || (a.count == b.count && a.word > b.word);
}

/* Reads every word row and writes each topic's most frequent words. */
static int write_top_words(lda_shared *s, lda_worker *m, ps_worker *w) {
  const lda_corpus *c = &s->corpus;
  const uint32_t K = m->K, N = s->opt.top;
  top_entry *heap = malloc((size_t)K * N * sizeof *heap);
  uint32_t *fill = calloc(K, sizeof *fill);
  uint32_t *ids = malloc(((size_t)c->nwords + 1) * sizeof *ids);
  double *tot = calloc(K, sizeof *tot);
  int rc = (!heap || !fill || !ids || !tot) ? ST_ENOMEM : 0;
  for (uint32_t v = 0; ids && v < c->nwords; v++) ids[v] = v;
  if (!rc && (rc = ps_prefetch(w, LDA_WORD_TABLE, ids, c->nwords)) > 0) rc = 0;
  for (uint32_t v = 0; !rc && v < c->nwords; v++) {
    if ((rc = get_row(w, LDA_WORD_TABLE, v, m->row))) break;
    for (uint32_t k = 0; k < K; k++) {
      if (!(m->row[k] > 0.5f)) continue;
      tot[k] += m->row[k];
      /* h[0..fill) sorted best first; a new entry is inserted in place */
      top_entry e = {m->row[k], v}, *h = heap + (size_t)k * N;
      if (fill[k] == N && !top_worse(h[N - 1], e)) continue;
      uint32_t i = fill[k] < N ? fill[k]++ : N - 1;
      while (i > 0 && top_worse(h[i - 1], e)) {
        h[i] = h[i - 1];
        i--;
      }
      h[i] = e;
    }
  }
  FILE *fp = NULL;
  if (!rc && !(fp = fopen(s->opt.topwords, "w"))) rc = ST_EINVAL;
  for (uint32_t k = 0; !rc && k < K; k++) {
    const top_entry *h = heap + (size_t)k * N;
    fprintf(fp, "%u\t%.0f", k, tot[k]);
    for (uint32_t i = 0; i < fill[k]; i++) {
      if (c->vocab)
        fprintf(fp, "%c%s", i ? ' ' : '\t', c->vocab[h[i].word]);
      else
        fprintf(fp, "%cw%u", i ? ' ' : '\t', h[i].word);
    }
    fputc('\n', fp);
  }
  if (fp && (ferror(fp) | fclose(fp)) && !rc) rc = ST_EINVAL;
  free(heap);
  free(fill);
  free(ids);
  free(tot);
  return rc;
}

/* A clock of work on every token (active NULL) or on a block's. */
static int lda_step_some(void *shared, void *wstate, ps_worker *w, st_clock_t clock,
                         const uint8_t *active);

static int lda_step(void *shared, void *wstate, ps_worker *w, st_clock_t clock) {
  return lda_step_some(shared, wstate, w, clock, NULL);
}

static int lda_step_some(void *shared, void *wstate, ps_worker *w, st_clock_t clock,
                         const uint8_t *active) {
  lda_shared *s = shared;
  lda_worker *m = wstate;
  const uint32_t K = m->K;
  const int last = clock + 1 >= s->clocks;
  int rc;
  float row[APP_METRICS_WIDTH] = {0};
  if (clock == 0) {
    if ((rc = add_initial(m, w))) return rc;
  } else {
    if (clock == 1 && m->nslots && (rc = ps_prefetch(w, LDA_WORD_TABLE, m->words, m->nslots)) < 0)
      return rc;
    if ((rc = read_counts(s, m, w))) return rc;
    double word, topic;
    if ((rc = ll_words(s, m, w, 1, &word, &topic))) return rc;
    float prev[APP_METRICS_WIDTH] = {0.0f, (float)word, (float)topic, 0.0f};
    if ((rc = ps_inc(w, APP_METRICS_TABLE, clock - 1, prev)) < 0) return rc;
    if ((rc = lda_sampler_begin(&m->smp))) return rc;
    lda_rng r;
    lda_rng_seed(&r, s->seed, ((uint64_t)m->g << 32) | clock);
    const double counts_cost = ((double)m->nslots + m->ndocs) * K * LDA_FLOPS_PER_COUNT;
    const uint32_t parts = s->opt.chunks > 1 ? s->opt.chunks : 1;
    if (parts == 1) {
      if ((rc = lda_sampler_sweep_some(&m->smp, &r, active))) return rc;
      if ((rc = push_moves(m, w))) return rc;
      ps_charge(w, (double)m->ntokens * s->opt.mh * LDA_FLOPS_PER_TOKEN_CYCLE + counts_cost);
    }
    /* chunks=N: the sweep in N parts of the documents, each ending with the
     * ps_inc of its moves and the charge of its tokens, so the moves reach
     * the oplog while the clock computes (what managed communication sends
     * early); each later part re-reads the counts, which then hold what
     * was pushed since (early pushes included) and, by read-my-writes, this
     * clock's own moves, exactly: the deltas are +1/-1. The alias tables
     * stay the clock's snapshot (the MH acceptance uses it, so the chain
     * stays exact for the refreshed counts). */
    for (uint32_t part = 0; parts > 1 && part < parts; part++) {
      uint32_t d0 = (uint32_t)((uint64_t)m->ndocs * part / parts);
      uint32_t d1 = (uint32_t)((uint64_t)m->ndocs * (part + 1) / parts);
      if (part > 0 && (rc = read_counts(s, m, w))) return rc;
      if ((rc = lda_sampler_sweep_docs(&m->smp, &r, active, d0, d1))) return rc;
      if ((rc = push_moves(m, w))) return rc;
      double tokens = (double)(m->smp.doc_start[d1] - m->smp.doc_start[d0]);
      ps_charge(w, tokens * s->opt.mh * LDA_FLOPS_PER_TOKEN_CYCLE + (part + 1 == parts ? counts_cost : 0.0));
    }
  }
  row[0] = (float)lda_ll_docs(&m->smp, &s->ga);
  row[3] = (float)m->ntokens;
  if (last) {
    double word, topic;
    if ((rc = ll_words(s, m, w, 0, &word, &topic))) return rc;
    row[1] = (float)word;
    row[2] = (float)topic;
    if (m->g == 0 && s->opt.topwords[0] && (rc = write_top_words(s, m, w))) return rc;
  }
  rc = ps_inc(w, APP_METRICS_TABLE, clock, row);
  return rc < 0 ? rc : 0;
}

/* A rotation round (harness_block_fn): clock c's sweep over block's words;
 * the result is the moves it made. */
static int lda_rot_block(void *shared, void *wstate, ps_worker *w, uint32_t c, uint32_t block,
                         float *result) {
  lda_shared *s = shared;
  lda_worker *m = wstate;
  for (uint32_t sl = 0; sl < m->nslots; sl++) m->active[sl] = m->words[sl] % s->nblocks == block;
  int rc = lda_step_some(s, m, w, c, m->active);
  *result = (float)m->smp.nmoves;
  return rc;
}

/* The worker loop: the harness's clock loop, or under rotation a task per
 * clock (clock 0 counts the initial topics, its block unused). */
static int lda_loop(const harness_run *run, ps_worker *w, void *wstate, uint32_t *clock,
                    char *msg, size_t msglen) {
  lda_shared *s = run->shared;
  if (!s->nblocks) return harness_clock_loop(run, w, wstate, clock, msg, msglen);
  return harness_rotation_loop(run, w, wstate, s->nblocks, lda_rot_block, clock, msg, msglen);
}

static int lda_sched(void *shared, const sched_params *p, sched_app *out, char *err, size_t errlen) {
  lda_shared *s = shared;
  if (!s->nblocks || p->kind != SCHED_ROTATION) {
    snprintf(err, errlen, "lda: loaded without the rotation schedule");
    return ST_ESTATE;
  }
  *out = (sched_app){.ctx = s, .nvars = s->nblocks, .width = 1};
  return 0;
}

/* A worker's own state is its tokens' topics: u32 K, u64 tokens, then
 * tokens x u16. The document-topic counts follow from them. */
static int lda_worker_save(void *shared, void *wstate, uint8_t **buf, size_t *len) {
  (void)shared;
  const lda_worker *m = wstate;
  size_t n = 12 + m->ntokens * sizeof(lda_topic_t);
  uint8_t *b = malloc(n);
  if (!b) return ST_ENOMEM;
  uint64_t nt = m->ntokens;
  memcpy(b, &m->K, 4);
  memcpy(b + 4, &nt, 8);
  if (nt) memcpy(b + 12, m->smp.z, nt * sizeof(lda_topic_t));
  *buf = b;
  *len = n;
  return 0;
}

static int lda_worker_load(void *shared, void *wstate, const uint8_t *buf, size_t len) {
  (void)shared;
  lda_worker *m = wstate;
  uint32_t K;
  uint64_t nt;
  if (len < 12) return ST_EFRAME;
  memcpy(&K, buf, 4);
  memcpy(&nt, buf + 4, 8);
  if (K != m->K || nt != m->ntokens || len != 12 + nt * sizeof(lda_topic_t)) return ST_EFRAME;
  lda_topic_t *z = malloc((nt + 1) * sizeof *z);
  if (!z) return ST_ENOMEM;
  if (nt) memcpy(z, buf + 12, nt * sizeof *z);
  int rc = lda_sampler_set_topics(&m->smp, z);
  free(z);
  return rc ? ST_EFRAME : 0;
}

/* The model's terms (app_ops.model_terms): step's four parts, the word
 * and topic parts from the counts the servers hold (the owned words' rows,
 * the totals by worker 0) instead of the worker's reads, the document part
 * from its own document-topic counts. */
static int lda_model_terms(void *shared, void *wstate, const app_model *md, float *row) {
  lda_shared *s = shared;
  const lda_worker *m = wstate;
  const uint32_t K = m->K;
  float *r = malloc(((size_t)K + 1) * sizeof *r);
  if (!r) return ST_ENOMEM;
  double word = 0.0, topic = 0.0;
  int rc = 0;
  for (uint32_t i = 0; i < m->nowned && rc == 0; i++)
    if ((rc = md->read(md->ctx, LDA_WORD_TABLE, m->owned[i], r)) == 0)
      word += lda_ll_word_row(r, K, &s->gb);
  if (rc == 0 && m->g == 0 && (rc = md->read(md->ctx, LDA_TOPIC_TABLE, 0, r)) == 0)
    topic = lda_ll_topics(r, K, s->vbeta);
  free(r);
  if (rc) return rc;
  row[0] = (float)lda_ll_docs(&m->smp, &s->ga);
  row[1] = (float)word;
  row[2] = (float)topic;
  row[3] = (float)m->ntokens;
  return 0;
}

double lda_objective_of(uint32_t K, double vbeta, const float *row) {
  return ((double)row[0] + row[1] + row[2] + lda_ll_const(K, vbeta)) / (double)row[3];
}

static double lda_objective(void *shared, const float *row) {
  lda_shared *s = shared;
  return lda_objective_of(s->opt.topics, s->vbeta, row);
}

const app_ops lda_app = {
    .name = "lda",
    .summary = "LDA by collapsed Gibbs sampling (LightLDA's alias+MH proposals); word-topic counts "
               "and topic totals in the PS, document-topic counts local; per-token log-likelihood",
    .load = lda_load,
    .tables = lda_tables,
    .worker_init = lda_worker_init,
    .step = lda_step,
    .worker_free = lda_worker_free,
    .worker_save = lda_worker_save,
    .worker_load = lda_worker_load,
    .objective = lda_objective,
    .objective_name = "loglik_per_token",
    .maximize = 1,
    .metrics_lag = 1,
    .model_terms = lda_model_terms,
    .loop = lda_loop,
    .sched = lda_sched,
    .free = lda_free,
};
