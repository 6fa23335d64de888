/* lasso.h: the data-parallel Lasso app (proximal gradient on the PS, see
 * lasso.c). The loaded design, its column means and the Lipschitz constant
 * are shared read-only by all workers of a process; each worker owns a
 * contiguous block of samples and what it last added to the gradient. */
#ifndef LASSO_LASSO_H
#define LASSO_LASSO_H

#include "../app.h"

/* Table 1: the coefficients beta, block values per row (row r holds
 * beta[r*block .. r*block+block), the last row padded with zeros) and a
 * stamp: column block counts the writes of the row's owner, worker r mod
 * nworkers, the only one that writes it (one write per clock). Stored and
 * sent sparse: most coefficients of a Lasso solution are zero. */
#define LASSO_BETA_TABLE 1u
/* Tables 2 and 3: the gradient of the least-squares term, block values per
 * row: per worker, its part of the gradient at the coefficients it used at
 * its latest even (table 2) or odd (table 3) clock. A worker adds the
 * change of its part to the table of its clock's parity and reads the other
 * one, so what workers sharing its client add during the same clock (which
 * its reads see at once) never mixes into what it reads. */
#define LASSO_GRAD_EVEN 2u
#define LASSO_GRAD_ODD 3u

extern const app_ops lasso_app;

#endif
