/* model.h: the arithmetic of matrix factorization, free of the PS, so it
 * can be tested on its own: options, deterministic initial factors, the SGD
 * step for one rating, and the RMSE objective of a metrics row. The
 * predicted rating is mu + u . v, mu being the global mean of the training
 * ratings. Nothing here allocates. */
#ifndef MF_MODEL_H
#define MF_MODEL_H

#include <stddef.h>
#include <stdint.h>

typedef struct mf_options {
  uint32_t rank; /* factor length, 1..1024 */
  float lr;      /* SGD step size, > 0 */
  float reg;     /* L2 weight on both factors, >= 0 */
  float batch;   /* training ratings visited per clock, as a multiple of the
                    worker's training set, (0, 64]: above 1, several local
                    passes per clock */
  uint8_t avg;   /* 1: an item's pushed delta is divided by the number of
                    workers rating it (parameter averaging); 0: summed */
  uint32_t chunks; /* a clock's SGD in this many parts, each ending with the
                      ps_inc of its deltas and the charge of its flops, so
                      updates reach the oplog while the clock computes (what
                      managed communication sends early); 1..1024, default 1 */
  /* Item step: MF_STEP_SGD (lr, as above) or MF_STEP_ADAREV: the item
   * table takes AdaRevision's adaptive step from eta0 (alpha in core/ada.h), each
   * worker sending per clock the item gradient at the factors it read (its
   * working copy of the items does not move within the clock); user
   * factors keep the lr step. */
  uint8_t step;
  float eta0; /* AdaRevision's initial step size (its alpha), > 0 */
  uint8_t reread;  /* 1: every part after the first re-reads its items from
                      the cache (own increments and whatever was pushed since,
                      early pushes included, as a Bösen worker reading its
                      process cache at each access); 0 (default): one read
                      per clock */
  /* Shape of the generated set when no data file is given; 0 = default. */
  uint32_t gen_users, gen_items;
  uint64_t gen_ratings;
} mf_options;

/* MF_STEP_ADAGRAD: the same without the revision (TBL_RULE_ADAGRAD), to
 * tell what the revision adds. */
enum { MF_STEP_SGD = 0, MF_STEP_ADAREV = 1, MF_STEP_ADAGRAD = 2 };

/* rank=16, lr=0.2, reg=0.05, batch=1.0, avg=1 (lr suits averaging),
 * step=sgd, eta0=0.1 */
mf_options mf_options_defaults(void);

/* Parses "key=value,key=value" (keys rank, lr, reg, batch, avg, chunks,
 * step (sgd, adarevision or adagrad), eta0, reread, and users,
 * items, ratings for the generated set; text borrowed,
 * NULL or "" means all defaults) over the defaults into *out. Unknown keys,
 * repeated keys, bad numbers or values out of range give ST_EPARSE and a
 * message in err[errlen]. */
int mf_options_parse(const char *text, mf_options *out, char *err, size_t errlen);

/* Deterministic small initial factor out[rank] for user or item `index`
 * (kind 'u' or 'i'), uniform in (-0.1, 0.1), from the run seed: every
 * worker computes the same item init without talking. */
void mf_init_factor(uint64_t seed, char kind, uint32_t index, uint32_t rank, float *out);

/* One SGD step on rating r of user factor u[rank] and item factor v[rank]:
 *   e  = r - (mu + u . v)
 *   gu = e * v - reg * u        gv = e * u - reg * v   (both from old u, v)
 *   u += lr * gu;  v += lr * gv;  dv += lr * gv
 * dv accumulates the item's delta for the PS (may be NULL); v is the
 * worker's working copy. All arrays borrowed. Returns e (the error before
 * the step). */
float mf_sgd_update(float *u, float *v, float *dv, uint32_t rank, float r, float mu, float lr,
                    float reg);

/* The same rating's step for AdaRevision: u moves as above, v does not;
 * gv (from the old u) is added to gsum[rank], the item's update direction
 * (the negative gradient). Arrays borrowed. Returns e. */
float mf_grad_update(float *u, const float *v, float *gsum, uint32_t rank, float r, float mu,
                     float lr, float reg);

/* Prediction mu + u . v. */
float mf_predict(const float *u, const float *v, uint32_t rank, float mu);

/* RMSE of a summed metrics row {test_sse, test_count, train_sse,
 * train_count}: sqrt(row[0] / row[1]); NAN when the row counts nothing. */
double mf_rmse(const float *row);

#endif
