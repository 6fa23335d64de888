/* rt_opt.c: see rt_opt.h. */
#include "rt_opt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rt_hostlist.h"
#include "st.h"

int rt_hostfile_read(const char *path, rt_addr **out, uint32_t *n, char *err, size_t errlen) {
  FILE *f = fopen(path, "r");
  if (!f) {
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return ST_EPARSE;
  }
  rt_addr *a = NULL;
  uint32_t cnt = 0, cap = 0, line = 0;
  char buf[512];
  int rc = 0;
  while (fgets(buf, sizeof buf, f)) {
    line++;
    char *hash = strchr(buf, '#');
    if (hash)
      *hash = '\0';
    char *s = buf;
    while (*s == ' ' || *s == '\t')
      s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
      *--e = '\0';
    if (!*s)
      continue;
    if (cnt == cap) {
      cap = cap ? 2 * cap : 8;
      rt_addr *na = realloc(a, cap * sizeof *a);
      if (!na) {
        rc = ST_ENOMEM;
        snprintf(err, errlen, "%s: out of memory", path);
        break;
      }
      a = na;
    }
    if (rt_addr_parse(s, &a[cnt]) != 0) {
      snprintf(err, errlen, "%s:%u: expected host:port, got '%s'", path, line, s);
      rc = ST_EPARSE;
      break;
    }
    if (a[cnt].port == 0) {
      snprintf(err, errlen, "%s:%u: port 0: each line names the port its rank listens on", path,
               line);
      rc = ST_EPARSE;
      break;
    }
    /* Two ranks cannot listen on one address (the later would dial itself). */
    for (uint32_t j = 0; j < cnt && rc == 0; j++)
      if (a[j].port == a[cnt].port && !strcmp(a[j].host, a[cnt].host)) {
        snprintf(err, errlen, "%s:%u: %s is already rank %u's address", path, line, s, j);
        rc = ST_EPARSE;
      }
    if (rc != 0)
      break;
    cnt++;
  }
  fclose(f);
  if (rc == 0 && cnt == 0) {
    snprintf(err, errlen, "%s: no host:port lines", path);
    rc = ST_EPARSE;
  }
  if (rc != 0) {
    free(a);
    return rc;
  }
  *out = a;
  *n = cnt;
  return 0;
}

int rt_secret_read(const char *path, uint8_t **out, size_t *len, char *err, size_t errlen) {
  /* "-" is standard input, which may be a socket (ssh, libuv pipes) that
   * cannot be reopened by name. */
  int is_stdin = !strcmp(path, "-");
  FILE *f = is_stdin ? stdin : fopen(path, "rb");
  if (!f) {
    snprintf(err, errlen, "--secret-file: %s: %s", path, strerror(errno));
    return ST_EPARSE;
  }
  uint8_t *buf = malloc(4096);
  size_t n = buf ? fread(buf, 1, 4096, f) : 0;
  int toolong = buf && n == 4096 && fgetc(f) != EOF;
  if (!is_stdin)
    fclose(f);
  if (!buf || toolong) {
    free(buf);
    snprintf(err, errlen, "--secret-file: %s: %s", path,
             toolong ? "longer than 4096 bytes" : "out of memory");
    return ST_EPARSE;
  }
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
    n--;
  if (n == 0) {
    free(buf);
    snprintf(err, errlen, "--secret-file: %s: empty", path);
    return ST_EPARSE;
  }
  *out = buf;
  *len = n;
  return 0;
}

/* The first of the launcher variables that is set: its name and value. */
static const char *env_first(const char *const *names, const char **which) {
  for (; *names; names++) {
    const char *v = getenv(*names);
    if (v && *v) {
      *which = *names;
      return v;
    }
  }
  return NULL;
}

uint16_t rt_opt_slurm_port(uint64_t job_id) { return (uint16_t)(20000 + job_id % 20000); }

/* No coordinator flag: MASTER_ADDR:MASTER_PORT, or the first host of the
 * Slurm allocation. 0 and *found = 1 if one was found; 0 and *found = 0 if
 * the environment names none; ST_EPARSE with a message if it is malformed. */
