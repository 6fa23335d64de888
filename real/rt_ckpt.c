/* rt_ckpt.c: see rt_ckpt.h. Shard file layout (little-endian):
 *   "STCK" u32 version=1, u32 k, u32 shard, u32 nservers, u32 nrows,
 *   nrows x (u32 table, u32 row, u32 width, width x f32),
 *   32-byte SHA-256 of everything before it. */
#include "rt_ckpt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt_sha256.h"
#include "st.h"

#define CK_MAGIC 0x4B435453u /* "STCK" */
#define CK_VERSION 1u
#define CKW_MAGIC 0x57435453u /* "STCW": a worker's own state */
#define CKR_MAGIC 0x52435453u /* "STCR": a node's per-clock records */
#define CKC_MAGIC 0x43435453u /* "STCC": a node's client cache (cl_cache_save) */
#define CKH_MAGIC 0x48435453u /* "STCH": a shard's push state (srv_held_save) */
/* The first line of COMPLETE: the layout of the files it vouches for. 3:
 * client caches and push state are part of a checkpoint, and the records
 * end with the node's counters at the checkpoint itself. */
#define CK_LAYOUT "stale checkpoint 3"

typedef struct obuf {
  uint8_t *d;
  size_t len, cap;
} obuf;

static int ob_put(obuf *b, const void *p, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n)
      cap *= 2;
    uint8_t *nd = realloc(b->d, cap);
    if (!nd)
      return ST_ENOMEM;
    b->d = nd;
    b->cap = cap;
  }
  memcpy(b->d + b->len, p, n);
  b->len += n;
  return 0;
}

static int ob_u32(obuf *b, uint32_t v) {
  uint8_t p[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  return ob_put(b, p, 4);
}

static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int ensure_dir(const char *path, char *err, size_t errlen) {
  if (mkdir(path, 0700) == 0 || errno == EEXIST)
    return 0;
  snprintf(err, errlen, "%s: %s", path, strerror(errno));
  return ST_EIO;
}

/* Writes data to path via path.tmp, fsync and rename. */
static int write_atomic(const char *path, const void *data, size_t len, char *err,
                        size_t errlen) {
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) {
    snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
    return ST_EIO;
  }
  const uint8_t *p = data;
  size_t off = 0;
  while (off < len) {
    ssize_t w = write(fd, p + off, len - off);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
      close(fd);
      unlink(tmp);
      return ST_EIO;
    }
    off += (size_t)w;
  }
  if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    unlink(tmp);
    return ST_EIO;
  }
  return 0;
}

static void ck_dir(char *out, size_t len, const char *dir, uint32_t k) {
  snprintf(out, len, "%s/ckpt-%u", dir, k);
}

/* Ends the file being built in b (rc: how building went) with its SHA-256
 * and writes it atomically as DIR/ckpt-K/NAME; what names the file in
 * errors. Frees b's memory. */
static int finish_file(const char *dir, uint32_t k, const char *name, const char *what, obuf *b,
                       int rc, char *err, size_t errlen) {
  char d[4096], path[4200];
  uint8_t h[RT_SHA256_LEN];
  if (rc == 0) {
    rt_sha256(b->d, b->len, h);
    rc = ob_put(b, h, sizeof h);
  }
  if (rc) {
    snprintf(err, errlen, "checkpoint %u of %s: %s", k, what, st_strerror(rc));
    free(b->d);
    return rc;
  }
  ck_dir(d, sizeof d, dir, k);
  rc = ensure_dir(dir, err, errlen);
  if (rc == 0)
    rc = ensure_dir(d, err, errlen);
  snprintf(path, sizeof path, "%s/%s", d, name);
  if (rc == 0)
    rc = write_atomic(path, b->d, b->len, err, errlen);
  free(b->d);
  return rc;
}

