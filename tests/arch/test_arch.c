/* arch: every preset loads with its published figures; every bad description is rejected with
 * origin:line and a message naming the key and what is allowed. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch/arch.h"

/* One key per line so that the expected line numbers below are easy to check. */
static const char base[] =
    "name = \"t\";\n"                                                          /* 1 */
    "energy_source = \"test\";\n"                                              /* 2 */
    "clock_ghz = 1.0;\n"                                                       /* 3 */
    "precision = { input_bits = 8; weight_bits = 8; accum_bits = 32; };\n"     /* 4 */
    "array = {\n"                                                              /* 5 */
    "  kind = \"systolic\";\n"                                                 /* 6 */
    "  rows = 4;\n"                                                            /* 7 */
    "  cols = 8;\n"                                                            /* 8 */
    "  dataflows = [\"os\", \"ws\"];"
    " pe_leakage_uw = 10.0; pe_area_um2 = 1000.0;\n"                           /* 9 */
    "};\n"                                                                     /* 10 */
    "simd = { lanes = 4; cycles = { add = 1; mul = 2; max = 1; exp = 4; div = 8; rsqrt = 9; };"
    " op_pj = 1.5; lane_leakage_uw = 20.0; lane_area_um2 = 2000.0; };\n"       /* 11 */
    "buffers = (\n"                                                            /* 12 */
    "  { name = \"a\"; size_kib = 64; banks = 4; bytes_per_cycle = 32.0; access_bytes = 8;\n"
    "    read_pj = 5.0; write_pj = 6.0; holds = [\"input\", \"output\"]; double_buffered = true;"
    " leakage_uw_per_kib = 5.0; area_um2_per_kib = 8000.0; },\n"               /* 13-14 */
    "  { name = \"w\"; size_kib = 16; banks = 1; bytes_per_cycle = 16.0; access_bytes = 8;\n"
    "    read_pj = 2.0; write_pj = 3.0; holds = [\"weight\"];"
    " leakage_uw_per_kib = 4.0; area_um2_per_kib = 9000.0; }\n"                /* 15-16 */
    ");\n"                                                                     /* 17 */
    "dram = { gbps = 16.0; latency_ns = 100.0; pj_per_byte = 64.0;"
    " phy_leakage_mw_per_gbps = 2.0; phy_area_mm2_per_gbps = 0.05; };\n"       /* 18 */
    "energy = { mac_pj = 0.2; reg_pj = 0.1; };\n";                             /* 19 */

/* base with the first occurrence of `from` replaced by `to`; the test fails if it is absent. */
static char *edit(const char *text, const char *from, const char *to) {
  const char *at = strstr(text, from);
  assert_non_null(at);
  size_t head = (size_t)(at - text), n = strlen(text) - strlen(from) + strlen(to);
  char *out = malloc(n + 1);
  assert_non_null(out);
  memcpy(out, text, head);
  strcpy(out + head, to);
  strcat(out, at + strlen(from));
  return out;
}

/* Loads text and checks the status, where and a piece of the message. */
static void expect_text_error(const char *text, int code, const char *where, const char *msg) {
  arch a;
  heat_error err;
  int rc = arch_load_string(text, "t.cfg", &a, &err);
  if (rc != code || strcmp(err.where, where) != 0 || !strstr(err.msg, msg))
    fprintf(stderr, "text:\n%s\ngot %d %s: %s\n", text, rc, err.where, err.msg);
  assert_int_equal(rc, code);
  assert_string_equal(err.where, where);
  assert_non_null(strstr(err.msg, msg));
}

/* cmocka 1.1's assert_float_equal rounds to float; sums of tens of mW need doubles. */
#define assert_close(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))

/* base edited by (from -> to). */
static void expect_error(const char *from, const char *to, int code, const char *where,
                         const char *msg) {
  char *text = edit(base, from, to);
  expect_text_error(text, code, where, msg);
  free(text);
}

