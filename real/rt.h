/* rt.h: the real runtime's commands. `stale run` runs one node (one
 * process) of a cluster; `stale launch` starts a whole cluster of them,
 * locally or over ssh. Both return the process exit status and print their
 * own messages (they sit directly below main). */
#ifndef RT_H
#define RT_H

/* `stale run`: argv[0] is "run". */
int rt_run_main(int argc, char **argv);
/* `stale launch`: argv[0] is "launch". */
int rt_launch_main(int argc, char **argv);
/* `stale secret`: writes a fresh cluster secret. Returns the exit status. */
int rt_secret_main(int argc, char **argv);

#endif
