/* gen.h: a seeded generator of MovieLens-like ratings, for when no real
 * ratings file is given (no ratings data set is packaged in the registries
 * this project can use). The ratings come from a known low-rank model:
 *   r = 3.55 + b_user + b_item + p_user . q_item + noise
 * clipped to [1, 5] and rounded to 0.5 steps, with Zipf-like item
 * popularity and user activity (every user gets a minimum number of
 * ratings, as in MovieLens). Same parameters and seed, same ratings, on
 * every machine. */
#ifndef MF_GEN_H
#define MF_GEN_H

#include <stdint.h>

#include "ratings.h"

typedef struct mf_gen_params {
  uint32_t users, items, rank;
  uint64_t ratings;
  uint64_t seed;
} mf_gen_params;

/* Defaults resembling MovieLens 100k: 943 users, 1682 items, 100000
 * ratings, rank 10, seed 1. */
mf_gen_params mf_gen_defaults(void);

/* Checks p: nonzero sizes, ratings at most a quarter of users * items (so
 * sampling distinct pairs stays fast). 0 or ST_EINVAL with a message in
 * err[errlen] (borrowed). */
int mf_gen_check(const mf_gen_params *p, char *err, size_t errlen);

/* Fills out (initialised here; empty on error) with p->ratings distinct
 * (user, item) ratings. 0, ST_EINVAL (bad params, see mf_gen_check) or
 * ST_ENOMEM. */
int mf_generate(const mf_gen_params *p, mf_ratings *out, char *err, size_t errlen);

/* Writes r as "user<TAB>item<TAB>rating" lines with 1-based ids (the u.data
 * layout without timestamps) to path. 0 or ST_EINVAL with "path: strerror"
 * in err[errlen]. */
int mf_ratings_write(const mf_ratings *r, const char *path, char *err, size_t errlen);

/* The `stale gen-ratings` command: --users --items --ratings --rank --seed
 * --out FILE, --help ("--name value" or "--name=value"). argv[0] is the
 * command's name, used in messages; options start at argv[1]. Prints usage
 * or errors itself (it is a program's main); returns the exit status: 0 ok,
 * 2 bad command line, 1 failure (e.g. unwritable file). */
int mf_gen_main(int argc, char **argv);

#endif
