#include "workloads/weights.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/heat_file.h"

#include "workloads/weights_impl.h"

size_t wl__dtype_size(wl__dtype t) {
  switch (t) {
  case WL__F16:
  case WL__BF16: return 2;
  case WL__F32: return 4;
  case WL__F64: return 8;
  }
  return 0;
}

int wl__open_weight_file(const char *path, FILE **out, heat_error *err) {
  return heat_file_open(path, "a weight file", out, NULL, err);
}

int wl__checked_numel(const int64_t *dims, size_t ndim, int64_t scale, int64_t *out) {
  int64_t n = scale;
  if (n < 0) return -1;
  for (size_t k = 0; k < ndim; k++) {
    if (dims[k] < 0) return -1;
    if (dims[k] != 0 && n > INT64_MAX / dims[k]) return -1;
    n *= dims[k];
  }
  *out = n;
  return 0;
}

static double half_to_double(uint16_t h) {
  int sign = h >> 15, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  double v;
  if (e == 0)
    v = ldexp((double)m, -24);
  else if (e == 31)
    v = m ? NAN : INFINITY;
  else
    v = ldexp((double)(m | 0x400), e - 25);
  return sign ? -v : v;
}

static double decode(const unsigned char *p, wl__dtype t) {
  switch (t) {
  case WL__F16: return half_to_double((uint16_t)(p[0] | p[1] << 8));
  case WL__BF16:
  case WL__F32: {
    uint32_t u = t == WL__BF16 ? (uint32_t)(p[0] | p[1] << 8) << 16
                               : (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                                     (uint32_t)p[3] << 24;
    float f;
    memcpy(&f, &u, sizeof f);
    return (double)f;
  }
  case WL__F64: {
    uint64_t u = 0;
    for (int i = 7; i >= 0; i--) u = u << 8 | p[i];
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
  }
  }
  return NAN;
}

int wl__read_values(FILE *fp, const char *where, wl__dtype t, bool fortran, int64_t rows,
                    int64_t cols, wl_matrix *out, heat_error *err) {
  int rc = wl_matrix_alloc(out, rows, cols, err);
  if (rc) { /* name the file and tensor, not the internal matrix */
    if (err) snprintf(err->where, sizeof err->where, "%s", where);
    return rc;
  }
  size_t es = wl__dtype_size(t), n = (size_t)(rows * cols);
  unsigned char buf[8192];
  size_t done = 0;
  while (done < n) {
    size_t want = n - done < sizeof buf / es ? n - done : sizeof buf / es;
    size_t got = fread(buf, es, want, fp);
    for (size_t i = 0; i < got; i++, done++) {
      double v = decode(buf + i * es, t);
      /* Fortran order stores column-major: element `done` is W[done % rows, done / rows]. */
      int64_t r = fortran ? (int64_t)(done % (size_t)rows) : (int64_t)(done / (size_t)cols);
      int64_t c = fortran ? (int64_t)(done / (size_t)rows) : (int64_t)(done % (size_t)cols);
      if (!isfinite(v)) {
        wl_matrix_free(out);
        return heat_error_set(err, HEAT_EINVAL, where,
                              "element [%lld, %lld] is %s; weights must be finite", (long long)r,
                              (long long)c, isnan(v) ? "NaN" : "Inf");
      }
      out->data[r * cols + c] = v;
    }
    if (got < want) {
      wl_matrix_free(out);
      return heat_error_set(err, HEAT_EINVAL, where,
                            "data is truncated: %zu of %zu elements present", done, n);
    }
  }
  return HEAT_OK;
}

static const char *const role_names[WL_BERT_ROLES] = {"q", "k", "v", "o", "ffn1", "ffn2"};
static const char *const role_paths[WL_BERT_ROLES] = {
    "attention.self.query",   "attention.self.key", "attention.self.value",
    "attention.output.dense", "intermediate.dense", "output.dense"};

const char *wl_bert_role_name(wl_bert_role r) {
  return (unsigned)r < WL_BERT_ROLES ? role_names[r] : "unknown";
}

int wl_bert_role_parse(const char *text, wl_bert_role *out, heat_error *err) {
  for (int r = 0; r < WL_BERT_ROLES; r++)
    if (text && strcmp(text, role_names[r]) == 0) {
      *out = (wl_bert_role)r;
      return HEAT_OK;
    }
  return heat_error_set(err, HEAT_EINVAL, "BERT role",
                        "unknown role '%s'; known: q, k, v, o, ffn1, ffn2", text ? text : "");
}

int wl_bert_weight_name(int layer, wl_bert_role role, char *buf, size_t cap) {
  if (layer < 0 || (unsigned)role >= WL_BERT_ROLES) return -1;
  int n = snprintf(buf, cap, "bert.encoder.layer.%d.%s.weight", layer, role_paths[role]);
  return n < 0 || (size_t)n >= cap ? -1 : n;
}

/* A layer index: decimal digits only, no sign, space or leading zero ("0" itself is fine), at
 * most 1000000 (strtol took "+1", " 3", "-0" and "007"). Returns the end or NULL. */
static const char *layer_index(const char *p, long *out) {
  long v = 0;
  const char *q = p;
  for (; *q >= '0' && *q <= '9'; q++) {
    v = v * 10 + (*q - '0');
    if (v > 1000000) return NULL;
  }
  if (q == p || (p[0] == '0' && q - p > 1)) return NULL;
  *out = v;
  return q;
}

int wl_bert_parse_name(const char *name, int *layer, wl_bert_role *role) {
  const char *p = name;
  if (strncmp(p, "bert.", 5) == 0) p += 5;
  if (strncmp(p, "encoder.layer.", 14) != 0) return HEAT_ENOTFOUND;
  p += 14;
  long i;
  const char *end = layer_index(p, &i);
  if (!end || *end != '.') return HEAT_ENOTFOUND;
  p = end + 1;
  for (int r = 0; r < WL_BERT_ROLES; r++) {
    size_t len = strlen(role_paths[r]);
    if (strncmp(p, role_paths[r], len) == 0 && strcmp(p + len, ".weight") == 0) {
      *layer = (int)i;
      *role = (wl_bert_role)r;
      return HEAT_OK;
    }
  }
  return HEAT_ENOTFOUND;
}

/* "layer3.ffn1" -> layer 3, role ffn1 */
static int parse_shorthand(const char *text, int *layer, wl_bert_role *role) {
  if (strncmp(text, "layer", 5) != 0) return HEAT_ENOTFOUND;
  long i;
  const char *end = layer_index(text + 5, &i);
  if (!end || *end != '.') return HEAT_ENOTFOUND;
  for (int r = 0; r < WL_BERT_ROLES; r++)
    if (strcmp(end + 1, role_names[r]) == 0) {
      *layer = (int)i;
      *role = (wl_bert_role)r;
      return HEAT_OK;
    }
  return HEAT_ENOTFOUND;
}

static bool ends_with(const char *s, size_t len, const char *suffix) {
  size_t n = strlen(suffix);
  return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

static int load_safetensors(const char *path, const char *tensor, wl_matrix *out, heat_error *err) {
  int layer;
  wl_bert_role role;
  if (parse_shorthand(tensor, &layer, &role) != HEAT_OK)
    return wl_safetensors_read(path, tensor, out, err);
  char name[256];
  wl_bert_weight_name(layer, role, name, sizeof name);
  heat_error first;
  int rc = wl_safetensors_read(path, name, out, &first);
  if (rc != HEAT_ENOTFOUND) {
    if (rc && err) *err = first;
    return rc;
  }
  /* checkpoints of BertModel (not BertFor...) drop the "bert." prefix */
  rc = wl_safetensors_read(path, name + 5, out, err);
  if (rc == HEAT_ENOTFOUND) {
    if (err) *err = first;
    heat_error_prefix(err, "'%s' maps to '%s' (also tried without 'bert.')", tensor, name);
  }
  return rc;
}

int wl_weights_load(const char *spec, int64_t rows, int64_t cols, wl_matrix *out, heat_error *err) {
  const char *sep = strstr(spec, ".safetensors:");
  int rc;
  if (sep) {
    size_t len = (size_t)(sep - spec) + strlen(".safetensors");
    char *path = malloc(len + 1);
    if (!path) return heat_error_set(err, HEAT_ENOMEM, "--weights", "out of memory");
    memcpy(path, spec, len);
    path[len] = '\0';
    const char *tensor = spec + len + 1;
    if (!*tensor) {
      free(path);
      return heat_error_set(err, HEAT_EINVAL, "--weights",
                            "'%s' names no tensor after ':'; write file.safetensors:tensor_name",
                            spec);
    }
    rc = load_safetensors(path, tensor, out, err);
    free(path);
  } else if (ends_with(spec, strlen(spec), ".npy")) {
    rc = wl_npy_read(spec, out, err);
  } else if (ends_with(spec, strlen(spec), ".safetensors")) {
    return heat_error_set(err, HEAT_EINVAL, "--weights",
                          "'%s' names no tensor; write file.safetensors:tensor_name", spec);
  } else {
    return heat_error_set(err, HEAT_EINVAL, "--weights",
                          "'%s' is neither file.safetensors:tensor_name nor file.npy", spec);
  }
  if (rc) return rc;
  if ((rows > 0 && out->rows != rows) || (cols > 0 && out->cols != cols)) {
    int64_t r = out->rows, c = out->cols;
    wl_matrix_free(out);
    return heat_error_set(err, HEAT_EINVAL, spec,
                          "the tensor is %lld x %lld (out x in) but the shape needs %lld x %lld",
                          (long long)r, (long long)c, (long long)rows, (long long)cols);
  }
  return HEAT_OK;
}

typedef struct bert_key {
  int layer;
  wl_bert_role role;
  size_t index;
} bert_key;

static int cmp_bert_key(const void *a, const void *b) {
  const bert_key *x = a, *y = b;
  if (x->layer != y->layer) return x->layer < y->layer ? -1 : 1;
  if (x->role != y->role) return x->role < y->role ? -1 : 1;
  return (x->index > y->index) - (x->index < y->index);
}

size_t wl_bert_linears(const wl_tensor_info *t, size_t n, int64_t rows, int64_t cols,
                       size_t *idx) {
  bert_key *keys = malloc((n ? n : 1) * sizeof *keys);
  if (!keys) return 0;
  size_t count = 0;
  for (size_t i = 0; i < n; i++) {
    int layer;
    wl_bert_role role;
    if (t[i].ndim == 2 && t[i].shape[0] == rows && t[i].shape[1] == cols &&
        wl_bert_parse_name(t[i].name, &layer, &role) == HEAT_OK)
      keys[count++] = (bert_key){layer, role, i};
  }
  qsort(keys, count, sizeof *keys, cmp_bert_key);
  for (size_t i = 0; i < count; i++) idx[i] = keys[i].index;
  free(keys);
  return count;
}

void wl_bert_linear_sizes(const wl_tensor_info *t, size_t n, char *buf, size_t cap) {
  if (cap == 0) return;
  snprintf(buf, cap, "none");
  size_t used = 0;
  for (size_t i = 0; i < n; i++) {
    int layer;
    wl_bert_role role;
    if (t[i].ndim != 2 || wl_bert_parse_name(t[i].name, &layer, &role) != HEAT_OK) continue;
    bool seen = false; /* listed already (at its first occurrence) */
    size_t same = 0;
    for (size_t j = 0; j < n; j++) {
      if (t[j].ndim != 2 || t[j].shape[0] != t[i].shape[0] || t[j].shape[1] != t[i].shape[1] ||
          wl_bert_parse_name(t[j].name, &layer, &role) != HEAT_OK)
        continue;
      if (j < i) seen = true;
      same++;
    }
    if (seen) continue;
    int w = snprintf(buf + used, cap - used, "%s%lldx%lld (%zu)", used ? ", " : "",
                     (long long)t[i].shape[0], (long long)t[i].shape[1], same);
    if (w < 0 || (size_t)w >= cap - used) break;
    used += (size_t)w;
  }
}
