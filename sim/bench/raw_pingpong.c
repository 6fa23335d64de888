/* raw_pingpong.c: the baseline of the simulator benchmark. Moves the frames
 * a `stale sim --trace-frames FILE` run sent, with the same count and sizes,
 * through plain SimGrid mailboxes with no parameter-server logic, on the
 * platform stale's builder (plat.h) makes for the same node count: the flat
 * cluster with the same host links, latency and backbone (without stale's
 * switch ports: every message is an ordinary SimGrid transfer).
 *
 *   raw_pingpong --nodes N --frames FILE [--mode pairs|replay] [--stack-size KiB]
 *
 * Modes:
 *   pairs   (default) a ping-pong: hosts are paired (0,1), (2,3), ...; each
 *           frame goes to the pair of its sender and a pair's frames, in
 *           trace order, travel alternately one way and back, each message
 *           leaving once the previous one has arrived.
 *   replay  the trace's own sender and receiver for every frame: one sender
 *           actor per host puts its frames in trace order, each put waiting
 *           for the receiver to take it; one receiver actor per host.
 * Prints one line "frames=F bytes=B sim_time_s=T" on success.
 *
 * Everything lives in one rp_run owned by main; actors borrow it. */
#include <errno.h>
#include <simgrid/actor.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/mailbox.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plat.h"
#include "st.h"

/* One frame of the trace. */
typedef struct rp_frame {
  uint32_t src, dst, bytes;
} rp_frame;

/* One actor's work: its messages in order. For each: its size, and whether
 * this actor sends it (to out, or to mbox[dst[k]] when dst is set) or
 * receives it from in. Arrays owned by the job. */
typedef struct rp_job {
  sg_mailbox_t out, in;
  uint32_t *bytes;
  uint8_t *sends;
  uint32_t *dst; /* replay senders only */
  size_t n, cap;
} rp_job;

/* One run: owned by main; actors borrow it through their job. */
typedef struct rp_run {
  uint32_t nodes;
  int replay;
  rp_frame *frames; /* [nframes] */
  size_t nframes;
  uint64_t total_bytes;
  rp_job *jobs; /* pairs: 2 per pair (a, b); replay: 2 per node (sender, receiver) */
  size_t njobs;
  sg_mailbox_t *mbox; /* replay: per node; borrowed from SimGrid */
  size_t done;        /* messages received */
} rp_run;

/* What an actor's data points to. */
typedef struct rp_actor {
  rp_run *run;
  rp_job *job;
} rp_actor;

static char rp_token; /* the payload every message carries: its address */

static void rp_usage(FILE *f) {
  fprintf(f, "usage: raw_pingpong --nodes N --frames FILE [--mode pairs|replay] [--stack-size KiB]\n"
             "Replays the frames of `stale sim --trace-frames FILE` through plain SimGrid\n"
             "mailboxes on stale's flat platform for N nodes (see the source's header).\n");
}

static int rp_u32(const char *flag, const char *s, uint32_t min, uint32_t max, uint32_t *out) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
    fprintf(stderr, "raw_pingpong: %s: bad value '%s' (expected %u..%u)\n", flag, s, (unsigned)min,
            (unsigned)max);
    return -1;
  }
  *out = (uint32_t)v;
  return 0;
}

/* Reads "src dst bytes" lines into r->frames. 0, or -1 having said why
 * (naming the file and line). */
static int rp_read_frames(rp_run *r, const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "raw_pingpong: %s: %s\n", path, strerror(errno));
    return -1;
  }
  char line[256];
  size_t cap = 0, lineno = 0;
  int rc = 0;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    unsigned long v[3];
    char *p = line, *end;
    int k;
    for (k = 0; k < 3; k++) {
      while (*p == ' ' || *p == '\t') p++;
      if (*p < '0' || *p > '9') break;
      errno = 0;
      v[k] = strtoul(p, &end, 10);
      if (errno || v[k] > UINT32_MAX) break;
      p = end;
    }
    while (*p == ' ' || *p == '\t' || *p == '\r') p++;
    if (k < 3 || (*p && *p != '\n')) {
      fprintf(stderr, "raw_pingpong: %s:%zu: expected 'src dst bytes'\n", path, lineno);
      rc = -1;
      break;
    }
    if (v[0] >= r->nodes || v[1] >= r->nodes) {
      fprintf(stderr, "raw_pingpong: %s:%zu: node %lu out of range (--nodes %u)\n", path, lineno,
              v[0] >= r->nodes ? v[0] : v[1], (unsigned)r->nodes);
      rc = -1;
      break;
    }
    if (r->nframes == cap) {
      cap = cap ? cap * 2 : 4096;
      rp_frame *fr = realloc(r->frames, cap * sizeof *fr);
      if (!fr) {
        fprintf(stderr, "raw_pingpong: %s: out of memory at line %zu\n", path, lineno);
        rc = -1;
        break;
      }
      r->frames = fr;
    }
    r->frames[r->nframes++] = (rp_frame){(uint32_t)v[0], (uint32_t)v[1], (uint32_t)v[2]};
    r->total_bytes += v[2];
  }
  if (rc == 0 && ferror(f)) {
    fprintf(stderr, "raw_pingpong: %s: read error\n", path);
    rc = -1;
  }
  fclose(f);
  return rc;
}

