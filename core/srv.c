#include "srv.h"

#include <stdlib.h>
#include <string.h>

#include "ada.h"
#include "comm.h"
#include "hmap.h"
#include "sort.h"
#include "vec.h"

typedef struct srv_row {
  uint32_t table, row, width;
  uint8_t sparse;
  uint8_t dirty;  /* in the dirty list: changed since the last push round */
  uint8_t stale;  /* changed since its subscribers last got its value */
  st_clock_t pushed; /* the shard clock when its value was last pushed */
  uint64_t cseq;  /* order of its first change since then (fifo) */
  double change;  /* L1 of the changes since then (managed comm only) */
  uint32_t *subs; /* push mode: sorted ids of clients holding this row */
  size_t nsubs, capsubs;
  ada_row *ada; /* AdaRevision table: the rule's state; NULL for additive */
  uint8_t revise; /* TBL_RULE_ADAREV (not its ablation): cited versions count */
  tbl_srow sp;  /* the value of a sparse table's row: its non-zeros */
  float vals[]; /* the value of a dense table's row (width floats) */
} srv_row;

/* A read waiting for the shard clock to reach need. */
typedef struct srv_parked {
  uint32_t client;
  uint32_t seq; /* of the READ, echoed in the reply */
  st_clock_t need;
  uint32_t n;
  uint64_t *keys; /* owned */
} srv_parked;

/* An update frame held back in ordered mode until the shard clock reaches
 * its epoch (the clock its client reports at the end of it). */
typedef struct srv_heldframe {
  wire_msg msg; /* rows point into bytes */
  uint8_t *bytes; /* owned copy of the row records */
  st_clock_t epoch;
} srv_heldframe;

typedef struct srv_fifo {
  srv_heldframe *q;
  size_t head, n, cap;
} srv_fifo;

/* Rows one client holds, for push rounds. */
typedef struct srv_held {
  srv_row **rows;
  size_t n, cap;
} srv_held;

struct srv_shard {
  st_config cfg;
  tbl_set tables;
  uint32_t shard, node;
  const st_backend *be;
  hmap rows; /* tbl_key -> srv_row*, owned */
  st_clock_t *client_clock;
  uint32_t *last_seq;    /* last frame sequence received, per client */
  uint32_t *applied_seq; /* last frame whose updates are in the values */
  srv_fifo *waiting;     /* ordered mode: update frames held, per client */
  st_clock_t min_clock;
  uint32_t at_min; /* clients whose clock equals min_clock */
  srv_parked *parked;
  size_t nparked, capparked;
  srv_held *held; /* per client, push mode only */
  srv_row **dirty;
  size_t ndirty, capdirty;
  wire_buf out;
  /* Scratch for sparse rows, as wide as the widest sparse table: a dense
   * sum, a decoded sparse record, a merge buffer. */
  float *scratch, *svals;
  uint32_t *scols;
  tbl_srow merge;
  srv_stats stats;
  tmr pace; /* paces pushes between clocks */
  /* Managed communication: the bucket early pushes spend (own, or the
   * node's shared with its client), the change counter, ticks so far, a
   * tick's candidates and the rows chosen. */
  comm_bucket own, *bucket;
  uint64_t changes, ticks;
  comm_cand *cands;
  size_t capcands;
  srv_row **chosen;
  size_t capchosen;
  uint8_t early_wanted; /* a row with subscribers went stale */
};

static void srv_ada_free(srv_row *r);

srv_shard *srv_create(const st_config *cfg, const tbl_set *tables, uint32_t shard,
                      const st_backend *be) {
  if (cfg_check(cfg) || cfg_check_tables(cfg, tables) || shard >= cfg->nservers || !be) return NULL;
  srv_shard *s = st_calloc(1, sizeof *s);
  if (!s) return NULL;
  s->cfg = *cfg;
  s->tables = *tables;
  s->shard = shard;
  s->node = cfg_server_node(cfg, shard);
  s->be = be;
  tmr_init(&s->pace, TMR_ROLE_SERVER);
  comm_bucket_init(&s->own, cfg->comm_budget, cfg_comm_burst(cfg, tables, cfg->nclients), be->ops->now(be->ctx));
  s->bucket = &s->own;
  s->client_clock = st_calloc(cfg->nclients, sizeof *s->client_clock);
  s->last_seq = st_calloc(cfg->nclients, sizeof *s->last_seq);
  s->applied_seq = st_calloc(cfg->nclients, sizeof *s->applied_seq);
  if (cfg->push) s->held = st_calloc(cfg->nclients, sizeof *s->held);
  if (cfg->ordered) s->waiting = st_calloc(cfg->nclients, sizeof *s->waiting);
  uint32_t wide = 1;
  for (uint32_t t = 0; t < tables->n; t++)
    if ((tables->defs[t].sparse || tables->defs[t].rule) && tables->defs[t].width > wide)
      wide = tables->defs[t].width;
  s->scratch = st_malloc((size_t)wide * sizeof *s->scratch);
  s->svals = st_malloc((size_t)wide * sizeof *s->svals);
  s->scols = st_malloc((size_t)wide * sizeof *s->scols);
  if (!s->client_clock || !s->last_seq || !s->applied_seq || (cfg->push && !s->held) ||
      (cfg->ordered && !s->waiting) || !s->scratch || !s->svals || !s->scols) {
    srv_destroy(s);
    return NULL;
  }
  s->at_min = cfg->nclients;
  return s;
}

