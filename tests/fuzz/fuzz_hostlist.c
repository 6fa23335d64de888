/* fuzz_hostlist.c: Slurm host lists (real/rt_hostlist.c) on any text:
 * refused with a message, or expanded to non-empty names without blanks,
 * brackets or commas, never more than RT_HOSTLIST_MAX. */
#include "fuzz.h"
#include "rt_hostlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096) return 0;
  char *spec = fuzz_cstr(data, size);
  if (!spec) return 0;
  rt_hostlist l;
  char err[400] = "";
  int rc = rt_hostlist_expand(spec, &l, err, sizeof err);
  if (rc == 0) {
    FUZZ_CHECK(l.n > 0 && l.n <= RT_HOSTLIST_MAX);
    for (uint32_t i = 0; i < l.n; i++) {
      FUZZ_CHECK(l.host[i][0] != '\0');
      FUZZ_CHECK(strpbrk(l.host[i], "[], \t\n") == NULL);
    }
  } else {
    FUZZ_CHECK(rc < 0 && err[0] != '\0' && l.n == 0 && l.host == NULL);
  }
  rt_hostlist_free(&l);
  free(spec);
  return 0;
}