/* Appends one message to j; dst is kept only when with_dst. 0 or ST_ENOMEM. */
static int rp_job_add(rp_job *j, uint32_t bytes, uint8_t sends, int with_dst, uint32_t dst) {
  if (j->n == j->cap) {
    size_t cap = j->cap ? j->cap * 2 : 16;
    uint32_t *b = realloc(j->bytes, cap * sizeof *b);
    if (!b) return ST_ENOMEM;
    j->bytes = b;
    uint8_t *s = realloc(j->sends, cap);
    if (!s) return ST_ENOMEM;
    j->sends = s;
    if (with_dst) {
      uint32_t *d = realloc(j->dst, cap * sizeof *d);
      if (!d) return ST_ENOMEM;
      j->dst = d;
    }
    j->cap = cap;
  }
  j->bytes[j->n] = bytes;
  j->sends[j->n] = sends;
  if (with_dst) j->dst[j->n] = dst;
  j->n++;
  return 0;
}

/* Pairs: pair p is hosts a = 2p and b = 2p+1 (an odd last host pairs with
 * host 0); jobs[2p] runs on a, jobs[2p+1] on b. */
static uint32_t rp_pair_b(uint32_t nodes, uint32_t p) { return 2 * p + 1 < nodes ? 2 * p + 1 : 0; }

static int rp_plan_pairs(rp_run *r) {
  uint32_t np = (r->nodes + 1) / 2;
  uint8_t *parity = calloc(np, 1); /* who sends the pair's next message */
  r->njobs = 2 * (size_t)np;
  r->jobs = calloc(r->njobs, sizeof *r->jobs);
  if (!parity || !r->jobs) {
    free(parity);
    return ST_ENOMEM;
  }
  int rc = 0;
  for (size_t i = 0; i < r->nframes && rc == 0; i++) {
    uint32_t p = r->frames[i].src / 2;
    uint8_t a_sends = parity[p] == 0; /* ping from a, pong from b */
    parity[p] ^= 1;
    rc = rp_job_add(&r->jobs[2 * p], r->frames[i].bytes, a_sends, 0, 0);
    if (rc == 0) rc = rp_job_add(&r->jobs[2 * p + 1], r->frames[i].bytes, !a_sends, 0, 0);
  }
  free(parity);
  for (uint32_t p = 0; p < np; p++) {
    char name[32];
    snprintf(name, sizeof name, "pa%u", (unsigned)p);
    sg_mailbox_t ma = sg_mailbox_by_name(name);
    snprintf(name, sizeof name, "pb%u", (unsigned)p);
    sg_mailbox_t mb = sg_mailbox_by_name(name);
    r->jobs[2 * p].in = ma;
    r->jobs[2 * p].out = mb;
    r->jobs[2 * p + 1].in = mb;
    r->jobs[2 * p + 1].out = ma;
  }
  return rc;
}

/* Replay: jobs[2i] is host i's sender, jobs[2i+1] its receiver. */
static int rp_plan_replay(rp_run *r) {
  r->njobs = 2 * (size_t)r->nodes;
  r->jobs = calloc(r->njobs, sizeof *r->jobs);
  r->mbox = calloc(r->nodes, sizeof *r->mbox);
  if (!r->jobs || !r->mbox) return ST_ENOMEM;
  for (size_t i = 0; i < r->nframes; i++) {
    const rp_frame *f = &r->frames[i];
    int rc = rp_job_add(&r->jobs[2 * f->src], f->bytes, 1, 1, f->dst);
    if (rc == 0) rc = rp_job_add(&r->jobs[2 * f->dst + 1], f->bytes, 0, 0, 0);
    if (rc) return rc;
  }
  for (uint32_t i = 0; i < r->nodes; i++) {
    char name[32];
    snprintf(name, sizeof name, "mb%u", (unsigned)i);
    r->mbox[i] = sg_mailbox_by_name(name);
    r->jobs[2 * i + 1].in = r->mbox[i];
  }
  return 0;
}

static void rp_actor_main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  rp_actor *a = sg_actor_self_get_data();
  rp_job *j = a->job;
  for (size_t k = 0; k < j->n; k++) {
    if (j->sends[k]) {
      sg_mailbox_t to = j->dst ? a->run->mbox[j->dst[k]] : j->out;
      sg_mailbox_put(to, &rp_token, (long)j->bytes[k]);
    } else {
      if (sg_mailbox_get(j->in) == &rp_token) a->run->done++;
    }
  }
}

/* Host of job i. */
static uint32_t rp_job_host(const rp_run *r, size_t i) {
  if (r->replay) return (uint32_t)(i / 2);
  uint32_t p = (uint32_t)(i / 2);
  return i % 2 == 0 ? 2 * p : rp_pair_b(r->nodes, p);
}

