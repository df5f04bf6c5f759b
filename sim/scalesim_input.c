/* SCALE-Sim's input files, read as SCALE-Sim reads them (Python configparser and its topology
 * loader, scalesim/topology_utils.py) but with an error naming file:line and the field wherever
 * SCALE-Sim would crash, warn, or silently use a wrong value. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/heat_file.h"
#include "sim/scalesim.h"

/* One line of text without its end (Python's universal newlines: \n, \r\n and \r). */
typedef struct ss_line {
  const char *s;
  size_t len;
  int no;
} ss_line;

typedef struct ss_cursor {
  const char *p, *end;
  int no;
} ss_cursor;

static bool ss_next_line(ss_cursor *c, ss_line *out) {
  if (c->p >= c->end) return false;
  const char *s = c->p;
  while (c->p < c->end && *c->p != '\n' && *c->p != '\r') c->p++;
  out->s = s;
  out->len = (size_t)(c->p - s);
  out->no = ++c->no;
  if (c->p < c->end) {
    char e = *c->p++;
    if (e == '\r' && c->p < c->end && *c->p == '\n') c->p++;
  }
  return true;
}

static void ss_trim(const char **s, size_t *len) {
  while (*len && isspace((unsigned char)**s)) (*s)++, (*len)--;
  while (*len && isspace((unsigned char)(*s)[*len - 1])) (*len)--;
}

static int ss_check_text(const char *text, size_t len, const char *file, heat_error *err) {
  const char *nul = memchr(text, '\0', len);
  if (!nul) return HEAT_OK;
  int line = 1;
  for (const char *p = text; p < nul; p++) line += *p == '\n';
  return heat_error_at(err, HEAT_EINVAL, file, line, "a NUL byte: not a text file");
}

/* A decimal integer in [min, SCALESIM_VALUE_MAX] (Python's int() on a stripped string: an
 * optional '+', digits). */
static int ss_int(const char *s, size_t len, int64_t min, const char *file, int line,
                  const char *field, int64_t *out, heat_error *err) {
  ss_trim(&s, &len);
  size_t i = 0;
  bool neg = false;
  if (i < len && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  if (i == len)
    return heat_error_at(err, HEAT_EINVAL, file, line, "field '%s': %s", field,
                         len ? "a sign without digits" : "empty; expected an integer");
  int64_t v = 0;
  bool big = false;
  for (size_t j = i; j < len; j++) {
    if (!isdigit((unsigned char)s[j]))
      return heat_error_at(err, HEAT_EINVAL, file, line, "field '%s': '%.*s' is not an integer",
                           field, (int)(len > 40 ? 40 : len), s);
    if (v > SCALESIM_VALUE_MAX) big = true;
    else v = v * 10 + (s[j] - '0');
  }
  if (big || v > SCALESIM_VALUE_MAX)
    return heat_error_at(err, HEAT_ERANGE, file, line,
                         "field '%s': %.*s is past %lld (2^31 - 1), the largest value allowed",
                         field, (int)(len > 40 ? 40 : len), s, (long long)SCALESIM_VALUE_MAX);
  if (neg) v = -v;
  if (v < min)
    return heat_error_at(err, HEAT_EINVAL, file, line, "field '%s': %lld; must be at least %lld",
                         field, (long long)v, (long long)min);
  *out = v;
  return HEAT_OK;
}

/* ---- INI config ---------------------------------------------------------------------------- */

enum { SS_GENERAL, SS_ARCH, SS_RUN, SS_NETWORK, SS_SECTIONS };
static const char *const ss_section_names[SS_SECTIONS] = {"general", "architecture_presets",
                                                          "run_presets", "network_presets"};

/* The keys heat reads, in SCALE-Sim's spelling (configparser compares them case-blind). */
typedef struct ss_key {
  int section;
  const char *name;
  bool required;
} ss_key;
enum {
  K_RUN_NAME, K_HEIGHT, K_WIDTH, K_IFMAP_KB, K_FILTER_KB, K_OFMAP_KB, K_IFMAP_OFF, K_FILTER_OFF,
  K_OFMAP_OFF, K_DATAFLOW, K_BANDWIDTH, K_INTERFACE, K_TOPO_NET, K_TOPO_ARCH, K_COUNT
};
static const ss_key ss_keys[K_COUNT] = {
    {SS_GENERAL, "run_name", true},         {SS_ARCH, "ArrayHeight", true},
    {SS_ARCH, "ArrayWidth", true},          {SS_ARCH, "IfmapSramSzkB", true},
    {SS_ARCH, "FilterSramSzkB", true},      {SS_ARCH, "OfmapSramSzkB", true},
    {SS_ARCH, "IfmapOffset", true},         {SS_ARCH, "FilterOffset", true},
    {SS_ARCH, "OfmapOffset", true},         {SS_ARCH, "Dataflow", true},
    {SS_ARCH, "Bandwidth", false},          {SS_RUN, "InterfaceBandwidth", true},
    {SS_NETWORK, "TopologyCsvLoc", false},  {SS_ARCH, "TopologyCsvLoc", false},
};

typedef struct ss_value {
  const char *s;
  size_t len;
  int line;
} ss_value;

static bool ss_eq_nocase(const char *a, size_t alen, const char *b) {
  size_t blen = strlen(b);
  if (alen != blen) return false;
  for (size_t i = 0; i < alen; i++)
    if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i])) return false;
  return true;
}