void srv_destroy(srv_shard *s) {
  if (!s) return;
  for (size_t i = 0; i < s->rows.cap; i++) {
    srv_row *r = s->rows.slots[i].val;
    if (r) {
      st_free(r->subs);
      tbl_srow_free(&r->sp);
      srv_ada_free(r);
      st_free(r);
    }
  }
  hmap_free(&s->rows);
  for (size_t i = 0; i < s->nparked; i++) st_free(s->parked[i].keys);
  st_free(s->parked);
  if (s->held)
    for (uint32_t c = 0; c < s->cfg.nclients; c++) st_free(s->held[c].rows);
  st_free(s->held);
  st_free(s->dirty);
  st_free(s->client_clock);
  st_free(s->last_seq);
  st_free(s->applied_seq);
  if (s->waiting)
    for (uint32_t c = 0; c < s->cfg.nclients; c++) {
      srv_fifo *f = &s->waiting[c];
      for (size_t i = f->head; i < f->n; i++) st_free(f->q[i].bytes);
      st_free(f->q);
    }
  st_free(s->waiting);
  st_free(s->scratch);
  st_free(s->svals);
  st_free(s->scols);
  tbl_srow_free(&s->merge);
  st_free(s->cands);
  st_free(s->chosen);
  wire_buf_free(&s->out);
  st_free(s);
}

st_clock_t srv_min_clock(const srv_shard *s) { return s->min_clock; }

/* ---- versioned rules (AdaRevision, ada.h) -------------------------------- */

static void srv_ada_free(srv_row *r) {
  if (!r->ada) return;
  ada_row_free(r->ada);
  st_free(r->ada);
  r->ada = NULL;
}

/* Gives a new row of an AdaRevision (or AdaGrad) table its state. 0 or
 * ST_ENOMEM. */
static int srv_ada_init(srv_row *r, const tbl_def *d) {
  if (d->rule == TBL_RULE_ADD) return 0;
  r->revise = d->rule == TBL_RULE_ADAREV;
  if (!(r->ada = st_malloc(sizeof *r->ada))) return ST_ENOMEM;
  if (ada_row_init(r->ada, d->width)) {
    st_free(r->ada);
    r->ada = NULL;
    return ST_ENOMEM;
  }
  return 0;
}

/* A record for a table of the rule: versioned exactly when the rule is, and
 * citing no version the row has not reached (a version only grows). */
static int srv_ada_check(const srv_shard *s, const tbl_def *d, const wire_row *wr) {
  if (wr->versioned != (d->rule != TBL_RULE_ADD)) return ST_EFRAME;
  if (!wr->versioned) return 0;
  const srv_row *r = hmap_get(&s->rows, tbl_key(wr->table, wr->row));
  return wr->ver <= (r && r->ada ? r->ada->ver : 0) ? 0 : ST_EPEER;
}

/* Applies a (validated) record to an AdaRevision row. */
static void srv_ada_apply(srv_shard *s, srv_row *r, const wire_row *wr) {
  const tbl_def *d = tbl_find(&s->tables, r->table);
  float *u = s->scratch;
  memset(u, 0, (size_t)r->width * sizeof *u);
  wire_row_add_into(wr, u, r->width);
  uint32_t cited = r->revise ? wr->ver : r->ada->ver; /* ADAGRAD: as if nothing were unseen */
  if (ada_row_apply(r->ada, d->alpha, r->vals, u, cited, s->min_clock, s->cfg.staleness))
    s->stats.ada_approx++;
}

const srv_stats *srv_get_stats(const srv_shard *s) { return &s->stats; }

/* The stored row, created (zeroed) on first touch. NULL on ENOMEM. */
static srv_row *srv_row_get(srv_shard *s, uint32_t table, uint32_t row) {
  uint64_t key = tbl_key(table, row);
  srv_row *r = hmap_get(&s->rows, key);
  if (r) return r;
  const tbl_def *d = tbl_find(&s->tables, table);
  r = st_calloc(1, sizeof *r + (d->sparse ? 0 : (size_t)d->width * sizeof(float)));
  if (!r) return NULL;
  r->table = table;
  r->row = row;
  r->width = d->width;
  r->sparse = d->sparse;
  if (srv_ada_init(r, d) || hmap_put(&s->rows, key, r)) {
    srv_ada_free(r);
    st_free(r);
    return NULL;
  }
  return r;
}

