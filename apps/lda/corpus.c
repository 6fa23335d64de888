/* corpus.c: the LDA corpus, its UCI and plain text loaders, the UCI writer. */
#include "corpus.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../core/st.h"

void lda_corpus_free(lda_corpus *c) {
  if (c->vocab)
    for (uint32_t i = 0; i < c->nwords; i++) free(c->vocab[i]);
  free(c->vocab);
  free(c->doc_start);
  free(c->tokens);
  memset(c, 0, sizeof *c);
}

int lda_corpus_adopt(lda_corpus *c, uint32_t ndocs, uint32_t nwords, uint64_t *doc_start,
                     uint32_t *tokens, char **vocab) {
  memset(c, 0, sizeof *c);
  c->ndocs = ndocs;
  c->nwords = nwords;
  c->doc_start = doc_start;
  c->tokens = tokens;
  c->vocab = vocab;
  c->ntokens = doc_start[ndocs];
  if (c->ntokens > LDA_MAX_TOKENS) return ST_ETOOBIG;
  for (uint64_t t = 0; t < c->ntokens; t++)
    if (tokens[t] >= nwords) return ST_ERANGE;
  return 0;
}

/* ---- messages ---------------------------------------------------------- */

typedef struct where {
  const char *path;
  size_t line;
  char *err;
  size_t errlen;
} where;

static int fail(const where *W, int code, const char *fmt, ...) {
  if (W->err && W->errlen) {
    int k = W->line ? snprintf(W->err, W->errlen, "%s:%zu: ", W->path, W->line)
                    : snprintf(W->err, W->errlen, "%s: ", W->path);
    if (k >= 0 && (size_t)k < W->errlen) {
      va_list ap;
      va_start(ap, fmt);
      vsnprintf(W->err + k, W->errlen - (size_t)k, fmt, ap);
      va_end(ap);
    }
  }
  return code;
}

static int fail_open(const where *W) {
  return fail(W, ST_EINVAL, "%s", strerror(errno));
}

/* Strips the line end; returns the length, or -1 if a NUL byte is inside. */
static ssize_t chomp(char *buf, ssize_t len) {
  while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) buf[--len] = '\0';
  return (size_t)len == strlen(buf) ? len : -1;
}

static int is_blank(const char *s) {
  while (*s == ' ' || *s == '\t') s++;
  return *s == '\0';
}

/* Parses s as a decimal integer in [lo, hi] with nothing after it but
 * blanks; *end is where parsing stopped. 0, -1 (not an integer), -2 (range). */
static int parse_u64(const char *s, const char **end, uint64_t lo, uint64_t hi, uint64_t *out) {
  while (*s == ' ' || *s == '\t') s++;
  if (*s == '-' && s[1] >= '0' && s[1] <= '9') {
    *end = s;
    return -2;
  }
  if (*s < '0' || *s > '9') {
    *end = s;
    return -1;
  }
  uint64_t v = 0;
  int big = 0;
  while (*s >= '0' && *s <= '9') {
    if (v > (UINT64_MAX - 9) / 10) big = 1;
    v = big ? v : v * 10 + (uint64_t)(*s - '0');
    s++;
  }
  *end = s;
  if (*s && *s != ' ' && *s != '\t') return -1;
  if (big || v < lo || v > hi) return -2;
  *out = v;
  return 0;
}

/* ---- UCI bag of words ---------------------------------------------------- */

typedef struct uci_triple {
  uint32_t doc, word, count;
  size_t line;
} uci_triple;

static char *uci_vocab_path(const char *docword) {
  const char *base = strrchr(docword, '/');
  base = base ? base + 1 : docword;
  if (strncmp(base, "docword.", 8) != 0) return NULL;
  size_t dir = (size_t)(base - docword);
  char *p = malloc(strlen(docword) + 2);
  if (!p) return NULL;
  memcpy(p, docword, dir);
  strcpy(p + dir, "vocab.");
  strcat(p + dir, base + 8);
  return p;
}

