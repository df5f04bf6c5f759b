/* On-disk value tables (see table.h). */
#include "search/table.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t stable_hash(const void *data, size_t len, uint64_t h) {
  const unsigned char *p = data;
  if (!h) h = UINT64_C(0xcbf29ce484222325);
  for (size_t i = 0; i < len; i++) {
    h ^= p[i];
    h *= UINT64_C(0x100000001b3);
  }
  return h;
}

void stable_hash_hex(uint64_t h, char out[17]) { snprintf(out, 17, "%016" PRIx64, h); }

const char *stable_state_name(stable_state s) {
  static const char *const names[] = {"new", "loaded", "stale", "corrupt"};
  return (unsigned)s < 4 ? names[s] : "?";
}

static int stable__grow(stable *t, heat_error *err) {
  if (t->n < t->cap) return HEAT_OK;
  size_t cap = t->cap ? 2 * t->cap : 256;
  char(*keys)[STABLE_KEY_MAX] = realloc(t->keys, cap * sizeof *keys);
  if (!keys) return heat_error_set(err, HEAT_ENOMEM, t->path, "out of memory");
  t->keys = keys;
  double *vals = realloc(t->vals, cap * t->width * sizeof *vals);
  if (!vals) return heat_error_set(err, HEAT_ENOMEM, t->path, "out of memory");
  t->vals = vals;
  t->cap = cap;
  return HEAT_OK;
}

const double *stable_get(const stable *t, const char *key) {
  for (size_t i = 0; i < t->n; i++)
    if (strcmp(t->keys[i], key) == 0) return &t->vals[i * t->width];
  return NULL;
}

int stable_put(stable *t, const char *key, const double *vals, heat_error *err) {
  if (strlen(key) >= STABLE_KEY_MAX || strpbrk(key, "\t\n"))
    return heat_error_set(err, HEAT_EINTERNAL, t->path, "bad table key '%s'", key);
  for (size_t i = 0; i < t->n; i++)
    if (strcmp(t->keys[i], key) == 0) {
      memcpy(&t->vals[i * t->width], vals, t->width * sizeof *vals);
      return HEAT_OK;
    }
  int rc = stable__grow(t, err);
  if (rc) return rc;
  snprintf(t->keys[t->n], STABLE_KEY_MAX, "%s", key);
  memcpy(&t->vals[t->n * t->width], vals, t->width * sizeof *vals);
  t->n++;
  return HEAT_OK;
}

/* The header line the file must start with. */
static void stable__header(const stable *t, char *buf, size_t cap) {
  snprintf(buf, cap, "heat-table 1 kind=%s inputs=%s version=%s width=%zu\n", t->kind, t->inputs,
           t->version, t->width);
}

static void stable__reject(stable *t, stable_state s, const char *why, size_t line) {
  t->state = s;
  if (line) snprintf(t->why, sizeof t->why, "line %zu: %s", line, why);
  else snprintf(t->why, sizeof t->why, "%s", why);
  t->n = 0;
}

