/* .npy reader (format versions 1.0, 2.0, 3.0): magic "\x93NUMPY", version, header length,
 * then a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (M, N), }
 * padded with spaces and a newline, then the data. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "workloads/weights.h"
#include "workloads/weights_impl.h"

typedef struct pydict {
  const char *s;
  size_t len, pos;
  const char *path;
  heat_error *err;
} pydict;

static int npy_fail(pydict *p, const char *what) {
  return heat_error_set(p->err, HEAT_EINVAL, p->path,
                        "corrupt .npy header: %s at byte %zu of the header dict", what, p->pos);
}

static void ws(pydict *p) {
  while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\n')) p->pos++;
}

static bool accept(pydict *p, char c) {
  ws(p);
  if (p->pos < p->len && p->s[p->pos] == c) {
    p->pos++;
    return true;
  }
  return false;
}

static int py_string(pydict *p, char *out, size_t cap) {
  ws(p);
  if (p->pos >= p->len || (p->s[p->pos] != '\'' && p->s[p->pos] != '"'))
    return npy_fail(p, "expected a quoted string");
  char q = p->s[p->pos++];
  size_t n = 0;
  while (p->pos < p->len && p->s[p->pos] != q) {
    if (n + 1 >= cap) return npy_fail(p, "string too long");
    out[n++] = p->s[p->pos++];
  }
  if (p->pos >= p->len) return npy_fail(p, "unterminated string");
  p->pos++;
  out[n] = '\0';
  return HEAT_OK;
}

static int py_bool(pydict *p, bool *out) {
  ws(p);
  if (p->len - p->pos >= 4 && memcmp(p->s + p->pos, "True", 4) == 0) {
    p->pos += 4;
    *out = true;
  } else if (p->len - p->pos >= 5 && memcmp(p->s + p->pos, "False", 5) == 0) {
    p->pos += 5;
    *out = false;
  } else {
    return npy_fail(p, "expected True or False");
  }
  return HEAT_OK;
}

static int py_shape(pydict *p, int64_t *dims, size_t cap, size_t *n) {
  if (!accept(p, '(')) return npy_fail(p, "expected '(' for the shape");
  *n = 0;
  while (!accept(p, ')')) {
    ws(p);
    int64_t v = 0;
    size_t start = p->pos;
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
      if (v > (INT64_MAX - 9) / 10) return npy_fail(p, "dimension too large");
      v = v * 10 + (p->s[p->pos++] - '0');
    }
    if (p->pos == start) return npy_fail(p, "expected a dimension");
    if (*n == cap) return npy_fail(p, "too many dimensions");
    dims[(*n)++] = v;
    if (!accept(p, ',')) {
      if (!accept(p, ')')) return npy_fail(p, "expected ',' or ')' in the shape");
      break;
    }
  }
  return HEAT_OK;
}

int wl_npy_read(const char *path, wl_matrix *out, heat_error *err) {
  FILE *fp;
  if (wl__open_weight_file(path, &fp, err)) return err->code;
  unsigned char pre[12];
  char *text = NULL;
  int rc = HEAT_OK;
  if (fread(pre, 1, 10, fp) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0) {
    rc = heat_error_set(err, HEAT_EINVAL, path, "not a .npy file (no \\x93NUMPY magic)");
    goto done;
  }
  uint32_t hlen;
  if (pre[7] != 0) {
    /* numpy has written only 1.0, 2.0 and 3.0; a minor version may change the layout */
    rc = heat_error_set(err, HEAT_EINVAL, path,
                        ".npy format version %d.%d is not supported; heat reads 1.0, 2.0 and 3.0",
                        pre[6], pre[7]);
    goto done;
  }
  if (pre[6] == 1) {
    hlen = (uint32_t)(pre[8] | pre[9] << 8);
  } else if (pre[6] == 2 || pre[6] == 3) {
    if (fread(pre + 10, 1, 2, fp) != 2) {
      rc = heat_error_set(err, HEAT_EINVAL, path, "truncated .npy header");
      goto done;
    }
    hlen = (uint32_t)pre[8] | (uint32_t)pre[9] << 8 | (uint32_t)pre[10] << 16 |
           (uint32_t)pre[11] << 24;
  } else {
    rc = heat_error_set(err, HEAT_EINVAL, path,
                        ".npy format version %d.%d is not supported; heat reads 1.0, 2.0 and 3.0",
                        pre[6], pre[7]);
    goto done;
  }
  if (hlen > (1u << 20) || !(text = malloc(hlen ? hlen : 1)) || fread(text, 1, hlen, fp) != hlen) {
    rc = heat_error_set(err, HEAT_EINVAL, path, "truncated or oversized .npy header (%u bytes)",
                        hlen);
    goto done;
  }
  pydict p = {text, hlen, 0, path, err};
  char descr[16] = "";
  bool fortran = false, seen[3] = {false, false, false};
  int64_t dims[8];
  size_t ndim = 0;
  if (!accept(&p, '{')) {
    rc = npy_fail(&p, "expected '{'");
    goto done;
  }
  while (!accept(&p, '}')) {
    char key[32];
    if ((rc = py_string(&p, key, sizeof key))) goto done;
    if (!accept(&p, ':')) {
      rc = npy_fail(&p, "expected ':'");
      goto done;
    }
    if (strcmp(key, "descr") == 0)
      rc = py_string(&p, descr, sizeof descr), seen[0] = true;
    else if (strcmp(key, "fortran_order") == 0)
      rc = py_bool(&p, &fortran), seen[1] = true;
    else if (strcmp(key, "shape") == 0)
      rc = py_shape(&p, dims, 8, &ndim), seen[2] = true;
    else
      rc = npy_fail(&p, "unknown key");
    if (rc) goto done;
    if (!accept(&p, ',')) {
      if (!accept(&p, '}')) {
        rc = npy_fail(&p, "expected ',' or '}'");
        goto done;
      }
      break;
    }
  }
  ws(&p);
  if (p.pos != p.len || !seen[0] || !seen[1] || !seen[2]) {
    rc = npy_fail(&p, "header lacks descr, fortran_order or shape, or has trailing bytes");
    goto done;
  }
  wl__dtype t;
  if (strcmp(descr, "<f4") == 0)
    t = WL__F32;
  else if (strcmp(descr, "<f8") == 0)
    t = WL__F64;
  else if (strcmp(descr, "<f2") == 0)
    t = WL__F16;
  else {
    rc = heat_error_set(err, HEAT_EINVAL, path,
                        "dtype '%s' is not supported; heat reads <f4, <f8 and <f2", descr);
    goto done;
  }
  if (ndim != 2 || dims[0] < 1 || dims[1] < 1) {
    rc = heat_error_set(err, HEAT_EINVAL, path,
                        "the array has %zu dimensions (or an empty one); a weight is 2-D, out x in",
                        ndim);
    goto done;
  }
  /* Check the data size against the file before allocating: a header claiming a huge shape
   * must be a truncated file, not an out-of-memory failure. */
  int64_t need = 0, here = (int64_t)ftello(fp);
  if (fseeko(fp, 0, SEEK_END) != 0) {
    rc = heat_error_set(err, HEAT_EIO, path, "cannot seek in the weight file");
    goto done;
  }
  int64_t have = (int64_t)ftello(fp) - here;
  int64_t es = (int64_t)wl__dtype_size(t), numel = 0;
  if (wl__checked_numel(dims, 2, 1, &numel) || wl__checked_numel(dims, 2, es, &need)) {
    rc = heat_error_set(err, HEAT_EINVAL, path,
                        "shape (%lld, %lld) needs more than 2^63 bytes; the header is corrupt",
                        (long long)dims[0], (long long)dims[1]);
    goto done;
  }
  if (have < need) {
    rc = heat_error_set(err, HEAT_EINVAL, path,
                        "data is truncated: %lld of %lld elements present (the header says "
                        "shape (%lld, %lld) %s: %lld bytes, the file has %lld after the header)",
                        (long long)(have / es), (long long)numel, (long long)dims[0],
                        (long long)dims[1], descr, (long long)need, (long long)have);
    goto done;
  }
  if (have > need) {
    rc = heat_error_set(err, HEAT_EINVAL, path,
                        "%lld trailing bytes after the (%lld, %lld) %s data; a .npy file holds "
                        "exactly one array",
                        (long long)(have - need), (long long)dims[0], (long long)dims[1], descr);
    goto done;
  }
  if (fseeko(fp, (off_t)here, SEEK_SET) != 0) {
    rc = heat_error_set(err, HEAT_EIO, path, "cannot seek in the weight file");
    goto done;
  }
  rc = wl__read_values(fp, path, t, fortran, dims[0], dims[1], out, err);
done:
  free(text);
  fclose(fp);
  return rc;
}
