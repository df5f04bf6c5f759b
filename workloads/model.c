/* Reading model descriptions: keys, types, ranges, consistency. The schema is documented in
 * workloads/README.md ("Model descriptions"). */
#include "workloads/model.h"

#include <stdio.h>
#include <string.h>

#include "common/heat_config.h"
#include "workloads/model_presets.h"

/* Sizes are bounded so that a description cannot ask for absurd tables; products of sizes are
 * still checked for int64 overflow where the operations are generated. */
#define SIZE_MAX_DIM 0x7FFFFFFFLL

static const char *const keys_common[] = {"name",   "kind",       "layers",     "hidden",
                                          "heads",  "ffn",        "batch",      "biases",
                                          "norm",   "activation", "final_layernorm",
                                          "embedding_layernorm", NULL};
static const char *const keys_encoder[] = {"vocab", "positions", "token_types", "seq",
                                           "pooler", "classifier_classes", NULL};
static const char *const keys_decoder[] = {"vocab", "positions", "token_types", "seq",
                                           "tied_embeddings", NULL};
static const char *const keys_vision[] = {"image_size", "patch_size", "channels", "pooler",
                                          "classifier_classes", NULL};

static const char *const *model__kind_keys(model_kind kind) {
  switch (kind) {
  case MODEL_ENCODER: return keys_encoder;
  case MODEL_DECODER: return keys_decoder;
  case MODEL_VISION_ENCODER: return keys_vision;
  }
  return keys_encoder;
}

const char *model_kind_name(model_kind kind) {
  switch (kind) {
  case MODEL_ENCODER: return "encoder";
  case MODEL_DECODER: return "decoder";
  case MODEL_VISION_ENCODER: return "vision-encoder";
  }
  return "?";
}

const char *model_norm_name(model_norm norm) { return norm == MODEL_NORM_PRE ? "pre" : "post"; }

const char *model_activation_name(model_activation act) {
  (void)act; /* one activation so far */
  return "gelu";
}

/* Reads a string key and maps it onto one of names[0..n), naming the allowed spellings. */
static int model__enum(const heat_config *cfg, const config_setting_t *root, const char *key,
                       bool required, int def, const char *const *names, int n, int *out,
                       heat_error *err) {
  char text[32];
  int rc = heat_config_string(cfg, root, key, required, names[def], text, sizeof text, err);
  if (rc) return rc;
  for (int i = 0; i < n; i++)
    if (strcmp(text, names[i]) == 0) {
      *out = i;
      return HEAT_OK;
    }
  char allowed[160] = "";
  size_t used = 0;
  for (int i = 0; i < n && used < sizeof allowed; i++) {
    int w = snprintf(allowed + used, sizeof allowed - used, "%s\"%s\"", i ? ", " : "", names[i]);
    if (w < 0) break;
    used += (size_t)w;
  }
  return heat_config_fail(cfg, config_setting_get_member(root, key), HEAT_EINVAL, err,
                          "'%s' = \"%s\" is not known; allowed: %s", key, text, allowed);
}

/* All keys a description of this kind may hold. */
static int model__check_keys(const heat_config *cfg, const config_setting_t *root,
                             model_kind kind, heat_error *err) {
  const char *allowed[32];
  size_t n = 0;
  for (const char *const *k = keys_common; *k; k++) allowed[n++] = *k;
  for (const char *const *k = model__kind_keys(kind); *k; k++) allowed[n++] = *k;
  allowed[n] = NULL;
  int rc = heat_config_check_keys(cfg, root, allowed, err);
  if (rc) heat_error_prefix(err, "kind \"%s\"", model_kind_name(kind));
  return rc;
}