/* The sections and keys of the file, as configparser would hold them (duplicates refused as
 * its strict mode does; keys of other sections and unknown keys are ignored, as SCALE-Sim does). */
static int ss_ini_scan(const char *text, size_t len, const char *file, int section_line[],
                       ss_value values[], heat_error *err) {
  ss_cursor c = {text, text + len, 0};
  ss_line ln;
  int section = -2; /* -2: before any section, -1: a section heat does not read */
  bool seen_any_section = false;
  while (ss_next_line(&c, &ln)) {
    const char *s = ln.s;
    size_t n = ln.len;
    ss_trim(&s, &n);
    if (n == 0 || s[0] == '#' || s[0] == ';') continue;
    if (s[0] == '[') {
      if (s[n - 1] != ']' || n < 3)
        return heat_error_at(err, HEAT_EINVAL, file, ln.no,
                             "a section header must be '[name]', not '%.*s'",
                             (int)(n > 60 ? 60 : n), s);
      section = -1;
      for (int i = 0; i < SS_SECTIONS; i++)
        if (n - 2 == strlen(ss_section_names[i]) && !memcmp(s + 1, ss_section_names[i], n - 2))
          section = i;
      if (section >= 0 && section_line[section])
        return heat_error_at(err, HEAT_EINVAL, file, ln.no, "section [%s] again (first at line %d)",
                             ss_section_names[section], section_line[section]);
      if (section >= 0) section_line[section] = ln.no;
      seen_any_section = true;
      continue;
    }
    if (!seen_any_section)
      return heat_error_at(err, HEAT_EINVAL, file, ln.no,
                           "'%.*s' before any [section] header", (int)(n > 60 ? 60 : n), s);
    size_t d = 0;
    while (d < n && s[d] != '=' && s[d] != ':') d++;
    if (d == n)
      return heat_error_at(err, HEAT_EINVAL, file, ln.no,
                           "'%.*s' is not 'key = value' or 'key: value'",
                           (int)(n > 60 ? 60 : n), s);
    const char *key = s;
    size_t klen = d;
    ss_trim(&key, &klen);
    if (klen == 0) return heat_error_at(err, HEAT_EINVAL, file, ln.no, "a value without a key");
    if (section < 0) continue;
    const char *val = s + d + 1;
    size_t vlen = n - d - 1;
    ss_trim(&val, &vlen);
    for (int k = 0; k < K_COUNT; k++) {
      if (ss_keys[k].section != section || !ss_eq_nocase(key, klen, ss_keys[k].name)) continue;
      if (values[k].line)
        return heat_error_at(err, HEAT_EINVAL, file, ln.no, "field '%s' again (first at line %d)",
                             ss_keys[k].name, values[k].line);
      values[k] = (ss_value){val, vlen, ln.no};
    }
  }
  return HEAT_OK;
}

