/* test_real_hs.c: the peers' handshake (real/rt_hs.c) driven as the pure
 * state machine it is: two sides exchanging bytes in memory, whole or one
 * byte at a time; a wrong secret, a replayed proof, and every malformed
 * HELLO field refused with a message that names what was wrong. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "rt_hs.h"

static const uint8_t secret[] = "cluster secret of the test";
static const uint8_t other[] = "another cluster's secret";

static void nonce(uint8_t out[RT_HS_NONCE_LEN], uint8_t seed) {
  for (int i = 0; i < RT_HS_NONCE_LEN; i++) out[i] = (uint8_t)(seed * 31 + i);
}

/* Feeds msg[0..len) to h, byte by byte if trickle; returns the result of
 * the call that consumed it and the reply it produced. */
static int feed_all(rt_hs *h, const uint8_t *msg, size_t len, int trickle, uint8_t *reply,
                    size_t *rlen, char *why) {
  size_t used = 0;
  if (trickle)
    for (size_t have = 1; have < len; have++) {
      ck_assert_int_eq(rt_hs_feed(h, msg, have, &used, reply, rlen, why, 200), RT_HS_MORE);
      ck_assert_uint_eq(used, 0);
    }
  int r = rt_hs_feed(h, msg, len, &used, reply, rlen, why, 200);
  if (r != RT_HS_REJECT) ck_assert_uint_eq(used, len);
  return r;
}

/* A full handshake between rank 3 (connector) and rank 1 (acceptor) of 4.
 * Returns what the acceptor finally said; why gets a reject reason. */
static int handshake(const uint8_t *conn_secret, size_t conn_len, int trickle, char *why) {
  rt_hs a, c;
  uint8_t na[RT_HS_NONCE_LEN], nc[RT_HS_NONCE_LEN], hello[RT_HS_HELLO_LEN];
  uint8_t ack[RT_HS_REPLY_MAX], proof[RT_HS_REPLY_MAX], none[RT_HS_REPLY_MAX];
  size_t ack_len, proof_len, none_len;
  nonce(na, 1);
  nonce(nc, 2);
  rt_hs_accept(&a, 1, 4, secret, sizeof secret, na);
  rt_hs_connect(&c, 3, 4, conn_secret, conn_len, nc, 1, "10.0.0.3", 7003, hello);
  ck_assert_int_eq(feed_all(&a, hello, sizeof hello, trickle, ack, &ack_len, why), RT_HS_STEP);
  ck_assert_uint_eq(ack_len, RT_HS_ACK_LEN);
  ck_assert_uint_eq(a.peer, 3);
  ck_assert_str_eq(a.peer_listen.host, "10.0.0.3");
  ck_assert_uint_eq(a.peer_listen.port, 7003);
  int rc = feed_all(&c, ack, ack_len, trickle, proof, &proof_len, why);
  if (rc == RT_HS_REJECT) return rc; /* the connector saw the acceptor's proof fail */
  ck_assert_int_eq(rc, RT_HS_AUTHENTICATED);
  ck_assert_uint_eq(proof_len, RT_HS_PROOF_LEN);
  rc = feed_all(&a, proof, proof_len, trickle, none, &none_len, why);
  ck_assert_uint_eq(none_len, 0);
  return rc;
}

START_TEST(both_sides_authenticate_whole_or_byte_by_byte) {
  char why[200] = "";
  ck_assert_int_eq(handshake(secret, sizeof secret, 0, why), RT_HS_AUTHENTICATED);
  ck_assert_int_eq(handshake(secret, sizeof secret, 1, why), RT_HS_AUTHENTICATED);
}
END_TEST

START_TEST(a_wrong_secret_is_refused_by_the_connector) {
  char why[200] = "";
  ck_assert_int_eq(handshake(other, sizeof other, 0, why), RT_HS_REJECT);
  ck_assert_ptr_nonnull(strstr(why, "rank 1 failed the shared-secret proof"));
}
END_TEST

