/* ada.h: AdaRevision (McMahan and Streeter, "Delay-Tolerant Algorithms for
 * Asynchronous Distributed Online Learning", NIPS 2014), the update rule of
 * tables declared TBL_RULE_ADAREV, applied by the shard as Bösen does.
 *
 * A worker's increment u of such a table is an update direction (the
 * negative gradient, what an additive table would get before the step size
 * scales it), tagged with the version of the row the worker read. Per
 * coordinate the shard keeps acc (the sum of every u applied), z and z_max
 * (both start at 1), and applies, with u_bck = acc now - acc at the version
 * read (the updates the worker did not see, its own included):
 *   eta_old = alpha / sqrt(z_max)
 *   z      += u * (u + 2 u_bck);   z_max = max(z_max, z)
 *   eta     = alpha / sqrt(z_max)
 *   x      += eta u - (eta_old - eta) u_bck;   acc += u
 * (the paper's x -= eta g - (eta_old - eta) g_bck with g = -u). Without
 * delay (u_bck = 0) this is AdaGrad with z_0 = 1; with delay the revision
 * term takes back the part of the unseen updates' steps that the now
 * smaller rate would not have made.
 *
 * An ada_row owns that state for one row and the snapshots of acc at the
 * versions sent to clients (a client cites one of them), kept while SSP
 * lets some client still cite them: exactly so for a worker that reads a
 * row in the clock it updates it (as SGD does). A citation older than that
 * window is served from the oldest snapshot kept and counted by the shard
 * (srv_stats.ada_approx). Nothing here does I/O. */
#ifndef ADA_H
#define ADA_H

#include "st.h"

/* One row's AdaRevision state. ver counts the updates applied (version 0 is
 * the untouched row, whose acc is all zeros and needs no snapshot). */
typedef struct ada_snap {
  uint32_t ver;
  st_clock_t until; /* shard clock when ver stopped being current; UINT32_MAX while it is */
  float *acc;       /* width floats, owned */
} ada_snap;

typedef struct ada_row {
  uint32_t width, ver;
  float *acc, *z, *zmax; /* one allocation of 3 x width, owned */
  ada_snap *snaps;       /* oldest first; owned */
  size_t nsnaps, capsnaps;
} ada_row;

/* Snapshots one row keeps at most, whatever the staleness bound (a bound
 * of inf would otherwise keep every version sent). A citation of a version
 * dropped for room is served from the oldest kept one and counted. */
#define ADA_MAX_SNAPS 64

/* The rule for one coordinate range: x, acc, z, zmax (width floats each,
 * borrowed, updated in place) take update u (borrowed) read at acc_read
 * (borrowed; NULL: all zeros, the row read at version 0). alpha > 0. */
void ada_step(float alpha, float *x, float *acc, float *z, float *zmax, const float *u,
              const float *acc_read, uint32_t width);

/* Zeroed state (z = z_max = 1) for a row of width values: 0 or ST_ENOMEM. */
int ada_row_init(ada_row *r, uint32_t width);
void ada_row_free(ada_row *r);

/* The row's current version goes out at shard clock `clock`: keeps a
 * snapshot of acc for it (one per version). 0 or ST_ENOMEM. */
int ada_row_sent(ada_row *r, st_clock_t clock);

/* Applies update u[width] (borrowed) read at version ver (ver <= r->ver,
 * checked by the caller) to x[width] (borrowed) at shard clock `clock`,
 * then drops the snapshots no client can cite any more under staleness
 * bound `staleness` (see ada.c). Returns 0, or 1 when ver's snapshot was
 * gone (ADA_MAX_SNAPS) and the oldest kept one stood in for it. */
int ada_row_apply(ada_row *r, float alpha, float *x, const float *u, uint32_t ver,
                  st_clock_t clock, uint32_t staleness);

#endif
