/* rt_rdv.c: rendezvous and the transport's control messages: the
 * coordinator's address table that forms the mesh, BYE (the orderly end),
 * ABORT (a lost peer stops everyone) and PING. */
#include "rt_net_int.h"

void net_check_ready(rt_net *n) {
  if (n->ready || !n->have_table)
    return;
  for (uint32_t i = 0; i < n->o.size; i++)
    if (i != n->o.rank && !(n->peers[i].conn && n->peers[i].conn->state == C_READY))
      return;
  n->ready = 1;
  if (n->h.on_ready)
    n->h.on_ready(n->h.ud);
  uv_async_send(&n->wake);
}

/* Coordinator: once every rank has checked in, tell each where the others
 * listen, so the rest of the mesh can form. */
void net_maybe_send_table(rt_net *n) {
  if (n->o.peers || n->o.rank != 0 || n->table_sent)
    return;
  for (uint32_t i = 1; i < n->o.size; i++)
    if (!n->peers[i].conn || n->peers[i].conn->state != C_READY)
      return;
  size_t len = 4 + (size_t)n->o.size * TABLE_ENTRY;
  uint8_t *t = calloc(1, len);
  if (!t) {
    rt_net_fail(n, RT_NO_PEER, "out of memory building the address table");
    return;
  }
  put32(t, n->o.size);
  for (uint32_t i = 0; i < n->o.size; i++) {
    uint8_t *e = t + 4 + (size_t)i * TABLE_ENTRY;
    const rt_addr *a = i == 0 ? &n->o.listen : &n->peers[i].addr;
    memcpy(e, a->host, strnlen(a->host, RT_HOST_MAX - 1));
    put32(e + RT_HOST_MAX, i == 0 ? n->port : a->port);
  }
  n->table_sent = 1;
  n->have_table = 1;
  for (uint32_t i = 1; i < n->o.size; i++)
    net_send_ctrl_any(n, i, RT_CTRL_TABLE, t, len);
  free(t);
  net_check_ready(n);
}

static void net_handle_table(rt_conn *c, const uint8_t *p, size_t len) {
  rt_net *n = c->net;
  if (c->peer != 0 || n->o.peers || n->have_table) {
    net_reject(c, "unexpected address table");
    return;
  }
  if (len < 4 || get32(p) != n->o.size || len != 4 + (size_t)n->o.size * TABLE_ENTRY) {
    net_reject(c, "malformed address table (%zu bytes)", len);
    return;
  }
  for (uint32_t i = 1; i < n->o.size; i++) {
    const uint8_t *e = p + 4 + (size_t)i * TABLE_ENTRY;
    uint32_t port = get32(e + RT_HOST_MAX);
    if (e[RT_HOST_MAX - 1] != '\0' || port > 65535) {
      net_reject(c, "malformed address table entry for rank %u", i);
      return;
    }
    memcpy(n->peers[i].addr.host, e, RT_HOST_MAX);
    n->peers[i].addr.port = (uint16_t)port;
    n->peers[i].have_addr = 1;
  }
  n->have_table = 1;
  for (uint32_t i = 1; i < n->o.rank; i++)
    net_start_connect(n, i);
  net_check_ready(n);
}

void net_handle_ctrl(rt_conn *c, uint32_t type, const uint8_t *p, size_t len) {
  rt_net *n = c->net;
  switch (type) {
  case RT_CTRL_TABLE:
    net_handle_table(c, p, len);
    return;
  case RT_CTRL_BYE:
    n->peers[c->peer].bye_recv = 1;
    net_check_done(n);
    return;
  case RT_CTRL_ABORT: {
    uint32_t lost = len == 4 ? get32(p) : RT_NO_PEER;
    char msg[640], name[320];
    if (lost < n->o.size) {
      net_peer_name(n, lost, name, sizeof name);
      snprintf(msg, sizeof msg, "lost peer %s: reported by rank %u", name, c->peer);
    } else
      snprintf(msg, sizeof msg, "rank %u (%s) aborted the run", c->peer, c->addr);
    n->peers[c->peer].bye_recv = 1; /* its coming EOF is expected now */
    rt_net_fail(n, lost < n->o.size ? lost : c->peer, msg);
    return;
  }
  case RT_CTRL_PING:
    return;
  default:
    if (type < RT_CTRL_USER) {
      net_reject(c, "unknown control type %u", type);
      return;
    }
    if (n->h.on_ctrl)
      n->h.on_ctrl(n->h.ud, c->peer, type, p, len);
  }
}

void rt_net_bye(rt_net *n) {
  pthread_mutex_lock(&n->qlock);
  int already = n->bye_started;
  n->bye_started = 1;
  pthread_mutex_unlock(&n->qlock);
  if (already)
    return;
  for (uint32_t i = 0; i < n->o.size; i++)
    if (i != n->o.rank)
      net_send_ctrl_any(n, i, RT_CTRL_BYE, NULL, 0);
  /* Only now may the loop find itself done: set before the BYEs were
   * queued, it could close (every peer's BYE in, nothing queued) without
   * sending ours, and the peers would see a lost rank. A world of one has
   * nobody to wait for. */
  pthread_mutex_lock(&n->qlock);
  n->bye_sent = 1;
  if (!n->closing)
    uv_async_send(&n->wake);
  pthread_mutex_unlock(&n->qlock);
}

void net_broadcast_abort(rt_net *n, uint32_t lost) {
  uint8_t p[4];
  put32(p, lost);
  pthread_mutex_lock(&n->sendlock); /* no frame is half written meanwhile */
  for (uint32_t i = 0; i < n->o.size; i++) {
    rt_conn *c = n->peers[i].conn;
    if (!c || c->state != C_READY)
      continue;
    /* A frame whose start went out directly must be finished first, or the
     * peer would read the ABORT as its rest; it is the head of the queue,
     * which net_flush_peer no longer sends once the run has failed. If that
     * rest was lost (torn), the peer learns of the failure from the closed
     * connection instead. */
    pthread_mutex_lock(&n->qlock);
    rt_peer *peer = &n->peers[i];
    int torn = peer->torn;
    rt_out *rest = NULL;
    if (!torn && peer->head && peer->head->rest) {
      rest = peer->head;
      peer->head = rest->next;
      if (!peer->head)
        peer->tail = NULL;
      peer->queued -= rest->len;
    }
    pthread_mutex_unlock(&n->qlock);
    if (torn || (rest && net_write_raw(c, rest) != 0))
      continue;
    rt_out *o = net_ctrl_frame(RT_CTRL_ABORT, p, 4);
    if (o)
      net_write_raw(c, o);
  }
  pthread_mutex_unlock(&n->sendlock);
}

void net_check_done(rt_net *n) {
  if (n->done || !n->ready)
    return;
  pthread_mutex_lock(&n->qlock);
  int ok = n->bye_sent && !n->failed && !n->closing;
  for (uint32_t i = 0; ok && i < n->o.size; i++)
    if (i != n->o.rank && (!n->peers[i].bye_recv || n->peers[i].queued))
      ok = 0;
  if (ok && n->peers[n->o.rank].queued)
    ok = 0;
  pthread_mutex_unlock(&n->qlock);
  if (!ok)
    return;
  n->done = 1;
  if (n->h.on_done)
    n->h.on_done(n->h.ud);
}
