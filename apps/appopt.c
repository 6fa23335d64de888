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

int appopt_flag(const char *prog, int argc, char **argv, int *a, char *name, size_t namelen,
                const char **val) {
  const char *arg = argv[*a];
  const char *eq = strchr(arg, '=');
  size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
  if (strncmp(arg, "--", 2) != 0 || nlen >= namelen) {
    fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n", prog, arg);
    return 2;
  }
  memcpy(name, arg, nlen);
  name[nlen] = '\0';
  if (eq) {
    *val = eq + 1;
  } else if (*a + 1 < argc) {
    *val = argv[++*a];
  } else {
    fprintf(stderr, "%s: %s needs a value (see --help)\n", prog, name);
    return 2;
  }
  return 0;
}
