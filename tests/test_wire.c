/* test_wire.c: the frame encoder and the validating decoder (core/wire.c).
 * Valid frames must round-trip exactly; every malformed frame must be refused
 * with the right code; random and mutated bytes must never make the decoder
 * or the row iterator read outside the buffer (run under ASan to prove it:
 * every candidate buffer is a separate exact-size allocation). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

/* ---- helpers ---------------------------------------------------------- */

/* Check's ck_assert records a checkpoint on every call, which dominates the
 * random loops; HOT_ASSERT only calls into Check when the condition fails. */
#define HOT_ASSERT(c)                                   \
  do {                                                  \
    if (!(c)) ck_assert_msg(0, "assertion failed: %s", #c); \
  } while (0)

static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void wr32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* xorshift64*: fixed seed, so every run tests the same buffers. */
static uint64_t rng_state;
static uint64_t rng(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545F4914F6CDD1Dull;
}
static uint32_t rng_below(uint32_t n) { return (uint32_t)(rng() % n); }

static wire_header make_hdr(uint8_t type) {
  wire_header h = {.version = WIRE_VERSION,
                   .type = type,
                   .flags = 0x1234,
                   .src = 7,
                   .dst = 0xA0B0C0D0u,
                   .clock = 41,
                   .seq = 99,
                   .ack = 0xFFFFFFFEu,
                   .payload_len = 12345 /* ignored by the encoder */};
  return h;
}

/* The base frame of the rejection table. Layout (offsets used by the table):
 *   0 header (28: payload_len), 32 nrows = 3,
 *   36 id row (table 1, row 2, kind at 44),
 *   45 dense row (table 3, row 4, kind at 53, width at 54 = 3, values 58..70),
 *   70 sparse row (table 5, row 6, kind at 78, nnz at 79 = 2, entries 83..99). */
enum { BASE_LEN = 99, OFF_PLEN = 28, OFF_NROWS = 32, OFF_KIND0 = 44, OFF_WIDTH = 54, OFF_NNZ = 79 };

static void build_base(wire_buf *b) {
  const float dense[3] = {1.5f, -2.0f, 3.25f};
  const float sparse[5] = {0.0f, 4.0f, 0.0f, 0.0f, -8.5f};
  wire_header h = make_hdr(WIRE_UPDATE);
  ck_assert_int_eq(wire_begin(b, &h, 0), 0);
  ck_assert_int_eq(wire_add_id(b, 1, 2), 0);
  ck_assert_int_eq(wire_add_dense(b, 3, 4, dense, 3), 0);
  ck_assert_int_eq(wire_add_sparse(b, 5, 6, sparse, 5), 0);
  ck_assert_int_eq(wire_finish(b), 0);
  ck_assert_uint_eq(b->len, BASE_LEN);
}

/* Decodes a copy of buf in an exact-size allocation (so ASan sees any
 * overread) and, on success, walks every row checking it lies inside the
 * buffer. Returns the decode result. */
static int decode_and_walk(const uint8_t *src, size_t len, size_t max_frame) {
  uint8_t *buf = calloc(len ? len : 1, 1);
  HOT_ASSERT(buf != NULL);
  if (len) memcpy(buf, src, len);
  wire_msg m;
  int rc = wire_decode(buf, len, max_frame, &m);
  if (rc == 0) {
    HOT_ASSERT(m.hdr.payload_len == len - WIRE_HEADER_SIZE);
    HOT_ASSERT(wire_type_valid(m.hdr.type));
    wire_iter it;
    wire_row row;
    uint32_t seen = 0;
    float dst[16];
    wire_iter_init(&it, &m);
    while (wire_next(&it, &row)) {
      size_t ent = row.kind == WIRE_ROW_DENSE ? 4 : row.kind == WIRE_ROW_SPARSE ? 8 : 0;
      HOT_ASSERT(row.kind <= WIRE_ROW_SPARSE);
      HOT_ASSERT(row.data >= buf && row.data <= buf + len);
      HOT_ASSERT((size_t)(buf + len - row.data) >= (size_t)row.n * ent);
      for (uint32_t i = 0; i < row.n; i++) {
        uint32_t col;
        float val;
        wire_row_value(&row, i, &col, &val);
        if (row.kind == WIRE_ROW_DENSE) HOT_ASSERT(col == i);
      }
      memset(dst, 0, sizeof dst);
      int a = wire_row_add_into(&row, dst, 16);
      HOT_ASSERT(a == 0 || a == ST_ERANGE || (a == ST_EINVAL && row.kind == WIRE_ROW_ID));
      seen++;
    }
    HOT_ASSERT(seen == m.nrows);
  } else {
    HOT_ASSERT(rc == ST_EFRAME || rc == ST_EMAGIC || rc == ST_EVERSION || rc == ST_ETOOBIG ||
              rc == ST_ETYPE);
  }
  free(buf);
  return rc;
}

/* ---- round trip -------------------------------------------------------- */

START_TEST(test_roundtrip_every_type) {
  const float dense[4] = {1.0f, -0.5f, 0.0f, 1e30f};
  const float sparse[6] = {0.0f, 0.0f, 7.0f, 0.0f, -1e-20f, 0.0f};
  wire_buf b = {0};
  for (uint8_t type = 1; type <= WIRE_TYPE_MAX; type++) {
    if (!wire_type_valid(type)) continue; /* reserved: covered by the refusals */
    wire_header h = make_hdr(type);
    h.flags = (uint16_t)(type == WIRE_ROWS ? WIRE_F_PUSH : 0);
    ck_assert_int_eq(wire_begin(&b, &h, 0), 0);
    ck_assert_int_eq(wire_add_id(&b, 10, 20), 0);
    ck_assert_int_eq(wire_add_dense(&b, 11, 21, dense, 4), 0);
    ck_assert_int_eq(wire_add_sparse(&b, 12, 22, sparse, 6), 0);
    ck_assert_int_eq(wire_add_dense(&b, 13, 23, NULL, 0), 0); /* empty row */
    ck_assert_int_eq(wire_finish(&b), 0);

    wire_msg m;
    ck_assert_int_eq(wire_decode(b.data, b.len, 0, &m), 0);
    ck_assert_uint_eq(m.hdr.version, WIRE_VERSION);
    ck_assert_uint_eq(m.hdr.type, type);
    ck_assert_uint_eq(m.hdr.flags, h.flags);
    ck_assert_uint_eq(m.hdr.src, h.src);
    ck_assert_uint_eq(m.hdr.dst, h.dst);
    ck_assert_uint_eq(m.hdr.clock, h.clock);
    ck_assert_uint_eq(m.hdr.seq, h.seq);
    ck_assert_uint_eq(m.hdr.ack, h.ack);
    ck_assert_uint_eq(m.hdr.payload_len, b.len - WIRE_HEADER_SIZE);
    ck_assert_uint_eq(m.nrows, 4);

    wire_header ph;
    ck_assert_int_eq(wire_peek_header(b.data, WIRE_HEADER_SIZE, 0, &ph), 0);
    ck_assert_uint_eq(ph.payload_len, m.hdr.payload_len);
    ck_assert_uint_eq(ph.seq, h.seq);

    wire_iter it;
    wire_row r;
    uint32_t col;
    float val;
    wire_iter_init(&it, &m);
    ck_assert_int_eq(wire_next(&it, &r), 1);
    ck_assert_uint_eq(r.table, 10);
    ck_assert_uint_eq(r.row, 20);
    ck_assert_uint_eq(r.kind, WIRE_ROW_ID);
    ck_assert_uint_eq(r.n, 0);

    ck_assert_int_eq(wire_next(&it, &r), 1);
    ck_assert_uint_eq(r.table, 11);
    ck_assert_uint_eq(r.row, 21);
    ck_assert_uint_eq(r.kind, WIRE_ROW_DENSE);
    ck_assert_uint_eq(r.n, 4);
    for (uint32_t i = 0; i < 4; i++) {
      wire_row_value(&r, i, &col, &val);
      ck_assert_uint_eq(col, i);
      ck_assert(memcmp(&val, &dense[i], sizeof val) == 0); /* bit-exact */
    }

    ck_assert_int_eq(wire_next(&it, &r), 1);
    ck_assert_uint_eq(r.table, 12);
    ck_assert_uint_eq(r.row, 22);
    ck_assert_uint_eq(r.kind, WIRE_ROW_SPARSE);
    ck_assert_uint_eq(r.n, 2); /* only the non-zeros travel */
    wire_row_value(&r, 0, &col, &val);
    ck_assert_uint_eq(col, 2);
    ck_assert(val == 7.0f);
    wire_row_value(&r, 1, &col, &val);
    ck_assert_uint_eq(col, 4);
    ck_assert(val == -1e-20f);

    ck_assert_int_eq(wire_next(&it, &r), 1);
    ck_assert_uint_eq(r.table, 13);
    ck_assert_uint_eq(r.kind, WIRE_ROW_DENSE);
    ck_assert_uint_eq(r.n, 0);

    ck_assert_int_eq(wire_next(&it, &r), 0);
    ck_assert_int_eq(wire_next(&it, &r), 0); /* stays at the end */
  }
  wire_buf_free(&b);
  ck_assert_ptr_null(b.data);
}
END_TEST

/* The exact bytes, written out from the format in wire.h, so a change of
 * byte order or layout cannot pass unnoticed by a round trip alone. */
START_TEST(test_golden_bytes) {
  wire_header h = {.type = WIRE_CLOCK, .flags = 0x0201, .src = 0x04030201, .dst = 5,
                   .clock = 0x100, .seq = 6, .ack = 7};
  const float v[2] = {0.0f, 1.0f}; /* 1.0f = 0x3F800000 */
  const uint8_t want[] = {
      'S', 'T', 'A', 'L', 1, 2, 0x01, 0x02,            /* magic, version, type, flags */
      1, 2, 3, 4, 5, 0, 0, 0, 0, 1, 0, 0,              /* src, dst, clock */
      6, 0, 0, 0, 7, 0, 0, 0, 25, 0, 0, 0,             /* seq, ack, payload_len */
      1, 0, 0, 0,                                      /* nrows */
      9, 0, 0, 0, 0x10, 0, 0, 0, 2,                    /* table 9, row 16, sparse */
      1, 0, 0, 0, 1, 0, 0, 0, 0x00, 0x00, 0x80, 0x3F}; /* nnz 1: (1, 1.0f) */
  wire_buf b = {0};
  ck_assert_int_eq(wire_begin(&b, &h, 0), 0);
  ck_assert_int_eq(wire_add_sparse(&b, 9, 16, v, 2), 0);
  ck_assert_int_eq(wire_finish(&b), 0);
  ck_assert_uint_eq(b.len, sizeof want);
  ck_assert(memcmp(b.data, want, sizeof want) == 0);
  wire_buf_free(&b);
}
END_TEST

/* ---- rejection table --------------------------------------------------- */

enum op { DECODE, PEEK };
struct patch {
  int off;      /* -1 ends the list */
  int size;     /* 1 or 4 bytes */
  uint32_t val; /* little-endian */
};
struct reject_case {
  const char *name;
  struct patch patches[3];
  int append;       /* bytes of 0xEE appended */
  int fix_plen;     /* rewrite payload_len to match the new length */
  size_t len_cut;   /* if non-zero, pass only this many bytes */
  size_t max_frame; /* 0: default */
  enum op op;
  int want;
};
#define P(o, s, v) {o, s, v}
#define END {-1, 0, 0}

static const struct reject_case reject_cases[] = {
    {"valid base (control)", {END}, 0, 0, 0, 0, DECODE, 0},
    {"valid base at exact limit", {END}, 0, 0, 0, BASE_LEN, DECODE, 0},
    {"peek valid at exact limit", {END}, 0, 0, 0, BASE_LEN, PEEK, 0},
    {"wrong magic", {P(0, 4, 0x4C415454u), END}, 0, 0, 0, 0, DECODE, ST_EMAGIC},
    {"byte-swapped magic", {P(0, 4, 0x5354414Cu), END}, 0, 0, 0, 0, DECODE, ST_EMAGIC},
    {"peek wrong magic", {P(3, 1, 0), END}, 0, 0, 0, 0, PEEK, ST_EMAGIC},
    {"version 0", {P(4, 1, 0), END}, 0, 0, 0, 0, DECODE, ST_EVERSION},
    {"version 2", {P(4, 1, 2), END}, 0, 0, 0, 0, DECODE, ST_EVERSION},
    {"peek version 255", {P(4, 1, 255), END}, 0, 0, 0, 0, PEEK, ST_EVERSION},
    {"type 0", {P(5, 1, 0), END}, 0, 0, 0, 0, DECODE, ST_ETYPE},
    {"type 9", {P(5, 1, 9), END}, 0, 0, 0, 0, DECODE, ST_ETYPE},
    {"type 5 (scheduler task)", {P(5, 1, 5), END}, 0, 0, 0, 0, DECODE, 0},
    {"type 6 (scheduler result)", {P(5, 1, 6), END}, 0, 0, 0, 0, DECODE, 0},
    {"peek type 9", {P(5, 1, 9), END}, 0, 0, 0, 0, PEEK, ST_ETYPE},
    {"payload_len one too big", {P(OFF_PLEN, 4, BASE_LEN - 32 + 1), END}, 0, 0, 0, 0, DECODE, ST_EFRAME},
    {"payload_len one too small", {P(OFF_PLEN, 4, BASE_LEN - 32 - 1), END}, 0, 0, 0, 0, DECODE, ST_EFRAME},
    {"payload_len zero", {P(OFF_PLEN, 4, 0), END}, 0, 0, 0, 0, DECODE, ST_EFRAME},
    {"len over max_frame", {END}, 0, 0, 0, BASE_LEN - 1, DECODE, ST_ETOOBIG},
    {"len far over max_frame", {END}, 0, 0, 0, 40, DECODE, ST_ETOOBIG},
    {"payload_len huge, decode", {P(OFF_PLEN, 4, 0xFFFFFFFFu), END}, 0, 0, 0, 0, DECODE, ST_ETOOBIG},
    {"peek payload_len over limit", {END}, 0, 0, 0, BASE_LEN - 1, PEEK, ST_ETOOBIG},
    {"peek payload_len 0xFFFFFFFF", {P(OFF_PLEN, 4, 0xFFFFFFFFu), END}, 0, 0, 0, 0, PEEK, ST_ETOOBIG},
    {"peek payload_len just over default", {P(OFF_PLEN, 4, WIRE_MAX_FRAME - 31), END}, 0, 0, 0, 0, PEEK, ST_ETOOBIG},
    {"peek payload_len at default limit", {P(OFF_PLEN, 4, WIRE_MAX_FRAME - 32), END}, 0, 0, 0, 0, PEEK, 0},
    {"peek short buffer", {END}, 0, 0, 31, 0, PEEK, ST_EFRAME},
    {"dense width 0x40000000 (x4 wraps u32)", {P(OFF_WIDTH, 4, 0x40000000u), END}, 0, 0, 0, 0, DECODE, ST_EFRAME},
    {"dense width 0xFFFFFFFF", {P(OFF_WIDTH, 4, 0xFFFFFFFFu), END}, 0, 0, 0, 0, DECODE, ST_EFRAME},
    {"dense width 0x80000000", {P(OFF_WIDTH, 4, 0x80000000u), END}, 0, 0, 0, 0, DECODE, ST_EFRAME},
    {"dense width one too many", {P(OFF_WIDTH, 4, 4), END}, 0, 0, 0, 0, DECODE, ST_EFRAME},
    {"dense width one too few", {P(OFF_WIDTH, 4, 2), END}, 0, 0, 0, 0, DECODE, ST_EFRAME},
    {"sparse nnz 0x20000000 (x8 wraps u32)", {P(OFF_NNZ, 4, 0x20000000u), END}, 0, 0, 0, 0, DECODE, ST_EFRAME},
    {"sparse nnz 0xFFFFFFFF", {P(OFF_NNZ, 4, 0xFFFFFFFFu), END}, 0, 0, 0, 0, DECODE, ST_EFRAME},
    {"sparse nnz one too many", {P(OFF_NNZ, 4, 3), END}, 0, 0, 0, 0, DECODE, ST_EFRAME},
    {"sparse nnz one too few", {P(OFF_NNZ, 4, 1), END}, 0, 0, 0, 0, DECODE, ST_EFRAME},
    {"nrows too big by one", {P(OFF_NROWS, 4, 4), END}, 0, 0, 0, 0, DECODE, ST_EFRAME},
    {"nrows 0xFFFFFFFF", {P(OFF_NROWS, 4, 0xFFFFFFFFu), END}, 0, 0, 0, 0, DECODE, ST_EFRAME},
    {"nrows too small by one", {P(OFF_NROWS, 4, 2), END}, 0, 0, 0, 0, DECODE, ST_EFRAME},
    {"nrows zero", {P(OFF_NROWS, 4, 0), END}, 0, 0, 0, 0, DECODE, ST_EFRAME},
    {"trailing byte", {END}, 1, 1, 0, 0, DECODE, ST_EFRAME},
    {"trailing 9 bytes", {END}, 9, 1, 0, 0, DECODE, ST_EFRAME},
    {"trailing byte, stale payload_len", {END}, 1, 0, 0, 0, DECODE, ST_EFRAME},
    {"row kind 3", {P(OFF_KIND0, 1, 3), END}, 0, 0, 0, 0, DECODE, ST_EFRAME},
    {"row kind 255", {P(OFF_KIND0, 1, 255), END}, 0, 0, 0, 0, DECODE, ST_EFRAME},
    {"dense kind turned sparse", {P(53, 1, WIRE_ROW_SPARSE), END}, 0, 0, 0, 0, DECODE, ST_EFRAME},
    {"header only, no row count", {END}, 0, 1, 32, 0, DECODE, ST_EFRAME},
};

START_TEST(test_reject_table) {
  wire_buf b = {0};
  build_base(&b);
  for (size_t c = 0; c < sizeof reject_cases / sizeof reject_cases[0]; c++) {
    const struct reject_case *rc = &reject_cases[c];
    uint8_t buf[BASE_LEN + 16];
    size_t len = BASE_LEN;
    memcpy(buf, b.data, BASE_LEN);
    for (const struct patch *p = rc->patches; p->off >= 0; p++) {
      if (p->size == 1)
        buf[p->off] = (uint8_t)p->val;
      else
        wr32(buf + p->off, p->val);
    }
    memset(buf + len, 0xEE, (size_t)rc->append);
    len += (size_t)rc->append;
    if (rc->len_cut) len = rc->len_cut;
    if (rc->fix_plen) wr32(buf + OFF_PLEN, (uint32_t)(len - WIRE_HEADER_SIZE));
    int got;
    if (rc->op == PEEK) {
      wire_header h;
      got = wire_peek_header(buf, len, rc->max_frame, &h);
    } else {
      got = decode_and_walk(buf, len, rc->max_frame);
    }
    ck_assert_msg(got == rc->want, "case '%s': got %d (%s), want %d (%s)", rc->name, got,
                  st_strerror(got), rc->want, st_strerror(rc->want));
  }
  wire_buf_free(&b);
}
END_TEST

/* Every strict prefix of a valid frame is refused: once as cut off (the
 * header's length disagrees), once with payload_len rewritten to match, so
 * the row walk itself must notice the missing bytes. */
START_TEST(test_truncated_every_length) {
  wire_buf b = {0};
  build_base(&b);
  uint8_t buf[BASE_LEN];
  for (size_t n = 0; n < BASE_LEN; n++) {
    memcpy(buf, b.data, BASE_LEN);
    ck_assert_msg(decode_and_walk(buf, n, 0) == ST_EFRAME, "cut at %zu accepted", n);
    if (n >= WIRE_HEADER_SIZE) {
      wr32(buf + OFF_PLEN, (uint32_t)(n - WIRE_HEADER_SIZE));
      ck_assert_msg(decode_and_walk(buf, n, 0) == ST_EFRAME, "cut at %zu with fixed len accepted", n);
    }
  }
  ck_assert_int_eq(decode_and_walk(b.data, BASE_LEN, 0), 0);
  wire_buf_free(&b);
}
END_TEST

/* ---- random bytes and mutations --------------------------------------- */

START_TEST(test_random_buffers) {
  rng_state = 0x5EED0001ull;
  uint8_t buf[300];
  int accepted = 0;
  for (int iter = 0; iter < 100000; iter++) {
    size_t len = rng_below(sizeof buf + 1);
    for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)rng();
    /* Half of them get a plausible header and small counts, so the row walk
     * is reached instead of stopping at the magic. */
    if ((iter & 1) && len >= 36) {
      wr32(buf, WIRE_MAGIC);
      buf[4] = WIRE_VERSION;
      buf[5] = (uint8_t)(1 + rng_below(WIRE_TYPE_MAX));
      wr32(buf + OFF_PLEN, (uint32_t)(len - WIRE_HEADER_SIZE));
      wr32(buf + OFF_NROWS, rng_below(6));
      for (size_t i = 36; i + 13 <= len; i += 1 + rng_below(20)) { /* plant small kinds and counts */
        buf[i + 8] = (uint8_t)rng_below(4);
        wr32(buf + i + 9, rng_below(4) == 0 ? (uint32_t)rng() : rng_below(8));
      }
    }
    if (decode_and_walk(buf, len, rng_below(3) == 0 ? 200 : 0) == 0) accepted++;
  }
  (void)accepted; /* mostly refusals; acceptance is covered by the mutation test */
}
END_TEST

