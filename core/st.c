/* st.c: names of the shared error codes, and the allocator hook. */
#include "st.h"

#include <stdlib.h>

const char *st_strerror(int err) {
  switch (err) {
  case ST_OK: return "success";
  case ST_WAIT: return "must wait: block until woken, then retry";
#define ST_ERR_TEXT(name, value, text) \
  case ST_##name: return text;
    ST_ERRNO_MAP(ST_ERR_TEXT)
#undef ST_ERR_TEXT
  default: return "unknown error";
  }
}

const char *st_err_name(int err) {
  switch (err) {
  case ST_OK: return "ST_OK";
  case ST_WAIT: return "ST_WAIT";
#define ST_ERR_NAME(name, value, text) \
  case ST_##name: return "ST_" #name;
    ST_ERRNO_MAP(ST_ERR_NAME)
#undef ST_ERR_NAME
  default: return "ST_UNKNOWN";
  }
}

static const st_allocator *st_alloc;

void st_set_allocator(const st_allocator *a) { st_alloc = a; }

void *st_malloc(size_t n) { return st_alloc ? st_alloc->malloc(st_alloc->ctx, n) : malloc(n); }

void *st_calloc(size_t count, size_t n) {
  return st_alloc ? st_alloc->calloc(st_alloc->ctx, count, n) : calloc(count, n);
}

void *st_realloc(void *p, size_t n) {
  return st_alloc ? st_alloc->realloc(st_alloc->ctx, p, n) : realloc(p, n);
}

void st_free(void *p) {
  if (st_alloc)
    st_alloc->free(st_alloc->ctx, p);
  else
    free(p);
}
