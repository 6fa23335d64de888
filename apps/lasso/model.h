/* model.h: the arithmetic of the Lasso app, free of the PS so it can be
 * tested on its own: options, the soft threshold, the Lipschitz constant of
 * the centred least-squares term, one worker's residual/gradient pass over
 * its rows, and the objective of a metrics row. Nothing here allocates
 * except lasso_lipschitz's scratch vectors.
 *
 * The problem is scikit-learn's Lasso with a fitted intercept b:
 *   F(beta) = 1/(2n) ||y - X beta - b||^2 + lambda ||beta||_1.
 * For any beta the best b is ybar - xbar . beta, which turns F into the
 * same problem on centred columns and target; the app keeps b at that value
 * and so never stores it (it is reported through the metrics as part of the
 * residuals, never a parameter of its own). */
#ifndef LASSO_MODEL_H
#define LASSO_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "data.h"

typedef struct lasso_options {
  double lambda;       /* L1 weight (scikit-learn's alpha), >= 0 */
  double step;         /* step as a fraction of the safe step (see lasso.c), (0, 2) */
  int32_t delay;       /* clocks of delay the step allows for; -1: the staleness bound */
  uint8_t standardize; /* 1: columns divided by their standard deviation */
  uint32_t block;      /* coefficients per PS row, 1..4096 */
  uint32_t power;      /* most power iterations for the Lipschitz constant */
  lasso_load_opts load;
  /* The generated design when no data file is given (see gen.h); seed is
   * the run's. */
  uint32_t gen_n, gen_p, gen_group, gen_k;
  double gen_rho, gen_noise;
  /* Where worker 0 writes the coefficients of its last clock ("" = not
   * written): "intercept b" then "index value" per non-zero, 1-based. Every
   * run of a `stale sim` sweep would write the same file: give it to single
   * runs. */
  char coef[512];
  /* Scheduled runs: the rows the dependency of two columns is measured on
   * (the first dep_rows; 0: all). */
  uint32_t dep_rows;
} lasso_options;

/* lambda=0.1, step=1, delay=-1, standardize=0, block=256, power=100,
 * format auto, label first, and gen.h's defaults for the design. */
lasso_options lasso_options_defaults(void);

/* Parses "key=value,..." (text borrowed; NULL or "" = defaults) over the
 * defaults. Keys: lambda, step, delay (auto or a count), standardize (0|1),
 * block, power, format (auto|libsvm|csv|table), label (first|last),
 * features, coef (a file name), deprows, and n, p, group, rho, k, noise for the
 * generated design.
 * Unknown or repeated keys, bad values: ST_EPARSE and a message in err. */
int lasso_options_parse(const char *text, lasso_options *out, char *err, size_t errlen);

/* Soft threshold: sign(v) max(|v| - t, 0). */
double lasso_soft(double v, double t);

/* The largest eigenvalue of Xc^T Xc / n (Xc: the centred design), i.e. the
 * Lipschitz constant of the gradient of the least-squares term, by power
 * iteration from a fixed start (at most iters steps, stopping when the
 * estimate changes by less than 1e-6 relative). Deterministic: the same
 * operations in the same order on every process. mean[p] from
 * lasso_data_means. Returns the estimate (0 for an all-constant design) or
 * a negative ST_ENOMEM. */
double lasso_lipschitz(const lasso_data *d, const double *mean, uint32_t iters);

/* One worker's pass over rows [r0, r1) at coefficients beta[p] with
 * intercept b: r_i = y_i - b - x_i . beta; adds sum r_i^2 to *sse, sum r_i
 * to *rsum, and r_i x_i to acc[p] (accumulated, caller zeroes). */
void lasso_pass(const lasso_data *d, uint32_t r0, uint32_t r1, const double *beta, double b,
                double *sse, double *rsum, double *acc);

/* Metrics row of the app: {sum of squared residuals, ||beta||_1, nnz(beta),
 * samples counted}. The objective is row[0] / (2 row[3]) + lambda row[1];
 * NAN when the row counts no sample. */
double lasso_objective(const float *row, double lambda);

#endif
