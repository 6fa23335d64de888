/* plat.c: see plat.h. */
#include "plat.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "st.h"

#define PLAT_MAX_NODES (1u << 20)

uint64_t plat_rng_next(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double plat_rng_unit(uint64_t *state) {
  return (double)(plat_rng_next(state) >> 11) * (1.0 / 9007199254740992.0);
}

void plat_defaults(plat_spec *s, uint32_t nodes) {
  memset(s, 0, sizeof *s);
  s->nodes = nodes;
  s->topology = PLAT_FLAT;
  s->rack_size = 32;
  s->bandwidth = 1e9 / 8;  /* 1 Gbps */
  s->latency = 50e-6;
  s->backbone_bandwidth = 10e9 / 8;
  s->backbone_latency = 1e-6;
  s->uplink_bandwidth = 10e9 / 8;
  s->top_bandwidth = 40e9 / 8;
  s->host_speed = PLAT_DEFAULT_HOST_SPEED;
  s->straggler_factor = 1.0;
  s->seed = 1;
}

static int fail(char *err, size_t errlen, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  return code;
}

uint32_t plat_racks(const plat_spec *s) {
  if (s->rack_size == 0) return 0;
  /* 64-bit: nodes + rack_size - 1 wraps in 32 bits for a huge rack size. */
  return (uint32_t)(((uint64_t)s->nodes + s->rack_size - 1) / s->rack_size);
}

static int positive(double v) { return isfinite(v) && v > 0; }

int plat_check(const plat_spec *s, char *err, size_t errlen) {
  if (s->nodes < 1 || s->nodes > PLAT_MAX_NODES)
    return fail(err, errlen, ST_EINVAL, "nodes: %u is not in 1..%u", (unsigned)s->nodes,
                PLAT_MAX_NODES);
  if (s->topology != PLAT_FLAT && s->topology != PLAT_RACKS)
    return fail(err, errlen, ST_EINVAL, "topology: unknown");
  if (s->ports && s->topology != PLAT_FLAT)
    return fail(err, errlen, ST_EINVAL, "switch ports need the flat topology");
  if (s->topology == PLAT_RACKS) {
    if (s->rack_size < 1 || s->rack_size > PLAT_MAX_NODES)
      return fail(err, errlen, ST_EINVAL, "rack size: %u is not in 1..%u", (unsigned)s->rack_size,
                  PLAT_MAX_NODES);
    /* Checked before anything is allocated: the platform spells out a
     * route for every ordered pair of racks. */
    uint64_t racks = plat_racks(s);
    if (racks > PLAT_MAX_RACKS)
      return fail(err, errlen, ST_EINVAL,
                  "racks: %u nodes in racks of %u make %llu racks, more than %u (the racks "
                  "platform has a route per pair of racks, so its size grows with the square "
                  "of their number): use larger racks or the flat topology",
                  (unsigned)s->nodes, (unsigned)s->rack_size, (unsigned long long)racks,
                  PLAT_MAX_RACKS);
  }
  if (!positive(s->bandwidth) || !positive(s->backbone_bandwidth) ||
      !positive(s->uplink_bandwidth) || !positive(s->top_bandwidth))
    return fail(err, errlen, ST_EINVAL, "bandwidths must be positive");
  if (!isfinite(s->latency) || s->latency < 0 || !isfinite(s->backbone_latency) ||
      s->backbone_latency < 0)
    return fail(err, errlen, ST_EINVAL, "latencies must be non-negative");
  if (!positive(s->host_speed)) return fail(err, errlen, ST_EINVAL, "host speed must be positive");
  if (!(s->straggler_fraction >= 0 && s->straggler_fraction <= 1))
    return fail(err, errlen, ST_EINVAL, "straggler fraction must be in 0..1");
  if (!(s->straggler_factor >= 1 && isfinite(s->straggler_factor)))
    return fail(err, errlen, ST_EINVAL, "straggler factor must be at least 1");
  if (!(s->jitter >= 0 && s->jitter < 1))
    return fail(err, errlen, ST_EINVAL, "jitter must be in [0, 1)");
  return 0;
}

void plat_speeds(const plat_spec *s, double *speeds) {
  uint32_t n = s->nodes;
  for (uint32_t i = 0; i < n; i++) speeds[i] = s->host_speed;
  /* Jitter and straggler choice use separate streams, so adding one does not
   * reshuffle the other. */
  if (s->jitter > 0) {
    uint64_t st = s->seed ^ 0x6a69747465720000ull; /* "jitter" */
    for (uint32_t i = 0; i < n; i++)
      speeds[i] *= 1.0 + s->jitter * (2.0 * plat_rng_unit(&st) - 1.0);
  }
  uint32_t k = (uint32_t)llround(s->straggler_fraction * n);
  if (k == 0 || s->straggler_factor == 1.0) return;
  /* Partial Fisher-Yates: the first k of a seeded permutation are slow. */
  uint32_t *perm = malloc((size_t)n * sizeof *perm);
  uint64_t st = s->seed ^ 0x736c6f7700000000ull; /* "slow" */
  if (!perm) { /* fall back to a deterministic stride; still k hosts */
    for (uint32_t i = 0; i < k; i++) speeds[(uint64_t)i * n / k] /= s->straggler_factor;
    return;
  }
  for (uint32_t i = 0; i < n; i++) perm[i] = i;
  for (uint32_t i = 0; i < k; i++) {
    uint32_t j = i + (uint32_t)(plat_rng_next(&st) % (n - i));
    uint32_t t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
    speeds[perm[i]] /= s->straggler_factor;
  }
  free(perm);
}

/* Growable text; ok drops to 0 on allocation failure. */
typedef struct plat_text {
  char *p;
  size_t len, cap;
  int ok;
} plat_text;

static void put(plat_text *t, const char *fmt, ...) {
  if (!t->ok) return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
      t->ok = 0;
      return;
    }
    if ((size_t)n < t->cap - t->len) {
      t->len += (size_t)n;
      return;
    }
    size_t cap = (t->cap + (size_t)n + 1) * 2;
    char *p = realloc(t->p, cap);
    if (!p) {
      t->ok = 0;
      return;
    }
    t->p = p;
    t->cap = cap;
  }
}

