/* cd.h: Lasso by scheduled coordinate descent, the arithmetic free of the
 * PS and the scheduler so it can be tested on its own (STRADS' Lasso).
 *
 * Same problem as model.h: F(beta) = 1/(2n) ||y - X beta - b||^2 +
 * lambda ||beta||_1, b fitted (b = ybar - xbar . beta), i.e. least squares
 * on centred columns x~_j = x_j - xbar_j. Samples are split by rows over
 * the workers. A round updates a set S of coefficients: every worker sends,
 * for each j in S, z_j^w = x~_j^T r over its own rows (r the centred
 * residual at the coefficients it knows); the coordinator sums them over
 * the workers, z_j, and sets
 *   beta_j <- soft(z_j / n + c_j beta_j, lambda) / c_j,  c_j = ||x~_j||^2 / n,
 * the exact minimiser of F along j when r is current (a coordinate descent
 * step). The next round's task brings the new values; each worker updates
 * its residual rows. Coordinates updated in the same round all use the
 * round's residual: parallel coordinate descent (Shotgun), which diverges
 * when correlated coordinates move together; the dependency filter keeps
 * a round's coordinates below rho in |correlation|.
 *
 * A lasso_cd (shared read-only, owns its arrays) holds the design by
 * columns (CSC), the column means and c_j. A lasso_cdw (one worker, owns
 * its arrays) holds its rows' residual without the centring terms,
 * r'_i = y_i - x_i . beta, with cb = xbar . beta, so r_i = r'_i - ybar + cb
 * and a sparse column stays sparse. */
#ifndef LASSO_CD_H
#define LASSO_CD_H

#include <stddef.h>
#include <stdint.h>

#include "data.h"

typedef struct lasso_cd {
  uint32_t n, p;
  size_t *col_start; /* p + 1 */
  uint32_t *row;     /* row of each entry, ascending within a column */
  float *val;
  double *mean; /* p (borrowed from the app: lasso_data_means) */
  double ymean;
  double *c;    /* p: ||x~_j||^2 / n */
  double lambda;
  uint32_t dep_rows; /* rows the dependency uses (0: all n) */
  /* Dependencies computed so far, direct-mapped by pair (the coordinator's
   * only: it alone calls lasso_cd_dep). A priority schedule keeps drawing
   * the same few active columns, so most pairs come back. */
  uint64_t *dep_key; /* LASSO_DEP_CACHE: (a << 32 | b) + 1, a < b; 0 empty */
  float *dep_val;
} lasso_cd;

#define LASSO_DEP_CACHE (1u << 18)

/* Builds the columns of d (borrowed for the call) with mean[p] (borrowed
 * for the lasso_cd's life) and ymean. 0 or ST_ENOMEM. */
int lasso_cd_build(const lasso_data *d, const double *mean, double ymean, double lambda,
                   lasso_cd *out);
void lasso_cd_free(lasso_cd *cd);

/* The coordinator's update of beta_j (sched_app.update): sum[0] = z_j. */
float lasso_cd_update(void *cd, uint32_t j, float old, const double *sum);
/* |correlation| of columns a and b over the first dep_rows rows (all when
 * 0), computed when first asked (sched_app.dep): O(entries of both
 * columns), then from the cache. Adds the flops to *work. So a round costs
 * O(size^2) lookups and at most that many column merges, whatever p: at
 * p = 10 000 nothing of size p^2 is ever built (the full matrix would be
 * 10^8 pairs), only the pairs the sampler brings together. */
double lasso_cd_dep(void *cd, uint32_t a, uint32_t b, double *work);

typedef struct lasso_cdw {
  uint32_t r0, r1;
  double *res;  /* r1 - r0: r'_i */
  double rsum;  /* sum of r'_i */
  double cb;    /* xbar . beta */
  float *beta;  /* p: the coefficients as the worker knows them */
} lasso_cdw;

/* Worker of rows [r0, r1) at beta = 0. 0 or ST_ENOMEM. */
int lasso_cdw_init(lasso_cdw *w, const lasso_cd *cd, const lasso_data *d, uint32_t r0, uint32_t r1);
void lasso_cdw_free(lasso_cdw *w);
/* Takes the new values vals[k] of coefficients vars[k] (k < n): updates the
 * residual. Returns the flops. */
double lasso_cdw_apply(lasso_cdw *w, const lasso_cd *cd, const uint32_t *vars, const float *vals,
                       uint32_t n);
/* out[k] = z_{vars[k]} over the worker's rows, k < n. Returns the flops. */
double lasso_cdw_partials(const lasso_cdw *w, const lasso_cd *cd, const uint32_t *vars,
                          uint32_t n, float *out);
/* The worker's sum of squared (centred) residuals. */
double lasso_cdw_sse(const lasso_cdw *w, const lasso_cd *cd);

#endif
