/* test_port.h: a loopback port for a test's ranks to listen on, shared by
 * the real-runtime tests. Include after <check.h>. */
#ifndef TEST_PORT_H
#define TEST_PORT_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

/* A port on 127.0.0.1 that nothing else uses, held until the caller closes
 * *fd. The kernel picks it (bind to port 0), so it is never one another
 * socket holds, TIME_WAIT included: a port made up from the pid can be an
 * earlier connection's source port, still in TIME_WAIT for 60 s, and then
 * the rank that must listen there fails with "address already in use". The
 * held socket is bound, not listening, with SO_REUSEADDR, so the rank can
 * still bind and listen there (libuv sets SO_REUSEADDR too), while no
 * connect() elsewhere is given the port as its source in the meantime. */
static inline uint16_t test_reserve_port(int *fd) {
  *fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ck_assert_int_ge(*fd, 0);
  int one = 1;
  ck_assert_int_eq(setsockopt(*fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  ck_assert_int_eq(bind(*fd, (struct sockaddr *)&a, sizeof a), 0);
  socklen_t len = sizeof a;
  ck_assert_int_eq(getsockname(*fd, (struct sockaddr *)&a, &len), 0);
  return ntohs(a.sin_port);
}

#endif
