/* rt_secret.c: `stale secret --out FILE`: a fresh cluster secret (32
 * random bytes as 64 hex digits and a newline, which --secret-file reads
 * back without the newline), created readable by its owner only and never
 * over an existing file unless --force. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "rt.h"

#define SECRET_BYTES 32

static void secret_usage(FILE *f) {
  fprintf(f, "usage: stale secret --out FILE [--force]\n"
             "Writes a fresh cluster secret to FILE (mode 0600): 64 hex digits from the\n"
             "system's random source. Every rank of a run needs the same secret: put the\n"
             "file where every node reads it (a shared home or file system) and give\n"
             "--secret-file FILE, or export STALE_SECRET=\"$(cat FILE)\" where the\n"
             "launcher passes the environment on (srun does unless --export=NONE).\n"
             "  --out FILE   where to write it; - for standard output\n"
             "  --force      replace FILE if it exists\n");
}

int rt_secret_main(int argc, char **argv) {
  const char *out = NULL;
  int force = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      secret_usage(stdout);
      return 0;
    } else if (!strcmp(argv[i], "--force")) {
      force = 1;
    } else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
      out = argv[++i];
    } else if (!strncmp(argv[i], "--out=", 6)) {
      out = argv[i] + 6;
    } else {
      fprintf(stderr, "stale secret: unknown argument '%s' (see stale secret --help)\n", argv[i]);
      return 2;
    }
  }
  if (!out || !*out) {
    fprintf(stderr, "stale secret: give --out FILE (or --out - for standard output)\n");
    return 2;
  }
  unsigned char raw[SECRET_BYTES];
  int r = uv_random(NULL, NULL, raw, sizeof raw, 0, NULL);
  if (r != 0) {
    fprintf(stderr, "stale secret: no random bytes: %s\n", uv_strerror(r));
    return 1;
  }
  char text[2 * SECRET_BYTES + 2];
  for (int i = 0; i < SECRET_BYTES; i++) snprintf(text + 2 * i, 3, "%02x", raw[i]);
  text[2 * SECRET_BYTES] = '\n';
  text[2 * SECRET_BYTES + 1] = '\0';
  memset(raw, 0, sizeof raw);
  if (!strcmp(out, "-")) {
    fputs(text, stdout);
    return fflush(stdout) == 0 ? 0 : 1;
  }
  int fd = open(out, O_WRONLY | O_CREAT | (force ? O_TRUNC : O_EXCL) | O_CLOEXEC, 0600);
  if (fd < 0) {
    fprintf(stderr, "stale secret: %s: %s%s\n", out, strerror(errno),
            errno == EEXIST ? " (give --force to replace it)" : "");
    return 1;
  }
  /* The mode of a file that already existed, and whatever the umask did. */
  size_t len = strlen(text);
  int ok = fchmod(fd, 0600) == 0 && write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
  int e = errno;
  if (close(fd) != 0 && ok) {
    ok = 0;
    e = errno;
  }
  memset(text, 0, sizeof text);
  if (!ok) {
    fprintf(stderr, "stale secret: %s: %s\n", out, strerror(e));
    return 1;
  }
  return 0;
}
