/* arch_load: reads and validates an accelerator description (schema: arch/README.md).
 *
 * Every check names origin:line and the key's path, and says what is allowed. Unknown keys are
 * rejected so that a misspelt optional key cannot silently fall back to its default. */
#include <ctype.h>
#include <math.h>
#include <string.h>

#include "arch/arch.h"
#include "common/heat_config.h"

/* Bounds that keep products such as rows*cols and size_kib*1024 far from int64 overflow while
 * leaving room for any plausible design. */
#define LOAD_MAX_DIM 65536
#define LOAD_MAX_KIB (INT64_C(1) << 30) /* 1 TiB */
#define LOAD_MAX_PJ 1e9
#define LOAD_MAX_RATE 1e9
#define LOAD_MIN_RATE 1e-3 /* GHz, GB/s, bytes per cycle */

static const char *const keys_top[] = {"name",      "description", "energy_source", "clock_ghz",
                                       "precision", "array",       "simd",          "buffers",
                                       "dram",      "energy",      NULL};
static const char *const keys_precision[] = {"input_bits", "weight_bits", "accum_bits", NULL};
static const char *const keys_array[] = {"kind",  "rows",      "cols", "lanes",
                                         "width", "dataflows", "weights_double_buffered",
                                         "output_stage", "pe_leakage_uw", "pe_area_um2", NULL};
static const char *const keys_simd[] = {"lanes", "cycles", "op_pj", "lane_leakage_uw",
                                        "lane_area_um2", NULL};
static const char *const keys_cycles[] = {"add", "mul", "max", "exp", "div", "rsqrt", NULL};
static const char *const keys_buffer[] = {"name",   "size_kib", "banks", "bytes_per_cycle",
                                          "access_bytes", "read_pj", "write_pj", "holds",
                                          "double_buffered", "leakage_uw_per_kib",
                                          "area_um2_per_kib", NULL};
static const char *const keys_dram[] = {"gbps", "latency_ns", "pj_per_byte",
                                        "phy_leakage_mw_per_gbps", "phy_area_mm2_per_gbps", NULL};
static const char *const keys_energy[] = {"mac_pj", "reg_pj", NULL};
/* Static figures: up to 1 W per PE, lane, KiB or GB/s, 1 mm² per PE, lane or KiB, 10 mm² per
 * GB/s; far beyond any real component, but they keep sums finite. */
#define LOAD_MAX_UW 1e6
#define LOAD_MAX_UM2 1e6

/* Fails at setting s with "'path' ..." in front of the message. */
#define LOAD_FAIL(cfg, s, code, err, fmt, ...)                                                    \
  do {                                                                                           \
    char path_[160];                                                                             \
    heat_config_path((s), path_, sizeof path_);                                                  \
    return heat_config_fail((cfg), (s), (code), (err), "'%s' " fmt, path_, __VA_ARGS__);         \
  } while (0)

/* A required number > 0: a zero size, rate or energy makes no physical sense. */
static int load__positive(const heat_config *cfg, const config_setting_t *g, const char *key,
                          double max, double *out, heat_error *err) {
  int rc = heat_config_double(cfg, g, key, true, 0, -HUGE_VAL, HUGE_VAL, out, err);
  if (rc) return rc;
  if (*out > 0 && *out <= max) return HEAT_OK;
  LOAD_FAIL(cfg, config_setting_get_member(g, key), HEAT_ERANGE, err,
            "= %g is out of range (allowed: > 0 up to %g)", *out, max);
}

/* Clocks and bandwidths: a floor keeps the cycle counts they divide into finite. */
static int load__rate(const heat_config *cfg, const config_setting_t *g, const char *key,
                      double *out, heat_error *err) {
  return heat_config_double(cfg, g, key, true, 0, LOAD_MIN_RATE, LOAD_MAX_RATE, out, err);
}

static int load__nonnegative(const heat_config *cfg, const config_setting_t *g, const char *key,
                             double max, double *out, heat_error *err) {
  return heat_config_double(cfg, g, key, true, 0, 0, max, out, err);
}

/* A required sub-group whose members must all be in keys[]. */
static int load__group(const heat_config *cfg, const config_setting_t *parent, const char *key,
                       const char *const *keys, const config_setting_t **g, heat_error *err) {
  int rc = heat_config_member(cfg, parent, key, CONFIG_TYPE_GROUP, true, g, err);
  return rc ? rc : heat_config_check_keys(cfg, *g, keys, err);
}

