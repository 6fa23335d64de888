/* rt_launch.c: `stale launch`, which starts every rank of a cluster and
 * waits for them: --local N runs N processes of this same program on this
 * machine (coordinator on 127.0.0.1, a fresh random secret unless
 * STALE_SECRET is set); --hostfile FILE starts rank i over ssh on line i's
 * host, passing the secret on ssh's standard input, never on a command line.
 * Owns the child processes; their output goes to ours. If one rank fails
 * the others are expected to stop by themselves (they lose a peer); any
 * still running 15 s later are terminated. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "app.h"
#include "rt.h"
#include "rt_opt.h"
#include "runopt.h"
#include "st.h"

/* Ranks still running this long after one failed are stopped: each rank
 * stops on its own within 10 s of losing a peer, and one that never joined
 * would otherwise wait out its connect timeout. */
#define KILL_AFTER_MS 5000

typedef struct child {
  uv_process_t proc;
  uv_pipe_t in; /* ssh: carries the secret */
  uv_write_t wreq;
  uv_buf_t wbuf;
  int use_pipe, running;
  int64_t status;
  int signal;
  struct launch *l;
  uint32_t rank;
} child;

typedef struct launch {
  uv_loop_t loop;
  uv_timer_t killer;
  int killer_open;
  uv_tcp_t probe; /* --local: holds the coordinator's port (reserve_port) */
  int probe_open;
  uv_signal_t sig_int, sig_term; /* passed on to every rank */
  int sigs_open;
  child *kids;
  uint32_t n, running;
  int failed;
} launch;

static void closed_noop(uv_handle_t *h) { (void)h; }

static void on_kill_timer(uv_timer_t *t);

/* Every rank has ended: the loop may finish. */
static void close_launch_handles(launch *l) {
  if (l->killer_open)
    uv_close((uv_handle_t *)&l->killer, closed_noop);
  if (l->probe_open)
    uv_close((uv_handle_t *)&l->probe, closed_noop);
  if (l->sigs_open) {
    uv_close((uv_handle_t *)&l->sig_int, closed_noop);
    uv_close((uv_handle_t *)&l->sig_term, closed_noop);
  }
  l->killer_open = l->probe_open = l->sigs_open = 0;
}

/* The launcher was told to stop (Ctrl-C, a batch system's SIGTERM): the
 * ranks must stop too, or they would run on without anyone waiting. */
static void on_stop_signal(uv_signal_t *s, int signum) {
  launch *l = s->data;
  fprintf(stderr, "stale launch: got signal %d: stopping every rank\n", signum);
  l->failed = 1;
  for (uint32_t i = 0; i < l->n; i++)
    if (l->kids[i].running)
      uv_process_kill(&l->kids[i].proc, SIGTERM);
}

static void on_exit_cb(uv_process_t *p, int64_t status, int sig) {
  child *c = p->data;
  launch *l = c->l;
  c->status = status;
  c->signal = sig;
  c->running = 0;
  l->running--;
  if (status != 0 || sig != 0) {
    if (sig)
      fprintf(stderr, "stale launch: rank %u died of signal %d\n", c->rank, sig);
    else
      fprintf(stderr, "stale launch: rank %u exited with status %d\n", c->rank, (int)status);
    if (!l->failed && l->running > 0)
      uv_timer_start(&l->killer, on_kill_timer, KILL_AFTER_MS, 0);
    l->failed = 1;
  }
  uv_close((uv_handle_t *)p, closed_noop);
  if (c->use_pipe && !uv_is_closing((uv_handle_t *)&c->in))
    uv_close((uv_handle_t *)&c->in, closed_noop);
  if (l->running == 0)
    close_launch_handles(l);
}

static void on_kill_timer(uv_timer_t *t) {
  launch *l = t->data;
  for (uint32_t i = 0; i < l->n; i++)
    if (l->kids[i].running) {
      fprintf(stderr, "stale launch: rank %u still running %d s after a failure: terminating\n",
              i, KILL_AFTER_MS / 1000);
      uv_process_kill(&l->kids[i].proc, SIGTERM);
    }
}

