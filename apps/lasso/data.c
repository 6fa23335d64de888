/* data.c: Lasso data sets: storage, the LibSVM and table loaders, column
 * statistics, standardization, writing. */
#include "data.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/st.h"
#include "../../core/vec.h"

void lasso_data_init(lasso_data *d) { memset(d, 0, sizeof *d); }

void lasso_data_free(lasso_data *d) {
  free(d->y);
  free(d->dense);
  free(d->row_start);
  free(d->col);
  free(d->val);
  lasso_data_init(d);
}

/* ---- the loader's state and its messages ---- */

typedef struct loader {
  const char *path;
  size_t line;
  const char *base; /* start of the current line's buffer, for columns */
  char *err;
  size_t errlen;
  size_t ycap, rcap;          /* allocated y, row_start */
  size_t colcap, valcap, dcap; /* allocated col, val, dense */
} loader;

/* "path:line:col: msg"; at == NULL leaves the column out. */
static int fail_at(const loader *L, const char *at, int code, const char *fmt, ...) {
  if (L->err && L->errlen) {
    int k = at ? snprintf(L->err, L->errlen, "%s:%zu:%zu: ", L->path, L->line,
                          (size_t)(at - L->base) + 1)
               : snprintf(L->err, L->errlen, "%s:%zu: ", L->path, L->line);
    if (k >= 0 && (size_t)k < L->errlen) {
      va_list ap;
      va_start(ap, fmt);
      vsnprintf(L->err + k, L->errlen - (size_t)k, fmt, ap);
      va_end(ap);
    }
  }
  return code;
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* Length of the token at s: up to a blank or the end. */
static size_t token_len(const char *s) {
  size_t n = 0;
  while (s[n] && !is_blank(s[n])) n++;
  return n;
}

/* Parses a float value from s[0..len): 0, -1 not a number, -2 not finite,
 * -3 beyond float range. */
static int parse_value(const char *s, size_t len, float *out) {
  if (len == 0 || is_blank(*s)) return -1;
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end != s + len) return -1;
  if (!isfinite(v)) return -2;
  if (fabs(v) > FLT_MAX) return -3;
  *out = (float)v;
  return 0;
}

static int value_fail(const loader *L, const char *at, size_t len, int why, const char *what) {
  int w = (int)(len > 40 ? 40 : len);
  if (why == -2) return fail_at(L, at, ST_EPARSE, "%s '%.*s' is not finite", what, w, at);
  if (why == -3)
    return fail_at(L, at, ST_EPARSE, "%s '%.*s' is beyond float range (+-%g)", what, w, at,
                   (double)FLT_MAX);
  return fail_at(L, at, ST_EPARSE, "%s '%.*s' is not a number", what, w, at);
}

static int push_target(loader *L, lasso_data *d, float y) {
  if (d->n == UINT32_MAX - 1) return fail_at(L, NULL, ST_ENOMEM, "more than 2^32 samples");
  if (vec_reserve(&d->y, &L->ycap, (size_t)d->n + 1, sizeof *d->y))
    return fail_at(L, NULL, ST_ENOMEM, "out of memory");
  d->y[d->n++] = y;
  return 0;
}

/* ---- LibSVM ---- */

