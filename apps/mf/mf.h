/* mf.h: the matrix factorization app (SGD on the PS, RMSE on a held-out
 * split). The loaded ratings, split and options are shared read-only by all
 * workers of a process; each worker owns its users' factors and ratings. */
#ifndef MF_MF_H
#define MF_MF_H

#include "../app.h"

/* Table 1: item factors, one dense row of width rank per item. The model's
 * item factor is v_j = init(j) + row j, init(j) = mf_init_factor(seed, 'i',
 * j) computed by every worker locally, so the PS (whose rows start at zero)
 * stores only the learned change. */
#define MF_ITEM_TABLE 1u

/* Share of each user's ratings held out for the RMSE objective. */
#define MF_TEST_FRACTION 0.1

extern const app_ops mf_app;

#endif
