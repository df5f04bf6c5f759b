/* The checkpoint reader (search/checkpoint.c, `heat search|sweep --resume`) and the level-2
 * state reader on top of it: a failure fills the error record naming the checkpoint's
 * file:line; an accepted file holds distinct keys, saves to a file that reads back to the same
 * records and saves to the same bytes again; every payload reads as tokens without a crash;
 * a restored level-2 state holds only choices of its space and continues to the end. */
#include <sys/stat.h>

#include "search/checkpoint.h"
#include "search/evolve.h"
#include "tests/fuzz/fuzz.h"

static char *fuzz_slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  FUZZ_CHECK(f != NULL);
  char *buf = NULL;
  size_t cap = 0;
  *len = 0;
  for (;;) {
    if (*len + 4096 > cap) {
      cap = 2 * cap + 4096;
      buf = realloc(buf, cap);
      FUZZ_CHECK(buf != NULL);
    }
    size_t got = fread(buf + *len, 1, cap - *len, f);
    if (!got) break;
    *len += got;
  }
  fclose(f);
  return buf;
}

/* Reads every token of a record: text when it starts with 's', else a number. */
static void fuzz_read_all(const ckpt *c, const ckpt_rec *rec) {
  heat_error err;
  ckpt_reader r;
  ckpt_reader_init(&r, c, rec, &err);
  while (!r.rc && *r.p) {
    const char *at = r.p + (r.p != rec->payload && *r.p == ' ');
    if (*at == 's') free(ckpt_read_text(&r));
    else ckpt_read_f64(&r);
  }
  int rc = ckpt_reader_end(&r);
  if (rc) {
    FUZZ_CHECK_ERROR(rc, err);
    FUZZ_CHECK(strstr(err.where, CKPT_FILE) != NULL);
  }
}

/* A level-2 search of 2 weights with choices {dense, 0, 1}, population 4, 3 generations. */
static void fuzz_restore(const ckpt *c) {
  static int ch[2][3] = {{-1, 0, 1}, {-1, 0, 1}};
  static int *choices[2] = {ch[0], ch[1]};
  static size_t n_choices[2] = {3, 3};
  s2_space s;
  memset(&s, 0, sizeof s);
  s.n_weights = 2;
  s.n_choices = n_choices;
  s.choices = choices;
  s2_config cfg;
  s2_config_init(&cfg);
  cfg.population = 4;
  cfg.generations = 3;
  heat_error err;
  s2_search q;
  FUZZ_CHECK(s2_search_init(&q, &cfg, &s, &err) == HEAT_OK);
  int rc = s2_search_restore(&q, c, "svd", NULL, &err);
  if (rc) {
    FUZZ_CHECK_ERROR(rc, err);
  } else {
    FUZZ_CHECK(q.g >= 0 && q.g <= q.G);
    for (size_t i = 0; q.g < q.G && i < q.P * q.W; i++)
      FUZZ_CHECK(q.pop[i] >= -1 && q.pop[i] <= 1);
  }
  s2_search_free(&q);
}

static char fuzz_dirs[2][140];

/* The two directories and their checkpoint files go when the process exits normally. */
static void fuzz_remove_dirs(void) {
  char path[200];
  for (int i = 0; i < 2; i++) {
    snprintf(path, sizeof path, "%s/%s", fuzz_dirs[i], CKPT_FILE);
    unlink(path);
    rmdir(fuzz_dirs[i]);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *dir = fuzz_dirs[0], *dir2 = fuzz_dirs[1], path[200];
  if (!dir[0]) atexit(fuzz_remove_dirs);
  snprintf(dir, sizeof fuzz_dirs[0], "/tmp/heat_fuzz_ckpt_%ld", (long)getpid());
  snprintf(dir2, sizeof fuzz_dirs[1], "/tmp/heat_fuzz_ckpt_%ld_saved", (long)getpid());
  mkdir(dir, 0700);
  mkdir(dir2, 0700);
  snprintf(path, sizeof path, "%s/%s", dir, CKPT_FILE);
  FILE *f = fopen(path, "wb");
  FUZZ_CHECK(f != NULL);
  FUZZ_CHECK(fwrite(data, 1, size, f) == size);
  fclose(f);
  static ckpt c, d;
  heat_error err;
  bool found = false;
  int rc = ckpt_open(&c, dir, "search", "0123456789abcdef", "fuzz", true, 0, &found, &err);
  if (rc) {
    FUZZ_CHECK_ERROR(rc, err);
    FUZZ_CHECK(strstr(err.where, CKPT_FILE) != NULL);
    return 0;
  }
  FUZZ_CHECK(found && c.loaded == c.n);
  for (size_t i = 0; i < c.n; i++) {
    FUZZ_CHECK(ckpt_get(&c, c.recs[i].key) == &c.recs[i]);
    FUZZ_CHECK(c.recs[i].line >= 2);
    fuzz_read_all(&c, &c.recs[i]);
  }
  fuzz_restore(&c);
  /* save elsewhere, read back, save again: the same records and bytes */
  snprintf(c.path, sizeof c.path, "%s/%s", dir2, CKPT_FILE);
  FUZZ_CHECK(ckpt_save(&c, &err) == HEAT_OK);
  size_t len1, len2;
  char *t1 = fuzz_slurp(c.path, &len1);
  FUZZ_CHECK(ckpt_open(&d, dir2, "search", "0123456789abcdef", "fuzz", true, 0, &found, &err) ==
             HEAT_OK);
  FUZZ_CHECK(d.n == c.n);
  for (size_t i = 0; i < c.n; i++) {
    const ckpt_rec *r = ckpt_get(&d, c.recs[i].key);
    FUZZ_CHECK(r && strcmp(r->payload, c.recs[i].payload) == 0);
  }
  FUZZ_CHECK(ckpt_save(&d, &err) == HEAT_OK);
  char *t2 = fuzz_slurp(d.path, &len2);
  FUZZ_CHECK(len1 == len2 && memcmp(t1, t2, len1) == 0);
  free(t1);
  free(t2);
  ckpt_free(&d);
  ckpt_free(&c);
  return 0;
}
