/* cd.c: see cd.h. */
#include "cd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/st.h"
#include "model.h"

int lasso_cd_build(const lasso_data *d, const double *mean, double ymean, double lambda,
                   lasso_cd *out) {
  memset(out, 0, sizeof *out);
  out->n = d->n;
  out->p = d->p;
  out->mean = (double *)mean;
  out->ymean = ymean;
  out->lambda = lambda;
  size_t nnz = 0;
  out->col_start = calloc((size_t)d->p + 1, sizeof *out->col_start);
  out->c = calloc((size_t)d->p + 1, sizeof *out->c);
  out->dep_key = calloc(LASSO_DEP_CACHE, sizeof *out->dep_key);
  out->dep_val = calloc(LASSO_DEP_CACHE, sizeof *out->dep_val);
  if (!out->col_start || !out->c || !out->dep_key || !out->dep_val) goto fail;
  /* Count, then place: rows come in order, so each column's rows ascend. */
  for (uint32_t i = 0; i < d->n; i++) {
    if (d->dense) {
      const float *x = d->dense + (size_t)i * d->p;
      for (uint32_t j = 0; j < d->p; j++) out->col_start[j + 1] += x[j] != 0.0f;
    } else {
      for (size_t k = d->row_start[i]; k < d->row_start[i + 1]; k++)
        out->col_start[d->col[k] + 1] += d->val[k] != 0.0f;
    }
  }
  for (uint32_t j = 0; j < d->p; j++) out->col_start[j + 1] += out->col_start[j];
  nnz = out->col_start[d->p];
  out->row = malloc((nnz ? nnz : 1) * sizeof *out->row);
  out->val = malloc((nnz ? nnz : 1) * sizeof *out->val);
  size_t *at = malloc(((size_t)d->p + 1) * sizeof *at);
  if (!out->row || !out->val || !at) {
    free(at);
    goto fail;
  }
  memcpy(at, out->col_start, (size_t)d->p * sizeof *at);
  for (uint32_t i = 0; i < d->n; i++) {
    if (d->dense) {
      const float *x = d->dense + (size_t)i * d->p;
      for (uint32_t j = 0; j < d->p; j++)
        if (x[j] != 0.0f) out->row[at[j]] = i, out->val[at[j]++] = x[j];
    } else {
      for (size_t k = d->row_start[i]; k < d->row_start[i + 1]; k++)
        if (d->val[k] != 0.0f) out->row[at[d->col[k]]] = i, out->val[at[d->col[k]]++] = d->val[k];
    }
  }
  free(at);
  /* c_j = (sum x^2 - n xbar^2) / n, the centred column's squared norm / n */
  for (uint32_t j = 0; j < d->p; j++) {
    double ss = 0.0;
    for (size_t k = out->col_start[j]; k < out->col_start[j + 1]; k++)
      ss += (double)out->val[k] * out->val[k];
    double cj = ss / d->n - mean[j] * mean[j];
    out->c[j] = cj > 1e-12 * (ss / d->n) ? cj : 0.0;
  }
  return 0;
fail:
  lasso_cd_free(out);
  return ST_ENOMEM;
}

void lasso_cd_free(lasso_cd *cd) {
  free(cd->col_start);
  free(cd->row);
  free(cd->val);
  free(cd->c);
  free(cd->dep_key);
  free(cd->dep_val);
  memset(cd, 0, sizeof *cd);
}

float lasso_cd_update(void *ctx, uint32_t j, float old, const double *sum) {
  const lasso_cd *cd = ctx;
  double c = cd->c[j];
  if (!(c > 0)) return 0.0f;
  return (float)(lasso_soft(sum[0] / cd->n + c * (double)old, cd->lambda) / c);
}

static double dep_compute(const lasso_cd *cd, uint32_t a, uint32_t b, double *work);

double lasso_cd_dep(void *ctx, uint32_t a, uint32_t b, double *work) {
  lasso_cd *cd = ctx;
  if (a == b) return 1.0;
  if (a > b) {
    uint32_t t = a;
    a = b;
    b = t;
  }
  uint64_t key = ((uint64_t)a << 32 | b) + 1, h = key * 0x9e3779b97f4a7c15ull;
  uint32_t slot = (uint32_t)(h >> 48) & (LASSO_DEP_CACHE - 1);
  *work += 10.0;
  if (cd->dep_key[slot] == key) return cd->dep_val[slot];
  double d = dep_compute(cd, a, b, work);
  cd->dep_key[slot] = key;
  cd->dep_val[slot] = (float)d;
  return (double)(float)d; /* what a later lookup returns */
}

