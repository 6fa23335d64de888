/* test_core_symbols.c: the sans-I/O rule as a test. Lists the symbols the
 * core library needs from outside itself (nm: undefined minus defined) and
 * fails on anything beyond memory, string, sorting and math functions and
 * what the compiler's instrumentation adds. A printf, socket, pthread or
 * SimGrid call in core/ makes this fail by name. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef CORE_LIB
#error "CORE_LIB must name the core library archive"
#endif

/* What the core may call: memory and string functions, qsort, math, and the
 * symbols of sanitizers, coverage and stack protection (build options). */
static int symbol_allowed(const char *s) {
  static const char *const exact[] = {"malloc", "calloc", "realloc", "free", "qsort",
                                      "memcpy", "memmove", "memset", "memcmp", "memchr",
                                      "strlen", "strcmp", "strncmp", "strchr", "strrchr",
                                      "strstr", "strnlen", "sqrt", "sqrtf", "fabs", "fabsf",
                                      "exp", "expf", "log", "logf", "pow", "floor", "ceil",
                                      "__stack_chk_fail", "_GLOBAL_OFFSET_TABLE_", NULL};
  static const char *const prefix[] = {"__asan", "__ubsan", "__gcov", "__lsan", "__sanitizer",
                                       "__memcpy_chk", "__memset_chk", "__memmove_chk", NULL};
  for (const char *const *e = exact; *e; e++)
    if (strcmp(s, *e) == 0) return 1;
  for (const char *const *p = prefix; *p; p++)
    if (strncmp(s, *p, strlen(*p)) == 0) return 1;
  return 0;
}

typedef struct symlist {
  char **v;
  size_t n, cap;
} symlist;

static void symlist_add(symlist *l, const char *s) {
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->v[i], s) == 0) return;
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 64;
    l->v = realloc(l->v, l->cap * sizeof *l->v);
    ck_assert_ptr_nonnull(l->v);
  }
  l->v[l->n++] = strdup(s);
}

static int symlist_has(const symlist *l, const char *s) {
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->v[i], s) == 0) return 1;
  return 0;
}

static void symlist_free(symlist *l) {
  for (size_t i = 0; i < l->n; i++) free(l->v[i]);
  free(l->v);
}

/* Runs nm on the archive; "U" lines into undef, defined symbols into def. */
static void read_symbols(const char *lib, symlist *undef, symlist *def) {
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "nm --format=posix '%s' 2>&1", lib);
  FILE *p = popen(cmd, "r");
  ck_assert_ptr_nonnull(p);
  char line[1024];
  size_t lines = 0;
  while (fgets(line, sizeof line, p)) {
    char name[512], type[8];
    if (sscanf(line, "%511s %7s", name, type) != 2 || name[strlen(name) - 1] == ':') continue;
    lines++;
    if (strcmp(type, "U") == 0 || strcmp(type, "w") == 0)
      symlist_add(undef, name);
    else
      symlist_add(def, name);
  }
  ck_assert_msg(pclose(p) == 0, "nm failed on %s", lib);
  ck_assert_msg(lines > 0, "nm listed no symbols in %s", lib);
}

START_TEST(core_calls_nothing_but_memory_string_and_math) {
  symlist undef = {0}, def = {0};
  read_symbols(CORE_LIB, &undef, &def);
  char bad[4096] = "";
  size_t external = 0;
  for (size_t i = 0; i < undef.n; i++) {
    if (symlist_has(&def, undef.v[i])) continue;
    external++;
    if (!symbol_allowed(undef.v[i])) {
      strncat(bad, " ", sizeof bad - strlen(bad) - 1);
      strncat(bad, undef.v[i], sizeof bad - strlen(bad) - 1);
    }
  }
  ck_assert_msg(bad[0] == '\0', "core/ calls functions outside the sans-I/O rule:%s", bad);
  /* The core does allocate and copy: seeing none would mean nm read nothing. */
  ck_assert_uint_gt(external, 0);
  ck_assert(symlist_has(&undef, "malloc") || symlist_has(&undef, "calloc"));
  symlist_free(&undef);
  symlist_free(&def);
}
END_TEST

/* The classifier itself: the calls the rule exists to keep out. */
START_TEST(io_threads_and_backends_are_refused) {
  static const char *const refused[] = {"printf", "fprintf", "puts", "socket", "connect",
                                        "send", "recv", "write", "read", "open", "fopen",
                                        "pthread_mutex_lock", "pthread_create", "sg_host_list",
                                        "uv_run", "clock_gettime", "time", "exit", "abort",
                                        "getenv", NULL};
  for (const char *const *s = refused; *s; s++)
    ck_assert_msg(!symbol_allowed(*s), "%s would pass", *s);
  ck_assert(symbol_allowed("memcpy"));
  ck_assert(symbol_allowed("__asan_report_load4"));
}
END_TEST

int main(void) {
  Suite *s = suite_create("core_symbols");
  TCase *tc = tcase_create("sans_io");
  tcase_add_test(tc, core_calls_nothing_but_memory_string_and_math);
  tcase_add_test(tc, io_threads_and_backends_are_refused);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
