/* SCALE-Sim compatibility (sim/scalesim.h): its shipped inputs read as they are, every number of
 * its three reports reproduced for every layer SCALE-Sim itself was run on
 * (../oracles/scalesim_reports.csv, made by ../oracles/scalesim_reports.py), the reader's rules
 * (configparser's and SCALE-Sim's topology loader's), and each kind of bad input.
 * SCALESIM_TEST_BUDGET: the most demand elements a golden layer may replay (the sanitizer build
 * sets a smaller budget; larger layers then check only the fold-model columns). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mapper/fold.h"
#include "sim/scalesim.h"

#ifndef SCALESIM_TEST_BUDGET
#define SCALESIM_TEST_BUDGET 5e8
#endif
static double replay_budget = SCALESIM_TEST_BUDGET;

/* The shipped pairs live in scalesim-inputs/, heat's own small ones in scalesim-extra/. */
static void load_pair(const char *cfg_name, const char *topo_name, scalesim_config *cfg,
                      scalesim_topology *topo) {
  char path[256];
  heat_error err;
  const char *dir = "scalesim-inputs";
  snprintf(path, sizeof path, "%s/%s", dir, cfg_name);
  FILE *probe = fopen(path, "r");
  if (probe) fclose(probe);
  else dir = "scalesim-extra";
  snprintf(path, sizeof path, "%s/%s", dir, cfg_name);
  int rc = scalesim_config_load(path, cfg, &err);
  if (rc) fprintf(stderr, "%s: %s\n", err.where, err.msg);
  assert_int_equal(rc, HEAT_OK);
  snprintf(path, sizeof path, "%s/%s", dir, topo_name);
  rc = scalesim_topology_load(path, topo, &err);
  if (rc) fprintf(stderr, "%s: %s\n", err.where, err.msg);
  assert_int_equal(rc, HEAT_OK);
}

/* The 29 report values of a result under SCALE-Sim's column names, as SCALE-Sim prints them. */
static const char *const columns[] = {
    "Total Cycles", "Stall Cycles", "Overall Util %", "Mapping Efficiency %", "Compute Util %",
    "Avg IFMAP SRAM BW", "Avg FILTER SRAM BW", "Avg OFMAP SRAM BW", "Avg IFMAP DRAM BW",
    "Avg FILTER DRAM BW", "Avg OFMAP DRAM BW",
    "SRAM IFMAP Start Cycle", "SRAM IFMAP Stop Cycle", "SRAM IFMAP Reads",
    "SRAM Filter Start Cycle", "SRAM Filter Stop Cycle", "SRAM Filter Reads",
    "SRAM OFMAP Start Cycle", "SRAM OFMAP Stop Cycle", "SRAM OFMAP Writes",
    "DRAM IFMAP Start Cycle", "DRAM IFMAP Stop Cycle", "DRAM IFMAP Reads",
    "DRAM Filter Start Cycle", "DRAM Filter Stop Cycle", "DRAM Filter Reads",
    "DRAM OFMAP Start Cycle", "DRAM OFMAP Stop Cycle", "DRAM OFMAP Writes"};
#define NCOL (sizeof columns / sizeof columns[0])

static void result_strings(const scalesim_result *r, char out[NCOL][40]) {
  size_t c = 0;
  snprintf(out[c++], 40, "%lld", (long long)r->total_cycles);
  snprintf(out[c++], 40, "%lld", (long long)r->stall_cycles);
  scalesim_format_float(r->overall_util_pct, out[c++], 40);
  scalesim_format_float(r->mapping_eff_pct, out[c++], 40);
  scalesim_format_float(r->compute_util_pct, out[c++], 40);
  for (int op = 0; op < 3; op++) scalesim_format_float(r->sram_bw[op], out[c++], 40);
  for (int op = 0; op < 3; op++) scalesim_format_float(r->dram_bw[op], out[c++], 40);
  for (int op = 0; op < 3; op++) {
    snprintf(out[c++], 40, "%lld.0", (long long)r->sram_start[op]);
    snprintf(out[c++], 40, "%lld.0", (long long)r->sram_stop[op]);
    snprintf(out[c++], 40, "%lld", (long long)r->sram_count[op]);
  }
  for (int op = 0; op < 3; op++) {
    snprintf(out[c++], 40, "%lld.0", (long long)r->dram_start[op]);
    snprintf(out[c++], 40, "%lld.0", (long long)r->dram_stop[op]);
    snprintf(out[c++], 40, "%lld", (long long)r->dram_count[op]);
  }
}

