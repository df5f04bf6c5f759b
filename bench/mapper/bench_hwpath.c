/* Speed of the hardware-aware contraction path (issue 8, §8): every format's BERT-base layer
 * on every preset priced as `heat map --layer L --format F` does, with the hardware-aware path
 * and with the MAC-optimal one (medians of interleaved runs, in-process: start-up excluded),
 * and the whole dense model on a 1x1 array with 8 buffers that may hold any operand (the
 * mapspace's worst case). Target: < 50 ms and at most 2x the MAC path; the worst cases are
 * printed last.
 * usage: bench_hwpath [repeats [arch [case]]]: arch and case (a row number from 0) restrict
 * the run to one preset or one case, for profiling; "-" or nothing for all.
 * bench_hwpath cases: prints each case as `heat map` options, one line each (for
 * hwpath_same.sh, which checks that a speed-up leaves every result unchanged). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arch/arch.h"
#include "bench/bench_util.h"
#include "mapper/layer.h"
#include "workloads/model.h"

typedef struct bench_case {
  const char *layer, *format, *shape;
  int64_t rank; /* clipped per position (wl_layer_clip_ranks) */
} bench_case;

static const bench_case cases[] = {
    {"ffn1", "dense", "", 0},
    {"ffn1", "svd", "", 64},
    {"q", "cp", "8x8x12:8x8x12", 64},
    {"ffn1", "cp", "1536x2:384x2", 350},
    {"q", "tucker", "8x8x12:8x8x12", 8},
    {"ffn1", "tucker", "12x16x16:8x8x12", 8},
    {"ffn1", "tucker", "4x4x12x16:4x4x4x12", 4},
    {"ffn1", "ttm", "12x16x16:8x8x12", 16},
    {"ffn2", "ttm", "8x8x12:12x16x16", 16},
    {"q", "tt", "8x8x12:8x8x12", 8},
    {"ffn1", "tt", "12x16x16:8x8x12", 16},
    {"ffn1", "tt", "4x4x12x16:4x4x4x12", 8},
};
#define N_CASES (sizeof cases / sizeof cases[0])

/* The pathological arch of the issue: one PE, 8 buffers of different sizes, any operand. */
static const char patho_cfg[] =
    "name = \"one-pe-8-buffers\";\n"
    "energy_source = \"bench only: tpu-32-like numbers\";\n"
    "clock_ghz = 1.0;\n"
    "precision = { input_bits = 8; weight_bits = 8; accum_bits = 32; };\n"
    "array = { kind = \"systolic\"; rows = 1; cols = 1; dataflows = [\"os\", \"ws\", \"is\"]; pe_leakage_uw = 7.4; pe_area_um2 = 962.0; };\n"
    "simd = { lanes = 8; cycles = { add = 1; mul = 1; max = 1; exp = 4; div = 8; rsqrt = 8; };\n"
    "         op_pj = 1.1; lane_leakage_uw = 22.4; lane_area_um2 = 2511.0; };\n"
    "buffers = (\n"
    "  { name = \"b0\"; size_kib = 16; banks = 1; bytes_per_cycle = 8.0; access_bytes = 8;\n"
    "    read_pj = 2.0; write_pj = 2.0; holds = [\"any\"]; leakage_uw_per_kib = 10.0; area_um2_per_kib = 9000.0; },\n"
    "  { name = \"b1\"; size_kib = 32; banks = 1; bytes_per_cycle = 8.0; access_bytes = 8;\n"
    "    read_pj = 3.0; write_pj = 3.0; holds = [\"any\"]; leakage_uw_per_kib = 10.0; area_um2_per_kib = 9000.0; },\n"
    "  { name = \"b2\"; size_kib = 64; banks = 1; bytes_per_cycle = 16.0; access_bytes = 8;\n"
    "    read_pj = 4.0; write_pj = 4.0; holds = [\"any\"]; leakage_uw_per_kib = 10.0; area_um2_per_kib = 9000.0; double_buffered = true; },\n"
    "  { name = \"b3\"; size_kib = 128; banks = 1; bytes_per_cycle = 16.0; access_bytes = 8;\n"
    "    read_pj = 5.0; write_pj = 5.0; holds = [\"any\"]; leakage_uw_per_kib = 10.0; area_um2_per_kib = 9000.0; },\n"
    "  { name = \"b4\"; size_kib = 256; banks = 1; bytes_per_cycle = 32.0; access_bytes = 16;\n"
    "    read_pj = 8.0; write_pj = 8.0; holds = [\"any\"]; leakage_uw_per_kib = 10.0; area_um2_per_kib = 9000.0; double_buffered = true; },\n"
    "  { name = \"b5\"; size_kib = 512; banks = 1; bytes_per_cycle = 32.0; access_bytes = 16;\n"
    "    read_pj = 10.0; write_pj = 10.0; holds = [\"any\"]; leakage_uw_per_kib = 10.0; area_um2_per_kib = 9000.0; },\n"
    "  { name = \"b6\"; size_kib = 1024; banks = 1; bytes_per_cycle = 64.0; access_bytes = 32;\n"
    "    read_pj = 20.0; write_pj = 20.0; holds = [\"any\"]; leakage_uw_per_kib = 10.0; area_um2_per_kib = 9000.0; double_buffered = true; },\n"
    "  { name = \"b7\"; size_kib = 2048; banks = 1; bytes_per_cycle = 64.0; access_bytes = 32;\n"
    "    read_pj = 30.0; write_pj = 30.0; holds = [\"any\"]; leakage_uw_per_kib = 10.0; area_um2_per_kib = 9000.0; }\n"
    ");\n"
    "dram = { gbps = 25.6; latency_ns = 100.0; pj_per_byte = 100.0; phy_leakage_mw_per_gbps = 1.0; phy_area_mm2_per_gbps = 0.1; };\n"
    "energy = { mac_pj = 0.5; reg_pj = 0.1; };\n";

