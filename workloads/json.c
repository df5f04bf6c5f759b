/* Strict JSON reading for safetensors headers (see json.h). */
#include "workloads/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int wl__json_fail(wl__json *j, const char *what) {
  if (j->doc) {
    int line = 1;
    for (size_t i = 0; i < j->pos && i < j->len; i++) line += j->s[i] == '\n';
    return heat_error_at(j->err, HEAT_EINVAL, j->path, line, "bad %s: %s", j->doc, what);
  }
  return heat_error_set(j->err, HEAT_EINVAL, j->path,
                        "corrupt safetensors header: %s at byte %zu of the JSON header", what,
                        j->pos);
}

void wl__json_ws(wl__json *j) {
  while (j->pos < j->len && (j->s[j->pos] == ' ' || j->s[j->pos] == '\t' || j->s[j->pos] == '\n' ||
                             j->s[j->pos] == '\r'))
    j->pos++;
}

int wl__json_expect(wl__json *j, char c) {
  wl__json_ws(j);
  if (j->pos >= j->len || j->s[j->pos] != c) {
    char what[32];
    snprintf(what, sizeof what, "expected '%c'", c);
    return wl__json_fail(j, what);
  }
  j->pos++;
  return HEAT_OK;
}

bool wl__json_peek(wl__json *j, char c) {
  wl__json_ws(j);
  return j->pos < j->len && j->s[j->pos] == c;
}

static int hex4(wl__json *j, unsigned *out) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    if (j->pos >= j->len) return wl__json_fail(j, "truncated \\u escape");
    char c = j->s[j->pos++];
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f')
      v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      v |= (unsigned)(c - 'A' + 10);
    else
      return wl__json_fail(j, "bad \\u escape");
  }
  *out = v;
  return HEAT_OK;
}

/* The length of the well-formed UTF-8 sequence at s (n bytes available), 0 when ill-formed
 * (Unicode Table 3-7). */
static size_t utf8_sequence(const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  size_t k;
  unsigned char lo = 0x80, hi = 0xbf; /* the allowed range of the second byte */
  if (u[0] >= 0xc2 && u[0] <= 0xdf) k = 2;
  else if (u[0] >= 0xe0 && u[0] <= 0xef) {
    k = 3;
    if (u[0] == 0xe0) lo = 0xa0;
    if (u[0] == 0xed) hi = 0x9f;
  } else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
    k = 4;
    if (u[0] == 0xf0) lo = 0x90;
    if (u[0] == 0xf4) hi = 0x8f;
  } else
    return 0;
  if (n < k || u[1] < lo || u[1] > hi) return 0;
  for (size_t i = 2; i < k; i++)
    if (u[i] < 0x80 || u[i] > 0xbf) return 0;
  return k;
}

/* Parses a string into out (cap bytes, UTF-8); out may be NULL to skip. */
int wl__json_string(wl__json *j, char *out, size_t cap) {
  int rc = wl__json_expect(j, '"');
  if (rc) return rc;
  size_t n = 0;
  for (;;) {
    if (j->pos >= j->len) return wl__json_fail(j, "unterminated string");
    unsigned char c = (unsigned char)j->s[j->pos++];
    unsigned cp = c;
    if (c == '"') break;
    if (c < 0x20) return wl__json_fail(j, "control character in string");
    if (c >= 0x80) {
      /* RFC 8259 text is UTF-8: copy one well-formed sequence (RFC 3629: no overlong forms, no
       * surrogates, nothing past U+10FFFF) or fail */
      size_t start = j->pos - 1, k = utf8_sequence(j->s + start, j->len - start);
      if (!k) return wl__json_fail(j, "invalid UTF-8 in string");
      if (out) {
        if (n + k >= cap) return wl__json_fail(j, "string too long");
        memcpy(out + n, j->s + start, k);
      }
      n += k;
      j->pos = start + k;
      continue;
    }
    if (c == '\\') {
      if (j->pos >= j->len) return wl__json_fail(j, "unterminated string");
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
            return wl__json_fail(j, "unpaired surrogate");
          j->pos += 2;
          if ((rc = hex4(j, &lo))) return rc;
          if (lo < 0xdc00 || lo > 0xdfff) return wl__json_fail(j, "unpaired surrogate");
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        } else if (cp >= 0xdc00 && cp < 0xe000) {
          return wl__json_fail(j, "unpaired surrogate");
        }
        break;
      default: return wl__json_fail(j, "bad escape");
      }
    }
    /* a stored string is a C string (a tensor name): an escaped NUL would cut it short and
     * let "name\u0000junk" pass as "name" */
    if (out && c == '\\' && cp == 0) return wl__json_fail(j, "\\u0000 (NUL) in a string");
    /* encode cp */
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
      if (n + k >= cap) return wl__json_fail(j, "string too long");
      memcpy(out + n, enc, k);
    }
    n += k;
  }
  if (out) out[n] = '\0';
  return HEAT_OK;
}

