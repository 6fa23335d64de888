/* st.h: what every core module shares: error codes, identifiers, the
 * staleness knob. Errors are negative ints; st_strerror() names them.
 * Nothing here allocates or performs I/O. */
#ifndef ST_H
#define ST_H

#include <stddef.h>
#include <stdint.h>

/* Error codes. 0 is success; ST_WAIT is not an error but "the calling worker
 * must block until the core wakes it, then retry". */
enum {
  ST_OK = 0,
  ST_WAIT = 1,
  ST_ENOMEM = -1,   /* allocation failed */
  ST_EINVAL = -2,   /* bad argument (zero-width row, bad id, ...) */
  ST_ENOTABLE = -3, /* unknown table id */
  ST_ERANGE = -4,   /* row or column index out of range */
  ST_EEXIST = -5,   /* table id already defined */
  ST_EFRAME = -6,   /* malformed frame: truncated, inconsistent lengths */
  ST_EMAGIC = -7,   /* frame does not start with the stale magic */
  ST_EVERSION = -8, /* frame from an incompatible wire version */
  ST_ETOOBIG = -9,  /* frame or payload over the size limit */
  ST_ETYPE = -10,   /* unknown message type */
  ST_EPEER = -11,   /* message from a node that may not send it */
  ST_ESEND = -12,   /* the backend failed to send */
  ST_ESTATE = -13,  /* call not valid in the current state */
  ST_EPARSE = -14   /* malformed text input (data, command line) */
};

/* Returns a static, human-readable description of an error code. */
const char *st_strerror(int err);

/* Staleness bound: ST_STALENESS_INF makes reads never wait for freshness
 * (asynchronous); 0 is BSP. */
#define ST_STALENESS_INF UINT32_MAX

/* Clocks count completed clock() calls; 32 bits are plenty for any run. */
typedef uint32_t st_clock_t;

#endif