int srv_read_row(const srv_shard *s, uint32_t table, uint32_t row, float *out) {
  int rc = tbl_check(&s->tables, table, row);
  if (rc) return rc;
  if (tbl_shard(table, row, s->cfg.nservers) != s->shard) return ST_EINVAL;
  const tbl_def *d = tbl_find(&s->tables, table);
  const srv_row *r = hmap_get(&s->rows, tbl_key(table, row));
  if (r && r->sparse)
    tbl_srow_dense(&r->sp, out, d->width);
  else if (r)
    memcpy(out, r->vals, (size_t)d->width * sizeof(float));
  else
    memset(out, 0, (size_t)d->width * sizeof(float));
  return 0;
}

/* Checks that a row record names a row of this shard with a fitting width. */
static int srv_check_row(const srv_shard *s, const wire_row *wr, int want_values) {
  int rc = tbl_check(&s->tables, wr->table, wr->row);
  if (rc) return rc;
  if (tbl_shard(wr->table, wr->row, s->cfg.nservers) != s->shard) return ST_EPEER;
  if (!want_values) return wr->kind == WIRE_ROW_ID ? 0 : ST_EFRAME;
  const tbl_def *d = tbl_find(&s->tables, wr->table);
  if ((rc = srv_ada_check(s, d, wr))) return rc;
  if (wr->kind == WIRE_ROW_DENSE) return wr->n == d->width ? 0 : ST_ERANGE;
  if (wr->kind != WIRE_ROW_SPARSE) return ST_EFRAME;
  for (uint32_t i = 0; i < wr->n; i++) {
    uint32_t col;
    float v;
    wire_row_value(wr, i, &col, &v);
    if (col >= d->width) return ST_ERANGE;
  }
  return 0;
}

static int srv_check_rows(const srv_shard *s, const wire_msg *m, int want_values) {
  wire_iter it;
  wire_row wr;
  wire_iter_init(&it, m);
  while (wire_next(&it, &wr)) {
    int rc = srv_check_row(s, &wr, want_values);
    if (rc) return rc;
  }
  return 0;
}

/* L1 norm of a (validated) record's values. */
static double srv_record_l1(const wire_row *wr) {
  double sum = 0;
  for (uint32_t i = 0; i < wr->n; i++) {
    uint32_t col;
    float v;
    wire_row_value(wr, i, &col, &v);
    sum += v < 0 ? -(double)v : (double)v;
  }
  return sum;
}

static int srv_mark_dirty(srv_shard *s, srv_row *r, const wire_row *wr) {
  if (!s->cfg.push) return 0;
  if (!r->stale) {
    r->stale = 1;
    r->cseq = s->changes++;
    if (r->nsubs) s->early_wanted = 1;
  }
  if (s->cfg.comm_policy != COMM_NONE) r->change += srv_record_l1(wr);
  if (r->dirty) return 0;
  if (vec_reserve(&s->dirty, &s->capdirty, s->ndirty + 1, sizeof *s->dirty)) return ST_ENOMEM;
  s->dirty[s->ndirty++] = r;
  r->dirty = 1;
  return 0;
}

/* Adds a (validated) record to a sparse row: a sparse record with columns
 * ascending is merged in O(non-zeros); any other goes through a dense sum.
 * Both make the same float additions. */
static int srv_add_sparse(srv_shard *s, srv_row *r, const wire_row *wr) {
  int sorted = wr->kind == WIRE_ROW_SPARSE && wr->n <= r->width;
  for (uint32_t i = 0; sorted && i < wr->n; i++) {
    wire_row_value(wr, i, &s->scols[i], &s->svals[i]);
    sorted = i == 0 || s->scols[i] > s->scols[i - 1];
  }
  if (sorted) return tbl_srow_merge(&r->sp, s->scols, s->svals, wr->n, &s->merge);
  tbl_srow_dense(&r->sp, s->scratch, r->width);
  wire_row_add_into(wr, s->scratch, r->width);
  return tbl_srow_set(&r->sp, s->scratch, r->width);
}

/* Adds the (validated) deltas of m. Row creation can fail with ENOMEM
 * midway; the rows touched so far keep their updates, which is the best an
 * out-of-memory shard can do. */
static int srv_apply(srv_shard *s, const wire_msg *m) {
  wire_iter it;
  wire_row wr;
  wire_iter_init(&it, m);
  while (wire_next(&it, &wr)) {
    srv_row *r = srv_row_get(s, wr.table, wr.row);
    if (!r) return ST_ENOMEM;
    if (r->ada)
      srv_ada_apply(s, r, &wr);
    else if (!r->sparse)
      wire_row_add_into(&wr, r->vals, r->width);
    else if (srv_add_sparse(s, r, &wr))
      return ST_ENOMEM;
    if (srv_mark_dirty(s, r, &wr)) return ST_ENOMEM;
    s->stats.rows_applied++;
  }
  return 0;
}

