/* test_hard_net.c: a flood of unauthenticated connections to a rank logs a
 * few lines and a count, not one line each. REAL_PROG is test_real_prog. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_port.h"

#define FLOOD 300

static const char *slurp(const char *path) {
  static char buf[1 << 18];
  FILE *f = fopen(path, "r");
  size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
  buf[n] = '\0';
  if (f) fclose(f);
  return buf;
}

static int count(const char *s, const char *what) {
  int n = 0;
  for (const char *p = s; (p = strstr(p, what)) != NULL; p += strlen(what)) n++;
  return n;
}

START_TEST(connection_flood_is_counted_not_logged_line_by_line) {
  int hold;
  uint16_t port = test_reserve_port(&hold);
  char coord[32];
  snprintf(coord, sizeof coord, "127.0.0.1:%u", (unsigned)port);
  char *argv[] = {REAL_PROG, "run", "--app", "mf", "--rank", "0", "--world-size", "2",
                  "--coordinator", coord, "--connect-timeout", "4", "--verbose", NULL};
  unlink("hard_flood.err"); /* an earlier run's "listening" must not count */
  fflush(NULL);
  pid_t p = fork();
  if (p == 0) {
    int e = open("hard_flood.err", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int o = open("/dev/null", O_WRONLY);
    dup2(o, 1);
    dup2(e, 2);
    setenv("STALE_SECRET", "flood-test", 1);
    execv(argv[0], argv);
    _exit(127);
  }
  close(hold);
  for (int i = 0; i < 500 && !strstr(slurp("hard_flood.err"), "listening"); i++) {
    struct timespec ts = {0, 10000000};
    nanosleep(&ts, NULL);
  }
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  char junk[1024];
  memset(junk, 'x', sizeof junk);
  int made = 0;
  for (int i = 0; i < FLOOD; i++) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
      made++;
      ck_assert_int_eq(write(fd, junk, sizeof junk), (ssize_t)sizeof junk);
      char c;
      (void)read(fd, &c, 1); /* until the rank hangs up */
    }
    close(fd);
  }
  ck_assert_int_eq(made, FLOOD);
  int st;
  while (waitpid(p, &st, 0) < 0 && errno == EINTR) {
  }
  ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1); /* rank 1 never came */
  const char *e = slurp("hard_flood.err");
  int lines = count(e, "refused connection from") + count(e, "closed during the handshake");
  ck_assert_msg(lines >= 1 && lines <= 2 * 5, "%d refusal lines:\n%.2000s", lines, e);
  const char *sum = strstr(e, "more unauthenticated connection");
  ck_assert_msg(sum != NULL, "no count of the refusals:\n%.2000s", e);
  char all[32];
  snprintf(all, sizeof all, "%d refused in all", FLOOD);
  ck_assert_msg(strstr(e, all) != NULL, "'%s' not in:\n%.2000s", all, e);
  ck_assert_ptr_nonnull(strstr(e, "did not join"));
}
END_TEST

int main(void) {
  Suite *s = suite_create("hard_net");
  TCase *tc = tcase_create("net");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, connection_flood_is_counted_not_logged_line_by_line);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
