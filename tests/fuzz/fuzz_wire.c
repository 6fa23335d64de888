/* fuzz_wire.c: the wire decoder on untrusted bytes. Checks that decoding
 * never reads outside the input, that the header reader agrees with the
 * decoder, that iteration yields exactly the rows counted, that every entry
 * can be read and added (a versioned dense row keeping its version), and that re-encoding a decoded frame gives back
 * the same bytes (for rows the encoder can express: sparse rows with
 * ascending columns and no zero values) or at least a frame that decodes to
 * the same rows. */
#include <math.h>

#include "fuzz.h"
#include "wire.h"

/* Columns of a sparse row that the re-encoder expresses through a dense
 * vector; wider rows are only checked for decoding. */
#define FUZZ_WIDE (1u << 16)

/* Whether wire_add_sparse would write exactly this row back. */
static int sparse_canonical(const wire_row *r, uint32_t *width) {
  uint32_t prev = 0;
  for (uint32_t i = 0; i < r->n; i++) {
    uint32_t col;
    float v;
    wire_row_value(r, i, &col, &v);
    if ((i > 0 && col <= prev) || col >= FUZZ_WIDE || v == 0.0f) return 0;
    prev = col;
  }
  *width = r->n ? prev + 1 : 0;
  return 1;
}

/* Re-encodes one row into b; 1 if it was expressible exactly. */
static int reencode_row(wire_buf *b, const wire_row *r) {
  uint32_t width = r->n;
  if (r->kind == WIRE_ROW_ID) {
    FUZZ_CHECK(wire_add_id(b, r->table, r->row) == 0);
    return 1;
  }
  int exact = r->kind == WIRE_ROW_DENSE || sparse_canonical(r, &width);
  if (!exact) {
    /* Still exercise the adder: a width below every column is refused
     * and leaves dst untouched. */
    float one = 7.0f;
    int rc = wire_row_add_into(r, &one, 1);
    FUZZ_CHECK(rc == 0 || rc == ST_ERANGE);
    if (rc == ST_ERANGE) FUZZ_CHECK(one == 7.0f);
    FUZZ_CHECK(wire_add_id(b, r->table, r->row) == 0); /* keeps the row count */
    return 0;
  }
  float *v = calloc(width ? width : 1, sizeof *v);
  float *sum = calloc(width ? width : 1, sizeof *sum);
  FUZZ_CHECK(v != NULL && sum != NULL);
  FUZZ_CHECK(wire_row_add_into(r, sum, width) == 0);
  /* Values are copied bit for bit (adding into zeros would turn -0.0 into
   * +0.0 and quiet a signalling NaN); the sum must agree where defined. */
  for (uint32_t i = 0; i < r->n; i++) {
    uint32_t col;
    float x;
    wire_row_value(r, i, &col, &x);
    FUZZ_CHECK(col < width);
    if (r->kind == WIRE_ROW_DENSE) FUZZ_CHECK(col == i);
    v[col] = x;
    if (!isnan(x)) FUZZ_CHECK(sum[col] == x);
  }
  if (r->kind == WIRE_ROW_DENSE && r->versioned)
    FUZZ_CHECK(wire_add_dense_ver(b, r->table, r->row, r->ver, v, width) == 0);
  else if (r->kind == WIRE_ROW_DENSE)
    FUZZ_CHECK(wire_add_dense(b, r->table, r->row, v, width) == 0);
  else
    FUZZ_CHECK(wire_add_sparse(b, r->table, r->row, v, width) == 0);
  free(sum);
  free(v);
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  wire_header h;
  int prc = wire_peek_header(data, size, 0, &h);
  wire_msg m;
  int rc = wire_decode(data, size, 0, &m);
  FUZZ_CHECK(rc == 0 || rc == ST_EFRAME || rc == ST_EMAGIC || rc == ST_EVERSION ||
             rc == ST_ETOOBIG || rc == ST_ETYPE);
  /* A cap below the frame's size refuses it. */
  if (size > WIRE_HEADER_SIZE) {
    wire_msg small;
    int src = wire_decode(data, size, size - 1, &small);
    FUZZ_CHECK(src != 0);
  }
  if (rc != 0) return 0;
  FUZZ_CHECK(prc == 0);
  FUZZ_CHECK(memcmp(&h, &m.hdr, sizeof h) == 0);
  FUZZ_CHECK(m.hdr.payload_len + (size_t)WIRE_HEADER_SIZE == size);

  wire_buf b = {0};
  FUZZ_CHECK(wire_begin(&b, &m.hdr, 0) == 0);
  wire_iter it;
  wire_row r;
  wire_iter_init(&it, &m);
  uint32_t count = 0;
  int exact = 1;
  while (wire_next(&it, &r)) {
    count++;
    FUZZ_CHECK(r.kind == WIRE_ROW_ID || r.kind == WIRE_ROW_DENSE || r.kind == WIRE_ROW_SPARSE);
    FUZZ_CHECK(r.versioned ? r.kind == WIRE_ROW_DENSE : r.ver == 0); /* DENSE_V reads as DENSE */
    FUZZ_CHECK(r.data >= data && r.data <= data + size);
    exact &= reencode_row(&b, &r);
  }
  FUZZ_CHECK(count == m.nrows);
  FUZZ_CHECK(wire_set_flags(&b, m.hdr.flags) == 0);
  FUZZ_CHECK(wire_finish(&b) == 0);
  wire_msg back;
  FUZZ_CHECK(wire_decode(b.data, b.len, 0, &back) == 0);
  FUZZ_CHECK(memcmp(&back.hdr.type, &m.hdr.type, 1) == 0);
  FUZZ_CHECK(back.hdr.flags == m.hdr.flags && back.hdr.src == m.hdr.src &&
             back.hdr.dst == m.hdr.dst && back.hdr.clock == m.hdr.clock &&
             back.hdr.seq == m.hdr.seq && back.hdr.ack == m.hdr.ack);
  FUZZ_CHECK(back.nrows == m.nrows);
  if (exact) {
    FUZZ_CHECK(b.len == size);
    FUZZ_CHECK(memcmp(b.data, data, size) == 0);
  }
  wire_buf_free(&b);
  return 0;
}
