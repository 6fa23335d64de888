/* fuzz_sched.c: the model-parallel scheduler's frames (core/mpsched.c) on
 * untrusted bytes. A cluster of 3 nodes x 2 workers with a coordinator on
 * node 0 (priority+dependency, depth 1) is driven by the input, read as
 * steps [u8 op][u16 len][len bytes]: op % 4 = 0 hands the bytes to node
 * (op / 4) % 3 as a frame; 1 makes worker (op / 4) % 6 fetch its next task;
 * 2 makes it report len / 4 floats (the bytes) as its result; 3 a result of
 * exactly the right length. Frames the nodes send each other are delivered
 * at once. Checks: every call returns 0, ST_WAIT or a known error; a task
 * names only variables that exist, no more than the schedule size; the
 * round a worker gets never goes back. */
#include "fuzz.h"
#include "node.h"

#define NODES 3
#define WPN 2
#define NV 24

typedef struct fz_world {
  st_node *n[NODES];
  st_backend be[NODES];
  uint32_t id[NODES];
  int depth; /* delivery recursion guard */
} fz_world;

static fz_world *fz_w;

static int fz_send(void *ctx, uint32_t dst, const uint8_t *frame, size_t len) {
  (void)ctx;
  if (dst >= NODES || fz_w->depth > 64) return ST_ESEND;
  fz_w->depth++;
  int rc = node_on_frame(fz_w->n[dst], frame, len);
  fz_w->depth--;
  FUZZ_CHECK(rc <= 0);
  return 0;
}
static double fz_now(void *ctx) { (void)ctx; return 0; }
static int fz_timer(void *ctx, double d, uint64_t t) { (void)ctx; (void)d; (void)t; return 0; }
static void fz_block(void *ctx, uint32_t w) { (void)ctx; (void)w; }
static void fz_wake(void *ctx, uint32_t w) { (void)ctx; (void)w; }
static void fz_charge(void *ctx, uint32_t w, double x) { (void)ctx; (void)w; (void)x; }
static const st_backend_ops fz_ops = {fz_send, fz_now, fz_timer, fz_block, fz_wake, fz_charge, NULL, NULL};

static float fz_update(void *ctx, uint32_t var, float old, const double *sum) {
  (void)ctx;
  (void)var;
  return (float)((double)old + sum[0] * 0.01);
}
static double fz_dep(void *ctx, uint32_t a, uint32_t b, double *work) {
  (void)ctx;
  *work += 1;
  return (double)((a * 7 + b * 7) % 10) / 10.0;
}

static int known(int rc) { return rc == 0 || rc == ST_WAIT || (rc < 0 && rc >= ST_ECLOSED); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_world w = {0};
  fz_w = &w;
  st_config cfg = {.nclients = NODES, .nservers = 1, .workers_per_client = WPN, .staleness = 0};
  tbl_set t = {0};
  tbl_def m = {.id = 0, .rows = 1, .width = 4};
  FUZZ_CHECK(tbl_add(&t, &m) == 0);
  for (uint32_t i = 0; i < NODES; i++) {
    w.id[i] = i;
    w.be[i] = (st_backend){&fz_ops, &w.id[i]};
    w.n[i] = node_create(&cfg, &t, i, &w.be[i]);
    FUZZ_CHECK(w.n[i] != NULL);
  }
  sched_params p = sched_params_defaults();
  p.kind = SCHED_PRIODEP;
  p.size = 5;
  p.rho = 0.5;
  p.depth = 1;
  p.rounds = 50;
  sched_app app = {.nvars = NV, .width = 1, .update = fz_update, .dep = fz_dep};
  FUZZ_CHECK(node_attach_sched(w.n[0], &p, &app, &w.be[0]) == 0);
  uint32_t last_round[NODES * WPN];
  uint32_t cur_n[NODES * WPN] = {0};
  memset(last_round, 0, sizeof last_round);
  float vals[256];
  size_t i = 0;
  while (i + 3 <= size) {
    uint8_t op = data[i];
    size_t len = (size_t)data[i + 1] | (size_t)data[i + 2] << 8;
    i += 3;
    if (len > size - i) len = size - i;
    const uint8_t *b = data + i;
    i += len;
    uint32_t g = (uint32_t)(op / 4) % (NODES * WPN), node = g / WPN, k = g % WPN;
    int rc;
    switch (op % 4) {
    case 0:
      rc = node_on_frame(w.n[(op / 4) % NODES], b, len);
      FUZZ_CHECK(known(rc) && rc != ST_WAIT);
      break;
    case 1: {
      sched_task task;
      rc = sched_agent_next(w.n[node]->agent, k, &task);
      FUZZ_CHECK(known(rc));
      if (rc == 0) {
        FUZZ_CHECK(task.nvars <= NV);
        for (uint32_t q = 0; q < task.nvars; q++) FUZZ_CHECK(task.vars[q] < NV || node != 0);
        FUZZ_CHECK(task.round >= last_round[g] || node != 0);
        last_round[g] = task.round;
        cur_n[g] = task.nvars;
      }
      break;
    }
    case 2: {
      uint32_t n = (uint32_t)(len / 4 < 256 ? len / 4 : 256);
      memcpy(vals, b, (size_t)n * 4);
      rc = sched_agent_done(w.n[node]->agent, k, vals, n);
      FUZZ_CHECK(known(rc));
      break;
    }
    default: {
      uint32_t n = cur_n[g] < 256 ? cur_n[g] : 256;
      for (uint32_t q = 0; q < n; q++) vals[q] = (float)(len % 7);
      rc = sched_agent_done(w.n[node]->agent, k, vals, n);
      FUZZ_CHECK(known(rc));
    }
    }
  }
  for (uint32_t j = 0; j < NODES; j++) node_destroy(w.n[j]);
  return 0;
}
