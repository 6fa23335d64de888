/* cfg.c: validation of a cluster shape and parsing of its knobs. */
#include "cfg.h"

#include <math.h>

#include "comm.h"
#include "wire.h"

int cfg_check(const st_config *cfg) {
  if (cfg->nclients == 0 || cfg->nservers == 0 || cfg->workers_per_client == 0) return ST_EINVAL;
  /* Node ids are u32: the last shard's node, server_base + nservers - 1,
   * and the node count must both be representable. */
  if ((uint64_t)cfg->server_base + cfg->nservers > UINT32_MAX) return ST_EINVAL;
  if (cfg->comm_policy >= COMM_NPOLICIES) return ST_EINVAL;
  if (!(cfg->comm_interval >= 0) || !isfinite(cfg->comm_interval)) return ST_EINVAL;
  if (cfg->comm_policy != COMM_NONE && (!(cfg->comm_budget > 0) || !isfinite(cfg->comm_budget)))
    return ST_EINVAL;
  return 0;
}

double cfg_comm_interval(const st_config *cfg) {
  return cfg->comm_interval > 0 ? cfg->comm_interval : COMM_DEFAULT_INTERVAL;
}

double cfg_comm_burst(const st_config *cfg, const tbl_set *tables, uint32_t copies) {
  double row = 0;
  for (uint32_t i = 0; i < tables->n; i++) {
    const tbl_def *d = &tables->defs[i];
    double r = (WIRE_HEADER_SIZE + 4 + 13 + (d->sparse ? 8.0 : 4.0) * d->width) * copies;
    if (r > row) row = r;
  }
  /* Four intervals' worth: a tick that fires late (a busy real loop) still
   * earns its due; a row's frame on top: what a tick cannot spend because
   * the next row does not fit is kept. */
  return 4 * cfg->comm_budget * cfg_comm_interval(cfg) + row;
}

uint32_t cfg_nodes(const st_config *cfg) {
  uint64_t servers_end = (uint64_t)cfg->server_base + cfg->nservers;
  uint64_t n = servers_end > cfg->nclients ? servers_end : cfg->nclients;
  /* Only reachable for configs cfg_check rejects; saturate rather than wrap. */
  return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

int cfg_parse_staleness(const char *s, uint32_t *out) {
  if (s == NULL || *s == '\0') return ST_EPARSE;
  if (s[0] == 'i' && s[1] == 'n' && s[2] == 'f' && s[3] == '\0') {
    *out = ST_STALENESS_INF;
    return 0;
  }
  /* Hand-rolled instead of strtoul, which accepts signs, spaces and wraps. */
  uint64_t v = 0;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9') return ST_EPARSE;
    v = v * 10 + (uint64_t)(*p - '0');
    /* UINT32_MAX itself means "inf", so finite bounds stop one below it. */
    if (v >= ST_STALENESS_INF) return ST_EPARSE;
  }
  *out = (uint32_t)v;
  return 0;
}

int cfg_check_tables(const st_config *cfg, const tbl_set *tables) {
  size_t limit = cfg->max_frame ? cfg->max_frame : WIRE_MAX_FRAME;
  for (uint32_t i = 0; i < tables->n; i++) {
    /* The largest record of a row: sparse with every column set. */
    size_t row = 13 + 8 * (size_t)tables->defs[i].width;
    if (WIRE_HEADER_SIZE + 4 + row > limit) return ST_ETOOBIG;
  }
  return 0;
}
