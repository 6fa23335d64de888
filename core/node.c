#include "node.h"

#include <stdlib.h>

st_node *node_create(const st_config *cfg, const tbl_set *tables, uint32_t id,
                     const st_backend *be) {
  if (cfg_check(cfg) || id >= cfg_nodes(cfg)) return NULL;
  st_node *n = st_calloc(1, sizeof *n);
  if (!n) return NULL;
  n->id = id;
  n->cfg = *cfg;
  if (id < cfg->nclients && !(n->client = cl_create(cfg, tables, id, be))) goto fail;
  if (id >= cfg->server_base && id - cfg->server_base < cfg->nservers &&
      !(n->server = srv_create(cfg, tables, id - cfg->server_base, be)))
    goto fail;
  if (!(n->rep = rep_create(cfg, tables, id, be))) goto fail;
  if (id < cfg->nclients && !(n->agent = sched_agent_create(cfg, id, be))) goto fail;
  if (n->client && n->server) {
    /* One budget per node: its client's early sends and its shard's early
     * pushes draw on the same bucket. */
    comm_bucket_init(&n->bucket, cfg->comm_budget, cfg_comm_burst(cfg, tables, cfg->nclients),
                     be->ops->now(be->ctx));
    cl_set_bucket(n->client, &n->bucket);
    srv_set_bucket(n->server, &n->bucket);
  }
  return n;
fail:
  node_destroy(n);
  return NULL;
}

void node_destroy(st_node *n) {
  if (!n) return;
  cl_destroy(n->client);
  srv_destroy(n->server);
  rep_destroy(n->rep);
  sched_coord_destroy(n->sched);
  sched_agent_destroy(n->agent);
  st_free(n);
}

int node_attach_sched(st_node *n, const sched_params *p, const sched_app *app,
                      const st_backend *be) {
  if (n->id != 0) return 0;
  if (n->sched) return ST_ESTATE;
  if (!p || !app || p->kind == SCHED_NONE || !n->agent) return ST_EINVAL;
  n->sched = sched_coord_create(&n->cfg, p, app, be, n->agent);
  if (!n->sched) return ST_EINVAL;
  sched_agent_set_local(n->agent, n->sched);
  return 0;
}

int node_on_frame(st_node *n, const uint8_t *frame, size_t len) {
  wire_msg m;
  int rc = wire_decode(frame, len, n->cfg.max_frame ? n->cfg.max_frame : WIRE_MAX_FRAME, &m);
  if (rc) return rc;
  if (m.hdr.dst != n->id) return ST_EPEER;
  switch (m.hdr.type) {
  case WIRE_UPDATE:
  case WIRE_CLOCK:
  case WIRE_READ:
    return n->server ? srv_on_message(n->server, &m) : ST_EPEER;
  case WIRE_ROWS:
    return n->client ? cl_on_message(n->client, &m) : ST_EPEER;
  case WIRE_TASK:
    return n->agent ? sched_agent_on_message(n->agent, &m) : ST_EPEER;
  case WIRE_RESULT:
    return n->sched ? sched_coord_on_message(n->sched, &m) : ST_EPEER;
  case WIRE_REPORT:
  case WIRE_RELEASE:
    return rep_on_message(n->rep, &m);
  default:
    return ST_ETYPE;
  }
}

int node_on_timer(st_node *n, uint64_t token) {
  /* A token of a role this node does not play, or of no role, was never
   * armed here: a backend bug worth reporting. */
  switch (tmr_token_role(token)) {
  case TMR_ROLE_CLIENT:
    return n->client ? cl_on_timer(n->client, token) : ST_ESTATE;
  case TMR_ROLE_SERVER:
    return n->server ? srv_on_timer(n->server, token) : ST_ESTATE;
  default:
    return ST_EINVAL;
  }
}
