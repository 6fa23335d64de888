/* comm.c: see comm.h. */
#include "comm.h"

#include <stdlib.h>
#include <string.h>

static const char *const comm_names[] = {
#define COMM_NAME(name, text, help) text,
    COMM_POLICY_MAP(COMM_NAME)
#undef COMM_NAME
};

const char *comm_policy_name(uint8_t policy) {
  return policy < COMM_NPOLICIES ? comm_names[policy] : "?";
}

int comm_policy_parse(const char *s, uint8_t *out) {
  for (uint8_t p = 0; s && p < COMM_NPOLICIES; p++)
    if (!strcmp(s, comm_names[p])) {
      *out = p;
      return 0;
    }
  return ST_EPARSE;
}

/* ---- the policies: one small function each ---------------------------- */

static double comm_score_fifo(const comm_cand *c, uint64_t salt) {
  (void)salt;
  return -(double)c->seq;
}

/* splitmix64 of key and salt, as a double in [0, 1). */
static double comm_score_random(const comm_cand *c, uint64_t salt) {
  uint64_t z = c->key ^ (salt * 0x9e3779b97f4a7c15ull) ^ 0x636f6d6dull; /* "comm" */
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return (double)(z >> 11) * 0x1.0p-53;
}

static double comm_score_magnitude(const comm_cand *c, uint64_t salt) {
  (void)salt;
  return c->mag;
}

/* Bösen's RelativeMagnitude: a change to a small parameter matters more.
 * The floor keeps a zero value (a row never read) finite and first. */
static double comm_score_relative(const comm_cand *c, uint64_t salt) {
  (void)salt;
  return c->mag / (c->base + 1e-6);
}

static double comm_score_age(const comm_cand *c, uint64_t salt) {
  (void)salt;
  return c->behind;
}

static double comm_score_combined(const comm_cand *c, uint64_t salt) {
  (void)salt;
  return (1.0 + c->behind) * c->mag;
}

comm_score_fn comm_policy_score(uint8_t policy) {
  switch (policy) {
  case COMM_FIFO: return comm_score_fifo;
  case COMM_RANDOM: return comm_score_random;
  case COMM_MAGNITUDE: return comm_score_magnitude;
  case COMM_RELATIVE: return comm_score_relative;
  case COMM_AGE: return comm_score_age;
  case COMM_COMBINED: return comm_score_combined;
  default: return NULL;
  }
}

static int comm_cmp(const void *a, const void *b) {
  const comm_cand *x = a, *y = b;
  if (x->score != y->score) return x->score > y->score ? -1 : 1;
  if (x->seq != y->seq) return x->seq < y->seq ? -1 : 1;
  return x->key < y->key ? -1 : x->key > y->key;
}

void comm_rank(uint8_t policy, comm_cand *c, size_t n, uint64_t salt) {
  comm_score_fn f = comm_policy_score(policy);
  for (size_t i = 0; i < n; i++) c[i].score = f ? f(&c[i], salt) : 0.0;
  qsort(c, n, sizeof *c, comm_cmp);
}

/* ---- the token bucket ---------------------------------------------------- */

void comm_bucket_init(comm_bucket *b, double rate, double cap, double now) {
  b->rate = rate > 0 ? rate : 0;
  b->cap = cap > 0 ? cap : 0;
  b->tokens = 0;
  b->last = now;
}

void comm_bucket_refill(comm_bucket *b, double now) {
  if (now > b->last) {
    b->tokens += b->rate * (now - b->last);
    if (b->tokens > b->cap) b->tokens = b->cap;
    b->last = now;
  }
}

int comm_bucket_take(comm_bucket *b, double bytes) {
  if (bytes > b->tokens) return 0;
  b->tokens -= bytes;
  return 1;
}

void comm_bucket_refund(comm_bucket *b, double bytes) {
  if (bytes > 0) b->tokens += bytes;
  if (b->tokens > b->cap) b->tokens = b->cap;
}