static int load__int(const heat_config *cfg, const config_setting_t *g, const char *key,
                     int64_t min, int64_t max, int *out, heat_error *err) {
  int64_t v;
  int rc = heat_config_int64(cfg, g, key, true, 0, min, max, &v, err);
  if (!rc) *out = (int)v;
  return rc;
}

/* Names appear in tables and CSV column names: letters, digits, '_', '-', '.'. */
static int load__name(const heat_config *cfg, const config_setting_t *g, const char *key,
                      char *out, size_t cap, heat_error *err) {
  int rc = heat_config_string(cfg, g, key, true, NULL, out, cap, err);
  if (rc) return rc;
  for (const char *p = out; *p; p++) {
    if (isalnum((unsigned char)*p) || *p == '_' || *p == '-' || *p == '.') continue;
    LOAD_FAIL(cfg, config_setting_get_member(g, key), HEAT_EINVAL, err,
              "= \"%s\" has the character '%c'; allowed: letters, digits, '_', '-', '.'", out,
              *p);
  }
  return HEAT_OK;
}

/* The strings of a non-empty list or array setting, each checked by `each`. */
typedef int (*load_item_fn)(const heat_config *cfg, const config_setting_t *item,
                            const char *text, void *acc, heat_error *err);

static int load__string_list(const heat_config *cfg, const config_setting_t *list,
                             const char *allowed, load_item_fn each, void *acc, heat_error *err) {
  int n = config_setting_length(list);
  if (n == 0) LOAD_FAIL(cfg, list, HEAT_EINVAL, err, "is empty; list at least one of %s", allowed);
  for (int i = 0; i < n; i++) {
    const config_setting_t *item = config_setting_get_elem(list, (unsigned)i);
    if (config_setting_type(item) != CONFIG_TYPE_STRING)
      LOAD_FAIL(cfg, list, HEAT_EINVAL, err, "must hold strings, each one of %s", allowed);
    int rc = each(cfg, item, config_setting_get_string(item), acc, err);
    if (rc) return rc;
  }
  return HEAT_OK;
}

static int load__dataflow_item(const heat_config *cfg, const config_setting_t *item,
                               const char *text, void *acc, heat_error *err) {
  unsigned *mask = acc;
  arch_dataflow df;
  heat_error perr;
  if (arch_dataflow_parse(text, &df, &perr))
    LOAD_FAIL(cfg, config_setting_parent(item), HEAT_EINVAL, err, "has an %s", perr.msg);
  if (*mask & (1u << df))
    LOAD_FAIL(cfg, config_setting_parent(item), HEAT_EINVAL, err, "lists \"%s\" twice", text);
  *mask |= 1u << df;
  return HEAT_OK;
}

static int load__holds_item(const heat_config *cfg, const config_setting_t *item,
                            const char *text, void *acc, heat_error *err) {
  static const char *const names[] = {"input", "weight", "output"};
  unsigned *mask = acc, bits = 0;
  if (strcmp(text, "any") == 0) bits = ARCH_OPERAND_ANY;
  for (unsigned i = 0; i < 3 && !bits; i++)
    if (strcmp(text, names[i]) == 0) bits = 1u << i;
  /* As for dataflows: a repeated or overlapping entry is a slip worth pointing out. */
  if (bits && (*mask & bits))
    LOAD_FAIL(cfg, config_setting_parent(item), HEAT_EINVAL, err,
              "lists \"%s\" twice (or beside \"any\")", text);
  if (bits) {
    *mask |= bits;
    return HEAT_OK;
  }
  LOAD_FAIL(cfg, config_setting_parent(item), HEAT_EINVAL, err,
            "has the unknown operand \"%s\"; allowed: input, weight, output, any", text);
}

static int load__precision(const heat_config *cfg, const config_setting_t *root, arch *a,
                           heat_error *err) {
  const config_setting_t *g;
  int rc = load__group(cfg, root, "precision", keys_precision, &g, err);
  if (!rc) rc = load__int(cfg, g, "input_bits", 1, 64, &a->input_bits, err);
  if (!rc) rc = load__int(cfg, g, "weight_bits", 1, 64, &a->weight_bits, err);
  if (!rc) rc = load__int(cfg, g, "accum_bits", 1, 64, &a->accum_bits, err);
  if (rc) return rc;
  if (a->accum_bits < a->input_bits || a->accum_bits < a->weight_bits)
    LOAD_FAIL(cfg, config_setting_get_member(g, "accum_bits"), HEAT_EINVAL, err,
              "= %d is narrower than the operands (input %d, weight %d bits); the accumulator "
              "must be at least as wide as each",
              a->accum_bits, a->input_bits, a->weight_bits);
  return HEAT_OK;
}

