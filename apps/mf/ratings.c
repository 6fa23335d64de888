/* ratings.c: ratings storage, the MovieLens-style loader, the held-out split. */
#include "ratings.h"

#include <ctype.h>
#include <errno.h>
#include <sys/stat.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/st.h"
#include "rng.h"

void mf_ratings_init(mf_ratings *r) { memset(r, 0, sizeof *r); }

void mf_ratings_free(mf_ratings *r) {
  free(r->user);
  free(r->item);
  free(r->rating);
  free(r->user_ids);
  free(r->item_ids);
  mf_ratings_init(r);
}

static int grow_ratings(mf_ratings *r) {
  if (r->n < r->cap) return 0;
  size_t cap = r->cap ? r->cap * 2 : 1024;
  uint32_t *u = realloc(r->user, cap * sizeof *u);
  if (!u) return ST_ENOMEM;
  r->user = u;
  uint32_t *it = realloc(r->item, cap * sizeof *it);
  if (!it) return ST_ENOMEM;
  r->item = it;
  float *v = realloc(r->rating, cap * sizeof *v);
  if (!v) return ST_ENOMEM;
  r->rating = v;
  r->cap = cap;
  return 0;
}

/* Grows ids[] (of *count entries) so that index idx exists, new entries
 * defaulting to their index. */
static int cover_ids(int64_t **ids, uint32_t *count, uint32_t idx) {
  if (idx < *count) return 0;
  int64_t *p = realloc(*ids, ((size_t)idx + 1) * sizeof *p);
  if (!p) return ST_ENOMEM;
  for (uint32_t k = *count; k <= idx; k++) p[k] = k;
  *ids = p;
  *count = idx + 1;
  return 0;
}

int mf_ratings_push(mf_ratings *r, uint32_t user, uint32_t item, float rating) {
  int rc = grow_ratings(r);
  if (rc) return rc;
  if ((rc = cover_ids(&r->user_ids, &r->nusers, user))) return rc;
  if ((rc = cover_ids(&r->item_ids, &r->nitems, item))) return rc;
  r->user[r->n] = user;
  r->item[r->n] = item;
  r->rating[r->n] = rating;
  r->n++;
  return 0;
}

/* ---- id remapping: open-addressing map from file id to dense index ---- */

typedef struct id_map {
  int64_t *keys;
  uint32_t *vals; /* dense index + 1; 0 marks an empty slot */
  size_t cap, used;
  int64_t **ids;   /* the set's dense -> original id array, grown here */
  uint32_t *count; /* the set's nusers or nitems */
} id_map;

static uint64_t hash_id(int64_t id) {
  uint64_t z = (uint64_t)id + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static int map_rehash(id_map *m) {
  size_t cap = m->cap ? m->cap * 2 : 1024;
  int64_t *keys = calloc(cap, sizeof *keys);
  uint32_t *vals = calloc(cap, sizeof *vals);
  if (!keys || !vals) {
    free(keys);
    free(vals);
    return ST_ENOMEM;
  }
  for (size_t i = 0; i < m->cap; i++) {
    if (!m->vals[i]) continue;
    size_t j = hash_id(m->keys[i]) & (cap - 1);
    while (vals[j]) j = (j + 1) & (cap - 1);
    keys[j] = m->keys[i];
    vals[j] = m->vals[i];
  }
  free(m->keys);
  free(m->vals);
  m->keys = keys;
  m->vals = vals;
  m->cap = cap;
  return 0;
}

/* Dense index of id, assigning the next one on first sight. */
static int map_get(id_map *m, int64_t id, uint32_t *out) {
  if ((m->used + 1) * 2 > m->cap) {
    int rc = map_rehash(m);
    if (rc) return rc;
  }
  size_t j = hash_id(id) & (m->cap - 1);
  while (m->vals[j]) {
    if (m->keys[j] == id) {
      *out = m->vals[j] - 1;
      return 0;
    }
    j = (j + 1) & (m->cap - 1);
  }
  if (*m->count == UINT32_MAX - 1) return ST_ENOMEM;
  uint32_t idx = *m->count;
  int rc = cover_ids(m->ids, m->count, idx);
  if (rc) return rc;
  (*m->ids)[idx] = id;
  m->keys[j] = id;
  m->vals[j] = idx + 1;
  m->used++;
  *out = idx;
  return 0;
}

static void map_free(id_map *m) {
  free(m->keys);
  free(m->vals);
}

/* ---- line parsing ---- */

typedef enum { FMT_UNKNOWN, FMT_SPACE, FMT_CSV, FMT_DAT } line_format;

#define MAX_FIELDS 5 /* one more than allowed, to notice extra columns */

/* Splits line (modified in place) into at most MAX_FIELDS fields; returns
 * how many there are (MAX_FIELDS means "too many"). */
static int split_fields(char *line, line_format fmt, char **f) {
  int n = 0;
  char *p = line;
  if (fmt == FMT_SPACE) {
    while (*p) {
      while (*p == ' ' || *p == '\t') p++;
      if (!*p) break;
      if (n == MAX_FIELDS) return MAX_FIELDS;
      f[n++] = p;
      while (*p && *p != ' ' && *p != '\t') p++;
      if (*p) *p++ = '\0';
    }
    return n;
  }
  const char *sep = fmt == FMT_CSV ? "," : "::";
  size_t seplen = strlen(sep);
  for (;;) {
    if (n == MAX_FIELDS) return MAX_FIELDS;
    f[n++] = p;
    char *s = strstr(p, sep);
    if (!s) break;
    *s = '\0';
    p = s + seplen;
  }
  /* Spaces around separated fields are not part of the values. */
  for (int i = 0; i < n; i++) {
    while (*f[i] == ' ' || *f[i] == '\t') f[i]++;
    size_t len = strlen(f[i]);
    while (len && (f[i][len - 1] == ' ' || f[i][len - 1] == '\t')) f[i][--len] = '\0';
  }
  return n;
}

static int parse_int(const char *s, int64_t *out) {
  if (!*s) return -1;
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || *end) return -1;
  *out = v;
  return 0;
}