/* A proof recorded on one connection does not open another (fresh nonces). */
START_TEST(a_replayed_proof_is_refused) {
  rt_hs a1, a2, c;
  uint8_t n1[RT_HS_NONCE_LEN], n2[RT_HS_NONCE_LEN], nc[RT_HS_NONCE_LEN], hello[RT_HS_HELLO_LEN];
  uint8_t ack[RT_HS_REPLY_MAX], proof[RT_HS_REPLY_MAX], r2[RT_HS_REPLY_MAX];
  size_t len, plen, used;
  char why[200];
  nonce(n1, 5);
  nonce(n2, 6);
  nonce(nc, 7);
  rt_hs_accept(&a1, 0, 2, secret, sizeof secret, n1);
  rt_hs_accept(&a2, 0, 2, secret, sizeof secret, n2);
  rt_hs_connect(&c, 1, 2, secret, sizeof secret, nc, 0, "h", 1, hello);
  ck_assert_int_eq(rt_hs_feed(&a1, hello, sizeof hello, &used, ack, &len, why, sizeof why), RT_HS_STEP);
  ck_assert_int_eq(rt_hs_feed(&c, ack, len, &used, proof, &plen, why, sizeof why), RT_HS_AUTHENTICATED);
  ck_assert_int_eq(rt_hs_feed(&a2, hello, sizeof hello, &used, r2, &len, why, sizeof why), RT_HS_STEP);
  ck_assert_int_eq(rt_hs_feed(&a2, proof, plen, &used, r2, &len, why, sizeof why), RT_HS_REJECT);
  ck_assert_ptr_nonnull(strstr(why, "claimed rank 1 but failed the shared-secret proof"));
  ck_assert_int_eq(a2.state, RT_HS_FAILED);
  ck_assert_uint_eq(a2.peer, RT_NO_PEER);
  /* A failed handshake stays failed. */
  ck_assert_int_eq(rt_hs_feed(&a2, proof, plen, &used, r2, &len, why, sizeof why), RT_HS_REJECT);
}
END_TEST

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

/* Each malformed HELLO field gets its own message, and nothing is answered. */
START_TEST(each_bad_hello_field_is_named) {
  struct {
    size_t off;
    uint32_t value; /* written as a u32 at off; UINT32_MAX at host: fill the host */
    const char *want;
  } cases[] = {
      {0, 0x12345678u, "not a stale handshake"},
      {4, 9, "handshake version 9, expected 1"},
      {12, 5, "hello for a world of 5 ranks; this is rank 1 of 4"},
      {8, 1, "hello from rank 1: only ranks above 1 and below 4 connect to this rank"},
      {8, 4, "hello from rank 4: only ranks above 1 and below 4"},
      {16, 70000, "hello from rank 3: listen port 70000 is over 65535"},
      {20, UINT32_MAX, "hello from rank 3: its host field is not terminated"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    rt_hs a, c;
    uint8_t na[RT_HS_NONCE_LEN], nc[RT_HS_NONCE_LEN], hello[RT_HS_HELLO_LEN], reply[RT_HS_REPLY_MAX];
    nonce(na, 1);
    nonce(nc, 2);
    rt_hs_accept(&a, 1, 4, secret, sizeof secret, na);
    rt_hs_connect(&c, 3, 4, secret, sizeof secret, nc, 1, "host", 9, hello);
    if (cases[i].value == UINT32_MAX)
      memset(hello + cases[i].off, 'x', RT_HOST_MAX);
    else
      put32(hello + cases[i].off, cases[i].value);
    size_t used = 99, rlen = 99;
    char why[200] = "";
    ck_assert_int_eq(rt_hs_feed(&a, hello, sizeof hello, &used, reply, &rlen, why, sizeof why),
                     RT_HS_REJECT);
    ck_assert_msg(strstr(why, cases[i].want), "case %zu: '%s', want '%s'", i, why, cases[i].want);
    ck_assert_uint_eq(rlen, 0);
    ck_assert_uint_eq(used, 0);
  }
}
END_TEST

START_TEST(a_long_listen_host_is_cut_and_terminated) {
  rt_hs a, c;
  uint8_t na[RT_HS_NONCE_LEN], nc[RT_HS_NONCE_LEN], hello[RT_HS_HELLO_LEN], reply[RT_HS_REPLY_MAX];
  char host[200];
  memset(host, 'h', sizeof host - 1);
  host[sizeof host - 1] = '\0';
  nonce(na, 1);
  nonce(nc, 2);
  rt_hs_accept(&a, 0, 2, secret, sizeof secret, na);
  rt_hs_connect(&c, 1, 2, secret, sizeof secret, nc, 0, host, 9, hello);
  size_t used, rlen;
  char why[200];
  ck_assert_int_eq(rt_hs_feed(&a, hello, sizeof hello, &used, reply, &rlen, why, sizeof why), RT_HS_STEP);
  ck_assert_uint_eq(strlen(a.peer_listen.host), RT_HOST_MAX - 1);
}
END_TEST

int main(void) {
  Suite *s = suite_create("real_hs");
  TCase *tc = tcase_create("handshake");
  tcase_add_test(tc, both_sides_authenticate_whole_or_byte_by_byte);
  tcase_add_test(tc, a_wrong_secret_is_refused_by_the_connector);
  tcase_add_test(tc, a_replayed_proof_is_refused);
  tcase_add_test(tc, each_bad_hello_field_is_named);
  tcase_add_test(tc, a_long_listen_host_is_cut_and_terminated);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