static void wrote_secret(uv_write_t *w, int status) {
  child *c = w->data;
  (void)status;
  uv_close((uv_handle_t *)&c->in, closed_noop);
}

/* s quoted for a POSIX shell: ssh joins its arguments with spaces and the
 * remote shell splits them again, so each must come through as one word.
 * Returns a malloc'd string (the caller frees it) or NULL. */
static char *sh_quote(const char *s) {
  if (*s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:=,@%+-") ==
                strlen(s))
    return strdup(s);
  size_t n = 3;
  for (const char *p = s; *p; p++) n += *p == '\'' ? 4 : 1;
  char *q = malloc(n), *o = q;
  if (!q) return NULL;
  *o++ = '\'';
  for (const char *p = s; *p; p++) {
    if (*p == '\'') {
      memcpy(o, "'\\''", 4); /* close, escaped quote, reopen */
      o += 4;
    } else {
      *o++ = *p;
    }
  }
  *o++ = '\'';
  *o = '\0';
  return q;
}

/* Parses, here and once, the options every rank will get (as rank 0 would,
 * with a stand-in coordinator and secret when the real ones come later),
 * so that a typo is one error before anything starts, not one per rank.
 * pass is borrowed. 0, or ST_EPARSE with the message in err. */
static int check_rank_options(char **pass, int npass, uint32_t local, const char *hostfile,
                              uint32_t n, char *err, size_t errlen) {
  char size_s[16];
  snprintf(size_s, sizeof size_s, "%u", n);
  char **argv = calloc((size_t)npass + 8, sizeof *argv);
  if (!argv) {
    snprintf(err, errlen, "out of memory");
    return ST_ENOMEM;
  }
  int k = 0;
  argv[k++] = "run";
  argv[k++] = "--rank";
  argv[k++] = "0";
  argv[k++] = local ? "--world-size" : "--hostfile";
  argv[k++] = local ? size_s : (char *)hostfile;
  if (local) {
    argv[k++] = "--coordinator";
    argv[k++] = "127.0.0.1:1";
  }
  for (int j = 0; j < npass; j++)
    argv[k++] = pass[j];
  int stand_in = !getenv("STALE_SECRET");
  if (stand_in)
    setenv("STALE_SECRET", "stand-in", 1);
  rt_opt o;
  int rc = rt_opt_parse(&o, k, argv, err, errlen);
  if (rc == 0 && !o.run.help && !app_find(o.run.app)) {
    snprintf(err, errlen, "--app: unknown app '%s'", o.run.app);
    rc = ST_EPARSE;
  }
  rt_opt_free(&o);
  if (stand_in)
    unsetenv("STALE_SECRET");
  free(argv);
  return rc;
}

/* Frees words[0..n) (NULL entries skipped) and the array. */
static void free_words(char **words, int n) {
  for (int i = 0; words && i < n; i++)
    free(words[i]);
  free(words);
}

/* Hex of 32 random bytes: a fresh secret for a local cluster. */
static int fresh_secret(char out[65]) {
  uint8_t b[32];
  if (uv_random(NULL, NULL, b, sizeof b, 0, NULL) != 0)
    return ST_EINVAL;
  for (int i = 0; i < 32; i++)
    snprintf(out + 2 * i, 3, "%02x", b[i]);
  return 0;
}

/* Binds t (on loop) to 127.0.0.1:0 and leaves it bound, not listening,
 * until the caller closes it: while it is bound the kernel gives that port
 * to no other bind(0) or connect() (ranks 1..N-1 bind port 0 while rank 0
 * is still starting), yet rank 0 can bind and listen there, both sockets
 * having SO_REUSEADDR (libuv sets it). Closing the probe before rank 0
 * binds would leave the port free for anyone to take in between. */