static int uci_header(FILE *fp, where *W, char **buf, size_t *cap, const char *what, uint64_t hi,
                      uint64_t *out) {
  ssize_t len;
  while ((len = getline(buf, cap, fp)) >= 0) {
    W->line++;
    if (chomp(*buf, len) < 0) return fail(W, ST_EPARSE, "a NUL byte in the header");
    if (is_blank(*buf)) continue;
    const char *end;
    int rc = parse_u64(*buf, &end, 1, hi, out);
    if (rc == 0 && !is_blank(end)) rc = -1;
    if (rc == -1) return fail(W, ST_EPARSE, "header line %s: '%.40s' is not an integer", what, *buf);
    if (rc == -2) return fail(W, ST_EPARSE, "header line %s: '%.40s' is not in 1..%llu", what, *buf,
                              (unsigned long long)hi);
    return 0;
  }
  return fail(W, ST_EPARSE, "the header ends before its %s line (D, W and NNZ, one a line)", what);
}

static int uci_triples(FILE *fp, where *W, uint64_t D, uint64_t V, uint64_t nnz, uci_triple **out,
                       uint64_t *ntok) {
  char *buf = NULL;
  size_t cap = 0, n = 0;
  ssize_t len;
  int rc = 0;
  /* Grown as triples are read, not sized by the header: a 200-byte file
   * must not make the loader allocate for the NNZ it claims. */
  size_t tcap = nnz < 1024 ? (size_t)nnz + 1 : 1024;
  uci_triple *t = malloc(tcap * sizeof *t);
  if (!t) return fail(W, ST_ENOMEM, "out of memory for %zu triples", tcap);
  *ntok = 0;
  while (!rc && (len = getline(&buf, &cap, fp)) >= 0) {
    W->line++;
    if (chomp(buf, len) < 0) {
      rc = fail(W, ST_EPARSE, "a NUL byte");
      break;
    }
    if (is_blank(buf)) continue;
    if (n == nnz) {
      rc = fail(W, ST_EPARSE, "more triples than the header's NNZ = %llu", (unsigned long long)nnz);
      break;
    }
    const char *p = buf, *end;
    uint64_t f[3];
    static const char *const names[3] = {"docID", "wordID", "count"};
    const uint64_t hi[3] = {D, V, LDA_MAX_TOKENS};
    for (int i = 0; i < 3 && !rc; i++) {
      int r = parse_u64(p, &end, 1, hi[i], &f[i]);
      if (r == -1) {
        rc = *end ? fail(W, ST_EPARSE, "expected 'docID wordID count', %s is not an integer: '%.40s'",
                         names[i], buf)
                  : fail(W, ST_EPARSE, "expected 'docID wordID count', found %d field%s", i,
                         i == 1 ? "" : "s");
      } else if (r == -2) {
        rc = i == 2 ? fail(W, ST_EPARSE, "count must be in 1..%u: '%.40s'", LDA_MAX_TOKENS, buf)
                    : fail(W, ST_EPARSE, "%s out of range 1..%llu: '%.40s'", names[i],
                           (unsigned long long)hi[i], buf);
      }
      p = end;
    }
    if (rc) break;
    if (!is_blank(p)) {
      rc = fail(W, ST_EPARSE, "expected 'docID wordID count', found more: '%.40s'", buf);
      break;
    }
    *ntok += f[2];
    if (*ntok > LDA_MAX_TOKENS) {
      rc = fail(W, ST_ETOOBIG, "more than %u tokens: counts travel as floats, exact only below 2^24",
                LDA_MAX_TOKENS);
      break;
    }
    if (n == tcap) {
      size_t nc = 2 * tcap > nnz ? (size_t)nnz + 1 : 2 * tcap;
      uci_triple *g = realloc(t, nc * sizeof *g);
      if (!g) {
        rc = fail(W, ST_ENOMEM, "out of memory for %zu triples", nc);
        break;
      }
      t = g;
      tcap = nc;
    }
    t[n++] = (uci_triple){(uint32_t)(f[0] - 1), (uint32_t)(f[1] - 1), (uint32_t)f[2], W->line};
  }
  free(buf);
  if (!rc && n != nnz)
    rc = fail(W, ST_EPARSE, "the header's NNZ is %llu, the file has %zu triples",
              (unsigned long long)nnz, n);
  if (rc) {
    free(t);
    return rc;
  }
  *out = t;
  return 0;
}