static int model__read_common(const heat_config *cfg, const config_setting_t *root, model *m,
                              heat_error *err) {
  static const char *const norms[] = {"post", "pre"};
  static const char *const acts[] = {"gelu"};
  int rc, norm = 0, act = 0;
  if ((rc = heat_config_string(cfg, root, "name", true, NULL, m->name, sizeof m->name, err)) ||
      (rc = heat_config_int64(cfg, root, "layers", true, 0, 1, 100000, &m->layers, err)) ||
      (rc = heat_config_int64(cfg, root, "hidden", true, 0, 1, SIZE_MAX_DIM, &m->hidden, err)) ||
      (rc = heat_config_int64(cfg, root, "heads", true, 0, 1, SIZE_MAX_DIM, &m->heads, err)) ||
      (rc = heat_config_int64(cfg, root, "ffn", true, 0, 1, SIZE_MAX_DIM, &m->ffn, err)) ||
      (rc = heat_config_int64(cfg, root, "batch", false, 1, 1, SIZE_MAX_DIM, &m->batch, err)) ||
      (rc = heat_config_bool(cfg, root, "biases", false, true, &m->biases, err)) ||
      (rc = heat_config_bool(cfg, root, "final_layernorm", false, false, &m->final_layernorm,
                             err)) ||
      (rc = heat_config_bool(cfg, root, "embedding_layernorm", false, false,
                             &m->embedding_layernorm, err)) ||
      (rc = model__enum(cfg, root, "norm", false, 0, norms, 2, &norm, err)) ||
      (rc = model__enum(cfg, root, "activation", false, 0, acts, 1, &act, err)))
    return rc;
  m->norm = (model_norm)norm;
  m->activation = (model_activation)act;
  if (m->hidden % m->heads != 0)
    return heat_config_fail(cfg, config_setting_get_member(root, "heads"), HEAT_EINVAL, err,
                            "'heads' = %lld does not divide 'hidden' = %lld; the head dimension "
                            "must be a whole number",
                            (long long)m->heads, (long long)m->hidden);
  return HEAT_OK;
}

static int model__read_text(const heat_config *cfg, const config_setting_t *root, model *m,
                            heat_error *err) {
  int rc;
  if ((rc = heat_config_int64(cfg, root, "vocab", true, 0, 1, SIZE_MAX_DIM, &m->vocab, err)) ||
      (rc = heat_config_int64(cfg, root, "positions", true, 0, 1, SIZE_MAX_DIM, &m->positions,
                              err)) ||
      (rc = heat_config_int64(cfg, root, "token_types", false, 0, 0, SIZE_MAX_DIM,
                              &m->token_types, err)) ||
      (rc = heat_config_int64(cfg, root, "seq", true, 0, 1, SIZE_MAX_DIM, &m->seq, err)))
    return rc;
  if (m->seq > m->positions)
    return heat_config_fail(cfg, config_setting_get_member(root, "seq"), HEAT_EINVAL, err,
                            "'seq' = %lld exceeds 'positions' = %lld; allowed 1..%lld",
                            (long long)m->seq, (long long)m->positions,
                            (long long)m->positions);
  if (m->kind == MODEL_DECODER)
    return heat_config_bool(cfg, root, "tied_embeddings", false, false, &m->tied_embeddings, err);
  if ((rc = heat_config_bool(cfg, root, "pooler", false, false, &m->pooler, err))) return rc;
  return heat_config_int64(cfg, root, "classifier_classes", false, 0, 0, SIZE_MAX_DIM,
                           &m->classifier_classes, err);
}

static int model__read_vision(const heat_config *cfg, const config_setting_t *root, model *m,
                              heat_error *err) {
  int rc;
  if ((rc = heat_config_int64(cfg, root, "image_size", true, 0, 1, 1 << 20, &m->image_size,
                              err)) ||
      (rc = heat_config_int64(cfg, root, "patch_size", true, 0, 1, 1 << 20, &m->patch_size,
                              err)) ||
      (rc = heat_config_int64(cfg, root, "channels", true, 0, 1, 1 << 16, &m->channels, err)) ||
      (rc = heat_config_bool(cfg, root, "pooler", false, false, &m->pooler, err)) ||
      (rc = heat_config_int64(cfg, root, "classifier_classes", false, 0, 0, SIZE_MAX_DIM,
                              &m->classifier_classes, err)))
    return rc;
  if (m->image_size % m->patch_size != 0)
    return heat_config_fail(cfg, config_setting_get_member(root, "patch_size"), HEAT_EINVAL, err,
                            "'patch_size' = %lld does not divide 'image_size' = %lld; the image "
                            "must split into whole patches",
                            (long long)m->patch_size, (long long)m->image_size);
  int64_t side = m->image_size / m->patch_size;
  m->positions = m->seq = side * side + 1; /* the patches and the class token */
  return HEAT_OK;
}

