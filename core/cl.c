#include "cl.h"

#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "hmap.h"
#include "sort.h"
#include "vec.h"

/* A READ sent and not yet answered: its frame's sequence number (the reply
 * echoes it) and the shard clock it waits for. */
typedef struct cl_req {
  uint32_t seq;
  st_clock_t need;
} cl_req;

/* A cached row. Its value = the shard's value when last received + this
 * client's increments the shard had not applied by then + later ones, held
 * in vals (dense tables) or sp (sparse tables: only the non-zeros). A row
 * of an AdaRevision table (ada) holds the shard's value alone: increments
 * there are update directions whose step only the shard knows, so a read
 * is exactly the version it cites and the shard's revision term accounts
 * for the own updates it lacks, like for the others' (see cl.h). */
typedef struct cl_row {
  uint32_t table, row, width, shard;
  uint8_t has_value;
  uint8_t sparse;
  uint8_t ada;       /* the table's rule is AdaRevision's (or its ablation) */
  uint32_t ver;      /* ada: the shard's version of the value held */
  uint32_t ver_read; /* ada: the version the last read served here was */
  uint8_t mark;     /* scratch for cl_prefetch */
  cl_req *reqs;     /* outstanding READs of this row; owned */
  size_t nreqs, capreqs;
  st_clock_t clock; /* reflects all updates of clocks < clock */
  tbl_srow sp;
  float vals[]; /* width floats for a dense table, none for a sparse one */
} cl_row;

/* Increments of one row not yet acknowledged by its shard: d[width] for a
 * dense table, sd (non-zeros only) for a sparse one. */
typedef struct cl_delta {
  uint64_t key;
  uint32_t table, row, width, shard;
  uint32_t tindex;             /* position of the table in the table set */
  uint8_t sparse;
  uint8_t ada;                 /* the table's rule is AdaRevision's (or its ablation) */
  uint32_t ver;                /* ada: the oldest version its increments were read at */
  uint64_t seq;                /* order of its first increment (fifo) */
  struct cl_delta *next_spare; /* link in the spare list when unused */
  tbl_srow sd;
  float d[];
} cl_delta;

/* One worker's increments of one row in one clock, staged apart from its
 * node-mates' (ordered mode with several workers; see cl_client.stage).
 * Dense whatever the table's storage: staged rows live one clock. */
typedef struct cl_staged {
  uint32_t table, row, width;
  float d[];
} cl_staged;

/* A sent update frame, kept until the shard acknowledges it. */
typedef struct cl_sent {
  uint32_t seq;
  size_t n;
  cl_delta **rows; /* sorted by key; owned */
} cl_sent;

typedef struct cl_shard {
  uint32_t seq; /* last sequence number sent on this channel */
  cl_sent *sent;
  size_t head, nsent, capsent; /* live entries are sent[head..nsent) */
  size_t nflush;               /* scratch for cl_order: deltas bound here */
  size_t tick_bytes;           /* scratch for cl_pace: payload chosen for it */
  cl_row **rows;               /* cached rows of this shard, for pushes */
  size_t nrows, caprows;
} cl_shard;

typedef struct cl_wait {
  uint8_t active;
  uint64_t key;
  st_clock_t need;
} cl_wait;

struct cl_client {
  st_config cfg;
  tbl_set tables;
  uint32_t index, node;
  const st_backend *be;
  hmap cache; /* key -> cl_row*, owned */
  hmap oplog; /* key -> cl_delta*, owned */
  cl_shard *shards;
  st_clock_t *wclock;
  cl_wait *wait;
  st_clock_t clock; /* min over workers: the clock last flushed */
  cl_delta **flushbuf; /* a flush's deltas in (shard, key) order */
  sort_pair *pairs;    /* a flush's (key, delta), and as many for scratch */
  size_t capflush, cappairs;
  /* Acknowledged deltas kept for reuse, per table (every clock would
   * otherwise allocate and free one per row touched). */
  cl_delta *spare[TBL_MAX];
  wire_buf out;
  float *scratch; /* one row of the widest sparse table */
  cl_stats stats;
  tmr pace; /* paces sends between clocks */
  /* Ordered mode with several workers: each worker's increments of each
   * clock, staged apart from its node-mates' (key -> cl_staged*, owned)
   * until the clock is flushed, then added into the oplog in worker order.
   * So the sums do not depend on which thread incremented first, and a
   * worker reads its own increments at once but a node-mate's only once
   * their clock is flushed (as another client's): s = 0 gives the same bits
   * on every backend for any number of workers. stage[w * CL_STAGE_CLOCKS +
   * k % CL_STAGE_CLOCKS] holds worker w's clock k. NULL otherwise:
   * increments go straight to the oplog and the cache, seen by every
   * node-mate at once. */
  hmap *stage;
  /* Managed communication: the bucket early sends spend (own, or the
   * node's shared with its shard), a counter of first increments, the
   * ticks so far, and a tick's candidates. */
  comm_bucket own, *bucket;
  double busy_since; /* when the oplog last became non-empty */
  uint64_t touches, ticks;
  comm_cand *cands;
  size_t capcands;
};

/* Clocks a worker's increments are staged apart, from the client's clock
 * on. A worker further ahead (only with a large staleness bound) adds into
 * the last one, which is flushed with an earlier clock: sent early, as SSP
 * allows, but no longer independent of timing. */
#define CL_STAGE_CLOCKS 8u

