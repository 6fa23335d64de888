/* fuzz_units.c: the number parsers of the command line: the platform's unit
 * parsers (bandwidth, latency, speed, stragglers, topology) and the strict
 * decimal ones (runopt_u32/u64/real, staleness lists). The first input byte
 * picks the parser, the rest is the text. Whatever the text, a parser
 * either refuses it with a message naming the flag, or gives a value in its
 * documented range, read from decimal digits only. */
#include <math.h>

#include "fuzz.h"
#include "plat.h"
#include "runopt.h"
#include "st.h"

/* Whether s is a decimal number (digits, '.', exponent) followed by letters
 * only: what the unit parsers may accept. No hex, no inf, no nan. */
static int decimal_then_unit(const char *s) {
  const char *p = s;
  while ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' || *p == 'E' || *p == '+' ||
         *p == '-')
    p++;
  if (p == s) return 0;
  for (const char *q = s; q < p; q++)
    if ((*q == 'x' || *q == 'X')) return 0;
  for (; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) return 0;
  return 1;
}

static int all_digits(const char *s) {
  if (!*s) return 0;
  for (; *s; s++)
    if (*s < '0' || *s > '9') return 0;
  return 1;
}

static void check_err(int rc, const char *err, const char *flag) {
  FUZZ_CHECK(rc == 0 || rc == ST_EPARSE);
  if (rc) FUZZ_CHECK(strncmp(err, flag, strlen(flag)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  char *s = fuzz_cstr(data + 1, size - 1);
  if (!s) return 0;
  char err[256] = "";
  double v = -1, f = -1, k = -1;
  uint32_t u = 0, list[8];
  uint64_t u64 = 0;
  int rc;
  switch (data[0] % 9) {
  case 0:
    rc = plat_parse_bandwidth("--bandwidth", s, &v, err, sizeof err);
    check_err(rc, err, "--bandwidth");
    if (!rc) FUZZ_CHECK(isfinite(v) && v > 0 && decimal_then_unit(s));
    break;
  case 1:
    rc = plat_parse_latency("--latency", s, &v, err, sizeof err);
    check_err(rc, err, "--latency");
    if (!rc) FUZZ_CHECK(isfinite(v) && v >= 0 && decimal_then_unit(s));
    break;
  case 2:
    rc = plat_parse_speed("--host-speed", s, &v, err, sizeof err);
    check_err(rc, err, "--host-speed");
    if (!rc) FUZZ_CHECK(isfinite(v) && v > 0 && decimal_then_unit(s));
    break;
  case 3:
    rc = plat_parse_stragglers("--slow-nodes", s, &f, &k, err, sizeof err);
    check_err(rc, err, "--slow-nodes");
    if (!rc) FUZZ_CHECK(f >= 0 && f <= 1 && k >= 1 && isfinite(k));
    break;
  case 4: {
    plat_topology t;
    rc = plat_parse_topology("--topology", s, &t, err, sizeof err);
    check_err(rc, err, "--topology");
    if (!rc) FUZZ_CHECK(!strcmp(s, plat_topology_name(t)));
    break;
  }
  case 5:
    rc = runopt_u32("--clocks", s, 1, 1000000, &u, err, sizeof err);
    check_err(rc, err, "--clocks");
    if (!rc) FUZZ_CHECK(u >= 1 && u <= 1000000 && all_digits(s));
    break;
  case 6:
    rc = runopt_u64("--seed", s, &u64, err, sizeof err);
    check_err(rc, err, "--seed");
    if (!rc) FUZZ_CHECK(all_digits(s));
    break;
  case 7:
    rc = runopt_real("--jitter", s, 0, 0.99, &v, err, sizeof err);
    check_err(rc, err, "--jitter");
    if (!rc) FUZZ_CHECK(v >= 0 && v <= 0.99);
    break;
  default:
    rc = runopt_staleness_list(s, list, 8, &u, err, sizeof err);
    check_err(rc, err, "--staleness");
    if (!rc) FUZZ_CHECK(u >= 1 && u <= 8);
    break;
  }
  free(s);
  return 0;
}
