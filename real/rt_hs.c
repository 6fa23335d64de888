/* rt_hs.c: see rt_hs.h. */
#include "rt_hs.h"

#include <stdio.h>
#include <string.h>

#define HS_MAGIC_HELLO 0x4C485453u /* "STHL" */
#define HS_MAGIC_ACK 0x41485453u   /* "STHA" */
#define HS_MAGIC_PROOF 0x50485453u /* "STHP" */
#define HS_VERSION 1u

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}
static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The transcript both MACs cover: role label, both nonces in connector-
 * acceptor order, both ranks and the world size. */
static void hs_mac(const rt_hs *h, char role, const uint8_t *nc, const uint8_t *na, uint32_t rc,
                   uint32_t ra, uint8_t out[RT_SHA256_LEN]) {
  rt_hmac m;
  uint8_t b[12];
  rt_hmac_init(&m, h->secret, h->secret_len);
  rt_hmac_update(&m, "stale-hs-v1", 11);
  rt_hmac_update(&m, &role, 1);
  rt_hmac_update(&m, nc, RT_HS_NONCE_LEN);
  rt_hmac_update(&m, na, RT_HS_NONCE_LEN);
  put32(b, rc);
  put32(b + 4, ra);
  put32(b + 8, h->size);
  rt_hmac_update(&m, b, sizeof b);
  rt_hmac_final(&m, out);
}

static void hs_init(rt_hs *h, int state, uint32_t rank, uint32_t size, const uint8_t *secret,
                    size_t secret_len, const uint8_t *nonce) {
  memset(h, 0, sizeof *h);
  h->state = state;
  h->rank = rank;
  h->size = size;
  h->secret = secret;
  h->secret_len = secret_len;
  h->peer = RT_NO_PEER;
  memcpy(h->nonce_mine, nonce, RT_HS_NONCE_LEN);
}

void rt_hs_accept(rt_hs *h, uint32_t rank, uint32_t size, const uint8_t *secret,
                  size_t secret_len, const uint8_t nonce[RT_HS_NONCE_LEN]) {
  hs_init(h, RT_HS_WAIT_HELLO, rank, size, secret, secret_len, nonce);
}

void rt_hs_connect(rt_hs *h, uint32_t rank, uint32_t size, const uint8_t *secret,
                   size_t secret_len, const uint8_t nonce[RT_HS_NONCE_LEN], uint32_t peer,
                   const char *listen_host, uint16_t port, uint8_t out[RT_HS_HELLO_LEN]) {
  hs_init(h, RT_HS_WAIT_ACK, rank, size, secret, secret_len, nonce);
  h->peer = peer;
  memset(out, 0, RT_HS_HELLO_LEN);
  put32(out, HS_MAGIC_HELLO);
  put32(out + 4, HS_VERSION);
  put32(out + 8, rank);
  put32(out + 12, size);
  put32(out + 16, port);
  memcpy(out + 20, listen_host, strnlen(listen_host, RT_HOST_MAX - 1));
  memcpy(out + 20 + RT_HOST_MAX, nonce, RT_HS_NONCE_LEN);
}

static int hs_reject(rt_hs *h, char *why, size_t whylen, const char *text) {
  h->state = RT_HS_FAILED;
  snprintf(why, whylen, "%s", text);
  return RT_HS_REJECT;
}

