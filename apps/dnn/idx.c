/* idx.c: IDX files through zlib's gz reader, which also reads files that
 * are not compressed, so one path serves both. */
#include "idx.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "../../core/st.h"

#define IDX_MAX_BYTES ((size_t)1 << 30)

static int idx_fail(char *err, size_t errlen, int rc, const char *path, const char *fmt, ...) {
  if (err && errlen) {
    int k = snprintf(err, errlen, "%s: ", path);
    if (k >= 0 && (size_t)k < errlen) {
      va_list ap;
      va_start(ap, fmt);
      vsnprintf(err + k, errlen - (size_t)k, fmt, ap);
      va_end(ap);
    }
  }
  return rc;
}

/* Reads the whole (decompressed) stream into *buf (malloc'd), *len bytes. */
static int idx_slurp(const char *path, uint8_t **buf, size_t *len, char *err, size_t errlen) {
  *buf = NULL;
  *len = 0;
  gzFile f = gzopen(path, "rb");
  if (!f)
    return idx_fail(err, errlen, ST_EINVAL, path, "cannot open: %s",
                    errno ? strerror(errno) : "out of memory");
  size_t cap = 1 << 16, n = 0;
  uint8_t *b = malloc(cap);
  int rc = 0;
  if (!b) {
    rc = ST_ENOMEM;
    goto out;
  }
  for (;;) {
    if (n == cap) {
      if (cap >= IDX_MAX_BYTES) {
        rc = idx_fail(err, errlen, ST_ETOOBIG, path, "larger than 1 GiB, not an image set");
        goto out;
      }
      uint8_t *nb = realloc(b, cap * 2);
      if (!nb) {
        rc = ST_ENOMEM;
        goto out;
      }
      b = nb;
      cap *= 2;
    }
    size_t want = cap - n;
    if (want > (1u << 30)) want = 1u << 30;
    int k = gzread(f, b + n, (unsigned)want);
    if (k < 0) {
      int zerr;
      const char *msg = gzerror(f, &zerr);
      rc = idx_fail(err, errlen, ST_EPARSE, path,
                    "compressed byte %lld: corrupt gzip data (zlib: %s)", (long long)gzoffset(f),
                    msg ? msg : "unknown error");
      goto out;
    }
    if (k == 0) {
      /* zlib reports a gzip stream cut short only through gzerror. */
      int zerr = Z_OK;
      const char *msg = gzerror(f, &zerr);
      if (zerr != Z_OK && zerr != Z_STREAM_END) {
        rc = idx_fail(err, errlen, ST_EPARSE, path,
                      "compressed byte %lld: corrupt gzip data (zlib: %s)",
                      (long long)gzoffset(f), msg ? msg : "unknown error");
        goto out;
      }
      break;
    }
    n += (size_t)k;
  }
out:
  gzclose(f);
  if (rc) {
    free(b);
    if (rc == ST_ENOMEM) idx_fail(err, errlen, rc, path, "out of memory");
    return rc;
  }
  *buf = b;
  *len = n;
  return 0;
}

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void dnn_idx_free(dnn_idx *x) {
  free(x->data);
  memset(x, 0, sizeof *x);
}

