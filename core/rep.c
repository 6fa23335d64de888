/* rep.c: see rep.h. */
#include "rep.h"

#include <string.h>

/* floats per record row: each field of rep_clock as hi, lo */
#define REP_FIELDS 8
#define REP_PARTS (2 * REP_FIELDS)

/* The fields of a record, in their wire order (time first). */
static void rep_fields(rep_clock *c, double **f) {
  double *p[REP_FIELDS] = {&c->time,        &c->bytes, &c->blocked, &c->bytes_early,
                           &c->bytes_clock, &c->reads, &c->stale,     &c->pacing};
  memcpy(f, p, sizeof p);
}

struct rep_state {
  st_config cfg;
  uint32_t node, nnodes;
  const st_backend *be;
  uint32_t table, rows, width; /* the report table (rows 0 when it is absent) */
  float *rowbuf;               /* [width]: a row read from the shard */
  uint32_t released;           /* highest barrier released here */
  uint32_t arrived_at;         /* highest barrier this node reported */
  wire_buf out;
  /* node 0 */
  uint32_t collecting; /* barrier being collected (0: none) */
  uint32_t reports;    /* reports of it so far */
  uint8_t *from;       /* [nnodes] reported it */
  rep_clock *rec;      /* [rows] aggregates */
  float *vals;         /* [rows * width] */
  uint8_t *have;       /* [rows] */
};

rep_state *rep_create(const st_config *cfg, const tbl_set *tables, uint32_t node,
                      const st_backend *be) {
  if (cfg_check(cfg) || node >= cfg_nodes(cfg) || !be) return NULL;
  rep_state *r = st_calloc(1, sizeof *r);
  if (!r) return NULL;
  r->cfg = *cfg;
  r->node = node;
  r->nnodes = cfg_nodes(cfg);
  r->be = be;
  r->table = cfg->report_table;
  const tbl_def *d = tbl_find(tables, r->table);
  if (d) {
    r->rows = d->rows;
    r->width = d->width;
    if (!(r->rowbuf = st_malloc((size_t)r->width * sizeof *r->rowbuf))) {
      st_free(r);
      return NULL;
    }
  }
  if (node == 0) {
    r->from = st_calloc(r->nnodes, 1);
    r->rec = st_calloc(r->rows ? r->rows : 1, sizeof *r->rec);
    r->vals = st_calloc(r->rows ? (size_t)r->rows * r->width : 1, sizeof *r->vals);
    r->have = st_calloc(r->rows ? r->rows : 1, 1);
    if (!r->from || !r->rec || !r->vals || !r->have) {
      rep_destroy(r);
      return NULL;
    }
  }
  return r;
}

void rep_destroy(rep_state *r) {
  if (!r) return;
  wire_buf_free(&r->out);
  st_free(r->from);
  st_free(r->rec);
  st_free(r->vals);
  st_free(r->have);
  st_free(r->rowbuf);
  st_free(r);
}

static void rep_split(double x, float *hi, float *lo) {
  *hi = (float)x;
  *lo = (float)(x - (double)*hi);
}

/* Checks a REPORT's rows against this run before anything is taken. */
static int rep_check_rows(const rep_state *r, const wire_msg *m) {
  wire_iter it;
  wire_row row;
  wire_iter_init(&it, m);
  while (wire_next(&it, &row)) {
    if (row.kind != WIRE_ROW_DENSE) return ST_EPEER;
    if (row.table == REP_RECORD_TABLE) {
      if (row.row >= r->rows || row.n != REP_PARTS) return ST_ERANGE;
    } else if (row.table == r->table && r->rows) {
      if (row.row >= r->rows || row.n != r->width || r->have[row.row]) return ST_ERANGE;
      if (tbl_shard(r->table, row.row, r->cfg.nservers) + r->cfg.server_base != m->hdr.src)
        return ST_EPEER; /* only the shard that owns a row may report it */
    } else {
      return ST_EPEER;
    }
  }
  return 0;
}

static void rep_take_rows(rep_state *r, const wire_msg *m) {
  wire_iter it;
  wire_row row;
  wire_iter_init(&it, m);
  while (wire_next(&it, &row)) {
    float v[REP_PARTS];
    uint32_t col;
    if (row.table == REP_RECORD_TABLE) {
      for (uint32_t i = 0; i < REP_PARTS; i++) wire_row_value(&row, i, &col, &v[i]);
      double *f[REP_FIELDS];
      rep_fields(&r->rec[row.row], f);
      double t = (double)v[0] + (double)v[1];
      if (t > *f[0]) *f[0] = t;
      for (uint32_t k = 1; k < REP_FIELDS; k++) *f[k] += (double)v[2 * k] + (double)v[2 * k + 1];
    } else {
      float *dst = &r->vals[(size_t)row.row * r->width];
      for (uint32_t i = 0; i < r->width; i++) wire_row_value(&row, i, &col, &dst[i]);
      r->have[row.row] = 1;
    }
  }
}

