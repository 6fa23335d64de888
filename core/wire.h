/* wire.h: the one message format both backends carry, so the simulator counts
 * real bytes and the decoder is exercised everywhere.
 *
 * A frame is a 32-byte little-endian header followed by a payload of rows:
 *   header: u32 magic 'STAL', u8 version, u8 type, u16 flags, u32 src node,
 *           u32 dst node, u32 clock, u32 seq, u32 ack, u32 payload length
 *   payload: u32 row count, then per row: u32 table, u32 row, u8 kind and
 *           kind ID: nothing more; DENSE: u32 width, width x f32;
 *           SPARSE: u32 nnz, nnz x (u32 column, f32 value);
 *           DENSE_V: u32 version, then as DENSE (rows of tables with a
 *           versioned rule, ada.h: the row's version in ROWS, the version
 *           read in UPDATE and CLOCK). Kind 3 was added later without a
 *           new WIRE_VERSION: frames without it are unchanged.
 * Decoding validates every length before anything is read, so untrusted bytes
 * produce an error, never an out-of-bounds read. The decoder knows nothing of
 * tables; widths are checked against table definitions by the state machines. */
#ifndef WIRE_H
#define WIRE_H

#include "st.h"

#define WIRE_MAGIC 0x4C415453u /* "STAL" read as little-endian u32 */
#define WIRE_VERSION 1
#define WIRE_HEADER_SIZE 32
#define WIRE_MAX_FRAME (64u << 20) /* default cap on a whole frame */

/* Message types. Requests flow client -> server, rows server -> client. */
enum wire_type {
  WIRE_UPDATE = 1, /* deltas sent early, before clock() (managed comm) */
  WIRE_CLOCK = 2,  /* deltas, then "my clock is now hdr.clock" */
  WIRE_READ = 3,   /* row ids wanted at min clock >= hdr.clock */
  WIRE_ROWS = 4,   /* row values at hdr.clock; hdr.ack = last seq applied */
  WIRE_TASK = 5,   /* node 0 -> client: a round's variables (mpsched.h) */
  WIRE_RESULT = 6, /* client -> node 0: a worker's result of a round */
  WIRE_REPORT = 7,  /* node -> node 0: "I reached barrier hdr.clock", and rows */
  WIRE_RELEASE = 8, /* node 0 -> node: barrier hdr.clock is released */
  WIRE_TYPE_MAX = 8
};

/* Whether type is one this version sends (1..WIRE_TYPE_MAX). */
static inline int wire_type_valid(uint8_t type) { return type >= 1 && type <= WIRE_TYPE_MAX; }

/* Header flags. */
#define WIRE_F_PUSH 0x1u /* ROWS: server push; rows of this shard that the
                            receiver holds and that are absent here are
                            unchanged as of hdr.clock */
#define WIRE_F_REPLY 0x2u /* ROWS: the answer to a READ from the receiver */
#define WIRE_F_EARLY 0x4u /* ROWS: an early push (managed communication):
                             the values of the rows present, which are no
                             fresher by clock than the receiver knew; it
                             says nothing of absent rows */

enum wire_kind { WIRE_ROW_ID = 0, WIRE_ROW_DENSE = 1, WIRE_ROW_SPARSE = 2, WIRE_ROW_DENSE_V = 3 };

typedef struct wire_header {
  uint8_t version, type;
  uint16_t flags;
  uint32_t src, dst;
  st_clock_t clock;
  uint32_t seq, ack;
  uint32_t payload_len;
} wire_header;

/* A decoded, validated frame. Points into the caller's buffer, which must
 * outlive it. */
typedef struct wire_msg {
  wire_header hdr;
  uint32_t nrows;
  const uint8_t *rows; /* first row record */
  size_t rows_len;
} wire_msg;

/* One row record; values are read with wire_row_value (unaligned input).
 * A DENSE_V record decodes as kind WIRE_ROW_DENSE with versioned = 1 and
 * its version in ver, so code that reads values needs no second case. */
