/* The safetensors writer (see safetensors_write.h). */
#include "workloads/safetensors_write.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ST_MAX_DIMS 8

typedef struct st_item {
  char *name, *value; /* value: metadata only */
  size_t ndim;
  int64_t shape[ST_MAX_DIMS];
  int64_t begin, end;
} st_item;

struct wl_st_writer {
  char *path, *tmp; /* tmp: the file written beside path, renamed to it at the end */
  FILE *out;
  wl_st_dtype dtype;
  FILE *data; /* scratch file holding the data section */
  int64_t size;
  st_item *tensors, *meta;
  size_t n_tensors, cap_tensors, n_meta, cap_meta;
};

const char *wl_st_dtype_name(wl_st_dtype t) { return t == WL_ST_F64 ? "F64" : "F32"; }

int wl_st_dtype_parse(const char *text, const char *what, wl_st_dtype *out, heat_error *err) {
  if (strcmp(text, "F32") == 0 || strcmp(text, "f32") == 0) *out = WL_ST_F32;
  else if (strcmp(text, "F64") == 0 || strcmp(text, "f64") == 0) *out = WL_ST_F64;
  else
    return heat_error_set(err, HEAT_EINVAL, what, "'%s' is not a dtype heat writes; use F32 or F64",
                          text);
  return HEAT_OK;
}

int wl_st_writer_open(const char *path, wl_st_dtype dtype, wl_st_writer **out, heat_error *err) {
  wl_st_writer *w = calloc(1, sizeof *w);
  size_t n = strlen(path) + 16;
  if (!w || !(w->path = strdup(path)) || !(w->tmp = malloc(n))) {
    if (w) free(w->path);
    free(w);
    return heat_error_set(err, HEAT_ENOMEM, path, "out of memory");
  }
  w->dtype = dtype;
  /* the destination's directory is checked now, before a long factorization */
  snprintf(w->tmp, n, "%s.XXXXXX", path);
  int fd = mkstemp(w->tmp);
  if (fd >= 0) {
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask); /* mkstemp's 0600 suits a scratch file, not the result */
    w->out = fdopen(fd, "wb");
    if (!w->out) close(fd);
  }
  if (w->out) w->data = tmpfile();
  if (!w->out || !w->data) {
    int e = errno;
    heat_error_set(err, HEAT_EIO, path, "cannot write: %s", strerror(e));
    wl_st_writer_abort(w);
    return err->code;
  }
  *out = w;
  return HEAT_OK;
}

static bool st_has(const st_item *v, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(v[i].name, name) == 0) return true;
  return false;
}

static int st_push(st_item **v, size_t *n, size_t *cap, const st_item *it, heat_error *err,
                   const char *path) {
  if (*n == *cap) {
    size_t c = *cap ? 2 * *cap : 32;
    st_item *p = realloc(*v, c * sizeof *p);
    if (!p) return heat_error_set(err, HEAT_ENOMEM, path, "out of memory");
    *v = p;
    *cap = c;
  }
  (*v)[(*n)++] = *it;
  return HEAT_OK;
}

/* Little-endian bytes of the values, in chunks. */
static int st_write_values(wl_st_writer *w, const char *name, const double *x, int64_t n,
                           heat_error *err) {
  unsigned char buf[8 * 1024];
  size_t es = w->dtype == WL_ST_F64 ? 8 : 4, per = sizeof buf / es;
  for (int64_t at = 0; at < n;) {
    size_t k = (size_t)(n - at) < per ? (size_t)(n - at) : per;
    for (size_t i = 0; i < k; i++) {
      uint64_t bits;
      if (w->dtype == WL_ST_F64) {
        double v = x[at + (int64_t)i];
        memcpy(&bits, &v, 8);
      } else {
        float f = (float)x[at + (int64_t)i];
        if (!isfinite(f))
          return heat_error_set(err, HEAT_ERANGE, w->path,
                                "tensor '%s' element %lld (%g) is beyond the F32 range; save as "
                                "F64",
                                name, (long long)(at + (int64_t)i), x[at + (int64_t)i]);
        uint32_t b32;
        memcpy(&b32, &f, 4);
        bits = b32;
      }
      for (size_t b = 0; b < es; b++) buf[i * es + b] = (unsigned char)(bits >> (8 * b));
    }
    if (fwrite(buf, es, k, w->data) != k)
      return heat_error_set(err, HEAT_EIO, w->path, "cannot write the scratch file: %s",
                            strerror(errno));
    at += (int64_t)k;
  }
  return HEAT_OK;
}