cl_client *cl_create(const st_config *cfg, const tbl_set *tables, uint32_t client,
                     const st_backend *be) {
  if (cfg_check(cfg) || cfg_check_tables(cfg, tables) || client >= cfg->nclients || !be) return NULL;
  cl_client *c = st_calloc(1, sizeof *c);
  if (!c) return NULL;
  c->cfg = *cfg;
  c->tables = *tables;
  c->index = client;
  c->node = cfg_client_node(cfg, client);
  c->be = be;
  tmr_init(&c->pace, TMR_ROLE_CLIENT);
  comm_bucket_init(&c->own, cfg->comm_budget, cfg_comm_burst(cfg, tables, 1), be->ops->now(be->ctx));
  c->bucket = &c->own;
  c->shards = st_calloc(cfg->nservers, sizeof *c->shards);
  c->wclock = st_calloc(cfg->workers_per_client, sizeof *c->wclock);
  c->wait = st_calloc(cfg->workers_per_client, sizeof *c->wait);
  uint32_t wide = 1;
  for (uint32_t t = 0; t < tables->n; t++)
    if (tables->defs[t].sparse && tables->defs[t].width > wide) wide = tables->defs[t].width;
  c->scratch = st_malloc((size_t)wide * sizeof *c->scratch);
  int staged = cfg->workers_per_client > 1 && cfg->ordered;
  if (staged)
    c->stage = st_calloc((size_t)cfg->workers_per_client * CL_STAGE_CLOCKS, sizeof *c->stage);
  if (!c->shards || !c->wclock || !c->wait || !c->scratch || (staged && !c->stage)) {
    cl_destroy(c);
    return NULL;
  }
  return c;
}

static void cl_sent_free(cl_client *c, cl_sent *e) {
  for (size_t i = 0; i < e->n; i++) {
    cl_delta *d = e->rows[i];
    d->next_spare = c->spare[d->tindex];
    c->spare[d->tindex] = d;
  }
  st_free(e->rows);
}

static void cl_delta_free(cl_delta *d) {
  if (!d) return;
  tbl_srow_free(&d->sd);
  st_free(d);
}

void cl_destroy(cl_client *c) {
  if (!c) return;
  for (size_t i = 0; i < c->cache.cap; i++) {
    cl_row *r = c->cache.slots[i].val;
    if (r) {
      st_free(r->reqs);
      tbl_srow_free(&r->sp);
    }
    st_free(r);
  }
  for (size_t i = 0; i < c->oplog.cap; i++) cl_delta_free(c->oplog.slots[i].val);
  for (size_t k = 0; c->stage && k < (size_t)c->cfg.workers_per_client * CL_STAGE_CLOCKS; k++) {
    for (size_t i = 0; i < c->stage[k].cap; i++) st_free(c->stage[k].slots[i].val);
    hmap_free(&c->stage[k]);
  }
  st_free(c->stage);
  hmap_free(&c->cache);
  hmap_free(&c->oplog);
  if (c->shards) {
    for (uint32_t j = 0; j < c->cfg.nservers; j++) {
      cl_shard *sh = &c->shards[j];
      for (size_t i = sh->head; i < sh->nsent; i++) cl_sent_free(c, &sh->sent[i]);
      st_free(sh->sent);
      st_free(sh->rows);
    }
  }
  st_free(c->shards);
  st_free(c->wclock);
  st_free(c->wait);
  st_free(c->flushbuf);
  st_free(c->pairs);
  for (uint32_t t = 0; t < TBL_MAX; t++)
    for (cl_delta *d = c->spare[t], *next; d; d = next) {
      next = d->next_spare;
      cl_delta_free(d);
    }
  st_free(c->scratch);
  st_free(c->cands);
  wire_buf_free(&c->out);
  st_free(c);
}

st_clock_t cl_worker_clock(const cl_client *c, uint32_t worker) {
  return worker < c->cfg.workers_per_client ? c->wclock[worker] : 0;
}
const cl_stats *cl_get_stats(const cl_client *c) { return &c->stats; }
uint32_t cl_staleness(const cl_client *c) { return c->cfg.staleness; }

/* ---- sending ---------------------------------------------------------- */

static int cl_begin(cl_client *c, uint32_t shard, uint8_t type, st_clock_t clock) {
  wire_header h = {.version = WIRE_VERSION,
                   .type = type,
                   .src = c->node,
                   .dst = cfg_server_node(&c->cfg, shard),
                   .clock = clock,
                   .seq = c->shards[shard].seq + 1};
  return wire_begin(&c->out, &h, c->cfg.max_frame);
}

static int cl_send_out(cl_client *c, uint32_t shard) {
  int rc = wire_finish(&c->out);
  if (rc) return rc;
  rc = c->be->ops->send(c->be->ctx, cfg_server_node(&c->cfg, shard), c->out.data, c->out.len);
  if (rc) return rc; /* the backend's own error */
  c->shards[shard].seq++;
  c->stats.frames_out++;
  c->stats.bytes_out += c->out.len;
  return 0;
}

/* Sends the READ being built and records it on its rows. */
static int cl_send_read_part(cl_client *c, uint32_t shard, st_clock_t need, cl_row *const *rows,
                             size_t n) {
  int rc = cl_send_out(c, shard);
  for (size_t i = 0; !rc && i < n; i++) {
    cl_row *r = rows[i];
    if (vec_reserve(&r->reqs, &r->capreqs, r->nreqs + 1, sizeof *r->reqs)) return ST_ENOMEM;
    r->reqs[r->nreqs++] = (cl_req){c->shards[shard].seq, need};
  }
  c->stats.reads_sent += n;
  return rc;
}

/* Sends READs of rows[0..n) (all on shard) wanting shard clock >= need,
 * split into frames if they do not fit one. */
static int cl_send_read(cl_client *c, uint32_t shard, st_clock_t need, cl_row *const *rows,
                        size_t n) {
  int rc = cl_begin(c, shard, WIRE_READ, need);
  size_t first = 0;
  for (size_t i = 0; !rc && i < n; i++) {
    rc = wire_add_id(&c->out, rows[i]->table, rows[i]->row);
    if (rc == ST_ETOOBIG && i > first) {
      if ((rc = cl_send_read_part(c, shard, need, rows + first, i - first)) ||
          (rc = cl_begin(c, shard, WIRE_READ, need)))
        return rc;
      first = i;
      rc = wire_add_id(&c->out, rows[i]->table, rows[i]->row);
    }
  }
  return rc ? rc : cl_send_read_part(c, shard, need, rows + first, n - first);
}

/* Encoded size of a delta row, to split a flush into frames before
 * encoding (only the last frame of a flush may carry the clock). */