static int srv_send_out(srv_shard *s, uint32_t client) {
  int rc = wire_finish(&s->out);
  if (rc) return rc;
  rc = s->be->ops->send(s->be->ctx, cfg_client_node(&s->cfg, client), s->out.data, s->out.len);
  s->stats.frames_out++;
  s->stats.bytes_out += s->out.len;
  return rc; /* the backend's own error */
}

/* Starts a ROWS frame to client; seq echoes the READ it answers (0 if none). */
static int srv_begin(srv_shard *s, uint32_t client, uint16_t flags, uint32_t seq) {
  wire_header h = {.version = WIRE_VERSION,
                   .type = WIRE_ROWS,
                   .flags = flags,
                   .src = s->node,
                   .dst = cfg_client_node(&s->cfg, client),
                   .clock = s->min_clock,
                   .seq = seq,
                   .ack = s->applied_seq[client]};
  return wire_begin(&s->out, &h, s->cfg.max_frame);
}

static int srv_add_row(srv_shard *s, const srv_row *r) {
  s->stats.rows_sent++;
  if (r->ada) {
    /* The client cites the version it got: remember acc at it. */
    if (r->revise && ada_row_sent(r->ada, s->min_clock)) return ST_ENOMEM;
    return wire_add_dense_ver(&s->out, r->table, r->row, r->ada->ver, r->vals, r->width);
  }
  if (r->sparse) return wire_add_pairs(&s->out, r->table, r->row, r->sp.cols, r->sp.vals, r->sp.n);
  return wire_add_dense(&s->out, r->table, r->row, r->vals, r->width);
}

/* Appends r to the frame being built for client; when the frame is full,
 * sends it and starts another with the same flags. */
static int srv_append(srv_shard *s, uint32_t client, uint16_t flags, uint32_t seq, const srv_row *r) {
  int rc = srv_add_row(s, r);
  if (rc != ST_ETOOBIG) return rc;
  if (s->out.nrows == 0) return ST_ETOOBIG; /* one row larger than a frame */
  if ((rc = srv_send_out(s, client))) return rc;
  if ((rc = srv_begin(s, client, flags, seq))) return rc;
  return srv_add_row(s, r);
}

/* Push mode: remember that client holds r, so push rounds include it. */
static int srv_subscribe(srv_shard *s, uint32_t client, srv_row *r) {
  size_t lo = 0, hi = r->nsubs;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (r->subs[mid] < client)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < r->nsubs && r->subs[lo] == client) return 0;
  srv_held *h = &s->held[client];
  if (vec_reserve(&r->subs, &r->capsubs, r->nsubs + 1, sizeof *r->subs) ||
      vec_reserve(&h->rows, &h->cap, h->n + 1, sizeof *h->rows))
    return ST_ENOMEM;
  memmove(r->subs + lo + 1, r->subs + lo, (r->nsubs - lo) * sizeof *r->subs);
  r->subs[lo] = client;
  r->nsubs++;
  h->rows[h->n++] = r;
  return 0;
}

/* Answers a read of keys[0..n) for client at the current shard clock. */
static int srv_answer(srv_shard *s, uint32_t client, uint32_t seq, const uint64_t *keys, uint32_t n) {
  int rc = srv_begin(s, client, WIRE_F_REPLY, seq);
  for (uint32_t i = 0; !rc && i < n; i++) {
    srv_row *r = srv_row_get(s, (uint32_t)(keys[i] >> 32), (uint32_t)keys[i]);
    if (!r) return ST_ENOMEM;
    if (s->cfg.push && (rc = srv_subscribe(s, client, r))) return rc;
    rc = srv_append(s, client, WIRE_F_REPLY, seq, r);
  }
  return rc ? rc : srv_send_out(s, client);
}

static int srv_on_read(srv_shard *s, uint32_t client, const wire_msg *m) {
  int rc;
  uint64_t *keys = st_malloc((m->nrows ? m->nrows : 1) * sizeof *keys);
  if (!keys) return ST_ENOMEM;
  wire_iter it;
  wire_row wr;
  uint32_t n = 0;
  wire_iter_init(&it, m);
  while (wire_next(&it, &wr)) keys[n++] = tbl_key(wr.table, wr.row);
  if (m->hdr.clock <= s->min_clock) {
    rc = srv_answer(s, client, m->hdr.seq, keys, n);
    st_free(keys);
    return rc;
  }
  if (vec_reserve(&s->parked, &s->capparked, s->nparked + 1, sizeof *s->parked)) {
    st_free(keys);
    return ST_ENOMEM;
  }
  s->parked[s->nparked++] = (srv_parked){client, m->hdr.seq, m->hdr.clock, n, keys};
  s->stats.reads_parked++;
  return 0;
}

