/* rt_mesh.c: the mesh's connections: accepting and dialling, the
 * handshake (rt_hs) on each, framed reads, closing and refusing. */
#include "rt_net_int.h"

void net_close_handles(rt_net *n) {
  if (!n->handles_open)
    return;
  if (n->listening)
    uv_close((uv_handle_t *)&n->listener, NULL);
  n->listening = 0;
  uv_close((uv_handle_t *)&n->tick, NULL);
  uv_close((uv_handle_t *)&n->wake, NULL);
  n->handles_open = 0;
}

static void net_conn_close_cb(uv_handle_t *h) {
  rt_conn *c = h->data;
  rt_net *n = c->net;
  rt_conn **pp = &n->conns;
  while (*pp && *pp != c)
    pp = &(*pp)->next;
  if (*pp)
    *pp = c->next;
  free(c->rbuf);
  free(c);
  if (n->closing && !n->conns)
    net_close_handles(n);
}

/* Loop thread: lets senders write to c's socket directly if c is its
 * peer's ready connection and libuv holds nothing unwritten for it. */
void net_direct_update(rt_conn *c) {
  rt_net *n = c->net;
  if (c->peer == RT_NO_PEER)
    return;
  rt_peer *p = &n->peers[c->peer];
  uv_os_fd_t fd;
  int ok = p->conn == c && c->state == C_READY &&
           uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) == 0 &&
           uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0;
  pthread_mutex_lock(&n->qlock);
  p->direct_fd = ok ? fd : -1;
  pthread_mutex_unlock(&n->qlock);
}

/* Loop thread: no more direct writes to c's socket (before it shuts down
 * or closes). */
void net_direct_off(rt_conn *c) {
  rt_net *n = c->net;
  if (c->peer == RT_NO_PEER)
    return;
  pthread_mutex_lock(&n->qlock);
  if (n->peers[c->peer].conn == c)
    n->peers[c->peer].direct_fd = -1;
  pthread_mutex_unlock(&n->qlock);
}

/* A dial of peer failed: retry later, backing off. Nothing is logged (a
 * peer not listening yet is how every start begins); the connect timeout's
 * one line gives the count and the last reason. */
void net_dial_failed(rt_net *n, uint32_t peer, const char *why) {
  rt_peer *p = &n->peers[peer];
  p->connecting = 0;
  p->tries++;
  p->backoff = p->backoff > 0 ? 2 * p->backoff : RETRY_SECONDS;
  if (p->backoff > RETRY_MAX)
    p->backoff = RETRY_MAX;
  p->next_try = now_s() + p->backoff;
  if (strcmp(why, "closed") != 0 || !p->why[0])
    snprintf(p->why, sizeof p->why, "%s", why);
}

void net_conn_close(rt_conn *c) {
  if (c->state == C_CLOSING)
    return;
  rt_net *n = c->net;
  net_direct_off(c);
  if (c->state != C_READY && c->state != C_CONNECTING && n->npending > 0)
    n->npending--;
  if (c->peer != RT_NO_PEER && n->peers[c->peer].conn == c)
    n->peers[c->peer].conn = NULL;
  if (c->peer != RT_NO_PEER && c->outbound && c->state != C_READY && n->peers[c->peer].connecting)
    net_dial_failed(n, c->peer, "closed");
  c->state = C_CLOSING;
  uv_close((uv_handle_t *)&c->tcp, net_conn_close_cb);
}

/* Closes c because of what it sent; an authenticated peer doing this is
 * lost to the run, an unauthenticated one is only refused. */
void net_reject(rt_conn *c, const char *fmt, ...) {
  char why[300];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  rt_net *n = c->net;
  int was_ready = c->state == C_READY, outbound = c->outbound && !was_ready;
  uint32_t peer = c->peer;
  if (peer != RT_NO_PEER)
    net_log(n, "closing connection %s rank %u (%s): %s", outbound ? "to" : "from", peer,
             c->addr, why);
  else
    net_log_refused(n, "refused connection from %s: %s", c->addr, why);
  net_conn_close(c);
  if (was_ready) {
    net_peer_lost(n, peer, why);
  } else if (outbound) {
    /* The rank we dialled does not speak our protocol or secret: no retry
     * will fix that. */
    char msg[640];
    snprintf(msg, sizeof msg, "rank %u (%s) failed the handshake: %s", peer, c->addr, why);
    rt_net_fail(n, peer, msg);
  }
}

