/* csv.h: the one CSV writer both backends use, so experiment output has the
 * same shape and byte-exact formatting everywhere. A csv_writer borrows a
 * FILE* (the caller opens and closes it) and owns nothing else. Numbers are
 * printed with fixed formats (%.9g for reals) so equal runs give equal bytes;
 * text fields are quoted only when they contain a comma, quote, CR or LF. */
#ifndef CSV_H
#define CSV_H

#include <stdint.h>
#include <stdio.h>

typedef struct csv_writer {
  FILE *f;      /* borrowed */
  uint32_t col; /* fields written in the current row */
  int failed;   /* a write failed; reported by csv_end_row / csv_flush */
} csv_writer;

/* Starts writing to f (borrowed; must outlive the writer). */
void csv_init(csv_writer *w, FILE *f);
/* Writes a whole header row from names[0..n) (borrowed). 0 or ST_EIO. */
int csv_header(csv_writer *w, const char *const *names, uint32_t n);
/* Appends one field to the current row. s is borrowed; NULL writes empty. */
void csv_str(csv_writer *w, const char *s);
void csv_u64(csv_writer *w, uint64_t v);
void csv_i64(csv_writer *w, int64_t v);
/* Reals as %.9g; NaN and infinities as nan, inf, -inf. */
void csv_real(csv_writer *w, double v);
/* Ends the row with "\n". Returns 0, or ST_EIO if any write of the row
 * (or an earlier one) failed. */
int csv_end_row(csv_writer *w);
/* Flushes f: 0 or ST_EIO. */
int csv_flush(csv_writer *w);
/* Whether s must be quoted (contains , " CR or LF, or leading/trailing
 * space). */
int csv_needs_quotes(const char *s);

#endif