static size_t cl_delta_size(const cl_delta *d) {
  if (!d->sparse) return 13 + (d->ada ? 4 : 0) + 4 * (size_t)d->width;
  return 13 + 8 * (size_t)d->sd.n;
}

static int cl_add_delta(cl_client *c, const cl_delta *d) {
  if (d->sparse) return wire_add_pairs(&c->out, d->table, d->row, d->sd.cols, d->sd.vals, d->sd.n);
  if (d->ada) return wire_add_dense_ver(&c->out, d->table, d->row, d->ver, d->d, d->width);
  return wire_add_dense(&c->out, d->table, d->row, d->d, d->width);
}

/* Sends rows[0..n) as one frame and keeps them until acknowledged. Takes
 * ownership of the deltas. */
static int cl_send_deltas(cl_client *c, uint32_t shard, uint8_t type, st_clock_t clock,
                          cl_delta **rows, size_t n) {
  int rc = cl_begin(c, shard, type, clock);
  for (size_t i = 0; !rc && i < n; i++) rc = cl_add_delta(c, rows[i]);
  cl_sent e = {0};
  if (!rc && n) {
    e.n = n;
    e.rows = st_malloc(n * sizeof *e.rows);
    if (!e.rows) rc = ST_ENOMEM;
  }
  cl_shard *sh = &c->shards[shard];
  if (!rc && n && vec_reserve(&sh->sent, &sh->capsent, sh->nsent + 1, sizeof *sh->sent))
    rc = ST_ENOMEM;
  if (!rc) rc = cl_send_out(c, shard);
  if (rc) {
    st_free(e.rows);
    for (size_t i = 0; i < n; i++) cl_delta_free(rows[i]);
    return rc;
  }
  if (n) {
    memcpy(e.rows, rows, n * sizeof *rows);
    e.seq = sh->seq;
    sh->sent[sh->nsent++] = e;
  }
  return 0;
}

/* Puts the deltas of c->pairs[0..n) into c->flushbuf[0..n), ordered by
 * shard and then by key, so frames are identical run to run and sent
 * deltas can be searched by key. Both arrays have room (pairs for 2n). */
static void cl_order(cl_client *c, size_t n) {
  sort_pairs(c->pairs, c->pairs + n, n);
  /* A stable counting pass by shard keeps the key order within a shard. */
  for (uint32_t j = 0; j < c->cfg.nservers; j++) c->shards[j].nflush = 0;
  for (size_t i = 0; i < n; i++) c->shards[((cl_delta *)c->pairs[i].val)->shard].nflush++;
  size_t pos = 0;
  for (uint32_t j = 0; j < c->cfg.nservers; j++) {
    size_t k = c->shards[j].nflush;
    c->shards[j].nflush = pos;
    pos += k;
  }
  for (size_t i = 0; i < n; i++) {
    cl_delta *d = c->pairs[i].val;
    c->flushbuf[c->shards[d->shard].nflush++] = d;
  }
}

/* The oplog went empty (n entries were taken): the pacer's busy time ends. */
static void cl_pace_idle(cl_client *c, size_t n) {
  if (c->cfg.comm_policy != COMM_NONE && n) c->stats.pacing_s += c->be->ops->now(c->be->ctx) - c->busy_since;
}

static int cl_reserve_flush(cl_client *c, size_t n) {
  if (vec_reserve(&c->flushbuf, &c->capflush, n, sizeof *c->flushbuf) ||
      vec_reserve(&c->pairs, &c->cappairs, 2 * n, sizeof *c->pairs))
    return ST_ENOMEM;
  return 0;
}

/* Moves the oplog's deltas into c->flushbuf[0..*taken) in cl_order's order.
 * Empties the oplog. Returns 0 or ST_ENOMEM (then the oplog is untouched). */
static int cl_take_oplog(cl_client *c, size_t *taken) {
  size_t n = c->oplog.len;
  if (cl_reserve_flush(c, n)) return ST_ENOMEM;
  size_t m = 0;
  for (size_t i = 0; i < c->oplog.cap; i++)
    if (c->oplog.slots[i].val) c->pairs[m++] = (sort_pair){c->oplog.slots[i].key, c->oplog.slots[i].val};
  hmap_clear(&c->oplog);
  cl_pace_idle(c, n);
  cl_order(c, n);
  *taken = n;
  return 0;
}

/* Sends the whole oplog, then "clock is now `clock`" to every shard. */
static int cl_flush(cl_client *c, st_clock_t clock) {
  size_t n;
  int rc = cl_take_oplog(c, &n);
  if (rc) return rc;
  size_t limit = (c->cfg.max_frame ? c->cfg.max_frame : WIRE_MAX_FRAME) - WIRE_HEADER_SIZE - 4;
  size_t i = 0;
  for (uint32_t j = 0; j < c->cfg.nservers; j++) {
    size_t end = i;
    while (end < n && c->flushbuf[end]->shard == j) end++;
    do {
      size_t stop = i, bytes = 0;
      while (stop < end) {
        size_t sz = cl_delta_size(c->flushbuf[stop]);
        if (stop > i && bytes + sz > limit) break;
        bytes += sz;
        stop++;
      }
      uint8_t type = stop == end ? WIRE_CLOCK : WIRE_UPDATE;
      uint64_t before = c->stats.bytes_out;
      int r = cl_send_deltas(c, j, type, clock, c->flushbuf + i, stop - i);
      c->stats.bytes_clock += c->stats.bytes_out - before;
      if (!rc) rc = r; /* keep going: every delta must be sent or freed */
      i = stop;
    } while (i < end);
  }
  return rc;
}

/* ---- the worker API ----------------------------------------------------- */

static int cl_check(const cl_client *c, uint32_t worker, uint32_t table, uint32_t row) {
  if (worker >= c->cfg.workers_per_client) return ST_EINVAL;
  return tbl_check(&c->tables, table, row);
}

