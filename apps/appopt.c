/* appopt.c: see appopt.h. */
#include "appopt.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/st.h"

int appopt_fail(char *err, size_t errlen, const char *app, const char *fmt, ...) {
  if (err && errlen) {
    int k = snprintf(err, errlen, "%s options: ", app);
    if (k >= 0 && (size_t)k < errlen) {
      va_list ap;
      va_start(ap, fmt);
      vsnprintf(err + k, errlen - (size_t)k, fmt, ap);
      va_end(ap);
    }
  }
  return ST_EPARSE;
}

int appopt_number(const char *s, size_t len, double *out) {
  char buf[64];
  if (len == 0 || len >= sizeof buf) return -1;
  memcpy(buf, s, len);
  buf[len] = '\0';
  char *end;
  errno = 0;
  double v = strtod(buf, &end);
  if (errno || *end || !isfinite(v) || buf[0] == ' ' || buf[0] == '\t') return -1;
  *out = v;
  return 0;
}
