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

static int parse_header(wl__json *j, st_header *h) {
  int rc = wl__json_expect(j, '{');
  if (rc) return rc;
  size_t cap = 0;
  if (wl__json_peek(j, '}')) {
    j->pos++;
  } else {
    for (;;) {
      char name[WL_TENSOR_NAME_MAX];
      if ((rc = wl__json_string(j, name, sizeof name)) || (rc = wl__json_expect(j, ':'))) return rc;
      if (strcmp(name, "__metadata__") == 0) {
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

/* Reads and parses the header of path; fp is left open for the data. */
static int open_header(const char *path, FILE **fpp, st_header *h, heat_error *err) {
  memset(h, 0, sizeof *h);
  FILE *fp = fopen(path, "rb");
  if (!fp) return heat_error_set(err, HEAT_EIO, path, "cannot open the weight file");
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
  wl__json j = {text, (size_t)hlen, 0, path, err};
  rc = parse_header(&j, h);
  if (rc) goto fail;
  h->data_start = 8 + (int64_t)hlen;
  h->data_size = file_size - h->data_start;
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

int wl_safetensors_read(const char *path, const char *name, wl_matrix *out, heat_error *err) {
  FILE *fp;
  st_header h;
  int rc = open_header(path, &fp, &h, err);
  if (rc) return rc;
  const st_entry *e = NULL;
  for (size_t i = 0; i < h.count && !e; i++)
    if (strcmp(h.entries[i].info.name, name) == 0) e = &h.entries[i];
  char where[HEAT_ERROR_WHERE_MAX];
  snprintf(where, sizeof where, "%s:%s", path, name);
  wl__dtype t = WL__F32;
  if (!e) {
    rc = missing(path, name, &h, err);
    goto done;
  }
  if (strcmp(e->info.dtype, "F32") == 0)
    t = WL__F32;
  else if (strcmp(e->info.dtype, "F16") == 0)
    t = WL__F16;
  else if (strcmp(e->info.dtype, "BF16") == 0)
    t = WL__BF16;
  else if (strcmp(e->info.dtype, "F64") == 0)
    t = WL__F64;
  else {
    rc = heat_error_set(err, HEAT_EINVAL, where,
                        "dtype %s is not supported; heat reads F32, F16, BF16 and F64",
                        e->info.dtype);
    goto done;
  }
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
  int64_t bytes = e->info.shape[0] * e->info.shape[1] * (int64_t)wl__dtype_size(t);
  if (e->end < e->begin || e->end - e->begin != bytes || e->end > h.data_size) {
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
