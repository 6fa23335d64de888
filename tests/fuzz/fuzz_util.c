/* fuzz_util.c: see fuzz.h. */
#define _GNU_SOURCE /* memfd_create */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

char *fuzz_cstr(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (!s) return NULL;
  if (size) memcpy(s, data, size);
  s[size] = '\0';
  return s;
}

static int fuzz_fd[FUZZ_FILES] = {-1, -1, -1, -1};
static char fuzz_path[FUZZ_FILES][64];

const char *fuzz_as_file_n(int k, const uint8_t *data, size_t size) {
  if (k < 0 || k >= FUZZ_FILES) return NULL;
  if (fuzz_fd[k] < 0) {
    fuzz_fd[k] = memfd_create("fuzz-input", 0);
    if (fuzz_fd[k] >= 0) {
      snprintf(fuzz_path[k], sizeof fuzz_path[k], "/proc/self/fd/%d", fuzz_fd[k]);
    } else {
      snprintf(fuzz_path[k], sizeof fuzz_path[k], "/tmp/stale-fuzz-%ld-%d", (long)getpid(), k);
      fuzz_fd[k] = open(fuzz_path[k], O_RDWR | O_CREAT | O_TRUNC, 0600);
      if (fuzz_fd[k] < 0) return NULL;
    }
  }
  if (ftruncate(fuzz_fd[k], 0) != 0) return NULL;
  size_t done = 0;
  while (done < size) {
    ssize_t n = pwrite(fuzz_fd[k], data + done, size - done, (off_t)done);
    if (n <= 0) return NULL;
    done += (size_t)n;
  }
  return fuzz_path[k];
}

const char *fuzz_as_file(const uint8_t *data, size_t size) { return fuzz_as_file_n(0, data, size); }

void fuzz_split(const uint8_t *data, size_t size, size_t *first_len, const uint8_t **rest,
                size_t *rest_len) {
  const uint8_t *nul = size ? memchr(data, '\0', size) : NULL;
  *first_len = nul ? (size_t)(nul - data) : size;
  *rest = nul ? nul + 1 : data + size;
  *rest_len = nul ? size - *first_len - 1 : 0;
}

void fuzz_check_loader_result(int rc, const char *path, const char *err, size_t errlen) {
  FUZZ_CHECK(rc <= 0);
  if (rc == 0) return;
  FUZZ_CHECK(memchr(err, '\0', errlen) != NULL);
  FUZZ_CHECK(err[0] != '\0');
  FUZZ_CHECK(strstr(err, path) != NULL);
}
