/* fuzz_lasso.c: the Lasso's loaders (LibSVM/SVMlight, CSV, whitespace
 * tables, and the format sniffing between them) on any file. The input's
 * first byte picks the format and options, the rest is the file. */
#include <math.h>

#include "fuzz.h"
#include "lasso/data.h"

static lasso_load_opts opts_from(uint8_t b) {
  lasso_load_opts o = {.format = (lasso_format)(b % 4), .label_last = (uint8_t)((b >> 2) & 1),
                       .features = (b >> 3) & 1 ? (uint32_t)(b >> 4) : 0};
  return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  lasso_load_opts o = opts_from(data[0]);
  const char *path = fuzz_as_file(data + 1, size - 1);
  if (!path) return 0;
  char err[512];
  memset(err, 'x', sizeof err);
  lasso_data d;
  int rc = lasso_data_load(path, &o, &d, err, sizeof err);
  fuzz_check_loader_result(rc, path, err, sizeof err);
  if (rc == 0) {
    FUZZ_CHECK(d.n > 0 && d.p > 0);
    for (uint32_t i = 0; i < d.n; i++) FUZZ_CHECK(isfinite(d.y[i]));
    if (d.dense) {
      FUZZ_CHECK(d.nnz == (size_t)d.n * d.p);
      for (size_t k = 0; k < d.nnz; k++) FUZZ_CHECK(isfinite(d.dense[k]));
    } else {
      FUZZ_CHECK(d.row_start[0] == 0 && d.row_start[d.n] == d.nnz);
      for (uint32_t i = 0; i < d.n; i++)
        for (size_t k = d.row_start[i]; k < d.row_start[i + 1]; k++) {
          FUZZ_CHECK(d.col[k] < d.p && isfinite(d.val[k]));
          if (k > d.row_start[i]) FUZZ_CHECK(d.col[k] > d.col[k - 1]);
        }
    }
  } else {
    FUZZ_CHECK(d.n == 0);
  }
  lasso_data_free(&d);
  return 0;
}