static void build_random_valid(wire_buf *b) {
  float v[12];
  uint8_t type;
  do type = (uint8_t)(1 + rng_below(WIRE_TYPE_MAX));
  while (!wire_type_valid(type));
  wire_header h = make_hdr(type);
  HOT_ASSERT(wire_begin(b, &h, 0) == 0);
  uint32_t rows = rng_below(6);
  for (uint32_t r = 0; r < rows; r++) {
    uint32_t width = rng_below(12);
    for (uint32_t i = 0; i < width; i++) v[i] = rng_below(3) ? 0.0f : (float)(int)rng_below(100);
    switch (rng_below(3)) {
    case 0: HOT_ASSERT(wire_add_id(b, rng_below(4), rng_below(100)) == 0); break;
    case 1: HOT_ASSERT(wire_add_dense(b, rng_below(4), rng_below(100), v, width) == 0); break;
    default: HOT_ASSERT(wire_add_sparse(b, rng_below(4), rng_below(100), v, width) == 0); break;
    }
  }
  HOT_ASSERT(wire_finish(b) == 0);
}

START_TEST(test_mutated_frames) {
  static const uint32_t interesting[] = {0, 1, 2, 3, 4, 0x7F, 0xFF, 0xFFFF, 0x20000000u,
                                         0x40000000u, 0x80000000u, 0xFFFFFFFFu};
  rng_state = 0x5EED0002ull;
  wire_buf b = {0};
  uint8_t buf[1024];
  int accepted = 0, refused = 0;
  for (int iter = 0; iter < 100000; iter++) {
    build_random_valid(&b);
    HOT_ASSERT(b.len <= sizeof buf - 160);
    size_t len = b.len;
    memcpy(buf, b.data, len);
    HOT_ASSERT(decode_and_walk(buf, len, 0) == 0); /* the unmutated frame is valid */
    int nmut = 1 + (int)rng_below(3);
    for (int k = 0; k < nmut; k++) {
      switch (rng_below(5)) {
      case 0:
        if (len) buf[rng_below((uint32_t)len)] ^= (uint8_t)(1u << rng_below(8));
        break;
      case 1:
        if (len) buf[rng_below((uint32_t)len)] = (uint8_t)rng();
        break;
      case 2: /* an interesting u32 anywhere past the header: counts, kinds */
        if (len >= 36) {
          size_t off = 32 + rng_below((uint32_t)(len - 35));
          wr32(buf + off, interesting[rng_below(sizeof interesting / sizeof interesting[0])]);
        }
        break;
      case 3: len = rng_below((uint32_t)len + 1); break; /* truncate */
      default: { /* append */
        uint32_t extra = 1 + rng_below(40);
        for (uint32_t i = 0; i < extra; i++) buf[len + i] = (uint8_t)rng();
        len += extra;
        break;
      }
      }
    }
    /* Usually make payload_len agree, so the mutation reaches the row walk. */
    if (len >= 32 && rng_below(4)) wr32(buf + OFF_PLEN, (uint32_t)(len - WIRE_HEADER_SIZE));
    if (decode_and_walk(buf, len, 0) == 0)
      accepted++;
    else
      refused++;
  }
  /* Both outcomes must occur, or the mutations are not reaching the walk. */
  ck_assert_int_gt(accepted, 1000);
  ck_assert_int_gt(refused, 1000);
  wire_buf_free(&b);
}
END_TEST

