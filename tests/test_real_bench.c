/* test_real_bench.c: the bench_real program: row-update throughput of the
 * real runtime over loopback against raw libuv TCP moving the same bytes.
 *
 *   bench_real [--rows R] [--width W] [--clocks K] [--reps N] [--header]
 *              [--runtime-only]  (no raw TCP runs: for perf record)
 *   bench_real --check     (ctest: a small functional run, no timing floor)
 *
 * Runtime: node 0 runs one client with one worker thread that adds a delta
 * to every row of a table and clocks, K times; node 1 hosts the only server
 * shard. Each clock is one CLOCK frame of ROWS x WIDTH floats. The clock
 * stops when the server has applied all K frames. Raw: one libuv loop writes
 * the same number of bytes in the same frame sizes to another that reads
 * and discards them. Both run in this process, each node on its own thread,
 * over 127.0.0.1. Prints one table line: row size, runtime and raw bytes/s
 * (median of N alternating repetitions each) and their ratio. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "ps.h"
#include "rt_be.h"
#include "rt_net.h"
#include "wire.h"

/* Shape of the current measurement (set from the command line). */
static uint32_t ROWS = 128, WIDTH = 1024;
static int CLOCKS = 300;

/* The bench's own assertion: a failed setup is a broken runtime, not a
 * slow one, so it ends the program. */
#define REQUIRE(x) bench_check(!!(x), #x, __LINE__, "")
#define REQUIRE_EQ(a, b) bench_check((a) == (b), #a " == " #b, __LINE__, "")
#define REQUIRE_MSG(x, why) bench_check((x), #x, __LINE__, (why))
static void bench_check(int ok, const char *what, int line, const char *why) {
  if (!ok) {
    fprintf(stderr, "bench_real: line %d: %s failed %s\n", line, what, why);
    exit(1);
  }
}

typedef struct bnode {
  uv_loop_t loop;
  rt_be be;
  rt_net *net;
  st_node *node;
  pthread_t loop_thr, worker_thr;
  ps_worker w;
  atomic_int ready;
  int failed, errors;
  uint64_t t_start, t_end;
  struct bnode *other;
} bnode;

static st_config bench_cfg(void) {
  st_config c = {.nclients = 1, .nservers = 1, .workers_per_client = 1, .server_base = 1,
                 .staleness = ST_STALENESS_INF, .push = 0};
  return c;
}

static void *worker_main(void *arg) {
  bnode *b = arg;
  float *delta = malloc(WIDTH * sizeof *delta);
  for (uint32_t i = 0; i < WIDTH; i++)
    delta[i] = 0.5f;
  b->t_start = uv_hrtime();
  for (int k = 0; k < CLOCKS; k++) {
    for (uint32_t r = 0; r < ROWS; r++)
      if (ps_inc(&b->w, 1, r, delta) != 0)
        b->errors++;
    if (ps_clock(&b->w) != 0)
      b->errors++;
  }
  free(delta);
  rt_net_bye(b->net);
  return NULL;
}

static void h_frame(void *ud, uint32_t src, const uint8_t *f, size_t len) {
  bnode *b = ud;
  (void)src;
  pthread_mutex_lock(&b->be.mu);
  int rc = node_on_frame(b->node, f, len);
  int all = b->node->server && srv_min_clock(b->node->server) >= (st_clock_t)CLOCKS;
  pthread_mutex_unlock(&b->be.mu);
  if (rc != 0)
    b->errors++;
  if (all && !b->t_end) {
    b->t_end = uv_hrtime();
    rt_net_bye(b->net);
  }
}

static void h_ready(void *ud) {
  bnode *b = ud;
  b->ready = 1;
  if (b->node->client)
    pthread_create(&b->worker_thr, NULL, worker_main, b);
}

static void h_fail(void *ud, uint32_t peer, const char *msg) {
  bnode *b = ud;
  (void)peer;
  fprintf(stderr, "bench: %s\n", msg);
  b->failed = 1;
  rt_be_fail(&b->be);
  rt_be_close(&b->be);
  rt_net_shutdown(b->net);
}

