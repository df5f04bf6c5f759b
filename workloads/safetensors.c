/* safetensors reader: 8-byte little-endian header length, a JSON object
 * {"name": {"dtype": "F32", "shape": [M, N], "data_offsets": [begin, end]}, ...,
 *  "__metadata__": {...}}, then the raw data; offsets are relative to the end of the header.
 * The JSON is read by workloads/json.c: exactly RFC 8259 (no trailing commas, no comments). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "workloads/json.h"
#include "workloads/weights.h"
#include "workloads/weights_impl.h"

#define ST_HEADER_MAX (INT64_C(100) << 20) /* the format's own limit is 100 MB */
typedef struct st_entry {
  wl_tensor_info info;
  int64_t begin, end;
} st_entry;

static int parse_entry(wl__json *j, st_entry *e) {
  int rc = wl__json_expect(j, '{');
  bool has_dtype = false, has_shape = false, has_offsets = false;
  while (!rc) {
    char key[32];
    if ((rc = wl__json_string(j, key, sizeof key)) || (rc = wl__json_expect(j, ':'))) return rc;
    if ((strcmp(key, "dtype") == 0 && has_dtype) || (strcmp(key, "shape") == 0 && has_shape) ||
        (strcmp(key, "data_offsets") == 0 && has_offsets))
      return wl__json_fail(j, "duplicate key in a tensor entry");
    if (strcmp(key, "dtype") == 0) {
      rc = wl__json_string(j, e->info.dtype, sizeof e->info.dtype);
      has_dtype = true;
    } else if (strcmp(key, "shape") == 0) {
      rc = wl__json_uint_array(j, e->info.shape, WL_TENSOR_MAX_DIMS, &e->info.ndim);
      has_shape = true;
    } else if (strcmp(key, "data_offsets") == 0) {
      int64_t off[2];
      size_t n = 0;
      rc = wl__json_uint_array(j, off, 2, &n);
      if (!rc && n != 2) return wl__json_fail(j, "data_offsets needs [begin, end]");
      if (!rc) {
        e->begin = off[0];
        e->end = off[1];
      }
      has_offsets = true;
    } else {
      return wl__json_fail(j, "unknown key in a tensor entry");
    }
    if (rc) return rc;
    if (wl__json_peek(j, ',')) {
      j->pos++;
      continue;
    }
    rc = wl__json_expect(j, '}');
    break;
  }
  if (!rc && !(has_dtype && has_shape && has_offsets))
    return wl__json_fail(j, "a tensor entry lacks dtype, shape or data_offsets");
  return rc;
}

typedef struct st_header {
  st_entry *entries;
  size_t count;
  int64_t data_start, data_size;
} st_header;

/* The names seen so far, as an open-addressing hash set of entry indices (+1; 0 is empty): the
 * duplicate check stays linear in the tensor count (a header of 200k tensors took minutes when
 * each name was compared with every earlier one). */
typedef struct st_names {
  size_t *slot;
  size_t cap; /* a power of two, at least twice the count */
} st_names;

static uint64_t st_hash(const char *s) {
  uint64_t h = UINT64_C(1469598103934665603); /* FNV-1a */
  for (; *s; s++) h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
  return h;
}

static bool st_names_has(const st_names *t, const st_header *h, const char *name) {
  if (!t->cap) return false;
  for (size_t i = st_hash(name) & (t->cap - 1); t->slot[i]; i = (i + 1) & (t->cap - 1))
    if (strcmp(h->entries[t->slot[i] - 1].info.name, name) == 0) return true;
  return false;
}

static void st_names_put(st_names *t, const st_header *h, size_t idx) {
  size_t i = st_hash(h->entries[idx].info.name) & (t->cap - 1);
  while (t->slot[i]) i = (i + 1) & (t->cap - 1);
  t->slot[i] = idx + 1;
}

