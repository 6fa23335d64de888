/* rt_net.c: the transport's life: creating it, starting it (listen,
 * reach the peers), failing, destroying. The jobs are in rt_addr.c
 * (addresses), rt_queue.c (pools and queues), rt_mesh.c (connections and
 * the handshake on them), rt_rdv.c (rendezvous and control messages) and
 * rt_live.c (liveness and shutdown); rt_net_int.h holds what they share.
 * See rt_net.h for the contract.
 *
 * Locking: `qlock` guards the outbound queues, their byte counts and the
 * closing/failed flags, because worker threads enqueue while the loop
 * thread writes. It is a leaf lock: nothing else is taken while it is held,
 * and no handler is called with it held. Connection state is touched only by
 * the loop thread. */
#include "rt_net_int.h"

void net_log(rt_net *n, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (n->h.on_log)
    n->h.on_log(n->h.ud, msg);
}

void net_refused_summary(rt_net *n, int force) {
  double now = now_s();
  if (n->refuse_quiet && (force || now - n->refuse_window >= REFUSE_LOG_WINDOW))
    net_log(n, "refused %u more unauthenticated connection%s in %.0f s (not logged one by one; "
               "%llu refused in all)",
            n->refuse_quiet, n->refuse_quiet == 1 ? "" : "s", now - n->refuse_window,
            (unsigned long long)n->refused);
  if (force || now - n->refuse_window >= REFUSE_LOG_WINDOW) {
    n->refuse_window = now;
    n->refuse_logged = n->refuse_quiet = 0;
  }
}

void net_log_refused(rt_net *n, const char *fmt, ...) {
  n->refused++;
  net_refused_summary(n, 0);
  if (n->refuse_logged >= REFUSE_LOG_BURST) {
    n->refuse_quiet++;
    return;
  }
  n->refuse_logged++;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  net_log(n, "%s", msg);
}

