/* SCALE-Sim's input files (sim/scalesim_input.c): a config, a line "%%", a topology (without
 * the separator the whole input is tried as both). A failure fills the error record and names the
 * file; an accepted config and topology hold only values in range; small accepted layers are run
 * (sim/scalesim_model.c) and their reports must be self-consistent with the fold model. */
#include "mapper/fold.h"
#include "sim/scalesim.h"
#include "tests/fuzz/fuzz.h"

/* Demand elements replayed per layer at most, and layers run per input: keeps every input fast
 * under the sanitizers. */
#define FUZZ_DEMAND 200000
#define FUZZ_LAYERS 4

static void check_config(const scalesim_config *c) {
  FUZZ_CHECK(c->rows >= 1 && c->rows <= SCALESIM_VALUE_MAX);
  FUZZ_CHECK(c->cols >= 1 && c->cols <= SCALESIM_VALUE_MAX);
  FUZZ_CHECK(c->ifmap_kib >= 1 && c->ifmap_kib <= SCALESIM_VALUE_MAX / 1024);
  FUZZ_CHECK(c->filter_kib >= 1 && c->filter_kib <= SCALESIM_VALUE_MAX / 1024);
  FUZZ_CHECK(c->ofmap_kib >= 1 && c->ofmap_kib <= SCALESIM_VALUE_MAX / 1024);
  FUZZ_CHECK(c->ifmap_offset >= 0 && c->filter_offset >= 0 && c->ofmap_offset >= 0);
  FUZZ_CHECK((unsigned)c->dataflow < ARCH_DATAFLOW_COUNT);
  FUZZ_CHECK(c->run_name[0] != '\0' && !strchr(c->run_name, '/'));
  FUZZ_CHECK(!c->user_bandwidth || c->bandwidth >= 1);
}

static void check_layer(const scalesim_layer *L) {
  FUZZ_CHECK(L->line >= 2);
  FUZZ_CHECK(L->m >= 1 && L->m <= SCALESIM_VALUE_MAX);
  FUZZ_CHECK(L->n >= 1 && L->n <= SCALESIM_VALUE_MAX);
  FUZZ_CHECK(L->k >= 1 && L->k <= SCALESIM_VALUE_MAX);
  FUZZ_CHECK(L->ofmap_h >= 1 && L->ofmap_w >= 1 && L->ofmap_h * L->ofmap_w == L->m);
  FUZZ_CHECK(L->filter_h * L->filter_w * L->channels == L->k);
  FUZZ_CHECK(L->filter_h <= L->ifmap_h && L->filter_w <= L->ifmap_w);
}

static void run_layer(const scalesim_config *c, const scalesim_layer *L) {
  scalesim_result r;
  heat_error err;
  int rc = scalesim_run_layer(c, L, FUZZ_DEMAND, NULL, &r, &err);
  if (rc) {
    FUZZ_CHECK_ERROR(rc, err);
    return;
  }
  arch_array arr = {.kind = ARCH_ARRAY_SYSTOLIC, .rows = (int)c->rows, .cols = (int)c->cols,
                    .dataflows = 1u << c->dataflow};
  fold_stats fs;
  fold_eval(&arr, c->dataflow, FOLD_TIMING_SCALESIM, 1, L->m, L->k, L->n, &fs);
  FUZZ_CHECK(r.stall_cycles >= 0);
  /* USER mode: a read stall on the last line counts as a stall without delaying the end */
  if (c->user_bandwidth)
    FUZZ_CHECK(r.total_cycles >= fs.cycles - 1 && r.total_cycles <= fs.cycles - 1 + r.stall_cycles);
  else
    FUZZ_CHECK(r.total_cycles == fs.cycles - 1 + r.stall_cycles);
  /* SCALE-Sim divides by its last cycle's index, one less than the cycles: on a 1 x 1 OS array
   * utilisation reads (T) / (T - 1) x 100%; a single-cycle layer divides by zero (inf). */
  FUZZ_CHECK(r.overall_util_pct > 0);
  FUZZ_CHECK(r.total_cycles == 0 || r.overall_util_pct <= 100.0 * (double)(r.total_cycles + 1) /
                                                                (double)r.total_cycles + 1e-9);
  FUZZ_CHECK(r.mapping_eff_pct > 0 && r.mapping_eff_pct <= 100);
  for (int op = 0; op < 3; op++) {
    FUZZ_CHECK(r.sram_count[op] > 0);
    FUZZ_CHECK(r.sram_start[op] <= r.sram_stop[op]);
    FUZZ_CHECK(r.dram_count[op] >= 0);
    FUZZ_CHECK(r.dram_start[op] <= r.dram_stop[op] + 1);
  }
  /* CALC: DRAM fetches are SRAM misses, never more than the reads requested. USER: whole lines
   * of Bandwidth words, the first fill at least one line before cycle 0. */
  if (c->user_bandwidth) {
    for (int op = 0; op < 2; op++)
      FUZZ_CHECK(r.dram_count[op] >= c->bandwidth && r.dram_count[op] % c->bandwidth == 0 &&
                 r.dram_start[op] < 0);
  } else {
    FUZZ_CHECK(r.dram_count[0] <= r.sram_count[0]);
    FUZZ_CHECK(r.dram_count[1] <= r.sram_count[1]);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  const char *sep = NULL;
  for (size_t i = 0; i + 3 <= size && !sep; i++)
    if (!memcmp(text + i, "%%\n", 3) && (i == 0 || text[i - 1] == '\n')) sep = text + i;
  size_t cfg_len = sep ? (size_t)(sep - text) : size;
  const char *topo_text = sep ? sep + 3 : text;
  size_t topo_len = sep ? size - (size_t)(topo_text - text) : size;
  scalesim_config cfg;
  scalesim_topology topo;
  heat_error err;
  int rc_cfg = scalesim_config_parse(text, cfg_len, "fuzz.cfg", &cfg, &err);
  if (rc_cfg) {
    FUZZ_CHECK_ERROR(rc_cfg, err);
    FUZZ_CHECK(strncmp(err.where, "fuzz.cfg", 8) == 0);
  } else {
    check_config(&cfg);
  }
  int rc_topo = scalesim_topology_parse(topo_text, topo_len, "fuzz.csv", &topo, &err);
  if (rc_topo) {
    FUZZ_CHECK_ERROR(rc_topo, err);
    FUZZ_CHECK(strncmp(err.where, "fuzz.csv", 8) == 0);
    FUZZ_CHECK(topo.n == 0 && topo.layers == NULL);
    return 0;
  }
  FUZZ_CHECK(topo.n >= 1 && topo.n <= SCALESIM_MAX_LAYERS);
  for (size_t i = 0; i < topo.n; i++) check_layer(&topo.layers[i]);
  if (!rc_cfg && !cfg.user_bandwidth)
    for (size_t i = 0; i < topo.n && i < FUZZ_LAYERS; i++) run_layer(&cfg, &topo.layers[i]);
  scalesim_topology_free(&topo);
  return 0;
}