static void net_became_ready(rt_conn *c) {
  rt_net *n = c->net;
  if (n->npending > 0)
    n->npending--;
  c->state = C_READY;
  rt_peer *p = &n->peers[c->peer];
  p->conn = c;
  p->connecting = 0;
  p->was_ready = 1;
  p->last_recv = p->last_send = now_s();
  net_direct_update(c); /* off if a handshake write is still in libuv's queue */
  net_maybe_send_table(n);
  net_check_ready(n);
  uv_async_send(&n->wake); /* flush anything queued for this peer */
}

/* Handshake step: feeds rt_hs and acts on what it says. Returns the bytes
 * consumed, 0 if more are needed, or -1 if the connection was closed. */
static size_t net_hs_step(rt_conn *c, const uint8_t *p, size_t have) {
  rt_net *n = c->net;
  uint8_t reply[RT_HS_REPLY_MAX];
  size_t used, rlen;
  char why[300];
  int r = rt_hs_feed(&c->hs, p, have, &used, reply, &rlen, why, sizeof why);
  if (r == RT_HS_MORE)
    return 0;
  if (r == RT_HS_REJECT) {
    if (!c->outbound)
      c->peer = c->hs.peer;
    net_reject(c, "%s", why);
    return (size_t)-1;
  }
  c->peer = c->hs.peer;
  /* One authenticated connection per pair: a second claim is refused
   * before anything is answered. */
  if (!c->outbound && n->peers[c->peer].conn) {
    net_reject(c, "rank %u is already connected", c->peer);
    return (size_t)-1;
  }
  if (rlen) {
    rt_out *o = malloc(sizeof *o + rlen);
    if (!o) {
      net_reject(c, "out of memory");
      return (size_t)-1;
    }
    o->len = rlen;
    memcpy(o->data, reply, rlen);
    net_write_raw(c, o);
  }
  if (r == RT_HS_AUTHENTICATED) {
    if (!c->outbound && !n->o.peers && n->o.rank == 0) {
      rt_addr a = c->hs.peer_listen;
      /* A rank listening on a wildcard is reachable where it came from. */
      if (!strcmp(a.host, "0.0.0.0") || !strcmp(a.host, "::") || a.host[0] == '\0') {
        const char *colon = strrchr(c->addr, ':');
        size_t hl = colon ? (size_t)(colon - c->addr) : strlen(c->addr);
        if (hl >= sizeof a.host)
          hl = sizeof a.host - 1;
        memcpy(a.host, c->addr, hl);
        a.host[hl] = '\0';
      }
      n->peers[c->peer].addr = a;
      n->peers[c->peer].have_addr = 1;
    }
    net_became_ready(c);
  }
  return used;
}