static int uci_vocab(const char *path, uint32_t V, char ***out, char *err, size_t errlen) {
  where W = {path, 0, err, errlen};
  FILE *fp = fopen(path, "r");
  if (!fp) return fail_open(&W);
  char **vocab = calloc(V, sizeof *vocab);
  char *buf = NULL;
  size_t cap = 0, n = 0;
  ssize_t len;
  int rc = vocab ? 0 : fail(&W, ST_ENOMEM, "out of memory");
  while (!rc && (len = getline(&buf, &cap, fp)) >= 0) {
    W.line++;
    if ((len = chomp(buf, len)) < 0) {
      rc = fail(&W, ST_EPARSE, "a NUL byte");
    } else if (n == V) {
      rc = is_blank(buf) ? 0 : fail(&W, ST_EPARSE, "more words than the docword header's W = %u", V);
    } else if (len == 0 || strpbrk(buf, " \t")) {
      rc = fail(&W, ST_EPARSE, "word %zu is %s", n + 1, len ? "not one word (blanks inside)" : "empty");
    } else if (!(vocab[n++] = strdup(buf))) {
      rc = fail(&W, ST_ENOMEM, "out of memory");
    }
  }
  free(buf);
  if (!rc && ferror(fp)) rc = fail(&W, ST_EINVAL, "read error");
  fclose(fp);
  if (!rc && n != V) {
    W.line = 0;
    rc = fail(&W, ST_EPARSE, "%zu words, the docword header says W = %u", n, V);
  }
  if (rc) {
    for (size_t i = 0; vocab && i < V; i++) free(vocab[i]);
    free(vocab);
    return rc;
  }
  *out = vocab;
  return 0;
}

/* Groups triples by document (stable), refuses repeated (doc, word) pairs
 * and lays the tokens out. */
static int uci_build(const where *W0, uci_triple *t, size_t nnz, uint32_t D, uint32_t V,
                     uint64_t ntok, uint64_t **doc_start_out, uint32_t **tokens_out) {
  where W = *W0;
  uint64_t *start = calloc((size_t)D + 1, sizeof *start);
  uint32_t *tokens = malloc((ntok + 1) * sizeof *tokens);
  size_t *pos = calloc((size_t)D + 1, sizeof *pos);
  size_t *order = malloc((nnz + 1) * sizeof *order);
  uint32_t *stamp = calloc(V, sizeof *stamp);
  size_t *first = malloc(((size_t)V + 1) * sizeof *first);
  int rc = 0;
  if (!start || !tokens || !pos || !order || !stamp || !first) {
    rc = fail(&W, ST_ENOMEM, "out of memory");
    goto out;
  }
  for (size_t i = 0; i < nnz; i++) pos[t[i].doc + 1]++;
  for (uint32_t d = 0; d < D; d++) pos[d + 1] += pos[d];
  for (size_t i = 0; i < nnz; i++) order[pos[t[i].doc]++] = i;
  uint64_t k = 0;
  size_t i = 0;
  for (uint32_t d = 0; d < D; d++) {
    start[d] = k;
    for (; i < pos[d]; i++) {
      const uci_triple *e = &t[order[i]];
      if (stamp[e->word] == d + 1) {
        W.line = e->line;
        rc = fail(&W, ST_EPARSE, "doc %u word %u repeated (first at line %zu)", d + 1, e->word + 1,
                  first[e->word]);
        goto out;
      }
      stamp[e->word] = d + 1;
      first[e->word] = e->line;
      for (uint32_t c = 0; c < e->count; c++) tokens[k++] = e->word;
    }
  }
  start[D] = k;
  *doc_start_out = start;
  *tokens_out = tokens;
  start = NULL;
  tokens = NULL;
out:
  free(start);
  free(tokens);
  free(pos);
  free(order);
  free(stamp);
  free(first);
  return rc;
}

