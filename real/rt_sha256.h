/* rt_sha256.h: SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104), enough for
 * the peer handshake to prove knowledge of the cluster secret without
 * sending it. Owns nothing: contexts are plain values the caller holds. */
#ifndef RT_SHA256_H
#define RT_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define RT_SHA256_LEN 32
#define RT_SHA256_BLOCK 64

typedef struct rt_sha256_ctx {
  uint32_t h[8];
  uint64_t total; /* bytes hashed so far */
  uint8_t block[RT_SHA256_BLOCK];
  size_t used; /* bytes waiting in block */
} rt_sha256_ctx;

void rt_sha256_init(rt_sha256_ctx *s);
/* Hashes data[0..len) (borrowed, read only). */
void rt_sha256_update(rt_sha256_ctx *s, const void *data, size_t len);
/* Writes the digest to out[32]; s must be re-initialised before reuse. */
void rt_sha256_final(rt_sha256_ctx *s, uint8_t out[RT_SHA256_LEN]);
/* One-shot digest of data[0..len). */
void rt_sha256(const void *data, size_t len, uint8_t out[RT_SHA256_LEN]);

/* Keyed MAC: incremental form so callers can MAC a transcript of pieces. */
typedef struct rt_hmac {
  rt_sha256_ctx inner, outer;
} rt_hmac;

/* key[0..keylen) is borrowed only for the call. */
void rt_hmac_init(rt_hmac *m, const void *key, size_t keylen);
void rt_hmac_update(rt_hmac *m, const void *data, size_t len);
void rt_hmac_final(rt_hmac *m, uint8_t out[RT_SHA256_LEN]);
void rt_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                    uint8_t out[RT_SHA256_LEN]);

/* Compares a[0..n) and b[0..n) in time independent of where they differ, so
 * a peer cannot learn a valid MAC byte by byte. 1 if equal. */
int rt_mac_equal(const uint8_t *a, const uint8_t *b, size_t n);

#endif