static void h_done(void *ud) {
  bnode *b = ud;
  rt_be_close(&b->be);
  rt_net_shutdown(b->net);
}

static void *loop_main(void *arg) {
  bnode *b = arg;
  uv_run(&b->loop, UV_RUN_DEFAULT);
  return NULL;
}

static const uint8_t SECRET[] = "bench";

static void bnode_init(bnode *b, uint32_t id, const tbl_set *t, uint16_t coord_port) {
  memset(b, 0, sizeof *b);
  uv_loop_init(&b->loop);
  REQUIRE_EQ(rt_be_init(&b->be, &b->loop, 1), 0);
  st_config cfg = bench_cfg();
  b->node = node_create(&cfg, t, id, rt_be_backend(&b->be));
  REQUIRE(b->node);
  rt_net_opts o;
  memset(&o, 0, sizeof o);
  o.rank = id;
  o.size = 2;
  rt_addr_parse("127.0.0.1:0", &o.listen);
  o.coordinator = (rt_addr){"127.0.0.1", coord_port};
  if (id == 0)
    o.coordinator.host[0] = '\0';
  o.secret = SECRET;
  o.secret_len = 5;
  rt_net_handlers h = {b, h_frame, NULL, h_ready, h_fail, h_done, NULL};
  char err[200];
  b->net = rt_net_create(&b->loop, &o, &h, err, sizeof err);
  REQUIRE_MSG(b->net != NULL, err);
  rt_be_attach(&b->be, b->net, b->node);
  REQUIRE_MSG(rt_net_start(b->net, err, sizeof err) == 0, err);
  if (b->node->client) {
    b->w.client = b->node->client;
    b->w.be = rt_be_backend(&b->be);
    b->w.nworkers = 1;
  }
}

/* Runtime rate in bytes/s of frames delivered; *frame_bytes is one frame. */
static double runtime_rate(size_t *frame_bytes, double *updates_per_s) {
  tbl_set t;
  memset(&t, 0, sizeof t);
  tbl_def d = {.id = 1, .rows = ROWS, .width = WIDTH};
  REQUIRE_EQ(tbl_add(&t, &d), 0);
  bnode n[2];
  bnode_init(&n[0], 0, &t, 0);
  bnode_init(&n[1], 1, &t, rt_net_port(n[0].net));
  for (int i = 0; i < 2; i++)
    pthread_create(&n[i].loop_thr, NULL, loop_main, &n[i]);
  for (int i = 0; i < 2; i++)
    pthread_join(n[i].loop_thr, NULL);
  pthread_join(n[0].worker_thr, NULL);
  REQUIRE(!n[0].failed && !n[1].failed);
  REQUIRE_EQ(n[0].errors + n[1].errors, 0);
  const cl_stats *cs = cl_get_stats(n[0].node->client);
  double secs = (double)(n[1].t_end - n[0].t_start) / 1e9;
  *frame_bytes = (size_t)(cs->bytes_out / cs->frames_out);
  *updates_per_s = (double)ROWS * CLOCKS / secs;
  double rate = (double)cs->bytes_out / secs;
  for (int i = 0; i < 2; i++) {
    rt_net_destroy(n[i].net);
    node_destroy(n[i].node);
    rt_be_destroy(&n[i].be);
    uv_loop_close(&n[i].loop);
  }
  return rate;
}

/* ---- raw libuv TCP with the same bytes ---- */

typedef struct raw {
  uv_loop_t loop;
  uv_tcp_t listener, conn;
  uv_connect_t creq;
  uint8_t *buf;
  size_t frame, total, got;
  uint64_t t_start, t_end;
  int nframes;
  char rbuf[1 << 16];
} raw;

static void raw_closed(uv_handle_t *h) { (void)h; }

static void raw_alloc(uv_handle_t *h, size_t s, uv_buf_t *b) {
  raw *r = h->data;
  (void)s;
  *b = uv_buf_init(r->rbuf, sizeof r->rbuf);
}