int rt_ckpt_write_shard(const char *dir, uint32_t k, uint32_t shard, uint32_t nservers,
                        const tbl_set *t, const srv_shard *s, char *err, size_t errlen) {
  obuf b = {0};
  int rc = ob_u32(&b, CK_MAGIC);
  rc = rc ? rc : ob_u32(&b, CK_VERSION);
  rc = rc ? rc : ob_u32(&b, k);
  rc = rc ? rc : ob_u32(&b, shard);
  rc = rc ? rc : ob_u32(&b, nservers);
  rc = rc ? rc : ob_u32(&b, 0); /* row count, patched below */
  uint32_t nrows = 0;
  for (uint32_t ti = 0; ti < t->n && rc == 0; ti++) {
    const tbl_def *def = &t->defs[ti];
    float *v = malloc(def->width * sizeof *v);
    if (!v) {
      rc = ST_ENOMEM;
      break;
    }
    for (uint32_t r = 0; r < def->rows && rc == 0; r++) {
      if (tbl_shard(def->id, r, nservers) != shard)
        continue;
      rc = srv_read_row(s, def->id, r, v);
      if (rc)
        break;
      int zero = 1; /* bit for bit: a -0.0f must come back as one */
      for (uint32_t c = 0; c < def->width && zero; c++) {
        uint32_t bits;
        memcpy(&bits, &v[c], 4);
        zero = bits == 0;
      }
      if (zero)
        continue; /* never updated (or summed to +0): nothing to restore */
      rc = ob_u32(&b, def->id);
      rc = rc ? rc : ob_u32(&b, r);
      rc = rc ? rc : ob_u32(&b, def->width);
      rc = rc ? rc : ob_put(&b, v, def->width * sizeof *v); /* f32 in host (LE) order */
      nrows++;
    }
    free(v);
  }
  if (rc == 0) {
    b.d[20] = (uint8_t)nrows;
    b.d[21] = (uint8_t)(nrows >> 8);
    b.d[22] = (uint8_t)(nrows >> 16);
    b.d[23] = (uint8_t)(nrows >> 24);
  }
  char name[64], what[64];
  snprintf(name, sizeof name, "shard-%u.bin", shard);
  snprintf(what, sizeof what, "shard %u", shard);
  return finish_file(dir, k, name, what, &b, rc, err, errlen);
}

#define META_MAX 9000 /* the text below, with two strings of up to 4 KiB */

static void meta_text(char *out, size_t len, uint32_t k, const rt_ckpt_meta *m) {
  snprintf(out, len,
           CK_LAYOUT "\nclock %u\napp %s\napp_options %.4000s\ndata %.4000s\n"
           "seed %llu\nnodes %u\nservers %u\nworkers_per_node %u\nclocks %u\nstaleness %u\n"
           "push %d\nordered %d\n",
           k, m->app, m->app_options ? m->app_options : "-", m->data ? m->data : "-",
           (unsigned long long)m->seed, m->nodes, m->servers, m->workers_per_node, m->clocks,
           m->staleness, m->push, m->ordered);
}

int rt_ckpt_mark_complete(const char *dir, uint32_t k, const rt_ckpt_meta *m, char *err,
                          size_t errlen) {
  char d[4096], path[4160], text[META_MAX];
  ck_dir(d, sizeof d, dir, k);
  int rc = ensure_dir(dir, err, errlen);
  if (rc == 0)
    rc = ensure_dir(d, err, errlen);
  if (rc)
    return rc;
  meta_text(text, sizeof text, k, m);
  snprintf(path, sizeof path, "%s/COMPLETE", d);
  return write_atomic(path, text, strlen(text), err, errlen);
}

/* A file a checkpoint of ours holds (the finished name or its .tmp). */
static int ckpt_file_name(const char *name) {
  return !strncmp(name, "shard-", 6) || !strncmp(name, "worker-", 7) ||
         !strncmp(name, "records-", 8) || !strncmp(name, "cache-", 6) ||
         !strncmp(name, "held-", 5) ||
         !strncmp(name, "COMPLETE", 8);
}