int lda_load_uci(const char *docword_path, const char *vocab_path, lda_corpus *out, char *err,
                 size_t errlen) {
  memset(out, 0, sizeof *out);
  where W = {docword_path, 0, err, errlen};
  char *vpath = vocab_path ? NULL : uci_vocab_path(docword_path);
  if (!vocab_path && !vpath)
    return fail(&W, ST_EINVAL, "the file name does not start with 'docword.', so its vocab.* file "
                               "cannot be found");
  FILE *fp = fopen(docword_path, "r");
  if (!fp) {
    free(vpath);
    return fail_open(&W);
  }
  char *buf = NULL;
  size_t cap = 0;
  uint64_t D, V, nnz, ntok = 0;
  uci_triple *t = NULL;
  /* Every bound is what a corpus of at most LDA_MAX_TOKENS tokens can
   * have, so the arrays sized by the header stay bounded too. */
  int rc = uci_header(fp, &W, &buf, &cap, "D (documents)", LDA_MAX_TOKENS, &D);
  if (!rc) rc = uci_header(fp, &W, &buf, &cap, "W (words)", LDA_MAX_TOKENS, &V);
  if (!rc)
    rc = uci_header(fp, &W, &buf, &cap, "NNZ (triples)",
                    D * V < LDA_MAX_TOKENS ? D * V : LDA_MAX_TOKENS, &nnz);
  free(buf);
  if (!rc) rc = uci_triples(fp, &W, D, V, nnz, &t, &ntok);
  if (!rc && ferror(fp)) rc = fail(&W, ST_EINVAL, "read error");
  fclose(fp);
  uint64_t *start = NULL;
  uint32_t *tokens = NULL;
  if (!rc) rc = uci_build(&W, t, nnz, (uint32_t)D, (uint32_t)V, ntok, &start, &tokens);
  free(t);
  char **vocab = NULL;
  if (!rc) rc = uci_vocab(vocab_path ? vocab_path : vpath, (uint32_t)V, &vocab, err, errlen);
  free(vpath);
  if (rc) {
    free(start);
    free(tokens);
    return rc;
  }
  lda_corpus_adopt(out, (uint32_t)D, (uint32_t)V, start, tokens, vocab);
  return 0;
}

int lda_write_uci(const lda_corpus *c, const char *docword_path, const char *vocab_path,
                  char *err, size_t errlen) {
  where W = {docword_path, 0, err, errlen};
  FILE *fp = fopen(docword_path, "w");
  if (!fp) return fail_open(&W);
  uint32_t *cnt = calloc(c->nwords ? c->nwords : 1, sizeof *cnt);
  if (!cnt) {
    fclose(fp);
    return fail(&W, ST_ENOMEM, "out of memory");
  }
  uint64_t nnz = 0;
  for (uint32_t d = 0; d < c->ndocs; d++) {
    for (uint64_t t = c->doc_start[d]; t < c->doc_start[d + 1]; t++)
      nnz += cnt[c->tokens[t]]++ == 0;
    for (uint64_t t = c->doc_start[d]; t < c->doc_start[d + 1]; t++) cnt[c->tokens[t]] = 0;
  }
  fprintf(fp, "%u\n%u\n%llu\n", c->ndocs, c->nwords, (unsigned long long)nnz);
  for (uint32_t d = 0; d < c->ndocs; d++) {
    for (uint64_t t = c->doc_start[d]; t < c->doc_start[d + 1]; t++) cnt[c->tokens[t]]++;
    for (uint64_t t = c->doc_start[d]; t < c->doc_start[d + 1]; t++) {
      uint32_t w = c->tokens[t];
      if (cnt[w]) fprintf(fp, "%u %u %u\n", d + 1, w + 1, cnt[w]);
      cnt[w] = 0;
    }
  }
  free(cnt);
  int bad = ferror(fp) | fclose(fp);
  if (bad) return fail(&W, ST_EINVAL, "write failed");
  W.path = vocab_path;
  if (!(fp = fopen(vocab_path, "w"))) return fail_open(&W);
  for (uint32_t w = 0; w < c->nwords; w++) {
    if (c->vocab)
      fprintf(fp, "%s\n", c->vocab[w]);
    else
      fprintf(fp, "w%u\n", w);
  }
  bad = ferror(fp) | fclose(fp);
  return bad ? fail(&W, ST_EINVAL, "write failed") : 0;
}