static int split(char *line, char *f[], int max) {
  int n = 0;
  line[strcspn(line, "\r\n")] = '\0';
  for (char *s = line; n < max;) {
    f[n++] = s;
    char *c = strchr(s, ',');
    if (!c) break;
    *c = '\0';
    s = c + 1;
  }
  return n;
}

/* Every golden row: the fold-model columns always, the replayed ones within the budget. */
static void goldens_match(void **state) {
  (void)state;
  FILE *f = fopen("../oracles/scalesim_reports.csv", "r");
  assert_non_null(f);
  char head[4096], line[4096];
  char *h[64], *v[64];
  assert_non_null(fgets(head, sizeof head, f));
  int nh = split(head, h, 64);
  int where[NCOL];
  for (size_t c = 0; c < NCOL; c++) {
    where[c] = -1;
    for (int i = 0; i < nh; i++)
      if (!strcmp(h[i], columns[c])) where[c] = i;
    assert_true(where[c] >= 0);
  }
  int rows = 0, replayed = 0;
  while (fgets(line, sizeof line, f)) {
    int nv = split(line, v, 64);
    assert_int_equal(nv, nh);
    scalesim_config cfg;
    scalesim_topology topo;
    load_pair(v[0], v[1], &cfg, &topo);
    int lid = atoi(v[2]);
    assert_true((size_t)lid < topo.n);
    const scalesim_layer *L = &topo.layers[lid];
    assert_string_equal(L->name, v[3]);
    scalesim_result r;
    heat_error err;
    int rc = scalesim_run_layer(&cfg, L, (int64_t)replay_budget, NULL, &r, &err);
    if (rc == HEAT_OK) {
      char got[NCOL][40];
      result_strings(&r, got);
      for (size_t c = 0; c < NCOL; c++) {
        if (strcmp(got[c], v[where[c]]))
          fprintf(stderr, "%s x %s layer %d: %s: heat %s, SCALE-Sim %s\n", v[0], v[1], lid,
                  columns[c], got[c], v[where[c]]);
        assert_string_equal(got[c], v[where[c]]);
      }
      replayed++;
    } else {
      /* Over the budget: SCALE-Sim's cycles and SRAM counts from the fold model alone (its
       * cycles less its stalls, which only the replay knows, in USER mode). */
      arch_array arr = {.kind = ARCH_ARRAY_SYSTOLIC, .rows = (int)cfg.rows,
                        .cols = (int)cfg.cols, .dataflows = 1u << cfg.dataflow};
      fold_stats fs;
      fold_eval(&arr, cfg.dataflow, FOLD_TIMING_SCALESIM, 1, L->m, L->k, L->n, &fs);
      long long stall = atoll(v[where[1]]);
      if (cfg.user_bandwidth) assert_in_range(fs.cycles - 1, atoll(v[where[0]]) - stall,
                                              atoll(v[where[0]]));
      else assert_int_equal(fs.cycles - 1 + stall, atoll(v[where[0]]));
      assert_int_equal(fs.input_reads, atoll(v[where[13]]));
      assert_int_equal(fs.weight_reads, atoll(v[where[16]]));
      assert_int_equal(fs.output_writes, atoll(v[where[19]]));
    }
    scalesim_topology_free(&topo);
    rows++;
  }
  fclose(f);
  fprintf(stderr, "%d golden layers, %d replayed in full\n", rows, replayed);
  assert_true(rows >= 174);
}