void rt_ckpt_prune(const char *dir, uint32_t below) {
  DIR *dh = opendir(dir);
  if (!dh) return;
  struct dirent *e;
  while ((e = readdir(dh))) {
    unsigned long v;
    char tail;
    if (sscanf(e->d_name, "ckpt-%lu%c", &v, &tail) != 1 || v >= below) continue;
    char d[4400];
    snprintf(d, sizeof d, "%s/%s", dir, e->d_name);
    DIR *ch = opendir(d);
    if (!ch) continue;
    struct dirent *f;
    while ((f = readdir(ch))) {
      if (!ckpt_file_name(f->d_name)) continue;
      char path[4700];
      snprintf(path, sizeof path, "%s/%s", d, f->d_name);
      unlink(path);
    }
    closedir(ch);
    rmdir(d);
  }
  closedir(dh);
}

int rt_ckpt_latest(const char *dir, const rt_ckpt_meta *m, uint32_t *k, char *err,
                   size_t errlen) {
  DIR *dh = opendir(dir);
  if (!dh) {
    snprintf(err, errlen, "--checkpoint-dir %s: %s", dir, strerror(errno));
    return ST_EINVAL;
  }
  int found = 0;
  uint32_t best = 0;
  struct dirent *e;
  while ((e = readdir(dh))) {
    unsigned long v;
    char tail;
    if (sscanf(e->d_name, "ckpt-%lu%c", &v, &tail) != 1 || v > UINT32_MAX)
      continue;
    char path[4400];
    snprintf(path, sizeof path, "%s/%s/COMPLETE", dir, e->d_name);
    if (access(path, R_OK) != 0)
      continue; /* incomplete: a crash during the checkpoint */
    if (!found || v > best) {
      best = (uint32_t)v;
      found = 1;
    }
  }
  closedir(dh);
  if (!found) {
    snprintf(err, errlen, "--resume: no complete checkpoint in %s", dir);
    return ST_EINVAL;
  }
  char path[4200], want[META_MAX], have[META_MAX] = "";
  snprintf(path, sizeof path, "%s/ckpt-%u/COMPLETE", dir, best);
  FILE *f = fopen(path, "r");
  size_t n = f ? fread(have, 1, sizeof have - 1, f) : 0;
  have[n] = '\0';
  if (f)
    fclose(f);
  meta_text(want, sizeof want, best, m);
  size_t line = strcspn(have, "\n");
  if (line != strlen(CK_LAYOUT) || strncmp(have, CK_LAYOUT, line) != 0) {
    snprintf(err, errlen, "--resume: %s was written in another checkpoint layout ('%.*s'; this "
                          "stale reads '" CK_LAYOUT "', which also keeps client caches and push "
                          "state): it cannot be resumed, start the run afresh",
             path, (int)(line < 60 ? line : 60), have);
    return ST_EINVAL;
  }
  if (strcmp(have, want) != 0) {
    snprintf(err, errlen, "--resume: %s was made by a different run configuration (app, "
                          "app options, data, seed, nodes, servers, workers per node, clocks, "
                          "staleness, push or ordered differ)",
             path);
    return ST_EINVAL;
  }
  *k = best;
  return 0;
}

void rt_ckpt_rows_free(rt_ckpt_rows *r) {
  free(r->rows);
  free(r->values);
  memset(r, 0, sizeof *r);
}

/* Reads all of path into *buf (malloc'd, the caller frees) and *len. */
static int read_whole(const char *path, uint8_t **out, size_t *outlen, char *err, size_t errlen) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return ST_EINVAL;
  }
  uint8_t *buf = NULL;
  size_t len = 0, cap = 0;
  for (;;) {
    if (len == cap) {
      cap = cap ? cap * 2 : 65536;
      uint8_t *nb = realloc(buf, cap);
      if (!nb) {
        free(buf);
        fclose(f);
        snprintf(err, errlen, "%s: out of memory", path);
        return ST_ENOMEM;
      }
      buf = nb;
    }
    size_t got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (got == 0)
      break;
  }
  fclose(f);
  *out = buf;
  *outlen = len;
  return 0;
}

/* A file of one party's own bytes in checkpoint k (a worker's app state, a
 * node's records): magic, version, k, index, the bytes, a SHA-256. */
