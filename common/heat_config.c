#include "common/heat_config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/heat_file.h"

struct heat_config {
  config_t cfg;
  char origin[HEAT_ERROR_WHERE_MAX - 16];
};

/* One pass over the text before libconfig sees it, for what libconfig gets wrong:
 * - integer literals it wraps (outside 32 bits without an L suffix) or saturates (64 bits);
 * - `@include`, which its scanner follows, so included text would bypass every check here;
 * - a string where no value may stand (`""` alone, `a = 1; "x"`, `{ "x" }`): libconfig 1.5's
 *   parser then drops the scanned string without freeing it (a leak reported by LeakSanitizer;
 *   its grammar has no %destructor for TOK_STRING), so heat reports the syntax error itself;
 * - more settings than HEAT_CONFIG_SETTINGS_MAX: libconfig finds each new name by a linear
 *   search among its siblings, so 100k keys take minutes;
 * - nesting deeper than CONFIG__DEPTH_MAX (its parser and destructor recurse). */
#define CONFIG__DEPTH_MAX 64
typedef struct config__scan {
  int line;                       /* of the problem found, 0 when none */
  char msg[HEAT_ERROR_MSG_MAX];   /* what it is */
  int code;
} config__scan;

static int config__scan_fail(config__scan *sc, int line, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int config__scan_fail(config__scan *sc, int line, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(sc->msg, sizeof sc->msg, fmt, ap);
  va_end(ap);
  sc->line = line;
  sc->code = code;
  return line;
}

/* The integer literal starting at start (outside strings and comments), checked against what
 * libconfig stores; returns the line when it is wrong. */
static int config__check_literal(const char *text, const char *start, size_t len, int line,
                                 config__scan *sc) {
  char lit[96];
  if (len >= sizeof lit) len = sizeof lit - 1;
  memcpy(lit, start, len);
  lit[len] = '\0';
  bool hex = lit[0] == '0' && (lit[1] == 'x' || lit[1] == 'X');
  if (!hex && strpbrk(lit, ".eE")) return 0; /* a float */
  bool long_suffix = len > 0 && (lit[len - 1] == 'L' || lit[len - 1] == 'l');
  bool negative = start > text && start[-1] == '-';
  errno = 0;
  unsigned long long v = strtoull(lit, NULL, hex ? 16 : 10);
  unsigned long long limit32 = negative ? 0x80000000ull : 0x7FFFFFFFull;
  unsigned long long limit64 = negative ? 0x8000000000000000ull : 0x7FFFFFFFFFFFFFFFull;
  if (errno != ERANGE && v <= (long_suffix ? limit64 : limit32)) return 0;
  const char *sign = negative ? "-" : "";
  if (!long_suffix && errno != ERANGE && v <= limit64)
    return config__scan_fail(sc, line, HEAT_ERANGE,
                             "integer %s%s does not fit in 32 bits and libconfig would silently "
                             "wrap it; write it with an L suffix (%s%sL) or use a larger unit",
                             sign, lit, sign, lit);
  return config__scan_fail(sc, line, HEAT_ERANGE,
                           "integer %s%s does not fit in 64 bits (allowed -2^63..2^63-1)", sign,
                           lit);
}

/* Returns the line of the first problem (sc filled), or 0. */
static int config__prescan(const char *text, config__scan *sc) {
  int line = 1;
  const char *p = text;
  char prev = '{';                /* the last token's class: punctuation, '"' or 'a' (a word) */
  char stack[CONFIG__DEPTH_MAX];  /* open brackets; the root is a group */
  int depth = 0;
  long settings = 0;
  while (*p) {
    char c = *p;
    if (c == '\n') {
      line++;
      p++;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      p++;
    } else if (c == '#' || (c == '/' && p[1] == '/')) {
      while (*p && *p != '\n') p++;
    } else if (c == '/' && p[1] == '*') {
      for (p += 2; *p && !(p[0] == '*' && p[1] == '/'); p++)
        if (*p == '\n') line++;
      if (*p) p += 2;
    } else if (c == '"') {
      /* a value: after '=' or ':', first in or after ',' in a list or array, or a string it
       * continues ("a" "b" concatenate) */
      char top = depth ? stack[depth - 1] : '{';
      bool value_here = prev == '=' || prev == ':' || prev == '"' ||
                        ((prev == '[' || prev == '(' || prev == ',') && top != '{');
      if (!value_here)
        return config__scan_fail(sc, line, HEAT_EINVAL,
                                 "syntax error: a string may only stand as a value "
                                 "(name = \"text\";)");
      for (p++; *p && *p != '"'; p++) {
        if (*p == '\\' && p[1]) p++;
        else if (*p == '\n') line++;
      }
      if (*p) p++;
      prev = '"';
    } else if (c == '@') {
      bool include = strncmp(p, "@include", 8) == 0;
      return config__scan_fail(sc, line, HEAT_EINVAL, "%s",
                               include ? "@include is not supported: a heat description is one "
                                         "self-contained file (paste the included settings here)"
                                       : "unexpected '@' (libconfig directives such as @include "
                                         "are not supported)");
    } else if (c == '{' || c == '[' || c == '(') {
      if (depth == CONFIG__DEPTH_MAX)
        return config__scan_fail(sc, line, HEAT_EINVAL,
                                 "groups, lists and arrays nest deeper than %d levels",
                                 CONFIG__DEPTH_MAX);
      stack[depth++] = c;
      prev = c;
      p++;
    } else if (c == '}' || c == ']' || c == ')') {
      if (depth) depth--;
      prev = c;
      p++;
    } else if (c == '=' || c == ':') {
      if (++settings > HEAT_CONFIG_SETTINGS_MAX)
        return config__scan_fail(sc, line, HEAT_EINVAL,
                                 "too many settings: a description may hold at most %d",
                                 HEAT_CONFIG_SETTINGS_MAX);
      prev = c;
      p++;
    } else if (c == ';' || c == ',') {
      prev = c;
      p++;
    } else if (isdigit((unsigned char)c) && (p == text || !(isalnum((unsigned char)p[-1]) ||
                                                            p[-1] == '_' || p[-1] == '.'))) {
      const char *start = p;
      bool hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
      if (hex) p += 2;
      while (isalnum((unsigned char)*p) || *p == '.' ||
             ((*p == '+' || *p == '-') && (p[-1] == 'e' || p[-1] == 'E') && !hex))
        p++;
      if (config__check_literal(text, start, (size_t)(p - start), line, sc)) return line;
      prev = 'a';
    } else {
      prev = 'a';
      p++;
    }
  }
  return 0;
}

static int config__finish_open(heat_config *c, const char *text, heat_error *err) {
  config__scan sc = {0, "", HEAT_OK};
  if (config__prescan(text, &sc)) return heat_error_at(err, sc.code, c->origin, sc.line, "%s", sc.msg);
  return HEAT_OK;
}

static heat_config *config__alloc(const char *origin) {
  heat_config *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  config_init(&c->cfg);
  snprintf(c->origin, sizeof c->origin, "%s", origin);
  return c;
}

static int config__parse_error(heat_config *c, heat_error *err) {
  /* libconfig's text is often just "syntax error": do not say it twice. */
  const char *text = config_error_text(&c->cfg);
  bool plain = !text || strcmp(text, "syntax error") == 0;
  return heat_error_at(err, HEAT_EINVAL, c->origin, config_error_line(&c->cfg), "syntax error%s%s",
                       plain ? "" : ": ", plain ? "" : text);
}

int heat_config_open_string(const char *text, const char *origin, heat_config **out,
                            heat_error *err) {
  *out = NULL;
  heat_config *c = config__alloc(origin);
  if (!c) return heat_error_set(err, HEAT_ENOMEM, origin, "out of memory");
  int rc = config__finish_open(c, text, err);
  if (!rc && !config_read_string(&c->cfg, text)) rc = config__parse_error(c, err);
  if (rc) {
    heat_config_free(c);
    return rc;
  }
  *out = c;
  return HEAT_OK;
}

int heat_config_open_file(const char *path, heat_config **out, heat_error *err) {
  *out = NULL;
  char *text;
  size_t len;
  int rc = heat_file_read_text(path, "a .cfg description", HEAT_TEXT_FILE_MAX, &text, &len, err);
  if (rc) return rc;
  rc = heat_config_open_string(text, path, out, err);
  free(text);
  return rc;
}

void heat_config_free(heat_config *cfg) {
  if (!cfg) return;
  config_destroy(&cfg->cfg);
  free(cfg);
}

const config_setting_t *heat_config_root(const heat_config *cfg) {
  return config_root_setting(&cfg->cfg);
}

const char *heat_config_origin(const heat_config *cfg) { return cfg->origin; }

void heat_config_path(const config_setting_t *s, char *out, size_t cap) {
  /* Segments from the leaf up: a member's name, or "[i]" for an element of a list or array
   * (it has no name but a parent); the root has neither. */
  char segs[32][72];
  size_t n = 0;
  for (const config_setting_t *p = s; p && n < 32; p = config_setting_parent(p)) {
    const char *name = config_setting_name(p);
    if (name)
      snprintf(segs[n++], sizeof segs[0], ".%s", name);
    else if (config_setting_parent(p))
      snprintf(segs[n++], sizeof segs[0], "[%d]", config_setting_index(p));
  }
  size_t used = 0;
  out[0] = '\0';
  for (size_t i = n; i-- > 0 && used < cap;) {
    /* No dot before the first name. */
    const char *seg = used == 0 && segs[i][0] == '.' ? segs[i] + 1 : segs[i];
    int w = snprintf(out + used, cap - used, "%s", seg);
    if (w < 0) break;
    used += (size_t)w;
  }
}

int heat_config_fail(const heat_config *cfg, const config_setting_t *s, int code, heat_error *err,
                     const char *fmt, ...) {
  int line = 0;
  for (const config_setting_t *p = s; p && !line; p = config_setting_parent(p))
    line = config_setting_source_line(p);
  char msg[HEAT_ERROR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return heat_error_at(err, code, cfg->origin, line, "%s", msg);
}

/* Looks up key in group; a NULL group (an absent optional section) has no members. */
static const config_setting_t *config__get(const config_setting_t *group, const char *key) {
  return group ? config_setting_get_member(group, key) : NULL;
}

static int config__missing(const heat_config *cfg, const config_setting_t *group, const char *key,
                           const char *what, heat_error *err) {
  char path[160];
  heat_config_path(group, path, sizeof path);
  return heat_config_fail(cfg, group, HEAT_EINVAL, err, "missing key '%s%s%s' (%s)", path,
                          path[0] ? "." : "", key, what);
}

static int config__wrong_type(const heat_config *cfg, const config_setting_t *s, const char *want,
                              heat_error *err) {
  char path[160];
  heat_config_path(s, path, sizeof path);
  return heat_config_fail(cfg, s, HEAT_EINVAL, err, "'%s' must be %s", path, want);
}

int heat_config_int64(const heat_config *cfg, const config_setting_t *group, const char *key,
                      bool required, int64_t def, int64_t min, int64_t max, int64_t *out,
                      heat_error *err) {
  const config_setting_t *s = config__get(group, key);
  if (!s) {
    if (required) return config__missing(cfg, group, key, "an integer", err);
    *out = def;
    return HEAT_OK;
  }
  int type = config_setting_type(s);
  if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
    return config__wrong_type(cfg, s, "an integer", err);
  int64_t v = (int64_t)config_setting_get_int64(s);
  if (v < min || v > max) {
    char path[160];
    heat_config_path(s, path, sizeof path);
    return heat_config_fail(cfg, s, HEAT_ERANGE, err,
                            "'%s' = %lld is out of range; allowed %lld..%lld", path, (long long)v,
                            (long long)min, (long long)max);
  }
  *out = v;
  return HEAT_OK;
}

int heat_config_double(const heat_config *cfg, const config_setting_t *group, const char *key,
                       bool required, double def, double min, double max, double *out,
                       heat_error *err) {
  const config_setting_t *s = config__get(group, key);
  if (!s) {
    if (required) return config__missing(cfg, group, key, "a number", err);
    *out = def;
    return HEAT_OK;
  }
  int type = config_setting_type(s);
  double v;
  if (type == CONFIG_TYPE_FLOAT)
    v = config_setting_get_float(s);
  else if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64)
    v = (double)config_setting_get_int64(s);
  else
    return config__wrong_type(cfg, s, "a number", err);
  if (!isfinite(v) || v < min || v > max) {
    char path[160];
    heat_config_path(s, path, sizeof path);
    char allowed[96];
    if (isinf(min) && isinf(max))
      snprintf(allowed, sizeof allowed, "any finite number");
    else if (isinf(min))
      snprintf(allowed, sizeof allowed, "at most %g", max);
    else if (isinf(max))
      snprintf(allowed, sizeof allowed, "at least %g", min);
    else
      snprintf(allowed, sizeof allowed, "%g..%g", min, max);
    return heat_config_fail(cfg, s, HEAT_ERANGE, err, "'%s' = %g is out of range; allowed %s",
                            path, v, allowed);
  }
  *out = v;
  return HEAT_OK;
}

int heat_config_bool(const heat_config *cfg, const config_setting_t *group, const char *key,
                     bool required, bool def, bool *out, heat_error *err) {
  const config_setting_t *s = config__get(group, key);
  if (!s) {
    if (required) return config__missing(cfg, group, key, "true or false", err);
    *out = def;
    return HEAT_OK;
  }
  if (config_setting_type(s) != CONFIG_TYPE_BOOL)
    return config__wrong_type(cfg, s, "true or false", err);
  *out = config_setting_get_bool(s) != 0;
  return HEAT_OK;
}

int heat_config_string(const heat_config *cfg, const config_setting_t *group, const char *key,
                       bool required, const char *def, char *out, size_t cap, heat_error *err) {
  const config_setting_t *s = config__get(group, key);
  const char *v = def;
  if (!s) {
    if (required) return config__missing(cfg, group, key, "a string", err);
  } else {
    if (config_setting_type(s) != CONFIG_TYPE_STRING)
      return config__wrong_type(cfg, s, "a string in double quotes", err);
    v = config_setting_get_string(s);
    if (!v[0]) return config__wrong_type(cfg, s, "a non-empty string", err);
  }
  if (!v) v = "";
  if (strlen(v) >= cap) {
    char path[160];
    heat_config_path(s ? s : group, path, sizeof path);
    return heat_config_fail(cfg, s ? s : group, HEAT_ERANGE, err,
                            "'%s' is too long (at most %zu characters)", path, cap - 1);
  }
  snprintf(out, cap, "%s", v);
  return HEAT_OK;
}

int heat_config_member(const heat_config *cfg, const config_setting_t *group, const char *key,
                       int kind, bool required, const config_setting_t **out, heat_error *err) {
  const config_setting_t *s = config__get(group, key);
  *out = NULL;
  const char *want = kind == CONFIG_TYPE_GROUP ? "a group { ... }" : "a list ( ... ) or array [ ... ]";
  if (!s) {
    if (required) return config__missing(cfg, group, key, want, err);
    return HEAT_OK;
  }
  int type = config_setting_type(s);
  bool ok = kind == CONFIG_TYPE_GROUP ? type == CONFIG_TYPE_GROUP
                                      : (type == CONFIG_TYPE_LIST || type == CONFIG_TYPE_ARRAY);
  if (!ok) return config__wrong_type(cfg, s, want, err);
  *out = s;
  return HEAT_OK;
}

int heat_config_check_keys(const heat_config *cfg, const config_setting_t *group,
                           const char *const *allowed, heat_error *err) {
  if (!group || !config_setting_is_group(group)) return HEAT_OK;
  int n = config_setting_length(group);
  for (int i = 0; i < n; i++) {
    const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
    const char *name = config_setting_name(s);
    bool known = false;
    for (const char *const *a = allowed; *a && !known; a++) known = strcmp(*a, name) == 0;
    if (known) continue;
    char list[512];
    size_t used = 0;
    list[0] = '\0';
    for (const char *const *a = allowed; *a && used < sizeof list; a++) {
      int w = snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", *a);
      if (w < 0) break;
      used += (size_t)w;
    }
    char path[160];
    heat_config_path(s, path, sizeof path);
    return heat_config_fail(cfg, s, HEAT_EINVAL, err, "unknown key '%s'; allowed here: %s", path,
                            list);
  }
  return HEAT_OK;
}