static int coordinator_from_env(rt_opt *o, const char *port_s, int *found, char *err,
                                size_t errlen) {
  const char *ma = getenv("MASTER_ADDR"), *mp = getenv("MASTER_PORT");
  const char *nodes = getenv("SLURM_JOB_NODELIST"), *job = getenv("SLURM_JOB_ID");
  char addr[300];
  *found = 0;
  if (ma && *ma && mp && *mp) {
    uint32_t port;
    if (runopt_u32("MASTER_PORT", mp, 1, 65535, &port, err, errlen) != 0)
      return ST_EPARSE;
    snprintf(addr, sizeof addr, "%s:%u", ma, port);
    o->coord_from = "MASTER_ADDR and MASTER_PORT";
  } else if (nodes && *nodes) {
    rt_hostlist hl;
    if (rt_hostlist_expand(nodes, &hl, err, errlen) != 0) {
      char m[400];
      snprintf(m, sizeof m, "SLURM_JOB_NODELIST: %s", err);
      snprintf(err, errlen, "%s", m);
      return ST_EPARSE;
    }
    uint32_t port = 0;
    if (port_s) {
      if (runopt_u32("--port", port_s, 1, 65535, &port, err, errlen) != 0) {
        rt_hostlist_free(&hl);
        return ST_EPARSE;
      }
    } else {
      uint64_t id;
      if (!job || runopt_u64("SLURM_JOB_ID", job, &id, err, errlen) != 0) {
        rt_hostlist_free(&hl);
        if (!job)
          snprintf(err, errlen, "SLURM_JOB_NODELIST is set but SLURM_JOB_ID is not: give --port");
        return ST_EPARSE;
      }
      port = rt_opt_slurm_port(id);
    }
    snprintf(addr, sizeof addr, "%s:%u", hl.host[0], port);
    rt_hostlist_free(&hl);
    o->coord_from = port_s ? "the first host of SLURM_JOB_NODELIST and --port"
                           : "the first host of SLURM_JOB_NODELIST and SLURM_JOB_ID";
  } else {
    return 0;
  }
  if (rt_addr_parse(addr, &o->coordinator) != 0) {
    snprintf(err, errlen, "%s give a bad address '%s'", o->coord_from, addr);
    return ST_EPARSE;
  }
  *found = 1;
  return 0;
}

static int is_loopback(const char *host) {
  return !strncmp(host, "127.", 4) || !strcmp(host, "localhost") || !strcmp(host, "::1");
}