/* Reads the file; on any mismatch leaves the table empty with state and why set. */
static int stable__load(stable *t, FILE *f, heat_error *err) {
  char want[512], line[4096];
  stable__header(t, want, sizeof want);
  if (!fgets(line, sizeof line, f)) {
    stable__reject(t, STABLE_CORRUPT, "empty file", 0);
    return HEAT_OK;
  }
  if (strncmp(line, "heat-table ", 11) != 0) {
    stable__reject(t, STABLE_CORRUPT, "not a heat table", 1);
    return HEAT_OK;
  }
  if (strcmp(line, want) != 0) {
    stable__reject(t, STABLE_STALE, "made for another arch, options or cost-model version", 0);
    return HEAT_OK;
  }
  uint64_t sum = 0;
  size_t lineno = 1;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    size_t len = strlen(line);
    if (len == 0 || line[len - 1] != '\n') {
      stable__reject(t, STABLE_CORRUPT, "truncated record", lineno);
      return HEAT_OK;
    }
    if (strncmp(line, "end ", 4) == 0) {
      size_t count;
      uint64_t file_sum;
      char extra;
      if (sscanf(line + 4, "%zu %" SCNx64 " %c", &count, &file_sum, &extra) != 2 || count != t->n ||
          file_sum != sum) {
        stable__reject(t, STABLE_CORRUPT, "record count or checksum does not match", lineno);
        return HEAT_OK;
      }
      if (fgets(line, sizeof line, f)) {
        stable__reject(t, STABLE_CORRUPT, "text after the end record", lineno + 1);
        return HEAT_OK;
      }
      t->loaded = t->n;
      t->state = STABLE_LOADED;
      return HEAT_OK;
    }
    sum = stable_hash(line, len, sum);
    char *tab = strchr(line, '\t');
    if (!tab || (size_t)(tab - line) >= STABLE_KEY_MAX) {
      stable__reject(t, STABLE_CORRUPT, "bad record", lineno);
      return HEAT_OK;
    }
    *tab = '\0';
    double v[STABLE_WIDTH_MAX];
    char *p = tab + 1;
    for (size_t k = 0; k < t->width; k++) {
      char *end;
      errno = 0;
      v[k] = strtod(p, &end);
      if (end == p || errno == ERANGE || (*end != ' ' && *end != '\n')) {
        stable__reject(t, STABLE_CORRUPT, "bad number", lineno);
        return HEAT_OK;
      }
      p = end;
    }
    if (strcmp(p, "\n") != 0 || stable_get(t, line)) {
      stable__reject(t, STABLE_CORRUPT, "bad or repeated record", lineno);
      return HEAT_OK;
    }
    int rc = stable_put(t, line, v, err);
    if (rc) return rc;
  }
  stable__reject(t, STABLE_CORRUPT, "no end record (truncated)", lineno);
  return HEAT_OK;
}

int stable_open(stable *t, const char *path, const char *kind, const char *inputs,
                const char *version, size_t width, heat_error *err) {
  memset(t, 0, sizeof *t);
  snprintf(t->path, sizeof t->path, "%s", path);
  snprintf(t->kind, sizeof t->kind, "%s", kind);
  snprintf(t->inputs, sizeof t->inputs, "%s", inputs);
  snprintf(t->version, sizeof t->version, "%s", version);
  if (width == 0 || width > STABLE_WIDTH_MAX)
    return heat_error_set(err, HEAT_EINTERNAL, path, "table width %zu", width);
  t->width = width;
  FILE *f = fopen(path, "r");
  if (!f) {
    t->state = STABLE_NEW;
    return HEAT_OK;
  }
  int rc = stable__load(t, f, err);
  fclose(f);
  return rc;
}

int stable_save(const stable *t, heat_error *err) {
  char tmp[1100];
  snprintf(tmp, sizeof tmp, "%s.tmp", t->path);
  FILE *f = fopen(tmp, "w");
  if (!f) return heat_error_set(err, HEAT_EIO, tmp, "cannot write: %s", strerror(errno));
  char head[512];
  stable__header(t, head, sizeof head);
  fputs(head, f);
  uint64_t sum = 0;
  for (size_t i = 0; i < t->n; i++) {
    char line[STABLE_KEY_MAX + STABLE_WIDTH_MAX * 26 + 4];
    size_t len = (size_t)snprintf(line, sizeof line, "%s\t", t->keys[i]);
    for (size_t k = 0; k < t->width; k++)
      len += (size_t)snprintf(line + len, sizeof line - len, "%s%.17g", k ? " " : "",
                              t->vals[i * t->width + k]);
    len += (size_t)snprintf(line + len, sizeof line - len, "\n");
    sum = stable_hash(line, len, sum);
    fputs(line, f);
  }
  fprintf(f, "end %zu %016" PRIx64 "\n", t->n, sum);
  if (fclose(f) != 0 || rename(tmp, t->path) != 0) {
    remove(tmp);
    return heat_error_set(err, HEAT_EIO, t->path, "cannot write: %s", strerror(errno));
  }
  return HEAT_OK;
}

void stable_free(stable *t) {
  free(t->keys);
  free(t->vals);
  t->keys = NULL;
  t->vals = NULL;
  t->n = t->cap = 0;
}
