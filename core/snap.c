#include "snap.h"

#include <string.h>

#include "vec.h"

void snap_buf_free(snap_buf *b) {
  st_free(b->data);
  *b = (snap_buf){0};
}

static void snap_put(snap_buf *b, const uint8_t *p, size_t n) {
  if (b->err) return;
  if (vec_reserve(&b->data, &b->cap, b->len + n, 1)) {
    b->err = ST_ENOMEM;
    return;
  }
  memcpy(b->data + b->len, p, n);
  b->len += n;
}

void snap_u8(snap_buf *b, uint8_t v) { snap_put(b, &v, 1); }

void snap_u32(snap_buf *b, uint32_t v) {
  uint8_t p[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  snap_put(b, p, 4);
}

void snap_u64(snap_buf *b, uint64_t v) {
  snap_u32(b, (uint32_t)v);
  snap_u32(b, (uint32_t)(v >> 32));
}

void snap_f32s(snap_buf *b, const float *v, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint32_t bits;
    memcpy(&bits, &v[i], 4);
    snap_u32(b, bits);
  }
}

void snap_rd_init(snap_rd *r, const uint8_t *p, size_t len) {
  r->p = p;
  r->end = p + len;
  r->err = 0;
}

static const uint8_t *snap_take(snap_rd *r, size_t n) {
  if (r->err || (size_t)(r->end - r->p) < n) {
    r->err = ST_EFRAME;
    return NULL;
  }
  const uint8_t *q = r->p;
  r->p += n;
  return q;
}

uint8_t snap_get_u8(snap_rd *r) {
  const uint8_t *q = snap_take(r, 1);
  return q ? q[0] : 0;
}

uint32_t snap_get_u32(snap_rd *r) {
  const uint8_t *q = snap_take(r, 4);
  return q ? (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24 : 0;
}

uint64_t snap_get_u64(snap_rd *r) {
  uint64_t lo = snap_get_u32(r);
  return lo | (uint64_t)snap_get_u32(r) << 32;
}

void snap_get_f32s(snap_rd *r, float *out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint32_t bits = snap_get_u32(r);
    memcpy(&out[i], &bits, 4);
  }
}

int snap_has(const snap_rd *r, size_t n, size_t size) {
  return !r->err && (size == 0 || n <= (size_t)(r->end - r->p) / size);
}

int snap_rd_done(const snap_rd *r) { return !r->err && r->p == r->end ? 0 : ST_EFRAME; }
