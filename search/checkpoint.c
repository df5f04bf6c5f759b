/* Checkpoints of long runs (see checkpoint.h). */
#define _POSIX_C_SOURCE 200809L
#include "search/checkpoint.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "search/table.h"

static double ckpt__now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static uint64_t ckpt__hash(const char *key) { return stable_hash(key, strlen(key), 0); }

/* ---- the record set ---- */

static size_t *ckpt__slot(const ckpt *c, const char *key) {
  size_t mask = c->index_cap - 1;
  for (size_t i = (size_t)ckpt__hash(key) & mask;; i = (i + 1) & mask) {
    size_t at = c->index[i];
    if (!at || strcmp(c->recs[at - 1].key, key) == 0) return &c->index[i];
  }
}

static int ckpt__reindex(ckpt *c, heat_error *err) {
  size_t cap = c->index_cap ? c->index_cap : 64;
  while (cap < 2 * (c->n + 1)) cap *= 2;
  if (cap == c->index_cap) return HEAT_OK;
  size_t *index = calloc(cap, sizeof *index);
  if (!index) return heat_error_set(err, HEAT_ENOMEM, c->path, "out of memory");
  free(c->index);
  c->index = index;
  c->index_cap = cap;
  for (size_t i = 0; i < c->n; i++) *ckpt__slot(c, c->recs[i].key) = i + 1;
  return HEAT_OK;
}

const ckpt_rec *ckpt_get(const ckpt *c, const char *key) {
  if (!c->index_cap) return NULL;
  size_t at = *ckpt__slot(c, key);
  return at ? &c->recs[at - 1] : NULL;
}

static bool ckpt__clean(const char *s) { return !strpbrk(s, "\t\n"); }

static int ckpt__put(ckpt *c, const char *key, const char *payload, size_t line,
                     heat_error *err) {
  int rc = ckpt__reindex(c, err);
  if (rc) return rc;
  char *p = strdup(payload);
  if (!p) return heat_error_set(err, HEAT_ENOMEM, c->path, "out of memory");
  size_t *slot = ckpt__slot(c, key);
  if (*slot) {
    ckpt_rec *r = &c->recs[*slot - 1];
    free(r->payload);
    r->payload = p;
    r->line = line;
    return HEAT_OK;
  }
  if (c->n == c->cap) {
    size_t cap = c->cap ? 2 * c->cap : 64;
    ckpt_rec *recs = realloc(c->recs, cap * sizeof *recs);
    if (!recs) {
      free(p);
      return heat_error_set(err, HEAT_ENOMEM, c->path, "out of memory");
    }
    c->recs = recs;
    c->cap = cap;
  }
  char *k = strdup(key);
  if (!k) {
    free(p);
    return heat_error_set(err, HEAT_ENOMEM, c->path, "out of memory");
  }
  c->recs[c->n] = (ckpt_rec){k, p, line};
  *slot = ++c->n;
  return HEAT_OK;
}

int ckpt_put(ckpt *c, const char *key, const char *payload, heat_error *err) {
  if (!key[0] || !ckpt__clean(key) || !ckpt__clean(payload))
    return heat_error_set(err, HEAT_EINTERNAL, c->path, "bad checkpoint record '%s'", key);
  int rc = ckpt__put(c, key, payload, 0, err);
  if (!rc) c->dirty++;
  return rc;
}

/* ---- reading ---- */

static void ckpt__header(const ckpt *c, const char *inputs, char *buf, size_t cap) {
  snprintf(buf, cap, "heat-checkpoint %d kind=%s inputs=%s version=%s\n", CKPT_VERSION, c->kind,
           inputs, c->version);
}

static int ckpt__corrupt(const ckpt *c, size_t line, heat_error *err, const char *why) {
  return heat_error_at(err, HEAT_EINVAL, c->path, (int)line,
                       "corrupt checkpoint: %s; rerun without --resume to start over", why);
}