/* Adds entry idx (h->count entries exist), growing the table first when half full. */
static int st_names_add(st_names *t, const st_header *h, size_t idx) {
  if (2 * h->count > t->cap) {
    size_t ncap = t->cap ? 2 * t->cap : 128;
    size_t *nslot = calloc(ncap, sizeof *nslot);
    if (!nslot) return HEAT_ENOMEM;
    free(t->slot);
    t->slot = nslot;
    t->cap = ncap;
    for (size_t k = 0; k < idx; k++) st_names_put(t, h, k);
  }
  st_names_put(t, h, idx);
  return HEAT_OK;
}

static int parse_header_names(wl__json *j, st_header *h, st_names *names);

static int parse_header(wl__json *j, st_header *h) {
  st_names names = {NULL, 0};
  int rc = parse_header_names(j, h, &names);
  free(names.slot);
  return rc;
}

static int parse_header_names(wl__json *j, st_header *h, st_names *names) {
  int rc = wl__json_expect(j, '{');
  if (rc) return rc;
  size_t cap = 0;
  bool seen_metadata = false;
  if (wl__json_peek(j, '}')) {
    j->pos++;
  } else {
    for (;;) {
      char name[WL_TENSOR_NAME_MAX];
      if ((rc = wl__json_string(j, name, sizeof name)) || (rc = wl__json_expect(j, ':'))) return rc;
      /* RFC 8259 leaves duplicate names undefined; two entries for one tensor (or two
       * __metadata__) would make the file mean different things to different readers */
      bool dup = strcmp(name, "__metadata__") == 0 && seen_metadata;
      dup = dup || st_names_has(names, h, name);
      if (dup) {
        char what[WL_TENSOR_NAME_MAX + 32];
        snprintf(what, sizeof what, "duplicate key '%s'", name);
        return wl__json_fail(j, what);
      }
      if (strcmp(name, "__metadata__") == 0) {
        seen_metadata = true;
        if ((rc = wl__json_skip_value(j, 0))) return rc;
      } else {
        if (h->count == cap) {
          cap = cap ? 2 * cap : 64;
          st_entry *grown = realloc(h->entries, cap * sizeof *grown);
          if (!grown) return heat_error_set(j->err, HEAT_ENOMEM, j->path, "out of memory");
          h->entries = grown;
        }
        st_entry *e = &h->entries[h->count++];
        memset(e, 0, sizeof *e);
        snprintf(e->info.name, sizeof e->info.name, "%s", name);
        if (st_names_add(names, h, h->count - 1))
          return heat_error_set(j->err, HEAT_ENOMEM, j->path, "out of memory");
        if ((rc = parse_entry(j, e))) return rc;
      }
      if (wl__json_peek(j, ',')) {
        j->pos++;
        continue;
      }
      if ((rc = wl__json_expect(j, '}'))) return rc;
      break;
    }
  }
  wl__json_ws(j);
  if (j->pos != j->len) return wl__json_fail(j, "trailing bytes after the JSON object");
  return HEAT_OK;
}

/* Bytes per element of the safetensors dtypes (0: unknown, its size cannot be checked). */
static size_t st_dtype_size(const char *dtype) {
  static const struct {
    const char *name;
    size_t size;
  } sizes[] = {{"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1},
               {"I16", 2},  {"U16", 2}, {"F16", 2}, {"BF16", 2},    {"I32", 4},
               {"U32", 4},  {"F32", 4}, {"F64", 8}, {"I64", 8},     {"U64", 8}};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
    if (strcmp(dtype, sizes[i].name) == 0) return sizes[i].size;
  return 0;
}

static void shape_text(const wl_tensor_info *t, char *buf, size_t cap) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t k = 0; k < t->ndim && used < cap; k++) {
    int w = snprintf(buf + used, cap - used, "%s%lld", k ? ", " : "", (long long)t->shape[k]);
    if (w < 0) break;
    used += (size_t)w;
  }
}

