/* idx.h: the IDX format of MNIST and Fashion-MNIST (idx3-ubyte images,
 * idx1-ubyte labels), plain or gzip-compressed, and a labelled image set
 * made of two such files. A dnn_idx owns its bytes; dnn_idx_free releases
 * them. Nothing here prints: errors come back as negative ST_E* codes with
 * "path: byte N: what" in a caller buffer (N counts bytes of the
 * uncompressed IDX stream, which for a .gz file is the decompressed data).
 *
 * An IDX file: two zero bytes, a type byte (0x08: unsigned bytes, the only
 * one these sets use), a byte giving the number of dimensions, that many
 * big-endian u32 sizes, then the product of the sizes in data bytes, and
 * nothing after them. */
#ifndef DNN_IDX_H
#define DNN_IDX_H

#include <stddef.h>
#include <stdint.h>

#define DNN_IDX_MAX_DIMS 3u

typedef struct dnn_idx {
  uint32_t ndims;
  uint32_t dims[DNN_IDX_MAX_DIMS];
  uint8_t *data;  /* dims[0] * ... bytes, owned */
  size_t n;       /* bytes in data */
  size_t offset;  /* where data starts in the file (for error offsets) */
} dnn_idx;

/* Loads path (borrowed), which must have exactly want_dims dimensions,
 * each > 0. Errors (out is left empty): ST_EINVAL the file cannot be
 * opened; ST_EPARSE bad magic, type or dimension count, a zero size, a
 * truncated header or data, trailing bytes, corrupt gzip; ST_ETOOBIG over
 * 1 GiB; ST_ENOMEM. */
int dnn_idx_load(const char *path, uint32_t want_dims, dnn_idx *out, char *err, size_t errlen);
void dnn_idx_free(dnn_idx *x);

/* Images and their labels: n images of rows x cols bytes, n labels. */
typedef struct dnn_set {
  dnn_idx images, labels;
  uint32_t n, rows, cols;
} dnn_set;

/* Loads an image file and a label file (paths borrowed) and checks that
 * they hold the same number of items and that every label is < classes.
 * ST_EPARSE (message names the file and byte) or what dnn_idx_load says. */
int dnn_set_load(const char *images, const char *labels, uint32_t classes, dnn_set *out,
                 char *err, size_t errlen);
void dnn_set_free(dnn_set *s);

/* Finds dir/base or dir/base.gz (in that order) into path[pathlen]:
 * 0, or ST_EINVAL with "dir: neither base nor base.gz is readable". */
int dnn_find_file(const char *dir, const char *base, char *path, size_t pathlen, char *err,
                  size_t errlen);

#endif