/* Python's repr() of a float, which SCALE-Sim's reports print. */
static void floats_print_as_python(void **state) {
  (void)state;
  struct { double v; const char *s; } cases[] = {
      {32.0, "32.0"}, {1.0, "1.0"}, {0.5, "0.5"}, {78.125, "78.125"},
      {75.42250570324504, "75.42250570324504"}, {0.1, "0.1"}, {1e-05, "1e-05"},
      {0.0001, "0.0001"}, {1e16, "1e+16"}, {1234567890123456.0, "1234567890123456.0"},
      {-983.0, "-983.0"}, {2.5e-07, "2.5e-07"}, {100.0, "100.0"}, {0.0, "0.0"},
      {9.570701932858595, "9.570701932858595"}, {1.5e300, "1.5e+300"}};
  char buf[64];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    scalesim_format_float(cases[i].v, buf, sizeof buf);
    assert_string_equal(buf, cases[i].s);
  }
}

static void shipped_inputs_read(void **state) {
  (void)state;
  scalesim_config cfg;
  scalesim_topology t;
  load_pair("eyeriss.cfg", "alexnet_part.csv", &cfg, &t);
  assert_string_equal(cfg.run_name, "eyeriss");
  assert_int_equal(cfg.rows, 12);
  assert_int_equal(cfg.cols, 14);
  assert_int_equal(cfg.ifmap_kib, 36);
  assert_int_equal(cfg.filter_offset, 10000000);
  assert_int_equal(cfg.dataflow, ARCH_DATAFLOW_WS);
  assert_int_equal(cfg.bandwidth, 10);
  assert_false(cfg.user_bandwidth);
  assert_false(t.gemm);
  assert_int_equal(t.n, 1); /* no final newline */
  assert_string_equal(t.layers[0].name, "Conv1");
  assert_int_equal(t.layers[0].m, 55 * 55); /* ceil((224 - 11 + 4) / 4) = 55 */
  assert_int_equal(t.layers[0].k, 11 * 11 * 3);
  assert_int_equal(t.layers[0].n, 96);
  scalesim_topology_free(&t);
  load_pair("scale.cfg", "gpt2.csv", &cfg, &t); /* "64 " values, CRLF lines */
  assert_int_equal(cfg.ofmap_kib, 64);
  assert_int_equal(cfg.dataflow, ARCH_DATAFLOW_OS);
  assert_true(t.gemm);
  assert_int_equal(t.n, 6);
  assert_string_equal(t.layers[5].name, "PW-FF-L2");
  assert_int_equal(t.layers[2].m, 1024);
  assert_int_equal(t.layers[2].n, 4800);
  assert_int_equal(t.layers[2].k, 1600);
  assert_int_equal(t.layers[2].line, 4);
  scalesim_topology_free(&t);
}

static int topo(const char *text, scalesim_topology *t, heat_error *err) {
  return scalesim_topology_parse(text, strlen(text), "t.csv", t, err);
}

static int conf(const char *text, scalesim_config *c, heat_error *err) {
  return scalesim_config_parse(text, strlen(text), "c.cfg", c, err);
}

static const char good_cfg[] =
    "[general]\nrun_name = r\n[architecture_presets]\nArrayHeight: 8\nArrayWidth: 4\n"
    "IfmapSramSzkB: 1\nFilterSramSzkB: 1\nOfmapSramSzkB: 1\nIfmapOffset: 0\n"
    "FilterOffset: 100\nOfmapOffset: 200\nDataflow: is\nBandwidth: 10\n"
    "[run_presets]\nInterfaceBandwidth: CALC\n";