/* Ratings beyond this are not ratings: their squared errors, summed in
 * float over a test set, would overflow the RMSE to inf. */
#define MF_RATING_MAX 1e6

/* 0 ok, -1 not a number, -2 not finite, -3 beyond +-MF_RATING_MAX. */
static int parse_rating(const char *s, float *out) {
  if (!*s || isspace((unsigned char)*s)) return -1;
  char *end;
  double v = strtod(s, &end);
  if (*end) return -1;
  if (!isfinite(v) || !isfinite((float)v)) return -2;
  if (fabs(v) > MF_RATING_MAX) return -3;
  *out = (float)v;
  return 0;
}

static line_format detect_format(const char *line) {
  if (strstr(line, "::")) return FMT_DAT;
  if (strchr(line, ',')) return FMT_CSV;
  return FMT_SPACE;
}

typedef struct loader {
  const char *path;
  size_t line;
  char *err;
  size_t errlen;
} loader;

static int fail(const loader *L, int code, const char *fmt, ...) {
  if (L->err && L->errlen) {
    int k = snprintf(L->err, L->errlen, "%s:%zu: ", L->path, L->line);
    if (k >= 0 && (size_t)k < L->errlen) {
      va_list ap;
      va_start(ap, fmt);
      vsnprintf(L->err + k, L->errlen - (size_t)k, fmt, ap);
      va_end(ap);
    }
  }
  return code;
}

/* Parses one data line's fields into the set. */
static int parse_record(const loader *L, char **f, int nf, id_map *users, id_map *items,
                        mf_ratings *out) {
  if (nf < 3)
    return fail(L, ST_EPARSE,
                "missing field: expected user item rating [timestamp], found %d field%s", nf,
                nf == 1 ? "" : "s");
  if (nf > 4) return fail(L, ST_EPARSE, "too many fields: expected user item rating [timestamp]");
  int64_t uid, iid, ts;
  float rating;
  if (parse_int(f[0], &uid)) return fail(L, ST_EPARSE, "user id '%.40s' is not an integer", f[0]);
  if (parse_int(f[1], &iid)) return fail(L, ST_EPARSE, "item id '%.40s' is not an integer", f[1]);
  int rc = parse_rating(f[2], &rating);
  if (rc == -1) return fail(L, ST_EPARSE, "rating '%.40s' is not a number", f[2]);
  if (rc == -2) return fail(L, ST_EPARSE, "rating '%.40s' is not finite", f[2]);
  if (rc == -3)
    return fail(L, ST_EPARSE, "rating '%.40s' is out of range (at most %g in magnitude)", f[2],
                MF_RATING_MAX);
  if (nf == 4 && parse_int(f[3], &ts))
    return fail(L, ST_EPARSE, "timestamp '%.40s' is not an integer", f[3]);
  uint32_t u, i;
  if ((rc = map_get(users, uid, &u)) || (rc = map_get(items, iid, &i)))
    return fail(L, rc, "out of memory");
  if ((rc = mf_ratings_push(out, u, i, rating))) return fail(L, rc, "out of memory");
  return 0;
}