/* Parses whatever complete units the buffer holds. */
static void net_conn_process(rt_conn *c) {
  rt_net *n = c->net;
  while (c->state != C_CLOSING && !n->failed) {
    const uint8_t *p = c->rbuf + c->rpos;
    size_t have = c->rlen - c->rpos;
    if (c->state == C_DRAINING) {
      c->rpos = c->rlen; /* the run is over here: what still comes in is dropped */
      break;
    }
    if (c->state != C_READY) {
      size_t used = net_hs_step(c, p, have);
      if (used == (size_t)-1)
        return;
      if (used == 0)
        break;
      c->rpos += used;
      continue;
    }
    if (have < WIRE_HEADER_SIZE)
      break;
    uint32_t magic = get32(p);
    if (magic == WIRE_MAGIC) {
      wire_header h;
      int r = wire_peek_header(p, have, n->o.max_frame, &h);
      if (r < 0) {
        net_reject(c, "bad frame header: %s (payload length %u, limit %zu bytes)", st_strerror(r),
               get32(p + 28), n->o.max_frame);
        return;
      }
      if (h.src != c->peer) {
        net_reject(c, "frame claims to come from node %u", h.src);
        return;
      }
      size_t total = WIRE_HEADER_SIZE + (size_t)h.payload_len;
      if (have < total)
        break;
      c->rpos += total;
      if (n->h.on_frame)
        n->h.on_frame(n->h.ud, c->peer, p, total);
    } else if (magic == RT_CTRL_MAGIC) {
      uint32_t type = get32(p + 4), len = get32(p + 8);
      if (len > RT_CTRL_MAX) {
        net_reject(c, "control message of %u bytes exceeds the %u-byte limit", len, RT_CTRL_MAX);
        return;
      }
      if (have < CTRL_HDR + (size_t)len)
        break;
      c->rpos += CTRL_HDR + (size_t)len;
      net_handle_ctrl(c, type, p + CTRL_HDR, len);
    } else {
      net_reject(c, "bad frame magic 0x%08x", magic);
      return;
    }
  }
  if (c->state == C_CLOSING)
    return;
  /* Keep the unread tail at the front of the buffer. */
  if (c->rpos > 0) {
    memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
    c->rlen -= c->rpos;
    c->rpos = 0;
  }
}

static void net_on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  rt_conn *c = h->data;
  /* Grow to hold the frame being read (its length is known once the header
   * is in), never beyond max_frame plus one read chunk. */
  size_t want = c->rlen + READ_CHUNK;
  if (c->state == C_READY && c->rlen >= WIRE_HEADER_SIZE && get32(c->rbuf) == WIRE_MAGIC) {
    size_t total = WIRE_HEADER_SIZE + (size_t)get32(c->rbuf + 28);
    if (total <= c->net->o.max_frame && total > c->rlen)
      want = total + READ_CHUNK;
  }
  if (want > c->rcap) {
    uint8_t *nb = realloc(c->rbuf, want);
    if (!nb) {
      buf->base = NULL;
      buf->len = 0;
      return;
    }
    c->rbuf = nb;
    c->rcap = want;
  }
  buf->base = (char *)c->rbuf + c->rlen;
  buf->len = c->rcap - c->rlen;
}

static void net_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  (void)buf;
  rt_conn *c = s->data;
  rt_net *n = c->net;
  if (c->state == C_CLOSING)
    return;
  if (c->state == C_DRAINING) {
    /* Read and drop until the peer's EOF, so closing never resets data
     * still in flight to the peer. */
    c->rlen = c->rpos = 0;
    if (nread < 0)
      net_conn_close(c);
    return;
  }
  if (nread < 0) {
    uint32_t peer = c->peer;
    int was_ready = c->state == C_READY;
    const char *what = nread == UV_EOF ? "end of stream" : uv_strerror((int)nread);
    if (!was_ready && c->outbound && peer != RT_NO_PEER) {
      char why[120];
      snprintf(why, sizeof why, "closed during the handshake: %s", what);
      net_dial_failed(n, peer, why); /* counted, not logged */
    } else if (!was_ready) { /* unauthenticated, whatever rank it claimed */
      net_log_refused(n, "connection from %s closed during the handshake: %s", c->addr, what);
    }
    net_conn_close(c);
    if (was_ready && !n->peers[peer].bye_recv && !n->closing)
      net_peer_lost(n, peer, nread == UV_EOF ? "connection closed" : uv_strerror((int)nread));
    else if (was_ready)
      net_check_done(n);
    return;
  }
  if (nread == 0)
    return;
  c->rlen += (size_t)nread;
  if (c->peer != RT_NO_PEER && c->state == C_READY)
    n->peers[c->peer].last_recv = now_s();
  net_conn_process(c);
}

