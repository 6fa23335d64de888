/* plat.h: simulated platforms as SimGrid XML text, built from command-line
 * parameters. Pure functions: no SimGrid calls, so the builder is unit-tested
 * on its text. A plat_spec is a plain value; plat_build_xml returns a string
 * the caller owns. Slow nodes are chosen from the seed, so the same spec
 * always gives the same platform, byte for byte.
 *
 * Topologies:
 *   flat   one SimGrid "Cluster" zone: each host has a private split-duplex
 *          link (bandwidth, latency) to one shared backbone.
 *   racks  racks of rack_size hosts, each rack a Cluster zone with its own
 *          backbone; every rack has an uplink to a shared top link, so
 *          cross-rack traffic contends for the uplinks and the top link.
 *   flat with ports (the simulator's fast "switch" network model): no
 *          backbone; each node i also gets a host port<i> whose private
 *          link (backbone bandwidth, no latency) only node i's frames
 *          cross, and host links have no latency (the simulator adds it
 *          where a frame reaches the port, so a sender's frames pipeline).
 *          SimGrid then models each sender's link (bandwidth sharing)
 *          with one small set of flows per sender, and the simulator models
 *          each receiver's link as a FIFO output port of the switch. */
#ifndef PLAT_H
#define PLAT_H

#include <stddef.h>
#include <stdint.h>

typedef enum plat_topology { PLAT_FLAT = 0, PLAT_RACKS = 1 } plat_topology;

typedef struct plat_spec {
  uint32_t nodes;
  plat_topology topology;
  uint32_t rack_size;         /* hosts per rack (racks only) */
  double bandwidth;           /* host link, bytes/s */
  double latency;             /* host link, seconds */
  double backbone_bandwidth;  /* cluster or rack backbone, bytes/s */
  double backbone_latency;    /* seconds */
  double uplink_bandwidth;    /* rack uplink, bytes/s (racks only) */
  double top_bandwidth;       /* shared top link, bytes/s (racks only) */
  double host_speed;          /* flop/s of a normal host */
  double straggler_fraction;  /* share of hosts slowed, 0..1 */
  double straggler_factor;    /* slowed hosts run this many times slower (>= 1) */
  double jitter;              /* each host's speed times U[1-j, 1+j], 0 <= j < 1 */
  uint64_t seed;
  uint8_t ports;              /* flat only: add switch ports (see below) */
} plat_spec;

/* Default host speed in flop/s: what `stale calibrate` measured for its
 * MF-style kernel on the development machine (5.5 to 5.8 Gf, 2 cores, 2026). */
#define PLAT_DEFAULT_HOST_SPEED 5.5e9

/* Fills s with defaults: flat, 1 Gbps / 50 us links, 10 Gbps backbone,
 * racks of 32 with 10 Gbps uplinks and a 40 Gbps top link, no slow nodes. */
void plat_defaults(plat_spec *s, uint32_t nodes);

/* Most racks a racks platform may have: it names a route for every ordered
 * pair of racks (SimGrid's Full routing), so its text and SimGrid's memory
 * grow with the square of the rack count (512 racks: 261632 routes). */
#define PLAT_MAX_RACKS 512u

/* Racks of the racks topology: ceil(nodes / rack_size), 0 for rack size 0. */
uint32_t plat_racks(const plat_spec *s);

/* Checks ranges: 0 or ST_EINVAL with a message naming the field in err. */
int plat_check(const plat_spec *s, char *err, size_t errlen);

/* Writes the speed (flop/s) of each host into speeds[0..nodes). */
void plat_speeds(const plat_spec *s, double *speeds);

/* Builds the platform: hosts are named "node0".."node<n-1>" in node order.
 * On success *xml is a malloc'd NUL-terminated string the caller frees.
 * Returns 0, ST_EINVAL (bad spec, message in err) or ST_ENOMEM. */
int plat_build_xml(const plat_spec *s, char **xml, char *err, size_t errlen);

/* Unit parsers, accepting SimGrid's spellings. The whole string must be a
 * non-negative finite number followed by a unit:
 *   bandwidth: bps kbps Kbps Mbps Gbps Tbps Kibps Mibps Gibps Tibps,
 *              Bps kBps KBps MBps GBps TBps KiBps MiBps GiBps TiBps -> bytes/s
 *   latency:   s ms us ns ps -> seconds
 *   speed:     f kf Kf Mf Gf Tf Pf -> flop/s
 * Return 0 or ST_EPARSE with "flag: bad value 'x' (...)" in err. */
int plat_parse_bandwidth(const char *flag, const char *s, double *out, char *err, size_t errlen);
int plat_parse_latency(const char *flag, const char *s, double *out, char *err, size_t errlen);
int plat_parse_speed(const char *flag, const char *s, double *out, char *err, size_t errlen);
/* "0.1x4": fraction 0.1 of hosts, 4 times slower. */
int plat_parse_stragglers(const char *flag, const char *s, double *fraction, double *factor,
                          char *err, size_t errlen);
/* "flat" or "racks". */
int plat_parse_topology(const char *flag, const char *s, plat_topology *out, char *err,
                        size_t errlen);
const char *plat_topology_name(plat_topology t);

/* Deterministic 64-bit generator (splitmix64) shared by the sim so that
 * seeds mean the same thing everywhere. */
uint64_t plat_rng_next(uint64_t *state);
double plat_rng_unit(uint64_t *state); /* uniform in [0, 1) */

#endif
