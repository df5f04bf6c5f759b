/* safetensors reader: 8-byte little-endian header length, a JSON object
 * {"name": {"dtype": "F32", "shape": [M, N], "data_offsets": [begin, end]}, ...,
 *  "__metadata__": {...}}, then the raw data; offsets are relative to the end of the header.
 * The JSON parser below accepts exactly RFC 8259 syntax (no trailing commas, no comments). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "workloads/weights.h"
#include "workloads/weights_impl.h"

#define ST_HEADER_MAX (INT64_C(100) << 20) /* the format's own limit is 100 MB */
#define ST_NAME_MAX 512
#define ST_MAX_DIMS 8

typedef struct st_entry {
  char name[ST_NAME_MAX];
  char dtype[16];
  int64_t shape[ST_MAX_DIMS];
  size_t ndim;
  int64_t begin, end;
} st_entry;

typedef struct json {
  const char *s;
  size_t len, pos;
  const char *path;
  heat_error *err;
} json;

static int json_fail(json *j, const char *what) {
  return heat_error_set(j->err, HEAT_EINVAL, j->path,
                        "corrupt safetensors header: %s at byte %zu of the JSON header", what,
                        j->pos);
}

static void json_ws(json *j) {
  while (j->pos < j->len && (j->s[j->pos] == ' ' || j->s[j->pos] == '\t' ||
                             j->s[j->pos] == '\n' || j->s[j->pos] == '\r'))
    j->pos++;
}

static int json_expect(json *j, char c) {
  json_ws(j);
  if (j->pos >= j->len || j->s[j->pos] != c) {
    char what[32];
    snprintf(what, sizeof what, "expected '%c'", c);
    return json_fail(j, what);
  }
  j->pos++;
  return HEAT_OK;
}

static bool json_peek(json *j, char c) {
  json_ws(j);
  return j->pos < j->len && j->s[j->pos] == c;
}

static int hex4(json *j, unsigned *out) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    if (j->pos >= j->len) return json_fail(j, "truncated \\u escape");
    char c = j->s[j->pos++];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else return json_fail(j, "bad \\u escape");
  }
  *out = v;
  return HEAT_OK;
}