static rt_conn *net_conn_new(rt_net *n) {
  rt_conn *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  c->net = n;
  c->peer = RT_NO_PEER;
  c->tcp.data = c;
  if (uv_random(NULL, NULL, c->nonce, RT_HS_NONCE_LEN, 0, NULL) != 0) {
    free(c);
    return NULL;
  }
  if (uv_tcp_init(n->loop, &c->tcp) != 0) {
    free(c);
    return NULL;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  c->next = n->conns;
  n->conns = c;
  c->deadline = now_s() + HANDSHAKE_SECONDS;
  return c;
}

void net_on_connection(uv_stream_t *server, int status) {
  rt_net *n = server->data;
  if (status < 0)
    return;
  rt_conn *c = net_conn_new(n);
  if (!c)
    return;
  c->state = C_HANDSHAKE;
  rt_hs_accept(&c->hs, n->o.rank, n->o.size, n->secret, n->o.secret_len, c->nonce);
  n->npending++;
  if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
    net_conn_close(c);
    return;
  }
  struct sockaddr_storage ss;
  int len = sizeof ss;
  if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0)
    net_sockaddr_text(&ss, c->addr, sizeof c->addr);
  if (n->npending > MAX_PENDING || n->failed) {
    net_log_refused(n, "refused connection from %s: too many unauthenticated connections",
                    c->addr);
    net_conn_close(c);
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  uv_read_start((uv_stream_t *)&c->tcp, net_on_alloc, net_on_read);
}

static void net_on_connect(uv_connect_t *req, int status) {
  rt_conn *c = req->data;
  rt_net *n = c->net;
  rt_peer *p = &n->peers[c->peer];
  if (c->state == C_CLOSING)
    return;
  if (status < 0) {
    /* Not listening yet is normal while processes start: retry. */
    uint32_t peer = c->peer;
    c->peer = RT_NO_PEER;
    net_conn_close(c);
    net_dial_failed(n, peer, uv_strerror(status));
    (void)p;
    return;
  }
  rt_out *o = malloc(sizeof *o + RT_HS_HELLO_LEN);
  if (!o) {
    net_conn_close(c);
    p->connecting = 0;
    return;
  }
  o->len = RT_HS_HELLO_LEN;
  rt_hs_connect(&c->hs, n->o.rank, n->o.size, n->secret, n->o.secret_len, c->nonce, c->peer,
                n->o.listen.host, n->port, o->data);
  c->state = C_HANDSHAKE;
  n->npending++;
  c->deadline = now_s() + HANDSHAKE_SECONDS;
  net_write_raw(c, o);
  uv_read_start((uv_stream_t *)&c->tcp, net_on_alloc, net_on_read);
}

void net_start_connect(rt_net *n, uint32_t peer) {
  rt_peer *p = &n->peers[peer];
  if (p->conn || p->connecting || !p->have_addr || n->failed)
    return;
  struct sockaddr_storage ss;
  int r = net_resolve(n->loop, &p->addr, &ss);
  if (r != 0) {
    char msg[300];
    snprintf(msg, sizeof msg, "cannot resolve rank %u's address %s:%u: %s", peer, p->addr.host,
             p->addr.port, uv_strerror(r));
    rt_net_fail(n, peer, msg);
    return;
  }
  rt_conn *c = net_conn_new(n);
  if (!c)
    return;
  c->state = C_CONNECTING;
  c->outbound = 1;
  c->peer = peer;
  c->creq.data = c;
  snprintf(c->addr, sizeof c->addr, "%s:%u", p->addr.host, p->addr.port);
  p->connecting = 1;
  r = uv_tcp_connect(&c->creq, &c->tcp, (struct sockaddr *)&ss, net_on_connect);
  if (r != 0) {
    c->peer = RT_NO_PEER;
    net_conn_close(c);
    net_dial_failed(n, peer, uv_strerror(r));
  }
}

void net_on_wake(uv_async_t *a) {
  rt_net *n = a->data;
  if (n->failed)
    return;
  net_deliver_self(n);
  for (uint32_t i = 0; i < n->o.size; i++)
    if (i != n->o.rank)
      net_flush_peer(n, i);
  net_check_done(n);
}