static cl_row *cl_row_new(cl_client *c, uint32_t table, uint32_t row) {
  const tbl_def *d = tbl_find(&c->tables, table);
  cl_row *r = st_calloc(1, sizeof *r + (d->sparse ? 0 : (size_t)d->width * sizeof(float)));
  if (!r) return NULL;
  r->table = table;
  r->row = row;
  r->width = d->width;
  r->sparse = d->sparse;
  r->ada = d->rule != TBL_RULE_ADD;
  r->shard = tbl_shard(table, row, c->cfg.nservers);
  cl_shard *sh = &c->shards[r->shard];
  if (vec_reserve(&sh->rows, &sh->caprows, sh->nrows + 1, sizeof *sh->rows) ||
      hmap_put(&c->cache, tbl_key(table, row), r)) {
    st_free(r);
    return NULL;
  }
  sh->rows[sh->nrows++] = r;
  return r;
}

/* The oldest shard clock a read by worker may be served at. */
static st_clock_t cl_need(const cl_client *c, uint32_t worker) {
  st_clock_t clk = c->wclock[worker], s = c->cfg.staleness;
  if (s == ST_STALENESS_INF || clk <= s) return 0;
  return clk - s;
}

/* Whether an outstanding READ will bring worker a fresh enough row. A READ
 * wanting more than `need` counts only if it does not wait on this client's
 * own progress (its need is within the clock this client has already
 * reported); otherwise a worker behind could wait on one ahead of it. */
static int cl_covered(const cl_client *c, const cl_row *r, st_clock_t need) {
  st_clock_t limit = need > c->clock ? need : c->clock;
  for (size_t i = 0; i < r->nreqs; i++)
    if (r->reqs[i].need >= need && r->reqs[i].need <= limit) return 1;
  return 0;
}

static void cl_stage_read(cl_client *c, uint32_t worker, uint64_t key, float *out);

int cl_get(cl_client *c, uint32_t worker, uint32_t table, uint32_t row, float *out) {
  if (worker >= c->cfg.workers_per_client) return ST_EINVAL;
  return cl_get_at(c, worker, table, row, cl_need(c, worker), out);
}

int cl_get_at(cl_client *c, uint32_t worker, uint32_t table, uint32_t row, st_clock_t need,
              float *out) {
  int rc = cl_check(c, worker, table, row);
  if (rc) return rc;
  c->stats.gets++;
  cl_row *r = hmap_get(&c->cache, tbl_key(table, row));
  if (r && r->has_value && r->clock >= need) {
    c->stats.reads_served++;
    if (r->clock < c->wclock[worker]) c->stats.stale_clocks += c->wclock[worker] - r->clock;
    if (r->sparse)
      tbl_srow_dense(&r->sp, out, r->width);
    else
      memcpy(out, r->vals, (size_t)r->width * sizeof(float));
    if (r->ada) r->ver_read = r->ver; /* what the worker's next increments cite */
    if (c->stage && !r->ada) cl_stage_read(c, worker, tbl_key(table, row), out);
    /* Pull mode: a row older than this clock may have newer values; fetch
     * them in the background so bounded-stale reads do not stay as old as
     * the bound allows. Push mode gets them from the server. */
    if (!c->cfg.push && r->clock < c->wclock[worker] && r->nreqs == 0)
      return cl_send_read(c, r->shard, 0, &r, 1);
    return 0;
  }
  if (!r && !(r = cl_row_new(c, table, row))) return ST_ENOMEM;
  /* In push mode a held row is refreshed by the shard's pushes. */
  int pushed = c->cfg.push && r->has_value;
  if (!pushed && !cl_covered(c, r, need)) {
    if ((rc = cl_send_read(c, r->shard, need, &r, 1))) return rc;
  }
  c->wait[worker] = (cl_wait){1, tbl_key(table, row), need};
  c->stats.gets_waited++;
  return ST_WAIT;
}

/* The oplog has something to send early: the pacer ticks until it is
 * empty. Called once the increment is in place, so a failure to arm leaves
 * it whole (it goes at the clock). */
static int cl_pace_wanted(cl_client *c, int fresh) {
  if (c->cfg.comm_policy == COMM_NONE) return 0;
  if (fresh && c->oplog.len == 1) c->busy_since = c->be->ops->now(c->be->ctx);
  if (c->pace.armed) return 0;
  return cl_timer_arm(c, cfg_comm_interval(&c->cfg));
}

/* AdaRevision: adds the update direction to its oplog entry d, tagged with
 * the oldest version the client's reads had served when it came (a row
 * never read cites version 0: nothing seen). The cached value is left
 * alone (see cl_row). */
static int cl_oplog_add_ada(cl_client *c, cl_delta *d, const cl_row *r, const float *delta,
                            int fresh) {
  uint32_t ver = r ? r->ver_read : 0;
  if (ver < d->ver) d->ver = ver;
  if (fresh)
    memcpy(d->d, delta, (size_t)d->width * sizeof(float));
  else
    for (uint32_t i = 0; i < d->width; i++) d->d[i] += delta[i];
  return cl_pace_wanted(c, fresh);
}

/* Adds delta to the oplog and to the cached row, visible to every worker of
 * this client from now on. */
