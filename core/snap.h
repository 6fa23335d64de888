/* snap.h: the bytes of a role's saved state (a checkpoint's client cache or
 * shard push state): a growable little-endian writer and a bounds-checked
 * reader. Both keep the first error and make later calls no-ops, so a
 * save or a load is a straight sequence of calls checked once at the end.
 * No I/O: the caller decides where the bytes go. */
#ifndef SNAP_H
#define SNAP_H

#include "st.h"

/* Owns data (free with snap_buf_free). Zero-initialize before use. */
typedef struct snap_buf {
  uint8_t *data;
  size_t len, cap;
  int err; /* 0, or ST_ENOMEM once growing failed */
} snap_buf;

void snap_buf_free(snap_buf *b);
void snap_u8(snap_buf *b, uint8_t v);
void snap_u32(snap_buf *b, uint32_t v);
void snap_u64(snap_buf *b, uint64_t v);
/* v[0..n) as IEEE-754 bits (borrowed v): a value comes back bit for bit. */
void snap_f32s(snap_buf *b, const float *v, size_t n);

/* Reads p[0..len) (borrowed for the reader's life). */
typedef struct snap_rd {
  const uint8_t *p, *end;
  int err; /* 0, or ST_EFRAME once a read ran past the end */
} snap_rd;

void snap_rd_init(snap_rd *r, const uint8_t *p, size_t len);
/* Past the end: 0 (and the reader's error is set). */
uint8_t snap_get_u8(snap_rd *r);
uint32_t snap_get_u32(snap_rd *r);
uint64_t snap_get_u64(snap_rd *r);
/* Fills out[0..n) (borrowed); past the end: zeros. */
void snap_get_f32s(snap_rd *r, float *out, size_t n);
/* Whether n more items of size bytes each can be there: a count read
 * from the bytes is checked with it before anything is allocated for it. */
int snap_has(const snap_rd *r, size_t n, size_t size);
/* 0 if every byte was read without error, else ST_EFRAME. */
int snap_rd_done(const snap_rd *r);

#endif