int rt_opt_parse(rt_opt *o, int argc, char **argv, char *err, size_t errlen) {
  memset(o, 0, sizeof *o);
  runopt_defaults(&o->run);
  o->connect_timeout = 8;
  o->peer_timeout = 8;
  const char *rank_s = NULL, *size_s = NULL, *coord = NULL, *hostfile = NULL, *listen = NULL;
  const char *secret_file = NULL, *port_s = NULL, *v;
  for (int i = 1; i < argc;) {
    int rc = runopt_parse(&o->run, argc, argv, &i, err, errlen);
    if (rc < 0)
      return rc;
    if (rc > 0)
      continue;
    if (!strcmp(argv[i], "--resume")) {
      o->resume = 1;
      i++;
      continue;
    }
    if (!strcmp(argv[i], "--model-objective")) {
      o->model_objective = 1;
      i++;
      continue;
    }
    if (!strcmp(argv[i], "--verbose") || !strcmp(argv[i], "-v")) {
      o->verbose = 1;
      i++;
      continue;
    }
#define TAKE(name, var)                                                                         \
  if ((rc = runopt_take(argc, argv, &i, name, &v, err, errlen)) != 0) {                         \
    if (rc < 0)                                                                                 \
      return rc;                                                                                \
    var = v;                                                                                    \
    continue;                                                                                   \
  }
    TAKE("--rank", rank_s)
    TAKE("--world-size", size_s)
    TAKE("--coordinator", coord)
    TAKE("--hostfile", hostfile)
    TAKE("--listen", listen)
    TAKE("--secret-file", secret_file)
    TAKE("--checkpoint-dir", o->ckpt_dir)
    TAKE("--rendezvous", o->rendezvous)
    TAKE("--port", port_s)
#undef TAKE
    uint32_t mb;
    if ((rc = runopt_take(argc, argv, &i, "--max-frame-mib", &v, err, errlen)) != 0) {
      if (rc < 0 || runopt_u32("--max-frame-mib", v, 1, 1024, &mb, err, errlen) != 0)
        return ST_EPARSE;
      o->max_frame = (size_t)mb << 20;
      continue;
    }
    if ((rc = runopt_take(argc, argv, &i, "--max-queue-mib", &v, err, errlen)) != 0) {
      if (rc < 0 || runopt_u32("--max-queue-mib", v, 1, 4096, &mb, err, errlen) != 0)
        return ST_EPARSE;
      o->max_queued = (size_t)mb << 20;
      continue;
    }
    if ((rc = runopt_take(argc, argv, &i, "--checkpoint-every", &v, err, errlen)) != 0) {
      if (rc < 0 ||
          runopt_u32("--checkpoint-every", v, 1, 1u << 30, &o->ckpt_every, err, errlen) != 0)
        return ST_EPARSE;
      continue;
    }
    if ((rc = runopt_take(argc, argv, &i, "--connect-timeout", &v, err, errlen)) != 0) {
      if (rc < 0 || runopt_real("--connect-timeout", v, 0.1, 3600, &o->connect_timeout, err,
                                errlen) != 0)
        return ST_EPARSE;
      continue;
    }
    if ((rc = runopt_take(argc, argv, &i, "--peer-timeout", &v, err, errlen)) != 0) {
      if (rc < 0 ||
          runopt_real("--peer-timeout", v, 0, 3600, &o->peer_timeout, err, errlen) != 0)
        return ST_EPARSE;
      continue;
    }
    snprintf(err, errlen, "unknown argument '%s' (see stale run --help)", argv[i]);
    return ST_EPARSE;
  }
  if (o->run.help)
    return 0;
  if (runopt_check(&o->run, err, errlen) != 0)
    return ST_EPARSE;
  if (o->run.nstaleness != 1) {
    snprintf(err, errlen, "--staleness: a real run takes one value, not a list");
    return ST_EPARSE;
  }
  if (o->run.nseeds != 1) {
    snprintf(err, errlen, "--seed: a real run takes one value, not a list");
    return ST_EPARSE;
  }
  if (o->model_objective && o->run.sched.kind != SCHED_NONE) {
    snprintf(err, errlen, "--model-objective: not measured in scheduled runs (--schedule %s)",
             sched_kind_name(o->run.sched.kind));
    return ST_EPARSE;
  }
  if ((o->ckpt_every || o->resume) && !o->ckpt_dir) {
    snprintf(err, errlen, "%s needs --checkpoint-dir DIR",
             o->resume ? "--resume" : "--checkpoint-every");
    return ST_EPARSE;
  }
  /* Launchers in a stated order: MPI's, then Slurm's, then torchrun's
   * generic names (which other tools may also set). */
  static const char *const rank_env[] = {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "SLURM_PROCID",
                                         "RANK", NULL};
  static const char *const size_env[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_NTASKS",
                                         "WORLD_SIZE", NULL};
  const char *rank_from = "--rank", *size_from = "--world-size";
  if (!rank_s)
    rank_s = env_first(rank_env, &rank_from);
  if (!size_s)
    size_s = env_first(size_env, &size_from);
  if (hostfile) {
    uint32_t n;
    if (rt_hostfile_read(hostfile, &o->hostfile, &n, err, errlen) != 0)
      return ST_EPARSE;
    if (size_s) {
      if (runopt_u32(size_from, size_s, 1, 1u << 20, &o->size, err, errlen) != 0)
        return ST_EPARSE;
      if (o->size != n) {
        snprintf(err, errlen, "%s says %u ranks but %s lists %u", size_from, o->size, hostfile, n);
        return ST_EPARSE;
      }
    }
    o->size = n;
  } else if (!size_s) {
    snprintf(err, errlen, "the world size is unknown: give --world-size or --hostfile, or start "
                          "under mpirun or srun");
    return ST_EPARSE;
  } else if (runopt_u32(size_from, size_s, 1, 1u << 20, &o->size, err, errlen) != 0) {
    return ST_EPARSE;
  }
  if (!rank_s) {
    snprintf(err, errlen, "the rank is unknown: give --rank, or start under mpirun or srun");
    return ST_EPARSE;
  }
  if (runopt_u32(rank_from, rank_s, 0, o->size - 1, &o->rank, err, errlen) != 0)
    return ST_EPARSE;
  if (!!hostfile + !!coord + !!o->rendezvous > 1) {
    snprintf(err, errlen, "give at most one of --coordinator HOST:PORT, --hostfile FILE and "
                          "--rendezvous FILE");
    return ST_EPARSE;
  }
  if (port_s && (coord || hostfile || o->rendezvous)) {
    snprintf(err, errlen, "--port: only for a coordinator found from SLURM_JOB_NODELIST");
    return ST_EPARSE;
  }
  int from_env = 0;
  if (coord) {
    o->coord_from = "--coordinator";
    if (rt_addr_parse(coord, &o->coordinator) != 0) {
      snprintf(err, errlen, "--coordinator: bad address '%s' (expected host:port)", coord);
      return ST_EPARSE;
    }
  } else if (!hostfile && !o->rendezvous && o->size > 1) {
    if (coordinator_from_env(o, port_s, &from_env, err, errlen) != 0)
      return ST_EPARSE;
    if (!from_env) {
      snprintf(err, errlen, "where is rank 0? give --coordinator HOST:PORT, --hostfile FILE or "
                            "--rendezvous FILE, or start under srun (SLURM_JOB_NODELIST) or "
                            "with MASTER_ADDR and MASTER_PORT set");
      return ST_EPARSE;
    }
  } else if (!hostfile && !o->rendezvous) {
    rt_addr_parse("127.0.0.1:0", &o->coordinator); /* a world of one */
  }
  if (listen) {
    if (hostfile) {
      snprintf(err, errlen, "--listen: with --hostfile each rank listens on its hostfile line");
      return ST_EPARSE;
    }
    if (rt_addr_parse(listen, &o->listen) != 0) {
      snprintf(err, errlen, "--listen: bad address '%s' (expected host:port)", listen);
      return ST_EPARSE;
    }
    if (o->rank > 0 && o->listen.port != 0 && o->listen.port == o->coordinator.port &&
        !strcmp(o->listen.host, o->coordinator.host)) {
      /* It would take rank 0's port and then dial itself. */
      snprintf(err, errlen, "--listen %s: that is the coordinator's address (rank 0 listens "
                            "there); give rank %u another port, or port 0",
               listen, o->rank);
      return ST_EPARSE;
    }
  } else if (o->rendezvous || (from_env && !is_loopback(o->coordinator.host))) {
    /* Found by a launcher or a shared file: every interface, so rank 0
     * learns each rank's address from where its connection came from.
     * Rank 0 itself listens at the coordinator's address (rt_net), or for
     * a rendezvous on any port, which it then publishes. */
    rt_addr_parse("0.0.0.0:0", &o->listen);
  } else if (!hostfile && o->rank > 0 && !is_loopback(o->coordinator.host)) {
    /* No silent wildcard: a multi-host run must say where each rank is
     * reachable. */
    snprintf(err, errlen, "--listen HOST:PORT is required for rank %u: the coordinator %s is "
                          "not on this machine's loopback",
             o->rank, o->coordinator.host);
    return ST_EPARSE;
  } else {
    rt_addr_parse("127.0.0.1:0", &o->listen);
  }
  if (secret_file) {
    if (rt_secret_read(secret_file, &o->secret, &o->secret_len, err, errlen) != 0)
      return ST_EPARSE;
  } else {
    const char *s = getenv("STALE_SECRET");
    if (!s || !*s) {
      snprintf(err, errlen, "no cluster secret: give --secret-file FILE or set STALE_SECRET%s",
               getenv("SLURM_JOB_ID") ? " (srun --export=NONE does not pass the environment: "
                                        "use --secret-file on a path every node reads)"
                                      : "");
      return ST_EPARSE;
    }
    o->secret_len = strlen(s);
    o->secret = malloc(o->secret_len);
    if (!o->secret)
      return ST_ENOMEM;
    memcpy(o->secret, s, o->secret_len);
  }
  return 0;
}