/* CPU time of this thread: the pricing is single-threaded, and on a shared machine wall time
 * measures the other jobs as much as this one. */
static double cpu_now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int fail(const heat_error *err) {
  fprintf(stderr, "bench_hwpath: %s: %s\n", err->where, err->msg);
  return 1;
}

/* The layer config of a case, as heat map --layer L --format F [--shape S --ranks R] sets it. */
static int setup_case(const model *m, const bench_case *c, layer_config *cfg, heat_error *err) {
  snprintf(cfg->only, sizeof cfg->only, "%s", c->layer);
  snprintf(cfg->target, sizeof cfg->target, "%s", c->layer);
  cfg->has_format = true;
  if (wl_format_parse(c->format, "format", &cfg->format.format, err)) return 1;
  if (c->shape[0] && wl_shape_parse(c->shape, "shape", &cfg->format.shape, err)) return 1;
  if (c->rank) {
    if (!c->shape[0]) wl_shape_matrix(m->ffn, m->hidden, &cfg->format.shape);
    cfg->format.n_ranks = wl_layer_rank_count(&cfg->format);
    wl_layer_clip_ranks(&cfg->format, c->rank);
    if (!c->shape[0]) cfg->format.shape.d = 0;
  }
  return 0;
}

/* Median wall time of pricing (one run per repeat, the two path modes interleaved). */
static int time_both(const arch *a, const model *m, layer_config *cfg, map_workspace *w,
                     int repeats, double *mac_s, double *hw_s, layer_report *rep,
                     heat_error *err) {
  map_options opt;
  map_options_init(&opt, a);
  double t[2][64];
  for (int i = 0; i < repeats; i++)
    for (int mode = 0; mode < 2; mode++) {
      cfg->path_mode = mode ? LAYER_PATH_HARDWARE : LAYER_PATH_MACS;
      double t0 = cpu_now_s();
      if (layer_price_model(a, m, cfg, &opt, w, rep, err)) return 1;
      t[mode][i] = cpu_now_s() - t0;
    }
  *mac_s = bench_median(t[0], (size_t)repeats);
  *hw_s = bench_median(t[1], (size_t)repeats);
  return 0;
}

/* The case's layer as heat map options (ranks spelled out as clipped). */
static int print_case(const model *m, const bench_case *c, heat_error *err) {
  layer_config cfg;
  layer_config_init(&cfg);
  if (setup_case(m, c, &cfg, err)) return 1;
  printf("--model bert-base --layer %s --format %s", c->layer, c->format);
  if (c->shape[0]) printf(" --shape %s", c->shape);
  for (size_t r = 0; c->rank && r < cfg.format.n_ranks; r++)
    printf("%s%lld", r ? "," : " --ranks ", (long long)cfg.format.rank[r]);
  printf("\n");
  return 0;
}

