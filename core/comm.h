/* comm.h: managed communication (after Bösen): which buffered changes a
 * node sends between clocks, and how fast. A policy ranks candidates (a
 * client's buffered deltas, a shard's rows changed since their last push)
 * by one score function each; a token bucket paces what is sent to the
 * node's budget. Both are plain values owned by whoever embeds them; the
 * ranking sorts the caller's array in place.
 *
 * Pacing guarantee: a bucket refilled at `rate` bytes/s and holding at most
 * `cap` bytes lets through at most cap + rate * T bytes in any window of T
 * seconds (the classic token-bucket bound), whatever the ticks' timing. */
#ifndef COMM_H
#define COMM_H

#include <stddef.h>
#include <stdint.h>

#include "st.h"

/* The policies; COMM_NONE (0, the default) sends at clocks only. */
#define COMM_POLICY_MAP(X)                                                    \
  X(NONE, "none", "send at clocks only (the SSP baseline)")                  \
  X(FIFO, "fifo", "oldest change first")                                     \
  X(RANDOM, "random", "a uniformly random order")                            \
  X(MAGNITUDE, "magnitude", "largest absolute change (L1) first")            \
  X(RELATIVE, "relative", "largest change relative to the value (L1/L1)")    \
  X(AGE, "age", "rows most clocks behind at their readers first")            \
  X(COMBINED, "combined", "(1 + clocks behind) x absolute change")

enum {
#define COMM_ENUM(name, text, help) COMM_##name,
  COMM_POLICY_MAP(COMM_ENUM)
#undef COMM_ENUM
  COMM_NPOLICIES
};

/* Seconds between pacing ticks when st_config.comm_interval is 0. */
#define COMM_DEFAULT_INTERVAL 0.005

/* The policy's name ("none"...), or "?" for a bad value. */
const char *comm_policy_name(uint8_t policy);
/* Parses a policy name into *out: 0 or ST_EPARSE. */
int comm_policy_parse(const char *s, uint8_t *out);

/* What a policy sees of one candidate. */
typedef struct comm_cand {
  uint64_t key;  /* tbl_key of the row: the last tie-break */
  uint64_t seq;  /* order of its first change since it was last sent (lower: older) */
  double mag;    /* L1 norm of the change not yet sent */
  double base;   /* L1 norm of the parameter's value as this node knows it */
  double behind; /* clocks the row's readers are behind (>= 0) */
  void *item;    /* the caller's (not owned) */
  double score;  /* set by comm_rank */
} comm_cand;

/* A policy's score of one candidate: higher is sent first. salt varies the
 * random policy from tick to tick (deterministically). */
typedef double (*comm_score_fn)(const comm_cand *c, uint64_t salt);
/* The score function of policy (NULL for COMM_NONE or a bad value). */
comm_score_fn comm_policy_score(uint8_t policy);

/* Scores c[0..n) by policy and sorts them best first: score descending,
 * then seq ascending, then key ascending (a total order: runs repeat). */
void comm_rank(uint8_t policy, comm_cand *c, size_t n, uint64_t salt);

/* A token bucket: tokens in bytes, refilled at rate bytes/s up to cap. */
typedef struct comm_bucket {
  double rate, cap, tokens, last;
} comm_bucket;

/* An empty bucket at time now. */
void comm_bucket_init(comm_bucket *b, double rate, double cap, double now);
/* Adds the tokens earned since the last refill (a clock going backwards
 * earns nothing). */
void comm_bucket_refill(comm_bucket *b, double now);
/* Takes bytes if that many tokens are there: 1, else 0 (nothing taken). */
int comm_bucket_take(comm_bucket *b, double bytes);
/* Gives back bytes taken but not spent (an estimate above the real cost). */
void comm_bucket_refund(comm_bucket *b, double bytes);

#endif