/* Push round: every client holding rows of this shard learns the new clock,
 * with the values of the rows that changed since the last round. */
static int srv_push_round(srv_shard *s) {
  int rc = 0;
  for (uint32_t c = 0; !rc && c < s->cfg.nclients; c++) {
    srv_held *h = &s->held[c];
    if (h->n == 0) continue;
    /* Only the last part of a split push may claim that the rows it lacks
     * are unchanged; the earlier parts are plain rows. */
    uint64_t before = s->stats.bytes_out;
    rc = srv_begin(s, c, 0, 0);
    for (size_t i = 0; !rc && i < h->n; i++)
      if (h->rows[i]->stale) rc = srv_append(s, c, 0, 0, h->rows[i]);
    if (!rc) rc = wire_set_flags(&s->out, WIRE_F_PUSH);
    if (!rc) rc = srv_send_out(s, c);
    s->stats.bytes_push += s->stats.bytes_out - before;
  }
  /* A row pushed early and unchanged since is left out above: the client
   * has its value, so "absent rows are unchanged" holds for it. */
  for (size_t i = 0; i < s->ndirty; i++) {
    srv_row *r = s->dirty[i];
    if (r->stale) r->pushed = s->min_clock;
    r->dirty = r->stale = 0;
    r->change = 0;
  }
  s->ndirty = 0;
  s->early_wanted = 0;
  return rc;
}

/* Keeps a validated update frame until the shard clock reaches epoch. */
static int srv_hold(srv_shard *s, uint32_t client, const wire_msg *m, st_clock_t epoch) {
  srv_fifo *f = &s->waiting[client];
  if (vec_reserve(&f->q, &f->cap, f->n + 1, sizeof *f->q)) return ST_ENOMEM;
  uint8_t *copy = st_malloc(m->rows_len ? m->rows_len : 1);
  if (!copy) return ST_ENOMEM;
  memcpy(copy, m->rows, m->rows_len);
  srv_heldframe *h = &f->q[f->n++];
  h->msg = *m;
  h->msg.rows = copy;
  h->bytes = copy;
  h->epoch = epoch;
  return 0;
}

/* Ordered mode: applies the held frames of epochs up to the shard clock,
 * epoch by epoch and client by client, so the sums are the same whatever
 * order the frames arrived in. */
static int srv_apply_held(srv_shard *s, st_clock_t from) {
  int rc = 0;
  for (st_clock_t e = from; e <= s->min_clock && e != 0; e++) {
    for (uint32_t c = 0; c < s->cfg.nclients; c++) {
      srv_fifo *f = &s->waiting[c];
      while (f->head < f->n && f->q[f->head].epoch == e) {
        srv_heldframe *h = &f->q[f->head++];
        int r = srv_apply(s, &h->msg);
        if (!rc) rc = r;
        s->applied_seq[c] = h->msg.hdr.seq;
        st_free(h->bytes);
      }
      if (f->head == f->n) f->head = f->n = 0;
    }
    if (e == UINT32_MAX) break;
  }
  return rc;
}

/* The shard clock moved: answer the reads it now allows, then push. */
static int srv_clock_advanced(srv_shard *s, st_clock_t old_min) {
  size_t kept = 0;
  int rc = s->cfg.ordered ? srv_apply_held(s, old_min + 1) : 0;
  for (size_t i = 0; i < s->nparked; i++) {
    srv_parked *p = &s->parked[i];
    if (!rc && p->need <= s->min_clock) {
      rc = srv_answer(s, p->client, p->seq, p->keys, p->n);
      st_free(p->keys);
    } else {
      s->parked[kept++] = *p;
    }
  }
  s->nparked = kept;
  if (!rc && s->cfg.push) rc = srv_push_round(s);
  return rc;
}

static int srv_on_clock(srv_shard *s, uint32_t client, st_clock_t clock) {
  st_clock_t old = s->client_clock[client];
  if (clock <= old) return ST_ESTATE;
  s->client_clock[client] = clock;
  if (old != s->min_clock || --s->at_min > 0) return 0;
  /* The last client at the minimum moved on: find the new minimum. */
  st_clock_t mn = UINT32_MAX;
  uint32_t cnt = 0;
  for (uint32_t c = 0; c < s->cfg.nclients; c++) {
    if (s->client_clock[c] < mn) {
      mn = s->client_clock[c];
      cnt = 0;
    }
    if (s->client_clock[c] == mn) cnt++;
  }
  st_clock_t old_min = s->min_clock;
  s->min_clock = mn;
  s->at_min = cnt;
  return srv_clock_advanced(s, old_min);
}

