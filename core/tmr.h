/* tmr.h: one-shot timers of the core's roles, armed through the backend's
 * timer op. A token names the role it belongs to (top 8 bits) and the
 * role's generation (the rest): re-arming bumps the generation, so a timer
 * that fires after it was superseded is recognised and ignored, and no
 * cancel op is needed (Redis's ae keeps ids for the same reason). A tmr is
 * a plain value inside its role's state; it owns nothing. */
#ifndef TMR_H
#define TMR_H

#include "backend.h"

enum { TMR_ROLE_CLIENT = 1, TMR_ROLE_SERVER = 2, TMR_ROLE_SCHED = 3 };
#define TMR_GEN_BITS 56
#define TMR_GEN_MASK ((UINT64_C(1) << TMR_GEN_BITS) - 1)

typedef struct tmr {
  uint64_t gen;  /* generation of the last arming */
  uint8_t role;  /* TMR_ROLE_* */
  uint8_t armed; /* the last arming has not fired yet */
} tmr;

static inline uint64_t tmr_token(uint8_t role, uint64_t gen) {
  return (uint64_t)role << TMR_GEN_BITS | (gen & TMR_GEN_MASK);
}
static inline uint8_t tmr_token_role(uint64_t token) { return (uint8_t)(token >> TMR_GEN_BITS); }

/* A disarmed timer of role. */
void tmr_init(tmr *t, uint8_t role);
/* Arms t to fire after delay seconds (be borrowed), superseding any earlier
 * arming. 0, or the backend's error (t is left as it was then). */
int tmr_arm(tmr *t, const st_backend *be, double delay);
/* A token of t's role fired: 1 if it is t's live arming (t is disarmed),
 * 0 if it is late (superseded, or already fired). */
int tmr_fired(tmr *t, uint64_t token);

#endif