static int reserve_port(uv_loop_t *loop, uv_tcp_t *t, uint16_t *port) {
  struct sockaddr_in a;
  int len = sizeof a;
  uv_tcp_init(loop, t);
  uv_ip4_addr("127.0.0.1", 0, &a);
  int rc = uv_tcp_bind(t, (struct sockaddr *)&a, 0);
  if (rc == 0)
    rc = uv_tcp_getsockname(t, (struct sockaddr *)&a, &len);
  *port = ntohs(a.sin_port);
  return rc;
}

static void usage(FILE *f) {
  fprintf(f, "usage: stale launch (--local N | --hostfile FILE) [--remote-exe PATH]\n"
             "                    [--ssh CMD] [stale run options...]\n"
             "Starts every rank of a cluster and waits for them; exits non-zero if any\n"
             "rank fails. --local N: N processes on this machine, coordinator on 127.0.0.1,\n"
             "a fresh secret unless STALE_SECRET is set. --hostfile FILE: rank i runs on\n"
             "line i's host over ssh (FILE must be at the same path there; the program at\n"
             "--remote-exe, default this program's path); the secret (STALE_SECRET or\n"
             "--secret-file) is written to ssh's standard input. --ssh CMD: the ssh\n"
             "command, options included (e.g. \"ssh -p 2222\"; split on blanks); the\n"
             "remote command line is quoted for the remote shell. Paths go as given, so\n"
             "relative ones resolve in the remote login directory.\n"
             "The remaining options are passed to every `stale run`. SIGINT or SIGTERM\n"
             "stops every rank; the others are stopped 5 s after one fails.\n");
}