static void base_loads_with_every_field(void **state) {
  (void)state;
  arch a;
  heat_error err;
  int rc = arch_load_string(base, "t.cfg", &a, &err);
  if (rc) fprintf(stderr, "%s: %s\n", err.where, err.msg);
  assert_int_equal(rc, HEAT_OK);
  assert_string_equal(a.name, "t");
  assert_string_equal(a.description, "");
  assert_string_equal(a.energy_source, "test");
  assert_string_equal(a.origin, "t.cfg");
  assert_int_equal(a.array.kind, ARCH_ARRAY_SYSTOLIC);
  assert_int_equal(a.array.rows * 100 + a.array.cols, 408);
  assert_int_equal(a.array.dataflows, (1u << ARCH_DATAFLOW_OS) | (1u << ARCH_DATAFLOW_WS));
  assert_false(a.array.weights_double_buffered);
  assert_int_equal(a.accum_bits, 32);
  assert_int_equal(a.simd.lanes, 4);
  assert_int_equal(a.simd.cycles_mul * 10 + a.simd.cycles_rsqrt, 29);
  assert_true(a.simd.op_pj == 1.5);
  assert_int_equal(a.n_buffers, 2);
  assert_string_equal(a.buffers[0].name, "a");
  assert_int_equal(a.buffers[0].size_bytes, 65536);
  assert_int_equal(a.buffers[0].operands, ARCH_OPERAND_INPUT | ARCH_OPERAND_OUTPUT);
  assert_true(a.buffers[0].double_buffered);
  assert_false(a.buffers[1].double_buffered);
  assert_int_equal(a.buffers[1].operands, ARCH_OPERAND_WEIGHT);
  assert_true(a.buffers[1].write_pj == 3.0);
  assert_true(a.dram.gbps == 16.0 && a.dram.latency_ns == 100.0 && a.dram.pj_per_byte == 64.0);
  assert_true(a.mac_pj == 0.2 && a.reg_pj == 0.1);
  /* 32 PEs x 10 uW + 4 lanes x 20 uW + 64 KiB x 5 uW + 16 KiB x 4 uW + 16 GB/s x 2 mW;
   * 32 x 1000 + 4 x 2000 + 64 x 8000 + 16 x 9000 um2 + 16 x 0.05 mm2. */
  assert_close(a.leakage_mw, 0.32 + 0.08 + 0.32 + 0.064 + 32.0, 1e-12);
  assert_close(a.area_mm2, 0.032 + 0.008 + 0.512 + 0.144 + 0.8, 1e-12);
  assert_int_equal(arch_peak_macs_per_cycle(&a), 32);
  assert_true(arch_peak_tops(&a) == 2.0 * 32 * 1e9 / 1e12);
  assert_true(arch_dram_bytes_per_cycle(&a) == 16.0);
  assert_int_equal(arch_sram_bytes(&a), 80 * 1024);
}

static void vector_arrays_and_any_holds(void **state) {
  (void)state;
  char *t1 = edit(base, "kind = \"systolic\";\n  rows = 4;\n  cols = 8;",
                  "kind = \"vector\";\n  lanes = 16;\n  width = 32;");
  char *t2 = edit(t1, "holds = [\"weight\"]; leakage_uw_per_kib = 4.0; area_um2_per_kib = 9000.0;", "holds = [\"any\"]; leakage_uw_per_kib = 10.0; area_um2_per_kib = 9000.0;");
  arch a;
  heat_error err;
  assert_int_equal(arch_load_string(t2, "v.cfg", &a, &err), HEAT_OK);
  assert_int_equal(a.array.kind, ARCH_ARRAY_VECTOR);
  assert_int_equal(arch_peak_macs_per_cycle(&a), 512);
  assert_int_equal(a.buffers[1].operands, ARCH_OPERAND_ANY);
  char ops[32];
  arch_operands_format(a.buffers[1].operands, ops, sizeof ops);
  assert_string_equal(ops, "any");
  arch_operands_format(a.buffers[0].operands, ops, sizeof ops);
  assert_string_equal(ops, "input,output");
  free(t2);
  free(t1);
}

