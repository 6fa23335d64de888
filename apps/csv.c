/* csv.c: see csv.h. */
#include "csv.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "../core/st.h"

void csv_init(csv_writer *w, FILE *f) {
  w->f = f;
  w->col = 0;
  w->failed = 0;
}

static void csv_put(csv_writer *w, const char *s, size_t n) {
  if (n && fwrite(s, 1, n, w->f) != n) w->failed = 1;
}

static void csv_sep(csv_writer *w) {
  if (w->col++ > 0) csv_put(w, ",", 1);
}

int csv_needs_quotes(const char *s) {
  size_t n = strlen(s);
  if (n && (s[0] == ' ' || s[n - 1] == ' ')) return 1;
  return strpbrk(s, ",\"\r\n") != NULL;
}

void csv_str(csv_writer *w, const char *s) {
  csv_sep(w);
  if (!s) return;
  if (!csv_needs_quotes(s)) {
    csv_put(w, s, strlen(s));
    return;
  }
  /* RFC 4180: wrap in quotes, double every quote inside. */
  csv_put(w, "\"", 1);
  for (const char *p = s; *p; p++) {
    if (*p == '"') csv_put(w, "\"", 1);
    csv_put(w, p, 1);
  }
  csv_put(w, "\"", 1);
}

void csv_u64(csv_writer *w, uint64_t v) {
  char buf[32];
  int n = snprintf(buf, sizeof buf, "%" PRIu64, v);
  csv_sep(w);
  csv_put(w, buf, (size_t)n);
}

void csv_i64(csv_writer *w, int64_t v) {
  char buf[32];
  int n = snprintf(buf, sizeof buf, "%" PRId64, v);
  csv_sep(w);
  csv_put(w, buf, (size_t)n);
}

void csv_real(csv_writer *w, double v) {
  char buf[48];
  int n;
  /* Spelled out so the output does not depend on the C library's choice. */
  if (isnan(v))
    n = snprintf(buf, sizeof buf, "nan");
  else if (isinf(v))
    n = snprintf(buf, sizeof buf, v > 0 ? "inf" : "-inf");
  else
    n = snprintf(buf, sizeof buf, "%.9g", v == 0.0 ? 0.0 : v); /* no "-0" */
  csv_sep(w);
  csv_put(w, buf, (size_t)n);
}

int csv_header(csv_writer *w, const char *const *names, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) csv_str(w, names[i]);
  return csv_end_row(w);
}

int csv_end_row(csv_writer *w) {
  csv_put(w, "\n", 1);
  w->col = 0;
  return w->failed ? ST_EIO : 0;
}

int csv_flush(csv_writer *w) {
  if (fflush(w->f) != 0) w->failed = 1;
  return w->failed ? ST_EIO : 0;
}
