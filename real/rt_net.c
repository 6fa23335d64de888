/* rt_net.c: TCP full mesh with an authenticated handshake, framed reads and
 * bounded per-peer write queues. See rt_net.h for the contract.
 *
 * Locking: `qlock` guards the outbound queues, their byte counts and the
 * closing/failed flags, because worker threads enqueue while the loop
 * thread writes. It is a leaf lock: nothing else is taken while it is held,
 * and no handler is called with it held. Connection state is touched only by
 * the loop thread. */
#include "rt_net.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rt_hs.h"
#include "st.h"
#include "wire.h"

#define CTRL_HDR 32
#define TABLE_ENTRY (RT_HOST_MAX + 4)
#define HANDSHAKE_SECONDS 10.0
#define MAX_PENDING 64      /* unauthenticated connections at once */
#define TICK_MS 100
#define RETRY_SECONDS 0.2
#define PING_SECONDS 1.0
#define READ_CHUNK (64u << 10)
#define WRITE_BATCH 256 /* frames per uv_write */
/* Frames at least this big reuse buffers: fresh large blocks come from mmap
 * and cost page faults on every frame. The pool is bounded. */
#define POOL_MIN (64u << 10)
#define POOL_MAX_BYTES (32u << 20)

enum conn_state {
  C_CONNECTING,
  C_HANDSHAKE, /* bytes go to hs until it authenticates the peer */
  C_READY,
  C_DRAINING, /* our side shut down; waiting for the peer's EOF */
  C_CLOSING
};
#define DRAIN_SECONDS 3.0
/* After a failure only ABORTs are in flight, and a peer that froze will
 * never close its side: waiting less keeps "every node stops within 10 s"
 * when a peer is lost by the (8 s) silence timeout. */
#define FAILED_DRAIN_SECONDS 1.0

typedef struct rt_out {
  struct rt_out *next;
  size_t len, cap; /* cap: bytes of data[] allocated (pooled blocks) */
  int core; /* a core frame (counted in bytes_sent), not a control one */
  int rest; /* the rest of a frame whose start was written directly */
  uint8_t data[];
} rt_out;

typedef struct rt_conn {
  uv_tcp_t tcp;
  uv_connect_t creq;
  uv_shutdown_t sreq;
  rt_net *net;
  int state;
  uint32_t peer; /* rank once known, RT_NO_PEER before */
  int outbound;  /* we dialled it */
  uint8_t nonce[RT_HS_NONCE_LEN];
  rt_hs hs;
  uint8_t *rbuf;
  size_t rpos, rlen, rcap;
  double deadline;
  char addr[96];        /* peer ip:port, for messages */
  struct rt_conn *next; /* all live connections */
} rt_conn;

typedef struct rt_peer {
  rt_addr addr;
  int have_addr;
  rt_conn *conn; /* authenticated connection, or NULL */
  int connecting;
  double next_try;
  double last_recv, last_send;
  int bye_recv, was_ready;
  /* under qlock */
  rt_out *head, *tail;
  size_t queued; /* bytes pending or being written */
  /* The ready connection's socket when libuv had nothing left to write on
   * it, else -1: a sender finding the queue empty then writes straight into
   * the kernel from its own thread (see rt_net_send). Set and cleared by the
   * loop thread, which clears it before the socket can close. */
  int direct_fd;
  int torn; /* a frame's start went out directly and its rest never will */
} rt_peer;

struct rt_net {
  uv_loop_t *loop;
  rt_net_opts o;
  rt_net_handlers h;
  rt_addr *hostfile;
  uint8_t *secret;
  rt_peer *peers;
  uv_tcp_t listener;
  uv_timer_t tick;
  uv_async_t wake;
  int listening, handles_open;
  uint16_t port;
  rt_conn *conns;
  int npending;
  double t0, start;
  int have_table, ready, done;
  double drain_deadline;
  int table_sent;
  pthread_mutex_t qlock;
  pthread_mutex_t sendlock; /* senders, whole frames: see rt_net_send */
  pthread_cond_t room;
  int closing, failed, bye_sent; /* under qlock */
  int bye_started;                /* under qlock: rt_net_bye was called */
  uint64_t bytes_sent;            /* under qlock */
  rt_out *pool;                   /* under qlock: spare large frame buffers */
  size_t pool_bytes;
};

typedef struct write_req {
  uv_write_t req;
  rt_net *net;
  uint32_t peer; /* RT_NO_PEER: not counted in a queue */
  size_t bytes;
  rt_out *list;
  unsigned nbufs;
  uv_buf_t bufs[];
} write_req;