static int write_blob(const char *dir, uint32_t k, uint32_t magic, const char *kind,
                      uint32_t index, const uint8_t *state, size_t len, char *err,
                      size_t errlen) {
  obuf b = {0};
  int rc = ob_u32(&b, magic);
  rc = rc ? rc : ob_u32(&b, CK_VERSION);
  rc = rc ? rc : ob_u32(&b, k);
  rc = rc ? rc : ob_u32(&b, index);
  rc = rc ? rc : ob_put(&b, state, len);
  char name[64], what[64];
  snprintf(name, sizeof name, "%s-%u.bin", kind, index);
  snprintf(what, sizeof what, "%s %u", kind, index);
  return finish_file(dir, k, name, what, &b, rc, err, errlen);
}

static int read_blob(const char *dir, uint32_t k, uint32_t magic, const char *kind,
                     uint32_t index, uint8_t **state, size_t *len, char *err, size_t errlen) {
  char path[4200];
  snprintf(path, sizeof path, "%s/ckpt-%u/%s-%u.bin", dir, k, kind, index);
  uint8_t *buf;
  size_t n;
  int rc = read_whole(path, &buf, &n, err, errlen);
  if (rc)
    return rc;
  uint8_t h[RT_SHA256_LEN];
  const char *why = "truncated";
  if (n >= 16 + RT_SHA256_LEN) {
    rt_sha256(buf, n - RT_SHA256_LEN, h);
    why = "checksum mismatch (corrupt file)";
    if (rt_mac_equal(h, buf + n - RT_SHA256_LEN, RT_SHA256_LEN)) {
      why = "header does not match this checkpoint";
      if (rd32(buf) == magic && rd32(buf + 4) == CK_VERSION && rd32(buf + 8) == k &&
          rd32(buf + 12) == index) {
        *len = n - 16 - RT_SHA256_LEN;
        memmove(buf, buf + 16, *len);
        *state = buf;
        return 0;
      }
    }
  }
  snprintf(err, errlen, "%s: %s", path, why);
  free(buf);
  return ST_EFRAME;
}

int rt_ckpt_write_worker(const char *dir, uint32_t k, uint32_t worker, const uint8_t *state,
                         size_t len, char *err, size_t errlen) {
  return write_blob(dir, k, CKW_MAGIC, "worker", worker, state, len, err, errlen);
}

int rt_ckpt_read_worker(const char *dir, uint32_t k, uint32_t worker, uint8_t **state,
                        size_t *len, char *err, size_t errlen) {
  return read_blob(dir, k, CKW_MAGIC, "worker", worker, state, len, err, errlen);
}

int rt_ckpt_write_cache(const char *dir, uint32_t k, uint32_t node, const uint8_t *state,
                        size_t len, char *err, size_t errlen) {
  return write_blob(dir, k, CKC_MAGIC, "cache", node, state, len, err, errlen);
}

int rt_ckpt_read_cache(const char *dir, uint32_t k, uint32_t node, uint8_t **state, size_t *len,
                       char *err, size_t errlen) {
  return read_blob(dir, k, CKC_MAGIC, "cache", node, state, len, err, errlen);
}

int rt_ckpt_write_held(const char *dir, uint32_t k, uint32_t shard, const uint8_t *state,
                       size_t len, char *err, size_t errlen) {
  return write_blob(dir, k, CKH_MAGIC, "held", shard, state, len, err, errlen);
}

int rt_ckpt_read_held(const char *dir, uint32_t k, uint32_t shard, uint8_t **state, size_t *len,
                      char *err, size_t errlen) {
  return read_blob(dir, k, CKH_MAGIC, "held", shard, state, len, err, errlen);
}

int rt_ckpt_write_records(const char *dir, uint32_t k, uint32_t node, const double *v, size_t n,
                          char *err, size_t errlen) {
  uint8_t *buf = malloc(n ? n * 8 : 1);
  if (!buf) {
    snprintf(err, errlen, "checkpoint %u: out of memory", k);
    return ST_ENOMEM;
  }
  for (size_t i = 0; i < n; i++) { /* little-endian IEEE-754 bits */
    uint64_t bits;
    memcpy(&bits, &v[i], 8);
    for (int j = 0; j < 8; j++) buf[i * 8 + j] = (uint8_t)(bits >> (8 * j));
  }
  int rc = write_blob(dir, k, CKR_MAGIC, "records", node, buf, n * 8, err, errlen);
  free(buf);
  return rc;
}