/* Parses one LibSVM data line (comment already cut off) into d. */
static int libsvm_line(loader *L, char *line, uint32_t limit, lasso_data *d) {
  char *p = line;
  while (is_blank(*p)) p++;
  size_t len = token_len(p);
  float y;
  int why = parse_value(p, len, &y);
  if (why) return value_fail(L, p, len, why, "label");
  p += len;
  uint64_t prev = 0;
  for (;;) {
    while (is_blank(*p)) p++;
    if (!*p) break;
    len = token_len(p);
    const char *colon = memchr(p, ':', len);
    int w = (int)(len > 40 ? 40 : len);
    if (!colon) return fail_at(L, p, ST_EPARSE, "'%.*s' is not index:value", w, p);
    if (colon - p == 3 && !memcmp(p, "qid", 3)) { /* SVMlight query id: not a feature */
      p += len;
      continue;
    }
    uint64_t idx = 0;
    const char *q = p;
    for (; q < colon && *q >= '0' && *q <= '9'; q++) {
      idx = idx * 10 + (uint64_t)(*q - '0');
      if (idx > UINT32_MAX) break;
    }
    if (q == p || q != colon)
      return fail_at(L, p, ST_EPARSE, "index '%.*s' is not a positive integer",
                     (int)(colon - p > 40 ? 40 : colon - p), p);
    if (idx == 0) return fail_at(L, p, ST_EPARSE, "index 0: LibSVM indices start at 1");
    if (idx > limit)
      return fail_at(L, p, ST_EPARSE, "index %llu is beyond the %u features%s",
                     (unsigned long long)idx, limit,
                     limit == UINT32_MAX - 1 ? " this loader can hold" : " given");
    if (idx <= prev)
      return fail_at(L, p, ST_EPARSE,
                     "index %llu after index %llu: indices must increase within a line",
                     (unsigned long long)idx, (unsigned long long)prev);
    prev = idx;
    const char *v = colon + 1;
    size_t vlen = len - (size_t)(v - p);
    float x;
    if ((why = parse_value(v, vlen, &x))) return value_fail(L, v, vlen, why, "value");
    if (vec_reserve(&d->col, &L->colcap, d->nnz + 1, sizeof *d->col) ||
        vec_reserve(&d->val, &L->valcap, d->nnz + 1, sizeof *d->val))
      return fail_at(L, NULL, ST_ENOMEM, "out of memory");
    d->col[d->nnz] = (uint32_t)(idx - 1);
    d->val[d->nnz] = x;
    d->nnz++;
    if (idx > d->p) d->p = (uint32_t)idx;
    p += len;
  }
  int rc = push_target(L, d, y);
  if (rc) return rc;
  if (vec_reserve(&d->row_start, &L->rcap, (size_t)d->n + 1, sizeof *d->row_start))
    return fail_at(L, NULL, ST_ENOMEM, "out of memory");
  d->row_start[d->n] = d->nnz;
  return 0;
}

/* ---- tables ---- */

/* Splits a table line into fields in place: starts in f[], lengths in len[]
 * (at most max; returns the count, max + 1 meaning "more"). CSV fields are
 * trimmed of blanks. */
static size_t split_table(char *line, int csv, char **f, size_t *flen, size_t max) {
  size_t n = 0;
  char *p = line;
  if (!csv) {
    for (;;) {
      while (is_blank(*p)) p++;
      if (!*p) return n;
      if (n == max) return max + 1;
      f[n] = p;
      flen[n] = token_len(p);
      p += flen[n++];
    }
  }
  for (;;) {
    if (n == max) return max + 1;
    char *e = strchr(p, ',');
    char *end = e ? e : p + strlen(p);
    while (p < end && is_blank(*p)) p++;
    char *t = end;
    while (t > p && is_blank(t[-1])) t--;
    f[n] = p;
    flen[n++] = (size_t)(t - p);
    if (!e) return n;
    p = e + 1;
  }
}

typedef struct table_state {
  int csv;
  size_t fields; /* fields per line, from the first data line (0: not yet) */
  char **f;
  size_t *flen;
  size_t max; /* capacity of f/flen */
} table_state;

static int table_line(loader *L, table_state *t, char *line, int first, int label_last,
                      lasso_data *d) {
  size_t nf;
  for (;;) {
    nf = split_table(line, t->csv, t->f, t->flen, t->max);
    if (nf <= t->max) break;
    if (t->fields) /* more than the first line had: say so without counting on */
      return fail_at(L, NULL, ST_EPARSE, "more than %zu fields: every line must have the %zu of "
                                         "the first data line",
                     t->fields, t->fields);
    size_t ncap = t->max * 2;
    char **nfp = realloc(t->f, ncap * sizeof *nfp);
    if (nfp) t->f = nfp;
    size_t *nlp = realloc(t->flen, ncap * sizeof *nlp);
    if (nlp) t->flen = nlp;
    if (!nfp || !nlp) return fail_at(L, NULL, ST_ENOMEM, "out of memory");
    t->max = ncap;
  }
  float v;
  if (first && t->csv && parse_value(t->f[0], t->flen[0], &v) == -1) return 1; /* header */
  if (!t->fields) {
    if (nf < 2)
      return fail_at(L, NULL, ST_EPARSE,
                     "1 field: a table line needs a target and at least one feature");
    if (nf - 1 > UINT32_MAX - 1) return fail_at(L, NULL, ST_EPARSE, "too many columns");
    t->fields = nf;
    d->p = (uint32_t)(nf - 1);
  } else if (nf != t->fields) {
    return fail_at(L, NULL, ST_EPARSE, "%zu field%s: every line must have the %zu of the first "
                                       "data line",
                   nf, nf == 1 ? "" : "s", t->fields);
  }
  size_t need = ((size_t)d->n + 1) * d->p;
  if (vec_reserve(&d->dense, &L->dcap, need, sizeof *d->dense))
    return fail_at(L, NULL, ST_ENOMEM, "out of memory");
  float *row = d->dense + (size_t)d->n * d->p;
  float y = 0.0f;
  size_t ylab = label_last ? nf - 1 : 0;
  for (size_t k = 0; k < nf; k++) {
    if (t->flen[k] == 0)
      return fail_at(L, t->f[k], ST_EPARSE, "field %zu is empty", k + 1);
    int why = parse_value(t->f[k], t->flen[k], &v);
    if (why) {
      char what[48];
      snprintf(what, sizeof what, k == ylab ? "target (field %zu)" : "field %zu", k + 1);
      return value_fail(L, t->f[k], t->flen[k], why, what);
    }
    if (k == ylab)
      y = v;
    else
      *row++ = v;
  }
  d->nnz += d->p;
  return push_target(L, d, y);
}

