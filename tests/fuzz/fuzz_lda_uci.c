/* fuzz_lda_uci.c: the LDA app's UCI bag-of-words loader on any pair of
 * files: the input up to its first NUL byte is docword.txt, the rest
 * vocab.txt.
 *
 * Its first findings: a 200-byte file whose header claimed D = 888888882
 * asked for 7 GB, one claiming NNZ = 112270000 for 2.7 GB. The loader now
 * bounds the header by the tokens a corpus may hold and grows its triples
 * as it reads them; both inputs are replayed from tests/fuzz/crashes/. */
#include <stdlib.h>
#include "fuzz.h"
#include "lda/corpus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t n1, n2;
  const uint8_t *rest;
  fuzz_split(data, size, &n1, &rest, &n2);
  const char *docword = fuzz_as_file_n(0, data, n1);
  const char *vocab = fuzz_as_file_n(1, rest, n2);
  if (!docword || !vocab) return 0;
  char err[512];
  memset(err, 'x', sizeof err);
  lda_corpus c;
  int rc = lda_load_uci(docword, vocab, &c, err, sizeof err);
  FUZZ_CHECK(rc <= 0);
  if (rc == 0) {
    FUZZ_CHECK(c.ndocs > 0 && c.doc_start[c.ndocs] == c.ntokens);
    for (uint64_t t = 0; t < c.ntokens; t++) FUZZ_CHECK(c.tokens[t] < c.nwords);
    lda_corpus_free(&c);
  } else {
    FUZZ_CHECK(memchr(err, '\0', sizeof err) != NULL && err[0] != '\0');
    FUZZ_CHECK(strstr(err, docword) || strstr(err, vocab));
  }
  return 0;
}
