/* rt_opt.h: the command line of `stale run`: the flags shared with
 * `stale sim` (apps/runopt.h) plus where this node stands in the cluster
 * (rank, world size, coordinator or hostfile, listen address), the shared
 * secret and the transport limits. An rt_opt owns its hostfile array and
 * secret bytes; other strings are borrowed from argv. */
#ifndef RT_OPT_H
#define RT_OPT_H

#include <stdio.h>

#include "rt_net.h"
#include "runopt.h"

typedef struct rt_opt {
  runopt run;
  uint32_t rank, size;
  rt_addr listen, coordinator;
  rt_addr *hostfile;   /* [size] from --hostfile, owned; NULL in coordinator mode */
  uint8_t *secret;     /* owned */
  size_t secret_len;
  size_t max_frame;    /* 0: WIRE_MAX_FRAME */
  size_t max_queued;   /* 0: 64 MiB */
  double connect_timeout, peer_timeout;
  int verbose;
  const char *ckpt_dir; /* --checkpoint-dir, borrowed */
  uint32_t ckpt_every;  /* --checkpoint-every N clocks; 0 off */
  int resume;           /* --resume */
  int model_objective;  /* --model-objective: the model's objective per clock (harness.h) */
  const char *rendezvous; /* --rendezvous FILE, borrowed: rank 0 writes its address there */
  const char *coord_from; /* static text: where the coordinator's address came from */
} rt_opt;

/* Parses argv (argv[0] is the command name) and the launcher environment.
 * Rank and size: the flags, else Open MPI's OMPI_COMM_WORLD_RANK/SIZE, else
 * PMI_RANK/PMI_SIZE (MPICH, Intel MPI), else Slurm's SLURM_PROCID and
 * SLURM_NTASKS, else torchrun's RANK and WORLD_SIZE. The coordinator: the
 * flags (--coordinator, --hostfile, --rendezvous: at most one), else
 * MASTER_ADDR:MASTER_PORT, else the first host of SLURM_JOB_NODELIST at
 * --port or the port derived from SLURM_JOB_ID (rt_opt_slurm_port). A
 * coordinator found in the environment, or a rendezvous file, makes the
 * ranks listen on every interface unless --listen says where. The secret:
 * --secret-file, else STALE_SECRET. 0, or ST_EPARSE with a message naming
 * the flag, variable or file and line in err. With --help sets o->run.help
 * and returns 0. */
int rt_opt_parse(rt_opt *o, int argc, char **argv, char *err, size_t errlen);
/* Reads a hostfile: one host:port per line in rank order; blank lines and
 * '#' comments ignored. *out is malloc'd (caller frees). */
int rt_hostfile_read(const char *path, rt_addr **out, uint32_t *n, char *err, size_t errlen);
/* Reads the secret from path, "-" for standard input (trailing newlines
 * dropped); *out malloc'd. */
int rt_secret_read(const char *path, uint8_t **out, size_t *len, char *err, size_t errlen);
void rt_opt_free(rt_opt *o);
/* The coordinator port of Slurm job id: 20000 + id mod 20000, so jobs
 * sharing nodes rarely collide; --port overrides it. */
uint16_t rt_opt_slurm_port(uint64_t job_id);
void rt_opt_usage(FILE *f);

#endif