/* A key that belongs to the other array kind gets its own message: the generic unknown-key
 * text would not say why rows are wrong for a vector unit. */
static int load__array_foreign(const heat_config *cfg, const config_setting_t *g,
                               const char *kind, const char *const *foreign, const char *wants,
                               heat_error *err) {
  for (const char *const *k = foreign; *k; k++) {
    const config_setting_t *s = config_setting_get_member(g, *k);
    if (s)
      LOAD_FAIL(cfg, s, HEAT_EINVAL, err, "does not apply to a %s array, which takes %s", kind,
                wants);
  }
  return HEAT_OK;
}

static int load__array(const heat_config *cfg, const config_setting_t *root, arch *a,
                       heat_error *err) {
  static const char *const systolic_keys[] = {"rows", "cols", NULL};
  static const char *const vector_keys[] = {"lanes", "width", NULL};
  const config_setting_t *g, *dfs;
  char kind[16];
  arch_array *arr = &a->array;
  int rc = load__group(cfg, root, "array", keys_array, &g, err);
  if (!rc) rc = heat_config_string(cfg, g, "kind", true, NULL, kind, sizeof kind, err);
  if (rc) return rc;
  if (strcmp(kind, "systolic") == 0) {
    arr->kind = ARCH_ARRAY_SYSTOLIC;
    rc = load__array_foreign(cfg, g, "systolic", vector_keys, "rows and cols", err);
    if (!rc) rc = load__int(cfg, g, "rows", 1, LOAD_MAX_DIM, &arr->rows, err);
    if (!rc) rc = load__int(cfg, g, "cols", 1, LOAD_MAX_DIM, &arr->cols, err);
  } else if (strcmp(kind, "vector") == 0) {
    arr->kind = ARCH_ARRAY_VECTOR;
    rc = load__array_foreign(cfg, g, "vector", systolic_keys, "lanes and width", err);
    if (!rc) rc = load__int(cfg, g, "lanes", 1, LOAD_MAX_DIM, &arr->lanes, err);
    if (!rc) rc = load__int(cfg, g, "width", 1, LOAD_MAX_DIM, &arr->width, err);
  } else {
    LOAD_FAIL(cfg, config_setting_get_member(g, "kind"), HEAT_EINVAL, err,
              "= \"%s\" is not an array kind; allowed: \"systolic\" (rows x cols PEs), "
              "\"vector\" (lanes x width MACs)",
              kind);
  }
  if (!rc) rc = heat_config_member(cfg, g, "dataflows", CONFIG_TYPE_LIST, true, &dfs, err);
  arr->dataflows = 0;
  if (!rc)
    rc = load__string_list(cfg, dfs, "\"os\", \"ws\", \"is\"", load__dataflow_item,
                           &arr->dataflows, err);
  if (!rc)
    rc = heat_config_bool(cfg, g, "weights_double_buffered", false, false,
                          &arr->weights_double_buffered, err);
  if (!rc) rc = heat_config_bool(cfg, g, "output_stage", false, false, &arr->output_stage, err);
  if (!rc) rc = load__nonnegative(cfg, g, "pe_leakage_uw", LOAD_MAX_UW, &arr->pe_leakage_uw, err);
  if (!rc) rc = load__positive(cfg, g, "pe_area_um2", LOAD_MAX_UM2, &arr->pe_area_um2, err);
  return rc;
}

static int load__simd(const heat_config *cfg, const config_setting_t *root, arch *a,
                      heat_error *err) {
  const config_setting_t *g, *c;
  arch_simd *s = &a->simd;
  int rc = load__group(cfg, root, "simd", keys_simd, &g, err);
  if (!rc) rc = load__int(cfg, g, "lanes", 1, LOAD_MAX_DIM, &s->lanes, err);
  if (!rc) rc = load__group(cfg, g, "cycles", keys_cycles, &c, err);
  if (!rc) rc = load__int(cfg, c, "add", 1, 10000, &s->cycles_add, err);
  if (!rc) rc = load__int(cfg, c, "mul", 1, 10000, &s->cycles_mul, err);
  if (!rc) rc = load__int(cfg, c, "max", 1, 10000, &s->cycles_max, err);
  if (!rc) rc = load__int(cfg, c, "exp", 1, 10000, &s->cycles_exp, err);
  if (!rc) rc = load__int(cfg, c, "div", 1, 10000, &s->cycles_div, err);
  if (!rc) rc = load__int(cfg, c, "rsqrt", 1, 10000, &s->cycles_rsqrt, err);
  if (!rc) rc = load__positive(cfg, g, "op_pj", LOAD_MAX_PJ, &s->op_pj, err);
  if (!rc) rc = load__nonnegative(cfg, g, "lane_leakage_uw", LOAD_MAX_UW, &s->lane_leakage_uw, err);
  if (!rc) rc = load__positive(cfg, g, "lane_area_um2", LOAD_MAX_UM2, &s->lane_area_um2, err);
  return rc;
}