int wl_st_writer_add(wl_st_writer *w, const char *name, const double *data, size_t ndim,
                     const int64_t *shape, heat_error *err) {
  if (!name[0] || strcmp(name, "__metadata__") == 0 || st_has(w->tensors, w->n_tensors, name))
    return heat_error_set(err, HEAT_EINVAL, w->path, "tensor name '%s' is empty, reserved or "
                          "used twice", name);
  if (ndim < 1 || ndim > ST_MAX_DIMS)
    return heat_error_set(err, HEAT_EINVAL, w->path, "tensor '%s' has %zu dims (1..%d allowed)",
                          name, ndim, ST_MAX_DIMS);
  st_item it = {.ndim = ndim, .begin = w->size};
  int64_t n = 1;
  for (size_t k = 0; k < ndim; k++) {
    if (shape[k] < 1 || n > INT64_MAX / 8 / shape[k])
      return heat_error_set(err, HEAT_EINVAL, w->path, "tensor '%s': bad size %lld of dim %zu",
                            name, (long long)shape[k], k);
    n *= shape[k];
    it.shape[k] = shape[k];
  }
  int rc = st_write_values(w, name, data, n, err);
  if (rc) return rc;
  it.end = w->size = w->size + n * (w->dtype == WL_ST_F64 ? 8 : 4);
  if (!(it.name = strdup(name))) return heat_error_set(err, HEAT_ENOMEM, w->path, "out of memory");
  rc = st_push(&w->tensors, &w->n_tensors, &w->cap_tensors, &it, err, w->path);
  if (rc) free(it.name);
  return rc;
}

int wl_st_writer_meta(wl_st_writer *w, const char *key, const char *value, heat_error *err) {
  if (st_has(w->meta, w->n_meta, key))
    return heat_error_set(err, HEAT_EINVAL, w->path, "metadata key '%s' used twice", key);
  st_item it = {.name = strdup(key), .value = strdup(value)};
  int rc = it.name && it.value ? st_push(&w->meta, &w->n_meta, &w->cap_meta, &it, err, w->path)
                               : heat_error_set(err, HEAT_ENOMEM, w->path, "out of memory");
  if (rc) {
    free(it.name);
    free(it.value);
  }
  return rc;
}

/* A JSON string (RFC 8259): quotes, backslashes and control characters escaped. */
static void st_json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
    else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
    else fputc(*p, f);
  }
  fputc('"', f);
}

static int st_header(const wl_st_writer *w, char **text, size_t *len) {
  FILE *f = open_memstream(text, len);
  if (!f) return HEAT_ENOMEM;
  fputc('{', f);
  if (w->n_meta) {
    fputs("\"__metadata__\":{", f);
    for (size_t i = 0; i < w->n_meta; i++) {
      if (i) fputc(',', f);
      st_json_string(f, w->meta[i].name);
      fputc(':', f);
      st_json_string(f, w->meta[i].value);
    }
    fputc('}', f);
  }
  for (size_t i = 0; i < w->n_tensors; i++) {
    const st_item *t = &w->tensors[i];
    if (i || w->n_meta) fputc(',', f);
    st_json_string(f, t->name);
    fprintf(f, ":{\"dtype\":\"%s\",\"shape\":[", wl_st_dtype_name(w->dtype));
    for (size_t k = 0; k < t->ndim; k++) fprintf(f, "%s%lld", k ? "," : "", (long long)t->shape[k]);
    fprintf(f, "],\"data_offsets\":[%lld,%lld]}", (long long)t->begin, (long long)t->end);
  }
  fputc('}', f);
  /* the data start 8-byte aligned, as the reference implementation pads */
  long at = ftell(f);
  while (at % 8) {
    fputc(' ', f);
    at++;
  }
  return fclose(f) == 0 ? HEAT_OK : HEAT_ENOMEM;
}

static void st_free(wl_st_writer *w) {
  for (size_t i = 0; i < w->n_tensors; i++) free(w->tensors[i].name);
  for (size_t i = 0; i < w->n_meta; i++) {
    free(w->meta[i].name);
    free(w->meta[i].value);
  }
  if (w->data) fclose(w->data);
  if (w->out) {
    fclose(w->out);
    unlink(w->tmp);
  }
  free(w->tensors);
  free(w->meta);
  free(w->path);
  free(w->tmp);
  free(w);
}

void wl_st_writer_abort(wl_st_writer *w) {
  if (w) st_free(w);
}

int wl_st_writer_close(wl_st_writer *w, heat_error *err) {
  char *text = NULL;
  size_t len = 0;
  int rc = st_header(w, &text, &len);
  if (rc) {
    rc = heat_error_set(err, HEAT_ENOMEM, w->path, "out of memory for the header");
    goto done;
  }
  unsigned char hl[8];
  for (int b = 0; b < 8; b++) hl[b] = (unsigned char)((uint64_t)len >> (8 * b));
  bool ok = fwrite(hl, 1, 8, w->out) == 8 && fwrite(text, 1, len, w->out) == len;
  rewind(w->data);
  char buf[64 * 1024];
  for (size_t k; ok && (k = fread(buf, 1, sizeof buf, w->data)) > 0;)
    ok = fwrite(buf, 1, k, w->out) == k;
  ok = ok && !ferror(w->data);
  if (fclose(w->out) != 0) ok = false;
  w->out = NULL;
  if (!ok || rename(w->tmp, w->path) != 0) {
    rc = heat_error_set(err, HEAT_EIO, w->path, "cannot write: %s", strerror(errno));
    unlink(w->tmp);
  }
done:
  free(text);
  st_free(w);
  return rc;
}
