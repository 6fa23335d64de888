/* test_real_net.c: the real runtime's transport on 127.0.0.1: mesh
 * formation (coordinator and hostfile), ordered exactly-once delivery,
 * refusal of peers without the secret, the frame size limit, peer loss and
 * back-pressure. Each rank runs its own libuv loop on its own thread. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "test_port.h"
#include "rt_net.h"
#include "rt_sha256.h"
#include "wire.h"

#define MAXN 6
#define NFRAMES 200

typedef struct tnode {
  uv_loop_t loop;
  rt_net *net;
  uint32_t rank, size;
  pthread_t thr;
  uint32_t next_seq[MAXN]; /* next expected frame index from each src */
  int bad_order;
  atomic_int ready, done, failed;
  uint32_t fail_peer;
  char fail_msg[700];
  char log[8192];
  pthread_mutex_t lk;
  int send_on_ready; /* frames to send to each peer once ready */
  size_t frame_floats;
  atomic_long received_bytes;
  int slow_us; /* sleep per received frame (a slow reader) */
  int any_order; /* frames come from several threads: check content only */
  atomic_int bad_content, frames_in;
  uv_async_t stop; /* fails the node from another thread (a crash) */
  int stop_open;
} tnode;

static void usleep(long us) {
  struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
  nanosleep(&ts, NULL);
}

static const uint8_t SECRET[] = "correct horse battery staple";

static void make_frame(wire_buf *b, uint32_t src, uint32_t dst, uint32_t seq, size_t nfloats) {
  wire_header h = {.version = WIRE_VERSION, .type = WIRE_ROWS, .src = src, .dst = dst, .seq = seq};
  float *v = calloc(nfloats, sizeof *v);
  for (size_t i = 0; i < nfloats; i++)
    v[i] = (float)(seq + i);
  ck_assert_int_eq(wire_begin(b, &h, 64u << 20), 0);
  ck_assert_int_eq(wire_add_dense(b, 1, seq, v, (uint32_t)nfloats), 0);
  ck_assert_int_eq(wire_finish(b), 0);
  free(v);
}

/* Whether the frame's one row holds make_frame's values seq + i. */
static int frame_content_ok(const wire_msg *m) {
  wire_iter it;
  wire_row r;
  wire_iter_init(&it, m);
  if (!wire_next(&it, &r) || r.row != m->hdr.seq || r.n == 0)
    return 0;
  float *v = calloc(r.n, sizeof *v);
  int ok = v && wire_row_add_into(&r, v, r.n) == 0;
  for (uint32_t i = 0; ok && i < r.n; i++)
    ok = v[i] == (float)(m->hdr.seq + i);
  free(v);
  return ok && !wire_next(&it, &r);
}

static void h_frame(void *ud, uint32_t src, const uint8_t *f, size_t len) {
  tnode *t = ud;
  wire_msg m;
  int ok = wire_decode(f, len, 64u << 20, &m) == 0;
  if (!ok || m.hdr.src != src || m.hdr.dst != t->rank ||
      (!t->any_order && m.hdr.seq != t->next_seq[src]))
    t->bad_order = 1;
  if (t->any_order && (!ok || !frame_content_ok(&m)))
    t->bad_content = 1;
  t->frames_in++;
  t->next_seq[src]++;
  t->received_bytes += (long)len;
  if (t->slow_us)
    usleep(t->slow_us);
}

static void h_ctrl(void *ud, uint32_t src, uint32_t type, const uint8_t *p, size_t len) {
  (void)ud, (void)src, (void)type, (void)p, (void)len;
}

static void h_ready(void *ud) {
  tnode *t = ud;
  t->ready = 1;
  if (!t->send_on_ready)
    return;
  wire_buf b = {0};
  for (int k = 0; k < t->send_on_ready; k++)
    for (uint32_t d = 0; d < t->size; d++) {
      make_frame(&b, t->rank, d, (uint32_t)k, t->frame_floats);
      ck_assert_int_eq(rt_net_send(t->net, d, b.data, b.len), 0);
    }
  wire_buf_free(&b);
  rt_net_bye(t->net);
}