static int cl_oplog_add(cl_client *c, uint32_t table, uint32_t row, const float *delta) {
  int rc;
  uint64_t key = tbl_key(table, row);
  hmap_slot *slot = hmap_slot_for(&c->oplog, key);
  if (!slot) return ST_ENOMEM;
  cl_delta *d = slot->val;
  int fresh = !d; /* a new entry takes the delta as is: no zeroing pass */
  if (fresh) {
    const tbl_def *def = tbl_find(&c->tables, table);
    uint32_t tindex = (uint32_t)(def - c->tables.defs);
    tbl_srow keep = {0}; /* a spare sparse delta keeps its room */
    if ((d = c->spare[tindex])) {
      c->spare[tindex] = d->next_spare;
      keep = d->sd;
      keep.n = 0;
    } else if (!(d = st_malloc(sizeof *d + (def->sparse ? 0 : (size_t)def->width * sizeof(float))))) {
      return ST_ENOMEM;
    }
    *d = (cl_delta){.key = key,
                    .table = table,
                    .row = row,
                    .width = def->width,
                    .shard = tbl_shard(table, row, c->cfg.nservers),
                    .tindex = tindex,
                    .sparse = def->sparse,
                    .ada = def->rule != TBL_RULE_ADD,
                    .ver = UINT32_MAX,
                    .seq = c->touches++,
                    .sd = keep};
    slot->key = key;
    slot->val = d;
    hmap_added(&c->oplog);
  }
  cl_row *r = hmap_get(&c->cache, key);
  if (d->ada) return cl_oplog_add_ada(c, d, r, delta, fresh);
  if (d->sparse) {
    /* On failure the entry keeps its old sum (a fresh one stays empty). */
    rc = fresh ? tbl_srow_set(&d->sd, delta, d->width) : tbl_srow_add(&d->sd, delta, d->width, c->scratch);
    if (rc) return rc;
    if (r && r->has_value && tbl_srow_add(&r->sp, delta, d->width, c->scratch)) {
      /* The increment is in the oplog; the cached value is dropped and
       * rebuilt from the shard's next reply (with the oplog on top). */
      r->has_value = 0;
      tbl_srow_free(&r->sp);
    }
    return cl_pace_wanted(c, fresh);
  }
  if (fresh)
    memcpy(d->d, delta, (size_t)d->width * sizeof(float));
  else
    for (uint32_t i = 0; i < d->width; i++) d->d[i] += delta[i];
  if (r && r->has_value)
    for (uint32_t i = 0; i < d->width; i++) r->vals[i] += delta[i];
  return cl_pace_wanted(c, fresh);
}

/* Worker w's staged increments of clock k (see cl_client.stage). */
static hmap *cl_stage_of(cl_client *c, uint32_t worker, st_clock_t k) {
  if (k - c->clock >= CL_STAGE_CLOCKS) k = c->clock + CL_STAGE_CLOCKS - 1;
  return &c->stage[(size_t)worker * CL_STAGE_CLOCKS + k % CL_STAGE_CLOCKS];
}

static int cl_stage_add(cl_client *c, uint32_t worker, uint32_t table, uint32_t row,
                        const float *delta) {
  hmap *m = cl_stage_of(c, worker, c->wclock[worker]);
  uint64_t key = tbl_key(table, row);
  hmap_slot *slot = hmap_slot_for(m, key);
  if (!slot) return ST_ENOMEM;
  cl_staged *e = slot->val;
  if (e) {
    for (uint32_t i = 0; i < e->width; i++) e->d[i] += delta[i];
    return 0;
  }
  uint32_t width = tbl_find(&c->tables, table)->width;
  if (!(e = st_malloc(sizeof *e + (size_t)width * sizeof(float)))) return ST_ENOMEM;
  e->table = table;
  e->row = row;
  e->width = width;
  memcpy(e->d, delta, (size_t)width * sizeof(float));
  slot->key = key;
  slot->val = e;
  hmap_added(m);
  return 0;
}

/* Adds worker's staged increments of the clocks not yet flushed into
 * out[width] (a read's result): read-my-writes. */
static void cl_stage_read(cl_client *c, uint32_t worker, uint64_t key, float *out) {
  st_clock_t last = c->wclock[worker];
  if (last - c->clock >= CL_STAGE_CLOCKS) last = c->clock + CL_STAGE_CLOCKS - 1;
  for (st_clock_t k = c->clock; k <= last; k++) {
    const cl_staged *e = hmap_get(cl_stage_of(c, worker, k), key);
    for (uint32_t i = 0; e && i < e->width; i++) out[i] += e->d[i];
  }
}

/* Moves every worker's staged increments of clock k into the oplog, worker
 * 0 first: the one order in which node-mates' increments are summed. */
static int cl_stage_merge(cl_client *c, st_clock_t k) {
  for (uint32_t w = 0; w < c->cfg.workers_per_client; w++) {
    hmap *m = cl_stage_of(c, w, k);
    for (size_t i = 0; i < m->cap; i++) {
      cl_staged *e = m->slots[i].val;
      if (!e) continue;
      int rc = cl_oplog_add(c, e->table, e->row, e->d);
      if (rc) return rc; /* fatal for the run: nothing is retried */
      st_free(e);
      m->slots[i].val = NULL;
    }
    hmap_clear(m);
  }
  return 0;
}

int cl_inc(cl_client *c, uint32_t worker, uint32_t table, uint32_t row, const float *delta) {
  int rc = cl_check(c, worker, table, row);
  if (rc) return rc;
  return c->stage ? cl_stage_add(c, worker, table, row, delta) : cl_oplog_add(c, table, row, delta);
}

int cl_clock(cl_client *c, uint32_t worker) {
  if (worker >= c->cfg.workers_per_client) return ST_EINVAL;
  c->wclock[worker]++;
  st_clock_t mn = c->wclock[0];
  for (uint32_t w = 1; w < c->cfg.workers_per_client; w++)
    if (c->wclock[w] < mn) mn = c->wclock[w];
  if (mn <= c->clock) return 0;
  if (c->stage) { /* mn is c->clock + 1: one worker's clock moved by one */
    int rc = cl_stage_merge(c, c->clock);
    if (rc) return rc;
  }
  c->clock = mn;
  return cl_flush(c, mn);
}

static int cl_cmp_row_shard(const void *a, const void *b) {
  const cl_row *x = *(cl_row *const *)a, *y = *(cl_row *const *)b;
  if (x->shard != y->shard) return x->shard < y->shard ? -1 : 1;
  uint64_t kx = tbl_key(x->table, x->row), ky = tbl_key(y->table, y->row);
  return kx < ky ? -1 : kx > ky;
}

