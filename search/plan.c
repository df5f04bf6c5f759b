/* Plans: JSON reading (strict, through workloads' JSON cursor), checking and writing. */
#include "search/plan.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/json.h"

static void plan__weight_dense(plan_weight *w) {
  memset(w, 0, sizeof *w);
  w->fmt.format = WL_FORMAT_DENSE;
  w->path = LAYER_PATH_HARDWARE;
  w->precompute = PATH_PRECOMPUTE_NO_GROWTH;
  w->rel_error = -1;
}

static void plan__clear(plan *p) {
  memset(p, 0, sizeof *p);
  for (size_t l = 0; l < PLAN_MAX_LAYERS; l++)
    for (int r = 0; r < PLAN_ROLES; r++) plan__weight_dense(&p->w[l][r]);
  p->figures = (plan_figures){-1, -1, -1, -1, -1};
}

int plan_init_dense(plan *p, const model *m, heat_error *err) {
  plan__clear(p);
  if (m->layers > PLAN_MAX_LAYERS)
    return heat_error_set(err, HEAT_ERANGE, m->origin,
                          "model '%s' has %lld blocks; plans hold at most %d", m->name,
                          (long long)m->layers, PLAN_MAX_LAYERS);
  snprintf(p->model, sizeof p->model, "%s", m->name);
  p->seq = m->seq;
  p->layers = (size_t)m->layers;
  return HEAT_OK;
}

void plan_role_dims(const model *m, int role, int64_t *out_features, int64_t *in_features) {
  model_op ops[MODEL_OPS_MAX];
  size_t n = 0;
  *out_features = *in_features = 0;
  if (model_block_ops(m, ops, MODEL_OPS_MAX, &n, NULL)) return;
  const char *name = wl_bert_role_name((wl_bert_role)role);
  for (size_t i = 0; i < n; i++)
    if (ops[i].kind == MODEL_OP_LINEAR && strcmp(ops[i].name, name) == 0) {
      *out_features = ops[i].out_features;
      *in_features = ops[i].in_features;
    }
}

int64_t plan_params(const plan *p, const model *m) {
  model_totals t;
  if (model_total(m, &t, NULL)) return -1;
  int64_t params = t.params;
  for (int r = 0; r < PLAN_ROLES; r++) {
    int64_t o, i;
    plan_role_dims(m, r, &o, &i);
    for (size_t l = 0; l < p->layers; l++) {
      wl_layer f = p->w[l][r].fmt;
      if (f.format == WL_FORMAT_DENSE) continue;
      /* svd may be read without a shape: it is the matrix (found by tests/fuzz/fuzz_plan.c) */
      if (f.shape.d == 0) wl_shape_matrix(o, i, &f.shape);
      params += wl_layer_params(&f) - o * i;
    }
  }
  return params;
}

/* ---- reading ---- */

typedef struct plan__reader {
  wl__json j;
  plan *p;
  bool seen[PLAN_MAX_LAYERS][PLAN_ROLES];
  char field[96]; /* the field being read, for messages */
} plan__reader;

static int plan__fail(plan__reader *r, const char *fmt, const char *arg) {
  char what[1400];
  char msg[1100];
  snprintf(msg, sizeof msg, fmt, arg);
  snprintf(what, sizeof what, "%s: %s", r->field, msg);
  return wl__json_fail(&r->j, what);
}

static int plan__string(plan__reader *r, char *out, size_t cap) {
  if (!wl__json_peek(&r->j, '"')) return plan__fail(r, "%s", "expected a string");
  return wl__json_string(&r->j, out, cap);
}

static int plan__int(plan__reader *r, int64_t *out) {
  wl__json_ws(&r->j);
  if (r->j.pos < r->j.len && r->j.s[r->j.pos] == '-')
    return plan__fail(r, "%s", "must not be negative");
  return wl__json_uint(&r->j, out);
}

/* Figures are numbers or null (unknown, stored as -1). */
static int plan__figure(plan__reader *r, double *out) {
  wl__json_ws(&r->j);
  if (r->j.len - r->j.pos >= 4 && memcmp(r->j.s + r->j.pos, "null", 4) == 0) {
    r->j.pos += 4;
    *out = -1;
    return HEAT_OK;
  }
  int rc = wl__json_number(&r->j, out);
  if (!rc && *out < 0) return plan__fail(r, "%s", "must not be negative");
  return rc;
}