static int cmp_begin(const void *a, const void *b) {
  const st_entry *x = *(const st_entry *const *)a, *y = *(const st_entry *const *)b;
  if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
  return (x->end > y->end) - (x->end < y->end);
}

/* The safetensors validation: each tensor's offsets hold exactly its dtype x shape bytes (the
 * product checked for overflow), and the tensors tile the data buffer with no gap, overlap or
 * trailing bytes. */
static int check_layout(const char *path, const st_header *h, heat_error *err) {
  char where[HEAT_ERROR_WHERE_MAX], dims[160];
  for (size_t i = 0; i < h->count; i++) {
    const st_entry *e = &h->entries[i];
    if (snprintf(where, sizeof where, "%s:%s", path, e->info.name) < 0) where[0] = '\0';
    shape_text(&e->info, dims, sizeof dims);
    size_t es = st_dtype_size(e->info.dtype);
    int64_t bytes = es ? (int64_t)es : 0;
    if (es && wl__checked_numel(e->info.shape, e->info.ndim, (int64_t)es, &bytes))
      return heat_error_set(err, HEAT_EINVAL, where,
                            "shape [%s] of %s values needs more than 2^63 bytes; the header is "
                            "corrupt",
                            dims, e->info.dtype);
    if (e->end < e->begin || e->end > h->data_size || (es && e->end - e->begin != bytes))
      return heat_error_set(err, HEAT_EINVAL, where,
                            "data_offsets [%lld, %lld] do not hold shape [%s] of %s values "
                            "(%lld bytes) within the %lld data bytes of the file",
                            (long long)e->begin, (long long)e->end, dims, e->info.dtype,
                            (long long)bytes, (long long)h->data_size);
  }
  const st_entry **order = malloc((h->count ? h->count : 1) * sizeof *order);
  if (!order) return heat_error_set(err, HEAT_ENOMEM, path, "out of memory");
  for (size_t i = 0; i < h->count; i++) order[i] = &h->entries[i];
  qsort(order, h->count, sizeof *order, cmp_begin);
  int64_t at = 0;
  int rc = HEAT_OK;
  for (size_t i = 0; i < h->count && !rc; i++) {
    if (snprintf(where, sizeof where, "%s:%s", path, order[i]->info.name) < 0) where[0] = '\0';
    if (order[i]->begin > at)
      rc = heat_error_set(err, HEAT_EINVAL, where,
                          "data bytes [%lld, %lld) before this tensor belong to no tensor; "
                          "safetensors requires the tensors to cover the data exactly",
                          (long long)at, (long long)order[i]->begin);
    else if (order[i]->begin < at)
      rc = heat_error_set(err, HEAT_EINVAL, where,
                          "data_offsets [%lld, %lld] overlap tensor '%s'", (long long)order[i]->begin,
                          (long long)order[i]->end, order[i - 1]->info.name);
    at = order[i]->end;
  }
  free(order);
  if (!rc && at != h->data_size)
    rc = heat_error_set(err, HEAT_EINVAL, path,
                        "%lld trailing bytes after the last tensor (the tensors end at data byte "
                        "%lld of %lld); safetensors requires the tensors to cover the data "
                        "exactly",
                        (long long)(h->data_size - at), (long long)at, (long long)h->data_size);
  return rc;
}

