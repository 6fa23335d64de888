/* rng.c: xoshiro256** (Blackman and Vigna) seeded through splitmix64, written
 * from the published algorithm descriptions. */
#include "rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void mf_rng_seed(mf_rng *r, uint64_t seed, uint64_t stream) {
  /* Mix the stream through splitmix first so streams 0,1,2... of one seed
   * do not start from neighbouring splitmix states. */
  uint64_t x = seed ^ 0x6A09E667F3BCC909ull;
  uint64_t t = stream + 0x243F6A8885A308D3ull;
  x ^= splitmix64(&t);
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
  if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0) r->s[0] = 1; /* all-zero state is fixed */
}

uint64_t mf_rng_next(mf_rng *r) {
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double mf_rng_uniform(mf_rng *r) { return (double)(mf_rng_next(r) >> 11) * 0x1.0p-53; }

uint64_t mf_rng_below(mf_rng *r, uint64_t n) {
  /* Reject the top partial block of 2^64 so every residue is equally likely. */
  uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do {
    x = mf_rng_next(r);
  } while (x >= limit);
  return x % n;
}

double mf_rng_normal(mf_rng *r) {
  /* 1 - u keeps the log argument in (0, 1]. */
  double u1 = 1.0 - mf_rng_uniform(r);
  double u2 = mf_rng_uniform(r);
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
