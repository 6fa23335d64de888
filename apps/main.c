/* main.c: the stale program: one binary, one subcommand per job. */
#include <stdio.h>
#include <string.h>

static void usage(FILE *f) {
  fprintf(f, "usage: stale <command> [options]\n"
             "commands:\n"
             "  help        this text\n"
             "Run 'stale <command> --help' for a command's options.\n");
}

int main(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    usage(stdout);
    return argc < 2 ? 2 : 0;
  }
  fprintf(stderr, "stale: unknown command '%s'\n", argv[1]);
  usage(stderr);
  return 2;
}
