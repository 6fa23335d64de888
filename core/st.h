/* st.h: what every core module shares: error codes, identifiers, the
 * staleness knob, and the allocator every core allocation goes through (so
 * a test can make the Nth allocation fail, as SQLite's test VFS does). No
 * I/O here. */
#ifndef ST_H
#define ST_H

#include <stddef.h>
#include <stdint.h>

/* Every error: name, value, description. One list makes the enum,
 * st_strerror and st_err_name, so they cannot drift apart (libuv's
 * UV_ERRNO_MAP habit). Errors are negative; 0 is success. */
#define ST_ERRNO_MAP(X)                                                             \
  X(ENOMEM, -1, "out of memory or capacity")                                        \
  X(EINVAL, -2, "invalid argument")                                                 \
  X(ENOTABLE, -3, "unknown table id")                                               \
  X(ERANGE, -4, "row or column index out of range")                                 \
  X(EEXIST, -5, "table id already defined")                                         \
  X(EFRAME, -6, "malformed frame (truncated or inconsistent lengths)")              \
  X(EMAGIC, -7, "frame does not start with the stale magic")                        \
  X(EVERSION, -8, "incompatible wire version")                                      \
  X(ETOOBIG, -9, "frame or payload over the size limit")                            \
  X(ETYPE, -10, "unknown message type")                                             \
  X(EPEER, -11, "message from a node that may not send it")                         \
  X(ESEND, -12, "backend failed to send")                                           \
  X(ESTATE, -13, "call not valid in the current state")                             \
  X(EPARSE, -14, "malformed text input")                                            \
  X(EIO, -15, "file input/output failed")                                           \
  X(ECLOSED, -16, "peer closed or stopped answering")

/* ST_WAIT is not an error but "the calling worker must block until the core
 * wakes it, then retry". */
enum {
  ST_OK = 0,
  ST_WAIT = 1,
#define ST_ERR_ENUM(name, value, text) ST_##name = value,
  ST_ERRNO_MAP(ST_ERR_ENUM)
#undef ST_ERR_ENUM
};

/* Returns a static, human-readable description of a code. */
const char *st_strerror(int err);
/* Returns the code's static name ("ST_ENOMEM"), or "ST_UNKNOWN". */
const char *st_err_name(int err);

/* Staleness bound: ST_STALENESS_INF makes reads never wait for freshness
 * (asynchronous); 0 is BSP. */
#define ST_STALENESS_INF UINT32_MAX

/* Clocks count completed clock() calls; 32 bits are plenty for any run. */
typedef uint32_t st_clock_t;

/* The core's allocator. Defaults to the C library's; a test replaces it to
 * inject failures. Functions have the C library's contracts. The table is
 * borrowed until replaced; NULL restores the default. Set it before any
 * core object exists and restore it after they are freed: memory must be
 * freed by the allocator that gave it. Not thread-safe to change. */
typedef struct st_allocator {
  void *(*malloc)(void *ctx, size_t n);
  void *(*calloc)(void *ctx, size_t count, size_t n);
  void *(*realloc)(void *ctx, void *p, size_t n);
  void (*free)(void *ctx, void *p);
  void *ctx;
} st_allocator;

void st_set_allocator(const st_allocator *a);
void *st_malloc(size_t n);
void *st_calloc(size_t count, size_t n);
void *st_realloc(void *p, size_t n);
void st_free(void *p);

#endif