/* Acceptor: a HELLO; replies ACK. Each wrong field is named on its own. */
static int hs_hello(rt_hs *h, const uint8_t *p, uint8_t *reply, size_t *reply_len, char *why,
                    size_t whylen) {
  char text[200];
  uint32_t rank = get32(p + 8), size = get32(p + 12), port = get32(p + 16);
  if (get32(p) != HS_MAGIC_HELLO) return hs_reject(h, why, whylen, "not a stale handshake");
  if (get32(p + 4) != HS_VERSION) {
    snprintf(text, sizeof text, "handshake version %u, expected %u", get32(p + 4), HS_VERSION);
    return hs_reject(h, why, whylen, text);
  }
  if (size != h->size) {
    snprintf(text, sizeof text, "hello for a world of %u ranks; this is rank %u of %u", size,
             h->rank, h->size);
    return hs_reject(h, why, whylen, text);
  }
  if (rank >= size || rank <= h->rank) {
    snprintf(text, sizeof text,
             "hello from rank %u: only ranks above %u and below %u connect to this rank", rank,
             h->rank, h->size);
    return hs_reject(h, why, whylen, text);
  }
  if (port > 65535) {
    snprintf(text, sizeof text, "hello from rank %u: listen port %u is over 65535", rank, port);
    return hs_reject(h, why, whylen, text);
  }
  if (memchr(p + 20, '\0', RT_HOST_MAX) == NULL) {
    snprintf(text, sizeof text, "hello from rank %u: its host field is not terminated", rank);
    return hs_reject(h, why, whylen, text);
  }
  memcpy(h->peer_listen.host, p + 20, RT_HOST_MAX);
  h->peer_listen.port = (uint16_t)port;
  memcpy(h->nonce_peer, p + 20 + RT_HOST_MAX, RT_HS_NONCE_LEN);
  h->peer = rank; /* claimed, not yet proven */
  put32(reply, HS_MAGIC_ACK);
  put32(reply + 4, HS_VERSION);
  put32(reply + 8, h->rank);
  put32(reply + 12, h->size);
  memcpy(reply + 16, h->nonce_mine, RT_HS_NONCE_LEN);
  hs_mac(h, 'A', h->nonce_peer, h->nonce_mine, rank, h->rank, reply + 16 + RT_HS_NONCE_LEN);
  *reply_len = RT_HS_ACK_LEN;
  h->state = RT_HS_WAIT_PROOF;
  return RT_HS_STEP;
}

/* Acceptor: the connector's PROOF. */
static int hs_proof(rt_hs *h, const uint8_t *p, char *why, size_t whylen) {
  uint8_t mac[RT_SHA256_LEN];
  hs_mac(h, 'C', h->nonce_peer, h->nonce_mine, h->peer, h->rank, mac);
  if (get32(p) != HS_MAGIC_PROOF || !rt_mac_equal(mac, p + 4, RT_SHA256_LEN)) {
    char text[120];
    snprintf(text, sizeof text, "claimed rank %u but failed the shared-secret proof", h->peer);
    h->peer = RT_NO_PEER;
    return hs_reject(h, why, whylen, text);
  }
  h->state = RT_HS_DONE;
  return RT_HS_AUTHENTICATED;
}

/* Connector: the acceptor's ACK; replies PROOF. */
static int hs_ack(rt_hs *h, const uint8_t *p, uint8_t *reply, size_t *reply_len, char *why,
                  size_t whylen) {
  char text[120];
  uint8_t mac[RT_SHA256_LEN];
  uint32_t rank = get32(p + 8);
  if (get32(p) != HS_MAGIC_ACK || get32(p + 4) != HS_VERSION || rank != h->peer ||
      get32(p + 12) != h->size) {
    snprintf(text, sizeof text, "bad handshake reply (expected rank %u)", h->peer);
    return hs_reject(h, why, whylen, text);
  }
  memcpy(h->nonce_peer, p + 16, RT_HS_NONCE_LEN);
  hs_mac(h, 'A', h->nonce_mine, h->nonce_peer, h->rank, rank, mac);
  if (!rt_mac_equal(mac, p + 16 + RT_HS_NONCE_LEN, RT_SHA256_LEN)) {
    snprintf(text, sizeof text, "rank %u failed the shared-secret proof", h->peer);
    return hs_reject(h, why, whylen, text);
  }
  put32(reply, HS_MAGIC_PROOF);
  hs_mac(h, 'C', h->nonce_mine, h->nonce_peer, h->rank, rank, reply + 4);
  *reply_len = RT_HS_PROOF_LEN;
  h->state = RT_HS_DONE;
  return RT_HS_AUTHENTICATED;
}

int rt_hs_feed(rt_hs *h, const uint8_t *p, size_t have, size_t *used, uint8_t *reply,
               size_t *reply_len, char *why, size_t whylen) {
  *used = 0;
  *reply_len = 0;
  size_t need;
  switch (h->state) {
  case RT_HS_WAIT_HELLO: need = RT_HS_HELLO_LEN; break;
  case RT_HS_WAIT_ACK: need = RT_HS_ACK_LEN; break;
  case RT_HS_WAIT_PROOF: need = RT_HS_PROOF_LEN; break;
  default: return hs_reject(h, why, whylen, "bytes after the handshake ended");
  }
  if (have < need) return RT_HS_MORE;
  int r;
  switch (h->state) {
  case RT_HS_WAIT_HELLO: r = hs_hello(h, p, reply, reply_len, why, whylen); break;
  case RT_HS_WAIT_ACK: r = hs_ack(h, p, reply, reply_len, why, whylen); break;
  default: r = hs_proof(h, p, why, whylen); break;
  }
  if (r != RT_HS_REJECT) *used = need;
  return r;
}
