/* test_sim_csv.c: the CSV writer (apps/csv.c) and the shared run options
 * (apps/runopt.c): exact bytes, quoting, number formats, strict parsing. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "harness.h"
#include "runopt.h"
#include "st.h"

/* Writes through a memory stream and returns the bytes (caller frees). */
static char *render(void (*fill)(csv_writer *)) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  ck_assert_ptr_nonnull(f);
  csv_writer w;
  csv_init(&w, f);
  fill(&w);
  ck_assert_int_eq(csv_flush(&w), 0);
  fclose(f);
  return buf;
}

static void fill_header(csv_writer *w) {
  static const char *const names[] = {"run", "clock", "objective"};
  ck_assert_int_eq(csv_header(w, names, 3), 0);
}

START_TEST(header_is_one_line) {
  char *s = render(fill_header);
  ck_assert_str_eq(s, "run,clock,objective\n");
  free(s);
}
END_TEST

/* An app with two extra metrics: the row's third float, and its fourth
 * doubled, so a column cannot pass with the other's value. */
static double extra_of(void *shared, const float *row, uint32_t k) {
  (void)shared;
  return k == 0 ? row[2] : 2.0 * row[3];
}
static const char *const extra_names[] = {"nnz", "acc"};
static const app_ops extra_app = {.name = "x", .nextra = 2, .extra_names = extra_names, .extra = extra_of};
static const app_ops plain_app = {.name = "y"};

static double sum_objective(void *shared, const float *row) {
  (void)shared;
  return row[0] + row[1];
}

static void fill_extras(csv_writer *w) {
  static const char *const mid[] = {"backend"};
  static const float row[APP_METRICS_WIDTH] = {1, 2, 3, 4.5f};
  app_ops ex = extra_app, plain = plain_app;
  ex.objective = plain.objective = sum_objective;
  ex.objective_name = "sum";
  plain.objective_name = "total";
  st_config cfg = {.nclients = 4, .nservers = 1, .workers_per_client = 2,
                   .staleness = ST_STALENESS_INF, .push = 1};
  harness_clock_rec rec = {.clock = 7, .time = 0.25, .bytes = 1e3, .blocked = 0.5, .metrics = row,
                           .has_model = 1, .model_objective = 2.5, .stopped_by = "time"};
  harness_stop stop = {.has_until = 1, .has_target = 1, .until_time = 0.5, .target = 0.125};
  ck_assert_int_eq(harness_csv_header(w, mid, 1, "t", &ex), 0);
  harness_csv_run_fields(w, 2, &ex, &cfg, 9, 42, &stop);
  csv_str(w, "x");
  ck_assert_int_eq(harness_csv_end_row(w, &ex, NULL, &rec, "a=1,b=2", NULL), 0);
  ck_assert_int_eq(harness_csv_header(w, NULL, 0, "t", &plain), 0);
  cfg.staleness = 3;
  rec.has_model = 0;
  rec.stopped_by = NULL;
  cfg.comm_policy = COMM_MAGNITUDE;
  cfg.comm_budget = 2e6;
  rec.bytes_early = 300;
  rec.bytes_clock = 700;
  rec.reads = 4;
  rec.stale = 2;
  harness_csv_run_fields(w, 0, &plain, &cfg, 9, 42, NULL);
  ck_assert_int_eq(harness_csv_end_row(w, &plain, NULL, &rec, NULL, "f.tsv"), 0);
}

