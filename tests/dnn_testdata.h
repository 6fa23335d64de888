/* dnn_testdata.h: small IDX files for the DNN tests, written by the tests
 * themselves: raw bytes (plain or gzip), and a learnable labelled set in
 * the layout of Fashion-MNIST's directory. Test-only; static functions. */
#ifndef DNN_TESTDATA_H
#define DNN_TESTDATA_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Writes buf[0..len) to path, gzip-compressed if gz. 0 on success. */
static int td_write(const char *path, const uint8_t *buf, size_t len, int gz) {
  if (gz) {
    gzFile f = gzopen(path, "wb");
    if (!f) return -1;
    int ok = len == 0 || gzwrite(f, buf, (unsigned)len) == (int)len;
    return gzclose(f) == Z_OK && ok ? 0 : -1;
  }
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  int ok = fwrite(buf, 1, len, f) == len;
  return fclose(f) == 0 && ok ? 0 : -1;
}

static void td_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* An IDX header for ndims dims into buf; returns its length. */
static size_t td_header(uint8_t *buf, uint32_t ndims, const uint32_t *dims) {
  buf[0] = 0;
  buf[1] = 0;
  buf[2] = 0x08;
  buf[3] = (uint8_t)ndims;
  for (uint32_t d = 0; d < ndims; d++) td_be32(buf + 4 + 4 * d, dims[d]);
  return 4 + 4 * (size_t)ndims;
}

/* A learnable set: n images of side x side pixels, classes classes. Image
 * k's label is a hash of (seed, k) mod classes; its pixels are noise with
 * the label's band of rows bright, so a linear layer can tell them apart.
 * Writes prefix-images-idx3-ubyte and prefix-labels-idx1-ubyte into dir
 * (".gz" appended and compressed if gz). 0 on success. */
static int td_write_set(const char *dir, const char *prefix, uint32_t n, uint32_t side,
                        uint32_t classes, uint64_t seed, int gz) {
  size_t px = (size_t)side * side;
  uint8_t *img = malloc(16 + (size_t)n * px), *lab = malloc(8 + (size_t)n);
  if (!img || !lab) return -1;
  uint32_t idims[3] = {n, side, side}, ldims[1] = {n};
  size_t ih = td_header(img, 3, idims), lh = td_header(lab, 1, ldims);
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (uint32_t k = 0; k < n; k++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    uint8_t y = (uint8_t)(x % classes);
    lab[lh + k] = y;
    for (size_t p = 0; p < px; p++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      uint32_t row = (uint32_t)(p / side);
      int bright = row * classes / side == y;
      img[ih + (size_t)k * px + p] = (uint8_t)((x & 127) + (bright ? 110 : 0));
    }
  }
  char path[512];
  snprintf(path, sizeof path, "%s/%s-images-idx3-ubyte%s", dir, prefix, gz ? ".gz" : "");
  int rc = td_write(path, img, ih + (size_t)n * px, gz);
  snprintf(path, sizeof path, "%s/%s-labels-idx1-ubyte%s", dir, prefix, gz ? ".gz" : "");
  if (rc == 0) rc = td_write(path, lab, lh + n, gz);
  free(img);
  free(lab);
  return rc;
}

#endif
