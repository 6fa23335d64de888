/* gen.h: a seeded Lasso design with correlated columns and a known sparse
 * truth, the data where parallel coordinate updates of correlated columns
 * (Shotgun-style) go wrong. Columns come in groups of `group`; inside a
 * group every pair has correlation rho:
 *   x_ij = sqrt(rho) z_i,g(j) + sqrt(1 - rho) e_ij,   z, e ~ N(0, 1)
 *   y_i  = x_i . beta* + noise * eps_i,                eps ~ N(0, 1)
 * beta* has k non-zeros at columns drawn uniformly without replacement,
 * each +-U[1, 2]. Row i comes from its own random stream, so the design does
 * not depend on how it is generated or split; same parameters and seed, same
 * floats on every machine. */
#ifndef LASSO_GEN_H
#define LASSO_GEN_H

#include <stdint.h>

#include "data.h"

typedef struct lasso_gen_params {
  uint32_t n, p, group, k;
  double rho, noise;
  uint64_t seed;
} lasso_gen_params;

/* n=500, p=1000, group=10, rho=0.5, k=20, noise=1, seed=1. */
lasso_gen_params lasso_gen_defaults(void);

/* 0 or ST_EINVAL with a message in err[errlen]: n >= 2, p >= 1, group in
 * 1..p, rho in [0, 1), k <= p, noise >= 0, n * p at most 2^30 values. */
int lasso_gen_check(const lasso_gen_params *g, char *err, size_t errlen);

/* Fills out (initialised here, empty on error) with the dense design and,
 * if truth is not NULL, truth[p] (caller's) with beta*. 0, ST_EINVAL or
 * ST_ENOMEM (message in err). */
int lasso_generate(const lasso_gen_params *g, lasso_data *out, double *truth, char *err,
                   size_t errlen);

/* The `stale gen-lasso` command: --n --p --group --rho --k --noise --seed
 * --format libsvm|table --out FILE [--truth FILE], --help. Prints usage or
 * errors itself; returns the exit status (0 ok, 2 bad command line, 1
 * failure). argv[0] is the command's name. */
int lasso_gen_main(int argc, char **argv);

#endif