/* ---- encoder ----------------------------------------------------------- */

START_TEST(test_encoder_limits) {
  wire_buf b = {0};
  wire_header h = make_hdr(WIRE_READ);
  float v[4] = {1, 2, 3, 4};
  ck_assert_int_eq(wire_add_id(&b, 1, 1), ST_ESTATE); /* before wire_begin */
  ck_assert_int_eq(wire_finish(&b), ST_ESTATE);
  h.type = 0;
  ck_assert_int_eq(wire_begin(&b, &h, 0), ST_ETYPE);
  h.type = WIRE_READ;
  ck_assert_int_eq(wire_begin(&b, &h, 35), ST_ETOOBIG); /* cannot hold header + count */

  /* Room for exactly one id row (9 bytes) after header and count. */
  ck_assert_int_eq(wire_begin(&b, &h, 36 + 9), 0);
  ck_assert_int_eq(wire_add_id(&b, 1, 1), 0);
  ck_assert_int_eq(wire_add_id(&b, 1, 2), ST_ETOOBIG);
  ck_assert_int_eq(wire_add_dense(&b, 1, 2, v, 4), ST_ETOOBIG);
  ck_assert_int_eq(wire_add_sparse(&b, 1, 2, v, 4), ST_ETOOBIG);
  ck_assert_int_eq(wire_finish(&b), 0); /* the refused rows left no trace */
  wire_msg m;
  ck_assert_int_eq(wire_decode(b.data, b.len, 36 + 9, &m), 0);
  ck_assert_uint_eq(m.nrows, 1);

  /* A huge declared width is refused by size, before v is read. */
  ck_assert_int_eq(wire_begin(&b, &h, 0), 0);
  ck_assert_int_eq(wire_add_dense(&b, 1, 2, v, 0xFFFFFFFFu), ST_ETOOBIG);

  /* Reuse after a refusal, and geometric growth over many rows. */
  size_t grows = 0, cap = b.cap;
  for (uint32_t r = 0; r < 20000; r++) {
    ck_assert_int_eq(wire_add_dense(&b, 2, r, v, 4), 0);
    if (b.cap != cap) grows++, cap = b.cap;
  }
  ck_assert_uint_le(grows, 20); /* doubling, not one realloc per row */
  ck_assert_int_eq(wire_finish(&b), 0);
  ck_assert_int_eq(wire_decode(b.data, b.len, 0, &m), 0);
  ck_assert_uint_eq(m.nrows, 20000);
  ck_assert_uint_eq(b.len, 36 + 20000u * (9 + 4 + 16));

  /* Sparse: all-zero row costs only its header and count. */
  float zeros[100] = {0};
  ck_assert_int_eq(wire_begin(&b, &h, 0), 0);
  ck_assert_int_eq(wire_add_sparse(&b, 1, 1, zeros, 100), 0);
  ck_assert_int_eq(wire_finish(&b), 0);
  ck_assert_uint_eq(b.len, 36 + 13);
  ck_assert_uint_eq(rd32(b.data + 28), 4 + 13);
  wire_buf_free(&b);
}
END_TEST

