/* fuzz.h: what every fuzz target shares. A target is one file defining
 * LLVMFuzzerTestOneInput; it is linked either with libFuzzer (clang,
 * scripts/fuzz.sh, -DSTALE_FUZZ=ON) or with replay.c (any compiler, ctest
 * replays the corpus and every crash found). A target checks its
 * invariants with FUZZ_CHECK, which aborts: a sanitizer or libFuzzer then
 * reports the input.
 *
 * A data loader becomes a target in a few lines (see fuzz_ratings.c):
 *   #include "fuzz.h"
 *   static int load(const char *path, char *err, size_t errlen) { ... }
 *   FUZZ_LOADER(load)
 * plus one stale_fuzz_target() line in tests/fuzz.cmake and a directory of
 * seeds in tests/fuzz/corpus/<name>/. */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                              \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                                        \
    }                                                                                 \
  } while (0)

/* A NUL-terminated copy of data (malloc'd; the caller frees), or NULL. */
char *fuzz_cstr(const uint8_t *data, size_t size);

/* Writes data to a file and returns its path (static storage, valid until
 * the next call). The file is an in-memory one where the system has them
 * (memfd), so a loader opens it by name as it would any file. NULL if that
 * fails (the input is then skipped). */
const char *fuzz_as_file(const uint8_t *data, size_t size);
/* The same for a loader of several files: file k (0..FUZZ_FILES-1) has its
 * own path. */
#define FUZZ_FILES 4
const char *fuzz_as_file_n(int k, const uint8_t *data, size_t size);
/* Splits data at its first NUL byte: *first_len bytes before it, the rest
 * after it (rest_len 0 and no NUL: all of data is the first part). */
void fuzz_split(const uint8_t *data, size_t size, size_t *first_len, const uint8_t **rest,
                size_t *rest_len);

/* Checks what every loader promises on any input: it returns 0 or a
 * negative code; on error the message is non-empty, NUL-terminated within
 * errlen and names the file. */
void fuzz_check_loader_result(int rc, const char *path, const char *err, size_t errlen);

/* A loader target: load(path, err, errlen) loads the file and frees what it
 * loaded, returning the loader's code. */
#define FUZZ_LOADER(load)                                                     \
  int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {              \
    const char *path = fuzz_as_file(data, size);                              \
    if (!path) return 0;                                                      \
    char err[512];                                                            \
    memset(err, 'x', sizeof err);                                             \
    int rc = load(path, err, sizeof err);                                     \
    fuzz_check_loader_result(rc, path, err, sizeof err);                      \
    return 0;                                                                 \
  }

#endif
