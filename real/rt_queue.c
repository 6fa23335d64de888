/* rt_queue.c: buffer pools and the cross-thread queues: worker threads
 * enqueue frames (or write them straight into an idle socket), the loop
 * thread moves them into libuv writes; back-pressure on a peer's bytes. */
#include "rt_net_int.h"

/* A buffer for a len-byte frame, from the pool when one fits. */
static rt_out *net_out_alloc(rt_net *n, size_t len) {
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
static void net_out_free(rt_net *n, rt_out *o) {
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

static int net_enqueue(rt_net *n, uint32_t dst, rt_out *o) {
  pthread_mutex_lock(&n->qlock);
  if (n->closing || n->failed) {
    pthread_mutex_unlock(&n->qlock);
    net_out_free(n, o);
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
static size_t net_send_direct(rt_net *n, uint32_t dst, const uint8_t *frame, size_t len) {
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
  size_t done = net_send_direct(n, dst, frame, len);
  int rc = 0;
  if (done < len) {
    rt_out *o = net_out_alloc(n, len - done);
    if (o) {
      o->core = 1; /* counts the rest; net_send_direct counted the start */
      o->rest = done > 0;
      memcpy(o->data, frame + done, len - done);
      rc = net_enqueue(n, dst, o);
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

rt_out *net_ctrl_frame(uint32_t type, const void *p, size_t len) {
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

int net_send_ctrl_any(rt_net *n, uint32_t dst, uint32_t type, const void *p, size_t len) {
  if (dst >= n->o.size || dst == n->o.rank)
    return ST_EPEER;
  if (len > RT_CTRL_MAX)
    return ST_ETOOBIG;
  rt_out *o = net_ctrl_frame(type, p, len);
  if (!o)
    return ST_ENOMEM;
  pthread_mutex_lock(&n->sendlock);
  int rc = net_enqueue(n, dst, o);
  pthread_mutex_unlock(&n->sendlock);
  return rc;
}

int rt_net_send_ctrl(rt_net *n, uint32_t dst, uint32_t type, const void *p, size_t len) {
  if (type < RT_CTRL_USER)
    return ST_EINVAL;
  return net_send_ctrl_any(n, dst, type, p, len);
}

static int net_over_bound(rt_net *n) {
  for (uint32_t i = 0; i < n->o.size; i++)
    if (n->peers[i].queued > n->o.max_queued)
      return 1;
  return 0;
}

void rt_net_wait_room(rt_net *n) {
  pthread_mutex_lock(&n->qlock);
  while (!n->closing && !n->failed && net_over_bound(n))
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

static void net_write_done(uv_write_t *req, int status) {
  write_req *w = (write_req *)req;
  rt_net *n = w->net;
  while (w->list) {
    rt_out *o = w->list;
    w->list = o->next;
    net_out_free(n, o);
  }
  if (w->peer != RT_NO_PEER) {
    pthread_mutex_lock(&n->qlock);
    n->peers[w->peer].queued -= w->bytes;
    pthread_cond_broadcast(&n->room);
    pthread_mutex_unlock(&n->qlock);
    if (status < 0 && status != UV_ECANCELED && !n->peers[w->peer].bye_recv)
      net_peer_lost(n, w->peer, uv_strerror(status));
  }
  free(w);
  if (n->bye_sent)
    uv_async_send(&n->wake); /* re-check whether we are done */
}

/* Writes one unqueued buffer (handshake, abort) owned by o. */
int net_write_raw(rt_conn *c, rt_out *o) {
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
  int r = uv_write(&w->req, (uv_stream_t *)&c->tcp, w->bufs, 1, net_write_done);
  if (r < 0) {
    free(o);
    free(w);
    return ST_ESEND;
  }
  return 0;
}

/* Moves peer's queued frames into uv_write requests. Loop thread. */
void net_flush_peer(rt_net *n, uint32_t i) {
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
      net_peer_lost(n, i, "out of memory queueing a write");
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
    int r = uv_write(&w->req, (uv_stream_t *)&p->conn->tcp, w->bufs, cnt, net_write_done);
    if (r < 0) {
      pthread_mutex_lock(&n->qlock);
      p->queued -= bytes;
      pthread_cond_broadcast(&n->room);
      pthread_mutex_unlock(&n->qlock);
      while (list) {
        rt_out *o = list;
        list = o->next;
        net_out_free(n, o);
      }
      free(w);
      net_peer_lost(n, i, uv_strerror(r));
      return;
    }
  }
}

void net_deliver_self(rt_net *n) {
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
    net_out_free(n, o);
    if (n->failed)
      return;
  }
}