/* The header line: each field checked on its own to say what differs. */
static int ckpt__check_header(const ckpt *c, const char *line, heat_error *err) {
  int version;
  char kind[32], inputs[32], cost[64];
  if (strncmp(line, "heat-checkpoint ", 16) != 0)
    return ckpt__corrupt(c, 1, err, "not a heat checkpoint");
  if (sscanf(line, "heat-checkpoint %d kind=%31s inputs=%31s version=%63s", &version, kind,
             inputs, cost) != 4)
    return ckpt__corrupt(c, 1, err, "bad header");
  if (version != CKPT_VERSION)
    return heat_error_at(err, HEAT_EINVAL, c->path, 1,
                         "checkpoint file version %d; this heat reads version %d", version,
                         CKPT_VERSION);
  if (strcmp(kind, c->kind) != 0)
    return heat_error_at(err, HEAT_EINVAL, c->path, 1,
                         "a checkpoint of heat %s, not of heat %s", kind, c->kind);
  if (strcmp(cost, c->version) != 0)
    return heat_error_at(err, HEAT_EINVAL, c->path, 1,
                         "checkpoint made by a heat build with another cost model (%s; this "
                         "build: %s); rerun without --resume to start over",
                         cost, c->version);
  if (strcmp(inputs, c->inputs) != 0)
    return heat_error_at(err, HEAT_EINVAL, c->path, 1,
                         "checkpoint of another run (inputs or options differ: %s, this run "
                         "%s); resume with the interrupted run's options, or rerun without "
                         "--resume to start over",
                         inputs, c->inputs);
  char want[256];
  ckpt__header(c, c->inputs, want, sizeof want);
  if (strcmp(line, want) != 0) return ckpt__corrupt(c, 1, err, "bad header");
  return HEAT_OK;
}

static int ckpt__load(ckpt *c, FILE *f, heat_error *err) {
  char *line = NULL;
  size_t cap = 0, lineno = 0;
  uint64_t sum = 0;
  int rc = HEAT_OK;
  bool ended = false;
  ssize_t len;
  while (!rc && (len = getline(&line, &cap, f)) >= 0) {
    lineno++;
    if (ended) {
      rc = ckpt__corrupt(c, lineno, err, "text after the end record");
      break;
    }
    if ((size_t)len != strlen(line)) rc = ckpt__corrupt(c, lineno, err, "a NUL byte");
    else if (len == 0 || line[len - 1] != '\n')
      rc = ckpt__corrupt(c, lineno, err, "truncated line");
    if (rc) break;
    if (lineno == 1) {
      rc = ckpt__check_header(c, line, err);
      continue;
    }
    char *tab = strchr(line, '\t');
    if (!tab && strncmp(line, "end ", 4) == 0) {
      size_t count;
      uint64_t file_sum;
      char extra;
      if (sscanf(line + 4, "%zu %" SCNx64 " %c", &count, &file_sum, &extra) != 2 ||
          count != c->n || file_sum != sum)
        rc = ckpt__corrupt(c, lineno, err, "record count or checksum does not match");
      ended = true;
      continue;
    }
    sum = stable_hash(line, (size_t)len, sum);
    line[len - 1] = '\0';
    if (!tab || tab == line || strchr(tab + 1, '\t')) {
      rc = ckpt__corrupt(c, lineno, err, "not a record (key TAB payload)");
      break;
    }
    *tab = '\0';
    if (ckpt_get(c, line)) {
      char why[300];
      snprintf(why, sizeof why, "record '%.200s' given twice", line);
      rc = ckpt__corrupt(c, lineno, err, why);
      break;
    }
    rc = ckpt__put(c, line, tab + 1, lineno, err);
  }
  if (!rc && ferror(f))
    rc = heat_error_set(err, HEAT_EIO, c->path, "cannot read: %s", strerror(errno));
  if (!rc && lineno == 0) rc = ckpt__corrupt(c, 1, err, "empty file");
  if (!rc && !ended) rc = ckpt__corrupt(c, lineno, err, "no end record (truncated)");
  free(line);
  c->loaded = c->n;
  return rc;
}

static void ckpt__test_hooks(ckpt *c) {
  const char *t = getenv("HEAT_CHECKPOINT_TEST");
  if (!t) return;
  if (sscanf(t, "kill-after=%d", &c->test_kill_after) != 1) c->test_kill_after = 0;
  if (sscanf(t, "sleep-ms=%d", &c->test_sleep_ms) != 1) c->test_sleep_ms = 0;
}