/* Node 0: one node's report of barrier b. */
static int rep_take(rep_state *r, uint32_t src, uint32_t b, const wire_msg *m) {
  if (b <= r->released) return ST_ESTATE;
  if (r->collecting && b != r->collecting) return ST_ESTATE;
  if (r->collecting && r->from[src]) return ST_EPEER;
  int rc = rep_check_rows(r, m);
  if (rc) return rc;
  if (!r->collecting) {
    r->collecting = b;
    r->reports = 0;
    memset(r->from, 0, r->nnodes);
  }
  r->from[src] = 1;
  r->reports++;
  rep_take_rows(r, m);
  return 0;
}

int rep_arrive(rep_state *r, uint32_t b, const rep_clock *recs, uint32_t first, uint32_t nrecs,
               const srv_shard *shard) {
  if (b == 0 || b <= r->released || (nrecs && (first >= r->rows || nrecs > r->rows - first)))
    return ST_EINVAL;
  if (b <= r->arrived_at) return ST_ESTATE;
  wire_header h = {.type = WIRE_REPORT, .src = r->node, .dst = 0, .clock = b};
  int rc = wire_begin(&r->out, &h, r->cfg.max_frame);
  for (uint32_t i = 0; rc == 0 && i < nrecs; i++) {
    float v[REP_PARTS];
    rep_clock rec = recs[i];
    double *f[REP_FIELDS];
    rep_fields(&rec, f);
    for (uint32_t k = 0; k < REP_FIELDS; k++) rep_split(*f[k], &v[2 * k], &v[2 * k + 1]);
    rc = wire_add_dense(&r->out, REP_RECORD_TABLE, first + i, v, REP_PARTS);
  }
  if (shard && r->rows) {
    uint32_t id = r->node - r->cfg.server_base;
    for (uint32_t c = 0; rc == 0 && c < r->rows; c++) {
      if (tbl_shard(r->table, c, r->cfg.nservers) != id) continue;
      rc = srv_read_row(shard, r->table, c, r->rowbuf);
      if (rc == 0) rc = wire_add_dense(&r->out, r->table, c, r->rowbuf, r->width);
    }
  }
  if (rc == 0) rc = wire_finish(&r->out);
  if (rc) return rc;
  if (r->node == 0) {
    wire_msg m;
    rc = wire_decode(r->out.data, r->out.len, r->out.len, &m);
    if (rc == 0) rc = rep_take(r, 0, b, &m);
  } else {
    rc = r->be->ops->send(r->be->ctx, 0, r->out.data, r->out.len);
  }
  if (rc == 0) r->arrived_at = b;
  return rc;
}

int rep_complete(const rep_state *r, uint32_t b) {
  return r->node == 0 && r->collecting == b && b && r->reports == r->nnodes;
}

int rep_release(rep_state *r, uint32_t b) {
  if (!rep_complete(r, b)) return ST_ESTATE;
  wire_header h = {.type = WIRE_RELEASE, .src = 0, .clock = b};
  for (uint32_t i = 1; i < r->nnodes; i++) {
    h.dst = i;
    int rc = wire_begin(&r->out, &h, r->cfg.max_frame);
    if (rc == 0) rc = wire_finish(&r->out);
    if (rc == 0) rc = r->be->ops->send(r->be->ctx, i, r->out.data, r->out.len);
    if (rc) return rc;
  }
  r->collecting = 0;
  r->released = b;
  return 0;
}

int rep_on_message(rep_state *r, const wire_msg *m) {
  uint32_t b = m->hdr.clock;
  if (m->hdr.src >= r->nnodes || b == 0) return ST_EPEER;
  if (m->hdr.type == WIRE_REPORT) {
    if (r->node != 0 || m->hdr.src == 0) return ST_EPEER;
    return rep_take(r, m->hdr.src, b, m);
  }
  if (m->hdr.type == WIRE_RELEASE) {
    if (m->hdr.src != 0 || r->node == 0 || m->nrows) return ST_EPEER;
    if (b <= r->released || b > r->arrived_at) return ST_ESTATE;
    r->released = b;
    return 0;
  }
  return ST_ETYPE;
}

uint32_t rep_released(const rep_state *r) { return r->released; }

rep_clock rep_record(const rep_state *r, uint32_t c) {
  rep_clock z = {0};
  return r->node == 0 && c < r->rows ? r->rec[c] : z;
}

const float *rep_row(const rep_state *r, uint32_t c) {
  if (r->node != 0 || c >= r->rows || !r->have[c]) return NULL;
  return &r->vals[(size_t)c * r->width];
}
