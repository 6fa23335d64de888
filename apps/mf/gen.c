/* gen.c: seeded low-rank ratings generator and the gen-ratings command. */
#include "../appopt.h"
#include "gen.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/st.h"
#include "rng.h"

/* Stream tags: each purpose draws from its own stream of the run seed, so
 * changing one (say, the noise) leaves the others as they were. */
#define STREAM_ORDER 0x4F52ull  /* popularity orders */
#define STREAM_SAMPLE 0x5341ull /* which (user, item) pairs */
#define STREAM_USER 0x4755ull   /* user factors and bias */
#define STREAM_ITEM 0x4749ull   /* item factors and bias */
#define STREAM_NOISE 0x4E4Full  /* rating noise */

#define GEN_MEAN 3.55      /* global offset before clipping (MovieLens mean ~3.53) */
#define GEN_USER_BIAS 0.35 /* std of user bias */
#define GEN_ITEM_BIAS 0.40 /* std of item bias */
#define GEN_POP_BIAS 0.40  /* popular items are rated a bit higher */
#define GEN_DOT_VAR 0.60   /* variance of p_u . q_i */
#define GEN_NOISE 0.45     /* std of per-rating noise */
#define GEN_USER_ZIPF 0.9  /* exponents of activity and popularity */
#define GEN_ITEM_ZIPF 1.0
#define GEN_ITEM_UNIFORM 0.1 /* share of item draws that ignore popularity */
#define GEN_MIN_PER_USER 20u /* MovieLens keeps users with >= 20 ratings */

mf_gen_params mf_gen_defaults(void) {
  mf_gen_params p = {.users = 943, .items = 1682, .rank = 10, .ratings = 100000, .seed = 1};
  return p;
}

int mf_gen_check(const mf_gen_params *p, char *err, size_t errlen) {
  const char *why = NULL;
  if (p->users == 0)
    why = "users must be at least 1";
  else if (p->items == 0)
    why = "items must be at least 1";
  else if (p->rank == 0 || p->rank > 1000)
    why = "rank must be in 1..1000";
  else if (p->ratings == 0)
    why = "ratings must be at least 1";
  else if (p->ratings > (uint64_t)p->users * p->items / 4)
    why = "ratings must be at most users * items / 4 (the generator samples distinct pairs)";
  else if (p->ratings > (uint64_t)1 << 31)
    why = "ratings must be at most 2^31";
  if (!why) return 0;
  if (err && errlen) snprintf(err, errlen, "gen-ratings: %s", why);
  return ST_EINVAL;
}

/* ---- weighted sampling ---- */

/* Cumulative Zipf weights 1/(rank+1)^s, ranks being a random permutation
 * of 0..n-1 (so index 0 is not always the most popular). cum[n] is the
 * caller's. 0 or ST_ENOMEM. */
static int zipf_cumulative(mf_rng *rng, uint32_t n, double s, double *cum) {
  uint32_t *rank = malloc((size_t)n * sizeof *rank);
  if (!rank) return ST_ENOMEM;
  for (uint32_t k = 0; k < n; k++) rank[k] = k;
  for (uint32_t k = n; k > 1; k--) {
    uint32_t j = (uint32_t)mf_rng_below(rng, k);
    uint32_t t = rank[k - 1];
    rank[k - 1] = rank[j];
    rank[j] = t;
  }
  double total = 0.0;
  for (uint32_t k = 0; k < n; k++) {
    total += 1.0 / pow((double)rank[k] + 1.0, s);
    cum[k] = total;
  }
  free(rank);
  return 0;
}