static void put_host(plat_text *t, uint32_t i, double speed, const plat_spec *s) {
  put(t,
      "    <host id=\"node%u\" speed=\"%.17gf\"/>\n"
      "    <link id=\"link%u\" bandwidth=\"%.17gBps\" latency=\"%.17gs\" "
      "sharing_policy=\"SPLITDUPLEX\"/>\n"
      "    <host_link id=\"node%u\" up=\"link%u_UP\" down=\"link%u_DOWN\"/>\n",
      i, speed, i, s->bandwidth, s->latency, i, i, i);
}

int plat_build_xml(const plat_spec *s, char **xml, char *err, size_t errlen) {
  int rc = plat_check(s, err, errlen);
  if (rc) return rc;
  double *speeds = malloc((size_t)s->nodes * sizeof *speeds);
  plat_text t = {malloc(4096), 0, 4096, 1};
  if (!speeds || !t.p) {
    free(speeds);
    free(t.p);
    return fail(err, errlen, ST_ENOMEM, "out of memory building the platform");
  }
  plat_speeds(s, speeds);
  put(&t,
      "<?xml version='1.0'?>\n"
      "<!DOCTYPE platform SYSTEM \"https://simgrid.org/simgrid.dtd\">\n"
      "<platform version=\"4.1\">\n");
  if (s->topology == PLAT_FLAT && s->ports) {
    /* Switch model: node i sends to its own switch port, port<i>, over its
     * link; the port's link only carries node i's traffic, so flows of
     * different senders never share a constraint. SHARED, not FATPIPE:
     * SimGrid recomputes a fat pipe's usage over all its flows on every
     * change; the backbone bandwidth is above the host link's, so it never
     * binds. */
    put(&t, "  <zone id=\"world\" routing=\"Cluster\">\n    <router id=\"world_router\"/>\n");
    plat_spec nolat = *s; /* the simulator adds the latency at the port */
    nolat.latency = 0;
    for (uint32_t i = 0; i < s->nodes; i++) {
      put_host(&t, i, speeds[i], &nolat);
      put(&t,
          "    <host id=\"port%u\" speed=\"1f\"/>\n"
          "    <link id=\"portlink%u\" bandwidth=\"%.17gBps\" latency=\"0s\"/>\n"
          "    <host_link id=\"port%u\" up=\"portlink%u\" down=\"portlink%u\"/>\n",
          i, i, s->backbone_bandwidth, i, i, i);
    }
    put(&t, "  </zone>\n");
  } else if (s->topology == PLAT_FLAT) {
    put(&t, "  <zone id=\"world\" routing=\"Cluster\">\n    <router id=\"world_router\"/>\n");
    for (uint32_t i = 0; i < s->nodes; i++) put_host(&t, i, speeds[i], s);
    put(&t, "    <backbone id=\"backbone\" bandwidth=\"%.17gBps\" latency=\"%.17gs\"/>\n  </zone>\n",
        s->backbone_bandwidth, s->backbone_latency);
  } else {
    uint32_t racks = plat_racks(s);
    put(&t, "  <zone id=\"world\" routing=\"Full\">\n");
    for (uint32_t r = 0; r < racks; r++) {
      put(&t, "   <zone id=\"rack%u\" routing=\"Cluster\">\n    <router id=\"rack%u_router\"/>\n", r,
          r);
      uint64_t first = (uint64_t)r * s->rack_size, end = first + s->rack_size;
      if (end > s->nodes) end = s->nodes;
      for (uint64_t i = first; i < end; i++) put_host(&t, (uint32_t)i, speeds[i], s);
      put(&t,
          "    <backbone id=\"rack%u_backbone\" bandwidth=\"%.17gBps\" latency=\"%.17gs\"/>\n"
          "   </zone>\n",
          r, s->backbone_bandwidth, s->backbone_latency);
    }
    for (uint32_t r = 0; r < racks; r++)
      put(&t,
          "    <link id=\"uplink%u\" bandwidth=\"%.17gBps\" latency=\"%.17gs\" "
          "sharing_policy=\"SPLITDUPLEX\"/>\n",
          r, s->uplink_bandwidth, s->backbone_latency);
    put(&t, "    <link id=\"top\" bandwidth=\"%.17gBps\" latency=\"%.17gs\"/>\n", s->top_bandwidth,
        s->backbone_latency);
    /* Both directions spelled out: up the source rack, across, down. */
    for (uint32_t a = 0; a < racks; a++)
      for (uint32_t b = 0; b < racks; b++)
        if (a != b)
          put(&t,
              "    <zoneRoute src=\"rack%u\" dst=\"rack%u\" gw_src=\"rack%u_router\" "
              "gw_dst=\"rack%u_router\" symmetrical=\"NO\"><link_ctn id=\"uplink%u_UP\"/>"
              "<link_ctn id=\"top\"/><link_ctn id=\"uplink%u_DOWN\"/></zoneRoute>\n",
              a, b, a, b, a, b);
    put(&t, "  </zone>\n");
  }
  put(&t, "</platform>\n");
  free(speeds);
  if (!t.ok) {
    free(t.p);
    return fail(err, errlen, ST_ENOMEM, "out of memory building the platform");
  }
  *xml = t.p;
  return 0;
}