int rt_ckpt_read_records(const char *dir, uint32_t k, uint32_t node, double *v, size_t n,
                         char *err, size_t errlen) {
  uint8_t *buf;
  size_t len;
  int rc = read_blob(dir, k, CKR_MAGIC, "records", node, &buf, &len, err, errlen);
  if (rc)
    return rc;
  if (len != n * 8) {
    snprintf(err, errlen, "%s/ckpt-%u/records-%u.bin: %zu values, expected %zu", dir, k, node,
             len / 8, n);
    free(buf);
    return ST_EFRAME;
  }
  for (size_t i = 0; i < n; i++) {
    uint64_t bits = 0;
    for (int j = 0; j < 8; j++) bits |= (uint64_t)buf[i * 8 + j] << (8 * j);
    memcpy(&v[i], &bits, 8);
  }
  free(buf);
  return 0;
}

int rt_ckpt_read_shard(const char *dir, uint32_t k, uint32_t shard, uint32_t nservers,
                       const tbl_set *t, rt_ckpt_rows *out, char *err, size_t errlen) {
  char path[4200];
  snprintf(path, sizeof path, "%s/ckpt-%u/shard-%u.bin", dir, k, shard);
  memset(out, 0, sizeof *out);
  uint8_t *buf;
  size_t len;
  int rc = read_whole(path, &buf, &len, err, errlen);
  if (rc)
    return rc;
  rc = ST_EFRAME;
  const char *why = "truncated";
  uint8_t h[RT_SHA256_LEN];
  if (len < 24 + RT_SHA256_LEN)
    goto bad;
  rt_sha256(buf, len - RT_SHA256_LEN, h);
  why = "checksum mismatch (corrupt file)";
  if (!rt_mac_equal(h, buf + len - RT_SHA256_LEN, RT_SHA256_LEN))
    goto bad;
  why = "header does not match this checkpoint";
  if (rd32(buf) != CK_MAGIC || rd32(buf + 4) != CK_VERSION || rd32(buf + 8) != k ||
      rd32(buf + 12) != shard || rd32(buf + 16) != nservers)
    goto bad;
  uint32_t nrows = rd32(buf + 20);
  size_t end = len - RT_SHA256_LEN, off = 24, nvals = 0;
  /* First pass: validate and count. */
  for (uint32_t i = 0; i < nrows; i++) {
    why = "row record runs past the end";
    if (end - off < 12)
      goto bad;
    uint32_t table = rd32(buf + off), row = rd32(buf + off + 4), width = rd32(buf + off + 8);
    const tbl_def *def = tbl_find(t, table);
    why = "row of an unknown table, out of range, of the wrong width or another shard's";
    if (!def || row >= def->rows || width != def->width ||
        tbl_shard(table, row, nservers) != shard)
      goto bad;
    why = "row record runs past the end";
    if ((end - off - 12) / 4 < width)
      goto bad;
    off += 12 + (size_t)width * 4;
    nvals += width;
  }
  why = "trailing bytes after the rows";
  if (off != end)
    goto bad;
  out->rows = calloc(nrows ? nrows : 1, sizeof *out->rows);
  out->values = malloc((nvals ? nvals : 1) * sizeof *out->values);
  if (!out->rows || !out->values) {
    rc = ST_ENOMEM;
    why = "out of memory";
    goto bad;
  }
  off = 24;
  size_t vi = 0;
  for (uint32_t i = 0; i < nrows; i++) {
    uint32_t width = rd32(buf + off + 8);
    out->rows[i].table = rd32(buf + off);
    out->rows[i].row = rd32(buf + off + 4);
    out->rows[i].v = out->values + vi;
    memcpy(out->rows[i].v, buf + off + 12, (size_t)width * 4);
    vi += width;
    off += 12 + (size_t)width * 4;
  }
  out->n = nrows;
  free(buf);
  return 0;
bad:
  snprintf(err, errlen, "%s: %s", path, why);
  free(buf);
  rt_ckpt_rows_free(out);
  return rc;
}