START_TEST(test_row_add_into) {
  wire_buf b = {0};
  wire_header h = make_hdr(WIRE_UPDATE);
  const float d[3] = {1.0f, 2.0f, 3.0f};
  float s[5] = {0.0f, 0.0f, 0.0f, 0.0f, 9.0f}; /* column 4 */
  ck_assert_int_eq(wire_begin(&b, &h, 0), 0);
  ck_assert_int_eq(wire_add_dense(&b, 0, 0, d, 3), 0);
  ck_assert_int_eq(wire_add_sparse(&b, 0, 1, s, 5), 0);
  ck_assert_int_eq(wire_add_id(&b, 0, 2), 0);
  ck_assert_int_eq(wire_finish(&b), 0);
  wire_msg m;
  ck_assert_int_eq(wire_decode(b.data, b.len, 0, &m), 0);
  wire_iter it;
  wire_row dense, sparse, id;
  wire_iter_init(&it, &m);
  ck_assert(wire_next(&it, &dense) && wire_next(&it, &sparse) && wire_next(&it, &id));

  float dst[5] = {10, 10, 10, 10, 10};
  ck_assert_int_eq(wire_row_add_into(&dense, dst, 3), 0);
  ck_assert(dst[0] == 11 && dst[1] == 12 && dst[2] == 13 && dst[3] == 10);
  ck_assert_int_eq(wire_row_add_into(&dense, dst, 4), ST_ERANGE); /* width mismatch */
  ck_assert_int_eq(wire_row_add_into(&dense, dst, 2), ST_ERANGE);
  ck_assert(dst[0] == 11 && dst[3] == 10);

  ck_assert_int_eq(wire_row_add_into(&sparse, dst, 4), ST_ERANGE); /* column 4 >= 4 */
  ck_assert(dst[0] == 11 && dst[1] == 12 && dst[2] == 13 && dst[3] == 10 && dst[4] == 10);
  ck_assert_int_eq(wire_row_add_into(&sparse, dst, 5), 0);
  ck_assert(dst[4] == 19 && dst[3] == 10);

  ck_assert_int_eq(wire_row_add_into(&id, dst, 5), ST_EINVAL);
  wire_buf_free(&b);
}
END_TEST