START_TEST(harness_rows_have_common_then_own_then_clock_fields) {
  char *s = render(fill_extras);
  ck_assert_str_eq(s,
                   "run,app,metric,nodes,workers_per_node,servers,staleness,push,clocks,seed,"
                   "until_time_s,target,comm_policy,comm_budget_Bps,comm_interval_s,backend,clock,t,"
                   "objective,model_objective,bytes_sent,blocked_s,stopped_by,bytes_early,"
                   "bytes_at_clocks,read_staleness,pacing_s,nnz,acc,app_options,data\n"
                   "2,x,sum,4,2,1,inf,1,9,42,0.5,0.125,none,0,0,x,7,0.25,3,2.5,1000,0.5,time,0,0,0,0,3,9,"
                   "\"a=1,b=2\",\n"
                   "run,app,metric,nodes,workers_per_node,servers,staleness,push,clocks,seed,"
                   "until_time_s,target,comm_policy,comm_budget_Bps,comm_interval_s,clock,t,objective,"
                   "model_objective,bytes_sent,blocked_s,stopped_by,bytes_early,bytes_at_clocks,"
                   "read_staleness,pacing_s,app_options,data\n"
                   "0,y,total,4,2,1,3,1,9,42,,,magnitude,2000000,0.005,7,0.25,3,,1000,0.5,clocks,300,700,0.5,0,,"
                   "f.tsv\n");
  free(s);
  char buf[16];
  harness_staleness_text(ST_STALENESS_INF, buf, sizeof buf);
  ck_assert_str_eq(buf, "inf");
  harness_staleness_text(0, buf, sizeof buf);
  ck_assert_str_eq(buf, "0");
  ck_assert_uint_eq(harness_default_servers(1), 1);
  ck_assert_uint_eq(harness_default_servers(16), 1);
  ck_assert_uint_eq(harness_default_servers(17), 2);
  ck_assert_uint_eq(harness_default_servers(1024), 64);
}
END_TEST

static void fill_quoting(csv_writer *w) {
  csv_str(w, "plain");
  csv_str(w, "a,b");
  csv_str(w, "say \"hi\"");
  csv_str(w, "two\nlines");
  csv_str(w, NULL);
  csv_str(w, " pad");
  csv_str(w, "");
  ck_assert_int_eq(csv_end_row(w), 0);
}

START_TEST(fields_are_quoted_only_when_needed) {
  char *s = render(fill_quoting);
  ck_assert_str_eq(s, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",,\" pad\",\n");
  free(s);
  ck_assert_int_eq(csv_needs_quotes("x"), 0);
  ck_assert_int_eq(csv_needs_quotes("x\r"), 1);
}
END_TEST

static void fill_numbers(csv_writer *w) {
  csv_u64(w, 18446744073709551615ull);
  csv_i64(w, -5);
  csv_real(w, 0.1);
  csv_real(w, 1.0 / 3.0);
  csv_real(w, 125e6);
  csv_real(w, 5e-05);
  csv_real(w, -0.0);
  csv_real(w, INFINITY);
  csv_real(w, -INFINITY);
  csv_real(w, NAN);
  ck_assert_int_eq(csv_end_row(w), 0);
}

START_TEST(numbers_have_fixed_formats) {
  char *s = render(fill_numbers);
  ck_assert_str_eq(s, "18446744073709551615,-5,0.1,0.333333333,125000000,5e-05,0,inf,-inf,nan\n");
  free(s);
}
END_TEST

START_TEST(write_errors_are_reported) {
  FILE *f = fopen("/dev/full", "w");
  if (!f) return; /* no /dev/full here: nothing to check */
  setvbuf(f, NULL, _IONBF, 0);
  csv_writer w;
  csv_init(&w, f);
  csv_str(&w, "x");
  ck_assert_int_eq(csv_end_row(&w), ST_EIO);
  fclose(f);
}
END_TEST

/* runopt over an argv built from a string list. */
static int parse_all(runopt *o, int argc, char **argv, char *err, size_t errlen) {
  int i = 0;
  while (i < argc) {
    int rc = runopt_parse(o, argc, argv, &i, err, errlen);
    if (rc <= 0) return rc == 0 ? 99 : rc;
  }
  return 0;
}

START_TEST(runopt_parses_common_flags) {
  runopt o;
  runopt_defaults(&o);
  char *argv[] = {"--app", "mf", "--staleness", "0,2,inf", "--clocks=7", "--seed", "42",
                  "--workers-per-node", "3", "--servers", "4", "--pull", "--out", "x.csv",
                  "--data", "d.txt", "--app-options", "rank=8"};
  char err[200];
  ck_assert_int_eq(parse_all(&o, 18, argv, err, sizeof err), 0);
  ck_assert_str_eq(o.app, "mf");
  ck_assert_uint_eq(o.nstaleness, 3);
  ck_assert_uint_eq(o.staleness[0], 0);
  ck_assert_uint_eq(o.staleness[1], 2);
  ck_assert_uint_eq(o.staleness[2], ST_STALENESS_INF);
  ck_assert_uint_eq(o.clocks, 7);
  ck_assert(o.seed == 42);
  ck_assert_uint_eq(o.workers_per_node, 3);
  ck_assert_uint_eq(o.servers, 4);
  ck_assert_uint_eq(o.push, 0);
  ck_assert_str_eq(o.out, "x.csv");
  ck_assert_str_eq(o.data, "d.txt");
  ck_assert_str_eq(o.app_options, "rank=8");
  ck_assert_int_eq(runopt_check(&o, err, sizeof err), 0);
}
END_TEST