static double dep_compute(const lasso_cd *cd, uint32_t a, uint32_t b, double *work) {
  double ca = cd->c[a], cb = cd->c[b];
  if (!(ca > 0) || !(cb > 0)) return 0.0;
  uint32_t lim = cd->dep_rows && cd->dep_rows < cd->n ? cd->dep_rows : cd->n;
  size_t i = cd->col_start[a], ie = cd->col_start[a + 1];
  size_t k = cd->col_start[b], ke = cd->col_start[b + 1];
  double dot = 0.0, sa = 0.0, sb = 0.0, qa = 0.0, qb = 0.0;
  size_t steps = 0;
  /* Merge the two columns' rows below lim; the sample's own moments make
   * it a correlation of those rows. */
  while ((i < ie && cd->row[i] < lim) || (k < ke && cd->row[k] < lim)) {
    steps++;
    uint32_t ri = i < ie ? cd->row[i] : UINT32_MAX, rk = k < ke ? cd->row[k] : UINT32_MAX;
    if (ri < lim && ri <= rk) {
      double x = cd->val[i];
      sa += x;
      qa += x * x;
      if (ri == rk) {
        double y = cd->val[k];
        dot += x * y;
        sb += y;
        qb += y * y;
        k++;
      }
      i++;
    } else {
      double y = cd->val[k];
      sb += y;
      qb += y * y;
      k++;
    }
  }
  *work += 6.0 * (double)steps;
  double m = lim, cov = dot / m - (sa / m) * (sb / m);
  double va = qa / m - (sa / m) * (sa / m), vb = qb / m - (sb / m) * (sb / m);
  if (!(va > 0) || !(vb > 0)) return 0.0;
  return fabs(cov) / sqrt(va * vb);
}

/* First entry of column j at row >= r (binary search). */
static size_t col_seek(const lasso_cd *cd, uint32_t j, uint32_t r) {
  size_t lo = cd->col_start[j], hi = cd->col_start[j + 1];
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (cd->row[mid] < r)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

int lasso_cdw_init(lasso_cdw *w, const lasso_cd *cd, const lasso_data *d, uint32_t r0, uint32_t r1) {
  memset(w, 0, sizeof *w);
  w->r0 = r0;
  w->r1 = r1;
  w->res = calloc(r1 > r0 ? r1 - r0 : 1, sizeof *w->res);
  w->beta = calloc(cd->p ? cd->p : 1, sizeof *w->beta);
  if (!w->res || !w->beta) {
    lasso_cdw_free(w);
    return ST_ENOMEM;
  }
  for (uint32_t i = r0; i < r1; i++) {
    w->res[i - r0] = d->y[i];
    w->rsum += d->y[i];
  }
  return 0;
}

void lasso_cdw_free(lasso_cdw *w) {
  free(w->res);
  free(w->beta);
  w->res = NULL;
  w->beta = NULL;
}

double lasso_cdw_apply(lasso_cdw *w, const lasso_cd *cd, const uint32_t *vars, const float *vals,
                       uint32_t n) {
  double flops = 0.0;
  for (uint32_t q = 0; q < n; q++) {
    uint32_t j = vars[q];
    if (j >= cd->p) continue;
    double delta = (double)vals[q] - (double)w->beta[j];
    w->beta[j] = vals[q];
    if (delta == 0.0) continue;
    w->cb += cd->mean[j] * delta;
    size_t k = col_seek(cd, j, w->r0), e = cd->col_start[j + 1];
    for (; k < e && cd->row[k] < w->r1; k++) {
      double dx = (double)cd->val[k] * delta;
      w->res[cd->row[k] - w->r0] -= dx;
      w->rsum -= dx;
      flops += 3.0;
    }
    flops += 20.0;
  }
  return flops;
}

double lasso_cdw_partials(const lasso_cdw *w, const lasso_cd *cd, const uint32_t *vars,
                          uint32_t n, float *out) {
  double flops = 0.0, shift = w->cb - cd->ymean, nloc = (double)(w->r1 - w->r0);
  double rtot = w->rsum + shift * nloc; /* sum of centred residuals r_i */
  for (uint32_t q = 0; q < n; q++) {
    uint32_t j = vars[q];
    double xr = 0.0, xs = 0.0;
    size_t k = col_seek(cd, j, w->r0), e = cd->col_start[j + 1];
    for (; k < e && cd->row[k] < w->r1; k++) {
      double x = cd->val[k];
      xr += x * w->res[cd->row[k] - w->r0];
      xs += x;
      flops += 3.0;
    }
    /* sum_i (x_ij - xbar_j)(r'_i + shift) */
    out[q] = (float)(xr + shift * xs - cd->mean[j] * rtot);
    flops += 20.0;
  }
  return flops;
}

double lasso_cdw_sse(const lasso_cdw *w, const lasso_cd *cd) {
  double shift = w->cb - cd->ymean, sse = 0.0;
  for (uint32_t i = 0; i < w->r1 - w->r0; i++) {
    double r = w->res[i] + shift;
    sse += r * r;
  }
  return sse;
}