int dnn_idx_load(const char *path, uint32_t want_dims, dnn_idx *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  uint8_t *b;
  size_t len;
  int rc = idx_slurp(path, &b, &len, err, errlen);
  if (rc) return rc;
  rc = ST_EPARSE;
  if (len < 4) {
    idx_fail(err, errlen, rc, path, "byte %zu: truncated header (%zu bytes; an IDX header has 4 "
                                    "bytes and then 4 per dimension)",
             len, len);
    goto fail;
  }
  if (b[0] != 0 || b[1] != 0) {
    idx_fail(err, errlen, rc, path,
             "byte 0: bad magic 0x%02x%02x%02x%02x (an IDX file starts with two zero bytes; is "
             "this an IDX file?)",
             b[0], b[1], b[2], b[3]);
    goto fail;
  }
  if (b[2] != 0x08) {
    idx_fail(err, errlen, rc, path,
             "byte 2: data type 0x%02x, expected 0x08 (unsigned bytes, as in MNIST-style sets)",
             b[2]);
    goto fail;
  }
  if (b[3] != want_dims) {
    idx_fail(err, errlen, rc, path, "byte 3: %u dimensions, expected %u (%s)", b[3], want_dims,
             want_dims == 3 ? "an idx3-ubyte image file: count, rows, columns"
                            : "an idx1-ubyte label file: count");
    goto fail;
  }
  size_t hdr = 4 + 4 * (size_t)want_dims;
  if (len < hdr) {
    idx_fail(err, errlen, rc, path, "byte %zu: truncated header (%u dimensions need %zu bytes)",
             len, want_dims, hdr);
    goto fail;
  }
  uint64_t total = 1;
  for (uint32_t d = 0; d < want_dims; d++) {
    out->dims[d] = be32(b + 4 + 4 * d);
    if (out->dims[d] == 0) {
      idx_fail(err, errlen, rc, path, "byte %u: dimension %u is 0", 4 + 4 * d, d);
      goto fail;
    }
    total *= out->dims[d];
    if (total > IDX_MAX_BYTES) {
      idx_fail(err, errlen, rc, path, "byte %u: dimensions promise more than 1 GiB of data",
               4 + 4 * d);
      goto fail;
    }
  }
  if (len - hdr < total) {
    idx_fail(err, errlen, rc, path,
             "byte %zu: truncated data (the header promises %llu data bytes from byte %zu, the "
             "file ends after %zu)",
             len, (unsigned long long)total, hdr, len - hdr);
    goto fail;
  }
  if (len - hdr > total) {
    idx_fail(err, errlen, rc, path,
             "byte %llu: %zu bytes after the %llu data bytes the header promises",
             (unsigned long long)(hdr + total), len - hdr - (size_t)total,
             (unsigned long long)total);
    goto fail;
  }
  out->ndims = want_dims;
  out->n = (size_t)total;
  out->offset = hdr;
  out->data = malloc(out->n);
  if (!out->data) {
    rc = idx_fail(err, errlen, ST_ENOMEM, path, "out of memory");
    goto fail;
  }
  memcpy(out->data, b + hdr, out->n);
  free(b);
  return 0;
fail:
  free(b);
  dnn_idx_free(out);
  return rc;
}

void dnn_set_free(dnn_set *s) {
  dnn_idx_free(&s->images);
  dnn_idx_free(&s->labels);
  memset(s, 0, sizeof *s);
}

int dnn_set_load(const char *images, const char *labels, uint32_t classes, dnn_set *out,
                 char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  int rc = dnn_idx_load(images, 3, &out->images, err, errlen);
  if (rc == 0) rc = dnn_idx_load(labels, 1, &out->labels, err, errlen);
  if (rc) goto fail;
  if (out->images.dims[0] != out->labels.dims[0]) {
    rc = idx_fail(err, errlen, ST_EPARSE, labels, "byte 4: %u labels, but %s holds %u images",
                  out->labels.dims[0], images, out->images.dims[0]);
    goto fail;
  }
  for (size_t k = 0; k < out->labels.n; k++)
    if (out->labels.data[k] >= classes) {
      rc = idx_fail(err, errlen, ST_EPARSE, labels,
                    "byte %zu: label %u of item %zu is out of range (the network has %u classes, "
                    "0..%u)",
                    out->labels.offset + k, out->labels.data[k], k, classes, classes - 1);
      goto fail;
    }
  out->n = out->images.dims[0];
  out->rows = out->images.dims[1];
  out->cols = out->images.dims[2];
  return 0;
fail:
  dnn_set_free(out);
  return rc;
}

int dnn_find_file(const char *dir, const char *base, char *path, size_t pathlen, char *err,
                  size_t errlen) {
  static const char *const suffix[] = {"", ".gz"};
  for (int k = 0; k < 2; k++) {
    int n = snprintf(path, pathlen, "%s/%s%s", dir, base, suffix[k]);
    if (n > 0 && (size_t)n < pathlen && access(path, R_OK) == 0) return 0;
  }
  if (err && errlen)
    snprintf(err, errlen, "%s: neither %s nor %s.gz is readable there (--data DIR names a "
                          "directory of IDX files)",
             dir, base, base);
  return ST_EINVAL;
}