int cl_prefetch(cl_client *c, uint32_t worker, uint32_t table, const uint32_t *rows, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    int rc = cl_check(c, worker, table, rows[i]);
    if (rc) return rc;
  }
  cl_row **want = st_malloc((n ? n : 1) * sizeof *want);
  if (!want) return ST_ENOMEM;
  size_t m = 0;
  int rc = 0;
  for (uint32_t i = 0; i < n && !rc; i++) {
    cl_row *r = hmap_get(&c->cache, tbl_key(table, rows[i]));
    if (r && (r->has_value || r->nreqs || r->mark)) continue;
    if (!r && !(r = cl_row_new(c, table, rows[i]))) rc = ST_ENOMEM;
    if (!rc) {
      r->mark = 1; /* a repeated id is asked once */
      want[m++] = r;
    }
  }
  for (size_t i = 0; i < m; i++) want[i]->mark = 0;
  qsort(want, m, sizeof *want, cl_cmp_row_shard);
  for (size_t i = 0; i < m && !rc;) {
    size_t end = i;
    while (end < m && want[end]->shard == want[i]->shard) end++;
    rc = cl_send_read(c, want[i]->shard, 0, want + i, end - i);
    i = end;
  }
  st_free(want);
  return rc;
}

/* ---- incoming rows ------------------------------------------------------ */

static int cl_check_rows(const cl_client *c, const wire_msg *m, uint32_t shard) {
  wire_iter it;
  wire_row wr;
  wire_iter_init(&it, m);
  while (wire_next(&it, &wr)) {
    int rc = tbl_check(&c->tables, wr.table, wr.row);
    if (rc) return rc;
    if (tbl_shard(wr.table, wr.row, c->cfg.nservers) != shard) return ST_EPEER;
    const tbl_def *d = tbl_find(&c->tables, wr.table);
    if (wr.kind == WIRE_ROW_ID) return ST_EFRAME;
    if (wr.versioned != (d->rule != TBL_RULE_ADD)) return ST_EFRAME;
    if (wr.kind == WIRE_ROW_DENSE && wr.n != d->width) return ST_ERANGE;
    for (uint32_t i = 0; wr.kind == WIRE_ROW_SPARSE && i < wr.n; i++) {
      uint32_t col;
      float v;
      wire_row_value(&wr, i, &col, &v);
      if (col >= d->width) return ST_ERANGE;
    }
  }
  return 0;
}

/* Forgets sent deltas the shard has applied (seq <= ack). */
static void cl_prune_sent(cl_client *c, cl_shard *sh, uint32_t ack) {
  while (sh->head < sh->nsent && sh->sent[sh->head].seq <= ack) cl_sent_free(c, &sh->sent[sh->head++]);
  if (sh->head == sh->nsent) sh->head = sh->nsent = 0;
}

static const cl_delta *cl_sent_find(const cl_sent *e, uint64_t key) {
  size_t lo = 0, hi = e->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (e->rows[mid]->key < key)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < e->n && e->rows[lo]->key == key ? e->rows[lo] : NULL;
}

static void cl_installed(cl_client *c, const wire_msg *m, cl_row *r);

/* Installs a row received from its shard: the shard's value plus every own
 * increment the shard had not applied when it sent the row (none for an
 * AdaRevision row, which keeps the shard's version instead). */
static int cl_install(cl_client *c, const wire_msg *m, const wire_row *wr) {
  uint64_t key = tbl_key(wr->table, wr->row);
  cl_row *r = hmap_get(&c->cache, key);
  if (!r && !(r = cl_row_new(c, wr->table, wr->row))) return ST_ENOMEM;
  /* A sparse row is summed densely in the scratch row, then compacted. */
  float *v = r->sparse ? c->scratch : r->vals;
  memset(v, 0, (size_t)r->width * sizeof(float));
  wire_row_add_into(wr, v, r->width);
  if (r->ada) {
    r->ver = wr->ver;
    cl_installed(c, m, r);
    return 0;
  }
  const cl_shard *sh = &c->shards[r->shard];
  for (size_t i = sh->head; i < sh->nsent; i++) {
    const cl_delta *d = cl_sent_find(&sh->sent[i], key);
    if (d && d->sparse)
      tbl_srow_scatter_add(&d->sd, v);
    else
      for (uint32_t k = 0; d && k < r->width; k++) v[k] += d->d[k];
  }
  const cl_delta *d = hmap_get(&c->oplog, key);
  if (d && d->sparse)
    tbl_srow_scatter_add(&d->sd, v);
  else
    for (uint32_t k = 0; d && k < r->width; k++) v[k] += d->d[k];
  if (r->sparse && tbl_srow_set(&r->sp, v, r->width)) return ST_ENOMEM;
  cl_installed(c, m, r);
  return 0;
}

/* A received value is in r: its freshness and the READ it answers. */
static void cl_installed(cl_client *c, const wire_msg *m, cl_row *r) {
  r->has_value = 1;
  /* An early push is values only: it says nothing of freshness. */
  if (!(m->hdr.flags & WIRE_F_EARLY) && r->clock < m->hdr.clock) r->clock = m->hdr.clock;
  if (m->hdr.flags & WIRE_F_REPLY) /* the reply echoes its READ's seq */
    for (size_t i = 0; i < r->nreqs; i++)
      if (r->reqs[i].seq == m->hdr.seq) {
        r->reqs[i] = r->reqs[--r->nreqs];
        break;
      }
  c->stats.rows_received++;
}

static void cl_wake_ready(cl_client *c) {
  for (uint32_t w = 0; w < c->cfg.workers_per_client; w++) {
    cl_wait *wt = &c->wait[w];
    if (!wt->active) continue;
    const cl_row *r = hmap_get(&c->cache, wt->key);
    if (r && r->has_value && r->clock >= wt->need) {
      wt->active = 0;
      c->be->ops->wake(c->be->ctx, w);
    }
  }
}