/* ---- the common line loop ---- */

static lasso_format detect(const char *p) {
  size_t len = token_len(p);
  const char *q = p + len;
  while (is_blank(*q)) q++;
  size_t len2 = token_len(q);
  if (len2 && memchr(q, ':', len2)) return LASSO_FMT_LIBSVM;
  if (memchr(p, ',', strlen(p))) return LASSO_FMT_CSV;
  return LASSO_FMT_TABLE;
}

static int load_stream(FILE *fp, loader *L, const lasso_load_opts *o, lasso_data *d) {
  lasso_format fmt = o->format;
  table_state t = {0};
  uint32_t limit = o->features ? o->features : UINT32_MAX - 1;
  char *buf = NULL;
  size_t bufcap = 0;
  ssize_t len;
  int rc = 0, seen_data = 0;
  t.max = 64;
  t.f = malloc(t.max * sizeof *t.f);
  t.flen = malloc(t.max * sizeof *t.flen);
  if (!t.f || !t.flen) {
    rc = fail_at(L, NULL, ST_ENOMEM, "out of memory");
    goto out;
  }
  while ((len = getline(&buf, &bufcap, fp)) >= 0) {
    L->line++;
    L->base = buf;
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) buf[--len] = '\0';
    if ((size_t)len != strlen(buf)) {
      rc = fail_at(L, buf + strlen(buf), ST_EPARSE, "NUL byte in line");
      break;
    }
    char *line = buf;
    if (L->line == 1 && !memcmp(line, "\xEF\xBB\xBF", 3)) line += 3; /* UTF-8 BOM */
    char *p = line;
    while (is_blank(*p)) p++;
    if (!*p || *p == '#') continue;
    if (fmt == LASSO_FMT_AUTO) fmt = detect(p);
    if (fmt == LASSO_FMT_LIBSVM) {
      char *hash = strchr(p, '#');
      if (hash) *hash = '\0';
      if (!d->row_start) {
        if (vec_reserve(&d->row_start, &L->rcap, 1, sizeof *d->row_start)) {
          rc = fail_at(L, NULL, ST_ENOMEM, "out of memory");
          break;
        }
        d->row_start[0] = 0;
      }
      if ((rc = libsvm_line(L, p, limit, d))) break;
    } else {
      t.csv = fmt == LASSO_FMT_CSV;
      rc = table_line(L, &t, line, !seen_data, o->label_last, d);
      if (rc == 1) { /* a header line */
        rc = 0;
        seen_data = 1;
        continue;
      }
      if (rc) break;
    }
    seen_data = 1;
  }
  if (!rc && ferror(fp)) rc = fail_at(L, NULL, ST_EINVAL, "read error: %s", strerror(errno));
  if (!rc && d->n == 0) {
    if (L->line == 0) L->line = 1;
    rc = fail_at(L, NULL, ST_EPARSE, "no samples found");
  }
  if (!rc && fmt == LASSO_FMT_LIBSVM) {
    if (o->features) d->p = o->features;
    if (d->p == 0) rc = fail_at(L, NULL, ST_EPARSE, "no feature in any sample");
  }
out:
  free(buf);
  free(t.f);
  free(t.flen);
  return rc;
}

int lasso_data_load(const char *path, const lasso_load_opts *opts, lasso_data *out, char *err,
                    size_t errlen) {
  lasso_data_init(out);
  if (err && errlen) err[0] = '\0';
  lasso_load_opts o = {0};
  if (opts) o = *opts;
  FILE *fp = fopen(path, "r");
  if (!fp) {
    if (err && errlen) snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return ST_EINVAL;
  }
  loader L = {.path = path, .err = err, .errlen = errlen};
  int rc = load_stream(fp, &L, &o, out);
  fclose(fp);
  if (rc) lasso_data_free(out);
  return rc;
}