/* A non-negative integer (the only numbers safetensors headers hold where heat reads them). */
int wl__json_uint(wl__json *j, int64_t *out) {
  wl__json_ws(j);
  size_t start = j->pos;
  int64_t v = 0;
  while (j->pos < j->len && j->s[j->pos] >= '0' && j->s[j->pos] <= '9') {
    int digit = j->s[j->pos++] - '0';
    if (v > (INT64_MAX - digit) / 10) return wl__json_fail(j, "integer too large");
    v = v * 10 + digit;
  }
  if (j->pos == start) return wl__json_fail(j, "expected a non-negative integer");
  if (j->pos - start > 1 && j->s[start] == '0') return wl__json_fail(j, "leading zero");
  if (j->pos < j->len && (j->s[j->pos] == '.' || j->s[j->pos] == 'e' || j->s[j->pos] == 'E'))
    return wl__json_fail(j, "expected an integer");
  *out = v;
  return HEAT_OK;
}

static int json_skip_number(wl__json *j) {
  wl__json_ws(j);
  if (j->pos < j->len && j->s[j->pos] == '-') j->pos++;
  size_t digits = j->pos;
  while (j->pos < j->len && j->s[j->pos] >= '0' && j->s[j->pos] <= '9') j->pos++;
  if (j->pos == digits) return wl__json_fail(j, "bad value");
  if (j->pos - digits > 1 && j->s[digits] == '0') return wl__json_fail(j, "leading zero");
  if (j->pos < j->len && j->s[j->pos] == '.') {
    size_t f = ++j->pos;
    while (j->pos < j->len && j->s[j->pos] >= '0' && j->s[j->pos] <= '9') j->pos++;
    if (j->pos == f) return wl__json_fail(j, "bad number");
  }
  if (j->pos < j->len && (j->s[j->pos] == 'e' || j->s[j->pos] == 'E')) {
    j->pos++;
    if (j->pos < j->len && (j->s[j->pos] == '+' || j->s[j->pos] == '-')) j->pos++;
    size_t e = j->pos;
    while (j->pos < j->len && j->s[j->pos] >= '0' && j->s[j->pos] <= '9') j->pos++;
    if (j->pos == e) return wl__json_fail(j, "bad number");
  }
  return HEAT_OK;
}

int wl__json_number(wl__json *j, double *out) {
  wl__json_ws(j);
  size_t start = j->pos;
  int rc = json_skip_number(j);
  if (rc) return rc;
  char buf[64];
  size_t n = j->pos - start;
  if (n >= sizeof buf) return wl__json_fail(j, "number too long");
  memcpy(buf, j->s + start, n);
  buf[n] = '\0';
  char *end;
  double v = strtod(buf, &end);
  if (*end || !isfinite(v)) return wl__json_fail(j, "number out of range");
  *out = v;
  return HEAT_OK;
}

static int json_skip_container(wl__json *j, char open, char close, int depth) {
  int rc = wl__json_expect(j, open);
  if (rc) return rc;
  if (wl__json_peek(j, close)) {
    j->pos++;
    return HEAT_OK;
  }
  for (;;) {
    if (open == '{') {
      if ((rc = wl__json_string(j, NULL, 0)) || (rc = wl__json_expect(j, ':'))) return rc;
    }
    if ((rc = wl__json_skip_value(j, depth + 1))) return rc;
    if (wl__json_peek(j, ',')) {
      j->pos++;
      continue;
    }
    return wl__json_expect(j, close);
  }
}

int wl__json_skip_value(wl__json *j, int depth) {
  if (depth > 64) return wl__json_fail(j, "nesting too deep");
  wl__json_ws(j);
  if (j->pos >= j->len) return wl__json_fail(j, "unexpected end");
  char c = j->s[j->pos];
  if (c == '{') return json_skip_container(j, '{', '}', depth);
  if (c == '[') return json_skip_container(j, '[', ']', depth);
  if (c == '"') return wl__json_string(j, NULL, 0);
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

int wl__json_uint_array(wl__json *j, int64_t *out, size_t cap, size_t *count) {
  int rc = wl__json_expect(j, '[');
  if (rc) return rc;
  size_t n = 0;
  if (wl__json_peek(j, ']')) {
    j->pos++;
    *count = 0;
    return HEAT_OK;
  }
  for (;;) {
    if (n == cap) return wl__json_fail(j, "too many dimensions");
    if ((rc = wl__json_uint(j, &out[n++]))) return rc;
    if (wl__json_peek(j, ',')) {
      j->pos++;
      continue;
    }
    if ((rc = wl__json_expect(j, ']'))) return rc;
    *count = n;
    return HEAT_OK;
  }
}
