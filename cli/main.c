/* main.c: the stale program: one binary, one subcommand per job. Each
 * subcommand's function gets argv starting at its own name and returns the
 * exit status; only this file exits. */
#include <stdio.h>
#include <string.h>

#include "../real/rt.h"
#include "../sim/sim.h"
#include "../apps/lasso/gen.h"
#include "../apps/mf/gen.h"

typedef struct stale_cmd {
  const char *name;
  int (*main)(int argc, char **argv);
  const char *summary;
} stale_cmd;

static const stale_cmd stale_cmds[] = {
    {"sim", sim_main, "simulate a cluster with SimGrid (sweeps, platforms, stragglers)"},
    {"run", rt_run_main, "run one node of a real cluster over TCP"},
    {"launch", rt_launch_main, "start a real cluster: N local processes, or a hostfile over ssh"},
    {"secret", rt_secret_main, "write a fresh cluster secret to a file (mode 0600)"},
    {"calibrate", sim_calibrate_main, "measure this machine's flop rate for --host-speed"},
    {"gen-ratings", mf_gen_main, "write a seeded synthetic ratings set (user item rating)"},
    {"gen-lasso", lasso_gen_main, "write a seeded correlated Lasso design with a sparse truth"},
};
#define STALE_NCMDS (sizeof stale_cmds / sizeof stale_cmds[0])

static void usage(FILE *f) {
  fprintf(f, "usage: stale <command> [options]\n\ncommands:\n");
  for (size_t i = 0; i < STALE_NCMDS; i++) fprintf(f, "  %-12s %s\n", stale_cmds[i].name, stale_cmds[i].summary);
  fprintf(f, "\nRun 'stale <command> --help' for a command's options.\n");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    usage(stdout);
    return 0;
  }
  for (size_t i = 0; i < STALE_NCMDS; i++)
    if (!strcmp(argv[1], stale_cmds[i].name)) return stale_cmds[i].main(argc - 1, argv + 1);
  fprintf(stderr, "stale: unknown command '%s'\n", argv[1]);
  usage(stderr);
  return 2;
}
