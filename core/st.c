/* st.c: names of the shared error codes. */
#include "st.h"

const char *st_strerror(int err) {
  switch (err) {
  case ST_OK: return "success";
  case ST_WAIT: return "must wait: block until woken, then retry";
  case ST_ENOMEM: return "out of memory or capacity";
  case ST_EINVAL: return "invalid argument";
  case ST_ENOTABLE: return "unknown table id";
  case ST_ERANGE: return "row or column index out of range";
  case ST_EEXIST: return "table id already defined";
  case ST_EFRAME: return "malformed frame (truncated or inconsistent lengths)";
  case ST_EMAGIC: return "frame does not start with the stale magic";
  case ST_EVERSION: return "incompatible wire version";
  case ST_ETOOBIG: return "frame or payload over the size limit";
  case ST_ETYPE: return "unknown message type";
  case ST_EPEER: return "message from a node that may not send it";
  case ST_ESEND: return "backend failed to send";
  case ST_ESTATE: return "call not valid in the current state";
  case ST_EPARSE: return "malformed text input";
  default: return "unknown error";
  }
}