typedef struct plat_unit {
  const char *name;
  double scale;
} plat_unit;

static const plat_unit bandwidth_units[] = {
    {"bps", 1.0 / 8},      {"kbps", 1e3 / 8},     {"Kbps", 1e3 / 8},
    {"Mbps", 1e6 / 8},     {"Gbps", 1e9 / 8},     {"Tbps", 1e12 / 8},
    {"Kibps", 1024.0 / 8}, {"Mibps", 1048576.0 / 8}, {"Gibps", 1073741824.0 / 8},
    {"Tibps", 1099511627776.0 / 8},
    {"Bps", 1},            {"kBps", 1e3},         {"KBps", 1e3},
    {"MBps", 1e6},         {"GBps", 1e9},         {"TBps", 1e12},
    {"KiBps", 1024.0},     {"MiBps", 1048576.0},  {"GiBps", 1073741824.0},
    {"TiBps", 1099511627776.0},
    {NULL, 0}};
static const plat_unit latency_units[] = {{"s", 1},     {"ms", 1e-3}, {"us", 1e-6},
                                          {"ns", 1e-9}, {"ps", 1e-12}, {NULL, 0}};
static const plat_unit speed_units[] = {{"f", 1},     {"kf", 1e3},  {"Kf", 1e3}, {"Mf", 1e6},
                                        {"Gf", 1e9},  {"Tf", 1e12}, {"Pf", 1e15}, {NULL, 0}};

