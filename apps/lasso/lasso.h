/* lasso.h: the data-parallel Lasso app (proximal gradient on the PS, see
 * lasso.c). The loaded design, its column means and the Lipschitz constant
 * are shared read-only by all workers of a process; each worker owns a
 * contiguous block of samples and what it last added to the gradient. */
#ifndef LASSO_LASSO_H
#define LASSO_LASSO_H

#include "../app.h"

/* Table 1: the coefficients beta, block values per row (row r holds
 * beta[r*block .. r*block+block), the last row padded with zeros). Row r is
 * written only by worker r mod nworkers, its owner. */
#define LASSO_BETA_TABLE 1u
/* Table 2: the gradient of the least-squares term, same shape: the sum over
 * workers of the gradient of their samples' terms at the coefficients each
 * last used. Every worker adds the change of its own part each clock. */
#define LASSO_GRAD_TABLE 2u

extern const app_ops lasso_app;

#endif
