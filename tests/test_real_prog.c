/* test_real_prog.c: a program with just the real runtime's commands, so the
 * end-to-end tests of real/ do not depend on how apps/main.c is wired:
 *   test_real_prog run ...     (rt_run_main)
 *   test_real_prog launch ...  (rt_launch_main) */
#include <stdio.h>
#include <string.h>

#include "rt.h"

int main(int argc, char **argv) {
  if (argc >= 2 && !strcmp(argv[1], "run"))
    return rt_run_main(argc - 1, argv + 1);
  if (argc >= 2 && !strcmp(argv[1], "launch"))
    return rt_launch_main(argc - 1, argv + 1);
  fprintf(stderr, "usage: %s run|launch [options]\n", argv[0]);
  return 2;
}