/* Whether a client that just sent deltas needs an explicit acknowledgement
 * (so it can forget the copies it keeps for read-my-writes). A client that
 * receives pushes from this shard gets the ack with the next push, which
 * comes when the shard clock moves; only a client running ahead of it by
 * two clocks or more would pile up copies meanwhile. */
static int srv_needs_ack(const srv_shard *s, uint32_t client) {
  if (!s->cfg.push || s->held[client].n == 0) return 1;
  return s->client_clock[client] >= s->min_clock + 2;
}

/* Managed communication in push mode: a row its subscribers hold went
 * stale, so the pacer ticks until none is left (or a push round sends them). */
static int srv_pace_wanted(srv_shard *s) {
  if (s->cfg.comm_policy == COMM_NONE || !s->early_wanted || s->pace.armed) return 0;
  return srv_timer_arm(s, cfg_comm_interval(&s->cfg));
}

int srv_on_message(srv_shard *s, const wire_msg *m) {
  uint32_t src = m->hdr.src;
  if (src >= s->cfg.nclients || cfg_client_node(&s->cfg, src) != src) return ST_EPEER;
  uint32_t client = src;
  s->stats.frames_in++;
  /* Frames on a channel carry consecutive sequence numbers from 1: an old
   * one is a duplicate (a resent frame) and is dropped; a gap is a lost
   * frame, which the delivery contract forbids. */
  if (m->hdr.seq <= s->last_seq[client]) {
    s->stats.frames_dup++;
    return 0;
  }
  if (m->hdr.seq != s->last_seq[client] + 1) return ST_ESTATE;
  int rc;
  switch (m->hdr.type) {
  case WIRE_UPDATE:
  case WIRE_CLOCK:
    if ((rc = srv_check_rows(s, m, 1))) return rc;
    if (m->hdr.type == WIRE_CLOCK && m->hdr.clock <= s->client_clock[client]) return ST_ESTATE;
    s->last_seq[client] = m->hdr.seq;
    if (s->cfg.ordered) {
      /* An early update belongs to the clock its client reports next. */
      st_clock_t epoch = m->hdr.type == WIRE_CLOCK ? m->hdr.clock : s->client_clock[client] + 1;
      if ((rc = srv_hold(s, client, m, epoch))) return rc;
    } else {
      if ((rc = srv_apply(s, m))) return rc;
      s->applied_seq[client] = m->hdr.seq;
      if ((rc = srv_pace_wanted(s))) return rc;
    }
    if (m->hdr.type == WIRE_UPDATE) return 0;
    if ((rc = srv_on_clock(s, client, m->hdr.clock))) return rc;
    if (m->nrows && srv_needs_ack(s, client) &&
        ((rc = srv_begin(s, client, 0, 0)) || (rc = srv_send_out(s, client))))
      return rc;
    return 0;
  case WIRE_READ:
    if ((rc = srv_check_rows(s, m, 0))) return rc;
    s->last_seq[client] = m->hdr.seq;
    if (!s->cfg.ordered) s->applied_seq[client] = m->hdr.seq;
    return srv_on_read(s, client, m);
  default:
    return ST_ETYPE;
  }
}

int srv_timer_arm(srv_shard *s, double delay) { return tmr_arm(&s->pace, s->be, delay); }

/* ---- managed communication: early pushes -------------------------------- */

static comm_cand srv_cand(const srv_shard *s, srv_row *r) {
  comm_cand k = {.key = tbl_key(r->table, r->row), .seq = r->cseq, .mag = r->change, .item = r};
  if (s->cfg.comm_policy == COMM_RELATIVE) {
    const float *v = r->sparse ? r->sp.vals : r->vals;
    size_t n = r->sparse ? r->sp.n : r->width;
    for (size_t i = 0; i < n; i++) k.base += v[i] < 0 ? -(double)v[i] : (double)v[i];
  }
  if (r->pushed < s->min_clock) k.behind = (double)(s->min_clock - r->pushed);
  return k;
}

/* Whether client subscribes to r (subs are sorted). */
static int srv_subscribed(const srv_row *r, uint32_t client) {
  size_t lo = 0, hi = r->nsubs;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (r->subs[mid] < client)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < r->nsubs && r->subs[lo] == client;
}

/* One pacing tick: ranks the stale rows that have subscribers by the
 * policy and pushes the best ones the tokens pay for to every subscriber,
 * as WIRE_F_EARLY frames (one per client, in client order). A row's cost is
 * charged as if each subscriber got a frame of its own, and what the real
 * frames cost less is given back. Arms the next tick while stale rows with
 * subscribers are left. */