int ckpt_open(ckpt *c, const char *dir, const char *kind, const char *inputs, const char *version,
              bool resume, double interval_s, bool *found, heat_error *err) {
  memset(c, 0, sizeof *c);
  snprintf(c->path, sizeof c->path, "%s/%s", dir, CKPT_FILE);
  snprintf(c->kind, sizeof c->kind, "%s", kind);
  snprintf(c->inputs, sizeof c->inputs, "%s", inputs);
  snprintf(c->version, sizeof c->version, "%s", version);
  c->interval_s = interval_s;
  c->last_save_s = ckpt__now();
  ckpt__test_hooks(c);
  if (found) *found = false;
  int rc = ckpt__reindex(c, err);
  if (rc || !resume) return rc;
  /* O_NONBLOCK: a FIFO in its place must not hang the open; only regular files are read. */
  int fd = open(c->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) return HEAT_OK;
  struct stat st;
  FILE *f = NULL;
  if (fd < 0) rc = heat_error_set(err, HEAT_EIO, c->path, "cannot open: %s", strerror(errno));
  else if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    rc = heat_error_set(err, HEAT_EIO, c->path, "not a regular file");
  else if (!(f = fdopen(fd, "r")))
    rc = heat_error_set(err, HEAT_ENOMEM, c->path, "out of memory");
  if (!rc) rc = ckpt__load(c, f, err);
  if (f) fclose(f);
  else if (fd >= 0) close(fd);
  if (rc) {
    ckpt_free(c);
    return rc;
  }
  if (found) *found = true;
  return HEAT_OK;
}

void ckpt_free(ckpt *c) {
  for (size_t i = 0; i < c->n; i++) {
    free(c->recs[i].key);
    free(c->recs[i].payload);
  }
  free(c->recs);
  free(c->index);
  c->recs = NULL;
  c->index = NULL;
  c->n = c->cap = c->index_cap = 0;
}

/* ---- saving ---- */

static int ckpt__cmp(const void *a, const void *b) {
  return strcmp((*(const ckpt_rec *const *)a)->key, (*(const ckpt_rec *const *)b)->key);
}

int ckpt_save(ckpt *c, heat_error *err) {
  const ckpt_rec **order = malloc((c->n + 1) * sizeof *order);
  if (!order) return heat_error_set(err, HEAT_ENOMEM, c->path, "out of memory");
  for (size_t i = 0; i < c->n; i++) order[i] = &c->recs[i];
  qsort(order, c->n, sizeof *order, ckpt__cmp);
  char tmp[1100];
  snprintf(tmp, sizeof tmp, "%s.tmp%ld", c->path, (long)getpid());
  FILE *f = fopen(tmp, "w");
  if (!f) {
    free(order);
    return heat_error_set(err, HEAT_EIO, tmp, "cannot write: %s", strerror(errno));
  }
  char head[256];
  ckpt__header(c, c->inputs, head, sizeof head);
  fputs(head, f);
  uint64_t sum = 0;
  for (size_t i = 0; i < c->n; i++) {
    const ckpt_rec *r = order[i];
    size_t kl = strlen(r->key), pl = strlen(r->payload);
    sum = stable_hash(r->key, kl, sum);
    sum = stable_hash("\t", 1, sum);
    sum = stable_hash(r->payload, pl, sum);
    sum = stable_hash("\n", 1, sum);
    fwrite(r->key, 1, kl, f);
    fputc('\t', f);
    fwrite(r->payload, 1, pl, f);
    fputc('\n', f);
  }
  free(order);
  char hex[17];
  stable_hash_hex(sum, hex);
  fprintf(f, "end %zu %s\n", c->n, hex);
  /* fsync: the point of a checkpoint is to survive the machine going down too */
  bool ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
  ok = fclose(f) == 0 && ok;
  if (!ok || rename(tmp, c->path) != 0) {
    int e = errno;
    remove(tmp);
    return heat_error_set(err, HEAT_EIO, c->path, "cannot write the checkpoint: %s", strerror(e));
  }
  c->dirty = 0;
  c->last_save_s = ckpt__now();
  c->saves++;
  if (c->test_sleep_ms > 0) {
    struct timespec d = {c->test_sleep_ms / 1000, (long)(c->test_sleep_ms % 1000) * 1000000L};
    nanosleep(&d, NULL);
  }
  if (c->test_kill_after > 0 && c->saves == c->test_kill_after) raise(SIGKILL);
  return HEAT_OK;
}