int cl_on_message(cl_client *c, const wire_msg *m) {
  if (m->hdr.type != WIRE_ROWS) return ST_ETYPE;
  uint32_t src = m->hdr.src;
  if (src < c->cfg.server_base || src - c->cfg.server_base >= c->cfg.nservers) return ST_EPEER;
  uint32_t shard = src - c->cfg.server_base;
  cl_shard *sh = &c->shards[shard];
  if (m->hdr.ack > sh->seq) return ST_EPEER; /* acknowledges frames never sent */
  int rc = cl_check_rows(c, m, shard);
  if (rc) return rc;
  cl_prune_sent(c, sh, m->hdr.ack);
  wire_iter it;
  wire_row wr;
  wire_iter_init(&it, m);
  while (wire_next(&it, &wr))
    if ((rc = cl_install(c, m, &wr))) return rc;
  if (m->hdr.flags & WIRE_F_EARLY) c->stats.rows_early += m->nrows;
  if (m->hdr.flags & WIRE_F_PUSH) {
    /* Rows of this shard that the push left out did not change. */
    for (size_t i = 0; i < sh->nrows; i++)
      if (sh->rows[i]->has_value && sh->rows[i]->clock < m->hdr.clock)
        sh->rows[i]->clock = m->hdr.clock;
  }
  cl_wake_ready(c);
  return 0;
}

int cl_timer_arm(cl_client *c, double delay) { return tmr_arm(&c->pace, c->be, delay); }

/* ---- managed communication: early sends -------------------------------- */

static double cl_l1(const float *v, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += v[i] < 0 ? -(double)v[i] : (double)v[i];
  return s;
}

/* What the policy sees of buffered delta d. Only what it uses is computed. */
static comm_cand cl_cand(const cl_client *c, cl_delta *d) {
  uint8_t p = c->cfg.comm_policy;
  comm_cand k = {.key = d->key, .seq = d->seq, .item = d};
  if (p == COMM_MAGNITUDE || p == COMM_RELATIVE || p == COMM_COMBINED)
    k.mag = d->sparse ? cl_l1(d->sd.vals, d->sd.n) : cl_l1(d->d, d->width);
  if (p != COMM_RELATIVE && p != COMM_AGE && p != COMM_COMBINED) return k;
  const cl_row *r = hmap_get(&c->cache, d->key);
  if (!r || !r->has_value) return k;
  if (p == COMM_RELATIVE) k.base = r->sparse ? cl_l1(r->sp.vals, r->sp.n) : cl_l1(r->vals, r->width);
  if (r->clock < c->clock) k.behind = (double)(c->clock - r->clock);
  return k;
}

/* One pacing tick: refills the bucket, ranks the oplog by the policy, and
 * sends the best deltas the tokens pay for (frame headers included) as
 * UPDATE frames, one per shard, kept until acknowledged like a flush's. A
 * delta that does not fit is passed over for smaller ones behind it. Arms
 * the next tick only if something is left to send. */
static int cl_pace(cl_client *c) {
  size_t n = c->oplog.len;
  if (c->cfg.comm_policy == COMM_NONE || n == 0) return 0;
  comm_bucket_refill(c->bucket, c->be->ops->now(c->be->ctx));
  if (vec_reserve(&c->cands, &c->capcands, n, sizeof *c->cands) || cl_reserve_flush(c, n))
    return ST_ENOMEM;
  size_t m = 0;
  for (size_t i = 0; i < c->oplog.cap; i++)
    if (c->oplog.slots[i].val) c->cands[m++] = cl_cand(c, c->oplog.slots[i].val);
  comm_rank(c->cfg.comm_policy, c->cands, n, (uint64_t)c->index << 40 ^ c->ticks++);
  size_t limit = (c->cfg.max_frame ? c->cfg.max_frame : WIRE_MAX_FRAME) - WIRE_HEADER_SIZE - 4;
  for (uint32_t j = 0; j < c->cfg.nservers; j++) c->shards[j].tick_bytes = 0;
  size_t taken = 0;
  for (size_t i = 0; i < n; i++) {
    cl_delta *d = c->cands[i].item;
    cl_shard *sh = &c->shards[d->shard];
    size_t sz = cl_delta_size(d);
    double cost = (double)sz + (sh->tick_bytes ? 0 : WIRE_HEADER_SIZE + 4);
    if (sh->tick_bytes + sz > limit || !comm_bucket_take(c->bucket, cost)) continue;
    sh->tick_bytes += sz;
    c->pairs[taken++] = (sort_pair){d->key, d};
  }
  int rc = 0;
  if (taken) {
    for (size_t i = 0; i < taken; i++) hmap_del(&c->oplog, c->pairs[i].key);
    if (c->oplog.len == 0) cl_pace_idle(c, taken);
    cl_order(c, taken);
    uint64_t before = c->stats.bytes_out;
    for (size_t i = 0; i < taken;) {
      size_t end = i;
      while (end < taken && c->flushbuf[end]->shard == c->flushbuf[i]->shard) end++;
      int r = cl_send_deltas(c, c->flushbuf[i]->shard, WIRE_UPDATE, c->clock, c->flushbuf + i, end - i);
      if (!rc) rc = r; /* keep going: every delta must be sent or freed */
      i = end;
    }
    c->stats.bytes_early += c->stats.bytes_out - before;
    c->stats.ticks_sent++;
  }
  if (!rc && c->oplog.len) rc = cl_timer_arm(c, cfg_comm_interval(&c->cfg));
  return rc;
}

void cl_set_bucket(cl_client *c, comm_bucket *b) { c->bucket = b ? b : &c->own; }

int cl_on_timer(cl_client *c, uint64_t token) {
  if (!tmr_fired(&c->pace, token)) {
    c->stats.timers_late++;
    return 0;
  }
  c->stats.timers_fired++;
  return cl_pace(c);
}

/* ---- checkpoints -------------------------------------------------------- */

int cl_settled(const cl_client *c, st_clock_t k) {
  if (c->clock != k || c->oplog.len) return 0;
  for (uint32_t w = 0; w < c->cfg.workers_per_client; w++)
    if (c->wclock[w] != k || c->wait[w].active) return 0;
  for (size_t i = 0; c->stage && i < (size_t)c->cfg.workers_per_client * CL_STAGE_CLOCKS; i++)
    if (c->stage[i].len) return 0;
  for (uint32_t j = 0; j < c->cfg.nservers; j++) {
    const cl_shard *sh = &c->shards[j];
    for (size_t i = 0; i < sh->nrows; i++) {
      const cl_row *r = sh->rows[i];
      if (r->nreqs || (c->cfg.push && r->has_value && r->clock < k)) return 0;
    }
  }
  return 1;
}