/* Peak figures follow from the array sizes; TOPS = 2 * MACs * GHz / 1000. */
static void presets_load_with_their_figures(void **state) {
  (void)state;
  static const struct {
    const char *name;
    int64_t macs;
    double ghz;
  } want[] = {{"simba-l", 1024, 2.0},    {"tpu-32", 1024, 0.7},     {"edge-16", 256, 0.5},
              {"eyeriss-like", 168, 0.2}, {"cloud-128", 16384, 0.94}};
  assert_int_equal(arch_preset_count(), 5);
  assert_null(arch_preset_name(5));
  for (size_t i = 0; i < 5; i++) {
    arch a;
    heat_error err;
    assert_string_equal(arch_preset_name(i), want[i].name);
    int rc = arch_resolve(want[i].name, &a, &err);
    if (rc) fprintf(stderr, "%s: %s: %s\n", want[i].name, err.where, err.msg);
    assert_int_equal(rc, HEAT_OK);
    assert_string_equal(a.name, want[i].name);
    assert_true(strlen(a.energy_source) > 20);
    assert_true(strlen(a.description) > 20);
    char origin[64];
    snprintf(origin, sizeof origin, "preset %s", want[i].name);
    assert_string_equal(a.origin, origin);
    assert_int_equal(arch_peak_macs_per_cycle(&a), want[i].macs);
    assert_true(a.clock_ghz == want[i].ghz);
    assert_close(arch_peak_tops(&a), 2.0 * (double)want[i].macs * want[i].ghz / 1000.0,
                       1e-12);
  }
  arch a;
  heat_error err;
  assert_int_equal(arch_resolve("simba-l", &a, &err), HEAT_OK);
  assert_int_equal(a.array.kind, ARCH_ARRAY_VECTOR);
  assert_int_equal(a.array.lanes * 1000 + a.array.width, 32032);
}

/* The embedded text and the file in the source tree are the same description. */
static void presets_resolve_from_files_too(void **state) {
  (void)state;
  const char *src = getenv("HEAT_SOURCE_DIR");
  assert_non_null(src);
  for (size_t i = 0; i < arch_preset_count(); i++) {
    char path[512];
    snprintf(path, sizeof path, "%s/arch/presets/%s.cfg", src, arch_preset_name(i));
    arch from_file, embedded;
    heat_error err;
    assert_int_equal(arch_resolve(path, &from_file, &err), HEAT_OK);
    assert_string_equal(from_file.origin, path);
    assert_int_equal(arch_resolve(arch_preset_name(i), &embedded, &err), HEAT_OK);
    snprintf(embedded.origin, sizeof embedded.origin, "%s", path);
    assert_memory_equal(&from_file, &embedded, sizeof from_file);
  }
}

static void unknown_presets_list_the_known(void **state) {
  (void)state;
  arch a;
  heat_error err;
  assert_int_equal(arch_resolve("tpu-64", &a, &err), HEAT_ENOTFOUND);
  assert_string_equal(err.where, "");
  assert_non_null(strstr(err.msg, "unknown accelerator 'tpu-64'; known presets: simba-l, "
                                  "tpu-32, edge-16, eyeriss-like, cloud-128"));
  assert_int_equal(arch_resolve("missing/dir/x.cfg", &a, &err), HEAT_EIO);
  assert_string_equal(err.where, "missing/dir/x.cfg");
  assert_non_null(strstr(err.msg, "cannot open"));
  assert_int_equal(arch_load_file("nope.cfg", &a, &err), HEAT_EIO);
}

static void syntax_and_wrapping_integers(void **state) {
  (void)state;
  expect_error("clock_ghz = 1.0;", "clock_ghz = ;", HEAT_EINVAL, "t.cfg:3", "syntax error");
  expect_error("size_kib = 16;", "size_kib = 4294967296;", HEAT_ERANGE, "t.cfg:15",
               "integer 4294967296 does not fit in 32 bits");
  /* With the L suffix it is read as 64-bit and then range-checked (1 TiB at most). */
  expect_error("size_kib = 16;", "size_kib = 4294967296L;", HEAT_ERANGE, "t.cfg:15",
               "'buffers[1].size_kib' = 4294967296 is out of range; allowed 1..1073741824");
}

