/* tmr.c: see tmr.h. */
#include "tmr.h"

void tmr_init(tmr *t, uint8_t role) {
  t->gen = 0;
  t->role = role;
  t->armed = 0;
}

int tmr_arm(tmr *t, const st_backend *be, double delay) {
  uint64_t gen = (t->gen + 1) & TMR_GEN_MASK;
  int rc = be->ops->timer(be->ctx, delay, tmr_token(t->role, gen));
  if (rc) return rc;
  t->gen = gen;
  t->armed = 1;
  return 0;
}

int tmr_fired(tmr *t, uint64_t token) {
  if (!t->armed || tmr_token_role(token) != t->role || (token & TMR_GEN_MASK) != t->gen) return 0;
  t->armed = 0;
  return 1;
}
