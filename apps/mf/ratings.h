/* ratings.h: a set of (user, item, rating) triplets with dense indices, the
 * loader for MovieLens-style files, and the held-out split. A mf_ratings
 * owns its arrays (user, item, rating, user_ids, item_ids); mf_ratings_free
 * releases them. Nothing here prints; errors come back as negative ST_E*
 * codes with a "file:line: what" message in a caller buffer. */
#ifndef MF_RATINGS_H
#define MF_RATINGS_H

#include <stddef.h>
#include <stdint.h>

typedef struct mf_ratings {
  uint32_t *user; /* dense user index of rating k, 0..nusers-1 */
  uint32_t *item; /* dense item index of rating k, 0..nitems-1 */
  float *rating;  /* value of rating k */
  size_t n, cap;  /* ratings held, allocated */
  uint32_t nusers, nitems;
  int64_t *user_ids; /* original id of dense user u (file's id), nusers long */
  int64_t *item_ids; /* original id of dense item i, nitems long */
} mf_ratings;

/* Empty set; always succeeds. */
void mf_ratings_init(mf_ratings *r);
/* Frees the arrays r owns and empties it (r itself is the caller's). */
void mf_ratings_free(mf_ratings *r);
/* Appends one rating with already-dense indices (grows nusers / nitems to
 * cover them; ids default to the index). 0 or ST_ENOMEM. */
int mf_ratings_push(mf_ratings *r, uint32_t user, uint32_t item, float rating);

/* Loads path into out (initialised here; on error left empty). The format is
 * detected from the first data line:
 *   "1::2::3.5::978300760"          ratings.dat (MovieLens 1M/10M)
 *   "userId,movieId,rating,timestamp" header (optional) + CSV (ratings.csv)
 *   "196\t242\t3\t881250949"         whitespace separated (u.data); also
 *                                    what `stale gen-ratings` writes
 * The timestamp column is optional. Blank lines and lines starting with '#'
 * are skipped. Ids are integers remapped to dense indices in order of first
 * appearance. On error returns ST_EPARSE (malformed content), ST_EINVAL
 * (a file that cannot be opened, or a directory), ST_EIO (a read that
 * failed) or ST_ENOMEM, and writes "path:line: problem" (or "path: why"
 * when the file cannot be opened or is a directory) into err[errlen]. path
 * and err are borrowed. */
int mf_ratings_load(const char *path, mf_ratings *out, char *err, size_t errlen);

/* Marks the held-out ratings: is_test[k] = 1 for a test rating. For every
 * user with at least 2 ratings, round(test_frac * count) of them (at least
 * 1, at most count - 1) are picked uniformly, from a stream seeded by
 * (seed, user), so the split does not depend on how ratings are ordered
 * between users or on how many workers there are. Users with fewer than 2
 * ratings keep all in train. is_test[r->n] is the caller's. 0, ST_EINVAL
 * (test_frac outside [0, 1)) or ST_ENOMEM. */
int mf_ratings_split(const mf_ratings *r, uint64_t seed, double test_frac, uint8_t *is_test);

#endif