static double now_s(void) { return (double)uv_hrtime() / 1e9; }

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}
static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void logf_net(rt_net *n, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (n->h.on_log)
    n->h.on_log(n->h.ud, msg);
}

int rt_addr_parse(const char *s, rt_addr *out) {
  const char *colon = s ? strrchr(s, ':') : NULL;
  if (!colon || colon == s || (size_t)(colon - s) >= RT_HOST_MAX)
    return ST_EPARSE;
  char *end;
  unsigned long port = strtoul(colon + 1, &end, 10);
  if (colon[1] == '\0' || *end != '\0' || port > 65535)
    return ST_EPARSE;
  size_t hl = (size_t)(colon - s);
  /* Accept [v6]:port. */
  if (s[0] == '[' && hl >= 2 && s[hl - 1] == ']') {
    memcpy(out->host, s + 1, hl - 2);
    out->host[hl - 2] = '\0';
  } else {
    memcpy(out->host, s, hl);
    out->host[hl] = '\0';
  }
  out->port = (uint16_t)port;
  return 0;
}

/* A numeric address as is, or a host name resolved on loop (synchronously:
 * libuv needs the loop even then). */
static int resolve(uv_loop_t *loop, const rt_addr *a, struct sockaddr_storage *ss) {
  if (uv_ip4_addr(a->host, a->port, (struct sockaddr_in *)ss) == 0)
    return 0;
  if (uv_ip6_addr(a->host, a->port, (struct sockaddr_in6 *)ss) == 0)
    return 0;
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  uv_getaddrinfo_t req;
  char port[8];
  snprintf(port, sizeof port, "%u", a->port);
  int r = uv_getaddrinfo(loop, &req, NULL, a->host, port, &hints);
  if (r != 0)
    return r;
  res = req.addrinfo;
  if (!res) {
    return UV_EAI_NONAME;
  }
  memcpy(ss, res->ai_addr, res->ai_addrlen);
  uv_freeaddrinfo(res);
  return 0;
}

static void sockaddr_text(const struct sockaddr_storage *ss, char *out, size_t len) {
  char ip[64] = "?";
  int port = 0;
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
    uv_ip4_name(s4, ip, sizeof ip);
    port = ntohs(s4->sin_port);
  } else if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
    uv_ip6_name(s6, ip, sizeof ip);
    port = ntohs(s6->sin6_port);
  }
  snprintf(out, len, "%s:%d", ip, port);
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
    n->o.connect_timeout = 30;
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

/* ---- queues ---------------------------------------------------------- */

/* A buffer for a len-byte frame, from the pool when one fits. */
static rt_out *out_alloc(rt_net *n, size_t len) {
  if (len >= POOL_MIN) {
    pthread_mutex_lock(&n->qlock);
    for (rt_out **pp = &n->pool; *pp; pp = &(*pp)->next)
      if ((*pp)->cap >= len && (*pp)->cap / 2 <= len) {
        rt_out *o = *pp;
        *pp = o->next;
        n->pool_bytes -= o->cap;
        pthread_mutex_unlock(&n->qlock);
        o->len = len;
        return o;
      }
    pthread_mutex_unlock(&n->qlock);
  }
  rt_out *o = malloc(sizeof *o + len);
  if (o) {
    o->len = len;
    o->cap = len;
  }
  return o;
}

/* Returns o to the pool or frees it. */
static void out_free(rt_net *n, rt_out *o) {
  if (o->cap >= POOL_MIN) {
    pthread_mutex_lock(&n->qlock);
    if (n->pool_bytes + o->cap <= POOL_MAX_BYTES) {
      o->next = n->pool;
      n->pool = o;
      n->pool_bytes += o->cap;
      o = NULL;
    }
    pthread_mutex_unlock(&n->qlock);
  }
  free(o);
}

static int enqueue(rt_net *n, uint32_t dst, rt_out *o) {
  pthread_mutex_lock(&n->qlock);
  if (n->closing || n->failed) {
    pthread_mutex_unlock(&n->qlock);
    out_free(n, o);
    return ST_ESEND;
  }
  rt_peer *p = &n->peers[dst];
  o->next = NULL;
  if (p->tail)
    p->tail->next = o;
  else
    p->head = o;
  p->tail = o;
  p->queued += o->len;
  if (o->core)
    n->bytes_sent += o->len;
  /* Under qlock so shutdown cannot close the async handle in between. */
  uv_async_send(&n->wake);
  pthread_mutex_unlock(&n->qlock);
  return 0;
}

/* Writes what the kernel takes of frame[0..len) to dst's socket now, from
 * the calling thread, when nothing of dst's is queued or being written
 * (so the byte order on the stream is kept): this saves copying the frame
 * into a buffer and handing it to the loop thread. Holds qlock throughout,
 * so no other sender or flush can come in between. Returns the bytes
 * written (0: use the queue). */
