#include "hmap.h"

#include "st.h"

/* Row ids are dense and mostly visited in order (an app's loop, a sorted
 * frame), so keys of a group of 8 consecutive ids take consecutive slots,
 * two cache lines, and only the group number is mixed (splitmix64's
 * finalizer), which spreads strided ids over the table. */
#define HMAP_GROUP_BITS 3
static size_t hmap_hash(uint64_t k) {
  uint64_t g = k >> HMAP_GROUP_BITS;
  g ^= g >> 30;
  g *= 0xbf58476d1ce4e5b9ULL;
  g ^= g >> 27;
  g *= 0x94d049bb133111ebULL;
  g ^= g >> 31;
  return (size_t)((g << HMAP_GROUP_BITS) | (k & ((1u << HMAP_GROUP_BITS) - 1)));
}

void hmap_free(hmap *m) {
  st_free(m->slots);
  m->slots = NULL;
  m->cap = m->len = 0;
}

void hmap_clear(hmap *m) {
  for (size_t i = 0; i < m->cap; i++) m->slots[i].val = NULL;
  m->len = 0;
}

void *hmap_get(const hmap *m, uint64_t key) {
  if (m->cap == 0) return NULL;
  size_t mask = m->cap - 1;
  for (size_t i = hmap_hash(key) & mask;; i = (i + 1) & mask) {
    if (!m->slots[i].val) return NULL;
    if (m->slots[i].key == key) return m->slots[i].val;
  }
}

static void hmap_insert_fresh(hmap_slot *slots, size_t cap, uint64_t key, void *val) {
  size_t mask = cap - 1;
  size_t i = hmap_hash(key) & mask;
  while (slots[i].val) i = (i + 1) & mask;
  slots[i].key = key;
  slots[i].val = val;
}

static int hmap_grow(hmap *m) {
  size_t ncap = m->cap ? m->cap * 2 : 16;
  hmap_slot *ns = st_calloc(ncap, sizeof *ns);
  if (!ns) return ST_ENOMEM;
  for (size_t i = 0; i < m->cap; i++)
    if (m->slots[i].val) hmap_insert_fresh(ns, ncap, m->slots[i].key, m->slots[i].val);
  st_free(m->slots);
  m->slots = ns;
  m->cap = ncap;
  return 0;
}

hmap_slot *hmap_slot_for(hmap *m, uint64_t key) {
  /* At most half full: a miss probes about 2.5 slots, against 8.5 at three
   * quarters. */
  if ((m->len + 1) * 2 > m->cap && hmap_grow(m)) return NULL;
  size_t mask = m->cap - 1;
  size_t i = hmap_hash(key) & mask;
  while (m->slots[i].val && m->slots[i].key != key) i = (i + 1) & mask;
  return &m->slots[i];
}

int hmap_put(hmap *m, uint64_t key, void *val) {
  hmap_slot *s = hmap_slot_for(m, key);
  if (!s) return ST_ENOMEM;
  if (!s->val) hmap_added(m);
  s->key = key;
  s->val = val;
  return 0;
}

void *hmap_del(hmap *m, uint64_t key) {
  if (m->cap == 0) return NULL;
  size_t mask = m->cap - 1;
  size_t i = hmap_hash(key) & mask;
  while (m->slots[i].val && m->slots[i].key != key) i = (i + 1) & mask;
  void *val = m->slots[i].val;
  if (!val) return NULL;
  /* Backward-shift deletion: move later entries of the probe run into the
   * hole when their home slot does not lie cyclically in (hole, j], so every
   * lookup still finds its key before an empty slot. No tombstones. */
  size_t hole = i;
  for (size_t j = (i + 1) & mask; m->slots[j].val; j = (j + 1) & mask) {
    size_t home = hmap_hash(m->slots[j].key) & mask;
    int stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (stays) continue;
    m->slots[hole] = m->slots[j];
    hole = j;
  }
  m->slots[hole].val = NULL;
  m->len--;
  return val;
}
