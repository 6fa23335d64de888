/* rt_hostlist.h: Slurm's compressed host lists ("node[01-04,07],login1",
 * "rack[1-2]-n[1-3]"), expanded in order as `scontrol show hostnames`
 * does: commas outside brackets separate items; each bracket is a list of
 * numbers and ranges, zero padding kept ("01-04" gives 01, 02, 03, 04);
 * several brackets in one item give every combination, the last varying
 * fastest. The expansion owns its strings; the spec is borrowed. */
#ifndef RT_HOSTLIST_H
#define RT_HOSTLIST_H

#include <stddef.h>
#include <stdint.h>

#define RT_HOSTLIST_MAX (1u << 20) /* hosts one list may expand to */

typedef struct rt_hostlist {
  char **host; /* [n], each malloc'd */
  uint32_t n;
} rt_hostlist;

/* Expands spec into *out (emptied first). 0, or ST_EPARSE with a message
 * saying what is wrong and at which character of spec; ST_ENOMEM. On
 * error *out is empty. */
int rt_hostlist_expand(const char *spec, rt_hostlist *out, char *err, size_t errlen);
void rt_hostlist_free(rt_hostlist *l);

#endif
