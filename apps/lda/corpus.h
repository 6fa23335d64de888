/* corpus.h: a bag-of-words corpus for LDA and its two loaders: the UCI
 * bag-of-words format (docword.NAME.txt + vocab.NAME.txt, as NYTimes,
 * PubMed, KOS and NIPS ship) and plain text (one document per line of a
 * file, or one file per document in a directory) through a tokenizer.
 * An lda_corpus owns its arrays; lda_corpus_free releases them. Nothing here
 * prints: errors come back as negative ST_E* codes with a "file:line: what"
 * message in a caller buffer. */
#ifndef LDA_CORPUS_H
#define LDA_CORPUS_H

#include <stddef.h>
#include <stdint.h>

/* Counts travel through float PS rows; every count and every partial sum of
 * them stays exact while the whole corpus has fewer tokens than 2^24. */
#define LDA_MAX_TOKENS ((1u << 24) - 1u)
/* Longest word the tokenizer keeps (letters); longer runs are refused. */
#define LDA_MAX_WORD 64
/* Longest line of a plain text document file, in bytes. */
#define LDA_MAX_LINE (1u << 20)

typedef struct lda_corpus {
  uint32_t ndocs, nwords; /* documents; vocabulary size V (word ids 0..V-1) */
  uint64_t ntokens;
  uint64_t *doc_start; /* ndocs + 1 offsets into tokens */
  uint32_t *tokens;    /* word id of every token, document by document */
  char **vocab;        /* nwords strings (owned), or NULL: words are "w<id>" */
} lda_corpus;

void lda_corpus_free(lda_corpus *c);
/* Builds a corpus from per-document word id lists already in place:
 * takes ownership of doc_start (ndocs + 1) and tokens; vocab may be NULL.
 * ST_ETOOBIG if ntokens > LDA_MAX_TOKENS, ST_ERANGE for an id >= nwords. */
int lda_corpus_adopt(lda_corpus *c, uint32_t ndocs, uint32_t nwords, uint64_t *doc_start,
                     uint32_t *tokens, char **vocab);

/* Loads docword_path and its vocabulary file (vocab_path, or if NULL the
 * docword path with "docword." replaced by "vocab." in its file name).
 * docword: three header lines D, W, NNZ, then NNZ lines "docID wordID count"
 * (1-based ids). vocab: W lines, word i on line i. Refused, naming file and
 * line: a header line that is not a positive integer or is missing, a triple
 * that is not three integers, a docID outside 1..D, a wordID outside 1..W, a
 * count < 1, a (doc, word) pair repeated, a triple count that differs from
 * NNZ, more than LDA_MAX_TOKENS tokens, a vocab line count other than W, and
 * an empty or blank-containing vocab word. Returns 0, ST_EPARSE, ST_EINVAL
 * (unreadable file), ST_ETOOBIG or ST_ENOMEM. */
int lda_load_uci(const char *docword_path, const char *vocab_path, lda_corpus *out, char *err,
                 size_t errlen);

typedef struct lda_text_opts {
  uint32_t min_count;    /* words seen fewer times in the corpus are dropped */
  const char *stopwords; /* extra stop-word file (one word a line) or NULL */
  uint8_t one_per_file;  /* 1: path is a directory, one document per file */
} lda_text_opts;

/* Tokenizes plain text: a word is a maximal run of ASCII letters, lower
 * cased; every other byte separates words. Built-in English stop words (and
 * those of opts->stopwords) are dropped, then words below min_count;
 * documents left empty are dropped too. The vocabulary is sorted. Refused,
 * naming file and line (and column): a NUL byte, bytes that are not UTF-8,
 * a line over LDA_MAX_LINE bytes, a word over LDA_MAX_WORD letters, a
 * stop-word file line that is not one word of letters, and a corpus with no
 * document left. */
int lda_load_text(const char *path, const lda_text_opts *opts, lda_corpus *out, char *err,
                  size_t errlen);

/* Writes c in UCI format to docword_path and vocab_path. 0 or ST_EINVAL. */
int lda_write_uci(const lda_corpus *c, const char *docword_path, const char *vocab_path,
                  char *err, size_t errlen);

/* Whether the built-in stop-word list holds word (lower case). */
int lda_is_stopword(const char *word);

#endif