/* ---- statistics ---- */

void lasso_data_means(const lasso_data *d, double *mean, double *ymean) {
  double ys = 0.0;
  for (uint32_t j = 0; j < d->p; j++) mean[j] = 0.0;
  for (uint32_t i = 0; i < d->n; i++) {
    ys += d->y[i];
    if (d->dense) {
      const float *x = d->dense + (size_t)i * d->p;
      for (uint32_t j = 0; j < d->p; j++) mean[j] += x[j];
    } else {
      for (size_t k = d->row_start[i]; k < d->row_start[i + 1]; k++) mean[d->col[k]] += d->val[k];
    }
  }
  double n = d->n ? (double)d->n : 1.0;
  for (uint32_t j = 0; j < d->p; j++) mean[j] /= n;
  *ymean = ys / n;
}

int lasso_data_standardize(lasso_data *d) {
  double *mean = malloc(((size_t)d->p + 1) * sizeof *mean);
  double *ss = calloc((size_t)d->p + 1, sizeof *ss);
  uint32_t *cnt = calloc((size_t)d->p + 1, sizeof *cnt);
  if (!mean || !ss || !cnt) {
    free(mean);
    free(ss);
    free(cnt);
    return ST_ENOMEM;
  }
  double ym;
  lasso_data_means(d, mean, &ym);
  /* Two passes (mean, then squared deviations): the variance of a column
   * with a large mean would lose its digits in E[x^2] - E[x]^2. */
  for (uint32_t i = 0; i < d->n; i++) {
    if (d->dense) {
      const float *x = d->dense + (size_t)i * d->p;
      for (uint32_t j = 0; j < d->p; j++) ss[j] += (x[j] - mean[j]) * (x[j] - mean[j]);
    } else {
      for (size_t k = d->row_start[i]; k < d->row_start[i + 1]; k++) {
        double e = d->val[k] - mean[d->col[k]];
        ss[d->col[k]] += e * e;
        cnt[d->col[k]]++;
      }
    }
  }
  for (uint32_t j = 0; j < d->p; j++) {
    if (!d->dense) ss[j] += (double)(d->n - cnt[j]) * mean[j] * mean[j]; /* the zeros */
    double sd = sqrt(ss[j] / (double)d->n);
    ss[j] = sd > 0.0 ? 1.0 / sd : 1.0;
  }
  if (d->dense) {
    for (uint32_t i = 0; i < d->n; i++) {
      float *x = d->dense + (size_t)i * d->p;
      for (uint32_t j = 0; j < d->p; j++) x[j] = (float)(x[j] * ss[j]);
    }
  } else {
    for (size_t k = 0; k < d->nnz; k++) d->val[k] = (float)(d->val[k] * ss[d->col[k]]);
  }
  free(mean);
  free(ss);
  free(cnt);
  return 0;
}

/* ---- writing ---- */

int lasso_data_write(const lasso_data *d, const char *path, int dense_table, char *err,
                     size_t errlen) {
  int to_stdout = strcmp(path, "-") == 0;
  FILE *fp = to_stdout ? stdout : fopen(path, "w");
  if (!fp) {
    if (err && errlen) snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return ST_EINVAL;
  }
  for (uint32_t i = 0; i < d->n; i++) {
    fprintf(fp, "%.9g", (double)d->y[i]);
    if (d->dense) {
      const float *x = d->dense + (size_t)i * d->p;
      for (uint32_t j = 0; j < d->p; j++) {
        if (dense_table)
          fprintf(fp, " %.9g", (double)x[j]);
        else if (x[j] != 0.0f)
          fprintf(fp, " %u:%.9g", j + 1, (double)x[j]);
      }
    } else {
      size_t k = d->row_start[i], end = d->row_start[i + 1];
      for (uint32_t j = 0; dense_table && j < d->p; j++) {
        float v = (k < end && d->col[k] == j) ? d->val[k++] : 0.0f;
        fprintf(fp, " %.9g", (double)v);
      }
      for (; !dense_table && k < end; k++) fprintf(fp, " %u:%.9g", d->col[k] + 1, (double)d->val[k]);
    }
    fputc('\n', fp);
  }
  int bad = ferror(fp);
  int saved = errno;
  if (to_stdout)
    bad |= fflush(fp) != 0;
  else if (fclose(fp) != 0)
    bad = 1;
  else
    errno = saved;
  if (bad) {
    if (err && errlen) snprintf(err, errlen, "%s: write failed: %s", path, strerror(errno));
    return ST_EINVAL;
  }
  return 0;
}
