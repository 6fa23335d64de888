/* fuzz_opts.c: the option parsers of `stale sim` and `stale run` on any
 * command line. The input is split at NUL and newline bytes into at most
 * 64 arguments. The common flags go through runopt_parse as `stale sim`
 * drives it; the whole line through rt_opt_parse, whose --hostfile and
 * --secret-file values are replaced by a file holding the input's last
 * argument (so a hostfile is fuzzed too, and nothing reads the terminal).
 * Checks: every call returns a documented code, errors have a message, and
 * nothing leaks (LeakSanitizer) on any path. */
#include "fuzz.h"
#include "rt_opt.h"
#include "runopt.h"
#include "st.h"

#define FUZZ_MAXARGS 64

static void run_common(int argc, char **argv) {
  runopt o;
  runopt_defaults(&o);
  char err[512];
  for (int i = 1; i < argc;) {
    err[0] = '\0';
    int before = i;
    int rc = runopt_parse(&o, argc, argv, &i, err, sizeof err);
    FUZZ_CHECK(rc == 0 || rc == 1 || rc == ST_EPARSE);
    if (rc == ST_EPARSE) {
      FUZZ_CHECK(err[0] != '\0');
      return;
    }
    if (rc == 0) {
      FUZZ_CHECK(i == before);
      i++; /* a backend's flag: skipped here */
    } else {
      FUZZ_CHECK(i > before && i <= argc);
    }
  }
  FUZZ_CHECK(o.nstaleness >= 1 && o.nstaleness <= RUNOPT_MAX_STALENESS);
  FUZZ_CHECK(o.clocks >= 1 && o.workers_per_node >= 1);
  (void)runopt_check(&o, err, sizeof err);
}

static void run_real(int argc, char **argv, const char *file) {
  char *args[FUZZ_MAXARGS + 1];
  char slot[2][600];
  int n = 0;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    const char *names[] = {"--hostfile", "--secret-file"};
    for (int k = 0; k < 2; k++) {
      size_t len = strlen(names[k]);
      if (!strncmp(a, names[k], len) && (a[len] == '=' || a[len] == '\0')) {
        snprintf(slot[k], sizeof slot[k], "%s=%s", names[k], file ? file : "/nonexistent");
        a = slot[k];
      }
    }
    args[n++] = (char *)a;
  }
  args[n] = NULL;
  rt_opt o;
  char err[600] = "";
  int rc = rt_opt_parse(&o, n, args, err, sizeof err);
  FUZZ_CHECK(rc == 0 || rc == ST_EPARSE || rc == ST_ENOMEM);
  if (rc == ST_EPARSE) FUZZ_CHECK(err[0] != '\0');
  if (rc == 0 && !o.run.help) {
    FUZZ_CHECK(o.size >= 1 && o.rank < o.size && o.secret_len > 0);
    FUZZ_CHECK(o.run.nstaleness == 1);
  }
  rt_opt_free(&o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int env_set;
  if (!env_set) {
    /* A secret for the runs that give none; no launcher variables. */
    setenv("STALE_SECRET", "fuzz", 1);
    unsetenv("OMPI_COMM_WORLD_RANK");
    unsetenv("PMI_RANK");
    unsetenv("SLURM_PROCID");
    unsetenv("OMPI_COMM_WORLD_SIZE");
    unsetenv("PMI_SIZE");
    unsetenv("SLURM_NTASKS");
    env_set = 1;
  }
  char *text = fuzz_cstr(data, size);
  if (!text) return 0;
  char *argv[FUZZ_MAXARGS + 1];
  int argc = 0;
  argv[argc++] = "run";
  char *p = text, *end = text + size;
  while (p <= end && argc < FUZZ_MAXARGS) {
    char *q = p;
    while (q < end && *q != '\0' && *q != '\n') q++;
    *q = '\0';
    argv[argc++] = p;
    p = q + 1;
  }
  argv[argc] = NULL;
  const char *last = argc > 1 ? argv[argc - 1] : "";
  const char *file = fuzz_as_file((const uint8_t *)last, strlen(last));
  run_common(argc, argv);
  run_real(argc, argv, file);
  free(text);
  return 0;
}