static int parse_unit(const char *flag, const char *s, const plat_unit *units, const char *example,
                      double *out, char *err, size_t errlen) {
  if (!*s || !((*s >= '0' && *s <= '9') || *s == '.'))
    return fail(err, errlen, ST_EPARSE, "%s: bad value '%s' (expected a number and a unit, e.g. %s)",
                flag, s, example);
  /* Decimal only: strtod also reads hexadecimal ("0x10Gbps" would be 16
   * Gbps), which is no spelling of SimGrid's. */
  const char *num = s;
  while ((*num >= '0' && *num <= '9') || *num == '.') num++;
  if ((*num == 'e' || *num == 'E') && (num[1] == '+' || num[1] == '-' ||
                                        (num[1] >= '0' && num[1] <= '9'))) {
    num += num[1] == '+' || num[1] == '-' ? 2 : 1;
    while (*num >= '0' && *num <= '9') num++;
  }
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end != num)
    return fail(err, errlen, ST_EPARSE,
                "%s: bad value '%s' (expected a decimal number and a unit, e.g. %s)", flag, s,
                example);
  if (errno == ERANGE || !isfinite(v))
    return fail(err, errlen, ST_EPARSE, "%s: bad value '%s' (out of range)", flag, s);
  if (!*end)
    return fail(err, errlen, ST_EPARSE, "%s: bad value '%s' (missing unit, e.g. %s)", flag, s,
                example);
  for (const plat_unit *u = units; u->name; u++)
    if (!strcmp(end, u->name)) {
      double scaled = v * u->scale;
      if (!isfinite(scaled))
        return fail(err, errlen, ST_EPARSE,
                    "%s: bad value '%s' (overflows: more than %g in %s)", flag, s,
                    DBL_MAX / u->scale, u->name);
      *out = scaled;
      return 0;
    }
  return fail(err, errlen, ST_EPARSE, "%s: bad value '%s' (unknown unit '%s', e.g. %s)", flag, s,
              end, example);
}

int plat_parse_bandwidth(const char *flag, const char *s, double *out, char *err, size_t errlen) {
  double v = 0;
  int rc = parse_unit(flag, s, bandwidth_units, "1Gbps or 125MBps", &v, err, errlen);
  if (!rc && v <= 0)
    return fail(err, errlen, ST_EPARSE, "%s: bad value '%s' (must be positive)", flag, s);
  if (!rc) *out = v;
  return rc;
}

int plat_parse_latency(const char *flag, const char *s, double *out, char *err, size_t errlen) {
  return parse_unit(flag, s, latency_units, "50us", out, err, errlen);
}

int plat_parse_speed(const char *flag, const char *s, double *out, char *err, size_t errlen) {
  double v = 0;
  int rc = parse_unit(flag, s, speed_units, "1Gf", &v, err, errlen);
  if (!rc && v <= 0)
    return fail(err, errlen, ST_EPARSE, "%s: bad value '%s' (must be positive)", flag, s);
  if (!rc) *out = v;
  return rc;
}

int plat_parse_stragglers(const char *flag, const char *s, double *fraction, double *factor,
                          char *err, size_t errlen) {
  char *end;
  const char *why = "expected FRACTIONxFACTOR, e.g. 0.1x4";
  if (!((*s >= '0' && *s <= '9') || *s == '.')) goto bad;
  errno = 0;
  double f = strtod(s, &end);
  if (end == s || *end != 'x' || errno) goto bad;
  const char *q = end + 1;
  if (!((*q >= '0' && *q <= '9') || *q == '.')) goto bad;
  double k = strtod(q, &end);
  if (end == q || *end || errno) goto bad;
  if (!(f >= 0 && f <= 1)) {
    why = "fraction must be in 0..1";
    goto bad;
  }
  if (!(k >= 1 && isfinite(k))) {
    why = "factor must be at least 1";
    goto bad;
  }
  *fraction = f;
  *factor = k;
  return 0;
bad:
  return fail(err, errlen, ST_EPARSE, "%s: bad value '%s' (%s)", flag, s, why);
}

int plat_parse_topology(const char *flag, const char *s, plat_topology *out, char *err,
                        size_t errlen) {
  if (!strcmp(s, "flat")) *out = PLAT_FLAT;
  else if (!strcmp(s, "racks")) *out = PLAT_RACKS;
  else
    return fail(err, errlen, ST_EPARSE, "%s: bad value '%s' (expected flat or racks)", flag, s);
  return 0;
}

const char *plat_topology_name(plat_topology t) { return t == PLAT_RACKS ? "racks" : "flat"; }