static void missing_unknown_and_mistyped_keys(void **state) {
  (void)state;
  expect_error("energy_source = \"test\";\n", "", HEAT_EINVAL, "t.cfg",
               "missing key 'energy_source' (a string)");
  expect_error("energy_source = \"test\";", "energy_source = \"\";", HEAT_EINVAL, "t.cfg:2",
               "'energy_source' must be a non-empty string");
  expect_error("mac_pj = 0.2; ", "", HEAT_EINVAL, "t.cfg:19", "missing key 'energy.mac_pj'");
  expect_error("cols = 8;", "cols = 8; colour = 1;", HEAT_EINVAL, "t.cfg:8",
               "unknown key 'array.colour'; allowed here: kind, rows, cols, lanes, width, "
               "dataflows, weights_double_buffered");
  expect_error("clock_ghz = 1.0;", "clock_ghz = 1.0; clock_mhz = 1;", HEAT_EINVAL, "t.cfg:3",
               "unknown key 'clock_mhz'");
  expect_error("holds = [\"weight\"];", "holds = [\"weight\"]; banked = true;", HEAT_EINVAL,
               "t.cfg:16", "unknown key 'buffers[1].banked'");
  expect_error("rsqrt = 9;", "rsqrt = 9; log = 2;", HEAT_EINVAL, "t.cfg:11",
               "unknown key 'simd.cycles.log'; allowed here: add, mul, max, exp, div, rsqrt");
  expect_error("rows = 4;", "rows = \"4\";", HEAT_EINVAL, "t.cfg:7",
               "'array.rows' must be an integer");
  expect_error("rows = 4;", "rows = 4.0;", HEAT_EINVAL, "t.cfg:7", "'array.rows' must be an integer");
  expect_error("gbps = 16.0;", "gbps = \"fast\";", HEAT_EINVAL, "t.cfg:18",
               "'dram.gbps' must be a number");
  expect_error("double_buffered = true;", "double_buffered = 1;", HEAT_EINVAL, "t.cfg:14",
               "'buffers[0].double_buffered' must be true or false");
  expect_error("dram = { gbps = 16.0; latency_ns = 100.0; pj_per_byte = 64.0;"
               " phy_leakage_mw_per_gbps = 2.0; phy_area_mm2_per_gbps = 0.05; };",
               "dram = 5;", HEAT_EINVAL, "t.cfg:18", "'dram' must be a group");
  /* Every static figure is required: a missing one would price leakage at zero silently. */
  expect_error(" pe_area_um2 = 1000.0;", "", HEAT_EINVAL, "t.cfg:5",
               "missing key 'array.pe_area_um2'");
  expect_error(" lane_leakage_uw = 20.0;", "", HEAT_EINVAL, "t.cfg:11",
               "missing key 'simd.lane_leakage_uw'");
  expect_error(" area_um2_per_kib = 9000.0;", "", HEAT_EINVAL, "t.cfg:15",
               "missing key 'buffers[1].area_um2_per_kib'");
  expect_error(" phy_area_mm2_per_gbps = 0.05;", "", HEAT_EINVAL, "t.cfg:18",
               "missing key 'dram.phy_area_mm2_per_gbps'");
  char *t1 = edit(base, "buffers = (\n", "buffers = 3; /*\n");
  char *t2 = edit(t1, "\n);\ndram", "*/\ndram");
  expect_text_error(t2, HEAT_EINVAL, "t.cfg:12", "'buffers' must be a list");
  free(t2);
  free(t1);
  expect_error("name = \"t\";", "name = \"my arch\";", HEAT_EINVAL, "t.cfg:1",
               "'name' = \"my arch\" has the character ' '; allowed: letters, digits");
}

