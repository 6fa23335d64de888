/* fuzz_plat.c: the platform builder on any spec. The input's bytes fill a
 * plat_spec (node count capped at 300 to keep each run short; every other
 * field, doubles included, is raw). plat_check must refuse a spec or
 * plat_build_xml must give a platform with exactly `nodes` hosts named
 * node0.., and no value SimGrid would refuse (negative, nan, inf). */
#include "fuzz.h"
#include "plat.h"
#include "st.h"

static void take(const uint8_t **p, size_t *left, void *out, size_t n) {
  memset(out, 0, n);
  size_t k = *left < n ? *left : n;
  memcpy(out, *p, k);
  *p += k;
  *left -= k;
}

static size_t count(const char *s, const char *what) {
  size_t n = 0;
  for (const char *p = s; (p = strstr(p, what)) != NULL; p += strlen(what)) n++;
  return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  plat_spec s;
  plat_defaults(&s, 1);
  const uint8_t *p = data;
  size_t left = size;
  uint16_t nodes;
  uint8_t topo, flags;
  take(&p, &left, &nodes, sizeof nodes);
  take(&p, &left, &topo, 1);
  take(&p, &left, &flags, 1);
  s.nodes = nodes % 301u;
  s.topology = topo & 1 ? PLAT_RACKS : PLAT_FLAT;
  s.ports = flags & 1;
  /* Each field is taken only while input lasts, so short inputs keep the
   * defaults of the rest. */
  if (left) take(&p, &left, &s.rack_size, sizeof s.rack_size);
  double *dbl[] = {&s.bandwidth, &s.latency, &s.backbone_bandwidth, &s.backbone_latency,
                   &s.uplink_bandwidth, &s.top_bandwidth, &s.host_speed,
                   &s.straggler_fraction, &s.straggler_factor, &s.jitter};
  for (size_t i = 0; i < sizeof dbl / sizeof *dbl && left; i++) take(&p, &left, dbl[i], sizeof(double));
  if (left) take(&p, &left, &s.seed, sizeof s.seed);

  char err[256] = "";
  int crc = plat_check(&s, err, sizeof err);
  char *xml = NULL;
  int rc = plat_build_xml(&s, &xml, err, sizeof err);
  FUZZ_CHECK(rc == 0 || rc == ST_EINVAL || rc == ST_ENOMEM);
  FUZZ_CHECK((crc == 0) == (rc == 0 || rc == ST_ENOMEM));
  if (rc != 0) {
    FUZZ_CHECK(err[0] != '\0');
    return 0;
  }
  FUZZ_CHECK(s.nodes >= 1);
  FUZZ_CHECK(count(xml, "<host id=\"node") == s.nodes);
  char last[32];
  snprintf(last, sizeof last, "<host id=\"node%u\"", (unsigned)(s.nodes - 1));
  FUZZ_CHECK(strstr(xml, last) != NULL);
  FUZZ_CHECK(strstr(xml, "nan") == NULL && strstr(xml, "inf") == NULL);
  FUZZ_CHECK(strstr(xml, "=\"-") == NULL);
  free(xml);
  return 0;
}