static uint32_t draw(mf_rng *rng, const double *cum, uint32_t n) {
  double x = mf_rng_uniform(rng) * cum[n - 1];
  uint32_t lo = 0, hi = n - 1;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (cum[mid] > x)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

/* Set of (user, item) pairs already rated. */
typedef struct pair_set {
  uint64_t *slots; /* key + 1; 0 empty */
  size_t mask;
} pair_set;

static int pairs_init(pair_set *s, uint64_t n) {
  size_t cap = 16;
  while (cap < 2 * n) cap *= 2;
  s->slots = calloc(cap, sizeof *s->slots);
  s->mask = cap - 1;
  return s->slots ? 0 : ST_ENOMEM;
}

/* Inserts key; returns 1 if it was new, 0 if already present. */
static int pairs_add(pair_set *s, uint64_t key) {
  uint64_t z = key * 0x9E3779B97F4A7C15ull;
  size_t j = (size_t)(z >> 20) & s->mask;
  while (s->slots[j]) {
    if (s->slots[j] == key + 1) return 0;
    j = (j + 1) & s->mask;
  }
  s->slots[j] = key + 1;
  return 1;
}

/* ---- the model ---- */

typedef struct gen_model {
  uint32_t rank;
  double *p, *q;   /* users x rank, items x rank */
  double *bu, *bi; /* biases */
} gen_model;

static int model_init(gen_model *m, const mf_gen_params *p, const double *item_cum) {
  size_t k = p->rank;
  m->rank = p->rank;
  m->p = malloc((size_t)p->users * k * sizeof *m->p);
  m->q = malloc((size_t)p->items * k * sizeof *m->q);
  m->bu = malloc((size_t)p->users * sizeof *m->bu);
  m->bi = malloc((size_t)p->items * sizeof *m->bi);
  if (!m->p || !m->q || !m->bu || !m->bi) return ST_ENOMEM;
  double s = pow(GEN_DOT_VAR / (double)k, 0.25);
  for (uint32_t u = 0; u < p->users; u++) {
    mf_rng r;
    mf_rng_seed(&r, p->seed, (STREAM_USER << 32) | u);
    m->bu[u] = GEN_USER_BIAS * mf_rng_normal(&r);
    for (size_t c = 0; c < k; c++) m->p[u * k + c] = s * mf_rng_normal(&r);
  }
  for (uint32_t i = 0; i < p->items; i++) {
    mf_rng r;
    mf_rng_seed(&r, p->seed, (STREAM_ITEM << 32) | i);
    /* share of popularity mass above this item's own weight ~ its quantile */
    double w = item_cum[i] - (i ? item_cum[i - 1] : 0.0);
    double top = w * (double)p->items / item_cum[p->items - 1]; /* >1 for popular */
    m->bi[i] = GEN_ITEM_BIAS * mf_rng_normal(&r) + GEN_POP_BIAS * tanh(log(top)) * 0.5;
    for (size_t c = 0; c < k; c++) m->q[i * k + c] = s * mf_rng_normal(&r);
  }
  return 0;
}

static void model_free(gen_model *m) {
  free(m->p);
  free(m->q);
  free(m->bu);
  free(m->bi);
}

static float model_rating(const gen_model *m, uint32_t u, uint32_t i, mf_rng *noise) {
  double r = GEN_MEAN + m->bu[u] + m->bi[i];
  const double *pu = m->p + (size_t)u * m->rank, *qi = m->q + (size_t)i * m->rank;
  for (uint32_t c = 0; c < m->rank; c++) r += pu[c] * qi[c];
  r += GEN_NOISE * mf_rng_normal(noise);
  if (r < 1.0) r = 1.0;
  if (r > 5.0) r = 5.0;
  return (float)(floor(r * 2.0 + 0.5) / 2.0);
}

/* Draws an item this user has not rated yet and records the rating. */
static int add_rating(const mf_gen_params *p, const double *item_cum, pair_set *seen,
                      const gen_model *m, mf_rng *sample, mf_rng *noise, uint32_t u,
                      mf_ratings *out) {
  for (;;) {
    uint32_t i = mf_rng_uniform(sample) < GEN_ITEM_UNIFORM
                     ? (uint32_t)mf_rng_below(sample, p->items)
                     : draw(sample, item_cum, p->items);
    if (!pairs_add(seen, (uint64_t)u * p->items + i)) continue;
    return mf_ratings_push(out, u, i, model_rating(m, u, i, noise));
  }
}

int mf_generate(const mf_gen_params *p, mf_ratings *out, char *err, size_t errlen) {
  mf_ratings_init(out);
  int rc = mf_gen_check(p, err, errlen);
  if (rc) return rc;
  double *user_cum = malloc((size_t)p->users * sizeof *user_cum);
  double *item_cum = malloc((size_t)p->items * sizeof *item_cum);
  uint32_t *count = calloc(p->users, sizeof *count);
  gen_model m = {0};
  pair_set seen = {0};
  rc = ST_ENOMEM;
  if (!user_cum || !item_cum || !count || pairs_init(&seen, p->ratings)) goto done;
  mf_rng order, sample, noise;
  mf_rng_seed(&order, p->seed, STREAM_ORDER);
  mf_rng_seed(&sample, p->seed, STREAM_SAMPLE);
  mf_rng_seed(&noise, p->seed, STREAM_NOISE);
  if ((rc = zipf_cumulative(&order, p->users, GEN_USER_ZIPF, user_cum)) ||
      (rc = zipf_cumulative(&order, p->items, GEN_ITEM_ZIPF, item_cum)) ||
      (rc = model_init(&m, p, item_cum)))
    goto done;

  /* Every user gets a floor of ratings; the rest follow activity, and a
   * user stops at half the items, so an unrated item is always easy to hit
   * (ratings <= users * items / 4 leaves room for all of them). */
  uint64_t floor_per_user = p->ratings / p->users;
  if (floor_per_user > GEN_MIN_PER_USER) floor_per_user = GEN_MIN_PER_USER;
  uint32_t cap = (p->items + 1) / 2;
  if (floor_per_user > cap) floor_per_user = cap;
  for (uint32_t u = 0; u < p->users; u++)
    for (uint64_t k = 0; k < floor_per_user; k++) {
      if ((rc = add_rating(p, item_cum, &seen, &m, &sample, &noise, u, out))) goto done;
      count[u]++;
    }
  while (out->n < p->ratings) {
    uint32_t u = draw(&sample, user_cum, p->users);
    if (count[u] >= cap) u = (uint32_t)mf_rng_below(&sample, p->users); /* spill to anyone */
    if (count[u] >= cap) continue;
    if ((rc = add_rating(p, item_cum, &seen, &m, &sample, &noise, u, out))) goto done;
    count[u]++;
  }
  /* Every index 0..users-1 / 0..items-1 exists in the set even if unrated,
   * so the model's sizes are the requested ones. */
  if (out->nusers < p->users) {
    rc = ST_ENOMEM;
    int64_t *ids = realloc(out->user_ids, (size_t)p->users * sizeof *ids);
    if (!ids) goto done;
    for (uint32_t u = out->nusers; u < p->users; u++) ids[u] = u;
    out->user_ids = ids;
    out->nusers = p->users;
  }
  if (out->nitems < p->items) {
    rc = ST_ENOMEM;
    int64_t *ids = realloc(out->item_ids, (size_t)p->items * sizeof *ids);
    if (!ids) goto done;
    for (uint32_t i = out->nitems; i < p->items; i++) ids[i] = i;
    out->item_ids = ids;
    out->nitems = p->items;
  }
  rc = 0;
done:
  if (rc == ST_ENOMEM && err && errlen) snprintf(err, errlen, "gen-ratings: out of memory");
  if (rc) mf_ratings_free(out);
  free(user_cum);
  free(item_cum);
  free(count);
  free(seen.slots);
  model_free(&m);
  return rc;
}

int mf_ratings_write(const mf_ratings *r, const char *path, char *err, size_t errlen) {
  int to_stdout = strcmp(path, "-") == 0;
  FILE *fp = to_stdout ? stdout : fopen(path, "w");
  if (!fp) {
    if (err && errlen) snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return ST_EINVAL;
  }
  for (size_t k = 0; k < r->n; k++)
    fprintf(fp, "%lld\t%lld\t%.1f\n", (long long)r->user_ids[r->user[k]] + 1,
            (long long)r->item_ids[r->item[k]] + 1, (double)r->rating[k]);
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

/* ---- command line ---- */

static void gen_usage(FILE *fp, const char *prog) {
  mf_gen_params d = mf_gen_defaults();
  fprintf(fp,
          "usage: %s [--users N] [--items N] [--ratings N] [--rank K] [--seed S] --out FILE\n"
          "Writes seeded synthetic MovieLens-like ratings, one \"user<TAB>item<TAB>rating\"\n"
          "line each (1-based ids, ratings 1..5 in 0.5 steps), from a rank-K model with\n"
          "user/item biases, Zipf-like popularity and activity, and Gaussian noise.\n"
          "FILE '-' is standard output.\n"
          "  --users N    users (default %u)\n"
          "  --items N    items (default %u)\n"
          "  --ratings N  distinct ratings, at most users*items/4 (default %llu)\n"
          "  --rank K     rank of the true model, 1..1000 (default %u)\n"
          "  --seed S     random seed (default %llu)\n"
          "  --out FILE   output file (required)\n"
          "  --help       this text\n",
          prog, d.users, d.items, (unsigned long long)d.ratings, d.rank,
          (unsigned long long)d.seed);
}

/* Strict unsigned decimal: digits only, no sign, within max. */
static int parse_u64(const char *s, uint64_t max, uint64_t *out) {
  if (!*s) return -1;
  for (const char *c = s; *c; c++)
    if (*c < '0' || *c > '9') return -1;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || v > max) return -1;
  *out = v;
  return 0;
}

int mf_gen_main(int argc, char **argv) {
  const char *prog = argc > 0 && argv[0] ? argv[0] : "gen-ratings";
  mf_gen_params p = mf_gen_defaults();
  const char *out_path = NULL;
  for (int a = 1; a < argc; a++) {
    const char *arg = argv[a];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      gen_usage(stdout, prog);
      return 0;
    }
    char name[32];
    const char *val = NULL;
    if (appopt_flag(prog, argc, argv, &a, name, sizeof name, &val)) return 2;
    uint64_t v = 0;
    int bad = 0;
    if (strcmp(name, "--out") == 0) {
      if (!*val) bad = 1;
      out_path = val;
    } else if (strcmp(name, "--users") == 0) {
      bad = parse_u64(val, UINT32_MAX, &v) || v == 0;
      p.users = (uint32_t)v;
    } else if (strcmp(name, "--items") == 0) {
      bad = parse_u64(val, UINT32_MAX, &v) || v == 0;
      p.items = (uint32_t)v;
    } else if (strcmp(name, "--rank") == 0) {
      bad = parse_u64(val, 1000, &v) || v == 0;
      p.rank = (uint32_t)v;
    } else if (strcmp(name, "--ratings") == 0) {
      bad = parse_u64(val, UINT64_MAX, &v) || v == 0;
      p.ratings = v;
    } else if (strcmp(name, "--seed") == 0) {
      bad = parse_u64(val, UINT64_MAX, &v);
      p.seed = v;
    } else {
      fprintf(stderr, "%s: unknown option '%s' (see --help)\n", prog, name);
      return 2;
    }
    if (bad) {
      fprintf(stderr, "%s: bad value '%s' for %s: expected %s\n", prog, val, name,
              strcmp(name, "--out") == 0    ? "a file name"
              : strcmp(name, "--rank") == 0 ? "an integer in 1..1000"
              : strcmp(name, "--seed") == 0 ? "a non-negative integer"
                                            : "a positive integer");
      return 2;
    }
  }
  if (!out_path) {
    fprintf(stderr, "%s: --out FILE is required (see --help)\n", prog);
    return 2;
  }
  char err[512];
  if (mf_gen_check(&p, err, sizeof err)) {
    fprintf(stderr, "%s\n", err);
    return 2;
  }
  mf_ratings r;
  if (mf_generate(&p, &r, err, sizeof err) || mf_ratings_write(&r, out_path, err, sizeof err)) {
    fprintf(stderr, "%s\n", err);
    mf_ratings_free(&r);
    return 1;
  }
  mf_ratings_free(&r);
  return 0;
}
