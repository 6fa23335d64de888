/* data.h: a regression data set for Lasso (n samples, p columns, a target
 * per sample), its two loaders and the column statistics the app needs. A
 * lasso_data owns its arrays; lasso_data_free releases them. The design is
 * held either dense (row-major floats, from tables and the generator) or as
 * compressed sparse rows (from LibSVM files). Nothing here prints; errors
 * come back as negative ST_E* codes with "file:line[:column]: what" in a
 * caller buffer. */
#ifndef LASSO_DATA_H
#define LASSO_DATA_H

#include <stddef.h>
#include <stdint.h>

typedef struct lasso_data {
  uint32_t n, p; /* samples (rows), columns */
  float *y;      /* n targets */
  float *dense;  /* n * p values, row-major; NULL when sparse */
  /* Sparse rows: row i's entries are col/val[row_start[i] .. row_start[i+1]),
   * columns ascending. NULL when dense. */
  size_t *row_start; /* n + 1 offsets */
  uint32_t *col;     /* 0-based column of each entry */
  float *val;
  size_t nnz;     /* stored entries (n * p when dense) */
} lasso_data;

/* Which loader reads a file. LASSO_FMT_AUTO looks at the first data line: a
 * token with ':' after the first one means LibSVM; a ',' means CSV; else a
 * whitespace table. */
typedef enum { LASSO_FMT_AUTO, LASSO_FMT_LIBSVM, LASSO_FMT_CSV, LASSO_FMT_TABLE } lasso_format;

typedef struct lasso_load_opts {
  lasso_format format;
  uint8_t label_last; /* tables: the target is the last field (default: first) */
  uint32_t features;  /* LibSVM: the column count (0: the largest index seen);
                         an index above it is an error */
} lasso_load_opts;

/* Empty set; always succeeds. */
void lasso_data_init(lasso_data *d);
/* Frees what d owns and empties it (d itself is the caller's). */
void lasso_data_free(lasso_data *d);

/* Loads path (borrowed) into out (initialised here, empty on error).
 *
 * LibSVM / SVMlight: "label idx:val idx:val ... [# comment]", indices
 * 1-based and strictly increasing within a line, omitted entries zero;
 * "qid:N" tokens are accepted and ignored. Blank lines and lines starting
 * with '#' are skipped.
 *
 * Tables (CSV or blanks/tabs): one sample a line, every line with the same
 * number of fields, the target first (or last with label_last); a CSV file
 * may open with a header line (its first field not a number), which is
 * skipped; blank lines and lines starting with '#' are skipped.
 *
 * Values must be finite and within float range. On error returns ST_EPARSE
 * (malformed content), ST_EINVAL (unreadable file) or ST_ENOMEM and writes
 * "path:line:column: problem" (column 1-based, in bytes; "path:line:" when
 * the problem is the line as a whole, "path: ..." when the file cannot be
 * read) into err[errlen] (borrowed). */
int lasso_data_load(const char *path, const lasso_load_opts *opts, lasso_data *out, char *err,
                    size_t errlen);

/* Mean of every column into mean[p] and of the target into *ymean (caller's
 * arrays). Summed in double in row order, so every process computes the
 * same values. */
void lasso_data_means(const lasso_data *d, double *mean, double *ymean);

/* Divides every column by its standard deviation (over all n samples, as
 * scikit-learn's StandardScaler); a constant column is left as is. Columns
 * are not centred: the fitted intercept makes centring unnecessary, and
 * sparse rows stay sparse. 0 or ST_ENOMEM. */
int lasso_data_standardize(lasso_data *d);

/* Writes d to path ("-": standard output) as LibSVM ("y idx:val ...", zeros
 * omitted) or, with dense_table, as a whitespace table "y x1 ... xp". Values
 * are printed with 9 significant digits, so a float reads back exactly. 0
 * or ST_EINVAL with "path: strerror" in err[errlen]. */
int lasso_data_write(const lasso_data *d, const char *path, int dense_table, char *err,
                     size_t errlen);

#endif