static void close_stop(tnode *t) {
  if (t->stop_open)
    uv_close((uv_handle_t *)&t->stop, NULL);
  t->stop_open = 0;
}

static void h_fail(void *ud, uint32_t peer, const char *msg) {
  tnode *t = ud;
  close_stop(t);
  pthread_mutex_lock(&t->lk);
  snprintf(t->fail_msg, sizeof t->fail_msg, "%s", msg);
  pthread_mutex_unlock(&t->lk);
  t->fail_peer = peer;
  t->failed = 1;
  rt_net_shutdown(t->net);
}

static void h_done(void *ud) {
  tnode *t = ud;
  close_stop(t);
  t->done = 1;
  rt_net_shutdown(t->net);
}

static void stop_cb(uv_async_t *a) {
  tnode *t = a->data;
  /* Closing every socket without BYE is what a crash looks like to peers. */
  close_stop(t);
  t->failed = 1;
  snprintf(t->fail_msg, sizeof t->fail_msg, "stopped by the test");
  rt_net_shutdown(t->net);
}

static void h_log(void *ud, const char *msg) {
  tnode *t = ud;
  pthread_mutex_lock(&t->lk);
  size_t l = strlen(t->log);
  snprintf(t->log + l, sizeof t->log - l, "%s\n", msg);
  pthread_mutex_unlock(&t->lk);
}

static rt_net_handlers handlers(tnode *t) {
  rt_net_handlers h = {t, h_frame, h_ctrl, h_ready, h_fail, h_done, h_log};
  return h;
}

static void node_init(tnode *t, uint32_t rank, uint32_t size, const rt_net_opts *base) {
  memset(t, 0, sizeof *t);
  pthread_mutex_init(&t->lk, NULL);
  t->rank = rank;
  t->size = size;
  t->frame_floats = 16;
  uv_loop_init(&t->loop);
  rt_net_opts o = *base;
  o.rank = rank;
  o.size = size;
  char err[256];
  rt_net_handlers h = handlers(t);
  uv_async_init(&t->loop, &t->stop, stop_cb);
  t->stop.data = t;
  t->stop_open = 1;
  t->net = rt_net_create(&t->loop, &o, &h, err, sizeof err);
  ck_assert_msg(t->net != NULL, "%s", err);
  ck_assert_msg(rt_net_start(t->net, err, sizeof err) == 0, "%s", err);
}

static void *loop_thread(void *arg) {
  tnode *t = arg;
  uv_run(&t->loop, UV_RUN_DEFAULT);
  return NULL;
}

static void node_run(tnode *t) { pthread_create(&t->thr, NULL, loop_thread, t); }

static void node_join_free(tnode *t) {
  pthread_join(t->thr, NULL);
  rt_net_destroy(t->net);
  ck_assert_int_eq(uv_loop_close(&t->loop), 0);
  pthread_mutex_destroy(&t->lk);
}

static rt_net_opts base_opts(void) {
  rt_net_opts o;
  memset(&o, 0, sizeof o);
  rt_addr_parse("127.0.0.1:0", &o.listen);
  o.secret = SECRET;
  o.secret_len = sizeof SECRET - 1;
  o.max_frame = 1u << 20;
  o.connect_timeout = 10;
  return o;
}

/* Starts rank 0 and learns its port, so the others can find it. */
static void start_coordinated(tnode *nodes, uint32_t size, rt_net_opts o) {
  node_init(&nodes[0], 0, size, &o);
  snprintf(o.coordinator.host, sizeof o.coordinator.host, "127.0.0.1");
  o.coordinator.port = rt_net_port(nodes[0].net);
  for (uint32_t r = 1; r < size; r++)
    node_init(&nodes[r], r, size, &o);
}

