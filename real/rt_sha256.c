/* rt_sha256.c: SHA-256 and HMAC-SHA-256, written from FIPS 180-4 and
 * RFC 2104; tested against the FIPS examples and RFC 4231 vectors. */
#include "rt_sha256.h"

#include <string.h>

static const uint32_t k_round[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

static uint32_t rotr(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

static void compress(uint32_t h[8], const uint8_t *p) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
           (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (int i = 0; i < 64; i++) {
    uint32_t s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
    uint32_t ch = (e & f) ^ (~e & g);
    uint32_t t1 = hh + s1 + ch + k_round[i] + w[i];
    uint32_t s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
    uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
    uint32_t t2 = s0 + maj;
    hh = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
  h[5] += f;
  h[6] += g;
  h[7] += hh;
}

void rt_sha256_init(rt_sha256_ctx *s) {
  static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(s->h, iv, sizeof iv);
  s->total = 0;
  s->used = 0;
}

void rt_sha256_update(rt_sha256_ctx *s, const void *data, size_t len) {
  const uint8_t *p = data;
  s->total += len;
  if (s->used > 0) {
    size_t take = RT_SHA256_BLOCK - s->used;
    if (take > len)
      take = len;
    memcpy(s->block + s->used, p, take);
    s->used += take;
    p += take;
    len -= take;
    if (s->used < RT_SHA256_BLOCK)
      return;
    compress(s->h, s->block);
    s->used = 0;
  }
  while (len >= RT_SHA256_BLOCK) {
    compress(s->h, p);
    p += RT_SHA256_BLOCK;
    len -= RT_SHA256_BLOCK;
  }
  memcpy(s->block, p, len);
  s->used = len;
}

void rt_sha256_final(rt_sha256_ctx *s, uint8_t out[RT_SHA256_LEN]) {
  uint64_t bits = s->total * 8;
  s->block[s->used++] = 0x80;
  if (s->used > RT_SHA256_BLOCK - 8) {
    memset(s->block + s->used, 0, RT_SHA256_BLOCK - s->used);
    compress(s->h, s->block);
    s->used = 0;
  }
  memset(s->block + s->used, 0, RT_SHA256_BLOCK - 8 - s->used);
  for (int i = 0; i < 8; i++)
    s->block[RT_SHA256_BLOCK - 1 - i] = (uint8_t)(bits >> (8 * i));
  compress(s->h, s->block);
  for (int i = 0; i < 8; i++) {
    out[4 * i] = (uint8_t)(s->h[i] >> 24);
    out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
    out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
    out[4 * i + 3] = (uint8_t)s->h[i];
  }
}

void rt_sha256(const void *data, size_t len, uint8_t out[RT_SHA256_LEN]) {
  rt_sha256_ctx s;
  rt_sha256_init(&s);
  rt_sha256_update(&s, data, len);
  rt_sha256_final(&s, out);
}

void rt_hmac_init(rt_hmac *m, const void *key, size_t keylen) {
  uint8_t k[RT_SHA256_BLOCK] = {0}, pad[RT_SHA256_BLOCK];
  /* Keys longer than a block are hashed first (RFC 2104 section 2). */
  if (keylen > RT_SHA256_BLOCK)
    rt_sha256(key, keylen, k);
  else if (keylen > 0)
    memcpy(k, key, keylen);
  for (int i = 0; i < RT_SHA256_BLOCK; i++)
    pad[i] = k[i] ^ 0x36;
  rt_sha256_init(&m->inner);
  rt_sha256_update(&m->inner, pad, sizeof pad);
  for (int i = 0; i < RT_SHA256_BLOCK; i++)
    pad[i] = k[i] ^ 0x5c;
  rt_sha256_init(&m->outer);
  rt_sha256_update(&m->outer, pad, sizeof pad);
}

void rt_hmac_update(rt_hmac *m, const void *data, size_t len) {
  rt_sha256_update(&m->inner, data, len);
}

void rt_hmac_final(rt_hmac *m, uint8_t out[RT_SHA256_LEN]) {
  uint8_t ih[RT_SHA256_LEN];
  rt_sha256_final(&m->inner, ih);
  rt_sha256_update(&m->outer, ih, sizeof ih);
  rt_sha256_final(&m->outer, out);
}

void rt_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                    uint8_t out[RT_SHA256_LEN]) {
  rt_hmac m;
  rt_hmac_init(&m, key, keylen);
  rt_hmac_update(&m, data, len);
  rt_hmac_final(&m, out);
}

int rt_mac_equal(const uint8_t *a, const uint8_t *b, size_t n) {
  uint8_t diff = 0;
  for (size_t i = 0; i < n; i++)
    diff |= (uint8_t)(a[i] ^ b[i]);
  return diff == 0;
}