int rt_launch_main(int argc, char **argv) {
  /* A rank's ssh that dies before reading the secret must be an error on
   * that pipe, not the launcher's silent death. */
  signal(SIGPIPE, SIG_IGN);
  uint32_t local = 0;
  const char *hostfile = NULL, *remote_exe = NULL, *ssh = "ssh", *secret_file = NULL, *v;
  char err[512];
  char **pass = calloc((size_t)argc + 1, sizeof *pass);
  int npass = 0;
  if (!pass)
    return 1;
  for (int i = 1; i < argc;) {
    int rc;
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      usage(stdout);
      free(pass);
      return 0;
    }
    if ((rc = runopt_take(argc, argv, &i, "--local", &v, err, sizeof err)) != 0) {
      if (rc < 0 || runopt_u32("--local", v, 1, 4096, &local, err, sizeof err) != 0)
        goto bad;
      continue;
    }
    if ((rc = runopt_take(argc, argv, &i, "--hostfile", &v, err, sizeof err)) != 0) {
      if (rc < 0)
        goto bad;
      hostfile = v;
      continue;
    }
    if ((rc = runopt_take(argc, argv, &i, "--remote-exe", &v, err, sizeof err)) != 0) {
      if (rc < 0)
        goto bad;
      remote_exe = v;
      continue;
    }
    if ((rc = runopt_take(argc, argv, &i, "--ssh", &v, err, sizeof err)) != 0) {
      if (rc < 0)
        goto bad;
      if (strspn(v, " \t") == strlen(v)) {
        snprintf(err, sizeof err, "--ssh: an empty command");
        goto bad;
      }
      ssh = v;
      continue;
    }
    if ((rc = runopt_take(argc, argv, &i, "--secret-file", &v, err, sizeof err)) != 0) {
      if (rc < 0)
        goto bad;
      secret_file = v;
      continue;
    }
    if (!strcmp(argv[i], "--rank") || !strcmp(argv[i], "--world-size") ||
        !strcmp(argv[i], "--coordinator")) {
      snprintf(err, sizeof err, "%s: the launcher sets this itself", argv[i]);
      goto bad;
    }
    pass[npass++] = argv[i++];
  }
  if (!!local == !!hostfile) {
    snprintf(err, sizeof err, "give exactly one of --local N and --hostfile FILE");
    goto bad;
  }
  char exe[4096];
  size_t exelen = sizeof exe;
  if (uv_exepath(exe, &exelen) != 0) {
    snprintf(err, sizeof err, "cannot find this program's path");
    goto bad;
  }
  /* The secret every rank gets. */
  char secret_hex[65];
  uint8_t *secret = NULL;
  size_t secret_len = 0;
  if (secret_file) {
    if (rt_secret_read(secret_file, &secret, &secret_len, err, sizeof err) != 0)
      goto bad;
  } else if (getenv("STALE_SECRET") && *getenv("STALE_SECRET")) {
    secret_len = strlen(getenv("STALE_SECRET"));
    secret = (uint8_t *)strdup(getenv("STALE_SECRET"));
  } else if (hostfile) {
    snprintf(err, sizeof err, "a hostfile cluster needs STALE_SECRET or --secret-file");
    goto bad;
  } else {
    if (fresh_secret(secret_hex) != 0) {
      snprintf(err, sizeof err, "cannot generate a secret");
      goto bad;
    }
    secret = (uint8_t *)strdup(secret_hex);
    secret_len = 64;
  }
  if (!secret) {
    snprintf(err, sizeof err, "out of memory");
    goto bad;
  }
  rt_addr *hosts = NULL;
  uint32_t n = local;
  if (hostfile && rt_hostfile_read(hostfile, &hosts, &n, err, sizeof err) != 0) {
    free(secret);
    goto bad;
  }
  if (check_rank_options(pass, npass, local, hostfile, n, err, sizeof err) != 0) {
    free(hosts);
    free(secret);
    goto bad;
  }
  launch l;
  memset(&l, 0, sizeof l);
  uv_loop_init(&l.loop);
  char coord[64] = "";
  if (local) {
    uint16_t port;
    l.probe_open = 1;
    if (reserve_port(&l.loop, &l.probe, &port) != 0) {
      snprintf(err, sizeof err, "cannot find a free port on 127.0.0.1");
      uv_close((uv_handle_t *)&l.probe, closed_noop);
      uv_run(&l.loop, UV_RUN_DEFAULT);
      uv_loop_close(&l.loop);
      free(secret);
      goto bad;
    }
    snprintf(coord, sizeof coord, "127.0.0.1:%u", port);
  }
  /* The secret reaches local children through their environment only. */
  if (local) {
    char *val = malloc(secret_len + 1);
    if (!val || memchr(secret, '\0', secret_len)) {
      snprintf(err, sizeof err, "the secret cannot be passed in the environment");
      free(val);
      free(secret);
      goto bad;
    }
    memcpy(val, secret, secret_len);
    val[secret_len] = '\0';
    setenv("STALE_SECRET", val, 1);
    free(val);
  }

  uv_timer_init(&l.loop, &l.killer);
  l.killer.data = &l;
  l.killer_open = 1;
  uv_signal_init(&l.loop, &l.sig_int);
  uv_signal_init(&l.loop, &l.sig_term);
  l.sig_int.data = l.sig_term.data = &l;
  uv_signal_start(&l.sig_int, on_stop_signal, SIGINT);
  uv_signal_start(&l.sig_term, on_stop_signal, SIGTERM);
  l.sigs_open = 1;
  l.n = n;
  l.kids = calloc(n, sizeof *l.kids);
  /* --ssh may carry options ("ssh -p 2222"): split on blanks, no quoting. */
  enum { SSH_WORDS_MAX = 32 };
  char *ssh_copy = strdup(ssh), *ssh_words[SSH_WORDS_MAX], *save = NULL;
  int nssh = 0;
  for (char *w = ssh_copy ? strtok_r(ssh_copy, " \t", &save) : NULL; w && nssh < SSH_WORDS_MAX;
       w = strtok_r(NULL, " \t", &save))
    ssh_words[nssh++] = w;
  int start_failed = 0;
  for (uint32_t r = 0; r < n && !start_failed; r++) {
    child *c = &l.kids[r];
    c->l = &l;
    c->rank = r;
    char rank_s[16], size_s[16];
    snprintf(rank_s, sizeof rank_s, "%u", r);
    snprintf(size_s, sizeof size_s, "%u", n);
    char **args = calloc((size_t)npass + 16 + nssh, sizeof *args);
    int k = 0, remote_from = -1;
    if (local) {
      args[k++] = exe;
      args[k++] = "run";
      args[k++] = "--rank";
      args[k++] = rank_s;
      args[k++] = "--world-size";
      args[k++] = size_s;
      args[k++] = "--coordinator";
      args[k++] = coord;
    } else {
      for (int w = 0; w < nssh; w++)
        args[k++] = ssh_words[w];
      args[k++] = hosts[r].host;
      remote_from = k;
      args[k++] = (char *)(remote_exe ? remote_exe : exe);
      args[k++] = "run";
      args[k++] = "--rank";
      args[k++] = rank_s;
      args[k++] = "--hostfile";
      args[k++] = (char *)hostfile;
      args[k++] = "--secret-file";
      args[k++] = "-";
    }
    for (int j = 0; j < npass; j++)
      args[k++] = pass[j];
    args[k] = NULL;
    /* The remote command line, quoted word by word (owned: freed below). */
    char **quoted = remote_from >= 0 ? calloc((size_t)k + 1, sizeof *quoted) : NULL;
    int quote_failed = remote_from >= 0 && !quoted;
    for (int j = remote_from; !quote_failed && remote_from >= 0 && j < k; j++)
      quote_failed = !(args[j] = quoted[j] = sh_quote(args[j]));
    if (quote_failed) {
      fprintf(stderr, "stale launch: out of memory\n");
      free_words(quoted, k);
      free(args);
      start_failed = 1;
      break;
    }
    uv_stdio_container_t io[3];
    io[0].flags = UV_IGNORE;
    if (!local) {
      uv_pipe_init(&l.loop, &c->in, 0);
      c->use_pipe = 1;
      io[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
      io[0].data.stream = (uv_stream_t *)&c->in;
    }
    io[1].flags = UV_INHERIT_FD;
    io[1].data.fd = 1;
    io[2].flags = UV_INHERIT_FD;
    io[2].data.fd = 2;
    uv_process_options_t po;
    memset(&po, 0, sizeof po);
    po.file = args[0];
    po.args = args;
    po.exit_cb = on_exit_cb;
    po.stdio = io;
    po.stdio_count = 3;
    c->proc.data = c;
    int rc = uv_spawn(&l.loop, &c->proc, &po);
    free(args);
    free_words(quoted, k);
    if (rc != 0) {
      fprintf(stderr, "stale launch: cannot start rank %u: %s\n", r, uv_strerror(rc));
      if (c->use_pipe)
        uv_close((uv_handle_t *)&c->in, closed_noop);
      start_failed = 1;
      break;
    }
    c->running = 1;
    l.running++;
    if (c->use_pipe) {
      c->wbuf = uv_buf_init((char *)secret, (unsigned)secret_len);
      c->wreq.data = c;
      uv_write(&c->wreq, (uv_stream_t *)&c->in, &c->wbuf, 1, wrote_secret);
    }
  }
  if (start_failed) {
    l.failed = 1;
    for (uint32_t i = 0; i < n; i++)
      if (l.kids[i].running)
        uv_process_kill(&l.kids[i].proc, SIGTERM);
  }
  if (l.running == 0)
    close_launch_handles(&l);
  uv_run(&l.loop, UV_RUN_DEFAULT);
  uv_loop_close(&l.loop);
  free(l.kids);
  free(hosts);
  free(ssh_copy);
  memset(secret, 0, secret_len);
  free(secret);
  free(pass);
  return l.failed ? 1 : 0;
bad:
  fprintf(stderr, "stale launch: %s\n", err);
  free(pass);
  return 2;
}