/* ---- plain text ------------------------------------------------------------ */

/* Common English function words (sorted, for bsearch). */
static const char *const stop_words[] = {
    "a",       "about",  "above",  "after",   "again",  "against", "all",     "also",
    "am",      "an",     "and",    "any",     "are",    "as",      "at",      "be",
    "because", "been",   "before", "being",   "below",  "between", "both",    "but",
    "by",      "can",    "could",  "did",     "do",     "does",    "doing",   "down",
    "during",  "each",   "either", "else",    "etc",    "few",     "for",     "from",
    "further", "had",    "has",    "have",    "having", "he",      "her",     "here",
    "hers",    "herself","him",    "himself", "his",    "how",     "however", "i",
    "if",      "in",     "into",   "is",      "it",     "its",     "itself",  "just",
    "may",     "me",     "might",  "more",    "most",   "much",    "must",    "my",
    "myself",  "no",     "nor",    "not",     "now",    "of",      "off",     "on",
    "once",    "one",    "only",   "or",      "other",  "our",     "ours",    "ourselves",
    "out",     "over",   "own",    "same",    "shall",  "she",     "should",  "so",
    "some",    "such",   "than",   "that",    "the",    "their",   "theirs",  "them",
    "themselves", "then", "there", "these",   "they",   "this",    "those",   "through",
    "thus",    "to",     "too",    "under",   "until",  "up",      "upon",    "us",
    "very",    "via",    "was",    "we",      "were",   "what",    "when",    "where",
    "whether", "which",  "while",  "who",     "whom",   "why",     "will",    "with",
    "within",  "without","would",  "yet",     "you",    "your",    "yours",   "yourself",
    "yourselves"};

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int lda_is_stopword(const char *word) {
  return bsearch(&word, stop_words, sizeof stop_words / sizeof *stop_words, sizeof *stop_words,
                 cmp_str) != NULL;
}

/* String -> id map with owned keys (open addressing, FNV-1a). */
typedef struct smap {
  char **keys;
  uint32_t *ids;
  size_t cap, n;
} smap;

