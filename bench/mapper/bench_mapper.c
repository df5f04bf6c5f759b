/* Mapper speed: mappings evaluated per second for one GEMM step, and the wall time to map a
 * whole model on an arch (dense BERT-base on tpu-32, EDP objective, by default).
 * usage: bench_mapper [model [arch]] */
#include <stdio.h>
#include <string.h>

#include "arch/arch.h"
#include "bench/bench_util.h"
#include "mapper/layer.h"
#include "mapper/mapspace.h"
#include "workloads/model.h"

#define REPEATS 7

static int bench_step(const arch *a, int64_t M, int64_t K, int64_t N, map_workspace *w) {
  map_options opt;
  map_options_init(&opt, a);
  opt.objective = MAP_OBJECTIVE_EDP;
  map_problem p;
  map_problem_gemm(&p, 1, M, K, N);
  double rate[REPEATS];
  map_result r;
  heat_error err;
  for (int i = 0; i < REPEATS; i++) {
    int64_t evaluated = 0;
    double t0 = bench_now_s(), t;
    do {
      if (map_search(a, &p, &opt, w, &r, &err)) {
        fprintf(stderr, "bench_mapper: %s: %s\n", err.where, err.msg);
        return 1;
      }
      evaluated += r.evaluated;
      t = bench_now_s() - t0;
    } while (t < 0.05);
    rate[i] = (double)evaluated / t;
  }
  printf("one GEMM step M=%lld K=%lld N=%lld on %s: %lld mappings per search, "
         "%.3g mappings evaluated/s (median of %d)\n",
         (long long)M, (long long)K, (long long)N, a->name, (long long)r.evaluated,
         bench_median(rate, REPEATS), REPEATS);
  return 0;
}

static int bench_model(const arch *a, const char *model_name, map_workspace *w) {
  model m;
  heat_error err;
  if (model_resolve(model_name, &m, &err)) {
    fprintf(stderr, "bench_mapper: %s: %s\n", err.where, err.msg);
    return 1;
  }
  map_options opt;
  map_options_init(&opt, a);
  opt.objective = MAP_OBJECTIVE_EDP;
  layer_config cfg;
  layer_config_init(&cfg);
  static layer_report rep;
  double t[REPEATS];
  for (int i = 0; i < REPEATS; i++) {
    double t0 = bench_now_s();
    if (layer_price_model(a, &m, &cfg, &opt, w, &rep, &err)) {
      fprintf(stderr, "bench_mapper: %s: %s\n", err.where, err.msg);
      return 1;
    }
    t[i] = bench_now_s() - t0;
  }
  printf("whole model %s (dense, seq %lld) on %s, objective edp: %.3g s wall (median of %d), "
         "%lld mappings evaluated, %.4g s latency, %.4g J, EDP %.4g J*s\n",
         m.name, (long long)m.seq, a->name, bench_median(t, REPEATS), REPEATS,
         (long long)rep.total.evaluated, rep.total.latency_s, rep.total.energy_j,
         rep.total.edp_js);
  return 0;
}

int main(int argc, char **argv) {
  bench_args(argc, argv,
      "usage: bench_mapper [model [arch]]   (default: bert-base tpu-32)\n"
      "Mappings evaluated per second for one GEMM, and the wall time to map a whole model.\n",
      2);
  const char *model_name = argc > 1 ? argv[1] : "bert-base";
  const char *arch_name = argc > 2 ? argv[2] : "tpu-32";
  arch a;
  heat_error err;
  if (arch_resolve(arch_name, &a, &err)) {
    fprintf(stderr, "bench_mapper: %s: %s\n", err.where, err.msg);
    return 1;
  }
  map_workspace *w = map_workspace_alloc();
  if (!w) return 1;
  int rc = bench_step(&a, 128, 768, 768, w);
  if (!rc) rc = bench_step(&a, 128, 768, 3072, w);
  if (!rc) rc = bench_model(&a, model_name, w);
  map_workspace_free(w);
  return rc;
}
