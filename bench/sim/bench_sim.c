/* bench_sim: speed of the SystemC cycle-level model (figures printed, nothing asserted).
 *  1. 128x768x768 on a 32x32 OS array (tpu-32): simulated cycles per second in timing and
 *     functional mode, beside SCALE-Sim's 4-8 thousand cycles/s (../shared/reference/SCALESIM.md).
 *     Targets: functional >= 1 M cycles/s, timing >= 50 M cycle-equivalents/s.
 *  2. A whole dense BERT-base inference (seq 384) on simba-l: wall time per mode (targets: timing
 *     < 1 s, functional < 60 s). Identical instances of a step run once and are scaled, so the
 *     functional run computes one instance of each step's values. */
#include <stdio.h>

#include "bench/bench_util.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "mapper/layer.h"
#include "mapper/program.h"
#include "sim/sim.h"

static double cpu_now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Returns the CPU seconds of the run (the machine is shared: wall time also counts waiting for a
 * core); *wall gets the wall seconds. */
static double run(sim_session *s, const program *p, sim_mode mode, double *cycles, double *macs,
                  double *wall) {
  sim_step_result *r = calloc(p->n_steps, sizeof *r);
  sim_options so = {.mode = mode, .seed = 1};
  heat_error err;
  double t0 = bench_now_s(), c0 = cpu_now_s();
  if (!r || sim_session_run(s, p, &so, r, &err)) {
    fprintf(stderr, "bench_sim: %s: %s\n", err.where, err.msg);
    exit(1);
  }
  double dt = cpu_now_s() - c0;
  *wall = bench_now_s() - t0;
  *cycles = *macs = 0;
  for (size_t i = 0; i < p->n_steps; i++) {
    *cycles += r[i].cycles * (double)p->steps[i].times;
    *macs += r[i].counts.macs; /* one instance per step: what was computed */
  }
  free(r);
  return dt;
}

int main(int argc, char **argv) {
  bench_args(argc, argv,
      "usage: bench_sim\n"
      "Cycles per second of the SystemC model (128x768x768 on tpu-32, timing and functional\n"
      "mode) beside SCALE-Sim's, and a whole dense BERT-base on simba-l. Prints figures only.\n",
      0);
  heat_error err;
  arch a;
  if (arch_resolve("tpu-32", &a, &err)) return 1;
  map_workspace *w = map_workspace_alloc();
  sim_session *s = sim_session_alloc(&a, &err);
  if (!w || !s) return 1;
  map_options opt;
  map_options_init(&opt, &a);
  opt.dataflows = 1u << ARCH_DATAFLOW_OS;
  map_problem p;
  map_problem_gemm(&p, 1, 128, 768, 768);
  map_result res;
  if (map_search(&a, &p, &opt, w, &res, &err)) return 1;
  program prog;
  program_init(&prog);
  if (program_emit_gemm(&prog, &a, &opt, "gemm", 1, &p, &res.mapping, &res.cost, &err)) return 1;
  printf("bench_sim 1: 128x768x768 on a 32x32 OS array (tpu-32, %s timing, memory simulated), "
         "%zu instructions\n", fold_timing_name(opt.timing), prog.n);
  printf("%-11s %14s %12s %12s %18s\n", "mode", "sim_cycles", "cpu_s", "wall_s",
         "sim_cycles_per_cpu_s");
  for (int mode = 0; mode < 2; mode++) {
    int reps = mode == 0 ? 21 : 5;
    double t[21], wl[21], cyc = 0, macs = 0;
    for (int i = 0; i < reps; i++) t[i] = run(s, &prog, (sim_mode)mode, &cyc, &macs, &wl[i]);
    double med = bench_median(t, (size_t)reps), wmed = bench_median(wl, (size_t)reps);
    printf("%-11s %14.0f %12.6f %12.6f %18.4g\n", sim_mode_name((sim_mode)mode), cyc, med, wmed,
           cyc / med);
  }
  printf("SCALE-Sim v2 on this kind of machine: 4-8 thousand cycles/s (SCALESIM.md).\n"
         "targets: functional >= 1e6 cycles/s, timing >= 5e7 cycle-equivalents/s\n\n");
  program_free(&prog);

  arch simba;
  model m;
  if (arch_resolve("simba-l", &simba, &err) || model_resolve("bert-base", &m, &err) ||
      model_set_seq(&m, 384, "seq", &err))
    return 1;
  layer_config cfg;
  layer_config_init(&cfg);
  map_options_init(&opt, &simba);
  static layer_report rep;
  double t0 = bench_now_s();
  if (layer_price_model(&simba, &m, &cfg, &opt, w, &rep, &err)) return 1;
  double price_s = bench_now_s() - t0;
  program_init(&prog);
  if (program_emit_items(&prog, &simba, &opt, &m, rep.items, rep.n_items, &err)) return 1;
  if (sim_session_set_arch(s, &simba, &err)) return 1;
  printf("bench_sim 2: dense BERT-base (seq 384) on simba-l: %zu steps, %zu instructions "
         "(mapping it took %.3f s, not counted)\n", prog.n_steps, prog.n, price_s);
  printf("%-11s %14s %16s %12s %12s\n", "mode", "sim_cycles", "macs_computed", "cpu_s", "wall_s");
  for (int mode = 0; mode < 2; mode++) {
    double cyc, macs, wall;
    double dt = run(s, &prog, (sim_mode)mode, &cyc, &macs, &wall);
    printf("%-11s %14.0f %16.0f %12.3f %12.3f\n", sim_mode_name((sim_mode)mode), cyc,
           mode ? macs : 0.0, dt, wall);
  }
  printf("analytical model: %.0f cycles. targets: timing < 1 s, functional < 60 s\n",
         rep.total.cycles);
  program_free(&prog);
  sim_session_free(s);
  map_workspace_free(w);
  return 0;
}