static int load_stream(FILE *fp, loader *L, mf_ratings *out) {
  id_map users = {.ids = &out->user_ids, .count = &out->nusers};
  id_map items = {.ids = &out->item_ids, .count = &out->nitems};
  line_format fmt = FMT_UNKNOWN;
  char *buf = NULL;
  size_t bufcap = 0;
  ssize_t len;
  int rc = 0;
  while ((len = getline(&buf, &bufcap, fp)) >= 0) {
    L->line++;
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) buf[--len] = '\0';
    if ((size_t)len != strlen(buf)) {
      rc = fail(L, ST_EPARSE, "NUL byte in line");
      break;
    }
    char *line = buf;
    /* A UTF-8 byte order mark (spreadsheet exports) is not part of a field. */
    if (L->line == 1 && !memcmp(line, "\xEF\xBB\xBF", 3)) line += 3;
    const char *p = line;
    while (*p == ' ' || *p == '\t') p++;
    if (!*p || *p == '#') continue;
    int first = fmt == FMT_UNKNOWN;
    if (first) fmt = detect_format(p);
    char *f[MAX_FIELDS];
    int nf = split_fields(line, fmt, f);
    int64_t dummy;
    /* ratings.csv opens with "userId,movieId,rating,timestamp". */
    if (first && fmt == FMT_CSV && nf >= 3 && parse_int(f[0], &dummy)) continue;
    if ((rc = parse_record(L, f, nf, &users, &items, out))) break;
  }
  if (!rc && ferror(fp)) {
    L->line++; /* the line that could not be read */
    rc = fail(L, ST_EIO, "read error: %s", strerror(errno));
  }
  if (!rc && out->n == 0) {
    if (L->line == 0) L->line = 1;
    rc = fail(L, ST_EPARSE, "empty file: no ratings found");
  }
  free(buf);
  map_free(&users);
  map_free(&items);
  return rc;
}

int mf_ratings_load(const char *path, mf_ratings *out, char *err, size_t errlen) {
  mf_ratings_init(out);
  if (err && errlen) err[0] = '\0';
  FILE *fp = fopen(path, "r");
  if (!fp) {
    if (err && errlen) snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return ST_EINVAL;
  }
  /* A directory opens for reading on Linux and fails at the first read:
   * say what it is instead of "line 0: read error". */
  struct stat st;
  if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
    fclose(fp);
    if (err && errlen) snprintf(err, errlen, "%s: is a directory, not a ratings file", path);
    return ST_EINVAL;
  }
  loader L = {.path = path, .line = 0, .err = err, .errlen = errlen};
  int rc = load_stream(fp, &L, out);
  fclose(fp);
  if (rc) mf_ratings_free(out);
  return rc;
}

/* ---- held-out split ---- */

int mf_ratings_split(const mf_ratings *r, uint64_t seed, double test_frac, uint8_t *is_test) {
  if (!(test_frac >= 0.0 && test_frac < 1.0)) return ST_EINVAL;
  if (r->n == 0) return 0;
  memset(is_test, 0, r->n);
  /* Group rating indices by user (counting sort keeps file order within a
   * user, so the picks depend only on the user's own ratings). */
  size_t *start = calloc((size_t)r->nusers + 1, sizeof *start);
  size_t *order = malloc(r->n * sizeof *order);
  if (!start || !order) {
    free(start);
    free(order);
    return ST_ENOMEM;
  }
  for (size_t k = 0; k < r->n; k++) start[r->user[k] + 1]++;
  for (uint32_t u = 0; u < r->nusers; u++) start[u + 1] += start[u];
  size_t *fill = malloc(((size_t)r->nusers + 1) * sizeof *fill);
  if (!fill) {
    free(start);
    free(order);
    return ST_ENOMEM;
  }
  memcpy(fill, start, ((size_t)r->nusers + 1) * sizeof *fill);
  for (size_t k = 0; k < r->n; k++) order[fill[r->user[k]]++] = k;
  free(fill);
  for (uint32_t u = 0; u < r->nusers; u++) {
    size_t cnt = start[u + 1] - start[u];
    if (cnt < 2) continue;
    size_t ntest = (size_t)floor(test_frac * (double)cnt + 0.5);
    if (ntest < 1 && test_frac > 0.0) ntest = 1;
    if (ntest > cnt - 1) ntest = cnt - 1;
    size_t *g = order + start[u];
    mf_rng rng;
    mf_rng_seed(&rng, seed, ((uint64_t)0x5350 << 32) | u); /* "SP": split stream */
    /* Partial Fisher-Yates: the first ntest slots become a uniform sample. */
    for (size_t a = 0; a < ntest; a++) {
      size_t b = a + (size_t)mf_rng_below(&rng, cnt - a);
      size_t t = g[a];
      g[a] = g[b];
      g[b] = t;
      is_test[g[a]] = 1;
    }
  }
  free(start);
  free(order);
  return 0;
}