typedef struct wire_row {
  uint32_t table, row;
  uint8_t kind;
  uint8_t versioned; /* 1: the record carried a version (ver); 0: ver = 0 */
  uint32_t ver;
  uint32_t n; /* width (dense) or nnz (sparse); 0 for ids */
  const uint8_t *data;
} wire_row;

typedef struct wire_iter {
  const uint8_t *p, *end;
  uint32_t left;
} wire_iter;

/* Validates buf[0..len) as one whole frame of at most max_frame bytes and
 * fills *out. Returns 0 or ST_EFRAME, ST_EMAGIC, ST_EVERSION, ST_ETOOBIG,
 * ST_ETYPE. Never reads outside buf. */
int wire_decode(const uint8_t *buf, size_t len, size_t max_frame, wire_msg *out);

/* Reads only the header of buf (>= WIRE_HEADER_SIZE bytes) so a stream
 * transport can learn the frame length. Same errors as wire_decode. */
int wire_peek_header(const uint8_t *buf, size_t len, size_t max_frame, wire_header *out);

/* Iterates the rows of a decoded message. wire_next returns 1 and fills *row,
 * or 0 at the end (the frame was validated, so no error is possible). */
void wire_iter_init(wire_iter *it, const wire_msg *msg);
int wire_next(wire_iter *it, wire_row *row);

/* The i-th entry of a row: column and value (for dense rows column = i).
 * Requires i < row->n; otherwise (or for an id row) gives column i, value 0. */
void wire_row_value(const wire_row *row, uint32_t i, uint32_t *col, float *val);

/* Adds the row's entries into dst[0..width) (borrowed). Entries with column
 * >= width, or a dense row whose width is not exactly width, make it return
 * ST_ERANGE with dst untouched; an id row (no values) gives ST_EINVAL. Rows
 * come from peers, so callers should check the result. */
int wire_row_add_into(const wire_row *row, float *dst, uint32_t width);

/* Growable encode buffer. Owns data; release with wire_buf_free. Must be
 * zero-initialized ({0}) before its first wire_begin. */
typedef struct wire_buf {
  uint8_t *data;
  size_t len, cap;
  uint32_t nrows;
  size_t max_frame;
} wire_buf;

/* Starts a frame in b (reusing its memory). max_frame 0 means WIRE_MAX_FRAME.
 * Writes WIRE_VERSION whatever hdr->version says; hdr->payload_len is ignored
 * (wire_finish computes it); hdr is copied. ST_ETYPE for a type outside
 * 1..WIRE_TYPE_MAX, ST_ETOOBIG if max_frame cannot hold header and row count,
 * ST_ENOMEM. */
int wire_begin(wire_buf *b, const wire_header *hdr, size_t max_frame);
/* Appends a row; v (borrowed) is copied. Sparse writes only the non-zero
 * entries of v[0..width). ST_ETOOBIG if the frame would exceed max_frame,
 * ST_ENOMEM if growing fails, ST_ESTATE before wire_begin; on error b is
 * unchanged and still a valid frame in progress. */
int wire_add_id(wire_buf *b, uint32_t table, uint32_t row);
int wire_add_dense(wire_buf *b, uint32_t table, uint32_t row, const float *v, uint32_t width);
int wire_add_sparse(wire_buf *b, uint32_t table, uint32_t row, const float *v, uint32_t width);
/* Appends a dense row with a version (kind DENSE_V). Same errors. */
int wire_add_dense_ver(wire_buf *b, uint32_t table, uint32_t row, uint32_t ver, const float *v,
                       uint32_t width);
/* Appends a sparse row of the n given entries (cols and vals borrowed, in
 * the order given; the caller's row is already its non-zeros). Same errors
 * as wire_add_sparse. */
int wire_add_pairs(wire_buf *b, uint32_t table, uint32_t row, const uint32_t *cols,
                   const float *vals, uint32_t n);
/* Patches row count and payload length; b->data[0..b->len) is the frame. */
int wire_finish(wire_buf *b);
/* Rewrites the flags of the frame being built (a split message learns only
 * at its end which part is the last). */
int wire_set_flags(wire_buf *b, uint16_t flags);
void wire_buf_free(wire_buf *b);

#endif
