/* test_chunks.c: the apps' chunked clocks, which give managed communication
 * something to send while a clock computes and let a worker use what was
 * pushed to it meanwhile. MF's reread=1 re-reads its items at every part
 * but keeps its own SGD path, so at s = 0 (nothing new can arrive within a
 * clock) it follows reread=0 to rounding, and with early pushes at s > 0 it
 * does not; LDA's chunks=N re-reads exact counts, so at s = 0 it is chunks=1
 * bit for bit, in `stale sim` and `stale launch` alike. Options that cannot
 * work together are refused. STALE_PROG is the stale executable. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "test_prog.h"

#define MF_OPTS "users=2000,items=300,ratings=60000,rank=8,batch=2,lr=0.02,chunks=4"
#define LDA_OPTS "topics=8,gen_docs=300,gen_vocab=200,gen_len=40,gen_topics=8"
#define CLOCKS 6

static int sim(const char *app, const char *opts, const char *staleness, const char *out,
               const char *comm) {
  char *argv[24] = {STALE_PROG, "sim", "--app", (char *)app, "--nodes", "4", "--clocks", "6",
                    "--staleness", (char *)staleness, "--app-options", (char *)opts, NULL};
  int n = 12;
  if (comm) {
    argv[n++] = "--comm-policy";
    argv[n++] = "fifo";
    argv[n++] = "--comm-budget";
    argv[n++] = "0.5link";
    argv[n++] = "--comm-interval";
    argv[n++] = "1ms";
    argv[n++] = "--host-speed";
    argv[n++] = "0.05Gf";
  }
  argv[n++] = "--out";
  argv[n++] = (char *)out;
  argv[n] = NULL;
  return run_prog(argv, "/dev/null");
}

START_TEST(mf_reread_keeps_its_own_path_at_s0) {
  char a[CLOCKS][32], b[CLOCKS][32];
  const char *cols[] = {"objective", "model_objective"};
  ck_assert_int_eq(sim("mf", MF_OPTS ",reread=0", "0", "chunks_mf0.csv", NULL), 0);
  ck_assert_int_eq(sim("mf", MF_OPTS ",reread=1", "0", "chunks_mf1.csv", NULL), 0);
  for (int i = 0; i < 2; i++) {
    ck_assert_int_eq(read_column("chunks_mf0.csv", cols[i], a, CLOCKS), CLOCKS);
    ck_assert_int_eq(read_column("chunks_mf1.csv", cols[i], b, CLOCKS), CLOCKS);
    for (int c = 0; c < CLOCKS; c++)
      ck_assert_msg(fabs(atof(a[c]) - atof(b[c])) <= 1e-5 * fabs(atof(a[c])), "%s at clock %d: %s, reread %s",
                    cols[i], c, a[c], b[c]);
  }
  ck_assert_double_lt(atof(b[CLOCKS - 1]), atof(b[0])); /* it learns */
}
END_TEST

START_TEST(mf_reread_uses_early_pushes) {
  char a[CLOCKS][32], b[CLOCKS][32];
  ck_assert_int_eq(sim("mf", MF_OPTS ",reread=0", "3", "chunks_mf0e.csv", "comm"), 0);
  ck_assert_int_eq(sim("mf", MF_OPTS ",reread=1", "3", "chunks_mf1e.csv", "comm"), 0);
  ck_assert_int_eq(read_column("chunks_mf0e.csv", "model_objective", a, CLOCKS), CLOCKS);
  ck_assert_int_eq(read_column("chunks_mf1e.csv", "model_objective", b, CLOCKS), CLOCKS);
  int differ = 0;
  for (int c = 0; c < CLOCKS; c++) differ += fabs(atof(a[c]) - atof(b[c])) > 1e-4 * fabs(atof(a[c]));
  ck_assert_msg(differ > 0, "reread=1 read nothing new at s = 3 with early pushes");
}
END_TEST

START_TEST(lda_chunks_change_nothing_at_s0) {
  char a[CLOCKS][32], b[CLOCKS][32], c[CLOCKS][32];
  ck_assert_int_eq(sim("lda", LDA_OPTS, "0", "chunks_lda1.csv", NULL), 0);
  ck_assert_int_eq(sim("lda", LDA_OPTS ",chunks=3", "0", "chunks_lda3.csv", NULL), 0);
  char *launch[] = {STALE_PROG, "launch", "--local", "4", "--app", "lda", "--clocks", "6",
                    "--staleness", "0", "--app-options", LDA_OPTS ",chunks=3", NULL};
  ck_assert_int_eq(run_prog(launch, "chunks_lda3_real.csv"), 0);
  ck_assert_int_eq(read_column("chunks_lda1.csv", "objective", a, CLOCKS), CLOCKS);
  ck_assert_int_eq(read_column("chunks_lda3.csv", "objective", b, CLOCKS), CLOCKS);
  ck_assert_int_eq(read_column("chunks_lda3_real.csv", "objective", c, CLOCKS), CLOCKS);
  for (int k = 0; k < CLOCKS; k++) {
    ck_assert_msg(!strcmp(a[k], b[k]), "clock %d: chunks=1 %s, chunks=3 %s", k, a[k], b[k]);
    ck_assert_msg(!strcmp(b[k], c[k]), "clock %d: sim %s, launch %s", k, b[k], c[k]);
  }
  ck_assert_double_gt(atof(a[CLOCKS - 1]), atof(a[0]));
}
END_TEST

START_TEST(incompatible_options_are_refused) {
  struct {
    const char *app, *opts, *extra;
  } bad[] = {
      {"mf", MF_OPTS ",reread=2", NULL},
      {"mf", MF_OPTS ",reread=1,step=adarevision", NULL},
      {"lda", LDA_OPTS ",chunks=0", NULL},
      {"lda", LDA_OPTS ",chunks=2", "rotation"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char *argv[] = {STALE_PROG, "sim", "--app", (char *)bad[i].app, "--nodes", "2", "--clocks", "2",
                    "--app-options", (char *)bad[i].opts,
                    bad[i].extra ? "--schedule" : NULL, (char *)bad[i].extra, NULL};
    int rc = run_prog(argv, "/dev/null");
    ck_assert_msg(rc != 0 && rc != 127, "%s %s%s%s ran (%d)", bad[i].app, bad[i].opts,
                  bad[i].extra ? " --schedule " : "", bad[i].extra ? bad[i].extra : "", rc);
  }
  /* The same without the clash runs. */
  char *ok[] = {STALE_PROG, "sim", "--app", "lda", "--nodes", "2", "--clocks", "2",
                "--app-options", LDA_OPTS, "--schedule", "rotation", NULL};
  ck_assert_int_eq(run_prog(ok, "/dev/null"), 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("chunks");
  TCase *tc = tcase_create("program");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, mf_reread_keeps_its_own_path_at_s0);
  tcase_add_test(tc, mf_reread_uses_early_pushes);
  tcase_add_test(tc, lda_chunks_change_nothing_at_s0);
  tcase_add_test(tc, incompatible_options_are_refused);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
