/* test_prog.h: running the stale program from a test and reading its CSV,
 * shared by the suites that compare `stale sim` with `stale launch`.
 * Include after <check.h>. */
#ifndef TEST_PROG_H
#define TEST_PROG_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static inline int run_prog(char *const argv[], const char *out) {
  pid_t p = fork();
  if (p == 0) {
    int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = open("/dev/null", O_WRONLY);
    dup2(o, 1);
    dup2(e, 2);
    execv(argv[0], argv);
    _exit(127);
  }
  int st;
  while (waitpid(p, &st, 0) < 0 && errno == EINTR)
    ;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The named column of every data row, as text (for exact comparison). */
static inline int read_column(const char *path, const char *name, char vals[][32], int max) {
  FILE *f = fopen(path, "r");
  ck_assert_msg(f != NULL, "%s missing", path);
  char line[8192];
  int col = -1, n = 0;
  if (fgets(line, sizeof line, f)) {
    int k = 0;
    for (char *tok = strtok(line, ",\n"); tok; tok = strtok(NULL, ",\n"), k++)
      if (!strcmp(tok, name)) col = k;
  }
  ck_assert_int_ge(col, 0);
  while (n < max && fgets(line, sizeof line, f)) {
    char *tok = line;
    for (int k = 0; k < col && tok; k++)
      if ((tok = strchr(tok, ','))) tok++;
    ck_assert_ptr_nonnull(tok);
    size_t len = strcspn(tok, ",\n");
    ck_assert_uint_lt(len, 32);
    memcpy(vals[n], tok, len);
    vals[n++][len] = '\0';
  }
  fclose(f);
  return n;
}

#endif