static int load__buffer(const heat_config *cfg, const config_setting_t *g, arch_buffer *b,
                        heat_error *err) {
  int64_t kib, access;
  const config_setting_t *holds;
  int rc = heat_config_check_keys(cfg, g, keys_buffer, err);
  if (!rc) rc = load__name(cfg, g, "name", b->name, sizeof b->name, err);
  if (!rc) rc = heat_config_int64(cfg, g, "size_kib", true, 0, 1, LOAD_MAX_KIB, &kib, err);
  if (!rc) rc = load__int(cfg, g, "banks", 1, LOAD_MAX_DIM, &b->banks, err);
  if (!rc) rc = load__rate(cfg, g, "bytes_per_cycle", &b->bytes_per_cycle, err);
  if (!rc) rc = heat_config_int64(cfg, g, "access_bytes", true, 0, 1, LOAD_MAX_DIM, &access, err);
  if (!rc) rc = load__positive(cfg, g, "read_pj", LOAD_MAX_PJ, &b->read_pj, err);
  if (!rc) rc = load__positive(cfg, g, "write_pj", LOAD_MAX_PJ, &b->write_pj, err);
  if (!rc) rc = heat_config_member(cfg, g, "holds", CONFIG_TYPE_LIST, true, &holds, err);
  b->operands = 0;
  if (!rc)
    rc = load__string_list(cfg, holds, "\"input\", \"weight\", \"output\", \"any\"",
                           load__holds_item, &b->operands, err);
  if (!rc)
    rc = heat_config_bool(cfg, g, "double_buffered", false, false, &b->double_buffered, err);
  if (!rc)
    rc = load__nonnegative(cfg, g, "leakage_uw_per_kib", LOAD_MAX_UW, &b->leakage_uw_per_kib, err);
  if (!rc)
    rc = load__positive(cfg, g, "area_um2_per_kib", LOAD_MAX_UM2, &b->area_um2_per_kib, err);
  if (rc) return rc;
  b->size_bytes = kib * 1024;
  b->access_bytes = access;
  if (access > b->size_bytes)
    LOAD_FAIL(cfg, config_setting_get_member(g, "access_bytes"), HEAT_EINVAL, err,
              "= %lld is larger than the buffer (%lld bytes)", (long long)access,
              (long long)b->size_bytes);
  return HEAT_OK;
}

static int load__buffers(const heat_config *cfg, const config_setting_t *root, arch *a,
                         heat_error *err) {
  static const char *const operand_names[] = {"input", "weight", "output"};
  const config_setting_t *list;
  int rc = heat_config_member(cfg, root, "buffers", CONFIG_TYPE_LIST, true, &list, err);
  if (rc) return rc;
  int n = config_setting_length(list);
  if (n == 0)
    LOAD_FAIL(cfg, list, HEAT_EINVAL, err, "is empty; give at least one buffer %s",
              "( { name = ...; ... } )");
  a->n_buffers = 0;
  for (int i = 0; i < n; i++) {
    const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
    if (config_setting_type(g) != CONFIG_TYPE_GROUP)
      LOAD_FAIL(cfg, g, HEAT_EINVAL, err, "must be a group %s", "{ name = ...; ... }");
    if (i >= ARCH_MAX_BUFFERS)
      LOAD_FAIL(cfg, g, HEAT_ERANGE, err, "is one buffer too many; at most %d are allowed",
                ARCH_MAX_BUFFERS);
    arch_buffer *b = &a->buffers[i];
    rc = load__buffer(cfg, g, b, err);
    if (rc) return rc;
    for (int j = 0; j < i; j++)
      if (strcmp(a->buffers[j].name, b->name) == 0)
        LOAD_FAIL(cfg, config_setting_get_member(g, "name"), HEAT_EINVAL, err,
                  "= \"%s\" is already the name of buffers[%d]; buffer names must be unique",
                  b->name, j);
    a->n_buffers++;
  }
  unsigned held = 0;
  for (size_t i = 0; i < a->n_buffers; i++) held |= a->buffers[i].operands;
  for (unsigned op = 0; op < 3; op++)
    if (!(held & (1u << op)))
      LOAD_FAIL(cfg, list, HEAT_EINVAL, err,
                "has no buffer that may hold %s operands; add \"%s\" (or \"any\") to some "
                "buffer's holds",
                operand_names[op], operand_names[op]);
  return HEAT_OK;
}