/* Reads and parses the header of path; fp is left open for the data. */
static int open_header(const char *path, FILE **fpp, st_header *h, heat_error *err) {
  memset(h, 0, sizeof *h);
  FILE *fp;
  if (wl__open_weight_file(path, &fp, err)) return err->code;
  unsigned char b[8];
  int rc = HEAT_OK;
  char *text = NULL;
  if (fseeko(fp, 0, SEEK_END) != 0) {
    rc = heat_error_set(err, HEAT_EIO, path, "cannot seek in the weight file");
    goto fail;
  }
  int64_t file_size = (int64_t)ftello(fp);
  rewind(fp);
  if (file_size < 8 || fread(b, 1, 8, fp) != 8) {
    rc = heat_error_set(err, HEAT_EINVAL, path,
                        "truncated safetensors file: %lld bytes, the header length alone takes 8",
                        (long long)file_size);
    goto fail;
  }
  uint64_t hlen = 0;
  for (int i = 7; i >= 0; i--) hlen = hlen << 8 | b[i];
  if (hlen < 2 || hlen > (uint64_t)ST_HEADER_MAX || (int64_t)hlen > file_size - 8) {
    rc = heat_error_set(err, HEAT_EINVAL, path,
                        "corrupt safetensors header: header length %llu but the file has %lld "
                        "bytes after the length field (and at most %lld are allowed)",
                        (unsigned long long)hlen, (long long)(file_size - 8),
                        (long long)ST_HEADER_MAX);
    goto fail;
  }
  text = malloc((size_t)hlen);
  if (!text) {
    rc = heat_error_set(err, HEAT_ENOMEM, path, "out of memory for the header");
    goto fail;
  }
  if (fread(text, 1, (size_t)hlen, fp) != (size_t)hlen) {
    rc = heat_error_set(err, HEAT_EIO, path, "cannot read the header");
    goto fail;
  }
  wl__json j = {text, (size_t)hlen, 0, path, err, NULL};
  rc = parse_header(&j, h);
  if (rc) goto fail;
  h->data_start = 8 + (int64_t)hlen;
  h->data_size = file_size - h->data_start;
  rc = check_layout(path, h, err);
  if (rc) goto fail;
  free(text);
  *fpp = fp;
  return HEAT_OK;
fail:
  free(text);
  free(h->entries);
  h->entries = NULL;
  fclose(fp);
  return rc;
}

int wl_safetensors_list(const char *path, wl_tensor_info **out, size_t *count, heat_error *err) {
  FILE *fp;
  st_header h;
  int rc = open_header(path, &fp, &h, err);
  if (rc) return rc;
  fclose(fp);
  wl_tensor_info *v = malloc((h.count ? h.count : 1) * sizeof *v);
  if (!v) {
    free(h.entries);
    return heat_error_set(err, HEAT_ENOMEM, path, "out of memory");
  }
  for (size_t i = 0; i < h.count; i++) v[i] = h.entries[i].info;
  free(h.entries);
  *out = v;
  *count = h.count;
  return HEAT_OK;
}

static int missing(const char *path, const char *name, const st_header *h, heat_error *err) {
  char list[400] = "";
  size_t used = 0, shown = 0;
  for (size_t i = 0; i < h->count && shown < 5; i++, shown++) {
    int w =
        snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", h->entries[i].info.name);
    if (w < 0 || (size_t)w >= sizeof list - used) break;
    used += (size_t)w;
  }
  return heat_error_set(err, HEAT_ENOTFOUND, path,
                        "no tensor named '%s'; the file has %zu tensors: %s%s", name, h->count,
                        h->count ? list : "(none)", h->count > shown ? ", ..." : "");
}

/* Finds tensor name and its dtype among heat's float types; fp is left open on success. */
static int find_tensor(const char *path, const char *name, FILE **fpp, st_header *h,
                       const st_entry **e, wl__dtype *t, char *where, size_t cap,
                       heat_error *err) {
  int rc = open_header(path, fpp, h, err);
  if (rc) return rc;
  *e = NULL;
  for (size_t i = 0; i < h->count && !*e; i++)
    if (strcmp(h->entries[i].info.name, name) == 0) *e = &h->entries[i];
  snprintf(where, cap, "%s:%s", path, name);
  if (!*e) rc = missing(path, name, h, err);
  else if (strcmp((*e)->info.dtype, "F32") == 0) *t = WL__F32;
  else if (strcmp((*e)->info.dtype, "F16") == 0) *t = WL__F16;
  else if (strcmp((*e)->info.dtype, "BF16") == 0) *t = WL__BF16;
  else if (strcmp((*e)->info.dtype, "F64") == 0) *t = WL__F64;
  else
    rc = heat_error_set(err, HEAT_EINVAL, where,
                        "dtype %s is not supported; heat reads F32, F16, BF16 and F64",
                        (*e)->info.dtype);
  if (rc) {
    free(h->entries);
    fclose(*fpp);
  }
  return rc;
}