static double now_s(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

START_TEST(mesh_delivers_every_frame_in_order) {
  tnode nodes[4];
  start_coordinated(nodes, 4, base_opts());
  for (int r = 0; r < 4; r++) {
    nodes[r].send_on_ready = NFRAMES;
    node_run(&nodes[r]);
  }
  for (int r = 0; r < 4; r++)
    node_join_free(&nodes[r]);
  for (int r = 0; r < 4; r++) {
    ck_assert_msg(nodes[r].done && !nodes[r].failed, "rank %d: %s", r, nodes[r].fail_msg);
    ck_assert_int_eq(nodes[r].bad_order, 0);
    for (int s = 0; s < 4; s++)
      ck_assert_uint_eq(nodes[r].next_seq[s], NFRAMES); /* self-sends included */
  }
}
END_TEST

/* Addresses may be host names: both the listen address and the
 * coordinator's go through the resolver (it once had no loop and crashed). */
START_TEST(host_names_are_resolved) {
  tnode nodes[2];
  rt_net_opts o = base_opts();
  rt_addr_parse("localhost:0", &o.listen);
  node_init(&nodes[0], 0, 2, &o);
  snprintf(o.coordinator.host, sizeof o.coordinator.host, "localhost");
  o.coordinator.port = rt_net_port(nodes[0].net);
  node_init(&nodes[1], 1, 2, &o);
  for (int r = 0; r < 2; r++) {
    nodes[r].send_on_ready = 10;
    node_run(&nodes[r]);
  }
  for (int r = 0; r < 2; r++)
    node_join_free(&nodes[r]);
  for (int r = 0; r < 2; r++) {
    ck_assert_msg(nodes[r].done && !nodes[r].failed, "rank %d: %s", r, nodes[r].fail_msg);
    ck_assert_uint_eq(nodes[r].next_seq[1 - r], 10);
  }
}
END_TEST

START_TEST(hostfile_mesh_forms_without_coordinator) {
  rt_addr peers[3];
  int hold[3];
  for (int i = 0; i < 3; i++) {
    snprintf(peers[i].host, sizeof peers[i].host, "127.0.0.1");
    peers[i].port = test_reserve_port(&hold[i]);
  }
  rt_net_opts o = base_opts();
  o.peers = peers;
  tnode nodes[3];
  /* Start the highest rank first: connections to ranks not yet listening
   * must be retried, not fail. */
  for (int r = 2; r >= 0; r--) {
    node_init(&nodes[r], (uint32_t)r, 3, &o);
    nodes[r].send_on_ready = 10;
    node_run(&nodes[r]);
    usleep(100000);
  }
  for (int r = 0; r < 3; r++)
    node_join_free(&nodes[r]);
  for (int i = 0; i < 3; i++)
    close(hold[i]);
  for (int r = 0; r < 3; r++) {
    ck_assert_msg(nodes[r].done, "rank %d: %s", r, nodes[r].fail_msg);
    ck_assert_uint_eq(nodes[r].next_seq[(r + 1) % 3], 10);
  }
}
END_TEST

START_TEST(rank_with_wrong_secret_is_refused) {
  tnode nodes[2];
  rt_net_opts o = base_opts();
  o.connect_timeout = 3;
  node_init(&nodes[0], 0, 2, &o);
  o.coordinator = (rt_addr){"127.0.0.1", rt_net_port(nodes[0].net)};
  static const uint8_t wrong[] = "incorrect horse";
  o.secret = wrong;
  o.secret_len = sizeof wrong - 1;
  node_init(&nodes[1], 1, 2, &o);
  node_run(&nodes[0]);
  node_run(&nodes[1]);
  double t0 = now_s();
  while (!nodes[1].failed && now_s() - t0 < 10)
    usleep(10000);
  /* Rank 1 learns at once that rank 0 does not share its secret. */
  ck_assert(nodes[1].failed);
  ck_assert_ptr_nonnull(strstr(nodes[1].fail_msg, "failed the handshake"));
  ck_assert_ptr_nonnull(strstr(nodes[1].log, "shared-secret proof"));
  /* Rank 0 never accepted anyone; it gives up when the join deadline
   * passes. */
  t0 = now_s();
  while (!nodes[0].failed && now_s() - t0 < 15)
    usleep(10000);
  ck_assert(nodes[0].failed);
  ck_assert(!nodes[0].ready);
  node_join_free(&nodes[0]);
  node_join_free(&nodes[1]);
}
END_TEST

/* A raw client that knows the protocol but not the secret: its forged
 * proof is refused, the refusal is logged, the connection is closed, and
 * no frame it sends afterwards is delivered. */
START_TEST(raw_client_without_secret_is_closed) {
  tnode nodes[1];
  rt_net_opts o = base_opts();
  node_init(&nodes[0], 0, 2, &o);
  uint16_t port = rt_net_port(nodes[0].net);
  node_run(&nodes[0]);

  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
  uint8_t hello[5 * 4 + RT_HOST_MAX + 32] = {0};
  uint32_t w[5] = {0x4C485453u, 1, 1, 2, 0};
  memcpy(hello, w, sizeof w); /* little-endian host, as on x86 and arm */
  ck_assert_int_eq(write(fd, hello, sizeof hello), (ssize_t)sizeof hello);
  uint8_t ack[4 * 4 + 64];
  size_t got = 0;
  while (got < sizeof ack) {
    ssize_t r = read(fd, ack + got, sizeof ack - got);
    ck_assert_int_gt(r, 0);
    got += (size_t)r;
  }
  /* Proof MAC'd with a guessed secret, then a frame. */
  uint8_t proof[36 + 64] = {0};
  uint32_t pm = 0x50485453u;
  memcpy(proof, &pm, 4);
  rt_hmac_sha256("guess", 5, ack + 16, 32, proof + 4);
  wire_buf b = {0};
  make_frame(&b, 1, 0, 0, 4);
  memcpy(proof + 36, b.data, b.len < 64 ? b.len : 64);
  wire_buf_free(&b);
  ck_assert_int_eq(write(fd, proof, sizeof proof), (ssize_t)sizeof proof);
  uint8_t c;
  ssize_t r = read(fd, &c, 1); /* EOF: the server hung up */
  ck_assert_int_le(r, 0);
  close(fd);
  double t0 = now_s();
  while (!strstr(nodes[0].log, "shared-secret") && now_s() - t0 < 5)
    usleep(10000);
  pthread_mutex_lock(&nodes[0].lk);
  ck_assert_ptr_nonnull(strstr(nodes[0].log, "refused connection from 127.0.0.1"));
  ck_assert_ptr_nonnull(strstr(nodes[0].log, "failed the shared-secret proof"));
  pthread_mutex_unlock(&nodes[0].lk);
  ck_assert_uint_eq(nodes[0].next_seq[1], 0);
  /* Garbage instead of a hello is refused too. */
  fd = socket(AF_INET, SOCK_STREAM, 0);
  ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
  memset(hello, 'x', sizeof hello);
  ck_assert_int_eq(write(fd, hello, sizeof hello), (ssize_t)sizeof hello);
  r = read(fd, &c, 1);
  ck_assert_int_le(r, 0);
  close(fd);
  t0 = now_s();
  while (!strstr(nodes[0].log, "not a stale handshake") && now_s() - t0 < 5)
    usleep(10000);
  ck_assert_ptr_nonnull(strstr(nodes[0].log, "not a stale handshake"));
  ck_assert(!nodes[0].failed); /* refusals do not end the run */
  ck_assert(!nodes[0].ready);
  uv_async_send(&nodes[0].stop);
  node_join_free(&nodes[0]);
}
END_TEST

START_TEST(frame_over_limit_closes_connection) {
  tnode nodes[2];
  rt_net_opts o = base_opts();
  o.max_frame = 4096;
  node_init(&nodes[0], 0, 2, &o);
  o.coordinator = (rt_addr){"127.0.0.1", rt_net_port(nodes[0].net)};
  o.max_frame = 1u << 20; /* rank 1 allows itself bigger frames */
  node_init(&nodes[1], 1, 2, &o);
  nodes[1].send_on_ready = 1;
  nodes[1].frame_floats = 4000; /* ~16 KB > 4096 */
  node_run(&nodes[0]);
  node_run(&nodes[1]);
  node_join_free(&nodes[0]);
  node_join_free(&nodes[1]);
  ck_assert(nodes[0].failed);
  ck_assert_ptr_nonnull(strstr(nodes[0].log, "closing connection from rank 1"));
  ck_assert_ptr_nonnull(strstr(nodes[0].log, "limit 4096"));
  ck_assert_ptr_nonnull(strstr(nodes[0].fail_msg, "lost peer rank 1"));
  ck_assert_uint_eq(nodes[0].next_seq[1], 0);
  /* Rank 1 hears of it through the closed connection or the abort. */
  ck_assert(nodes[1].failed);
  ck_assert_ptr_nonnull(strstr(nodes[1].fail_msg, "lost peer rank"));
}
END_TEST

/* A node that vanishes (its sockets close without BYE) makes every other
 * node fail quickly, naming it. */
START_TEST(lost_peer_is_named_everywhere) {
  tnode nodes[4];
  start_coordinated(nodes, 4, base_opts());
  for (int r = 0; r < 4; r++)
    node_run(&nodes[r]);
  double t0 = now_s();
  for (int r = 0; r < 4; r++)
    while (!nodes[r].ready && now_s() - t0 < 10)
      usleep(10000);
  uv_async_send(&nodes[2].stop);
  t0 = now_s();
  for (int r = 0; r < 4; r++)
    node_join_free(&nodes[r]);
  ck_assert(now_s() - t0 < 10);
  for (int r = 0; r < 4; r++) {
    if (r == 2)
      continue;
    ck_assert(nodes[r].failed);
    ck_assert_msg(strstr(nodes[r].fail_msg, "lost peer rank 2") != NULL, "rank %d: %s", r,
                  nodes[r].fail_msg);
  }
}
END_TEST

/* The sender respects the bound while the receiver drains slowly. */
typedef struct sender {
  tnode *t;
  size_t max_seen;
  int nframes;
} sender;

static void *send_thread(void *arg) {
  sender *s = arg;
  wire_buf b = {0};
  for (int k = 0; k < s->nframes; k++) {
    rt_net_wait_room(s->t->net);
    make_frame(&b, 0, 1, (uint32_t)k, 16000); /* ~64 KB */
    ck_assert_int_eq(rt_net_send(s->t->net, 1, b.data, b.len), 0);
    size_t q = rt_net_queued(s->t->net);
    if (q > s->max_seen)
      s->max_seen = q;
  }
  wire_buf_free(&b);
  rt_net_bye(s->t->net);
  return NULL;
}

START_TEST(sender_waits_when_peer_is_slow) {
  tnode nodes[2];
  rt_net_opts o = base_opts();
  o.max_queued = 256u << 10;
  start_coordinated(nodes, 2, o);
  nodes[1].slow_us = 2000; /* 64 KB per 2 ms: ~32 MB/s */
  node_run(&nodes[0]);
  node_run(&nodes[1]);
  double t0 = now_s();
  while (!nodes[0].ready && now_s() - t0 < 10)
    usleep(10000);
  rt_net_bye(nodes[1].net);
  sender s = {&nodes[0], 0, 400};
  pthread_t th;
  pthread_create(&th, NULL, send_thread, &s);
  pthread_join(th, NULL);
  node_join_free(&nodes[0]);
  node_join_free(&nodes[1]);
  ck_assert_msg(nodes[0].done, "%s", nodes[0].fail_msg);
  ck_assert_uint_eq(nodes[1].next_seq[0], 400);
  ck_assert_int_eq(nodes[1].bad_order, 0);
  /* The bound plus the one frame that found room. */
  ck_assert_uint_le(s.max_seen, o.max_queued + 70000);
}
END_TEST

/* Several threads send big frames of different sizes to one slow peer at
 * once (and the loop thread its pings). A sender writes straight to the
 * socket while nothing is queued and queues the rest of a frame the kernel
 * did not take, so frames must stay whole and unmixed on the stream however
 * the senders race. */
typedef struct racer {
  tnode *t;
  uint32_t first, n;
} racer;

static void *race_thread(void *arg) {
  racer *r = arg;
  wire_buf b = {0};
  for (uint32_t k = 0; k < r->n; k++) {
    rt_net_wait_room(r->t->net);
    make_frame(&b, 0, 1, r->first + k, 20000 + 7000 * (k % 5)); /* 80..220 KB */
    ck_assert_int_eq(rt_net_send(r->t->net, 1, b.data, b.len), 0);
  }
  wire_buf_free(&b);
  return NULL;
}

START_TEST(concurrent_senders_keep_frames_whole) {
  tnode nodes[2];
  rt_net_opts o = base_opts();
  o.max_queued = 1u << 20;
  start_coordinated(nodes, 2, o);
  nodes[1].slow_us = 300;
  nodes[1].any_order = 1;
  node_run(&nodes[0]);
  node_run(&nodes[1]);
  double t0 = now_s();
  while (!nodes[0].ready && now_s() - t0 < 10)
    usleep(10000);
  rt_net_bye(nodes[1].net);
  racer r[3] = {{&nodes[0], 0, 60}, {&nodes[0], 1000, 60}, {&nodes[0], 2000, 60}};
  pthread_t th[3];
  for (int i = 0; i < 3; i++)
    pthread_create(&th[i], NULL, race_thread, &r[i]);
  for (int i = 0; i < 3; i++)
    pthread_join(th[i], NULL);
  rt_net_bye(nodes[0].net);
  node_join_free(&nodes[0]);
  node_join_free(&nodes[1]);
  ck_assert_msg(nodes[0].done && nodes[1].done, "%s / %s", nodes[0].fail_msg, nodes[1].fail_msg);
  ck_assert_int_eq(nodes[1].frames_in, 180);
  ck_assert_int_eq(nodes[1].bad_order, 0);
  ck_assert_int_eq(nodes[1].bad_content, 0);
}
END_TEST

START_TEST(addr_parse_rejects_bad_input) {
  rt_addr a;
  ck_assert_int_eq(rt_addr_parse("10.0.0.1:4000", &a), 0);
  ck_assert_str_eq(a.host, "10.0.0.1");
  ck_assert_uint_eq(a.port, 4000);
  ck_assert_int_eq(rt_addr_parse("[::1]:5", &a), 0);
  ck_assert_str_eq(a.host, "::1");
  ck_assert_int_lt(rt_addr_parse("10.0.0.1", &a), 0);
  ck_assert_int_lt(rt_addr_parse("10.0.0.1:", &a), 0);
  ck_assert_int_lt(rt_addr_parse(":80", &a), 0);
  ck_assert_int_lt(rt_addr_parse("h:70000", &a), 0);
  ck_assert_int_lt(rt_addr_parse("h:12x", &a), 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("real_net");
  TCase *tc = tcase_create("all");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, addr_parse_rejects_bad_input);
  tcase_add_test(tc, mesh_delivers_every_frame_in_order);
  tcase_add_test(tc, hostfile_mesh_forms_without_coordinator);
  tcase_add_test(tc, host_names_are_resolved);
  tcase_add_test(tc, rank_with_wrong_secret_is_refused);
  tcase_add_test(tc, raw_client_without_secret_is_closed);
  tcase_add_test(tc, frame_over_limit_closes_connection);
  tcase_add_test(tc, lost_peer_is_named_everywhere);
  tcase_add_test(tc, sender_waits_when_peer_is_slow);
  tcase_add_test(tc, concurrent_senders_keep_frames_whole);
  suite_add_tcase(s, tc);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int failed = srunner_ntests_failed(r);
  srunner_free(r);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