/* Builds stale's flat platform for r->nodes (no switch ports) and loads it. */
static int rp_load_platform(uint32_t nodes) {
  plat_spec s;
  plat_defaults(&s, nodes);
  s.ports = 0;
  char err[256], *xml = NULL;
  if (plat_build_xml(&s, &xml, err, sizeof err) != 0) {
    fprintf(stderr, "raw_pingpong: platform: %s\n", err);
    return -1;
  }
  const char *dir = getenv("TMPDIR");
  char path[512];
  snprintf(path, sizeof path, "%s/raw-pingpong-XXXXXX", dir && *dir ? dir : "/tmp");
  int fd = mkstemp(path);
  FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
  size_t len = strlen(xml);
  int ok = f && fwrite(xml, 1, len, f) == len;
  if (f) ok = (fclose(f) == 0) && ok;
  else if (fd >= 0) close(fd);
  free(xml);
  if (!ok) {
    fprintf(stderr, "raw_pingpong: %s: cannot write the platform file\n", path);
    if (fd >= 0) unlink(path);
    return -1;
  }
  simgrid_load_platform(path);
  unlink(path);
  return 0;
}

static void rp_free(rp_run *r) {
  for (size_t i = 0; r->jobs && i < r->njobs; i++) {
    free(r->jobs[i].bytes);
    free(r->jobs[i].sends);
    free(r->jobs[i].dst);
  }
  free(r->jobs);
  free(r->mbox);
  free(r->frames);
}

int main(int argc, char **argv) {
  rp_run r;
  memset(&r, 0, sizeof r);
  const char *frames = NULL;
  uint32_t stack_kib = 128;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      rp_usage(stdout);
      return 0;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "raw_pingpong: %s: unknown flag or missing value\n", a);
      rp_usage(stderr);
      return 2;
    }
    const char *v = argv[++i];
    if (!strcmp(a, "--nodes")) {
      if (rp_u32(a, v, 2, 1u << 20, &r.nodes)) return 2;
    } else if (!strcmp(a, "--frames")) {
      frames = v;
    } else if (!strcmp(a, "--stack-size")) {
      if (rp_u32(a, v, 16, 65536, &stack_kib)) return 2;
    } else if (!strcmp(a, "--mode")) {
      if (!strcmp(v, "pairs")) r.replay = 0;
      else if (!strcmp(v, "replay")) r.replay = 1;
      else {
        fprintf(stderr, "raw_pingpong: --mode: bad value '%s' (expected pairs or replay)\n", v);
        return 2;
      }
    } else {
      fprintf(stderr, "raw_pingpong: unknown flag '%s'\n", a);
      rp_usage(stderr);
      return 2;
    }
  }
  if (!r.nodes || !frames) {
    fprintf(stderr, "raw_pingpong: --nodes and --frames are required\n");
    rp_usage(stderr);
    return 2;
  }
  if (rp_read_frames(&r, frames) != 0) {
    rp_free(&r);
    return 1;
  }
  /* As stale sim: quiet logs, the same actor stack, no TCP ack traffic. */
  static char a0[] = "raw_pingpong", a1[] = "--log=root.thres:critical",
              a3[] = "--cfg=network/crosstraffic:0";
  static char a2[64];
  snprintf(a2, sizeof a2, "--cfg=contexts/stack-size:%u", (unsigned)stack_kib);
  char *sargv[] = {a0, a1, a2, a3, NULL};
  int sargc = 4;
  simgrid_init(&sargc, sargv);
  if (rp_load_platform(r.nodes) != 0) {
    rp_free(&r);
    return 1;
  }
  if ((r.replay ? rp_plan_replay(&r) : rp_plan_pairs(&r)) != 0) {
    fprintf(stderr, "raw_pingpong: out of memory planning %zu frames\n", r.nframes);
    rp_free(&r);
    return 1;
  }
  rp_actor *actors = calloc(r.njobs, sizeof *actors);
  if (!actors) {
    fprintf(stderr, "raw_pingpong: out of memory for %zu actors\n", r.njobs);
    rp_free(&r);
    return 1;
  }
  for (size_t i = 0; i < r.njobs; i++) {
    if (r.jobs[i].n == 0) continue;
    char name[40];
    snprintf(name, sizeof name, "node%u", (unsigned)rp_job_host(&r, i));
    sg_host_t h = sg_host_by_name(name);
    if (!h) {
      fprintf(stderr, "raw_pingpong: generated platform lacks host %s\n", name);
      free(actors);
      rp_free(&r);
      return 1;
    }
    actors[i] = (rp_actor){&r, &r.jobs[i]};
    snprintf(name, sizeof name, "j%zu", i);
    sg_actor_t a = sg_actor_init(name, h);
    sg_actor_set_data(a, &actors[i]);
    sg_actor_start(a, rp_actor_main, 0, NULL);
  }
  simgrid_run();
  int rc = 0;
  if (r.done != r.nframes) {
    fprintf(stderr, "raw_pingpong: only %zu of %zu frames arrived\n", r.done, r.nframes);
    rc = 1;
  } else {
    printf("frames=%zu bytes=%llu sim_time_s=%.9g\n", r.nframes, (unsigned long long)r.total_bytes,
           simgrid_get_clock());
  }
  free(actors);
  rp_free(&r);
  return rc;
}