rt_net *rt_net_create(uv_loop_t *loop, const rt_net_opts *opts, const rt_net_handlers *h,
                      char *err, size_t errlen) {
  if (opts->size == 0 || opts->rank >= opts->size) {
    snprintf(err, errlen, "rank %u is not below world size %u", opts->rank, opts->size);
    return NULL;
  }
  if (opts->secret_len == 0) {
    snprintf(err, errlen, "the cluster secret is empty");
    return NULL;
  }
  rt_net *n = calloc(1, sizeof *n);
  if (!n) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  n->loop = loop;
  n->o = *opts;
  n->h = *h;
  if (n->o.max_frame == 0)
    n->o.max_frame = WIRE_MAX_FRAME;
  if (n->o.max_queued == 0)
    n->o.max_queued = 64u << 20;
  if (n->o.connect_timeout <= 0)
    n->o.connect_timeout = 8;
  n->peers = calloc(opts->size, sizeof *n->peers);
  n->secret = malloc(opts->secret_len);
  if (opts->peers)
    n->hostfile = malloc(opts->size * sizeof *n->hostfile);
  if (!n->peers || !n->secret || (opts->peers && !n->hostfile)) {
    free(n->peers);
    free(n->secret);
    free(n->hostfile);
    free(n);
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  memcpy(n->secret, opts->secret, opts->secret_len);
  n->o.secret = n->secret;
  for (uint32_t i = 0; i < opts->size; i++)
    n->peers[i].direct_fd = -1;
  if (opts->peers) {
    memcpy(n->hostfile, opts->peers, opts->size * sizeof *n->hostfile);
    n->o.peers = n->hostfile;
    for (uint32_t i = 0; i < opts->size; i++) {
      n->peers[i].addr = n->hostfile[i];
      n->peers[i].have_addr = 1;
    }
    n->have_table = 1;
    n->o.listen = n->hostfile[opts->rank];
  } else {
    n->peers[0].addr = opts->coordinator;
    n->peers[0].have_addr = 1;
    /* Rank 0 is the coordinator: it listens where the others look for it,
     * unless the caller left that empty and gave a listen address. */
    if (opts->rank == 0 && opts->coordinator.host[0])
      n->o.listen = opts->coordinator;
  }
  pthread_mutex_init(&n->qlock, NULL);
  pthread_mutex_init(&n->sendlock, NULL);
  pthread_cond_init(&n->room, NULL);
  return n;
}

uint16_t rt_net_port(const rt_net *n) { return n->port; }

void rt_net_fail(rt_net *n, uint32_t peer, const char *msg) {
  pthread_mutex_lock(&n->qlock);
  int first = !n->failed && !n->closing;
  n->failed = 1;
  pthread_cond_broadcast(&n->room);
  pthread_mutex_unlock(&n->qlock);
  if (!first)
    return;
  net_broadcast_abort(n, peer);
  if (n->h.on_fail)
    n->h.on_fail(n->h.ud, peer, msg);
}

/* "rank R (host:port)", or just "rank R" while its address is unknown. */
void net_peer_name(const rt_net *n, uint32_t peer, char *out, size_t len) {
  const rt_peer *p = &n->peers[peer];
  if (p->have_addr)
    snprintf(out, len, "rank %u (%s:%u)", peer, p->addr.host, p->addr.port);
  else
    snprintf(out, len, "rank %u", peer);
}

void net_peer_lost(rt_net *n, uint32_t peer, const char *why) {
  char name[320], msg[640];
  net_peer_name(n, peer, name, sizeof name);
  snprintf(msg, sizeof msg, "lost peer %s: %s", name, why);
  rt_net_fail(n, peer, msg);
}

int rt_net_start(rt_net *n, char *err, size_t errlen) {
  struct sockaddr_storage ss;
  int r = net_resolve(n->loop, &n->o.listen, &ss);
  if (r != 0) {
    snprintf(err, errlen, "cannot resolve listen address %s:%u: %s", n->o.listen.host,
             n->o.listen.port, uv_strerror(r));
    return ST_EINVAL;
  }
  uv_tcp_init(n->loop, &n->listener);
  n->listener.data = n;
  n->listening = 1; /* the handle is open, whether or not listen works */
  uv_timer_init(n->loop, &n->tick);
  n->tick.data = n;
  uv_async_init(n->loop, &n->wake, net_on_wake);
  n->wake.data = n;
  n->handles_open = 1;
  r = uv_tcp_bind(&n->listener, (struct sockaddr *)&ss, 0);
  if (r == 0)
    r = uv_listen((uv_stream_t *)&n->listener, 128, net_on_connection);
  if (r != 0) {
    snprintf(err, errlen, "cannot listen on %s:%u: %s", n->o.listen.host, n->o.listen.port,
             uv_strerror(r));
    return ST_EINVAL;
  }
  int len = sizeof ss;
  uv_tcp_getsockname(&n->listener, (struct sockaddr *)&ss, &len);
  n->port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                     : ntohs(((struct sockaddr_in *)&ss)->sin_port);
  n->start = now_s();
  uv_timer_start(&n->tick, net_on_tick, TICK_MS, TICK_MS);
  if (n->o.size == 1)
    n->have_table = 1;
  if (n->have_table) {
    for (uint32_t i = 0; i < n->o.rank; i++)
      net_start_connect(n, i);
  } else if (n->o.rank > 0) {
    net_start_connect(n, 0);
  }
  net_check_ready(n);
  return 0;
}

void rt_net_destroy(rt_net *n) {
  if (!n)
    return;
  for (uint32_t i = 0; i < n->o.size; i++) {
    rt_out *o = n->peers[i].head;
    while (o) {
      rt_out *next = o->next;
      free(o);
      o = next;
    }
  }
  while (n->pool) {
    rt_out *o = n->pool;
    n->pool = o->next;
    free(o);
  }
  pthread_mutex_destroy(&n->qlock);
  pthread_mutex_destroy(&n->sendlock);
  pthread_cond_destroy(&n->room);
  free(n->peers);
  free(n->secret);
  free(n->hostfile);
  free(n);
}