int main(int argc, char **argv) {
  bench_args(argc, argv,
      "usage: bench_hwpath [repeats [arch [case]]]   (\"-\" or nothing: all)\n"
      "       bench_hwpath cases   (each case as `heat map` options, for hwpath_same.sh)\n"
      "Hardware-aware vs MAC-optimal path time for every format's BERT-base layer on every\n"
      "preset (target: < 50 ms, <= 2x the MAC path). Prints figures only.\n",
      3);
  if (argc > 1 && !strcmp(argv[1], "cases")) {
    heat_error err;
    model m;
    if (model_resolve("bert-base", &m, &err)) return fail(&err);
    for (size_t k = 0; k < N_CASES; k++)
      if (print_case(&m, &cases[k], &err)) return fail(&err);
    return 0;
  }
  int repeats = argc > 1 ? atoi(argv[1]) : 5;
  if (repeats < 1 || repeats > 64) repeats = 5;
  const char *only_arch = argc > 2 && strcmp(argv[2], "-") ? argv[2] : NULL;
  int only_case = argc > 3 && strcmp(argv[3], "-") ? atoi(argv[3]) : -1;
  heat_error err;
  model m;
  if (model_resolve("bert-base", &m, &err)) return fail(&err);
  map_workspace *w = map_workspace_alloc();
  if (!w) return 1;
  static layer_report rep;
  double worst_hw = 0, worst_ratio = 0;
  static double ratios[N_CASES * 16];
  size_t n_ratios = 0;
  char worst_hw_what[160] = "", worst_ratio_what[160] = "";
  printf("hardware-aware path vs MAC path, bert-base (seq %lld), one layer priced as heat map "
         "--layer L --format F (median of %d, in-process, thread CPU time)\n",
         (long long)m.seq, repeats);
  printf("%-13s %-5s %-7s %-20s %5s %10s %10s %7s %12s\n", "arch", "layer", "format", "shape",
         "rank", "mac_ms", "hw_ms", "hw/mac", "evaluated");
  for (size_t p = 0; p < arch_preset_count(); p++) {
    arch a;
    if (only_arch && strcmp(only_arch, arch_preset_name(p))) continue;
    if (arch_resolve(arch_preset_name(p), &a, &err)) return fail(&err);
    for (size_t k = 0; k < N_CASES; k++) {
      if (only_case >= 0 && (size_t)only_case != k) continue;
      const bench_case *c = &cases[k];
      layer_config cfg;
      layer_config_init(&cfg);
      if (setup_case(&m, c, &cfg, &err)) return fail(&err);
      double mac_s, hw_s;
      if (time_both(&a, &m, &cfg, w, repeats, &mac_s, &hw_s, &rep, &err)) return fail(&err);
      double ratio = hw_s / mac_s;
      if (n_ratios < sizeof ratios / sizeof ratios[0]) ratios[n_ratios++] = ratio;
      printf("%-13s %-5s %-7s %-20s %5lld %10.2f %10.2f %7.2f %12lld\n", a.name, c->layer,
             c->format, c->shape[0] ? c->shape : "-", (long long)c->rank, 1e3 * mac_s,
             1e3 * hw_s, ratio, (long long)rep.evaluated);
      if (hw_s > worst_hw) {
        worst_hw = hw_s;
        snprintf(worst_hw_what, sizeof worst_hw_what, "%s %s %s %s", a.name, c->layer,
                 c->format, c->shape);
      }
      if (ratio > worst_ratio) {
        worst_ratio = ratio;
        snprintf(worst_ratio_what, sizeof worst_ratio_what, "%s %s %s %s", a.name, c->layer,
                 c->format, c->shape);
      }
    }
  }
  if (only_arch && strcmp(only_arch, "one-pe-8-buffers")) goto done;
  arch patho;
  if (arch_load_string(patho_cfg, "bench one-pe-8-buffers", &patho, &err)) return fail(&err);
  layer_config cfg;
  layer_config_init(&cfg);
  double mac_s, hw_s;
  if (time_both(&patho, &m, &cfg, w, repeats < 3 ? repeats : 3, &mac_s, &hw_s, &rep, &err))
    return fail(&err);
  printf("whole dense bert-base on %s (1x1 array, 8 any-operand buffers): %.1f ms "
         "(%lld mappings evaluated)\n",
         patho.name, 1e3 * hw_s, (long long)rep.evaluated);
done:
  printf("worst hardware-aware path time: %.2f ms (%s); target < 50 ms\n", 1e3 * worst_hw,
         worst_hw_what);
  printf("worst hw/mac ratio: %.2f (%s); target <= 2\n", worst_ratio, worst_ratio_what);
  if (n_ratios) {
    size_t above = 0;
    for (size_t k = 0; k < n_ratios; k++) above += ratios[k] > 2;
    printf("median hw/mac ratio: %.2f over %zu cases; %zu of them above 2\n",
           bench_median(ratios, n_ratios), n_ratios, above);
  }
  map_workspace_free(w);
  return 0;
}