/* Parses a string into out (cap bytes, UTF-8); out may be NULL to skip. */
static int json_string(json *j, char *out, size_t cap) {
  int rc = json_expect(j, '"');
  if (rc) return rc;
  size_t n = 0;
  for (;;) {
    if (j->pos >= j->len) return json_fail(j, "unterminated string");
    unsigned char c = (unsigned char)j->s[j->pos++];
    unsigned cp = c;
    if (c == '"') break;
    if (c < 0x20) return json_fail(j, "control character in string");
    if (c == '\\') {
      if (j->pos >= j->len) return json_fail(j, "unterminated string");
      char e = j->s[j->pos++];
      switch (e) {
      case '"': cp = '"'; break;
      case '\\': cp = '\\'; break;
      case '/': cp = '/'; break;
      case 'b': cp = '\b'; break;
      case 'f': cp = '\f'; break;
      case 'n': cp = '\n'; break;
      case 'r': cp = '\r'; break;
      case 't': cp = '\t'; break;
      case 'u':
        if ((rc = hex4(j, &cp))) return rc;
        if (cp >= 0xd800 && cp < 0xdc00) {
          unsigned lo;
          if (j->pos + 2 > j->len || j->s[j->pos] != '\\' || j->s[j->pos + 1] != 'u')
            return json_fail(j, "unpaired surrogate");
          j->pos += 2;
          if ((rc = hex4(j, &lo))) return rc;
          if (lo < 0xdc00 || lo > 0xdfff) return json_fail(j, "unpaired surrogate");
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        } else if (cp >= 0xdc00 && cp < 0xe000) {
          return json_fail(j, "unpaired surrogate");
        }
        break;
      default: return json_fail(j, "bad escape");
      }
    }
    /* encode cp (raw bytes >= 0x80 pass through unchanged) */
    unsigned char enc[4];
    size_t k = 0;
    if (c == '\\' && cp >= 0x80) {
      if (cp < 0x800) {
        enc[k++] = (unsigned char)(0xc0 | cp >> 6);
      } else if (cp < 0x10000) {
        enc[k++] = (unsigned char)(0xe0 | cp >> 12);
        enc[k++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
      } else {
        enc[k++] = (unsigned char)(0xf0 | cp >> 18);
        enc[k++] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
        enc[k++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
      }
      enc[k++] = (unsigned char)(0x80 | (cp & 0x3f));
    } else {
      enc[k++] = (unsigned char)cp;
    }
    if (out) {
      if (n + k >= cap) return json_fail(j, "string too long");
      memcpy(out + n, enc, k);
    }
    n += k;
  }
  if (out) out[n] = '\0';
  return HEAT_OK;
}

/* A non-negative integer (the only numbers safetensors headers hold where heat reads them). */
static int json_uint(json *j, int64_t *out) {
  json_ws(j);
  size_t start = j->pos;
  int64_t v = 0;
  while (j->pos < j->len && j->s[j->pos] >= '0' && j->s[j->pos] <= '9') {
    int digit = j->s[j->pos++] - '0';
    if (v > (INT64_MAX - digit) / 10) return json_fail(j, "integer too large");
    v = v * 10 + digit;
  }
  if (j->pos == start) return json_fail(j, "expected a non-negative integer");
  if (j->pos - start > 1 && j->s[start] == '0') return json_fail(j, "leading zero");
  if (j->pos < j->len && (j->s[j->pos] == '.' || j->s[j->pos] == 'e' || j->s[j->pos] == 'E'))
    return json_fail(j, "expected an integer");
  *out = v;
  return HEAT_OK;
}

static int json_skip_value(json *j, int depth);

static int json_skip_number(json *j) {
  json_ws(j);
  size_t start = j->pos;
  if (j->pos < j->len && j->s[j->pos] == '-') j->pos++;
  size_t digits = j->pos;
  while (j->pos < j->len && j->s[j->pos] >= '0' && j->s[j->pos] <= '9') j->pos++;
  if (j->pos == digits) return json_fail(j, "bad value");
  if (j->pos < j->len && j->s[j->pos] == '.') {
    size_t f = ++j->pos;
    while (j->pos < j->len && j->s[j->pos] >= '0' && j->s[j->pos] <= '9') j->pos++;
    if (j->pos == f) return json_fail(j, "bad number");
  }
  if (j->pos < j->len && (j->s[j->pos] == 'e' || j->s[j->pos] == 'E')) {
    j->pos++;
    if (j->pos < j->len && (j->s[j->pos] == '+' || j->s[j->pos] == '-')) j->pos++;
    size_t e = j->pos;
    while (j->pos < j->len && j->s[j->pos] >= '0' && j->s[j->pos] <= '9') j->pos++;
    if (j->pos == e) return json_fail(j, "bad number");
  }
  (void)start;
  return HEAT_OK;
}

static int json_skip_container(json *j, char open, char close, int depth) {
  int rc = json_expect(j, open);
  if (rc) return rc;
  if (json_peek(j, close)) {
    j->pos++;
    return HEAT_OK;
  }
  for (;;) {
    if (open == '{') {
      if ((rc = json_string(j, NULL, 0)) || (rc = json_expect(j, ':'))) return rc;
    }
    if ((rc = json_skip_value(j, depth + 1))) return rc;
    if (json_peek(j, ',')) {
      j->pos++;
      continue;
    }
    return json_expect(j, close);
  }
}

static int json_skip_value(json *j, int depth) {
  if (depth > 64) return json_fail(j, "nesting too deep");
  json_ws(j);
  if (j->pos >= j->len) return json_fail(j, "unexpected end");
  char c = j->s[j->pos];
  if (c == '{') return json_skip_container(j, '{', '}', depth);
  if (c == '[') return json_skip_container(j, '[', ']', depth);
  if (c == '"') return json_string(j, NULL, 0);
  static const char *const words[] = {"true", "false", "null"};
  for (int i = 0; i < 3; i++) {
    size_t n = strlen(words[i]);
    if (j->len - j->pos >= n && memcmp(j->s + j->pos, words[i], n) == 0) {
      j->pos += n;
      return HEAT_OK;
    }
  }
  return json_skip_number(j);
}

static int json_uint_array(json *j, int64_t *out, size_t cap, size_t *count) {
  int rc = json_expect(j, '[');
  if (rc) return rc;
  size_t n = 0;
  if (json_peek(j, ']')) {
    j->pos++;
    *count = 0;
    return HEAT_OK;
  }
  for (;;) {
    if (n == cap) return json_fail(j, "too many dimensions");
    if ((rc = json_uint(j, &out[n++]))) return rc;
    if (json_peek(j, ',')) {
      j->pos++;
      continue;
    }
    if ((rc = json_expect(j, ']'))) return rc;
    *count = n;
    return HEAT_OK;
  }
}

static int parse_entry(json *j, st_entry *e) {
  int rc = json_expect(j, '{');
  bool has_dtype = false, has_shape = false, has_offsets = false;
  while (!rc) {
    char key[32];
    if ((rc = json_string(j, key, sizeof key)) || (rc = json_expect(j, ':'))) return rc;
    if (strcmp(key, "dtype") == 0) {
      rc = json_string(j, e->dtype, sizeof e->dtype);
      has_dtype = true;
    } else if (strcmp(key, "shape") == 0) {
      rc = json_uint_array(j, e->shape, ST_MAX_DIMS, &e->ndim);
      has_shape = true;
    } else if (strcmp(key, "data_offsets") == 0) {
      int64_t off[2];
      size_t n = 0;
      rc = json_uint_array(j, off, 2, &n);
      if (!rc && n != 2) return json_fail(j, "data_offsets needs [begin, end]");
      if (!rc) {
        e->begin = off[0];
        e->end = off[1];
      }
      has_offsets = true;
    } else {
      return json_fail(j, "unknown key in a tensor entry");
    }
    if (rc) return rc;
    if (json_peek(j, ',')) {
      j->pos++;
      continue;
    }
    rc = json_expect(j, '}');
    break;
  }
  if (!rc && !(has_dtype && has_shape && has_offsets))
    return json_fail(j, "a tensor entry lacks dtype, shape or data_offsets");
  return rc;
}

typedef struct st_header {
  st_entry *entries;
  size_t count;
  int64_t data_start, data_size;
} st_header;

static int parse_header(json *j, st_header *h) {
  int rc = json_expect(j, '{');
  if (rc) return rc;
  size_t cap = 0;
  if (json_peek(j, '}')) {
    j->pos++;
  } else {
    for (;;) {
      char name[ST_NAME_MAX];
      if ((rc = json_string(j, name, sizeof name)) || (rc = json_expect(j, ':'))) return rc;
      if (strcmp(name, "__metadata__") == 0) {
        if ((rc = json_skip_value(j, 0))) return rc;
      } else {
        if (h->count == cap) {
          cap = cap ? 2 * cap : 64;
          st_entry *grown = realloc(h->entries, cap * sizeof *grown);
          if (!grown) return heat_error_set(j->err, HEAT_ENOMEM, j->path, "out of memory");
          h->entries = grown;
        }
        st_entry *e = &h->entries[h->count++];
        memset(e, 0, sizeof *e);
        snprintf(e->name, sizeof e->name, "%s", name);
        if ((rc = parse_entry(j, e))) return rc;
      }
      if (json_peek(j, ',')) {
        j->pos++;
        continue;
      }
      if ((rc = json_expect(j, '}'))) return rc;
      break;
    }
  }
  json_ws(j);
  if (j->pos != j->len) return json_fail(j, "trailing bytes after the JSON object");
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
  json j = {text, (size_t)hlen, 0, path, err};
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

int wl_safetensors_list(const char *path, char ***names, size_t *count, heat_error *err) {
  FILE *fp;
  st_header h;
  int rc = open_header(path, &fp, &h, err);
  if (rc) return rc;
  fclose(fp);
  char **v = calloc(h.count ? h.count : 1, sizeof *v);
  for (size_t i = 0; v && i < h.count; i++) {
    v[i] = strdup(h.entries[i].name);
    if (!v[i]) {
      wl_names_free(v, i);
      v = NULL;
    }
  }
  free(h.entries);
  if (!v) return heat_error_set(err, HEAT_ENOMEM, path, "out of memory");
  *names = v;
  *count = h.count;
  return HEAT_OK;
}

static int missing(const char *path, const char *name, const st_header *h, heat_error *err) {
  char list[400] = "";
  size_t used = 0, shown = 0;
  for (size_t i = 0; i < h->count && shown < 5; i++, shown++) {
    int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", h->entries[i].name);
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
    if (strcmp(h.entries[i].name, name) == 0) e = &h.entries[i];
  char where[HEAT_ERROR_WHERE_MAX];
  snprintf(where, sizeof where, "%s:%s", path, name);
  wl__dtype t = WL__F32;
  if (!e) {
    rc = missing(path, name, &h, err);
    goto done;
  }
  if (strcmp(e->dtype, "F32") == 0) t = WL__F32;
  else if (strcmp(e->dtype, "F16") == 0) t = WL__F16;
  else if (strcmp(e->dtype, "BF16") == 0) t = WL__BF16;
  else if (strcmp(e->dtype, "F64") == 0) t = WL__F64;
  else {
    rc = heat_error_set(err, HEAT_EINVAL, where,
                        "dtype %s is not supported; heat reads F32, F16, BF16 and F64", e->dtype);
    goto done;
  }
  if (e->ndim != 2 || e->shape[0] < 1 || e->shape[1] < 1) {
    char dims[128] = "";
    size_t used = 0;
    for (size_t k = 0; k < e->ndim; k++)
      used += (size_t)snprintf(dims + used, sizeof dims - used, "%s%lld", k ? ", " : "",
                               (long long)e->shape[k]);
    rc = heat_error_set(err, HEAT_EINVAL, where,
                        "shape [%s] is not a 2-D weight (out x in) with both sizes >= 1", dims);
    goto done;
  }
  int64_t bytes = e->shape[0] * e->shape[1] * (int64_t)wl__dtype_size(t);
  if (e->end < e->begin || e->end - e->begin != bytes || e->end > h.data_size) {
    rc = heat_error_set(err, HEAT_EINVAL, where,
                        "data_offsets [%lld, %lld] do not hold %lld x %lld %s values (%lld bytes) "
                        "within the %lld data bytes of the file",
                        (long long)e->begin, (long long)e->end, (long long)e->shape[0],
                        (long long)e->shape[1], e->dtype, (long long)bytes,
                        (long long)h.data_size);
    goto done;
  }
  if (fseeko(fp, (off_t)(h.data_start + e->begin), SEEK_SET) != 0) {
    rc = heat_error_set(err, HEAT_EIO, where, "cannot seek to the tensor data");
    goto done;
  }
  rc = wl__read_values(fp, where, t, false, e->shape[0], e->shape[1], out, err);
done:
  free(h.entries);
  fclose(fp);
  return rc;
}