static int load__dram(const heat_config *cfg, const config_setting_t *root, arch *a,
                      heat_error *err) {
  const config_setting_t *g;
  int rc = load__group(cfg, root, "dram", keys_dram, &g, err);
  if (!rc) rc = load__rate(cfg, g, "gbps", &a->dram.gbps, err);
  if (!rc) rc = load__nonnegative(cfg, g, "latency_ns", 1e9, &a->dram.latency_ns, err);
  if (!rc) rc = load__positive(cfg, g, "pj_per_byte", LOAD_MAX_PJ, &a->dram.pj_per_byte, err);
  if (!rc)
    rc = load__nonnegative(cfg, g, "phy_leakage_mw_per_gbps", 1e3, &a->dram.phy_leakage_mw_per_gbps,
                           err);
  if (!rc)
    rc = load__nonnegative(cfg, g, "phy_area_mm2_per_gbps", 10.0, &a->dram.phy_area_mm2_per_gbps,
                           err);
  return rc;
}

static int load__energy(const heat_config *cfg, const config_setting_t *root, arch *a,
                        heat_error *err) {
  const config_setting_t *g;
  int rc = heat_config_member(cfg, root, "energy", CONFIG_TYPE_GROUP, true, &g, err);
  if (rc) return rc;
  /* The one chip-wide figure of earlier versions could not follow --array or a sweep: name its
   * replacements rather than calling it merely unknown. */
  const config_setting_t *old = config_setting_get_member(g, "leakage_mw");
  if (old)
    LOAD_FAIL(cfg, old, HEAT_EINVAL, err,
              "is no longer read: leakage and area are given per component so that they scale "
              "with the array and the buffers: %s (arch/README.md)",
              "array.pe_leakage_uw/pe_area_um2, simd.lane_leakage_uw/lane_area_um2, "
              "buffers[i].leakage_uw_per_kib/area_um2_per_kib, "
              "dram.phy_leakage_mw_per_gbps/phy_area_mm2_per_gbps");
  rc = heat_config_check_keys(cfg, g, keys_energy, err);
  if (!rc) rc = load__positive(cfg, g, "mac_pj", LOAD_MAX_PJ, &a->mac_pj, err);
  if (!rc) rc = load__nonnegative(cfg, g, "reg_pj", LOAD_MAX_PJ, &a->reg_pj, err);
  return rc;
}

static int load__all(const heat_config *cfg, arch *a, heat_error *err) {
  const config_setting_t *root = heat_config_root(cfg);
  int rc = heat_config_check_keys(cfg, root, keys_top, err);
  if (!rc) rc = load__name(cfg, root, "name", a->name, sizeof a->name, err);
  if (!rc)
    rc = heat_config_string(cfg, root, "description", false, "", a->description,
                            sizeof a->description, err);
  if (!rc)
    rc = heat_config_string(cfg, root, "energy_source", true, NULL, a->energy_source,
                            sizeof a->energy_source, err);
  if (!rc)
    rc = heat_config_double(cfg, root, "clock_ghz", true, 0, LOAD_MIN_RATE, 100.0, &a->clock_ghz,
                            err);
  if (!rc) rc = load__precision(cfg, root, a, err);
  if (!rc) rc = load__array(cfg, root, a, err);
  if (!rc) rc = load__simd(cfg, root, a, err);
  if (!rc) rc = load__buffers(cfg, root, a, err);
  if (!rc) rc = load__dram(cfg, root, a, err);
  if (!rc) rc = load__energy(cfg, root, a, err);
  if (!rc) arch_update_static(a);
  return rc;
}

/* Fills *out only when the whole description is valid. */
static int load__finish(heat_config *cfg, arch *out, heat_error *err) {
  arch a;
  memset(&a, 0, sizeof a);
  snprintf(a.origin, sizeof a.origin, "%s", heat_config_origin(cfg));
  int rc = load__all(cfg, &a, err);
  heat_config_free(cfg);
  if (!rc) *out = a;
  return rc;
}

int arch_load_string(const char *text, const char *origin, arch *out, heat_error *err) {
  heat_config *cfg;
  int rc = heat_config_open_string(text, origin, &cfg, err);
  return rc ? rc : load__finish(cfg, out, err);
}

int arch_load_file(const char *path, arch *out, heat_error *err) {
  heat_config *cfg;
  int rc = heat_config_open_file(path, &cfg, err);
  return rc ? rc : load__finish(cfg, out, err);
}
