/* fuzz_ckpt.c: the loaders of a checkpoint's saved role state on untrusted
 * bytes: cl_cache_load (a client's cache) and srv_held_load (a shard's push
 * state). The first byte picks the loader (bit 0) and push or pull mode
 * (bit 1); the rest is the state, for a cluster of 3 clients and 2 shards
 * with a dense and a sparse table (the shape the seeds were saved from).
 * Checks: a refusal is a known error and loads nothing (the same bytes give
 * the same answer again); an accepted state saves again (a loaded shard is
 * always settled; a client is when its rows are fresh to its clock), and
 * what it saves loads into a fresh role and saves to the same bytes. */
#include "cl.h"
#include "fuzz.h"
#include "srv.h"

static int be_send(void *ctx, uint32_t dst, const uint8_t *frame, size_t len) {
  (void)ctx, (void)dst, (void)frame, (void)len;
  return ST_ESEND; /* loading sends nothing */
}
static double be_now(void *ctx) {
  (void)ctx;
  return 0;
}
static int be_timer(void *ctx, double delay, uint64_t token) {
  (void)ctx, (void)delay, (void)token;
  return ST_ESTATE;
}
static void be_block(void *ctx, uint32_t worker) { (void)ctx, (void)worker; }
static void be_wake(void *ctx, uint32_t worker) { (void)ctx, (void)worker; }
static void be_charge(void *ctx, uint32_t worker, double work) {
  (void)ctx, (void)worker, (void)work;
}
static const st_backend_ops OPS = {be_send, be_now, be_timer, be_block, be_wake, be_charge,
                                   NULL, NULL};
static const st_backend BE = {&OPS, NULL};

static void shape(int push, st_config *cfg, tbl_set *t) {
  *cfg = (st_config){.nclients = 3, .nservers = 2, .workers_per_client = 1, .server_base = 0,
                     .staleness = 0, .push = (uint8_t)push, .ordered = 1};
  memset(t, 0, sizeof *t);
  tbl_def d = {.id = 1, .rows = 10, .width = 4, .sparse = 0};
  tbl_def s = {.id = 2, .rows = 6, .width = 24, .sparse = 1};
  FUZZ_CHECK(tbl_add(t, &d) == 0 && tbl_add(t, &s) == 0);
}

static int known_refusal(int rc) {
  return rc == ST_EFRAME || rc == ST_EPEER || rc == ST_ENOTABLE || rc == ST_ERANGE ||
         rc == ST_EINVAL;
}

static void client(const st_config *cfg, const tbl_set *t, const uint8_t *p, size_t n) {
  cl_client *c = cl_create(cfg, t, 1, &BE);
  FUZZ_CHECK(c != NULL);
  int rc = cl_cache_load(c, p, n);
  if (rc != 0) {
    FUZZ_CHECK(known_refusal(rc));
    FUZZ_CHECK(cl_cache_load(c, p, n) == rc); /* nothing was loaded */
    cl_destroy(c);
    return;
  }
  snap_buf a = {0}, b = {0};
  if (cl_settled(c, cl_worker_clock(c, 0))) {
    FUZZ_CHECK(cl_cache_save(c, &a) == 0);
    cl_client *d = cl_create(cfg, t, 1, &BE);
    FUZZ_CHECK(d != NULL && cl_cache_load(d, a.data, a.len) == 0);
    FUZZ_CHECK(cl_cache_save(d, &b) == 0);
    FUZZ_CHECK(a.len == b.len && !memcmp(a.data, b.data, a.len));
    cl_destroy(d);
  } else {
    FUZZ_CHECK(cl_cache_save(c, &a) == ST_ESTATE);
  }
  snap_buf_free(&a);
  snap_buf_free(&b);
  cl_destroy(c);
}

static void shard(const st_config *cfg, const tbl_set *t, const uint8_t *p, size_t n) {
  srv_shard *s = srv_create(cfg, t, 1, &BE);
  FUZZ_CHECK(s != NULL);
  int rc = srv_held_load(s, p, n);
  if (rc != 0) {
    FUZZ_CHECK(known_refusal(rc));
    FUZZ_CHECK(srv_held_load(s, p, n) == rc);
    srv_destroy(s);
    return;
  }
  snap_buf a = {0}, b = {0};
  FUZZ_CHECK(srv_settled(s, srv_min_clock(s)));
  FUZZ_CHECK(srv_held_save(s, &a) == 0);
  srv_shard *d = srv_create(cfg, t, 1, &BE);
  FUZZ_CHECK(d != NULL && srv_held_load(d, a.data, a.len) == 0);
  FUZZ_CHECK(srv_held_save(d, &b) == 0);
  FUZZ_CHECK(a.len == b.len && !memcmp(a.data, b.data, a.len));
  srv_destroy(d);
  snap_buf_free(&a);
  snap_buf_free(&b);
  srv_destroy(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  st_config cfg;
  tbl_set t;
  shape((data[0] >> 1) & 1, &cfg, &t);
  if (data[0] & 1)
    shard(&cfg, &t, data + 1, size - 1);
  else
    client(&cfg, &t, data + 1, size - 1);
  return 0;
}