int scalesim_config_parse(const char *text, size_t len, const char *file, scalesim_config *out,
                          heat_error *err) {
  memset(out, 0, sizeof *out);
  if (ss_check_text(text, len, file, err)) return err->code;
  int section_line[SS_SECTIONS] = {0};
  ss_value v[K_COUNT];
  memset(v, 0, sizeof v);
  if (ss_ini_scan(text, len, file, section_line, v, err)) return err->code;
  for (int k = 0; k < K_COUNT; k++) {
    int sec = ss_keys[k].section;
    if (!section_line[sec]) {
      if (!ss_keys[k].required) continue;
      return heat_error_set(err, HEAT_EINVAL, file, "missing section [%s] (field '%s')",
                            ss_section_names[sec], ss_keys[k].name);
    }
    if (ss_keys[k].required && !v[k].line)
      return heat_error_at(err, HEAT_EINVAL, file, section_line[sec],
                           "section [%s]: missing field '%s'", ss_section_names[sec],
                           ss_keys[k].name);
  }
  const ss_value *rn = &v[K_RUN_NAME];
  if (rn->len == 0 || rn->len >= SCALESIM_NAME_MAX || memchr(rn->s, '/', rn->len) ||
      (rn->len <= 2 && !strncmp(rn->s, "..", rn->len)))
    return heat_error_at(err, HEAT_EINVAL, file, rn->line,
                         "field 'run_name': must be a folder name of 1 to %d bytes without '/' "
                         "(the reports go to OUT/run_name/)", SCALESIM_NAME_MAX - 1);
  memcpy(out->run_name, rn->s, rn->len);

  struct { int key; int64_t min; int64_t *dst; } ints[] = {
      {K_HEIGHT, 1, &out->rows},          {K_WIDTH, 1, &out->cols},
      {K_IFMAP_KB, 1, &out->ifmap_kib},   {K_FILTER_KB, 1, &out->filter_kib},
      {K_OFMAP_KB, 1, &out->ofmap_kib},   {K_IFMAP_OFF, 0, &out->ifmap_offset},
      {K_FILTER_OFF, 0, &out->filter_offset}, {K_OFMAP_OFF, 0, &out->ofmap_offset},
  };
  for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
    const ss_value *x = &v[ints[i].key];
    if (ss_int(x->s, x->len, ints[i].min, file, x->line, ss_keys[ints[i].key].name, ints[i].dst,
               err))
      return err->code;
  }
  /* SCALE-Sim's word is one byte: KiB x 1024 words must stay a 32-bit count. */
  int64_t *kib[3] = {&out->ifmap_kib, &out->filter_kib, &out->ofmap_kib};
  for (int i = 0; i < 3; i++)
    if (*kib[i] > SCALESIM_VALUE_MAX / 1024)
      return heat_error_at(err, HEAT_ERANGE, file, v[K_IFMAP_KB + i].line,
                           "field '%s': %lld KiB is past 2^31 bytes", ss_keys[K_IFMAP_KB + i].name,
                           (long long)*kib[i]);
  const ss_value *df = &v[K_DATAFLOW];
  if (ss_eq_nocase(df->s, df->len, "os")) out->dataflow = ARCH_DATAFLOW_OS;
  else if (ss_eq_nocase(df->s, df->len, "ws")) out->dataflow = ARCH_DATAFLOW_WS;
  else if (ss_eq_nocase(df->s, df->len, "is")) out->dataflow = ARCH_DATAFLOW_IS;
  else
    return heat_error_at(err, HEAT_EINVAL, file, df->line,
                         "field 'Dataflow': '%.*s'; allowed: os, ws, is",
                         (int)(df->len > 40 ? 40 : df->len), df->s);
  const ss_value *ib = &v[K_INTERFACE];
  out->interface_line = ib->line;
  if (ib->len == 4 && !memcmp(ib->s, "USER", 4)) out->user_bandwidth = true;
  else if (!(ib->len == 4 && !memcmp(ib->s, "CALC", 4)))
    return heat_error_at(err, HEAT_EINVAL, file, ib->line,
                         "field 'InterfaceBandwidth': '%.*s'; allowed: CALC, USER",
                         (int)(ib->len > 40 ? 40 : ib->len), ib->s);
  const ss_value *bw = &v[K_BANDWIDTH];
  if (bw->line) {
    /* "10" or SCALE-Sim's list "10,10,10": it uses the first; in USER mode it reads them all
     * with int(), so each must be an integer then. */
    size_t at = 0;
    for (int i = 0; at <= bw->len && (i == 0 || out->user_bandwidth); i++) {
      size_t end = at;
      while (end < bw->len && bw->s[end] != ',') end++;
      int64_t v;
      if (ss_int(bw->s + at, end - at, 1, file, bw->line, "Bandwidth", &v, err))
        return err->code;
      if (i == 0) out->bandwidth = v;
      at = end + 1;
    }
  } else if (out->user_bandwidth) {
    return heat_error_at(err, HEAT_EINVAL, file, section_line[SS_ARCH],
                         "section [architecture_presets]: missing field 'Bandwidth' "
                         "(InterfaceBandwidth is USER)");
  }
  /* TopologyCsvLoc: SCALE-Sim writes it to [network_presets] (scale_config.write_conf_file) and
   * reads it, once that section exists, from [architecture_presets] (read_conf_file); heat
   * takes either, [network_presets] first. SCALE-Sim keeps the text between the first two
   * double quotes (split('"')[1]). */
  const ss_value *tp = v[K_TOPO_NET].line ? &v[K_TOPO_NET] : &v[K_TOPO_ARCH];
  if (tp->line) {
    const char *q = memchr(tp->s, '"', tp->len);
    if (!q)
      return heat_error_at(err, HEAT_EINVAL, file, tp->line,
                           "field 'TopologyCsvLoc': the path must be in double quotes, "
                           "as SCALE-Sim reads it (TopologyCsvLoc = \"topology.csv\")");
    size_t rest = tp->len - (size_t)(q + 1 - tp->s);
    const char *q2 = memchr(q + 1, '"', rest);
    size_t plen = q2 ? (size_t)(q2 - q - 1) : rest;
    if (plen == 0 || plen >= sizeof out->topology)
      return heat_error_at(err, HEAT_EINVAL, file, tp->line,
                           "field 'TopologyCsvLoc': the path must be 1 to %d bytes",
                           (int)sizeof out->topology - 1);
    memcpy(out->topology, q + 1, plen);
    out->topology[plen] = '\0';
    out->topology_line = tp->line;
  }
  return HEAT_OK;
}