static void zero_negative_and_inconsistent_values(void **state) {
  (void)state;
  expect_error("rows = 4;", "rows = 0;", HEAT_ERANGE, "t.cfg:7",
               "'array.rows' = 0 is out of range; allowed 1..65536");
  expect_error("clock_ghz = 1.0;", "clock_ghz = -1.0;", HEAT_ERANGE, "t.cfg:3",
               "'clock_ghz' = -1 is out of range; allowed 0.001..100");
  expect_error("gbps = 16.0;", "gbps = 0;", HEAT_ERANGE, "t.cfg:18",
               "'dram.gbps' = 0 is out of range; allowed 0.001..1e+09");
  /* Rates so small that cycle counts would overflow to inf are refused (re-audit). */
  expect_error("gbps = 16.0;", "gbps = 1e-30;", HEAT_ERANGE, "t.cfg:18",
               "'dram.gbps' = 1e-30 is out of range; allowed 0.001..1e+09");
  expect_error("size_kib = 64;", "size_kib = 0;", HEAT_ERANGE, "t.cfg:13",
               "'buffers[0].size_kib' = 0 is out of range");
  expect_error("read_pj = 2.0;", "read_pj = -2.0;", HEAT_ERANGE, "t.cfg:16",
               "'buffers[1].read_pj' = -2 is out of range (allowed: > 0 up to");
  expect_error("lanes = 4;", "lanes = -4;", HEAT_ERANGE, "t.cfg:11", "'simd.lanes' = -4");
  expect_error("exp = 4;", "exp = 0;", HEAT_ERANGE, "t.cfg:11", "'simd.cycles.exp' = 0");
  expect_error("latency_ns = 100.0;", "latency_ns = -1.0;", HEAT_ERANGE, "t.cfg:18",
               "'dram.latency_ns' = -1 is out of range; allowed 0..");
  /* The one chip-wide leakage figure of earlier versions names its per-component successors. */
  expect_error("reg_pj = 0.1;", "reg_pj = 0.1; leakage_mw = 5.0;", HEAT_EINVAL, "t.cfg:19",
               "'energy.leakage_mw' is no longer read: leakage and area are given per component");
  expect_error("pe_leakage_uw = 10.0;", "pe_leakage_uw = -1.0;", HEAT_ERANGE, "t.cfg:9",
               "'array.pe_leakage_uw' = -1 is out of range; allowed 0..");
  expect_error("pe_area_um2 = 1000.0;", "pe_area_um2 = 0;", HEAT_ERANGE, "t.cfg:9",
               "'array.pe_area_um2' = 0 is out of range (allowed: > 0 up to");
  expect_error("lane_area_um2 = 2000.0;", "lane_area_um2 = \"big\";", HEAT_EINVAL, "t.cfg:11",
               "'simd.lane_area_um2' must be a number");
  expect_error("leakage_uw_per_kib = 4.0;", "leakage_uw_per_kib = -4.0;", HEAT_ERANGE,
               "t.cfg:16", "'buffers[1].leakage_uw_per_kib' = -4 is out of range");
  expect_error("phy_leakage_mw_per_gbps = 2.0;", "phy_leakage_mw_per_gbps = 2e9;", HEAT_ERANGE,
               "t.cfg:18", "'dram.phy_leakage_mw_per_gbps' = 2e+09 is out of range");
  expect_error("accum_bits = 32;", "accum_bits = 4;", HEAT_EINVAL, "t.cfg:4",
               "'precision.accum_bits' = 4 is narrower than the operands");
  expect_error("size_kib = 16; banks = 1; bytes_per_cycle = 16.0; access_bytes = 8;",
               "size_kib = 1; banks = 1; bytes_per_cycle = 16.0; access_bytes = 2048;",
               HEAT_EINVAL, "t.cfg:15",
               "'buffers[1].access_bytes' = 2048 is larger than the buffer (1024 bytes)");
}