static void reader_rules(void **state) {
  (void)state;
  scalesim_topology t;
  scalesim_config c;
  heat_error err;
  /* Rows with or without the trailing comma, \r line ends, blank lines, a 9-field conv header. */
  assert_int_equal(topo("L,M,N,K,\rA, 2, 3, 4\r\rB,5,6,7,", &t, &err), HEAT_OK);
  assert_int_equal(t.n, 2);
  assert_int_equal(t.layers[1].line, 4);
  assert_int_equal(t.layers[1].k, 7);
  scalesim_topology_free(&t);
  assert_int_equal(topo("n,ih,iw,fh,fw,c,f,sh,sw,\nx,10,9,3,3,2,5,2,3,\n", &t, &err), HEAT_OK);
  assert_int_equal(t.layers[0].ofmap_h, 5); /* ceil((10 - 3 + 2) / 2) */
  assert_int_equal(t.layers[0].ofmap_w, 3); /* ceil((9 - 3 + 3) / 3) */
  assert_int_equal(t.layers[0].k, 18);
  scalesim_topology_free(&t);
  /* A depthwise layer ("DP" in its name) runs per channel, as in SCALE-Sim. */
  assert_int_equal(topo("n,ih,iw,fh,fw,c,f,s,\nDP1,8,8,3,3,3,1,1,\n", &t, &err), HEAT_OK);
  assert_int_equal(t.n, 3);
  assert_string_equal(t.layers[2].name, "DP1Channel_2");
  assert_int_equal(t.layers[2].k, 9);
  scalesim_topology_free(&t);
  /* INI: '=' or ':', keys in any case, comments, unknown keys and sections ignored. */
  assert_int_equal(conf(good_cfg, &c, &err), HEAT_OK);
  assert_int_equal(c.dataflow, ARCH_DATAFLOW_IS);
  assert_int_equal(conf("# c\n[general]\nRUN_NAME=x\n[other]\nfoo=bar\n[architecture_presets]\n"
                        "arrayheight=2\narraywidth=3\nifmapsramszkb=1\nfiltersramszkb=1\n"
                        "ofmapsramszkb=1\nifmapoffset=0\nfilteroffset=0\nofmapoffset=0\n"
                        "dataflow=WS\nMemoryBanks: 1\n[run_presets]\n; c\n"
                        "InterfaceBandwidth=USER\nx=1\n[architecture_presets2]\n", &c, &err),
                   HEAT_EINVAL); /* USER needs a Bandwidth */
  assert_string_equal(err.where, "c.cfg:6");
  /* Binary garbage: a NUL byte is named by its line, in both readers. */
  static const char nul_text[] = "[general]\nrun_name = a\0b\n";
  assert_int_equal(scalesim_config_parse(nul_text, sizeof nul_text - 1, "c.cfg", &c, &err),
                   HEAT_EINVAL);
  assert_string_equal(err.where, "c.cfg:2");
  assert_non_null(strstr(err.msg, "NUL"));
  static const char nul_topo[] = "L,M,N,K,\nA,1,2,3,\n\0\n";
  assert_int_equal(scalesim_topology_parse(nul_topo, sizeof nul_topo - 1, "t.csv", &t, &err),
                   HEAT_EINVAL);
  assert_string_equal(err.where, "t.csv:3");
}

/* USER mode: the Bandwidth SCALE-Sim reads (the first of its list, every entry an integer),
 * refused with file:line and the field when missing, garbage, zero or past 2^31 - 1. */
