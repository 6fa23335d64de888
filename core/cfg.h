/* cfg.h: the shape of a cluster as every node sees it: how many clients
 * (each with its workers) and server shards, which node hosts each, and the
 * consistency knobs. Client i runs on node i; shard j runs on node
 * server_base + j (server_base 0 colocates shards with the first clients). */
#ifndef CFG_H
#define CFG_H

#include "st.h"
#include "tbl.h"

typedef struct st_config {
  uint32_t nclients;
  uint32_t nservers;
  uint32_t workers_per_client;
  uint32_t server_base;
  uint32_t staleness; /* ST_STALENESS_INF for asynchronous */
  uint8_t push;       /* servers push changed rows when the min clock advances */
  uint8_t ordered;    /* servers apply a clock's updates only once every client
                         has sent them, in client order: sums then do not depend
                         on arrival order (same result on every backend) */
  size_t max_frame;   /* 0: WIRE_MAX_FRAME */
  uint32_t report_table; /* rows each shard reports at a barrier (rep.h); 0: the metrics table */
  /* Managed communication (comm.h): what a node sends between clocks and
   * how fast. Zero (COMM_NONE) sends at clocks only, as without it. */
  uint8_t comm_policy;  /* COMM_*: how buffered changes are ranked */
  double comm_budget;   /* bytes/s each node may spend on early sends */
  double comm_interval; /* seconds between pacing ticks; 0: COMM_DEFAULT_INTERVAL */
} st_config;

/* ST_EINVAL unless counts are non-zero, node ids fit in 32 bits, and the
 * comm knobs make sense (a known policy; with one other than none, a
 * positive finite budget; a non-negative finite interval). */
int cfg_check(const st_config *cfg);
static inline uint32_t cfg_server_node(const st_config *c, uint32_t shard) {
  return c->server_base + shard;
}
static inline uint32_t cfg_client_node(const st_config *c, uint32_t client) {
  (void)c;
  return client;
}
/* ST_ETOOBIG if some row of tables cannot fit one frame of cfg's size. */
int cfg_check_tables(const st_config *cfg, const tbl_set *tables);
/* Seconds between pacing ticks. */
double cfg_comm_interval(const st_config *cfg);
/* Bytes a pacing bucket may hold: four intervals' budget plus `copies`
 * frames of the largest row (a shard pushes a row to each of its
 * subscribers at once), so that every candidate can go early sometime. */
double cfg_comm_burst(const st_config *cfg, const tbl_set *tables, uint32_t copies);
/* Number of nodes the cluster spans. */
uint32_t cfg_nodes(const st_config *cfg);
/* Parses "inf" or a non-negative decimal into *out: 0 or ST_EPARSE. */
int cfg_parse_staleness(const char *s, uint32_t *out);

#endif