static void raw_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b) {
  raw *r = s->data;
  (void)b;
  if (n > 0)
    r->got += (size_t)n;
  if (n < 0 || r->got >= r->total) {
    if (!r->t_end)
      r->t_end = uv_hrtime();
    uv_close((uv_handle_t *)s, raw_closed);
  }
}

static void raw_accept(uv_stream_t *srv, int st) {
  raw *r = srv->data;
  REQUIRE_EQ(st, 0);
  uv_tcp_init(&r->loop, &r->conn);
  r->conn.data = r;
  uv_accept(srv, (uv_stream_t *)&r->conn);
  uv_read_start((uv_stream_t *)&r->conn, raw_alloc, raw_read);
  uv_close((uv_handle_t *)&r->listener, raw_closed);
}

typedef struct raw_tx {
  uv_loop_t loop;
  uv_tcp_t tcp;
  uv_connect_t creq;
  raw *rx;
  uv_write_t *w;
  int done;
} raw_tx;

static void raw_wrote(uv_write_t *w, int st) {
  raw_tx *t = w->data;
  REQUIRE_EQ(st, 0);
  if (++t->done == t->rx->nframes)
    uv_close((uv_handle_t *)&t->tcp, raw_closed);
}

static void raw_connected(uv_connect_t *c, int st) {
  raw_tx *t = c->data;
  REQUIRE_EQ(st, 0);
  t->rx->t_start = uv_hrtime();
  uv_buf_t b = uv_buf_init((char *)t->rx->buf, (unsigned)t->rx->frame);
  for (int k = 0; k < t->rx->nframes; k++) {
    t->w[k].data = t;
    uv_write(&t->w[k], (uv_stream_t *)&t->tcp, &b, 1, raw_wrote);
  }
}

static void *raw_loop(void *arg) {
  uv_run(arg, UV_RUN_DEFAULT);
  return NULL;
}

static double raw_rate(size_t frame, int nframes) {
  raw r;
  memset(&r, 0, sizeof r);
  r.frame = frame;
  r.nframes = nframes;
  r.total = frame * (size_t)nframes;
  r.buf = calloc(1, frame);
  uv_loop_init(&r.loop);
  uv_tcp_init(&r.loop, &r.listener);
  r.listener.data = &r;
  struct sockaddr_in a;
  uv_ip4_addr("127.0.0.1", 0, &a);
  REQUIRE_EQ(uv_tcp_bind(&r.listener, (struct sockaddr *)&a, 0), 0);
  REQUIRE_EQ(uv_listen((uv_stream_t *)&r.listener, 4, raw_accept), 0);
  int len = sizeof a;
  uv_tcp_getsockname(&r.listener, (struct sockaddr *)&a, &len);
  raw_tx t;
  memset(&t, 0, sizeof t);
  t.rx = &r;
  t.w = calloc((size_t)nframes, sizeof *t.w);
  uv_loop_init(&t.loop);
  uv_tcp_init(&t.loop, &t.tcp);
  uv_tcp_nodelay(&t.tcp, 1);
  t.creq.data = &t;
  uv_tcp_connect(&t.creq, &t.tcp, (struct sockaddr *)&a, raw_connected);
  pthread_t th[2];
  pthread_create(&th[0], NULL, raw_loop, &r.loop);
  pthread_create(&th[1], NULL, raw_loop, &t.loop);
  pthread_join(th[0], NULL);
  pthread_join(th[1], NULL);
  REQUIRE_EQ(r.got, r.total);
  uv_loop_close(&r.loop);
  uv_loop_close(&t.loop);
  free(t.w);
  free(r.buf);
  return (double)r.total / ((double)(r.t_end - r.t_start) / 1e9);
}