/* Generating every part once proves that the sizes do not overflow int64 at this seq/batch. */
static int model__check_ops(const model *m, const char *where, heat_error *err) {
  model_totals t;
  int rc = model_total(m, &t, err);
  if (rc && err && !err->where[0]) snprintf(err->where, sizeof err->where, "%s", where);
  return rc;
}

static int model__read(const heat_config *cfg, model *out, heat_error *err) {
  static const char *const kinds[] = {"encoder", "decoder", "vision-encoder"};
  const config_setting_t *root = heat_config_root(cfg);
  model m;
  memset(&m, 0, sizeof m);
  snprintf(m.origin, sizeof m.origin, "%s", heat_config_origin(cfg));
  int kind = 0, rc;
  if ((rc = model__enum(cfg, root, "kind", true, 0, kinds, 3, &kind, err))) return rc;
  m.kind = (model_kind)kind;
  if ((rc = model__check_keys(cfg, root, m.kind, err)) ||
      (rc = model__read_common(cfg, root, &m, err)))
    return rc;
  rc = m.kind == MODEL_VISION_ENCODER ? model__read_vision(cfg, root, &m, err)
                                      : model__read_text(cfg, root, &m, err);
  if (rc) return rc;
  if ((rc = model__check_ops(&m, m.origin, err))) return rc;
  *out = m;
  return HEAT_OK;
}

int model_load_string(const char *text, const char *origin, model *out, heat_error *err) {
  heat_config *cfg = NULL;
  int rc = heat_config_open_string(text, origin, &cfg, err);
  if (rc) return rc;
  rc = model__read(cfg, out, err);
  heat_config_free(cfg);
  return rc;
}

int model_load_file(const char *path, model *out, heat_error *err) {
  heat_config *cfg = NULL;
  int rc = heat_config_open_file(path, &cfg, err);
  if (rc) return rc;
  rc = model__read(cfg, out, err);
  heat_config_free(cfg);
  return rc;
}

size_t model_preset_count(void) { return model_presets_n; }

const char *model_preset_name(size_t i) {
  return i < model_presets_n ? model_presets[i].name : NULL;
}

const char *model_preset_text(const char *name) {
  const heat_preset *p = heat_preset_find(model_presets, model_presets_n, name);
  if (p) return p->text;
  return NULL;
}

int model_resolve(const char *name_or_path, model *out, heat_error *err) {
  const char *text = model_preset_text(name_or_path);
  if (text) {
    char origin[MODEL_ORIGIN_MAX];
    snprintf(origin, sizeof origin, "workloads/models/%s.cfg", name_or_path);
    return model_load_string(text, origin, out, err);
  }
  if (heat_preset_is_path(name_or_path)) return model_load_file(name_or_path, out, err);
  return heat_preset_unknown(model_presets, model_presets_n, "model", name_or_path, err);
}

int model_set_seq(model *m, int64_t seq, const char *what, heat_error *err) {
  if (m->kind == MODEL_VISION_ENCODER)
    return heat_error_set(err, HEAT_EINVAL, what,
                          "%s is a vision encoder: its sequence (%lld = patches + class token) "
                          "follows from image_size / patch_size and cannot be set",
                          m->name, (long long)m->seq);
  if (seq < 1 || seq > m->positions)
    return heat_error_set(err, HEAT_ERANGE, what,
                          "%lld is out of range; %s has %lld positions, allowed 1..%lld",
                          (long long)seq, m->name, (long long)m->positions,
                          (long long)m->positions);
  model t = *m;
  t.seq = seq;
  int rc = model__check_ops(&t, what, err);
  if (rc) return rc;
  *m = t;
  return HEAT_OK;
}

int model_set_batch(model *m, int64_t batch, const char *what, heat_error *err) {
  if (batch < 1)
    return heat_error_set(err, HEAT_ERANGE, what, "%lld is out of range; allowed 1 or more",
                          (long long)batch);
  model t = *m;
  t.batch = batch;
  int rc = model__check_ops(&t, what, err);
  if (rc) return rc;
  *m = t;
  return HEAT_OK;
}