static uint64_t fnv(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static void smap_free(smap *m) {
  for (size_t i = 0; i < m->cap; i++) free(m->keys[i]);
  free(m->keys);
  free(m->ids);
}

static int smap_grow(smap *m) {
  size_t cap = m->cap ? m->cap * 2 : 1024;
  char **keys = calloc(cap, sizeof *keys);
  uint32_t *ids = calloc(cap, sizeof *ids);
  if (!keys || !ids) {
    free(keys);
    free(ids);
    return ST_ENOMEM;
  }
  for (size_t i = 0; i < m->cap; i++) {
    if (!m->keys[i]) continue;
    size_t j = fnv(m->keys[i]) & (cap - 1);
    while (keys[j]) j = (j + 1) & (cap - 1);
    keys[j] = m->keys[i];
    ids[j] = m->ids[i];
  }
  free(m->keys);
  free(m->ids);
  m->keys = keys;
  m->ids = ids;
  m->cap = cap;
  return 0;
}

/* The id of word, adding it with id m->n on first sight (*added = 1).
 * UINT32_MAX on out of memory. */
static uint32_t smap_id(smap *m, const char *word, int add, int *added) {
  if (added) *added = 0;
  if (add && (m->n + 1) * 2 > m->cap && smap_grow(m)) return UINT32_MAX;
  if (!m->cap) return UINT32_MAX - 1;
  size_t j = fnv(word) & (m->cap - 1);
  while (m->keys[j]) {
    if (strcmp(m->keys[j], word) == 0) return m->ids[j];
    j = (j + 1) & (m->cap - 1);
  }
  if (!add) return UINT32_MAX - 1; /* absent */
  if (!(m->keys[j] = strdup(word))) return UINT32_MAX;
  m->ids[j] = (uint32_t)m->n++;
  if (added) *added = 1;
  return m->ids[j];
}

/* Length of the valid UTF-8 prefix of s[0..len). */
static size_t utf8_valid(const unsigned char *s, size_t len) {
  size_t i = 0;
  while (i < len) {
    unsigned char c = s[i];
    size_t n;
    uint32_t min;
    if (c < 0x80) {
      i++;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 2, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      n = 3, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      n = 4, min = 0x10000;
    } else {
      return i;
    }
    if (i + n > len) return i;
    uint32_t cp = c & (0x7F >> n);
    for (size_t k = 1; k < n; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
      cp = cp << 6 | (s[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += n;
  }
  return len;
}

typedef struct text_build {
  smap words;       /* raw vocabulary */
  uint32_t *counts; /* per raw word id */
  size_t capcounts;
  uint32_t *tok;    /* raw word ids */
  size_t ntok, captok;
  uint64_t *start;  /* raw docs */
  size_t ndocs, capstart;
  const smap *stop; /* extra stop words */
} text_build;

static int tb_push(text_build *b, const char *w) {
  int added;
  uint32_t id = smap_id(&b->words, w, 1, &added);
  if (id == UINT32_MAX) return ST_ENOMEM;
  if (id >= b->capcounts) {
    size_t cap = b->capcounts ? b->capcounts * 2 : 1024;
    uint32_t *p = realloc(b->counts, cap * sizeof *p);
    if (!p) return ST_ENOMEM;
    b->counts = p;
    b->capcounts = cap;
  }
  if (added) b->counts[id] = 0;
  b->counts[id]++;
  if (b->ntok == b->captok) {
    size_t cap = b->captok ? b->captok * 2 : 4096;
    uint32_t *p = realloc(b->tok, cap * sizeof *p);
    if (!p) return ST_ENOMEM;
    b->tok = p;
    b->captok = cap;
  }
  b->tok[b->ntok++] = id;
  return 0;
}

static int tb_end_doc(text_build *b) {
  if (b->ndocs + 2 > b->capstart) {
    size_t cap = b->capstart ? b->capstart * 2 : 256;
    uint64_t *p = realloc(b->start, cap * sizeof *p);
    if (!p) return ST_ENOMEM;
    b->start = p;
    b->capstart = cap;
  }
  if (b->ndocs == 0) b->start[0] = 0;
  b->start[++b->ndocs] = b->ntok;
  return 0;
}

/* Tokenizes one line (len bytes, no line end) into the current document. */
static int tb_line(text_build *b, const where *W, const char *line, size_t len) {
  size_t ok = utf8_valid((const unsigned char *)line, len);
  if (ok < len)
    return fail(W, ST_EPARSE, "column %zu: byte 0x%02x is not UTF-8", ok + 1,
                (unsigned)(unsigned char)line[ok]);
  char word[LDA_MAX_WORD + 1];
  size_t i = 0;
  while (i < len) {
    while (i < len && !((line[i] | 0x20) >= 'a' && (line[i] | 0x20) <= 'z')) i++;
    size_t s = i;
    while (i < len && ((line[i] | 0x20) >= 'a' && (line[i] | 0x20) <= 'z')) i++;
    if (i == s) break;
    if (i - s > LDA_MAX_WORD)
      return fail(W, ST_EPARSE, "column %zu: a word of %zu letters (at most %d)", s + 1, i - s,
                  LDA_MAX_WORD);
    for (size_t k = s; k < i; k++) word[k - s] = (char)(line[k] | 0x20);
    word[i - s] = '\0';
    if (lda_is_stopword(word) || smap_id((smap *)b->stop, word, 0, NULL) < UINT32_MAX - 1) continue;
    int rc = tb_push(b, word);
    if (rc) return fail(W, rc, "out of memory");
  }
  return 0;
}

/* Reads path line by line; per_line: every line ends a document, else the
 * file is one document. */
static int tb_file(text_build *b, const char *path, int per_line, char *err, size_t errlen) {
  where W = {path, 0, err, errlen};
  FILE *fp = fopen(path, "r");
  if (!fp) return fail_open(&W);
  char *buf = NULL;
  size_t cap = 0;
  ssize_t len;
  int rc = 0;
  while (!rc && (len = getline(&buf, &cap, fp)) >= 0) {
    W.line++;
    size_t n = (size_t)len;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) n--;
    const char *nul = memchr(buf, '\0', n);
    if (nul) {
      rc = fail(&W, ST_EPARSE, "column %zu: a NUL byte (a binary file?)", (size_t)(nul - buf) + 1);
    } else if (n > LDA_MAX_LINE) {
      rc = fail(&W, ST_EPARSE, "a line of %zu bytes (at most %u)", n, LDA_MAX_LINE);
    } else {
      rc = tb_line(b, &W, buf, n);
      if (!rc && per_line) rc = tb_end_doc(b);
    }
  }
  free(buf);
  if (!rc && ferror(fp)) rc = fail(&W, ST_EINVAL, "read error");
  fclose(fp);
  if (!rc && !per_line) rc = tb_end_doc(b);
  if (rc == ST_ENOMEM) fail(&W, rc, "out of memory");
  return rc;
}

static int load_stopwords(const char *path, smap *stop, char *err, size_t errlen) {
  where W = {path, 0, err, errlen};
  FILE *fp = fopen(path, "r");
  if (!fp) return fail_open(&W);
  char *buf = NULL;
  size_t cap = 0;
  ssize_t len;
  int rc = 0;
  while (!rc && (len = getline(&buf, &cap, fp)) >= 0) {
    W.line++;
    if ((len = chomp(buf, len)) < 0) {
      rc = fail(&W, ST_EPARSE, "a NUL byte");
      break;
    }
    char *p = buf;
    while (*p == ' ' || *p == '\t') p++;
    char *e = p + strlen(p);
    while (e > p && (e[-1] == ' ' || e[-1] == '\t')) *--e = '\0';
    if (!*p || *p == '#') continue;
    for (char *q = p; *q && !rc; q++) {
      if (((*q | 0x20) < 'a' || (*q | 0x20) > 'z'))
        rc = fail(&W, ST_EPARSE, "column %zu: a stop word is one word of letters: '%.40s'",
                  (size_t)(q - buf) + 1, p);
      *q = (char)(*q | 0x20);
    }
    if (!rc && (size_t)(e - p) > LDA_MAX_WORD)
      rc = fail(&W, ST_EPARSE, "a stop word of %zu letters (at most %d)", (size_t)(e - p), LDA_MAX_WORD);
    if (!rc && smap_id(stop, p, 1, NULL) == UINT32_MAX) rc = fail(&W, ST_ENOMEM, "out of memory");
  }
  free(buf);
  fclose(fp);
  return rc;
}

static int cmp_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular files of dir, sorted by name (byte order, not locale). */
static int list_dir(const char *dir, char ***names, size_t *n, char *err, size_t errlen) {
  where W = {dir, 0, err, errlen};
  DIR *d = opendir(dir);
  if (!d) return fail_open(&W);
  char **v = NULL;
  size_t cnt = 0, cap = 0;
  struct dirent *e;
  int rc = 0;
  while (!rc && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    size_t len = strlen(dir) + strlen(e->d_name) + 2;
    char *p = malloc(len);
    if (!p) {
      rc = ST_ENOMEM;
      break;
    }
    snprintf(p, len, "%s/%s", dir, e->d_name);
    struct stat st;
    if (stat(p, &st) != 0 || !S_ISREG(st.st_mode)) {
      free(p);
      continue;
    }
    if (cnt == cap) {
      cap = cap ? cap * 2 : 64;
      char **nv = realloc(v, cap * sizeof *nv);
      if (!nv) {
        free(p);
        rc = ST_ENOMEM;
        break;
      }
      v = nv;
    }
    v[cnt++] = p;
  }
  closedir(d);
  if (rc) {
    for (size_t i = 0; i < cnt; i++) free(v[i]);
    free(v);
    return fail(&W, rc, "out of memory");
  }
  qsort(v, cnt, sizeof *v, cmp_name);
  *names = v;
  *n = cnt;
  return 0;
}

/* Drops stop-listed-by-count words, sorts the vocabulary, remaps tokens,
 * drops empty documents. */
static int tb_finish(text_build *b, uint32_t min_count, const where *W, lda_corpus *out) {
  size_t V = b->words.n;
  char **raw = calloc(V + 1, sizeof *raw);
  uint32_t *map = malloc((V + 1) * sizeof *map);
  if (!raw || !map) {
    free(raw);
    free(map);
    return fail(W, ST_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < b->words.cap; i++)
    if (b->words.keys[i]) raw[b->words.ids[i]] = b->words.keys[i];
  size_t kept = 0;
  char **vocab = malloc((V + 1) * sizeof *vocab);
  if (!vocab) {
    free(raw);
    free(map);
    return fail(W, ST_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < V; i++)
    if (b->counts[i] >= min_count) vocab[kept++] = raw[i];
  qsort(vocab, kept, sizeof *vocab, cmp_name);
  for (size_t i = 0; i < V; i++) map[i] = UINT32_MAX;
  for (size_t k = 0; k < kept; k++) {
    uint32_t id = smap_id(&b->words, vocab[k], 0, NULL);
    map[id] = (uint32_t)k;
  }
  /* Own the kept strings: take them out of the map. */
  for (size_t i = 0; i < b->words.cap; i++)
    if (b->words.keys[i] && map[b->words.ids[i]] != UINT32_MAX) b->words.keys[i] = NULL;
  free(raw);
  uint64_t *start = malloc((b->ndocs + 1) * sizeof *start);
  if (!start) {
    for (size_t k = 0; k < kept; k++) free(vocab[k]);
    free(vocab);
    free(map);
    return fail(W, ST_ENOMEM, "out of memory");
  }
  size_t nd = 0, nt = 0;
  start[0] = 0;
  for (size_t d = 0; d < b->ndocs; d++) {
    for (uint64_t t = b->start[d]; t < b->start[d + 1]; t++)
      if (map[b->tok[t]] != UINT32_MAX) b->tok[nt++] = map[b->tok[t]];
    if (nt > start[nd]) start[++nd] = nt;
  }
  free(map);
  if (nd == 0 || nt > LDA_MAX_TOKENS) {
    for (size_t k = 0; k < kept; k++) free(vocab[k]);
    free(vocab);
    free(start);
    if (nd == 0)
      return fail(W, ST_EPARSE, "no document has a word left after stop words and min_count = %u",
                  min_count);
    return fail(W, ST_ETOOBIG, "%zu tokens, at most %u (counts travel as floats, exact below 2^24)",
                nt, LDA_MAX_TOKENS);
  }
  uint32_t *tokens = b->tok;
  b->tok = NULL;
  lda_corpus_adopt(out, (uint32_t)nd, (uint32_t)kept, start, tokens, vocab);
  return 0;
}

int lda_load_text(const char *path, const lda_text_opts *opts, lda_corpus *out, char *err,
                  size_t errlen) {
  memset(out, 0, sizeof *out);
  smap stop = {0};
  text_build b = {.stop = &stop};
  int rc = 0;
  if (opts->stopwords) rc = load_stopwords(opts->stopwords, &stop, err, errlen);
  if (!rc && opts->one_per_file) {
    char **names = NULL;
    size_t n = 0;
    rc = list_dir(path, &names, &n, err, errlen);
    for (size_t i = 0; !rc && i < n; i++) rc = tb_file(&b, names[i], 0, err, errlen);
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
  } else if (!rc) {
    rc = tb_file(&b, path, 1, err, errlen);
  }
  where W = {path, 0, err, errlen};
  if (!rc) rc = tb_finish(&b, opts->min_count, &W, out);
  smap_free(&stop);
  smap_free(&b.words);
  free(b.counts);
  free(b.tok);
  free(b.start);
  return rc;
}
