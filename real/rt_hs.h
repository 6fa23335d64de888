/* rt_hs.h: the peers' handshake as a pure state machine fed bytes: no
 * sockets, no loop, no clock, so tests and fuzzers drive it directly and the
 * transport (rt_net.c) only moves its bytes.
 *
 * The connector (the higher rank) sends HELLO (its rank, the world size,
 * where it listens, a nonce); the acceptor answers ACK (its rank, its nonce
 * and an HMAC proving it holds the cluster secret); the connector answers
 * PROOF (its own HMAC). Both MACs cover a role label, both nonces, both
 * ranks and the world size, so a proof for one pair cannot be replayed on
 * another. An rt_hs borrows the secret; it owns nothing else. */
#ifndef RT_HS_H
#define RT_HS_H

#include <stddef.h>
#include <stdint.h>

#include "rt_net.h"
#include "rt_sha256.h"

#define RT_HS_NONCE_LEN 32
/* HELLO: magic, version, rank, size, listen port, host[RT_HOST_MAX], nonce */
#define RT_HS_HELLO_LEN (5 * 4 + RT_HOST_MAX + RT_HS_NONCE_LEN)
/* ACK: magic, version, rank, size, nonce, mac */
#define RT_HS_ACK_LEN (4 * 4 + RT_HS_NONCE_LEN + RT_SHA256_LEN)
/* PROOF: magic, mac */
#define RT_HS_PROOF_LEN (4 + RT_SHA256_LEN)
#define RT_HS_REPLY_MAX RT_HS_ACK_LEN

enum rt_hs_state { RT_HS_WAIT_HELLO = 1, RT_HS_WAIT_ACK, RT_HS_WAIT_PROOF, RT_HS_DONE, RT_HS_FAILED };

/* What rt_hs_feed says. */
enum rt_hs_result {
  RT_HS_MORE = 0,   /* nothing consumed: more bytes are needed */
  RT_HS_STEP,       /* a message consumed (a reply may be due); feed the rest */
  RT_HS_AUTHENTICATED, /* the peer is proven (a reply may be due) */
  RT_HS_REJECT      /* the peer is refused; why says what was wrong */
};

typedef struct rt_hs {
  int state;
  uint32_t rank, size;   /* this node */
  const uint8_t *secret; /* borrowed */
  size_t secret_len;
  uint32_t peer; /* dialled, or claimed by a HELLO (proven once authenticated) */
  uint8_t nonce_mine[RT_HS_NONCE_LEN], nonce_peer[RT_HS_NONCE_LEN];
  rt_addr peer_listen; /* acceptor: where the HELLO says the peer listens */
} rt_hs;

/* Acceptor side: waits for a HELLO. nonce is this side's fresh random. */
void rt_hs_accept(rt_hs *h, uint32_t rank, uint32_t size, const uint8_t *secret,
                  size_t secret_len, const uint8_t nonce[RT_HS_NONCE_LEN]);
/* Connector side: writes the HELLO to peer into out[RT_HS_HELLO_LEN] and
 * waits for its ACK. listen_host (borrowed) and port say where this node
 * listens; a host longer than RT_HOST_MAX - 1 is cut. */
void rt_hs_connect(rt_hs *h, uint32_t rank, uint32_t size, const uint8_t *secret,
                   size_t secret_len, const uint8_t nonce[RT_HS_NONCE_LEN], uint32_t peer,
                   const char *listen_host, uint16_t port, uint8_t out[RT_HS_HELLO_LEN]);
/* Feeds p[0..have) (borrowed). Sets *used to the bytes consumed and
 * *reply_len to the bytes of reply[RT_HS_REPLY_MAX] to send (0: none), and
 * returns an rt_hs_result; on RT_HS_REJECT, why[0..whylen) says what was
 * wrong (the state is then RT_HS_FAILED and stays so). */
int rt_hs_feed(rt_hs *h, const uint8_t *p, size_t have, size_t *used, uint8_t *reply,
               size_t *reply_len, char *why, size_t whylen);

#endif