int ckpt_tick(ckpt *c, heat_error *err) {
  if (!c->dirty || ckpt__now() - c->last_save_s < c->interval_s) return HEAT_OK;
  return ckpt_save(c, err);
}

void ckpt_remove(const ckpt *c) {
  remove(c->path);
  /* A process killed while saving (kill -9, or mpirun ending every rank when one died) leaves
   * its "checkpoint.txt.tmp<pid>": the run that completes the work clears them. */
  char dir[sizeof c->path];
  snprintf(dir, sizeof dir, "%s", c->path);
  char *slash = strrchr(dir, '/');
  const char *base = slash ? slash + 1 : dir;
  char prefix[sizeof c->path + 8];
  snprintf(prefix, sizeof prefix, "%s.tmp", base);
  if (slash) *slash = '\0';
  DIR *d = opendir(slash ? dir : ".");
  if (!d) return;
  for (struct dirent *e; (e = readdir(d));) {
    if (strncmp(e->d_name, prefix, strlen(prefix)) != 0) continue;
    char path[sizeof dir + 300];
    snprintf(path, sizeof path, "%s/%s", slash ? dir : ".", e->d_name);
    remove(path);
  }
  closedir(d);
}

/* ---- payloads ---- */

static void ckpt__append(ckpt_buf *b, const char *s, size_t n) {
  if (b->oom) return;
  if (b->n + n + 2 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (b->n + n + 2 > cap) cap *= 2;
    char *p = realloc(b->s, cap);
    if (!p) {
      b->oom = true;
      return;
    }
    b->s = p;
    b->cap = cap;
  }
  memcpy(b->s + b->n, s, n);
  b->n += n;
  b->s[b->n] = '\0';
}

static void ckpt__token(ckpt_buf *b, const char *s) {
  if (b->n) ckpt__append(b, " ", 1);
  ckpt__append(b, s, strlen(s));
}

void ckpt_buf_i64(ckpt_buf *b, int64_t v) {
  char t[32];
  snprintf(t, sizeof t, "%" PRId64, v);
  ckpt__token(b, t);
}

void ckpt_buf_u64(ckpt_buf *b, uint64_t v) {
  char t[32];
  snprintf(t, sizeof t, "%" PRIu64, v);
  ckpt__token(b, t);
}

void ckpt_buf_f64(ckpt_buf *b, double v) {
  char t[48];
  snprintf(t, sizeof t, "%a", v);
  ckpt__token(b, t);
}

void ckpt_buf_text(ckpt_buf *b, const char *text) {
  if (b->n) ckpt__append(b, " ", 1);
  ckpt__append(b, "s", 1);
  for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
    if (*p > ' ' && *p < 127 && *p != '\\') {
      ckpt__append(b, (const char *)p, 1);
    } else {
      char e[8];
      snprintf(e, sizeof e, "\\x%02x", *p);
      ckpt__append(b, e, 4);
    }
  }
}

int ckpt_buf_done(ckpt_buf *b, const char **text, heat_error *err) {
  if (b->oom) return heat_error_set(err, HEAT_ENOMEM, "checkpoint", "out of memory");
  *text = b->s ? b->s : "";
  return HEAT_OK;
}

void ckpt_buf_free(ckpt_buf *b) {
  free(b->s);
  memset(b, 0, sizeof *b);
}

void ckpt_reader_init(ckpt_reader *r, const ckpt *c, const ckpt_rec *rec, heat_error *err) {
  r->c = c;
  r->rec = rec;
  r->p = rec->payload;
  r->rc = HEAT_OK;
  r->err = err;
}

int ckpt_reader_fail(ckpt_reader *r, const char *what) {
  if (r->rc) return r->rc;
  char why[400];
  snprintf(why, sizeof why, "record '%.200s': %s", r->rec->key, what);
  r->rc = ckpt__corrupt(r->c, r->rec->line, r->err, why);
  return r->rc;
}

/* The next token [start, end); false (and the reader failed) when there is none. */
static bool ckpt__next(ckpt_reader *r, const char **start, size_t *len) {
  if (r->rc) return false;
  if (!*r->p) {
    ckpt_reader_fail(r, "too few values");
    return false;
  }
  if (r->p != r->rec->payload) {
    if (*r->p != ' ') {
      ckpt_reader_fail(r, "values not separated by one space");
      return false;
    }
    r->p++;
  }
  *start = r->p;
  *len = strcspn(r->p, " ");
  r->p += *len;
  if (*len == 0) {
    ckpt_reader_fail(r, "an empty value");
    return false;
  }
  return true;
}

