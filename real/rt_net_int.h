/* rt_net_int.h: the transport's insides, shared by its files (rt_net.c,
 * rt_addr.c, rt_queue.c, rt_mesh.c, rt_rdv.c, rt_live.c) and by nothing
 * else. See rt_net.h for the contract.
 *
 * Locking: `qlock` guards the outbound queues, their byte counts and the
 * closing/failed flags, because worker threads enqueue while the loop
 * thread writes. It is a leaf lock: nothing else is taken while it is held,
 * and no handler is called with it held. Connection state is touched only by
 * the loop thread. */
#ifndef RT_NET_INT_H
#define RT_NET_INT_H

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rt_hs.h"
#include "rt_net.h"
#include "st.h"
#include "wire.h"

#define CTRL_HDR 32
#define TABLE_ENTRY (RT_HOST_MAX + 4)
#define HANDSHAKE_SECONDS 10.0
#define MAX_PENDING 64      /* unauthenticated connections at once */
#define TICK_MS 100
#define RETRY_SECONDS 0.2 /* first retry of a peer not reached; doubles up to RETRY_MAX */
#define RETRY_MAX 1.0
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
  double backoff; /* seconds until the next try after a failed one */
  uint32_t tries; /* dials that failed */
  char why[120];  /* the last one's reason */
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
  /* Refused unauthenticated connections (loop thread): the first
   * REFUSE_LOG_BURST of each REFUSE_LOG_WINDOW seconds are logged one line
   * each, the rest counted and summed up in one line, so a flood cannot
   * flood the log. */
  double refuse_window;
  uint32_t refuse_logged, refuse_quiet;
  uint64_t refused;
};

#define REFUSE_LOG_BURST 5
#define REFUSE_LOG_WINDOW 10.0

typedef struct write_req {
  uv_write_t req;
  rt_net *net;
  uint32_t peer; /* RT_NO_PEER: not counted in a queue */
  size_t bytes;
  rt_out *list;
  unsigned nbufs;
  uv_buf_t bufs[];
} write_req;

static inline double now_s(void) { return (double)uv_hrtime() / 1e9; }

static inline void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}
static inline uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Functions of one file that another calls, by the file that owns them. */
/* rt_addr.c: resolution and printing of addresses. */
int net_resolve(uv_loop_t *loop, const rt_addr *a, struct sockaddr_storage *ss);
void net_sockaddr_text(const struct sockaddr_storage *ss, char *out, size_t len);
/* rt_queue.c: pools and queues; any thread may enqueue, the loop thread writes. */
int net_send_ctrl_any(rt_net *n, uint32_t dst, uint32_t type, const void *p, size_t len);
int net_write_raw(rt_conn *c, rt_out *o);
rt_out *net_ctrl_frame(uint32_t type, const void *p, size_t len);
void net_deliver_self(rt_net *n);
void net_flush_peer(rt_net *n, uint32_t i);
/* rt_mesh.c: connections. */
void net_close_handles(rt_net *n);
void net_conn_close(rt_conn *c);
void net_dial_failed(rt_net *n, uint32_t peer, const char *why);
void net_direct_off(rt_conn *c);
void net_direct_update(rt_conn *c);
void net_on_connection(uv_stream_t *server, int status);
void net_on_wake(uv_async_t *a);
void net_reject(rt_conn *c, const char *fmt, ...);
void net_start_connect(rt_net *n, uint32_t peer);
/* rt_rdv.c: rendezvous and control messages. */
void net_broadcast_abort(rt_net *n, uint32_t lost);
void net_check_done(rt_net *n);
void net_check_ready(rt_net *n);
void net_handle_ctrl(rt_conn *c, uint32_t type, const uint8_t *p, size_t len);
void net_maybe_send_table(rt_net *n);
/* rt_live.c: liveness. */
void net_on_tick(uv_timer_t *t);
/* rt_net.c: failure, and the log line handler. */
void net_log(rt_net *n, const char *fmt, ...);
/* A refused unauthenticated connection: logged within the rate limit. */
void net_log_refused(rt_net *n, const char *fmt, ...);
/* Logs the count of refusals not logged in a window that has ended (or,
 * with force, so far). */
void net_refused_summary(rt_net *n, int force);
void net_peer_lost(rt_net *n, uint32_t peer, const char *why);
void net_peer_name(const rt_net *n, uint32_t peer, char *out, size_t len);

#endif
