/* ada.c: the AdaRevision rule and one row's state (ada.h).
 *
 * Which snapshots may still be cited: a client reading at clock c under
 * bound s is served a value whose freshness f >= c - s, that is a version
 * that was current when the shard clock was f or later (a push that says a
 * row is unchanged as of f also says its version still was). It tags its
 * increments of that clock with it, and the shard applies them while its
 * clock is at most c + 1 (ordered mode holds them to epoch c + 1). So an
 * update applied at shard clock m cites a version still current at clock
 * m - s - 1 or later, and a snapshot superseded before that can go. One
 * clock of margin more is kept. */
#include "ada.h"

#include <math.h>
#include <string.h>

#include "vec.h"

void ada_step(float alpha, float *x, float *acc, float *z, float *zmax, const float *u,
              const float *acc_read, uint32_t width) {
  for (uint32_t i = 0; i < width; i++) {
    /* Read before acc changes: acc_read may be acc itself (nothing unseen). */
    double bck = (double)acc[i] - (acc_read ? (double)acc_read[i] : 0.0);
    double g = u[i];
    double eta_old = alpha / sqrt((double)zmax[i]);
    z[i] = (float)((double)z[i] + g * (g + 2.0 * bck));
    if (z[i] > zmax[i]) zmax[i] = z[i];
    double eta = alpha / sqrt((double)zmax[i]);
    x[i] = (float)((double)x[i] + eta * g - (eta_old - eta) * bck);
    acc[i] = (float)((double)acc[i] + g);
  }
}

int ada_row_init(ada_row *r, uint32_t width) {
  *r = (ada_row){.width = width};
  r->acc = st_malloc(3 * (size_t)(width ? width : 1) * sizeof *r->acc);
  if (!r->acc) return ST_ENOMEM;
  r->z = r->acc + width;
  r->zmax = r->z + width;
  memset(r->acc, 0, (size_t)width * sizeof *r->acc);
  for (uint32_t i = 0; i < width; i++) r->z[i] = r->zmax[i] = 1.0f;
  return 0;
}

void ada_row_free(ada_row *r) {
  for (size_t i = 0; i < r->nsnaps; i++) st_free(r->snaps[i].acc);
  st_free(r->snaps);
  st_free(r->acc);
  *r = (ada_row){0};
}

/* Drops the oldest n snapshots. */
static void ada_drop(ada_row *r, size_t n) {
  for (size_t i = 0; i < n; i++) st_free(r->snaps[i].acc);
  memmove(r->snaps, r->snaps + n, (r->nsnaps - n) * sizeof *r->snaps);
  r->nsnaps -= n;
}

int ada_row_sent(ada_row *r, st_clock_t clock) {
  (void)clock; /* a current version's snapshot lives until it is superseded */
  if (r->ver == 0) return 0; /* acc is zeros: nothing to remember */
  if (r->nsnaps && r->snaps[r->nsnaps - 1].ver == r->ver) return 0;
  if (r->nsnaps == ADA_MAX_SNAPS) ada_drop(r, 1);
  if (vec_reserve(&r->snaps, &r->capsnaps, r->nsnaps + 1, sizeof *r->snaps)) return ST_ENOMEM;
  float *acc = st_malloc((size_t)(r->width ? r->width : 1) * sizeof *acc);
  if (!acc) return ST_ENOMEM;
  memcpy(acc, r->acc, (size_t)r->width * sizeof *acc);
  r->snaps[r->nsnaps++] = (ada_snap){.ver = r->ver, .until = UINT32_MAX, .acc = acc};
  return 0;
}

/* acc at version ver: NULL for version 0, r->acc for the current one, else
 * its snapshot, or the nearest newer one kept (*approx set). */
static const float *ada_acc_at(const ada_row *r, uint32_t ver, int *approx) {
  *approx = 0;
  if (ver == 0) return NULL;
  if (ver >= r->ver) return r->acc;
  for (size_t i = 0; i < r->nsnaps; i++) {
    if (r->snaps[i].ver == ver) return r->snaps[i].acc;
    if (r->snaps[i].ver > ver) {
      *approx = 1;
      return r->snaps[i].acc;
    }
  }
  *approx = 1; /* nothing kept at or after ver: treat it as the current one */
  return r->acc;
}

/* Drops the snapshots superseded before clock - staleness - 2 (see top). */
static void ada_prune(ada_row *r, st_clock_t clock, uint32_t staleness) {
  if (staleness == ST_STALENESS_INF) return;
  uint64_t keep_from = (uint64_t)staleness + 2;
  if (clock <= keep_from) return;
  size_t n = 0;
  while (n < r->nsnaps && r->snaps[n].until != UINT32_MAX && r->snaps[n].until < clock - keep_from) n++;
  if (n) ada_drop(r, n);
}

int ada_row_apply(ada_row *r, float alpha, float *x, const float *u, uint32_t ver,
                  st_clock_t clock, uint32_t staleness) {
  int approx;
  const float *read = ada_acc_at(r, ver, &approx);
  ada_step(alpha, x, r->acc, r->z, r->zmax, u, read, r->width);
  if (r->nsnaps && r->snaps[r->nsnaps - 1].ver == r->ver) r->snaps[r->nsnaps - 1].until = clock;
  r->ver++;
  ada_prune(r, clock, staleness);
  return approx;
}
