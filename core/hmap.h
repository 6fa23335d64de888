/* hmap.h: open-addressing hash map from a 64-bit key to a pointer, the one
 * lookup structure of the core (cache, oplog, server rows). Linear probing;
 * deletion shifts entries back instead of leaving tombstones, so a map that
 * is emptied entry by entry (a partly sent oplog) stays fast. The map owns
 * only its slot array; values are owned by the caller. */
#ifndef HMAP_H
#define HMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct hmap_slot {
  uint64_t key;
  void *val; /* NULL marks an empty slot; stored values are never NULL */
} hmap_slot;

typedef struct hmap {
  hmap_slot *slots;
  size_t cap; /* power of two, or 0 before the first insert */
  size_t len;
} hmap;

/* A zeroed hmap is a valid empty map. */
void hmap_free(hmap *m);
/* The value under key, or NULL. */
void *hmap_get(const hmap *m, uint64_t key);
/* Stores val (non-NULL) under key, replacing any previous value.
 * Returns 0 or ST_ENOMEM (the map is unchanged then). */
int hmap_put(hmap *m, uint64_t key, void *val);
/* The slot holding key, or else the empty slot it would take, after making
 * room for one more entry: one probe serves both a lookup and the insert
 * that follows a miss (a client's first increment of a row in a clock).
 * To insert, set the slot's key and val (non-NULL), then call hmap_added.
 * NULL only if room could not be made (out of memory; map unchanged). The
 * slot is the map's, valid until the next insert. */
hmap_slot *hmap_slot_for(hmap *m, uint64_t key);
/* Counts the entry just stored in a slot from hmap_slot_for. */
static inline void hmap_added(hmap *m) { m->len++; }
/* Removes key; returns its value (not freed), or NULL if absent. Slot
 * pointers from hmap_slot_for are invalid afterwards. */
void *hmap_del(hmap *m, uint64_t key);
/* Empties the map, keeping its memory; values are not freed. */
void hmap_clear(hmap *m);
/* Iteration: for (size_t i = 0; i < m->cap; i++) if (m->slots[i].val) ...
 * Do not insert or delete while iterating. */

#endif
