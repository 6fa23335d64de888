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

static int fuzz_fd = -1;
static char fuzz_path[64];

const char *fuzz_as_file(const uint8_t *data, size_t size) {
  if (fuzz_fd < 0) {
    fuzz_fd = memfd_create("fuzz-input", 0);
    if (fuzz_fd >= 0) {
      snprintf(fuzz_path, sizeof fuzz_path, "/proc/self/fd/%d", fuzz_fd);
    } else {
      snprintf(fuzz_path, sizeof fuzz_path, "/tmp/stale-fuzz-%ld", (long)getpid());
      fuzz_fd = open(fuzz_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
      if (fuzz_fd < 0) return NULL;
    }
  }
  if (ftruncate(fuzz_fd, 0) != 0) return NULL;
  size_t done = 0;
  while (done < size) {
    ssize_t k = pwrite(fuzz_fd, data + done, size - done, (off_t)done);
    if (k <= 0) return NULL;
    done += (size_t)k;
  }
  return fuzz_path;
}

void fuzz_check_loader_result(int rc, const char *path, const char *err, size_t errlen) {
  FUZZ_CHECK(rc <= 0);
  if (rc == 0) return;
  FUZZ_CHECK(memchr(err, '\0', errlen) != NULL);
  FUZZ_CHECK(err[0] != '\0');
  FUZZ_CHECK(strstr(err, path) != NULL);
}