/* A sparse row with an in-range and an out-of-range column, built by hand:
 * the bad entry comes last, so "check first" is what keeps dst intact. */
START_TEST(test_row_add_into_checks_first) {
  uint8_t f[36 + 13 + 16];
  memset(f, 0, sizeof f);
  wr32(f, WIRE_MAGIC);
  f[4] = WIRE_VERSION;
  f[5] = WIRE_UPDATE;
  wr32(f + 28, sizeof f - 32);
  wr32(f + 32, 1);
  f[36 + 8] = WIRE_ROW_SPARSE;
  wr32(f + 45, 2);
  wr32(f + 49, 0); /* column 0 */
  const float one = 1.0f;
  uint32_t bits;
  memcpy(&bits, &one, 4);
  wr32(f + 53, bits);
  wr32(f + 57, 7); /* column 7 */
  wr32(f + 61, bits);
  wire_msg m;
  ck_assert_int_eq(wire_decode(f, sizeof f, 0, &m), 0);
  wire_iter it;
  wire_row r;
  wire_iter_init(&it, &m);
  ck_assert_int_eq(wire_next(&it, &r), 1);
  float dst[4] = {0};
  ck_assert_int_eq(wire_row_add_into(&r, dst, 4), ST_ERANGE);
  ck_assert(dst[0] == 0.0f);
  float big[8] = {0};
  ck_assert_int_eq(wire_row_add_into(&r, big, 8), 0);
  ck_assert(big[0] == 1.0f && big[7] == 1.0f);
}
END_TEST

static Suite *wire_suite(void) {
  Suite *s = suite_create("wire");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_roundtrip_every_type);
  tcase_add_test(tc, test_golden_bytes);
  tcase_add_test(tc, test_reject_table);
  tcase_add_test(tc, test_truncated_every_length);
  tcase_add_test(tc, test_random_buffers);
  tcase_add_test(tc, test_mutated_frames);
  tcase_add_test(tc, test_encoder_limits);
  tcase_add_test(tc, test_row_add_into);
  tcase_add_test(tc, test_row_add_into_checks_first);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(wire_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
