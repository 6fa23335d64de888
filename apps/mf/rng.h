/* rng.h: the MF app's own pseudo-random numbers (xoshiro256** seeded by
 * splitmix64), so generated data, splits and initial factors are the same
 * on every machine and libc. Plain value type; nothing is allocated. */
#ifndef MF_RNG_H
#define MF_RNG_H

#include <stdint.h>

typedef struct mf_rng {
  uint64_t s[4];
} mf_rng;

/* Seeds r from seed and a stream number, so independent streams (per user,
 * per item, per purpose) come from one run seed. */
void mf_rng_seed(mf_rng *r, uint64_t seed, uint64_t stream);
/* Next 64 random bits. */
uint64_t mf_rng_next(mf_rng *r);
/* Uniform double in [0, 1). */
double mf_rng_uniform(mf_rng *r);
/* Uniform integer in [0, n); n > 0. Unbiased (rejection). */
uint64_t mf_rng_below(mf_rng *r, uint64_t n);
/* Standard normal deviate (Box-Muller, one value per call). */
double mf_rng_normal(mf_rng *r);

#endif