int wl_safetensors_read(const char *path, const char *name, wl_matrix *out, heat_error *err) {
  FILE *fp;
  st_header h;
  const st_entry *e;
  wl__dtype t = WL__F32;
  char where[HEAT_ERROR_WHERE_MAX];
  int rc = find_tensor(path, name, &fp, &h, &e, &t, where, sizeof where, err);
  if (rc) return rc;
  if (e->info.ndim != 2 || e->info.shape[0] < 1 || e->info.shape[1] < 1) {
    char dims[128] = "";
    size_t used = 0;
    for (size_t k = 0; k < e->info.ndim; k++)
      used += (size_t)snprintf(dims + used, sizeof dims - used, "%s%lld", k ? ", " : "",
                               (long long)e->info.shape[k]);
    rc = heat_error_set(err, HEAT_EINVAL, where,
                        "shape [%s] is not a 2-D weight (out x in) with both sizes >= 1", dims);
    goto done;
  }
  int64_t bytes = 0;
  if (wl__checked_numel(e->info.shape, 2, (int64_t)wl__dtype_size(t), &bytes) ||
      e->end < e->begin || e->end - e->begin != bytes || e->end > h.data_size) {
    rc = heat_error_set(err, HEAT_EINVAL, where,
                        "data_offsets [%lld, %lld] do not hold %lld x %lld %s values (%lld bytes) "
                        "within the %lld data bytes of the file",
                        (long long)e->begin, (long long)e->end, (long long)e->info.shape[0],
                        (long long)e->info.shape[1], e->info.dtype, (long long)bytes,
                        (long long)h.data_size);
    goto done;
  }
  if (fseeko(fp, (off_t)(h.data_start + e->begin), SEEK_SET) != 0) {
    rc = heat_error_set(err, HEAT_EIO, where, "cannot seek to the tensor data");
    goto done;
  }
  rc = wl__read_values(fp, where, t, false, e->info.shape[0], e->info.shape[1], out, err);
done:
  free(h.entries);
  fclose(fp);
  return rc;
}

int wl_safetensors_read_tensor(const char *path, const char *name, wl_tensor_info *info,
                               double **data, heat_error *err) {
  FILE *fp;
  st_header h;
  const st_entry *e;
  wl__dtype t = WL__F32;
  char where[HEAT_ERROR_WHERE_MAX];
  int rc = find_tensor(path, name, &fp, &h, &e, &t, where, sizeof where, err);
  if (rc) return rc;
  int64_t numel = 0;
  /* check_layout has matched the offsets to the dtype and shape already */
  if (e->info.ndim < 1 || e->info.shape[0] < 1 ||
      wl__checked_numel(e->info.shape, e->info.ndim, 1, &numel) || numel < 1) {
    rc = heat_error_set(err, HEAT_EINVAL, where, "a tensor of %zu dims and no values; heat "
                        "reads tensors of 1 to %d dims", e->info.ndim, WL_TENSOR_MAX_DIMS);
    goto done;
  }
  if (fseeko(fp, (off_t)(h.data_start + e->begin), SEEK_SET) != 0) {
    rc = heat_error_set(err, HEAT_EIO, where, "cannot seek to the tensor data");
    goto done;
  }
  wl_matrix m;
  rc = wl__read_values(fp, where, t, false, e->info.shape[0], numel / e->info.shape[0], &m, err);
  if (!rc) {
    *info = e->info;
    *data = m.data;
  }
done:
  free(h.entries);
  fclose(fp);
  return rc;
}
