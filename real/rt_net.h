/* rt_net.h: the TCP transport of the real runtime. Owns one listening
 * socket, one authenticated connection per peer rank (a full mesh: the
 * higher rank connects to the lower), a bounded outbound queue per peer and
 * the loop-side timers. Nothing here knows the core's state machines: it
 * moves length-checked frames and a few control messages.
 *
 * Connection life: TCP connect, then a challenge-response handshake in which
 * each side proves it holds the cluster secret (HMAC-SHA-256 over both
 * nonces and both ranks), then a stream of frames. A frame is either a core
 * wire frame (32-byte header, length from wire_peek_header) or a 32-byte
 * control header (magic 'STCT', type, length) and payload. Anything else, or
 * a frame over max_frame, closes that connection with a logged reason.
 *
 * Threads: every function runs on the loop thread except rt_net_send,
 * rt_net_send_ctrl, rt_net_wait_room and rt_net_bye, which any thread may
 * call. Handlers are always called on the loop thread. */
#ifndef RT_NET_H
#define RT_NET_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define RT_HOST_MAX 64
#define RT_NO_PEER UINT32_MAX
#define RT_CTRL_MAGIC 0x54435453u /* "STCT" as little-endian u32 */
#define RT_CTRL_MAX (1u << 20)    /* bound on a control payload */

/* Control types above RT_CTRL_USER are passed to on_ctrl; lower ones are
 * the transport's own. */
enum rt_ctrl_type {
  RT_CTRL_TABLE = 1, /* coordinator -> rank: every rank's listen address */
  RT_CTRL_BYE = 2,   /* sender will send nothing more */
  RT_CTRL_ABORT = 3, /* sender lost a peer: u32 rank; everyone stops */
  RT_CTRL_PING = 4,  /* keeps an idle connection visibly alive */
  RT_CTRL_USER = 16
};

typedef struct rt_addr {
  char host[RT_HOST_MAX];
  uint16_t port;
} rt_addr;

/* Parses "host:port" (IPv4 dotted quad or name resolvable by getaddrinfo is
 * NOT attempted here: host is kept as text). ST_EPARSE on a bad string. */
int rt_addr_parse(const char *s, rt_addr *out);

typedef struct rt_net_handlers {
  void *ud; /* passed back to every handler; borrowed */
  /* A core frame from authenticated peer src whose header passed
   * wire_peek_header against max_frame. frame is borrowed for the call. */
  void (*on_frame)(void *ud, uint32_t src, const uint8_t *frame, size_t len);
  /* A control message of type >= RT_CTRL_USER; payload borrowed. */
  void (*on_ctrl)(void *ud, uint32_t src, uint32_t type, const uint8_t *p, size_t len);
  /* Every peer is connected and authenticated (called once). */
  void (*on_ready)(void *ud);
  /* The run cannot go on: peer (or RT_NO_PEER) was lost or unreachable. msg
   * names it. Called once; the transport then broadcasts ABORT and sends
   * nothing else. */
  void (*on_fail)(void *ud, uint32_t peer, const char *msg);
  /* BYE sent and received from every peer and every queued byte written:
   * the caller may shut the transport down. Called once. */
  void (*on_done)(void *ud);
  /* A line worth logging (refused connections, closed peers). */
  void (*on_log)(void *ud, const char *msg);
} rt_net_handlers;

typedef struct rt_net_opts {
  uint32_t rank, size;
  rt_addr listen;        /* where this rank listens; port 0 picks one */
  rt_addr coordinator;   /* rank 0's listen address (when peers is NULL) */
  const rt_addr *peers;  /* hostfile mode: size listen addresses, copied */
  const uint8_t *secret; /* cluster secret, copied */
  size_t secret_len;
  size_t max_frame;       /* largest frame accepted or sent, header included */
  size_t max_queued;      /* back-pressure bound on a peer's queued bytes */
  double connect_timeout; /* seconds to build the whole mesh */
  double peer_timeout;    /* seconds of silence that count as loss; 0 off */
} rt_net_opts;

typedef struct rt_net rt_net;

/* Creates a transport on loop (borrowed; must outlive it). Copies opts.
 * Returns NULL and writes a reason into err on failure. */
rt_net *rt_net_create(uv_loop_t *loop, const rt_net_opts *opts, const rt_net_handlers *h,
                      char *err, size_t errlen);
/* Binds, listens and starts reaching peers. 0 or a negative ST_ code with a
 * reason in err. */
int rt_net_start(rt_net *n, char *err, size_t errlen);
/* The port actually listened on (useful with port 0). */
uint16_t rt_net_port(const rt_net *n);

/* Sends frame[0..len) (borrowed for the call) to dst: if nothing is queued
 * for dst, writes what its socket takes at once from the calling thread,
 * and queues a copy of the rest for the loop thread (dst == own rank
 * delivers to on_frame on the loop thread). Any thread; never blocks on the
 * network. 0, ST_ETOOBIG, ST_ENOMEM, ST_EPEER (bad dst) or ST_ESEND
 * (transport failed or closed). */
int rt_net_send(rt_net *n, uint32_t dst, const uint8_t *frame, size_t len);
/* Queues a control message of type (>= RT_CTRL_USER) for dst != own rank. */
int rt_net_send_ctrl(rt_net *n, uint32_t dst, uint32_t type, const void *p, size_t len);
/* Blocks the calling (non-loop) thread while some peer's queue is over
 * max_queued; returns at once once the transport failed or closed. */
void rt_net_wait_room(rt_net *n);
/* Says goodbye to every peer after everything queued so far. Any thread. */
void rt_net_bye(rt_net *n);
/* Loop thread: closes every handle; run the loop until it returns before
 * rt_net_destroy. Frames still queued are dropped. */
void rt_net_shutdown(rt_net *n);
/* Frees n after rt_net_shutdown and uv_run have finished. */
void rt_net_destroy(rt_net *n);
/* Loop thread: reports a local, fatal failure through the same path as a
 * lost peer (on_fail, ABORT to every peer). */
void rt_net_fail(rt_net *n, uint32_t peer, const char *msg);
/* Bytes of core frames ever queued by rt_net_send, to any rank including
 * this one (as the simulator counts them); control messages excluded. */
uint64_t rt_net_bytes_sent(rt_net *n);
/* Total bytes queued (not yet written) across peers; any thread. */
size_t rt_net_queued(rt_net *n);

#endif