static int srv_pace(srv_shard *s) {
  if (s->cfg.comm_policy == COMM_NONE || !s->cfg.push || s->ndirty == 0) return 0;
  comm_bucket_refill(s->bucket, s->be->ops->now(s->be->ctx));
  size_t n = 0;
  if (vec_reserve(&s->cands, &s->capcands, s->ndirty, sizeof *s->cands) ||
      vec_reserve(&s->chosen, &s->capchosen, s->ndirty, sizeof *s->chosen))
    return ST_ENOMEM;
  for (size_t i = 0; i < s->ndirty; i++)
    if (s->dirty[i]->stale && s->dirty[i]->nsubs) s->cands[n++] = srv_cand(s, s->dirty[i]);
  comm_rank(s->cfg.comm_policy, s->cands, n, (uint64_t)s->shard << 40 ^ s->ticks++ ^ 1ull << 63);
  size_t k = 0;
  double charged = 0;
  for (size_t i = 0; i < n; i++) {
    srv_row *r = s->cands[i].item;
    size_t row = 13 + (r->sparse ? 8 * (size_t)r->sp.n : 4 * (size_t)r->width);
    double cost = (double)r->nsubs * (double)(row + WIRE_HEADER_SIZE + 4);
    if (!comm_bucket_take(s->bucket, cost)) continue;
    charged += cost;
    s->chosen[k++] = r;
  }
  int rc = 0;
  uint64_t before = s->stats.bytes_out;
  for (uint32_t c = 0; !rc && k && c < s->cfg.nclients; c++) {
    int started = 0;
    for (size_t i = 0; !rc && i < k; i++) {
      if (!srv_subscribed(s->chosen[i], c)) continue;
      if (!started && (rc = srv_begin(s, c, WIRE_F_EARLY, 0))) break;
      started = 1;
      rc = srv_append(s, c, WIRE_F_EARLY, 0, s->chosen[i]);
    }
    if (!rc && started) rc = srv_send_out(s, c);
  }
  uint64_t spent = s->stats.bytes_out - before;
  s->stats.bytes_early += spent;
  if (k) comm_bucket_refund(s->bucket, charged - (double)spent);
  for (size_t i = 0; i < k; i++) {
    s->chosen[i]->stale = 0;
    s->chosen[i]->change = 0;
    s->chosen[i]->pushed = s->min_clock;
  }
  s->early_wanted = 0;
  for (size_t i = 0; i < s->ndirty && !s->early_wanted; i++)
    if (s->dirty[i]->stale && s->dirty[i]->nsubs) s->early_wanted = 1;
  if (!rc) rc = srv_pace_wanted(s);
  return rc;
}

void srv_set_bucket(srv_shard *s, comm_bucket *b) { s->bucket = b ? b : &s->own; }

int srv_on_timer(srv_shard *s, uint64_t token) {
  if (!tmr_fired(&s->pace, token)) {
    s->stats.timers_late++;
    return 0;
  }
  s->stats.timers_fired++;
  return srv_pace(s);
}

/* ---- checkpoints -------------------------------------------------------- */

int srv_settled(const srv_shard *s, st_clock_t k) {
  if (s->min_clock != k || s->nparked || s->ndirty) return 0;
  for (uint32_t c = 0; c < s->cfg.nclients; c++) {
    if (s->client_clock[c] != k) return 0;
    if (s->waiting && s->waiting[c].head != s->waiting[c].n) return 0;
  }
  return 1;
}

int srv_restore_row(srv_shard *s, uint32_t table, uint32_t row, const float *v) {
  if (s->stats.frames_in) return ST_ESTATE;
  int rc = tbl_check(&s->tables, table, row);
  if (rc) return rc;
  if (tbl_shard(table, row, s->cfg.nservers) != s->shard) return ST_EINVAL;
  srv_row *r = srv_row_get(s, table, row);
  if (!r) return ST_ENOMEM;
  if (r->sparse) return tbl_srow_set(&r->sp, v, r->width);
  memcpy(r->vals, v, (size_t)r->width * sizeof *v);
  return 0;
}

/* Layout: u32 clock, u64 changes, u64 ticks, u32 clients, u8 push; in push
 * mode, per client u32 n and n (u32 table, u32 row), then u32 m and m
 * (u32 table, u32 row, u32 pushed) for the rows ever pushed, by key. */