void rt_opt_free(rt_opt *o) {
  free(o->hostfile);
  if (o->secret)
    memset(o->secret, 0, o->secret_len);
  free(o->secret);
  o->hostfile = NULL;
  o->secret = NULL;
}

void rt_opt_usage(FILE *f) {
  fprintf(f,
          "usage: stale run --app NAME [options]\n"
          "Runs one node (this process) of a real cluster; rank 0 writes the CSV.\n"
          "Common options (as for stale sim):\n%s"
          "Cluster:\n"
          "  --rank N                this process's rank (else OMPI_COMM_WORLD_RANK, PMI_RANK,\n"
          "                          SLURM_PROCID, RANK, the first one set)\n"
          "  --world-size N          number of ranks (else OMPI_COMM_WORLD_SIZE, PMI_SIZE,\n"
          "                          SLURM_NTASKS, WORLD_SIZE, or the hostfile's line count)\n"
          "  --coordinator HOST:PORT rank 0's address; rank 0 listens there (else\n"
          "                          MASTER_ADDR:MASTER_PORT, else the first host of\n"
          "                          SLURM_JOB_NODELIST at --port or 20000 + SLURM_JOB_ID\n"
          "                          mod 20000; ranks then listen on every interface)\n"
          "  --hostfile FILE         host:port per line, in rank order; rank i listens on line i\n"
          "  --rendezvous FILE       a path every rank sees (a shared file system): rank 0\n"
          "                          writes its address there, the others wait for it; FILE\n"
          "                          must not exist before the run\n"
          "  --port N                the coordinator's port under srun (see --coordinator)\n"
          "  --listen HOST:PORT      where this rank listens with --coordinator, ranks\n"
          "                          other than 0 (rank 0 listens at the coordinator's\n"
          "                          address); default 127.0.0.1:0, required off loopback,\n"
          "                          never a wildcard by default; port 0: any free port\n"
          "  --secret-file FILE      the cluster's shared secret, - for standard input\n"
          "                          (or STALE_SECRET)\n"
          "  --max-frame-mib N       largest frame accepted (default 64)\n"
          "  --max-queue-mib N       bytes queued per peer before workers wait (default 64)\n"
          "  --connect-timeout S     seconds to reach every peer (default 8)\n"
          "  --peer-timeout S        silence that counts as a lost peer (default 8; 0 off)\n"
          "  --checkpoint-dir DIR    where checkpoints go (shared by all ranks to resume)\n"
          "  --checkpoint-every N    checkpoint every table after every N clocks (all\n"
          "                          workers pause until it is on disk); the last two\n"
          "                          are kept\n"
          "  --resume                restart from the last complete checkpoint in DIR\n"
          "  --model-objective       fill model_objective: after each clock every worker\n"
          "                          evaluates the app's objective on rows read complete\n"
          "                          through that clock (exactly that clock's model at s = 0)\n"
          "                          and its own state; costs those reads (counted in\n"
          "                          bytes_sent and read_staleness), a metrics row per clock\n"
          "                          and, at s > 0, a wait at every clock's end for every\n"
          "                          worker's updates of it (the run then moves like BSP);\n"
          "                          not for --schedule runs (stale sim measures it always,\n"
          "                          for free)\n"
          "  --verbose               progress on standard error\n",
          runopt_help());
}