/* ---- topology CSV -------------------------------------------------------------------------- */

#define SS_MAX_FIELDS 10
static const char *const ss_gemm_fields[] = {"Layer", "M", "N", "K"};
static const char *const ss_conv_fields[] = {"Layer name", "IFMAP Height", "IFMAP Width",
                                             "Filter Height", "Filter Width", "Channels",
                                             "Num Filter", "Strides", "Stride Width"};

/* Splits a line at commas; a trailing comma (SCALE-Sim's rows all have one) ends the row. */
static int ss_fields(const ss_line *ln, const char *f[], size_t flen[]) {
  int n = 0;
  const char *s = ln->s, *end = ln->s + ln->len;
  for (;;) {
    const char *c = memchr(s, ',', (size_t)(end - s));
    const char *e = c ? c : end;
    if (n == SS_MAX_FIELDS) return SS_MAX_FIELDS + 1;
    f[n] = s;
    flen[n] = (size_t)(e - s);
    ss_trim(&f[n], &flen[n]);
    n++;
    if (!c) break;
    s = c + 1;
  }
  if (n > 1 && flen[n - 1] == 0) n--;
  return n;
}

static bool ss_blank(const ss_line *ln) {
  for (size_t i = 0; i < ln->len; i++)
    if (!isspace((unsigned char)ln->s[i])) return false;
  return true;
}

static int ss_mul(int64_t a, int64_t b, int64_t *out) {
  return __builtin_mul_overflow(a, b, out) ? -1 : 0;
}

