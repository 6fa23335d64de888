/* rt_live.c: liveness and the end: the tick that drops stalled handshakes,
 * retries and times out the mesh, pings idle peers and declares silent ones
 * lost; shutdown and its drain deadline. */
#include "rt_net_int.h"

void net_on_tick(uv_timer_t *t) {
  rt_net *n = t->data;
  double now = now_s();
  if (n->closing) {
    if (now > n->drain_deadline)
      for (rt_conn *c = n->conns; c; c = c->next)
        net_conn_close(c);
    return;
  }
  if (n->failed)
    return;
  net_refused_summary(n, 0);
  /* Handshakes that stall are dropped so they cannot hold slots. */
  for (rt_conn *c = n->conns; c; c = c->next)
    if (c->state == C_HANDSHAKE && now > c->deadline)
      net_reject(c, "handshake not completed within %.0f s", HANDSHAKE_SECONDS);
  if (!n->ready) {
    if (now - n->start > n->o.connect_timeout) {
      uint32_t missing = RT_NO_PEER;
      for (uint32_t i = 0; i < n->o.size && missing == RT_NO_PEER; i++)
        if (i != n->o.rank && !n->peers[i].conn)
          missing = i;
      char msg[400];
      const rt_peer *mp = missing != RT_NO_PEER ? &n->peers[missing] : NULL;
      if (mp && mp->have_addr && mp->tries)
        snprintf(msg, sizeof msg, "rank %u (%s:%u) not reached within %.0f s: %u attempts, the last: %s",
                 missing, mp->addr.host, mp->addr.port, n->o.connect_timeout, mp->tries, mp->why);
      else if (mp && mp->have_addr)
        snprintf(msg, sizeof msg, "rank %u (%s:%u) not reached within %.0f s", missing,
                 mp->addr.host, mp->addr.port, n->o.connect_timeout);
      else
        snprintf(msg, sizeof msg, "rank %u did not join within %.0f s", missing,
                 n->o.connect_timeout);
      rt_net_fail(n, missing, msg);
      return;
    }
    uint32_t upto = n->have_table ? n->o.rank : (n->o.rank > 0 ? 1 : 0);
    for (uint32_t i = 0; i < upto; i++)
      if (!n->peers[i].conn && !n->peers[i].connecting && now >= n->peers[i].next_try)
        net_start_connect(n, i);
  }
  for (uint32_t i = 0; i < n->o.size; i++) {
    rt_peer *p = &n->peers[i];
    if (i == n->o.rank || !p->conn || p->conn->state != C_READY || p->bye_recv)
      continue;
    if (n->o.peer_timeout > 0 && now - p->last_recv > n->o.peer_timeout) {
      char why[100];
      snprintf(why, sizeof why, "nothing received for %.1f s", now - p->last_recv);
      net_peer_lost(n, i, why);
      return;
    }
    if (p->direct_fd < 0) /* the loop thread's own field: no lock to read */
      net_direct_update(p->conn);
    /* A peer hears from us at least four times per silence timeout, so a
     * short timeout does not fail a healthy but idle link. */
    double ping = PING_SECONDS;
    if (n->o.peer_timeout > 0 && n->o.peer_timeout / 4 < ping)
      ping = n->o.peer_timeout / 4;
    if (now - p->last_send > ping) {
      p->last_send = now;
      net_send_ctrl_any(n, i, RT_CTRL_PING, NULL, 0);
    }
  }
}

static void net_on_shutdown(uv_shutdown_t *req, int status) {
  rt_conn *c = req->data;
  if (status < 0)
    net_conn_close(c);
}

void rt_net_shutdown(rt_net *n) {
  pthread_mutex_lock(&n->qlock);
  int again = n->closing, failed = n->failed;
  n->closing = 1;
  pthread_cond_broadcast(&n->room);
  pthread_mutex_unlock(&n->qlock);
  if (again)
    return;
  net_refused_summary(n, 1);
  n->drain_deadline = now_s() + (failed ? FAILED_DRAIN_SECONDS : DRAIN_SECONDS);
  /* Authenticated connections are half-closed after what was written (BYE
   * or ABORT); the rest are dropped. */
  for (rt_conn *c = n->conns; c; c = c->next) {
    if (c->state == C_READY) {
      c->sreq.data = c;
      net_direct_off(c);
      c->state = C_DRAINING;
      if (c->peer != RT_NO_PEER && n->peers[c->peer].conn == c)
        n->peers[c->peer].conn = NULL;
      if (uv_shutdown(&c->sreq, (uv_stream_t *)&c->tcp, net_on_shutdown) != 0)
        net_conn_close(c);
    } else {
      net_conn_close(c);
    }
  }
  if (!n->conns)
    net_close_handles(n);
  else if (n->listening) {
    /* Stop accepting; keep the tick to enforce the drain deadline. */
    uv_close((uv_handle_t *)&n->listener, NULL);
    n->listening = 0;
  }
}
