/* rt_addr.c: addresses: "host:port" text, resolution on the loop, printing a
 * peer's socket address. */
#include "rt_net_int.h"

int rt_addr_parse(const char *s, rt_addr *out) {
  const char *colon = s ? strrchr(s, ':') : NULL;
  if (!colon || colon == s || (size_t)(colon - s) >= RT_HOST_MAX)
    return ST_EPARSE;
  char *end;
  unsigned long port = strtoul(colon + 1, &end, 10);
  if (colon[1] == '\0' || *end != '\0' || port > 65535)
    return ST_EPARSE;
  size_t hl = (size_t)(colon - s);
  /* Accept [v6]:port. */
  if (s[0] == '[' && hl >= 2 && s[hl - 1] == ']') {
    memcpy(out->host, s + 1, hl - 2);
    out->host[hl - 2] = '\0';
  } else {
    memcpy(out->host, s, hl);
    out->host[hl] = '\0';
  }
  out->port = (uint16_t)port;
  return 0;
}

/* A numeric address as is, or a host name resolved on loop (synchronously:
 * libuv needs the loop even then). */
int net_resolve(uv_loop_t *loop, const rt_addr *a, struct sockaddr_storage *ss) {
  if (uv_ip4_addr(a->host, a->port, (struct sockaddr_in *)ss) == 0)
    return 0;
  if (uv_ip6_addr(a->host, a->port, (struct sockaddr_in6 *)ss) == 0)
    return 0;
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  uv_getaddrinfo_t req;
  char port[8];
  snprintf(port, sizeof port, "%u", a->port);
  int r = uv_getaddrinfo(loop, &req, NULL, a->host, port, &hints);
  if (r != 0)
    return r;
  res = req.addrinfo;
  if (!res) {
    return UV_EAI_NONAME;
  }
  memcpy(ss, res->ai_addr, res->ai_addrlen);
  uv_freeaddrinfo(res);
  return 0;
}

void net_sockaddr_text(const struct sockaddr_storage *ss, char *out, size_t len) {
  char ip[64] = "?";
  int port = 0;
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
    uv_ip4_name(s4, ip, sizeof ip);
    port = ntohs(s4->sin_port);
  } else if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
    uv_ip6_name(s6, ip, sizeof ip);
    port = ntohs(s6->sin6_port);
  }
  snprintf(out, len, "%s:%d", ip, port);
}