static void array_kinds_and_dataflows(void **state) {
  (void)state;
  expect_error("kind = \"systolic\";", "kind = \"mesh\";", HEAT_EINVAL, "t.cfg:6",
               "'array.kind' = \"mesh\" is not an array kind; allowed: \"systolic\"");
  expect_error("kind = \"systolic\";", "kind = \"vector\";", HEAT_EINVAL, "t.cfg:7",
               "'array.rows' does not apply to a vector array, which takes lanes and width");
  expect_error("cols = 8;", "cols = 8;\n  width = 8;", HEAT_EINVAL, "t.cfg:9",
               "'array.width' does not apply to a systolic array, which takes rows and cols");
  expect_error("[\"os\", \"ws\"]", "[\"os\", \"xs\"]", HEAT_EINVAL, "t.cfg:9",
               "'array.dataflows' has an unknown dataflow 'xs'; allowed: os");
  expect_error("[\"os\", \"ws\"]", "[\"ws\", \"ws\"]", HEAT_EINVAL, "t.cfg:9",
               "'array.dataflows' lists \"ws\" twice");
  expect_error("[\"os\", \"ws\"]", "[]", HEAT_EINVAL, "t.cfg:9",
               "'array.dataflows' is empty; list at least one of \"os\", \"ws\", \"is\"");
  expect_error("[\"os\", \"ws\"]", "[1, 2]", HEAT_EINVAL, "t.cfg:9",
               "'array.dataflows' must hold strings");
  expect_error("  dataflows = [\"os\", \"ws\"]; pe_leakage_uw = 10.0; pe_area_um2 = 1000.0;\n", "", HEAT_EINVAL, "t.cfg:5",
               "missing key 'array.dataflows'");
  arch_dataflow df;
  heat_error err;
  for (int i = 0; i < ARCH_DATAFLOW_COUNT; i++) {
    assert_int_equal(arch_dataflow_parse(arch_dataflow_name((arch_dataflow)i), &df, &err), 0);
    assert_int_equal(df, i);
  }
  assert_int_equal(arch_dataflow_parse("OS", &df, &err), HEAT_EINVAL);
  assert_string_equal(arch_dataflow_name(ARCH_DATAFLOW_COUNT), "?");
}

static void buffers_and_operands(void **state) {
  (void)state;
  expect_error("holds = [\"weight\"]; leakage_uw_per_kib = 4.0; area_um2_per_kib = 9000.0;", "holds = []; leakage_uw_per_kib = 10.0; area_um2_per_kib = 9000.0;", HEAT_EINVAL, "t.cfg:16",
               "'buffers[1].holds' is empty; list at least one of \"input\", \"weight\", "
               "\"output\", \"any\"");
  expect_error("holds = [\"weight\"]; leakage_uw_per_kib = 4.0; area_um2_per_kib = 9000.0;", "holds = [\"bias\"]; leakage_uw_per_kib = 10.0; area_um2_per_kib = 9000.0;", HEAT_EINVAL, "t.cfg:16",
               "'buffers[1].holds' has the unknown operand \"bias\"");
  expect_error("holds = [\"weight\"]; leakage_uw_per_kib = 4.0; area_um2_per_kib = 9000.0;", "holds = [\"weight\", \"weight\"]; leakage_uw_per_kib = 10.0; area_um2_per_kib = 9000.0;", HEAT_EINVAL,
               "t.cfg:16", "'buffers[1].holds' lists \"weight\" twice (or beside \"any\")");
  expect_error("holds = [\"weight\"]; leakage_uw_per_kib = 4.0; area_um2_per_kib = 9000.0;", "holds = [\"any\", \"input\"]; leakage_uw_per_kib = 10.0; area_um2_per_kib = 9000.0;", HEAT_EINVAL, "t.cfg:16",
               "'buffers[1].holds' lists \"input\" twice (or beside \"any\")");
  expect_error("holds = [\"weight\"]; leakage_uw_per_kib = 4.0; area_um2_per_kib = 9000.0;", "holds = [\"input\"]; leakage_uw_per_kib = 10.0; area_um2_per_kib = 9000.0;", HEAT_EINVAL, "t.cfg:12",
               "'buffers' has no buffer that may hold weight operands; add \"weight\"");
  expect_error("[\"input\", \"output\"]", "[\"input\"]", HEAT_EINVAL, "t.cfg:12",
               "no buffer that may hold output operands");
  expect_error("name = \"w\";", "name = \"a\";", HEAT_EINVAL, "t.cfg:15",
               "'buffers[1].name' = \"a\" is already the name of buffers[0]");
  expect_error("buffers = (\n", "buffers = (\n  7,\n", HEAT_EINVAL, "t.cfg:13",
               "'buffers[0]' must be a group");
  /* The entries commented out: an empty list. */
  char *t1 = edit(base, "buffers = (\n", "buffers = ( /*\n");
  char *t2 = edit(t1, "\n);\ndram", "*/\n);\ndram");
  expect_text_error(t2, HEAT_EINVAL, "t.cfg:12", "'buffers' is empty");
  free(t2);
  free(t1);
}