static size_t send_direct(rt_net *n, uint32_t dst, const uint8_t *frame, size_t len) {
  rt_peer *p = &n->peers[dst];
  size_t off = 0;
  pthread_mutex_lock(&n->qlock);
  if (p->direct_fd >= 0 && !p->head && p->queued == 0 && !n->closing && !n->failed) {
    while (off < len) {
      ssize_t k = send(p->direct_fd, frame + off, len - off, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (k > 0)
        off += (size_t)k;
      else if (k < 0 && errno == EINTR)
        continue;
      else
        break; /* full (the rest is queued) or failed (the loop sees it) */
    }
    n->bytes_sent += off;
  }
  pthread_mutex_unlock(&n->qlock);
  return off;
}

int rt_net_send(rt_net *n, uint32_t dst, const uint8_t *frame, size_t len) {
  if (dst >= n->o.size)
    return ST_EPEER;
  if (len > n->o.max_frame)
    return ST_ETOOBIG;
  /* sendlock keeps a frame whole on the stream: nobody enqueues between a
   * direct write of its start and the queueing of its rest. */
  pthread_mutex_lock(&n->sendlock);
  size_t done = send_direct(n, dst, frame, len);
  int rc = 0;
  if (done < len) {
    rt_out *o = out_alloc(n, len - done);
    if (o) {
      o->core = 1; /* counts the rest; send_direct counted the start */
      o->rest = done > 0;
      memcpy(o->data, frame + done, len - done);
      rc = enqueue(n, dst, o);
    } else {
      rc = ST_ENOMEM;
    }
    if (rc && done > 0) {
      pthread_mutex_lock(&n->qlock);
      n->peers[dst].torn = 1;
      pthread_mutex_unlock(&n->qlock);
    }
  }
  pthread_mutex_unlock(&n->sendlock);
  return rc;
}

static rt_out *ctrl_frame(uint32_t type, const void *p, size_t len) {
  rt_out *o = malloc(sizeof *o + CTRL_HDR + len);
  if (!o)
    return NULL;
  o->len = CTRL_HDR + len;
  o->cap = 0; /* never pooled */
  o->core = 0;
  o->rest = 0;
  memset(o->data, 0, CTRL_HDR);
  put32(o->data, RT_CTRL_MAGIC);
  put32(o->data + 4, type);
  put32(o->data + 8, (uint32_t)len);
  if (len)
    memcpy(o->data + CTRL_HDR, p, len);
  return o;
}

static int send_ctrl_any(rt_net *n, uint32_t dst, uint32_t type, const void *p, size_t len) {
  if (dst >= n->o.size || dst == n->o.rank)
    return ST_EPEER;
  if (len > RT_CTRL_MAX)
    return ST_ETOOBIG;
  rt_out *o = ctrl_frame(type, p, len);
  if (!o)
    return ST_ENOMEM;
  pthread_mutex_lock(&n->sendlock);
  int rc = enqueue(n, dst, o);
  pthread_mutex_unlock(&n->sendlock);
  return rc;
}

int rt_net_send_ctrl(rt_net *n, uint32_t dst, uint32_t type, const void *p, size_t len) {
  if (type < RT_CTRL_USER)
    return ST_EINVAL;
  return send_ctrl_any(n, dst, type, p, len);
}

static int over_bound(rt_net *n) {
  for (uint32_t i = 0; i < n->o.size; i++)
    if (n->peers[i].queued > n->o.max_queued)
      return 1;
  return 0;
}

void rt_net_wait_room(rt_net *n) {
  pthread_mutex_lock(&n->qlock);
  while (!n->closing && !n->failed && over_bound(n))
    pthread_cond_wait(&n->room, &n->qlock);
  pthread_mutex_unlock(&n->qlock);
}

size_t rt_net_queued(rt_net *n) {
  size_t t = 0;
  pthread_mutex_lock(&n->qlock);
  for (uint32_t i = 0; i < n->o.size; i++)
    t += n->peers[i].queued;
  pthread_mutex_unlock(&n->qlock);
  return t;
}

uint64_t rt_net_bytes_sent(rt_net *n) {
  pthread_mutex_lock(&n->qlock);
  uint64_t b = n->bytes_sent;
  pthread_mutex_unlock(&n->qlock);
  return b;
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
      send_ctrl_any(n, i, RT_CTRL_BYE, NULL, 0);
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

/* ---- connections ----------------------------------------------------- */

static void close_handles(rt_net *n) {
  if (!n->handles_open)
    return;
  if (n->listening)
    uv_close((uv_handle_t *)&n->listener, NULL);
  n->listening = 0;
  uv_close((uv_handle_t *)&n->tick, NULL);
  uv_close((uv_handle_t *)&n->wake, NULL);
  n->handles_open = 0;
}

static void conn_close_cb(uv_handle_t *h) {
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
    close_handles(n);
}

/* Loop thread: lets senders write to c's socket directly if c is its
 * peer's ready connection and libuv holds nothing unwritten for it. */
static void direct_update(rt_conn *c) {
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
static void direct_off(rt_conn *c) {
  rt_net *n = c->net;
  if (c->peer == RT_NO_PEER)
    return;
  pthread_mutex_lock(&n->qlock);
  if (n->peers[c->peer].conn == c)
    n->peers[c->peer].direct_fd = -1;
  pthread_mutex_unlock(&n->qlock);
}

static void conn_close(rt_conn *c) {
  if (c->state == C_CLOSING)
    return;
  rt_net *n = c->net;
  direct_off(c);
  if (c->state != C_READY && c->state != C_CONNECTING && n->npending > 0)
    n->npending--;
  if (c->peer != RT_NO_PEER && n->peers[c->peer].conn == c)
    n->peers[c->peer].conn = NULL;
  if (c->peer != RT_NO_PEER && c->outbound && c->state != C_READY) {
    n->peers[c->peer].connecting = 0;
    n->peers[c->peer].next_try = now_s() + RETRY_SECONDS;
  }
  c->state = C_CLOSING;
  uv_close((uv_handle_t *)&c->tcp, conn_close_cb);
}

static void broadcast_abort(rt_net *n, uint32_t lost);

void rt_net_fail(rt_net *n, uint32_t peer, const char *msg) {
  pthread_mutex_lock(&n->qlock);
  int first = !n->failed && !n->closing;
  n->failed = 1;
  pthread_cond_broadcast(&n->room);
  pthread_mutex_unlock(&n->qlock);
  if (!first)
    return;
  broadcast_abort(n, peer);
  if (n->h.on_fail)
    n->h.on_fail(n->h.ud, peer, msg);
}

/* "rank R (host:port)", or just "rank R" while its address is unknown. */
static void peer_name(const rt_net *n, uint32_t peer, char *out, size_t len) {
  const rt_peer *p = &n->peers[peer];
  if (p->have_addr)
    snprintf(out, len, "rank %u (%s:%u)", peer, p->addr.host, p->addr.port);
  else
    snprintf(out, len, "rank %u", peer);
}

static void peer_lost(rt_net *n, uint32_t peer, const char *why) {
  char name[320], msg[640];
  peer_name(n, peer, name, sizeof name);
  snprintf(msg, sizeof msg, "lost peer %s: %s", name, why);
  rt_net_fail(n, peer, msg);
}

/* Closes c because of what it sent; an authenticated peer doing this is
 * lost to the run, an unauthenticated one is only refused. */
static void reject(rt_conn *c, const char *fmt, ...) {
  char why[300];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  rt_net *n = c->net;
  int was_ready = c->state == C_READY, outbound = c->outbound && !was_ready;
  uint32_t peer = c->peer;
  if (peer != RT_NO_PEER)
    logf_net(n, "closing connection %s rank %u (%s): %s", outbound ? "to" : "from", peer,
             c->addr, why);
  else
    logf_net(n, "refused connection from %s: %s", c->addr, why);
  conn_close(c);
  if (was_ready) {
    peer_lost(n, peer, why);
  } else if (outbound) {
    /* The rank we dialled does not speak our protocol or secret: no retry
     * will fix that. */
    char msg[640];
    snprintf(msg, sizeof msg, "rank %u (%s) failed the handshake: %s", peer, c->addr, why);
    rt_net_fail(n, peer, msg);
  }
}

static void write_done(uv_write_t *req, int status) {
  write_req *w = (write_req *)req;
  rt_net *n = w->net;
  while (w->list) {
    rt_out *o = w->list;
    w->list = o->next;
    out_free(n, o);
  }
  if (w->peer != RT_NO_PEER) {
    pthread_mutex_lock(&n->qlock);
    n->peers[w->peer].queued -= w->bytes;
    pthread_cond_broadcast(&n->room);
    pthread_mutex_unlock(&n->qlock);
    if (status < 0 && status != UV_ECANCELED && !n->peers[w->peer].bye_recv)
      peer_lost(n, w->peer, uv_strerror(status));
  }
  free(w);
  if (n->bye_sent)
    uv_async_send(&n->wake); /* re-check whether we are done */
}

/* Writes one unqueued buffer (handshake, abort) owned by o. */
static int write_raw(rt_conn *c, rt_out *o) {
  o->cap = 0; /* handshake and abort buffers are never pooled */
  write_req *w = calloc(1, sizeof *w + sizeof(uv_buf_t));
  if (!w) {
    free(o);
    return ST_ENOMEM;
  }
  w->net = c->net;
  w->peer = RT_NO_PEER;
  w->list = o;
  o->next = NULL;
  w->nbufs = 1;
  w->bufs[0] = uv_buf_init((char *)o->data, (unsigned)o->len);
  int r = uv_write(&w->req, (uv_stream_t *)&c->tcp, w->bufs, 1, write_done);
  if (r < 0) {
    free(o);
    free(w);
    return ST_ESEND;
  }
  return 0;
}

/* Moves peer's queued frames into uv_write requests. Loop thread. */
static void flush_peer(rt_net *n, uint32_t i) {
  rt_peer *p = &n->peers[i];
  for (;;) {
    pthread_mutex_lock(&n->qlock);
    rt_out *list = p->head;
    if (!list || !p->conn || p->conn->state != C_READY || n->failed) {
      pthread_mutex_unlock(&n->qlock);
      return;
    }
    unsigned cnt = 0;
    rt_out *last = list;
    size_t bytes = list->len;
    for (cnt = 1; cnt < WRITE_BATCH && last->next; cnt++) {
      last = last->next;
      bytes += last->len;
    }
    p->head = last->next;
    if (!p->head)
      p->tail = NULL;
    last->next = NULL;
    pthread_mutex_unlock(&n->qlock);

    write_req *w = malloc(sizeof *w + cnt * sizeof(uv_buf_t));
    if (!w) {
      peer_lost(n, i, "out of memory queueing a write");
      return;
    }
    w->net = n;
    w->peer = i;
    w->bytes = bytes;
    w->list = list;
    w->nbufs = cnt;
    unsigned k = 0;
    for (rt_out *o = list; o; o = o->next)
      w->bufs[k++] = uv_buf_init((char *)o->data, (unsigned)o->len);
    p->last_send = now_s();
    int r = uv_write(&w->req, (uv_stream_t *)&p->conn->tcp, w->bufs, cnt, write_done);
    if (r < 0) {
      pthread_mutex_lock(&n->qlock);
      p->queued -= bytes;
      pthread_cond_broadcast(&n->room);
      pthread_mutex_unlock(&n->qlock);
      while (list) {
        rt_out *o = list;
        list = o->next;
        out_free(n, o);
      }
      free(w);
      peer_lost(n, i, uv_strerror(r));
      return;
    }
  }
}

static void broadcast_abort(rt_net *n, uint32_t lost) {
  uint8_t p[4];
  put32(p, lost);
  pthread_mutex_lock(&n->sendlock); /* no frame is half written meanwhile */
  for (uint32_t i = 0; i < n->o.size; i++) {
    rt_conn *c = n->peers[i].conn;
    if (!c || c->state != C_READY)
      continue;
    /* A frame whose start went out directly must be finished first, or the
     * peer would read the ABORT as its rest; it is the head of the queue,
     * which flush_peer no longer sends once the run has failed. If that
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
    if (torn || (rest && write_raw(c, rest) != 0))
      continue;
    rt_out *o = ctrl_frame(RT_CTRL_ABORT, p, 4);
    if (o)
      write_raw(c, o);
  }
  pthread_mutex_unlock(&n->sendlock);
}

static void check_done(rt_net *n) {
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

static void deliver_self(rt_net *n) {
  rt_peer *p = &n->peers[n->o.rank];
  for (;;) {
    pthread_mutex_lock(&n->qlock);
    rt_out *o = p->head;
    if (o) {
      p->head = o->next;
      if (!p->head)
        p->tail = NULL;
    }
    pthread_mutex_unlock(&n->qlock);
    if (!o)
      return;
    /* Count the bytes as queued until the handler returns: the handler may
     * itself enqueue, and the bound must see both. */
    if (!n->failed && n->h.on_frame)
      n->h.on_frame(n->h.ud, n->o.rank, o->data, o->len);
    pthread_mutex_lock(&n->qlock);
    p->queued -= o->len;
    pthread_cond_broadcast(&n->room);
    pthread_mutex_unlock(&n->qlock);
    out_free(n, o);
    if (n->failed)
      return;
  }
}

static void on_wake(uv_async_t *a) {
  rt_net *n = a->data;
  if (n->failed)
    return;
  deliver_self(n);
  for (uint32_t i = 0; i < n->o.size; i++)
    if (i != n->o.rank)
      flush_peer(n, i);
  check_done(n);
}

static void check_ready(rt_net *n) {
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
static void maybe_send_table(rt_net *n) {
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
    send_ctrl_any(n, i, RT_CTRL_TABLE, t, len);
  free(t);
  check_ready(n);
}

static void start_connect(rt_net *n, uint32_t peer);

static void handle_table(rt_conn *c, const uint8_t *p, size_t len) {
  rt_net *n = c->net;
  if (c->peer != 0 || n->o.peers || n->have_table) {
    reject(c, "unexpected address table");
    return;
  }
  if (len < 4 || get32(p) != n->o.size || len != 4 + (size_t)n->o.size * TABLE_ENTRY) {
    reject(c, "malformed address table (%zu bytes)", len);
    return;
  }
  for (uint32_t i = 1; i < n->o.size; i++) {
    const uint8_t *e = p + 4 + (size_t)i * TABLE_ENTRY;
    uint32_t port = get32(e + RT_HOST_MAX);
    if (e[RT_HOST_MAX - 1] != '\0' || port > 65535) {
      reject(c, "malformed address table entry for rank %u", i);
      return;
    }
    memcpy(n->peers[i].addr.host, e, RT_HOST_MAX);
    n->peers[i].addr.port = (uint16_t)port;
    n->peers[i].have_addr = 1;
  }
  n->have_table = 1;
  for (uint32_t i = 1; i < n->o.rank; i++)
    start_connect(n, i);
  check_ready(n);
}

static void handle_ctrl(rt_conn *c, uint32_t type, const uint8_t *p, size_t len) {
  rt_net *n = c->net;
  switch (type) {
  case RT_CTRL_TABLE:
    handle_table(c, p, len);
    return;
  case RT_CTRL_BYE:
    n->peers[c->peer].bye_recv = 1;
    check_done(n);
    return;
  case RT_CTRL_ABORT: {
    uint32_t lost = len == 4 ? get32(p) : RT_NO_PEER;
    char msg[640], name[320];
    if (lost < n->o.size) {
      peer_name(n, lost, name, sizeof name);
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
      reject(c, "unknown control type %u", type);
      return;
    }
    if (n->h.on_ctrl)
      n->h.on_ctrl(n->h.ud, c->peer, type, p, len);
  }
}

static void became_ready(rt_conn *c) {
  rt_net *n = c->net;
  if (n->npending > 0)
    n->npending--;
  c->state = C_READY;
  rt_peer *p = &n->peers[c->peer];
  p->conn = c;
  p->connecting = 0;
  p->was_ready = 1;
  p->last_recv = p->last_send = now_s();
  direct_update(c); /* off if a handshake write is still in libuv's queue */
  maybe_send_table(n);
  check_ready(n);
  uv_async_send(&n->wake); /* flush anything queued for this peer */
}

/* Handshake step: feeds rt_hs and acts on what it says. Returns the bytes
 * consumed, 0 if more are needed, or -1 if the connection was closed. */
static size_t hs_step(rt_conn *c, const uint8_t *p, size_t have) {
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
    reject(c, "%s", why);
    return (size_t)-1;
  }
  c->peer = c->hs.peer;
  /* One authenticated connection per pair: a second claim is refused
   * before anything is answered. */
  if (!c->outbound && n->peers[c->peer].conn) {
    reject(c, "rank %u is already connected", c->peer);
    return (size_t)-1;
  }
  if (rlen) {
    rt_out *o = malloc(sizeof *o + rlen);
    if (!o) {
      reject(c, "out of memory");
      return (size_t)-1;
    }
    o->len = rlen;
    memcpy(o->data, reply, rlen);
    write_raw(c, o);
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
    became_ready(c);
  }
  return used;
}

/* Parses whatever complete units the buffer holds. */
static void conn_process(rt_conn *c) {
  rt_net *n = c->net;
  while (c->state != C_CLOSING && !n->failed) {
    const uint8_t *p = c->rbuf + c->rpos;
    size_t have = c->rlen - c->rpos;
    if (c->state != C_READY) {
      size_t used = hs_step(c, p, have);
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
        reject(c, "bad frame header: %s (payload length %u, limit %zu bytes)", st_strerror(r),
               get32(p + 28), n->o.max_frame);
        return;
      }
      if (h.src != c->peer) {
        reject(c, "frame claims to come from node %u", h.src);
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
        reject(c, "control message of %u bytes exceeds the %u-byte limit", len, RT_CTRL_MAX);
        return;
      }
      if (have < CTRL_HDR + (size_t)len)
        break;
      c->rpos += CTRL_HDR + (size_t)len;
      handle_ctrl(c, type, p + CTRL_HDR, len);
    } else {
      reject(c, "bad frame magic 0x%08x", magic);
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

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
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

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
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
      conn_close(c);
    return;
  }
  if (nread < 0) {
    uint32_t peer = c->peer;
    int was_ready = c->state == C_READY;
    if (!was_ready)
      logf_net(n, "connection %s %s closed during the handshake: %s",
               c->outbound ? "to" : "from", c->addr,
               nread == UV_EOF ? "end of stream" : uv_strerror((int)nread));
    conn_close(c);
    if (was_ready && !n->peers[peer].bye_recv && !n->closing)
      peer_lost(n, peer, nread == UV_EOF ? "connection closed" : uv_strerror((int)nread));
    else if (was_ready)
      check_done(n);
    return;
  }
  if (nread == 0)
    return;
  c->rlen += (size_t)nread;
  if (c->peer != RT_NO_PEER && c->state == C_READY)
    n->peers[c->peer].last_recv = now_s();
  conn_process(c);
}

static rt_conn *conn_new(rt_net *n) {
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

static void on_connection(uv_stream_t *server, int status) {
  rt_net *n = server->data;
  if (status < 0)
    return;
  rt_conn *c = conn_new(n);
  if (!c)
    return;
  c->state = C_HANDSHAKE;
  rt_hs_accept(&c->hs, n->o.rank, n->o.size, n->secret, n->o.secret_len, c->nonce);
  n->npending++;
  if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
    conn_close(c);
    return;
  }
  struct sockaddr_storage ss;
  int len = sizeof ss;
  if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0)
    sockaddr_text(&ss, c->addr, sizeof c->addr);
  if (n->npending > MAX_PENDING || n->failed) {
    logf_net(n, "refused connection from %s: too many unauthenticated connections", c->addr);
    conn_close(c);
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static void on_connect(uv_connect_t *req, int status) {
  rt_conn *c = req->data;
  rt_net *n = c->net;
  rt_peer *p = &n->peers[c->peer];
  if (c->state == C_CLOSING)
    return;
  if (status < 0) {
    /* Not listening yet is normal while processes start: retry. */
    p->connecting = 0;
    p->next_try = now_s() + RETRY_SECONDS;
    uint32_t peer = c->peer;
    c->peer = RT_NO_PEER;
    conn_close(c);
    (void)peer;
    return;
  }
  rt_out *o = malloc(sizeof *o + RT_HS_HELLO_LEN);
  if (!o) {
    conn_close(c);
    p->connecting = 0;
    return;
  }
  o->len = RT_HS_HELLO_LEN;
  rt_hs_connect(&c->hs, n->o.rank, n->o.size, n->secret, n->o.secret_len, c->nonce, c->peer,
                n->o.listen.host, n->port, o->data);
  c->state = C_HANDSHAKE;
  n->npending++;
  c->deadline = now_s() + HANDSHAKE_SECONDS;
  write_raw(c, o);
  uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static void start_connect(rt_net *n, uint32_t peer) {
  rt_peer *p = &n->peers[peer];
  if (p->conn || p->connecting || !p->have_addr || n->failed)
    return;
  struct sockaddr_storage ss;
  int r = resolve(n->loop, &p->addr, &ss);
  if (r != 0) {
    char msg[300];
    snprintf(msg, sizeof msg, "cannot resolve rank %u's address %s:%u: %s", peer, p->addr.host,
             p->addr.port, uv_strerror(r));
    rt_net_fail(n, peer, msg);
    return;
  }
  rt_conn *c = conn_new(n);
  if (!c)
    return;
  c->state = C_CONNECTING;
  c->outbound = 1;
  c->peer = peer;
  c->creq.data = c;
  snprintf(c->addr, sizeof c->addr, "%s:%u", p->addr.host, p->addr.port);
  p->connecting = 1;
  if (uv_tcp_connect(&c->creq, &c->tcp, (struct sockaddr *)&ss, on_connect) != 0) {
    p->connecting = 0;
    p->next_try = now_s() + RETRY_SECONDS;
    c->peer = RT_NO_PEER;
    conn_close(c);
  }
}

static void on_tick(uv_timer_t *t) {
  rt_net *n = t->data;
  double now = now_s();
  if (n->closing) {
    if (now > n->drain_deadline)
      for (rt_conn *c = n->conns; c; c = c->next)
        conn_close(c);
    return;
  }
  if (n->failed)
    return;
  /* Handshakes that stall are dropped so they cannot hold slots. */
  for (rt_conn *c = n->conns; c; c = c->next)
    if (c->state == C_HANDSHAKE && now > c->deadline)
      reject(c, "handshake not completed within %.0f s", HANDSHAKE_SECONDS);
  if (!n->ready) {
    if (now - n->start > n->o.connect_timeout) {
      uint32_t missing = RT_NO_PEER;
      for (uint32_t i = 0; i < n->o.size && missing == RT_NO_PEER; i++)
        if (i != n->o.rank && !n->peers[i].conn)
          missing = i;
      char msg[300];
      if (missing != RT_NO_PEER && n->peers[missing].have_addr)
        snprintf(msg, sizeof msg, "rank %u (%s:%u) not reached within %.0f s", missing,
                 n->peers[missing].addr.host, n->peers[missing].addr.port,
                 n->o.connect_timeout);
      else
        snprintf(msg, sizeof msg, "rank %u did not join within %.0f s", missing,
                 n->o.connect_timeout);
      rt_net_fail(n, missing, msg);
      return;
    }
    uint32_t upto = n->have_table ? n->o.rank : (n->o.rank > 0 ? 1 : 0);
    for (uint32_t i = 0; i < upto; i++)
      if (!n->peers[i].conn && !n->peers[i].connecting && now >= n->peers[i].next_try)
        start_connect(n, i);
  }
  for (uint32_t i = 0; i < n->o.size; i++) {
    rt_peer *p = &n->peers[i];
    if (i == n->o.rank || !p->conn || p->conn->state != C_READY || p->bye_recv)
      continue;
    if (n->o.peer_timeout > 0 && now - p->last_recv > n->o.peer_timeout) {
      char why[100];
      snprintf(why, sizeof why, "nothing received for %.1f s", now - p->last_recv);
      peer_lost(n, i, why);
      return;
    }
    if (p->direct_fd < 0) /* the loop thread's own field: no lock to read */
      direct_update(p->conn);
    /* A peer hears from us at least four times per silence timeout, so a
     * short timeout does not fail a healthy but idle link. */
    double ping = PING_SECONDS;
    if (n->o.peer_timeout > 0 && n->o.peer_timeout / 4 < ping)
      ping = n->o.peer_timeout / 4;
    if (now - p->last_send > ping) {
      p->last_send = now;
      send_ctrl_any(n, i, RT_CTRL_PING, NULL, 0);
    }
  }
}

int rt_net_start(rt_net *n, char *err, size_t errlen) {
  struct sockaddr_storage ss;
  int r = resolve(n->loop, &n->o.listen, &ss);
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
  uv_async_init(n->loop, &n->wake, on_wake);
  n->wake.data = n;
  n->handles_open = 1;
  r = uv_tcp_bind(&n->listener, (struct sockaddr *)&ss, 0);
  if (r == 0)
    r = uv_listen((uv_stream_t *)&n->listener, 128, on_connection);
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
  uv_timer_start(&n->tick, on_tick, TICK_MS, TICK_MS);
  if (n->o.size == 1)
    n->have_table = 1;
  if (n->have_table) {
    for (uint32_t i = 0; i < n->o.rank; i++)
      start_connect(n, i);
  } else if (n->o.rank > 0) {
    start_connect(n, 0);
  }
  check_ready(n);
  return 0;
}

static void on_shutdown(uv_shutdown_t *req, int status) {
  rt_conn *c = req->data;
  if (status < 0)
    conn_close(c);
}

void rt_net_shutdown(rt_net *n) {
  pthread_mutex_lock(&n->qlock);
  int again = n->closing, failed = n->failed;
  n->closing = 1;
  pthread_cond_broadcast(&n->room);
  pthread_mutex_unlock(&n->qlock);
  if (again)
    return;
  n->drain_deadline = now_s() + (failed ? FAILED_DRAIN_SECONDS : DRAIN_SECONDS);
  /* Authenticated connections are half-closed after what was written (BYE
   * or ABORT); the rest are dropped. */
  for (rt_conn *c = n->conns; c; c = c->next) {
    if (c->state == C_READY) {
      c->sreq.data = c;
      direct_off(c);
      c->state = C_DRAINING;
      if (c->peer != RT_NO_PEER && n->peers[c->peer].conn == c)
        n->peers[c->peer].conn = NULL;
      if (uv_shutdown(&c->sreq, (uv_stream_t *)&c->tcp, on_shutdown) != 0)
        conn_close(c);
    } else {
      conn_close(c);
    }
  }
  if (!n->conns)
    close_handles(n);
  else if (n->listening) {
    /* Stop accepting; keep the tick to enforce the drain deadline. */
    uv_close((uv_handle_t *)&n->listener, NULL);
    n->listening = 0;
  }
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