/* Calls fn(r, key, ctx) for each key of an object; duplicate keys are refused by the caller. */
typedef int (*plan__key_fn)(plan__reader *r, const char *key, void *ctx);
static int plan__object(plan__reader *r, plan__key_fn fn, void *ctx) {
  if (!wl__json_peek(&r->j, '{')) return plan__fail(r, "%s", "expected an object");
  int rc = wl__json_expect(&r->j, '{');
  if (rc) return rc;
  if (wl__json_peek(&r->j, '}')) {
    r->j.pos++;
    return HEAT_OK;
  }
  char base[96];
  snprintf(base, sizeof base, "%s", r->field);
  for (;;) {
    char key[64];
    if ((rc = wl__json_string(&r->j, key, sizeof key)) || (rc = wl__json_expect(&r->j, ':')))
      return rc;
    snprintf(r->field, sizeof r->field, "%.60s%s%.30s", base, base[0] ? "." : "", key);
    if ((rc = fn(r, key, ctx))) return rc;
    snprintf(r->field, sizeof r->field, "%s", base);
    if (wl__json_peek(&r->j, ',')) {
      r->j.pos++;
      continue;
    }
    return wl__json_expect(&r->j, '}');
  }
}

static int plan__figures_key(plan__reader *r, const char *key, void *ctx) {
  plan_figures *f = ctx;
  if (strcmp(key, "params") == 0) return plan__figure(r, &f->params);
  if (strcmp(key, "rel_error") == 0) return plan__figure(r, &f->rel_error);
  if (strcmp(key, "latency_s") == 0) return plan__figure(r, &f->latency_s);
  if (strcmp(key, "energy_j") == 0) return plan__figure(r, &f->energy_j);
  if (strcmp(key, "edp_js") == 0) return plan__figure(r, &f->edp_js);
  return plan__fail(r, "unknown field (known: params, rel_error, latency_s, energy_j, edp_js)%s",
                    "");
}

typedef struct plan__entry {
  int64_t layer;
  int role;
  bool has_layer, has_role, has_format, has_shape, has_ranks;
  plan_weight w;
  unsigned seen; /* bit per key, for duplicates */
} plan__entry;

static int plan__entry_key(plan__reader *r, const char *key, void *ctx) {
  plan__entry *e = ctx;
  static const char *const keys[] = {"layer", "role",       "hf_name", "format",    "shape",
                                     "ranks", "path",       "precompute", "params", "rel_error"};
  size_t k = 0;
  while (k < sizeof keys / sizeof keys[0] && strcmp(key, keys[k]) != 0) k++;
  if (k == sizeof keys / sizeof keys[0])
    return plan__fail(r, "%s", "unknown field (known: layer, role, hf_name, format, shape, ranks, "
                               "path, precompute, params, rel_error)");
  if (e->seen & (1u << k)) return plan__fail(r, "%s", "given twice");
  e->seen |= 1u << k;
  char text[WL_SHAPE_TEXT_MAX];
  heat_error sub;
  int rc;
  switch (k) {
  case 0:
    e->has_layer = true;
    return plan__int(r, &e->layer);
  case 1:
    if ((rc = plan__string(r, text, sizeof text))) return rc;
    e->has_role = true;
    for (int i = 0; i < PLAN_ROLES; i++)
      if (strcmp(text, wl_bert_role_name((wl_bert_role)i)) == 0) {
        e->role = i;
        return HEAT_OK;
      }
    return plan__fail(r, "unknown role '%s' (known: q, k, v, o, ffn1, ffn2)", text);
  case 2: return plan__string(r, NULL, 0); /* informational: written for users, not read */
  case 3:
    if ((rc = plan__string(r, text, sizeof text))) return rc;
    e->has_format = true;
    if (wl_format_parse(text, "format", &e->w.fmt.format, &sub)) return plan__fail(r, "%s", sub.msg);
    return HEAT_OK;
  case 4:
    if ((rc = plan__string(r, text, sizeof text))) return rc;
    e->has_shape = true;
    if (wl_shape_parse(text, "shape", &e->w.fmt.shape, &sub)) return plan__fail(r, "%s", sub.msg);
    return HEAT_OK;
  case 5:
    e->has_ranks = true;
    if (!wl__json_peek(&r->j, '[')) return plan__fail(r, "%s", "expected an array of ranks");
    rc = wl__json_uint_array(&r->j, e->w.fmt.rank, WL_MAX_RANKS, &e->w.fmt.n_ranks);
    for (size_t i = 0; !rc && i < e->w.fmt.n_ranks; i++)
      if (e->w.fmt.rank[i] < 1) return plan__fail(r, "%s", "ranks must be >= 1");
    return rc;
  case 6:
    if ((rc = plan__string(r, text, sizeof text))) return rc;
    if (strcmp(text, "hw") == 0) e->w.path = LAYER_PATH_HARDWARE;
    else if (strcmp(text, "mac") == 0) e->w.path = LAYER_PATH_MACS;
    else return plan__fail(r, "unknown path mode '%s' (known: hw, mac)", text);
    return HEAT_OK;
  case 7:
    if ((rc = plan__string(r, text, sizeof text))) return rc;
    if (path_precompute_parse(text, "precompute", &e->w.precompute, &sub))
      return plan__fail(r, "%s", sub.msg);
    return HEAT_OK;
  case 8: {
    double ignored; /* recomputed from format, shape and ranks */
    return plan__figure(r, &ignored);
  }
  default: return plan__figure(r, &e->w.rel_error);
  }
}

