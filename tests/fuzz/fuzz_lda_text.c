/* fuzz_lda_text.c: the LDA app's plain-text loader (one document a line) on
 * any file. */
#include "fuzz.h"
#include "lda/corpus.h"

static void check_corpus(const lda_corpus *c) {
  FUZZ_CHECK(c->ndocs > 0 && c->doc_start[0] == 0 && c->doc_start[c->ndocs] == c->ntokens);
  for (uint32_t d = 0; d < c->ndocs; d++) FUZZ_CHECK(c->doc_start[d] <= c->doc_start[d + 1]);
  for (uint64_t t = 0; t < c->ntokens; t++) FUZZ_CHECK(c->tokens[t] < c->nwords);
}

static int load(const char *path, char *err, size_t errlen) {
  lda_text_opts o = {.min_count = 1};
  lda_corpus c;
  int rc = lda_load_text(path, &o, &c, err, errlen);
  if (rc == 0) {
    check_corpus(&c);
    lda_corpus_free(&c);
  }
  return rc;
}

FUZZ_LOADER(load)