/* CPU seconds (user + system) of the whole process so far. */
static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int parse_u32(const char *flag, const char *v, uint32_t lo, uint32_t hi, uint32_t *out) {
  char *end;
  unsigned long x = v ? strtoul(v, &end, 10) : 0;
  if (!v || *end || end == v || x < lo || x > hi) {
    fprintf(stderr, "bench_real: %s: need an integer in %u..%u, got '%s'\n", flag, lo, hi,
            v ? v : "");
    return -1;
  }
  *out = (uint32_t)x;
  return 0;
}

int main(int argc, char **argv) {
  uint32_t reps = 5, clocks = 300;
  int header = 0, check = 0, runtime_only = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    int rc = 0;
    if (!strcmp(a, "--rows"))
      rc = parse_u32(a, v, 1, 1u << 20, &ROWS), i++;
    else if (!strcmp(a, "--width"))
      rc = parse_u32(a, v, 1, 1u << 16, &WIDTH), i++;
    else if (!strcmp(a, "--clocks"))
      rc = parse_u32(a, v, 1, 100000, &clocks), i++;
    else if (!strcmp(a, "--reps"))
      rc = parse_u32(a, v, 1, 101, &reps), i++;
    else if (!strcmp(a, "--header"))
      header = 1;
    else if (!strcmp(a, "--runtime-only")) /* for profiling the runtime alone */
      runtime_only = 1;
    else if (!strcmp(a, "--check"))
      check = 1;
    else {
      fprintf(stderr, "usage: bench_real [--rows R] [--width W] [--clocks K] [--reps N] "
                      "[--header] [--runtime-only] | --check\n");
      return 2;
    }
    if (rc)
      return 2;
  }
  if ((uint64_t)ROWS * WIDTH * sizeof(float) > (32u << 20)) {
    fprintf(stderr, "bench_real: rows x width x 4 bytes must fit a 32 MiB frame\n");
    return 2;
  }
  CLOCKS = (int)clocks;
  rt_be_keep_heap(); /* as `stale run` does */
  if (check) { /* every frame arrives and is applied; rates are positive */
    ROWS = 64;
    WIDTH = 256;
    CLOCKS = 20;
    reps = 1;
  }
  /* Per repetition: both rates, their ratio (a load burst slows both
   * halves of a pair alike, so the median ratio is steadier than the ratio
   * of medians), and the process CPU time per byte of each. */
  double rt[101], rw[101], ups[101], ratio[101], cpu_rt[101], cpu_rw[101];
  size_t frame = 0;
  for (uint32_t k = 0; k < reps; k++) {
    double c0 = cpu_s();
    rt[k] = runtime_rate(&frame, &ups[k]);
    double c1 = cpu_s();
    rw[k] = runtime_only ? rt[k] : raw_rate(frame, CLOCKS);
    double c2 = cpu_s(), bytes = (double)frame * CLOCKS;
    ratio[k] = rt[k] / rw[k];
    cpu_rt[k] = (c1 - c0) / bytes * 1e9;
    cpu_rw[k] = (c2 - c1) / bytes * 1e9;
  }
  double a = median(rt, (int)reps), b = median(rw, (int)reps), u = median(ups, (int)reps);
  double q = median(ratio, (int)reps), ca = median(cpu_rt, (int)reps),
         cb = median(cpu_rw, (int)reps);
  if (header)
    printf("%9s %6s %6s %8s %6s %4s %12s %12s %6s %11s %11s %12s\n", "row_bytes", "rows",
           "width", "frame_B", "clocks", "reps", "runtime_MB/s", "raw_MB/s", "ratio",
           "rt_cpu_ns/B", "raw_cpu_ns/B", "row_updates/s");
  printf("%9u %6u %6u %8zu %6d %4u %12.1f %12.1f %6.2f %11.3f %11.3f %12.3g\n",
         (unsigned)(WIDTH * sizeof(float)), ROWS, WIDTH, frame, CLOCKS, reps, a / 1e6, b / 1e6,
         q, ca, cb, u);
  if (check && !(a > 0 && b > 0)) {
    fprintf(stderr, "bench_real: a rate was not positive\n");
    return 1;
  }
  return 0;
}
