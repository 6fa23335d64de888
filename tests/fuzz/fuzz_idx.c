/* fuzz_idx.c: the DNN app's IDX loader (plain or gzip) on any file, read as
 * images (3 dimensions) and as labels (1). */
#include "dnn/idx.h"
#include "fuzz.h"

static int load_dims(const char *path, uint32_t dims, char *err, size_t errlen) {
  dnn_idx x;
  int rc = dnn_idx_load(path, dims, &x, err, errlen);
  if (rc == 0) {
    FUZZ_CHECK(x.ndims == dims);
    size_t n = 1;
    for (uint32_t i = 0; i < dims; i++) {
      FUZZ_CHECK(x.dims[i] > 0);
      n *= x.dims[i];
    }
    FUZZ_CHECK(n == x.n);
    if (n) FUZZ_CHECK(x.data[0] == x.data[0] && x.data[n - 1] == x.data[n - 1]); /* readable */
    dnn_idx_free(&x);
  }
  return rc;
}

static int load(const char *path, char *err, size_t errlen) {
  int rc = load_dims(path, 3, err, errlen);
  fuzz_check_loader_result(rc, path, err, errlen);
  return load_dims(path, 1, err, errlen);
}

FUZZ_LOADER(load)