int srv_held_save(const srv_shard *s, snap_buf *out) {
  if (!srv_settled(s, s->min_clock)) return ST_ESTATE;
  snap_u32(out, s->min_clock);
  snap_u64(out, s->changes);
  snap_u64(out, s->ticks);
  snap_u32(out, s->cfg.nclients);
  snap_u8(out, s->cfg.push);
  if (!s->cfg.push) return out->err;
  for (uint32_t c = 0; c < s->cfg.nclients; c++) {
    const srv_held *h = &s->held[c];
    snap_u32(out, (uint32_t)h->n);
    for (size_t i = 0; i < h->n; i++) {
      snap_u32(out, h->rows[i]->table);
      snap_u32(out, h->rows[i]->row);
    }
  }
  /* The rows ever pushed, in key order: the same state saves the same
   * bytes, whatever order the rows were created in. */
  size_t m = 0;
  for (size_t i = 0; i < s->rows.cap; i++) {
    const srv_row *r = s->rows.slots[i].val;
    m += r && r->pushed;
  }
  sort_pair *pairs = st_malloc((m ? 2 * m : 1) * sizeof *pairs);
  if (!pairs) return ST_ENOMEM;
  m = 0;
  for (size_t i = 0; i < s->rows.cap; i++) {
    srv_row *r = s->rows.slots[i].val;
    if (r && r->pushed) pairs[m++] = (sort_pair){tbl_key(r->table, r->row), r};
  }
  sort_pairs(pairs, pairs + m, m);
  snap_u32(out, (uint32_t)m);
  for (size_t i = 0; i < m; i++) {
    const srv_row *r = pairs[i].val;
    snap_u32(out, r->table);
    snap_u32(out, r->row);
    snap_u32(out, r->pushed);
  }
  st_free(pairs);
  return out->err;
}

/* Reads a (table, row) of this shard: 0, or the reason it is not one. */
static int srv_load_key(const srv_shard *s, snap_rd *rd, uint32_t *table, uint32_t *row) {
  *table = snap_get_u32(rd);
  *row = snap_get_u32(rd);
  if (rd->err) return ST_EFRAME;
  int rc = tbl_check(&s->tables, *table, *row);
  if (rc) return rc;
  return tbl_shard(*table, *row, s->cfg.nservers) == s->shard ? 0 : ST_EPEER;
}

/* One pass over a saved push state: checks it (apply 0, seen: an empty map
 * from key to the last client listing it) or loads it (apply 1). */
static int srv_load_pass(srv_shard *s, const uint8_t *p, size_t len, int apply, hmap *seen) {
  snap_rd rd;
  snap_rd_init(&rd, p, len);
  st_clock_t clock = snap_get_u32(&rd);
  uint64_t changes = snap_get_u64(&rd), ticks = snap_get_u64(&rd);
  uint32_t nclients = snap_get_u32(&rd);
  uint8_t push = snap_get_u8(&rd);
  if (rd.err) return ST_EFRAME;
  if (nclients != s->cfg.nclients) return ST_EPEER;
  if (push != s->cfg.push) return ST_EINVAL;
  int rc = 0;
  uint32_t table, row;
  for (uint32_t c = 0; push && c < nclients && !rc; c++) {
    uint32_t n = snap_get_u32(&rd);
    if (!snap_has(&rd, n, 8)) rc = ST_EFRAME;
    for (uint32_t i = 0; i < n && !rc; i++) {
      if ((rc = srv_load_key(s, &rd, &table, &row))) break;
      uint64_t key = tbl_key(table, row);
      if (!apply) { /* a row twice in one client's list is malformed */
        void *mark = (void *)(uintptr_t)(c + 1); /* a tag, never dereferenced */
        if (hmap_get(seen, key) == mark) rc = ST_EFRAME;
        else if (hmap_put(seen, key, mark)) rc = ST_ENOMEM;
        continue;
      }
      srv_row *r = srv_row_get(s, table, row);
      rc = r ? srv_subscribe(s, c, r) : ST_ENOMEM;
    }
  }
  uint32_t m = push ? snap_get_u32(&rd) : 0;
  if (!rc && !snap_has(&rd, m, 12)) rc = ST_EFRAME;
  for (uint32_t i = 0; i < m && !rc; i++) {
    if ((rc = srv_load_key(s, &rd, &table, &row))) break;
    st_clock_t pushed = snap_get_u32(&rd);
    if (pushed > clock) rc = ST_EFRAME;
    if (rc || !apply) continue;
    srv_row *r = srv_row_get(s, table, row);
    if (!r) rc = ST_ENOMEM;
    else r->pushed = pushed;
  }
  if (!rc) rc = snap_rd_done(&rd);
  if (rc || !apply) return rc;
  for (uint32_t c = 0; c < nclients; c++) s->client_clock[c] = clock;
  s->min_clock = clock;
  s->at_min = nclients;
  s->changes = changes;
  s->ticks = ticks;
  return 0;
}

int srv_held_load(srv_shard *s, const uint8_t *p, size_t len) {
  if (s->stats.frames_in || s->min_clock) return ST_ESTATE;
  for (uint32_t c = 0; s->held && c < s->cfg.nclients; c++)
    if (s->held[c].n) return ST_ESTATE;
  hmap seen = {0};
  int rc = srv_load_pass(s, p, len, 0, &seen);
  hmap_free(&seen);
  return rc ? rc : srv_load_pass(s, p, len, 1, NULL);
}