static int plan__linears(plan__reader *r) {
  if (!wl__json_peek(&r->j, '[')) return plan__fail(r, "%s", "expected an array of weights");
  int rc = wl__json_expect(&r->j, '[');
  if (rc) return rc;
  if (wl__json_peek(&r->j, ']')) {
    r->j.pos++;
    return HEAT_OK;
  }
  for (size_t idx = 0;; idx++) {
    plan__entry e;
    memset(&e, 0, sizeof e);
    plan__weight_dense(&e.w);
    snprintf(r->field, sizeof r->field, "linears[%zu]", idx);
    wl__json_ws(&r->j);
    size_t start = r->j.pos;
    if ((rc = plan__object(r, plan__entry_key, &e))) return rc;
    size_t end = r->j.pos;
    r->j.pos = start; /* blame the entry's first line */
    snprintf(r->field, sizeof r->field, "linears[%zu]", idx);
    if (!e.has_layer) return plan__fail(r, "%s", "missing field 'layer'");
    if (!e.has_role) return plan__fail(r, "%s", "missing field 'role'");
    if (!e.has_format) return plan__fail(r, "%s", "missing field 'format'");
    bool dense = e.w.fmt.format == WL_FORMAT_DENSE;
    if (!dense && !e.has_ranks) return plan__fail(r, "%s", "missing field 'ranks'");
    if (!dense && e.w.fmt.format != WL_FORMAT_SVD && !e.has_shape)
      return plan__fail(r, "%s", "missing field 'shape'");
    if (e.layer >= PLAN_MAX_LAYERS) {
      snprintf(r->field, sizeof r->field, "linears[%zu].layer", idx);
      return plan__fail(r, "%s", "larger than any model heat plans for");
    }
    if (r->seen[e.layer][e.role]) {
      char what[64];
      snprintf(what, sizeof what, "layer %lld role %s",(long long)e.layer,
               wl_bert_role_name((wl_bert_role)e.role));
      return plan__fail(r, "%s is given twice", what);
    }
    r->seen[e.layer][e.role] = true;
    r->p->w[e.layer][e.role] = e.w;
    if ((size_t)e.layer + 1 > r->p->layers) r->p->layers = (size_t)e.layer + 1;
    r->j.pos = end;
    if (wl__json_peek(&r->j, ',')) {
      r->j.pos++;
      continue;
    }
    r->field[0] = '\0';
    return wl__json_expect(&r->j, ']');
  }
}

typedef struct plan__top {
  unsigned seen;
  bool has_version;
} plan__top;