int64_t ckpt_read_i64(ckpt_reader *r, int64_t lo, int64_t hi) {
  const char *s;
  size_t n;
  if (!ckpt__next(r, &s, &n)) return lo;
  char t[32], *end;
  if (n >= sizeof t) return ckpt_reader_fail(r, "an over-long integer"), lo;
  memcpy(t, s, n);
  t[n] = '\0';
  errno = 0;
  long long v = strtoll(t, &end, 10);
  if (end == t || *end || errno || isspace((unsigned char)t[0]) || v < lo || v > hi)
    return ckpt_reader_fail(r, "a bad or out-of-range integer"), lo;
  return (int64_t)v;
}

uint64_t ckpt_read_u64(ckpt_reader *r) {
  const char *s;
  size_t n;
  if (!ckpt__next(r, &s, &n)) return 0;
  char t[32], *end;
  if (n >= sizeof t || s[0] < '0' || s[0] > '9') return ckpt_reader_fail(r, "a bad integer"), 0;
  memcpy(t, s, n);
  t[n] = '\0';
  errno = 0;
  unsigned long long v = strtoull(t, &end, 10);
  if (*end || errno) return ckpt_reader_fail(r, "a bad integer"), 0;
  return (uint64_t)v;
}

double ckpt_read_f64(ckpt_reader *r) {
  const char *s;
  size_t n;
  if (!ckpt__next(r, &s, &n)) return 0;
  char t[64], *end;
  if (n >= sizeof t) return ckpt_reader_fail(r, "an over-long number"), 0;
  memcpy(t, s, n);
  t[n] = '\0';
  errno = 0;
  double v = strtod(t, &end);
  /* ERANGE on underflow is fine: %a wrote the exact subnormal */
  if (end == t || *end || isspace((unsigned char)t[0])) return ckpt_reader_fail(r, "a bad number"), 0;
  return v;
}

static int ckpt__hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

char *ckpt_read_text(ckpt_reader *r) {
  const char *s;
  size_t n;
  if (!ckpt__next(r, &s, &n)) return NULL;
  if (s[0] != 's') return ckpt_reader_fail(r, "a bad text value"), NULL;
  char *out = malloc(n);
  if (!out) {
    r->rc = heat_error_set(r->err, HEAT_ENOMEM, r->c->path, "out of memory");
    return NULL;
  }
  size_t k = 0;
  for (size_t i = 1; i < n; i++) {
    if (s[i] != '\\') {
      out[k++] = s[i];
      continue;
    }
    int hi = i + 3 < n && s[i + 1] == 'x' ? ckpt__hex(s[i + 2]) : -1;
    int lo = hi >= 0 ? ckpt__hex(s[i + 3]) : -1;
    if (lo < 0 || (hi == 0 && lo == 0)) {
      free(out);
      return ckpt_reader_fail(r, "a bad escape in a text value"), NULL;
    }
    out[k++] = (char)(hi * 16 + lo);
    i += 3;
  }
  out[k] = '\0';
  return out;
}

int ckpt_reader_end(ckpt_reader *r) {
  if (!r->rc && *r->p) ckpt_reader_fail(r, "too many values");
  return r->rc;
}

/* ---- signals ---- */

static volatile sig_atomic_t ckpt__signal;

static void ckpt__on_signal(int sig) { ckpt__signal = sig; }

void ckpt_signals_install(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = ckpt__on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND; /* a second Ctrl-C ends the process at once */
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  ckpt__signal = 0;
}

void ckpt_signals_restore(void) {
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
}

int ckpt_signal_pending(void) { return ckpt__signal; }

int ckpt_interrupt_message(const ckpt *c, char *buf, size_t cap) {
  int sig = ckpt__signal ? ckpt__signal : SIGINT;
  snprintf(buf, cap,
           "interrupted by %s: %zu completed records saved in %s; rerun the same command with "
           "--resume to continue",
           sig == SIGTERM ? "SIGTERM" : "SIGINT", c->n, c->path);
  return 128 + sig;
}
