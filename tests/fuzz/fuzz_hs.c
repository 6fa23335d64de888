/* fuzz_hs.c: the peers' handshake (real/rt_hs) on untrusted bytes, from both
 * sides: an acceptor fed the input as what a connector sent, and a
 * connector fed it as what the acceptor answered. The input is fed in
 * pieces whose sizes come from its first byte, so partial messages are
 * exercised too. Checks: the machine consumes only what it was given,
 * replies fit their buffer, a refusal has a reason, and bytes that are not
 * a proof never authenticate. */
#include "fuzz.h"
#include "rt_hs.h"

static const uint8_t SECRET[] = "fuzz-secret";

static void drive(rt_hs *h, const uint8_t *p, size_t n, size_t step) {
  size_t off = 0, have = 0;
  while (off < n) {
    have = have + step < n - off ? have + step : n - off;
    size_t used = 0, rlen = 0;
    uint8_t reply[RT_HS_REPLY_MAX];
    char why[200];
    why[0] = '\0';
    int r = rt_hs_feed(h, p + off, have, &used, reply, &rlen, why, sizeof why);
    FUZZ_CHECK(used <= have && rlen <= sizeof reply);
    /* Without the secret's MAC the input cannot prove anything. */
    FUZZ_CHECK(r != RT_HS_AUTHENTICATED);
    if (r == RT_HS_REJECT) {
      FUZZ_CHECK(why[0] != '\0' && memchr(why, '\0', sizeof why));
      FUZZ_CHECK(h->state == RT_HS_FAILED);
      return;
    }
    if (r == RT_HS_MORE) {
      FUZZ_CHECK(used == 0);
      if (off + have >= n) return; /* all given, more needed */
      continue;
    }
    off += used;
    have -= used;
    if (h->state == RT_HS_DONE) return;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t step = 1 + data[0] % 97;
  uint8_t nonce[RT_HS_NONCE_LEN] = {1, 2, 3};
  rt_hs a;
  rt_hs_accept(&a, 0, 4, SECRET, sizeof SECRET - 1, nonce);
  drive(&a, data + 1, size - 1, step);
  rt_hs c;
  uint8_t hello[RT_HS_HELLO_LEN];
  rt_hs_connect(&c, 2, 4, SECRET, sizeof SECRET - 1, nonce, 0, "127.0.0.1", 7000, hello);
  drive(&c, data + 1, size - 1, step);
  return 0;
}