static int plan__top_key(plan__reader *r, const char *key, void *ctx) {
  plan__top *t = ctx;
  static const char *const keys[] = {"schema", "version", "model", "arch", "seq",
                                     "weights", "note", "figures", "linears"};
  size_t k = 0;
  while (k < sizeof keys / sizeof keys[0] && strcmp(key, keys[k]) != 0) k++;
  if (k == sizeof keys / sizeof keys[0])
    return plan__fail(r, "%s", "unknown field (known: schema, version, model, arch, seq, weights, "
                               "note, figures, linears)");
  if (t->seen & (1u << k)) return plan__fail(r, "%s", "given twice");
  t->seen |= 1u << k;
  plan *p = r->p;
  char text[PLAN_TEXT_MAX];
  int rc;
  int64_t v;
  switch (k) {
  case 0:
    if ((rc = plan__string(r, text, sizeof text))) return rc;
    if (strcmp(text, "heat-plan") != 0)
      return plan__fail(r, "'%s' is not a heat plan (expected \"heat-plan\")", text);
    return HEAT_OK;
  case 1:
    if ((rc = plan__int(r, &v))) return rc;
    t->has_version = true;
    if (v != PLAN_SCHEMA_VERSION) {
      char msg[128];
      snprintf(msg, sizeof msg, "schema version %lld; this heat reads version %d", (long long)v,
               PLAN_SCHEMA_VERSION);
      return plan__fail(r, "%s", msg);
    }
    return HEAT_OK;
  case 2: return plan__string(r, p->model, sizeof p->model);
  case 3: return plan__string(r, p->arch, sizeof p->arch);
  case 4:
    if ((rc = plan__int(r, &v))) return rc;
    if (v < 1 || v > INT32_MAX) return plan__fail(r, "%s", "must be between 1 and 2^31-1");
    p->seq = v;
    return HEAT_OK;
  case 5: return plan__string(r, p->weights, sizeof p->weights);
  case 6: return plan__string(r, p->note, sizeof p->note);
  case 7: return plan__object(r, plan__figures_key, &p->figures);
  default: return plan__linears(r);
  }
}

int plan_read_string(const char *text, size_t len, const char *origin, plan *out,
                     heat_error *err) {
  plan__reader *r = calloc(1, sizeof *r);
  if (!r) return heat_error_set(err, HEAT_ENOMEM, origin, "out of memory");
  plan__clear(out);
  r->j = (wl__json){text, len, 0, origin, err, "plan"};
  r->p = out;
  plan__top top = {0, false};
  int rc = plan__object(r, plan__top_key, &top);
  if (!rc) {
    wl__json_ws(&r->j);
    if (r->j.pos != r->j.len) rc = plan__fail(r, "%s", "text after the plan object");
  }
  r->field[0] = '\0';
  if (!rc && !top.has_version) rc = plan__fail(r, "%s", "missing field 'version'");
  if (!rc && !out->model[0]) rc = plan__fail(r, "%s", "missing field 'model'");
  free(r);
  return rc;
}

int plan_read_file(const char *path, plan *out, heat_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return heat_error_set(err, HEAT_EIO, path, "cannot open: %s", strerror(errno));
  /* A plan of 64 layers x 6 weights is ~100 KiB; 16 MiB bounds what we read into memory. */
  const size_t cap = (size_t)16 << 20;
  char *buf = malloc(cap + 1);
  if (!buf) {
    fclose(f);
    return heat_error_set(err, HEAT_ENOMEM, path, "out of memory");
  }
  size_t n = fread(buf, 1, cap + 1, f);
  int bad = ferror(f);
  fclose(f);
  int rc;
  if (bad) rc = heat_error_set(err, HEAT_EIO, path, "cannot read (is it a directory?)");
  else if (n > cap) rc = heat_error_set(err, HEAT_EINVAL, path, "larger than 16 MiB: not a plan");
  else rc = plan_read_string(buf, n, path, out, err);
  free(buf);
  return rc;
}

/* ---- checking ---- */

int plan_check(const plan *p, const model *m, const char *origin, heat_error *err) {
  if ((int64_t)p->layers > m->layers)
    return heat_error_set(err, HEAT_EINVAL, origin,
                          "the plan names block layer %zu but model '%s' has %lld layers (0..%lld)",
                          p->layers - 1, m->name, (long long)m->layers, (long long)m->layers - 1);
  for (int r = 0; r < PLAN_ROLES; r++) {
    int64_t o, i;
    plan_role_dims(m, r, &o, &i);
    for (size_t l = 0; l < p->layers; l++) {
      wl_layer f = p->w[l][r].fmt;
      if (f.format == WL_FORMAT_DENSE) continue;
      if (f.shape.d == 0) wl_shape_matrix(o, i, &f.shape);
      char what[96];
      snprintf(what, sizeof what, "layer %zu %s", l, wl_bert_role_name((wl_bert_role)r));
      int rc = wl_shape_check(&f.shape, o, i, "shape", err);
      if (!rc) rc = wl_layer_check(&f, "ranks", err);
      if (rc) {
        heat_error_prefix(err, "%s (%lld x %lld in '%s')", what, (long long)o, (long long)i,
                          m->name);
        if (origin) snprintf(err->where, sizeof err->where, "%s", origin);
        return rc;
      }
    }
  }
  return HEAT_OK;
}