START_TEST(runopt_rejects_bad_values_naming_flag_and_value) {
  runopt o;
  char err[200];
  struct {
    char *flag, *value, *why;
  } bad[] = {{"--clocks", "ten", "integer"},  {"--clocks", "0", "1.."},
             {"--clocks", "5x", "integer"},   {"--seed", "-1", "integer"},
             {"--staleness", "1,,2", "comma"}, {"--staleness", "-1", "inf"},
             {"--staleness", "infinity", "inf"}, {"--workers-per-node", "0", "1.."},
             {"--staleness", "4294967295", "0 to 4294967294"},
             {"--servers", "99999999999", "1.."}};
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    runopt_defaults(&o);
    char *argv[] = {bad[k].flag, bad[k].value};
    int i = 0;
    err[0] = '\0';
    ck_assert_int_eq(runopt_parse(&o, 2, argv, &i, err, sizeof err), ST_EPARSE);
    ck_assert_msg(strstr(err, bad[k].flag) && strstr(err, bad[k].value) && strstr(err, bad[k].why),
                  "%s %s: message '%s'", bad[k].flag, bad[k].value, err);
  }
  runopt_defaults(&o);
  char *missing[] = {"--clocks"};
  int i = 0;
  ck_assert_int_eq(runopt_parse(&o, 1, missing, &i, err, sizeof err), ST_EPARSE);
  ck_assert_ptr_nonnull(strstr(err, "missing value"));
  char *other[] = {"--nodes", "4"};
  i = 0;
  ck_assert_int_eq(runopt_parse(&o, 2, other, &i, err, sizeof err), 0); /* not ours */
  ck_assert_int_eq(i, 0);
  char *prefix[] = {"--apps", "x"}; /* a longer flag is not --app */
  ck_assert_int_eq(runopt_parse(&o, 2, prefix, &i, err, sizeof err), 0);
  runopt_defaults(&o);
  ck_assert_int_eq(runopt_check(&o, err, sizeof err), ST_EPARSE);
  ck_assert_ptr_nonnull(strstr(err, "--app"));
}
END_TEST

START_TEST(runopt_real_is_strict) {
  double v = 0;
  char err[200];
  ck_assert_int_eq(runopt_real("--jitter", "0.25", 0, 1, &v, err, sizeof err), 0);
  ck_assert(v == 0.25);
  ck_assert_int_eq(runopt_real("--jitter", "0.25x", 0, 1, &v, err, sizeof err), ST_EPARSE);
  ck_assert_int_eq(runopt_real("--jitter", "2", 0, 1, &v, err, sizeof err), ST_EPARSE);
  ck_assert_int_eq(runopt_real("--jitter", "nan", 0, 1, &v, err, sizeof err), ST_EPARSE);
  ck_assert_int_eq(runopt_real("--jitter", " 1", 0, 1, &v, err, sizeof err), ST_EPARSE);
}
END_TEST

int main(void) {
  Suite *s = suite_create("sim_csv");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, header_is_one_line);
  tcase_add_test(tc, harness_rows_have_common_then_own_then_clock_fields);
  tcase_add_test(tc, fields_are_quoted_only_when_needed);
  tcase_add_test(tc, numbers_have_fixed_formats);
  tcase_add_test(tc, write_errors_are_reported);
  tcase_add_test(tc, runopt_parses_common_flags);
  tcase_add_test(tc, runopt_rejects_bad_values_naming_flag_and_value);
  tcase_add_test(tc, runopt_real_is_strict);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
