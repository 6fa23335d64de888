/* test_real_sha256.c: SHA-256 against FIPS 180-4 examples and HMAC-SHA-256
 * against the RFC 4231 test vectors (cases 1-4, 6, 7). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_sha256.h"

static void hex(const uint8_t *d, size_t n, char *out) {
  for (size_t i = 0; i < n; i++)
    sprintf(out + 2 * i, "%02x", d[i]);
}

static void check_sha(const char *msg, const char *want) {
  uint8_t d[32];
  char h[65];
  rt_sha256(msg, strlen(msg), d);
  hex(d, 32, h);
  ck_assert_str_eq(h, want);
}

START_TEST(sha256_fips_examples) {
  check_sha("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  check_sha("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  check_sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}
END_TEST

/* Feeding bytes in odd-sized pieces must give the one-shot digest: the
 * block buffering is where hand-written hashes usually go wrong. */
START_TEST(sha256_incremental_matches_oneshot) {
  uint8_t buf[1000], a[32], b[32];
  for (size_t i = 0; i < sizeof buf; i++)
    buf[i] = (uint8_t)(i * 31 + 7);
  for (size_t n = 0; n <= sizeof buf; n += 37) {
    rt_sha256(buf, n, a);
    rt_sha256_ctx s;
    rt_sha256_init(&s);
    size_t off = 0, step = 1;
    while (off < n) {
      size_t take = step < n - off ? step : n - off;
      rt_sha256_update(&s, buf + off, take);
      off += take;
      step = step * 3 % 71 + 1;
    }
    rt_sha256_final(&s, b);
    ck_assert_mem_eq(a, b, 32);
  }
}
END_TEST

static void check_hmac(const uint8_t *key, size_t klen, const uint8_t *data, size_t dlen,
                       const char *want) {
  uint8_t d[32];
  char h[65];
  rt_hmac_sha256(key, klen, data, dlen, d);
  hex(d, 32, h);
  ck_assert_str_eq(h, want);
}

START_TEST(hmac_rfc4231) {
  uint8_t k[131], dt[50];
  memset(k, 0x0b, 20);
  check_hmac(k, 20, (const uint8_t *)"Hi There", 8,
             "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  check_hmac((const uint8_t *)"Jefe", 4, (const uint8_t *)"what do ya want for nothing?", 28,
             "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  memset(k, 0xaa, 20);
  memset(dt, 0xdd, 50);
  check_hmac(k, 20, dt, 50, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  for (int i = 0; i < 25; i++)
    k[i] = (uint8_t)(i + 1);
  memset(dt, 0xcd, 50);
  check_hmac(k, 25, dt, 50, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
  memset(k, 0xaa, 131);
  const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
  check_hmac(k, 131, (const uint8_t *)m6, strlen(m6),
             "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  const char *m7 = "This is a test using a larger than block-size key and a larger than "
                   "block-size data. The key needs to be hashed before being used by the "
                   "HMAC algorithm.";
  check_hmac(k, 131, (const uint8_t *)m7, strlen(m7),
             "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}
END_TEST

START_TEST(mac_equal_detects_any_difference) {
  uint8_t a[32], b[32];
  memset(a, 5, 32);
  memcpy(b, a, 32);
  ck_assert_int_eq(rt_mac_equal(a, b, 32), 1);
  for (int i = 0; i < 32; i++) {
    b[i] ^= 1;
    ck_assert_int_eq(rt_mac_equal(a, b, 32), 0);
    b[i] ^= 1;
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("real_sha256");
  TCase *tc = tcase_create("all");
  tcase_add_test(tc, sha256_fips_examples);
  tcase_add_test(tc, sha256_incremental_matches_oneshot);
  tcase_add_test(tc, hmac_rfc4231);
  tcase_add_test(tc, mac_equal_detects_any_difference);
  suite_add_tcase(s, tc);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int failed = srunner_ntests_failed(r);
  srunner_free(r);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
