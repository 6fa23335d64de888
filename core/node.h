/* node.h: everything one node runs: its client (if it is a client node),
 * its server shard (if it hosts one), and the dispatch of incoming frames to
 * them. Backends hand every received frame to node_on_frame and nothing else
 * touches the state machines' inputs. */
#ifndef NODE_H
#define NODE_H

#include "cl.h"
#include "rep.h"
#include "mpsched.h"
#include "srv.h"

typedef struct st_node {
  uint32_t id;
  st_config cfg;
  cl_client *client; /* NULL if this node runs no client */
  srv_shard *server; /* NULL if this node hosts no shard */
  rep_state *rep;    /* barriers and the end-of-run report (every node) */
  sched_agent *agent; /* the scheduler's worker side (client nodes) */
  sched_coord *sched; /* node 0 of a scheduled run: the coordinator (mpsched.h) */
  comm_bucket bucket; /* a client and a shard on one node share its budget */
} st_node;

/* Creates the roles node `id` plays in cfg. be is borrowed. NULL on failure. */
st_node *node_create(const st_config *cfg, const tbl_set *tables, uint32_t id,
                     const st_backend *be);
void node_destroy(st_node *n);

/* Node 0 of a scheduled run: creates the coordinator (p, app copied; see
 * sched_coord_create). Other nodes need nothing: their agents exist. 0,
 * ST_EINVAL (p or app do not fit), ST_ESTATE (already attached) or
 * ST_ENOMEM. Call before the first frame. */
int node_attach_sched(st_node *n, const sched_params *p, const sched_app *app,
                      const st_backend *be);

/* Decodes frame[0..len) from the transport and feeds it to the right role.
 * Returns 0 or the decode/role error; a bad frame changes no state, and the
 * caller should drop the connection it came from. */
int node_on_frame(st_node *n, const uint8_t *frame, size_t len);

/* A timer armed through the backend fired: token (see tmr.h) goes to the
 * role it names, which ignores a late one. 0, or ST_ESTATE for a role this
 * node does not play, ST_EINVAL for a token of no role. */
int node_on_timer(st_node *n, uint64_t token);

#endif