/* The layer of one row: values checked, conv lowered to a GEMM with SCALE-Sim's formulas. */
static int ss_layer(const char *file, int line, bool gemm, int nf, const char *f[],
                    const size_t flen[], scalesim_layer *L, heat_error *err) {
  memset(L, 0, sizeof *L);
  L->line = line;
  if (flen[0] >= SCALESIM_NAME_MAX)
    return heat_error_at(err, HEAT_EINVAL, file, line, "field '%s': longer than %d bytes",
                         gemm ? ss_gemm_fields[0] : ss_conv_fields[0], SCALESIM_NAME_MAX - 1);
  memcpy(L->name, f[0], flen[0]);
  int64_t v[SS_MAX_FIELDS] = {0};
  for (int i = 1; i < nf; i++)
    if (ss_int(f[i], flen[i], 1, file, line, gemm ? ss_gemm_fields[i] : ss_conv_fields[i], &v[i],
               err))
      return err->code;
  if (gemm) { /* SCALE-Sim's GEMM entry: ifmap M x K, filter 1 x K, 1 channel, N filters */
    L->ifmap_h = v[1];
    L->ifmap_w = v[3];
    L->filter_h = 1;
    L->filter_w = v[3];
    L->channels = 1;
    L->filters = v[2];
    L->stride_h = L->stride_w = 1;
  } else {
    L->ifmap_h = v[1];
    L->ifmap_w = v[2];
    L->filter_h = v[3];
    L->filter_w = v[4];
    L->channels = v[5];
    L->filters = v[6];
    L->stride_h = v[7];
    L->stride_w = nf > 8 ? v[8] : v[7];
    if (L->filter_h > L->ifmap_h)
      return heat_error_at(err, HEAT_EINVAL, file, line,
                           "field 'Filter Height': %lld is larger than IFMAP Height %lld",
                           (long long)L->filter_h, (long long)L->ifmap_h);
    if (L->filter_w > L->ifmap_w)
      return heat_error_at(err, HEAT_EINVAL, file, line,
                           "field 'Filter Width': %lld is larger than IFMAP Width %lld",
                           (long long)L->filter_w, (long long)L->ifmap_w);
  }
  /* ofmap = ceil((ifmap - filter + stride) / stride) */
  L->ofmap_h = (L->ifmap_h - L->filter_h + L->stride_h + L->stride_h - 1) / L->stride_h;
  L->ofmap_w = (L->ifmap_w - L->filter_w + L->stride_w + L->stride_w - 1) / L->stride_w;
  int64_t window, pixels, ifmap_words;
  if (ss_mul(L->filter_h, L->filter_w, &window) || ss_mul(window, L->channels, &window) ||
      window > SCALESIM_VALUE_MAX)
    return heat_error_at(err, HEAT_ERANGE, file, line,
                         "field 'Channels': the filter window %lld x %lld x %lld is past 2^31 - 1",
                         (long long)L->filter_h, (long long)L->filter_w, (long long)L->channels);
  if (ss_mul(L->ofmap_h, L->ofmap_w, &pixels) || pixels > SCALESIM_VALUE_MAX)
    return heat_error_at(err, HEAT_ERANGE, file, line,
                         "field '%s': %lld x %lld output pixels is past 2^31 - 1",
                         gemm ? "M" : "IFMAP Width", (long long)L->ofmap_h, (long long)L->ofmap_w);
  if (ss_mul(L->ifmap_h, L->ifmap_w, &ifmap_words) ||
      ss_mul(ifmap_words, L->channels, &ifmap_words) || ifmap_words > SCALESIM_VALUE_MAX)
    return heat_error_at(err, HEAT_ERANGE, file, line,
                         "field '%s': the input of %lld x %lld x %lld words is past 2^31 - 1",
                         gemm ? "K" : "Channels", (long long)L->ifmap_h, (long long)L->ifmap_w,
                         (long long)L->channels);
  L->m = pixels;
  L->n = L->filters;
  L->k = window;
  return HEAT_OK;
}

static int ss_push(scalesim_topology *t, size_t *cap, const scalesim_layer *L, const char *file,
                   heat_error *err) {
  if (t->n == SCALESIM_MAX_LAYERS)
    return heat_error_at(err, HEAT_EINVAL, file, L->line, "more than %d layers",
                         SCALESIM_MAX_LAYERS);
  if (t->n == *cap) {
    size_t nc = *cap ? *cap * 2 : 16;
    scalesim_layer *nl = realloc(t->layers, nc * sizeof *nl);
    if (!nl) return heat_error_set(err, HEAT_ENOMEM, file, "out of memory");
    t->layers = nl;
    *cap = nc;
  }
  t->layers[t->n++] = *L;
  return HEAT_OK;
}

