/* wire.c: encoder and validating decoder of the frame format in wire.h.
 * Every multi-byte field is read and written one byte at a time in
 * little-endian order, so the format is independent of host endianness and
 * alignment, and no struct is ever cast over untrusted bytes. */
#include "wire.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(float) == 4, "wire format carries IEEE-754 binary32 values");

/* Fixed sizes of the format (see wire.h). */
enum {
  ROW_HEAD = 9,   /* u32 table, u32 row, u8 kind */
  ROW_COUNT = 4,  /* u32 n of a dense or sparse row */
  ROW_VER = 4,    /* u32 version of a DENSE_V row */
  DENSE_ENT = 4,  /* f32 */
  SPARSE_ENT = 8, /* u32 column, f32 value */
  OFF_PAYLOAD_LEN = 28,
  OFF_NROWS = WIRE_HEADER_SIZE,
  MIN_FRAME = WIRE_HEADER_SIZE + 4 /* header + row count */
};

static uint32_t get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
         ((uint32_t)p[3] << 24);
}

static uint16_t get_u16(const uint8_t *p) {
  return (uint16_t)(p[0] | (p[1] << 8));
}

static void put_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static void put_u16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

static float get_f32(const uint8_t *p) {
  uint32_t bits = get_u32(p);
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

static void put_f32(uint8_t *p, float f) {
  uint32_t bits;
  memcpy(&bits, &f, sizeof bits);
  put_u32(p, bits);
}

/* On little-endian hosts a dense run of floats is already in wire order,
 * so it moves with one memcpy instead of byte by byte. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define WIRE_HOST_LE 1
#else
#define WIRE_HOST_LE 0
#endif

static size_t frame_cap(size_t max_frame) {
  return max_frame ? max_frame : WIRE_MAX_FRAME;
}

/* Header checks shared by wire_peek_header and wire_decode. */
static int parse_header(const uint8_t *buf, size_t len, size_t max_frame, wire_header *h) {
  if (buf == NULL || len < WIRE_HEADER_SIZE) return ST_EFRAME;
  if (get_u32(buf) != WIRE_MAGIC) return ST_EMAGIC;
  h->version = buf[4];
  h->type = buf[5];
  h->flags = get_u16(buf + 6);
  h->src = get_u32(buf + 8);
  h->dst = get_u32(buf + 12);
  h->clock = get_u32(buf + 16);
  h->seq = get_u32(buf + 20);
  h->ack = get_u32(buf + 24);
  h->payload_len = get_u32(buf + OFF_PAYLOAD_LEN);
  if (h->version != WIRE_VERSION) return ST_EVERSION;
  if (!wire_type_valid(h->type)) return ST_ETYPE;
  /* 64-bit sum: payload_len is at most 2^32-1, so this cannot wrap. */
  if ((uint64_t)h->payload_len + WIRE_HEADER_SIZE > (uint64_t)frame_cap(max_frame))
    return ST_ETOOBIG;
  return 0;
}

/* Parses one row record from p[0..end) into *row. Returns the record's size,
 * or 0 when the record is malformed or does not fit. Shared by the decoder's
 * validation walk and the iterator, so both agree on the format. */
static size_t parse_row(const uint8_t *p, const uint8_t *end, wire_row *row) {
  size_t avail = (size_t)(end - p);
  if (avail < ROW_HEAD) return 0;
  row->table = get_u32(p);
  row->row = get_u32(p + 4);
  row->kind = p[8];
  row->versioned = 0;
  row->ver = 0;
  if (row->kind == WIRE_ROW_ID) {
    row->n = 0;
    row->data = p + ROW_HEAD;
    return ROW_HEAD;
  }
  size_t head = ROW_HEAD;
  if (row->kind == WIRE_ROW_DENSE_V) {
    if (avail - head < ROW_VER) return 0;
    row->versioned = 1;
    row->ver = get_u32(p + head);
    row->kind = WIRE_ROW_DENSE;
    head += ROW_VER;
  }
  if (row->kind != WIRE_ROW_DENSE && row->kind != WIRE_ROW_SPARSE) return 0;
  if (avail - head < ROW_COUNT) return 0;
  row->n = get_u32(p + head);
  row->data = p + head + ROW_COUNT;
  size_t ent = row->kind == WIRE_ROW_DENSE ? DENSE_ENT : SPARSE_ENT;
  size_t rest = avail - head - ROW_COUNT;
  /* Divide instead of multiplying: n * ent may overflow size_t on 32-bit hosts. */
  if (row->n > rest / ent) return 0;
  return head + ROW_COUNT + (size_t)row->n * ent;
}

int wire_peek_header(const uint8_t *buf, size_t len, size_t max_frame, wire_header *out) {
  wire_header h;
  int rc = parse_header(buf, len, max_frame, &h);
  if (rc) return rc;
  if (out) *out = h;
  return 0;
}

int wire_decode(const uint8_t *buf, size_t len, size_t max_frame, wire_msg *out) {
  wire_header h;
  int rc = parse_header(buf, len, max_frame, &h);
  if (rc) return rc;
  if (len > frame_cap(max_frame)) return ST_ETOOBIG;
  if ((uint64_t)h.payload_len != (uint64_t)(len - WIRE_HEADER_SIZE)) return ST_EFRAME;
  if (len < MIN_FRAME) return ST_EFRAME;
  uint32_t nrows = get_u32(buf + OFF_NROWS);
  const uint8_t *p = buf + MIN_FRAME, *end = buf + len;
  for (uint32_t i = 0; i < nrows; i++) {
    wire_row row;
    size_t sz = parse_row(p, end, &row);
    if (sz == 0) return ST_EFRAME;
    p += sz;
  }
  if (p != end) return ST_EFRAME; /* trailing bytes or too few rows claimed */
  if (out) {
    out->hdr = h;
    out->nrows = nrows;
    out->rows = buf + MIN_FRAME;
    out->rows_len = len - MIN_FRAME;
  }
  return 0;
}

void wire_iter_init(wire_iter *it, const wire_msg *msg) {
  it->p = msg->rows;
  it->end = msg->rows + msg->rows_len;
  it->left = msg->nrows;
}

int wire_next(wire_iter *it, wire_row *row) {
  if (it->left == 0) return 0;
  /* Re-checked although wire_decode validated: costs little and keeps a
   * hand-built wire_msg from reading out of bounds. */
  size_t sz = parse_row(it->p, it->end, row);
  if (sz == 0) {
    it->left = 0;
    return 0;
  }
  it->p += sz;
  it->left--;
  return 1;
}

void wire_row_value(const wire_row *row, uint32_t i, uint32_t *col, float *val) {
  if (row->kind == WIRE_ROW_DENSE && i < row->n) {
    *col = i;
    *val = get_f32(row->data + (size_t)i * DENSE_ENT);
  } else if (row->kind == WIRE_ROW_SPARSE && i < row->n) {
    *col = get_u32(row->data + (size_t)i * SPARSE_ENT);
    *val = get_f32(row->data + (size_t)i * SPARSE_ENT + 4);
  } else { /* id row or i out of range: no entry */
    *col = i;
    *val = 0.0f;
  }
}

int wire_row_add_into(const wire_row *row, float *dst, uint32_t width) {
  if (row->kind == WIRE_ROW_DENSE) {
    if (row->n != width) return ST_ERANGE;
    if (WIRE_HOST_LE) {
      for (uint32_t i = 0; i < width; i++) {
        float f;
        memcpy(&f, row->data + (size_t)i * DENSE_ENT, sizeof f);
        dst[i] += f;
      }
    } else {
      for (uint32_t i = 0; i < width; i++) dst[i] += get_f32(row->data + (size_t)i * DENSE_ENT);
    }
    return 0;
  }
  if (row->kind != WIRE_ROW_SPARSE) return ST_EINVAL; /* id rows carry no values */
  /* Check every column before touching dst, so an error leaves it intact. */
  for (uint32_t i = 0; i < row->n; i++)
    if (get_u32(row->data + (size_t)i * SPARSE_ENT) >= width) return ST_ERANGE;
  for (uint32_t i = 0; i < row->n; i++) {
    const uint8_t *e = row->data + (size_t)i * SPARSE_ENT;
    dst[get_u32(e)] += get_f32(e + 4);
  }
  return 0;
}

/* Makes room for extra more bytes, keeping the frame within b->max_frame.
 * On failure b is unchanged. */
static int reserve(wire_buf *b, uint64_t extra) {
  if (b->len < MIN_FRAME) return ST_ESTATE; /* wire_begin not called */
  if (extra > (uint64_t)b->max_frame - b->len) return ST_ETOOBIG;
  size_t need = b->len + (size_t)extra;
  if (need <= b->cap) return 0;
  /* Geometric growth keeps appends amortized O(1); never beyond the cap. */
  size_t cap = b->cap < 256 ? 256 : b->cap;
  while (cap < need) cap = cap > b->max_frame / 2 ? b->max_frame : cap * 2;
  if (cap > b->max_frame) cap = b->max_frame;
  uint8_t *d = st_realloc(b->data, cap);
  if (d == NULL) return ST_ENOMEM;
  b->data = d;
  b->cap = cap;
  return 0;
}

int wire_begin(wire_buf *b, const wire_header *hdr, size_t max_frame) {
  if (!wire_type_valid(hdr->type)) return ST_ETYPE;
  size_t cap = frame_cap(max_frame);
  if (cap < MIN_FRAME) return ST_ETOOBIG;
  /* payload_len is a u32: a larger cap could not be described in the header. */
  if ((uint64_t)cap - WIRE_HEADER_SIZE > UINT32_MAX) cap = (size_t)((uint64_t)UINT32_MAX + WIRE_HEADER_SIZE);
  if (b->cap < MIN_FRAME) {
    uint8_t *d = st_realloc(b->data, 256 < cap ? 256 : cap);
    if (d == NULL) return ST_ENOMEM;
    b->data = d;
    b->cap = 256 < cap ? 256 : cap;
  }
  b->max_frame = cap;
  uint8_t *p = b->data;
  put_u32(p, WIRE_MAGIC);
  p[4] = WIRE_VERSION; /* always the version this code speaks */
  p[5] = hdr->type;
  put_u16(p + 6, hdr->flags);
  put_u32(p + 8, hdr->src);
  put_u32(p + 12, hdr->dst);
  put_u32(p + 16, hdr->clock);
  put_u32(p + 20, hdr->seq);
  put_u32(p + 24, hdr->ack);
  put_u32(p + OFF_PAYLOAD_LEN, 4);
  put_u32(p + OFF_NROWS, 0);
  b->len = MIN_FRAME;
  b->nrows = 0;
  return 0;
}

static uint8_t *put_row_head(uint8_t *p, uint32_t table, uint32_t row, uint8_t kind) {
  put_u32(p, table);
  put_u32(p + 4, row);
  p[8] = kind;
  return p + ROW_HEAD;
}

/* Reserves a record of size bytes for one more row; ST_ETOOBIG also when
 * the u32 row count would wrap. */
static int reserve_row(wire_buf *b, uint64_t size) {
  if (b->nrows == UINT32_MAX) return ST_ETOOBIG;
  return reserve(b, size);
}

int wire_add_id(wire_buf *b, uint32_t table, uint32_t row) {
  int rc = reserve_row(b, ROW_HEAD);
  if (rc) return rc;
  put_row_head(b->data + b->len, table, row, WIRE_ROW_ID);
  b->len += ROW_HEAD;
  b->nrows++;
  return 0;
}

/* Appends a dense row, with a version when versioned (kind DENSE_V). */
static int add_dense(wire_buf *b, uint32_t table, uint32_t row, int versioned, uint32_t ver,
                     const float *v, uint32_t width) {
  uint64_t size = ROW_HEAD + (versioned ? ROW_VER : 0) + ROW_COUNT + (uint64_t)width * DENSE_ENT;
  int rc = reserve_row(b, size);
  if (rc) return rc;
  uint8_t *p = put_row_head(b->data + b->len, table, row, versioned ? WIRE_ROW_DENSE_V : WIRE_ROW_DENSE);
  if (versioned) {
    put_u32(p, ver);
    p += ROW_VER;
  }
  put_u32(p, width);
  p += ROW_COUNT;
  if (!WIRE_HOST_LE)
    for (uint32_t i = 0; i < width; i++, p += DENSE_ENT) put_f32(p, v[i]);
  else if (width) /* an empty row may come with v == NULL */
    memcpy(p, v, (size_t)width * DENSE_ENT);
  b->len += (size_t)size;
  b->nrows++;
  return 0;
}

int wire_add_dense(wire_buf *b, uint32_t table, uint32_t row, const float *v, uint32_t width) {
  return add_dense(b, table, row, 0, 0, v, width);
}

int wire_add_dense_ver(wire_buf *b, uint32_t table, uint32_t row, uint32_t ver, const float *v,
                       uint32_t width) {
  return add_dense(b, table, row, 1, ver, v, width);
}

int wire_add_sparse(wire_buf *b, uint32_t table, uint32_t row, const float *v, uint32_t width) {
  uint32_t nnz = 0;
  for (uint32_t i = 0; i < width; i++) nnz += v[i] != 0.0f;
  uint64_t size = ROW_HEAD + ROW_COUNT + (uint64_t)nnz * SPARSE_ENT;
  int rc = reserve_row(b, size);
  if (rc) return rc;
  uint8_t *p = put_row_head(b->data + b->len, table, row, WIRE_ROW_SPARSE);
  put_u32(p, nnz);
  p += ROW_COUNT;
  for (uint32_t i = 0; i < width; i++) {
    if (v[i] == 0.0f) continue;
    put_u32(p, i);
    put_f32(p + 4, v[i]);
    p += SPARSE_ENT;
  }
  b->len += (size_t)size;
  b->nrows++;
  return 0;
}

int wire_add_pairs(wire_buf *b, uint32_t table, uint32_t row, const uint32_t *cols,
                   const float *vals, uint32_t n) {
  uint64_t size = ROW_HEAD + ROW_COUNT + (uint64_t)n * SPARSE_ENT;
  int rc = reserve_row(b, size);
  if (rc) return rc;
  uint8_t *p = put_row_head(b->data + b->len, table, row, WIRE_ROW_SPARSE);
  put_u32(p, n);
  p += ROW_COUNT;
  for (uint32_t i = 0; i < n; i++, p += SPARSE_ENT) {
    put_u32(p, cols[i]);
    put_f32(p + 4, vals[i]);
  }
  b->len += (size_t)size;
  b->nrows++;
  return 0;
}

int wire_finish(wire_buf *b) {
  if (b->data == NULL || b->len < MIN_FRAME) return ST_ESTATE;
  /* Cannot fail: wire_begin caps max_frame so that payload_len fits a u32. */
  put_u32(b->data + OFF_PAYLOAD_LEN, (uint32_t)(b->len - WIRE_HEADER_SIZE));
  put_u32(b->data + OFF_NROWS, b->nrows);
  return 0;
}

int wire_set_flags(wire_buf *b, uint16_t flags) {
  if (b->data == NULL || b->len < MIN_FRAME) return ST_ESTATE;
  put_u16(b->data + 6, flags);
  return 0;
}

void wire_buf_free(wire_buf *b) {
  st_free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
  b->nrows = 0;
  b->max_frame = 0;
}
