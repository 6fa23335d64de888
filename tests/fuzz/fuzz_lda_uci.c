/* fuzz_lda_uci.c: the LDA app's UCI bag-of-words loader on any pair of
 * files: the input up to its first NUL byte is docword.txt, the rest
 * vocab.txt.
 *
 * The loader allocates per triple, document and word of the header's NNZ,
 * D and W before it has read them, so a 200-byte file claiming D =
 * 888888882 asks for 7 GB, one claiming NNZ = 112270000 for 2.7 GB
 * (tests/fuzz/findings/lda_uci/, not fixed here: the LDA app's). Inputs
 * whose three header lines claim more than FUZZ_UCI_MAX are skipped, so the
 * fuzzer explores the rest instead of those findings. */
#include <stdlib.h>
#include "fuzz.h"
#include "lda/corpus.h"

#define FUZZ_UCI_MAX (1u << 22)

/* Whether the first three lines of text (n bytes) claim at most FUZZ_UCI_MAX. */
static int header_small(const uint8_t *text, size_t n) {
  char line[32];
  size_t pos = 0;
  for (int k = 0; k < 3 && pos < n; k++) {
    size_t len = 0;
    while (pos < n && text[pos] != '\n' && len < sizeof line - 1) line[len++] = (char)text[pos++];
    while (pos < n && text[pos] != '\n') pos++;
    pos++;
    line[len] = '\0';
    if (strtod(line, NULL) > FUZZ_UCI_MAX) return 0;
  }
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t n1, n2;
  const uint8_t *rest;
  fuzz_split(data, size, &n1, &rest, &n2);
  if (!header_small(data, n1)) return 0;
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