/* Layout: u32 clock, u64 touches, u64 ticks, u32 shards; per shard u32 n
 * and n rows: u32 table, u32 row, u8 has_value, u32 freshness clock, and
 * with a value: a dense row's width f32, or a sparse row's u32 nnz and nnz
 * (u32 column, f32 value), columns ascending, values non-zero. */
int cl_cache_save(const cl_client *c, snap_buf *out) {
  if (!cl_settled(c, c->clock)) return ST_ESTATE;
  snap_u32(out, c->clock);
  snap_u64(out, c->touches);
  snap_u64(out, c->ticks);
  snap_u32(out, c->cfg.nservers);
  for (uint32_t j = 0; j < c->cfg.nservers; j++) {
    const cl_shard *sh = &c->shards[j];
    snap_u32(out, (uint32_t)sh->nrows);
    for (size_t i = 0; i < sh->nrows; i++) {
      const cl_row *r = sh->rows[i];
      snap_u32(out, r->table);
      snap_u32(out, r->row);
      snap_u8(out, r->has_value);
      snap_u32(out, r->clock);
      if (!r->has_value) continue;
      if (!r->sparse) {
        snap_f32s(out, r->vals, r->width);
        continue;
      }
      snap_u32(out, r->sp.n);
      for (uint32_t e = 0; e < r->sp.n; e++) {
        snap_u32(out, r->sp.cols[e]);
        snap_f32s(out, &r->sp.vals[e], 1);
      }
    }
  }
  return out->err;
}

/* Reads one saved row's value into v[width] (zeroed first), checking it. */
static int cl_load_value(snap_rd *rd, const tbl_def *d, float *v) {
  memset(v, 0, (size_t)d->width * sizeof *v);
  if (!d->sparse) {
    snap_get_f32s(rd, v, d->width);
    return rd->err;
  }
  uint32_t n = snap_get_u32(rd);
  if (n > d->width || !snap_has(rd, n, 8)) return ST_EFRAME;
  for (uint32_t e = 0, prev = 0; e < n; e++) {
    uint32_t col = snap_get_u32(rd);
    float x;
    snap_get_f32s(rd, &x, 1);
    if (col >= d->width) return ST_ERANGE;
    if ((e && col <= prev) || x == 0.0f) return ST_EFRAME;
    v[col] = x;
    prev = col;
  }
  return rd->err;
}

/* One pass over a saved state: checks it (apply 0, seen: an empty map) or
 * loads it into c (apply 1, after a checking pass). */
static int cl_load_pass(cl_client *c, const uint8_t *p, size_t len, int apply, hmap *seen) {
  snap_rd rd;
  snap_rd_init(&rd, p, len);
  st_clock_t clock = snap_get_u32(&rd);
  uint64_t touches = snap_get_u64(&rd), ticks = snap_get_u64(&rd);
  uint32_t nshards = snap_get_u32(&rd);
  if (rd.err) return ST_EFRAME;
  if (nshards != c->cfg.nservers) return ST_EPEER;
  uint32_t wide = 1;
  for (uint32_t t = 0; t < c->tables.n; t++)
    if (c->tables.defs[t].width > wide) wide = c->tables.defs[t].width;
  float *v = st_malloc(sizeof *v * wide);
  if (!v) return ST_ENOMEM;
  int rc = 0;
  for (uint32_t j = 0; j < nshards && !rc; j++) {
    uint32_t n = snap_get_u32(&rd);
    if (!snap_has(&rd, n, 13)) rc = ST_EFRAME;
    for (uint32_t i = 0; i < n && !rc; i++) {
      uint32_t table = snap_get_u32(&rd), row = snap_get_u32(&rd);
      uint8_t has = snap_get_u8(&rd);
      st_clock_t rclock = snap_get_u32(&rd);
      if (rd.err || has > 1) {
        rc = ST_EFRAME;
        break;
      }
      if ((rc = tbl_check(&c->tables, table, row))) break;
      if (tbl_shard(table, row, c->cfg.nservers) != j) {
        rc = ST_EPEER;
        break;
      }
      const tbl_def *d = tbl_find(&c->tables, table);
      if (has && (rc = cl_load_value(&rd, d, v))) break;
      uint64_t key = tbl_key(table, row);
      if (!apply) {
        if (hmap_get(seen, key)) rc = ST_EFRAME; /* a row saved twice */
        else if (hmap_put(seen, key, seen)) rc = ST_ENOMEM; /* any non-NULL value */
        continue;
      }
      cl_row *r = cl_row_new(c, table, row);
      if (!r) {
        rc = ST_ENOMEM;
        break;
      }
      r->has_value = has;
      r->clock = rclock;
      if (has && r->sparse)
        rc = tbl_srow_set(&r->sp, v, r->width);
      else if (has)
        memcpy(r->vals, v, (size_t)r->width * sizeof *v);
    }
  }
  st_free(v);
  if (!rc) rc = snap_rd_done(&rd);
  if (rc || !apply) return rc;
  c->clock = clock;
  for (uint32_t w = 0; w < c->cfg.workers_per_client; w++) c->wclock[w] = clock;
  c->touches = touches;
  c->ticks = ticks;
  return 0;
}

int cl_cache_load(cl_client *c, const uint8_t *p, size_t len) {
  if (c->clock || c->cache.len || c->oplog.len) return ST_ESTATE;
  for (uint32_t j = 0; j < c->cfg.nservers; j++)
    if (c->shards[j].seq) return ST_ESTATE;
  for (uint32_t w = 0; w < c->cfg.workers_per_client; w++)
    if (c->wclock[w]) return ST_ESTATE;
  hmap seen = {0};
  int rc = cl_load_pass(c, p, len, 0, &seen);
  hmap_free(&seen);
  return rc ? rc : cl_load_pass(c, p, len, 1, NULL);
}