static void too_many_buffers(void **state) {
  (void)state;
  char extra[2048] = "";
  for (int i = 0; i < ARCH_MAX_BUFFERS - 1; i++) {
    char one[256];
    snprintf(one, sizeof one,
             "  { name = \"x%d\"; size_kib = 1; banks = 1; bytes_per_cycle = 8.0; "
             "access_bytes = 8; read_pj = 1.0; write_pj = 1.0; holds = [\"any\"];"
             " leakage_uw_per_kib = 1.0; area_um2_per_kib = 9000.0; },\n",
             i);
    strcat(extra, one);
  }
  /* 7 + 2 = 9 buffers; the 9th is base's "w", pushed from line 15 to 15 + 7. */
  char *to = malloc(strlen(extra) + 64);
  sprintf(to, "buffers = (\n%s", extra);
  expect_error("buffers = (\n", to, HEAT_ERANGE, "t.cfg:22",
               "'buffers[8]' is one buffer too many; at most 8 are allowed");
  free(to);
}

static void print_and_summary_use_human_units(void **state) {
  (void)state;
  arch a;
  heat_error err;
  assert_int_equal(arch_resolve("tpu-32", &a, &err), HEAT_OK);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  arch_print(f, &a);
  fclose(f);
  assert_non_null(strstr(buf, "systolic: 32 rows x 32 cols PEs"));
  assert_non_null(strstr(buf, "1024 MACs/cycle, 1.434 TOPS"));
  assert_non_null(strstr(buf, "dataflows    os ws is"));
  assert_non_null(strstr(buf, "unified"));
  assert_non_null(strstr(buf, "DRAM: 25.6 GB/s (36.57 B/cycle), latency 100 ns (70 cycles)"));
  assert_non_null(strstr(buf, "source                       ZigZag tpu_like"));
  assert_non_null(strstr(buf, "unified read / write         416.16 / 378.4 pJ per 256 B access"));
  free(buf);
  char line[256];
  arch_summary(&a, line, sizeof line);
  assert_string_equal(line, "systolic 32x32, 1024 MACs/cycle, 1.43 TOPS at 0.7 GHz, 2080 KiB "
                            "SRAM, 25.6 GB/s DRAM");
}