int scalesim_topology_parse(const char *text, size_t len, const char *file,
                            scalesim_topology *out, heat_error *err) {
  memset(out, 0, sizeof *out);
  if (ss_check_text(text, len, file, err)) return err->code;
  ss_cursor c = {text, text + len, 0};
  ss_line ln;
  const char *f[SS_MAX_FIELDS + 1];
  size_t flen[SS_MAX_FIELDS + 1];
  if (!ss_next_line(&c, &ln))
    return heat_error_set(err, HEAT_EINVAL, file, "empty file; expected a header line");
  int header = ss_fields(&ln, f, flen);
  if (header != 4 && header != 8 && header != 9)
    return heat_error_at(err, HEAT_EINVAL, file, ln.no,
                         "the header has %s%d fields; expected 4 (GEMM: Layer, M, N, K) or 8 "
                         "(conv: Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter "
                         "Width, Channels, Num Filter, Strides; 9 with a separate Stride Width)",
                         header > SS_MAX_FIELDS ? "more than " : "",
                         header > SS_MAX_FIELDS ? SS_MAX_FIELDS : header);
  out->gemm = header == 4;
  size_t cap = 0;
  int rc = HEAT_OK;
  while (ss_next_line(&c, &ln)) {
    if (ss_blank(&ln)) continue;
    int nf = ss_fields(&ln, f, flen);
    if (nf != header) {
      rc = heat_error_at(err, HEAT_EINVAL, file, ln.no,
                         "%s%d fields; the header (line 1) has %d (%s)",
                         nf > SS_MAX_FIELDS ? "more than " : "",
                         nf > SS_MAX_FIELDS ? SS_MAX_FIELDS : nf, header,
                         out->gemm ? "Layer, M, N, K" : "a conv layer");
      break;
    }
    scalesim_layer L;
    if ((rc = ss_layer(file, ln.no, out->gemm, nf, f, flen, &L, err))) break;
    if (!out->gemm && strstr(L.name, "DP")) {
      /* SCALE-Sim runs a depthwise layer as one single-channel layer per channel. */
      int64_t channels = L.channels;
      L.channels = 1;
      L.k = L.filter_h * L.filter_w;
      if (channels > SCALESIM_MAX_LAYERS) {
        rc = heat_error_at(err, HEAT_EINVAL, file, ln.no,
                           "field 'Channels': depthwise layer '%s' would expand to %lld layers "
                           "(at most %d)", L.name, (long long)channels, SCALESIM_MAX_LAYERS);
        break;
      }
      char base[SCALESIM_NAME_MAX];
      memcpy(base, L.name, sizeof base);
      for (int64_t ch = 0; ch < channels && !rc; ch++) {
        int w = snprintf(L.name, sizeof L.name, "%sChannel_%lld", base, (long long)ch);
        if (w < 0 || w >= (int)sizeof L.name)
          rc = heat_error_at(err, HEAT_EINVAL, file, ln.no,
                             "field 'Layer name': '%s' with its channel suffix is longer than %d "
                             "bytes", base, SCALESIM_NAME_MAX - 1);
        else rc = ss_push(out, &cap, &L, file, err);
      }
      if (rc) break;
    } else if ((rc = ss_push(out, &cap, &L, file, err))) {
      break;
    }
  }
  if (!rc && out->n == 0)
    rc = heat_error_at(err, HEAT_EINVAL, file, c.no, "no layers after the header");
  if (rc) scalesim_topology_free(out);
  return rc;
}

void scalesim_topology_free(scalesim_topology *t) {
  free(t->layers);
  t->layers = NULL;
  t->n = 0;
}

int scalesim_config_load(const char *path, scalesim_config *out, heat_error *err) {
  char *text;
  size_t len;
  if (heat_file_read_text(path, "a SCALE-Sim config", HEAT_TEXT_FILE_MAX, &text, &len, err))
    return err->code;
  int rc = scalesim_config_parse(text, len, path, out, err);
  free(text);
  return rc;
}

int scalesim_topology_load(const char *path, scalesim_topology *out, heat_error *err) {
  char *text;
  size_t len;
  memset(out, 0, sizeof *out);
  if (heat_file_read_text(path, "a SCALE-Sim topology", HEAT_TEXT_FILE_MAX, &text, &len, err))
    return err->code;
  int rc = scalesim_topology_parse(text, len, path, out, err);
  free(text);
  return rc;
}
