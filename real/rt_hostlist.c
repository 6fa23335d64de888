/* rt_hostlist.c: see rt_hostlist.h. */
#include "rt_hostlist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "st.h"

#define HOST_MAX 255 /* longest host name (RFC 1035 limits a name to 253) */

void rt_hostlist_free(rt_hostlist *l) {
  for (uint32_t i = 0; i < l->n; i++) free(l->host[i]);
  free(l->host);
  l->host = NULL;
  l->n = 0;
}

static int add_host(rt_hostlist *l, uint32_t *cap, const char *h, size_t len) {
  if (l->n == *cap) {
    uint32_t nc = *cap ? 2 * *cap : 16;
    char **p = realloc(l->host, nc * sizeof *p);
    if (!p) return ST_ENOMEM;
    l->host = p;
    *cap = nc;
  }
  char *s = malloc(len + 1);
  if (!s) return ST_ENOMEM;
  memcpy(s, h, len);
  s[len] = '\0';
  l->host[l->n++] = s;
  return 0;
}

/* One number of a bracket: value and printed width (leading zeros). */
typedef struct num {
  unsigned long v;
  int width;
} num;

static int parse_num(const char *spec, const char **p, num *out, char *err, size_t errlen) {
  const char *s = *p;
  if (*s < '0' || *s > '9') {
    snprintf(err, errlen, "hostlist '%s': a number is expected at character %zu", spec,
             (size_t)(s - spec) + 1);
    return ST_EPARSE;
  }
  unsigned long v = 0;
  int w = 0;
  while (*s >= '0' && *s <= '9') {
    v = v * 10 + (unsigned long)(*s - '0');
    if (++w > 9) {
      snprintf(err, errlen, "hostlist '%s': the number at character %zu is too long", spec,
               (size_t)(*p - spec) + 1);
      return ST_EPARSE;
    }
    s++;
  }
  out->v = v;
  out->width = w;
  *p = s;
  return 0;
}

/* Expands item[0..len) (brackets balanced, no top-level comma) with the
 * text before it in prefix[0..plen), appending every host to l. */
static int expand_item(const char *spec, const char *item, size_t len, char *prefix, size_t plen,
                       rt_hostlist *l, uint32_t *cap, char *err, size_t errlen) {
  const char *open = memchr(item, '[', len);
  if (!open) {
    if (plen + len > HOST_MAX) {
      snprintf(err, errlen, "hostlist '%s': a host name is longer than %d characters", spec,
               HOST_MAX);
      return ST_EPARSE;
    }
    memcpy(prefix + plen, item, len);
    if (plen + len == 0) {
      snprintf(err, errlen, "hostlist '%s': an empty host name", spec);
      return ST_EPARSE;
    }
    if (l->n >= RT_HOSTLIST_MAX) {
      snprintf(err, errlen, "hostlist '%s': more than %u hosts", spec, RT_HOSTLIST_MAX);
      return ST_EPARSE;
    }
    return add_host(l, cap, prefix, plen + len);
  }
  size_t head = (size_t)(open - item);
  const char *close = memchr(open, ']', len - head);
  if (!close) {
    snprintf(err, errlen, "hostlist '%s': '[' at character %zu is not closed", spec,
             (size_t)(open - spec) + 1);
    return ST_EPARSE;
  }
  if (plen + head > HOST_MAX) {
    snprintf(err, errlen, "hostlist '%s': a host name is longer than %d characters", spec,
             HOST_MAX);
    return ST_EPARSE;
  }
  memcpy(prefix + plen, item, head);
  const char *rest = close + 1;
  size_t restlen = len - (size_t)(rest - item);
  const char *p = open + 1;
  if (p == close) {
    snprintf(err, errlen, "hostlist '%s': empty brackets at character %zu", spec,
             (size_t)(open - spec) + 1);
    return ST_EPARSE;
  }
  while (p < close) {
    num a, b;
    int rc = parse_num(spec, &p, &a, err, errlen);
    if (rc) return rc;
    b = a;
    if (*p == '-') {
      p++;
      if ((rc = parse_num(spec, &p, &b, err, errlen))) return rc;
      if (b.v < a.v) {
        snprintf(err, errlen, "hostlist '%s': range %lu-%lu runs backwards", spec, a.v, b.v);
        return ST_EPARSE;
      }
    }
    if (p != close && *p != ',') {
      snprintf(err, errlen, "hostlist '%s': unexpected '%c' at character %zu", spec, *p,
               (size_t)(p - spec) + 1);
      return ST_EPARSE;
    }
    if (*p == ',') {
      p++;
      if (p == close) {
        snprintf(err, errlen, "hostlist '%s': a ',' before ']' at character %zu", spec,
                 (size_t)(p - spec) + 1);
        return ST_EPARSE;
      }
    }
    if (b.v - a.v >= RT_HOSTLIST_MAX) {
      snprintf(err, errlen, "hostlist '%s': more than %u hosts", spec, RT_HOSTLIST_MAX);
      return ST_EPARSE;
    }
    /* Slurm pads to the width the range was written with. */
    int width = a.width;
    for (unsigned long v = a.v; v <= b.v; v++) {
      char digits[16];
      int k = snprintf(digits, sizeof digits, "%0*lu", width, v);
      if (plen + head + (size_t)k > HOST_MAX) {
        snprintf(err, errlen, "hostlist '%s': a host name is longer than %d characters", spec,
                 HOST_MAX);
        return ST_EPARSE;
      }
      memcpy(prefix + plen + head, digits, (size_t)k);
      rc = expand_item(spec, rest, restlen, prefix, plen + head + (size_t)k, l, cap, err, errlen);
      if (rc) return rc;
    }
  }
  return 0;
}

int rt_hostlist_expand(const char *spec, rt_hostlist *out, char *err, size_t errlen) {
  out->host = NULL;
  out->n = 0;
  if (!spec || !*spec) {
    snprintf(err, errlen, "hostlist is empty");
    return ST_EPARSE;
  }
  uint32_t cap = 0;
  char prefix[HOST_MAX + 16];
  const char *item = spec;
  int depth = 0, rc = 0;
  for (const char *p = spec;; p++) {
    if (*p == '[') {
      if (depth++) {
        snprintf(err, errlen, "hostlist '%s': nested '[' at character %zu", spec,
                 (size_t)(p - spec) + 1);
        rc = ST_EPARSE;
        break;
      }
    } else if (*p == ']') {
      if (!depth--) {
        snprintf(err, errlen, "hostlist '%s': ']' at character %zu has no '['", spec,
                 (size_t)(p - spec) + 1);
        rc = ST_EPARSE;
        break;
      }
    } else if (*p == ' ' || *p == '\t' || *p == '\n') {
      snprintf(err, errlen, "hostlist '%s': white space at character %zu", spec,
               (size_t)(p - spec) + 1);
      rc = ST_EPARSE;
      break;
    }
    if ((*p == ',' && depth == 0) || *p == '\0') {
      if (depth) {
        snprintf(err, errlen, "hostlist '%s': '[' is not closed", spec);
        rc = ST_EPARSE;
        break;
      }
      if (p == item) {
        snprintf(err, errlen, "hostlist '%s': an empty host name at character %zu", spec,
                 (size_t)(p - spec) + 1);
        rc = ST_EPARSE;
        break;
      }
      rc = expand_item(spec, item, (size_t)(p - item), prefix, 0, out, &cap, err, errlen);
      if (rc || *p == '\0') break;
      item = p + 1;
    }
  }
  if (rc) rt_hostlist_free(out);
  return rc;
}