/* Leakage and area per component scale linearly with PEs, lanes, KiB and GB/s (issue 8 §6). */
static void static_power_and_area_scale_linearly(void **state) {
  (void)state;
  arch a;
  heat_error err;
  assert_int_equal(arch_load_string(base, "t.cfg", &a, &err), HEAT_OK);
  arch_component c[ARCH_MAX_COMPONENTS];
  size_t n = arch_components(&a, c);
  assert_int_equal(n, 5);
  const char *names[] = {"array", "simd", "a", "w", "dram_phy"};
  double sum_mw = 0, sum_mm2 = 0;
  for (size_t i = 0; i < n; i++) {
    assert_string_equal(c[i].name, names[i]);
    sum_mw += c[i].leakage_mw;
    sum_mm2 += c[i].area_mm2;
  }
  assert_close(sum_mw, a.leakage_mw, 1e-12);
  assert_close(sum_mm2, a.area_mm2, 1e-12);
  assert_close(c[0].leakage_mw, 32 * 10.0e-3, 1e-12);
  /* 4x8 -> 16x32: 16x the PEs; the 4 SIMD lanes per 8 columns become 16 per 32. */
  arch big = a;
  arch_set_array(&big, 16, 32);
  arch_component cb[ARCH_MAX_COMPONENTS];
  arch_components(&big, cb);
  assert_int_equal(big.array.rows * 100 + big.array.cols, 1632);
  assert_int_equal(big.simd.lanes, 16);
  assert_close(cb[0].leakage_mw, 16 * c[0].leakage_mw, 1e-12);
  assert_close(cb[0].area_mm2, 16 * c[0].area_mm2, 1e-12);
  assert_close(cb[1].leakage_mw, 4 * c[1].leakage_mw, 1e-12);
  assert_close(cb[1].area_mm2, 4 * c[1].area_mm2, 1e-12);
  assert_close(big.leakage_mw - a.leakage_mw,
                     15 * c[0].leakage_mw + 3 * c[1].leakage_mw, 1e-9);
  /* Rows alone: the SIMD unit keeps its lanes (it is matched to the output columns). */
  arch tall = a;
  arch_set_array(&tall, 8, 8);
  assert_int_equal(tall.simd.lanes, 4);
  /* A 1x1 array keeps at least one lane. */
  arch one = a;
  arch_set_array(&one, 1, 1);
  assert_int_equal(one.simd.lanes, 1);
  assert_close(one.area_mm2, a.area_mm2 - 31 * 1000e-6 - 3 * 2000e-6, 1e-9);
  /* A buffer 4x larger: 4x its leakage and area, the rest unchanged. */
  arch wide = a;
  arch_set_buffer_bytes(&wide, 0, 4 * a.buffers[0].size_bytes);
  arch_component cw[ARCH_MAX_COMPONENTS];
  arch_components(&wide, cw);
  assert_close(cw[2].leakage_mw, 4 * c[2].leakage_mw, 1e-12);
  assert_close(cw[2].area_mm2, 4 * c[2].area_mm2, 1e-12);
  assert_close(wide.leakage_mw - a.leakage_mw, 3 * c[2].leakage_mw, 1e-12);
  /* Never below one access; an out-of-range index changes nothing. */
  arch_set_buffer_bytes(&wide, 1, 0);
  assert_int_equal(wide.buffers[1].size_bytes, 8);
  arch same = a;
  arch_set_buffer_bytes(&same, 7, 1);
  assert_close(same.leakage_mw, a.leakage_mw, 0);
  /* The DRAM interface follows the bandwidth. */
  arch fast = a;
  fast.dram.gbps *= 2;
  arch_update_static(&fast);
  assert_close(fast.leakage_mw - a.leakage_mw, 16 * 2.0, 1e-12);
}

/* heat arch show prints the area and leakage breakdown; every preset has one with every share. */
static void presets_print_area_and_leakage(void **state) {
  (void)state;
  for (size_t i = 0; i < arch_preset_count(); i++) {
    arch a;
    heat_error err;
    assert_int_equal(arch_resolve(arch_preset_name(i), &a, &err), HEAT_OK);
    assert_true(a.leakage_mw > 0 && a.area_mm2 > 0);
    assert_true(a.array.pe_leakage_uw > 0 && a.simd.lane_area_um2 > 0);
    for (size_t b = 0; b < a.n_buffers; b++)
      assert_true(a.buffers[b].leakage_uw_per_kib > 0 && a.buffers[b].area_um2_per_kib > 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    arch_print(f, &a);
    fclose(f);
    assert_non_null(strstr(buf, "area and leakage (charged over the runtime):"));
    assert_non_null(strstr(buf, "  array "));
    assert_non_null(strstr(buf, "  dram_phy "));
    assert_non_null(strstr(buf, "  total "));
    free(buf);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(base_loads_with_every_field),
      cmocka_unit_test(vector_arrays_and_any_holds),
      cmocka_unit_test(presets_load_with_their_figures),
      cmocka_unit_test(presets_resolve_from_files_too),
      cmocka_unit_test(unknown_presets_list_the_known),
      cmocka_unit_test(syntax_and_wrapping_integers),
      cmocka_unit_test(missing_unknown_and_mistyped_keys),
      cmocka_unit_test(zero_negative_and_inconsistent_values),
      cmocka_unit_test(array_kinds_and_dataflows),
      cmocka_unit_test(buffers_and_operands),
      cmocka_unit_test(too_many_buffers),
      cmocka_unit_test(print_and_summary_use_human_units),
      cmocka_unit_test(static_power_and_area_scale_linearly),
      cmocka_unit_test(presets_print_area_and_leakage),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
