/* fuzz_ratings.c: the MF ratings loader (all three formats) on any file. */
#include <math.h>

#include "fuzz.h"
#include "mf/ratings.h"

static int load(const char *path, char *err, size_t errlen) {
  mf_ratings r;
  int rc = mf_ratings_load(path, &r, err, errlen);
  if (rc == 0) {
    FUZZ_CHECK(r.n > 0 && r.nusers > 0 && r.nitems > 0);
    for (size_t k = 0; k < r.n; k++)
      FUZZ_CHECK(r.user[k] < r.nusers && r.item[k] < r.nitems && isfinite(r.rating[k]));
  } else {
    FUZZ_CHECK(r.n == 0 && r.user == NULL);
  }
  mf_ratings_free(&r);
  return rc;
}

FUZZ_LOADER(load)