static void user_bandwidth_reader(void **state) {
  (void)state;
  scalesim_config c;
  heat_error err;
  char base[1024], text[1200];
  snprintf(base, sizeof base, "%s", good_cfg);
  memcpy(strstr(base, "CALC"), "USER", 4);
  assert_int_equal(conf(base, &c, &err), HEAT_OK);
  assert_true(c.user_bandwidth);
  assert_int_equal(c.bandwidth, 10);
  struct { const char *bw; int code; const char *msg; } cases[] = {
      {"Bandwidth: 7, 3,3", HEAT_OK, NULL},
      {"Bandwidth: 10,x", HEAT_EINVAL, "field 'Bandwidth': 'x' is not an integer"},
      {"Bandwidth: 10,", HEAT_EINVAL, "field 'Bandwidth': empty; expected an integer"},
      {"Bandwidth:", HEAT_EINVAL, "field 'Bandwidth': empty; expected an integer"},
      {"Bandwidth: ten", HEAT_EINVAL, "field 'Bandwidth': 'ten' is not an integer"},
      {"Bandwidth: 0", HEAT_EINVAL, "field 'Bandwidth': 0; must be at least 1"},
      {"Bandwidth: -4", HEAT_EINVAL, "field 'Bandwidth': -4; must be at least 1"},
      {"Bandwidth: 2147483648", HEAT_ERANGE, "field 'Bandwidth': 2147483648 is past"},
      {"Bandwidth: 10,99999999999999999999", HEAT_ERANGE, "is past 2147483647"},
      {"", HEAT_EINVAL, "missing field 'Bandwidth' (InterfaceBandwidth is USER)"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *at = strstr(base, "Bandwidth: 10\n");
    snprintf(text, sizeof text, "%.*s%s%s", (int)(at - base), base, cases[i].bw,
             at + strlen("Bandwidth: 10"));
    int rc = conf(text, &c, &err);
    if (rc != cases[i].code) fprintf(stderr, "case '%s': %s\n", cases[i].bw, err.msg);
    assert_int_equal(rc, cases[i].code);
    if (!cases[i].msg) {
      assert_int_equal(c.bandwidth, 7);
      continue;
    }
    assert_non_null(strstr(err.msg, cases[i].msg));
    /* the Bandwidth line (13), or [architecture_presets] (3) when it is missing */
    assert_string_equal(err.where, cases[i].bw[0] ? "c.cfg:13" : "c.cfg:3");
  }
  /* CALC mode does not read the list past its first entry, as SCALE-Sim ignores it. */
  snprintf(text, sizeof text, "%s", good_cfg);
  char *at = strstr(text, "Bandwidth: 10\n");
  memcpy(at, "Bandwidth: 9,", 13);
  assert_int_equal(conf(text, &c, &err), HEAT_OK);
  assert_int_equal(c.bandwidth, 9);
}

/* USER mode models each read buffer's sets per address: a layer whose prefetch matrix or
 * address range is past 2^27 elements is refused by name before anything is allocated. */
static void user_prefetch_too_large(void **state) {
  (void)state;
  scalesim_config c;
  scalesim_topology t;
  heat_error err;
  char text[1024];
  snprintf(text, sizeof text, "%s", good_cfg);
  memcpy(strstr(text, "CALC"), "USER", 4);
  assert_int_equal(conf(text, &c, &err), HEAT_OK);
  assert_int_equal(topo("L,M,N,K,\nwide,16384,1,16384,\n", &t, &err), HEAT_OK);
  scalesim_result r;
  assert_int_equal(scalesim_run_layer(&c, &t.layers[0], 0, NULL, &r, &err), HEAT_EINVAL);
  assert_string_equal(err.where, "wide");
  assert_non_null(strstr(err.msg, "InterfaceBandwidth USER: the IFMAP prefetch matrix or address "
                                  "range holds 268435456 elements, more than the 134217728"));
  scalesim_topology_free(&t);
}

/* A layer too large to replay is refused before any allocation, naming the layer. */
static void huge_layer_refused(void **state) {
  (void)state;
  scalesim_config c;
  scalesim_topology t;
  heat_error err;
  assert_int_equal(conf(good_cfg, &c, &err), HEAT_OK);
  assert_int_equal(topo("L,M,N,K,\nbig,46340,2147483647,46340,\n", &t, &err), HEAT_OK);
  scalesim_result r;
  assert_int_equal(scalesim_run_layer(&c, &t.layers[0], 0, NULL, &r, &err), HEAT_EINVAL);
  assert_string_equal(err.where, "big");
  assert_non_null(strstr(err.msg, "demand stream"));
  scalesim_topology_free(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(floats_print_as_python), cmocka_unit_test(shipped_inputs_read),
      cmocka_unit_test(reader_rules),           cmocka_unit_test(user_bandwidth_reader),
      cmocka_unit_test(user_prefetch_too_large), cmocka_unit_test(huge_layer_refused),
      cmocka_unit_test(goldens_match),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