/* ---- writing ---- */

static void plan__json_string(FILE *out, const char *s) {
  fputc('"', out);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') fprintf(out, "\\%c", c);
    else if (c < 0x20) fprintf(out, "\\u%04x", c);
    else fputc(c, out);
  }
  fputc('"', out);
}

/* Figures with 17 significant digits read back exactly; unknown ones as null. */
static void plan__json_figure(FILE *out, double v) {
  if (v < 0 || !isfinite(v)) fputs("null", out);
  else fprintf(out, "%.17g", v);
}

void plan_write(FILE *out, const plan *p, const model *m) {
  fprintf(out, "{\n  \"schema\": \"heat-plan\",\n  \"version\": %d,\n  \"model\": ",
          PLAN_SCHEMA_VERSION);
  plan__json_string(out, p->model);
  fputs(",\n  \"arch\": ", out);
  plan__json_string(out, p->arch);
  fprintf(out, ",\n  \"seq\": %lld,\n  \"weights\": ", (long long)(p->seq ? p->seq : m->seq));
  plan__json_string(out, p->weights);
  fputs(",\n  \"note\": ", out);
  plan__json_string(out, p->note);
  fputs(",\n  \"figures\": {\"params\": ", out);
  plan__json_figure(out, p->figures.params);
  fputs(", \"rel_error\": ", out);
  plan__json_figure(out, p->figures.rel_error);
  fputs(", \"latency_s\": ", out);
  plan__json_figure(out, p->figures.latency_s);
  fputs(", \"energy_j\": ", out);
  plan__json_figure(out, p->figures.energy_j);
  fputs(", \"edp_js\": ", out);
  plan__json_figure(out, p->figures.edp_js);
  fputs("},\n  \"linears\": [", out);
  bool first = true;
  for (size_t l = 0; l < p->layers; l++)
    for (int r = 0; r < PLAN_ROLES; r++) {
      const plan_weight *w = &p->w[l][r];
      wl_layer f = w->fmt;
      int64_t o, i;
      plan_role_dims(m, r, &o, &i);
      if (f.shape.d == 0) wl_shape_matrix(o, i, &f.shape);
      char hf[160] = "", shape[WL_SHAPE_TEXT_MAX];
      if (wl_bert_weight_name((int)l, (wl_bert_role)r, hf, sizeof hf) < 0) hf[0] = '\0';
      wl_shape_format(&f.shape, shape, sizeof shape);
      fprintf(out, "%s\n    {\"layer\": %zu, \"role\": \"%s\", \"hf_name\": ", first ? "" : ",", l,
              wl_bert_role_name((wl_bert_role)r));
      plan__json_string(out, hf);
      fprintf(out, ", \"format\": \"%s\", \"shape\": \"%s\", \"ranks\": [",
              wl_format_name(f.format), shape);
      for (size_t k = 0; k < f.n_ranks; k++)
        fprintf(out, "%s%lld", k ? ", " : "", (long long)f.rank[k]);
      fprintf(out, "], \"path\": \"%s\", \"precompute\": \"%s\", \"params\": %lld, \"rel_error\": ",
              w->path == LAYER_PATH_MACS ? "mac" : "hw", path_precompute_name(w->precompute),
              (long long)(f.format == WL_FORMAT_DENSE ? o * i : wl_layer_params(&f)));
      plan__json_figure(out, f.format == WL_FORMAT_DENSE ? 0 : w->rel_error);
      fputc('}', out);
      first = false;
    }
  fputs("\n  ]\n}\n", out);
}

int plan_write_file(const char *path, const plan *p, const model *m, heat_error *err) {
  FILE *f = fopen(path, "w");
  if (!f) return heat_error_set(err, HEAT_EIO, path, "cannot write: %s", strerror(errno));
  plan_write(f, p, m);
  if (fclose(f) != 0) return heat_error_set(err, HEAT_EIO, path, "cannot write: %s", strerror(errno));
  return HEAT_OK;
}
