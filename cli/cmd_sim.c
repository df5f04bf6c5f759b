/* heat sim: runs programs on the SystemC cycle-level model (sim/sim.h): the program the mapper
 * emits for a GEMM, a layer or a model (same options as heat map), or a program file. Also the
 * clock self-check that proves the kernel links and counts cycles as heat does. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/map_args.h"
#include "cli/map_plan.h"
#include "cli/map_report.h"
#include "cli/sim_plan.h"
#include "cli/sim_scalesim.h"
#include "common/heat_csv.h"
#include "common/heat_parse.h"
#include "sim/sim.h"

static void sim_help(FILE *out) {
  fprintf(out,
          "usage: heat sim --arch NAME|FILE --gemm M,N,K [heat map options] [options]\n"
          "       heat sim --arch NAME|FILE --model NAME|FILE [--layer OP] [...] [options]\n"
          "       heat sim --arch NAME|FILE --plan FILE [--model M] [--seq N] [options]\n"
          "       heat sim --program FILE [--arch NAME|FILE] [options]\n"
          "       heat sim --scalesim-config X.cfg --topology Y.csv [--out DIR]\n"
          "       heat sim --clock-check [--cycles N] [--clock-ghz F]\n\n"
          "Maps the workload as heat map does, emits its program (DMA loads/stores, array folds,\n"
          "SIMD ops, dependences; mapper/program.h) and runs it on the SystemC cycle-level model:\n"
          "a controller issuing in order, the array, a DMA engine with a DRAM channel (bandwidth,\n"
          "64-byte bursts, latency), buffer ports shared by all units, the SIMD unit. Prints per\n"
          "step the simulated cycles beside the analytical model's, then totals.\n\n"
          "  (heat map's workload and mapping options: --gemm, --model, --layer, --format,\n"
          "   --shape, --ranks, --path, --precompute, --no-fuse, --seq, --batch, --dataflow,\n"
          "   --array, --timing, --objective, --no-stalls; see heat map --help)\n"
          "  --plan FILE             a decomposition plan (search/PLAN.md), as heat map --plan:\n"
          "                          the dense parts and each distinct linear simulated (timing\n"
          "                          mode); --csv has heat map --plan --csv's columns\n"
          "  --program FILE          run this program instead (the arch: --arch, else the\n"
          "                          program's 'arch' line)\n"
          "  --mode functional|timing  functional computes every fold's values by stepping the\n"
          "                          array's registers; timing only times them (default timing;\n"
          "                          both give the same cycles)\n"
          "  --check                 functional mode with seeded data (int8 range): every GEMM\n"
          "                          step's outputs compared bit-exactly with a plain-C einsum\n"
          "                          (exit 1 on a mismatch, naming the step, tensor and element).\n"
          "                          The steps of a factorized layer carry values: each reads\n"
          "                          what the step before it produced, requantized (shift and\n"
          "                          round to the input precision, mapper/MAPPING.md), and the\n"
          "                          reference computes the whole chain the same way\n"
          "  --check-fault flip|truncate  (tests of the checker) break the hand-off on purpose:\n"
          "                          flip a bit of each handed-on output, or truncate instead of\n"
          "                          rounding; --check must then fail\n"
          "  --seed N                seed of the data (default 1)\n"
          "  --stats FILE.csv        per-step statistics: cycles, busy/stall cycles per unit with\n"
          "                          the reason (dram, sram_port, bank_conflict, dep, simd),\n"
          "                          accesses per buffer, DRAM bytes, MACs, energy\n"
          "  --trace FILE.vcd        unit activity over time (GTKWave)\n"
          "  --csv                   CSV on stdout with heat map --csv's columns\n"
          "  --scalesim-config X.cfg --topology Y.csv [--out DIR]\n"
          "                          SCALE-Sim v2's own inputs (INI config, GEMM or conv\n"
          "                          topology) in; its COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv\n"
          "                          and DETAILED_ACCESS_REPORT.csv out, in DIR/run_name/\n"
          "                          (default DIR .), with its cycle counts (sim/README.md);\n"
          "                          InterfaceBandwidth CALC, or USER with the config's\n"
          "                          Bandwidth and SCALE-Sim's buffer stalls; without\n"
          "                          --topology, the config's TopologyCsvLoc\n"
          "  --clock-check           run a clock and one clocked process for --cycles N\n"
          "                          (default 1) at --clock-ghz F and print the edges seen\n");
}

typedef struct sim_args {
  map_args map;
  const char *mode, *stats, *trace, *clock_ghz_text, *check_fault;
  const char *scalesim_config, *topology, *out;
  int64_t seed, cycles;
  double ghz;
  bool check, clock_check;
} sim_args;

static int sim_clock_check_run(const sim_args *g) {
  sim_clock_check res;
  heat_error err;
  if (sim_clock_run(g->ghz, (uint64_t)g->cycles, &res, &err)) return cli_fail(&err);
  printf("SystemC %s: %llu cycles requested, %llu rising edges seen, %.3f ns simulated\n",
         sim_systemc_version(), (unsigned long long)res.cycles_requested,
         (unsigned long long)res.rising_edges_seen, res.simulated_ns);
  return res.rising_edges_seen == res.cycles_requested ? 0 : 1;
}

/* The simulated step as a priced item, so heat map's CSV writer prints it. */
static void sim_item_cost(const arch *a, const sim_step_result *r, map_cost *c) {
  memset(c, 0, sizeof *c);
  c->cycles = r->cycles;
  c->latency_s = r->cycles / (a->clock_ghz * 1e9);
  c->macs = (int64_t)(r->counts.macs + r->counts.simd_macs);
  c->dram_read_bytes = r->counts.dram_read_bytes;
  c->dram_write_bytes = r->counts.dram_write_bytes;
  c->dram_bytes = c->dram_read_bytes + c->dram_write_bytes;
  double peak = (double)arch_peak_macs_per_cycle(a);
  c->utilization = r->cycles > 0 ? r->counts.macs / (r->cycles * peak) : 0;
  c->bound = MAP_BOUND_ARRAY;
  double most = r->unit[SIM_UNIT_ARRAY].busy;
  if (r->unit[SIM_UNIT_DMA].busy > most) {
    most = r->unit[SIM_UNIT_DMA].busy;
    c->bound = MAP_BOUND_DRAM;
  }
  if (r->unit[SIM_UNIT_SIMD].busy > most) c->bound = MAP_BOUND_SIMD;
  c->mac_pj = r->energy.mac_pj;
  c->reg_pj = r->energy.reg_pj;
  c->dram_pj = r->energy.dram_pj;
  c->simd_pj = r->energy.simd_pj;
  c->leak_pj = r->energy.leak_pj;
  memcpy(c->buffer_pj, r->energy.buffer_pj, sizeof c->buffer_pj);
  for (size_t j = 0; j < ARCH_MAX_BUFFERS; j++) {
    c->sram_reads[j] = r->counts.sram_reads[j];
    c->sram_writes[j] = r->counts.sram_writes[j];
  }
  c->energy_j = r->energy.total_pj * 1e-12;
  c->edp_js = c->energy_j * c->latency_s;
}

static int sim_write_stats(const char *path, const arch *a, const program *p,
                           const sim_step_result *r, heat_error *err) {
  FILE *f = fopen(path, "w");
  if (!f) return heat_error_set(err, HEAT_EIO, path, "cannot write: %s", strerror(errno));
  fprintf(f, "step,times,cycles,macs,dram_read_bytes,dram_write_bytes");
  for (size_t j = 0; j < a->n_buffers; j++)
    fprintf(f, ",%s_reads,%s_writes", a->buffers[j].name, a->buffers[j].name);
  for (int u = 0; u < SIM_UNITS; u++) {
    fprintf(f, ",%s_busy_cycles", sim_unit_name(u));
    for (int s = 0; s < SIM_STALLS; s++)
      fprintf(f, ",%s_stall_%s_cycles", sim_unit_name(u), sim_stall_name(s));
  }
  fprintf(f, ",mac_energy_j,reg_energy_j");
  for (size_t j = 0; j < a->n_buffers; j++) fprintf(f, ",%s_energy_j", a->buffers[j].name);
  fprintf(f, ",dram_energy_j,simd_energy_j,leakage_energy_j,energy_j,checked_elements,"
             "mismatched_elements\n");
  for (size_t s = 0; s < p->n_steps; s++) {
    const sim_step_result *x = &r[s];
    heat_csv_field(f, p->steps[s].name);
    fprintf(f, ",%lld,%.0f,%.0f,%.0f,%.0f", (long long)p->steps[s].times, x->cycles,
            x->counts.macs + x->counts.simd_macs, x->counts.dram_read_bytes, x->counts.dram_write_bytes);
    for (size_t j = 0; j < a->n_buffers; j++)
      fprintf(f, ",%.6g,%.6g", x->counts.sram_reads[j], x->counts.sram_writes[j]);
    for (int u = 0; u < SIM_UNITS; u++) {
      fprintf(f, ",%.0f", x->unit[u].busy);
      for (int k = 0; k < SIM_STALLS; k++) fprintf(f, ",%.0f", x->unit[u].stall[k]);
    }
    fprintf(f, ",%.6g,%.6g", x->energy.mac_pj * 1e-12, x->energy.reg_pj * 1e-12);
    for (size_t j = 0; j < a->n_buffers; j++) fprintf(f, ",%.6g", x->energy.buffer_pj[j] * 1e-12);
    fprintf(f, ",%.6g,%.6g,%.6g,%.6g,%lld,%lld\n", x->energy.dram_pj * 1e-12,
            x->energy.simd_pj * 1e-12, x->energy.leak_pj * 1e-12, x->energy.total_pj * 1e-12,
            (long long)x->checked, (long long)x->mismatches);
  }
  if (fclose(f) != 0)
    return heat_error_set(err, HEAT_EIO, path, "cannot write: %s", strerror(errno));
  return HEAT_OK;
}

/* Items for the CSV: one per program step (the analytical items when they exist). */
static layer_item *sim_items(const program *p, const map_priced *pr, const arch *a,
                             const sim_step_result *r) {
  layer_item *items = calloc(p->n_steps ? p->n_steps : 1, sizeof *items);
  if (!items) return NULL;
  size_t pi = 0; /* the analytical item of step s: offline items emit no program step */
  for (size_t s = 0; s < p->n_steps; s++) {
    layer_item *it = &items[s];
    while (pr && pi < pr->n && pr->items[pi].offline) pi++;
    if (pr && pi < pr->n) {
      *it = pr->items[pi++];
    } else {
      snprintf(it->name, sizeof it->name, "%s", p->steps[s].name);
      it->count = p->steps[s].times;
      it->repeat = 1;
      it->token_tiles = 1;
      it->simd = p->steps[s].simd;
      it->problem = p->steps[s].problem;
      it->result.mapping = p->steps[s].mapping;
    }
    sim_item_cost(a, &r[s], &it->result.cost);
  }
  return items;
}

static int sim_run(const sim_args *g) {
  heat_error err;
  static map_priced pr;
  const map_priced *priced = NULL;
  program prog;
  program_init(&prog);
  arch a;
  map_options opt;
  int rc = HEAT_OK;
  if (g->map.program) {
    rc = program_read_file(g->map.program, &prog, &err);
    if (!rc) rc = arch_resolve(g->map.arch ? g->map.arch : prog.arch_name, &a, &err);
    if (!rc) {
      map_options_init(&opt, &a);
      opt.timing = prog.timing;
      opt.memory_stalls = prog.stalls;
    }
  } else {
    rc = map_price_args(&g->map, &pr, &err);
    if (!rc) {
      priced = &pr;
      a = pr.eff;
      opt = pr.opt;
      rc = program_emit_items(&prog, &a, &opt, g->map.model ? &pr.m : NULL, pr.items, pr.n, &err);
    }
  }
  if (rc) {
    program_free(&prog);
    return cli_fail(&err);
  }
  sim_options so;
  memset(&so, 0, sizeof so);
  so.mode = SIM_MODE_TIMING;
  if (g->mode && sim_mode_parse(g->mode, &so.mode, &err)) {
    program_free(&prog);
    return cli_fail(&err);
  }
  if (g->check) so.mode = SIM_MODE_FUNCTIONAL;
  so.check = g->check;
  if (g->check_fault)
    so.fault = strcmp(g->check_fault, "flip") == 0 ? SIM_FAULT_FLIP : SIM_FAULT_TRUNCATE;
  so.seed = (uint64_t)g->seed;
  so.trace = g->trace;
  sim_step_result *res = calloc(prog.n_steps ? prog.n_steps : 1, sizeof *res);
  sim_session *s = res ? sim_session_alloc(&a, &err) : NULL;
  if (!res) heat_error_set(&err, HEAT_ENOMEM, "sim", "out of memory");
  rc = s ? sim_session_run(s, &prog, &so, res, &err) : err.code;
  sim_session_free(s);
  if (!rc && g->stats) rc = sim_write_stats(g->stats, &a, &prog, res, &err);
  if (rc) {
    free(res);
    program_free(&prog);
    return cli_fail(&err);
  }
  double cycles = 0, macs = 0, dram = 0, energy = 0;
  int64_t checked = 0, wrong = 0, handoffs = 0;
  for (size_t i = 0; i < prog.n_steps; i++) {
    handoffs += res[i].handoffs;
    if (res[i].mismatches)
      fprintf(stderr, "heat: check: step %s: %s (%lld of %lld elements differ)\n",
              prog.steps[i].name, res[i].mismatch, (long long)res[i].mismatches,
              (long long)res[i].checked);
    double t = (double)prog.steps[i].times;
    cycles += t * res[i].cycles;
    macs += t * (res[i].counts.macs + res[i].counts.simd_macs);
    dram += t * (res[i].counts.dram_read_bytes + res[i].counts.dram_write_bytes);
    energy += t * res[i].energy.total_pj * 1e-12;
    checked += res[i].checked;
    wrong += res[i].mismatches;
  }
  if (g->map.csv) {
    layer_item *items = sim_items(&prog, priced, &a, res);
    if (!items) {
      free(res);
      program_free(&prog);
      heat_error_set(&err, HEAT_ENOMEM, "sim", "out of memory");
      return cli_fail(&err);
    }
    map_report_csv(stdout, &a, &opt, items, prog.n_steps, priced ? priced->saved_dram_bytes : -1,
                   NULL);
    free(items);
  } else {
    printf("heat sim: %s mode, %s timing, arch %s, %zu steps, %zu instructions\n",
           sim_mode_name(so.mode), fold_timing_name(prog.timing), a.name, prog.n_steps, prog.n);
    size_t pi = 0; /* the analytical item of step i: offline items emit no program step */
    for (size_t i = 0; i < prog.n_steps; i++) {
      while (priced && pi < priced->n && priced->items[pi].offline) pi++;
      printf("step %s (x%lld): %.0f cycles", prog.steps[i].name, (long long)prog.steps[i].times,
             res[i].cycles);
      if (priced && pi < priced->n) {
        double an = priced->items[pi++].result.cost.cycles;
        printf(" (analytical %.0f, %+.2f%%)", an, an > 0 ? 100.0 * (res[i].cycles - an) / an : 0.0);
      }
      printf(", %.0f MACs, %.0f DRAM bytes, array busy %.0f\n",
             res[i].counts.macs + res[i].counts.simd_macs,
             res[i].counts.dram_read_bytes + res[i].counts.dram_write_bytes,
             res[i].unit[SIM_UNIT_ARRAY].busy);
    }
    printf("\ntotal: %.0f cycles (%.4g s), %.0f MACs, %.0f DRAM bytes, %.4g J\n", cycles,
           cycles / (a.clock_ghz * 1e9), macs, dram, energy);
    if (so.check)
      printf("check: %lld output elements compared with the reference einsum, %lld differ%s; "
             "%lld operands handed on from earlier steps (requantized)\n",
             (long long)checked, (long long)wrong, wrong ? "" : " (bit-exact)",
             (long long)handoffs);
  }
  free(res);
  program_free(&prog);
  return wrong ? 1 : 0;
}

/* heat sim --plan: heat map --plan's report with every part simulated. */
static int sim_plan_run(const sim_args *g) {
  heat_error err;
  arch a, eff;
  map_options opt;
  static plan pl;
  static plan_cost pc;
  model m;
  int64_t seq = 0, batch = 0, simulated = 0;
  int rc = map_args_arch(&g->map, &a, &opt, &eff, &err);
  if (!rc && g->map.seq) rc = heat_parse_int64(g->map.seq, 1, INT32_MAX, "--seq", &seq, &err);
  if (!rc && g->map.batch)
    rc = heat_parse_int64(g->map.batch, 1, INT32_MAX, "--batch", &batch, &err);
  if (!rc) rc = plan_read_file(g->map.plan, &pl, &err);
  if (!rc) {
    rc = model_resolve(g->map.model ? g->map.model : pl.model, &m, &err);
    if (rc && !g->map.model) heat_error_prefix(&err, "%s: field 'model'", g->map.plan);
  }
  if (!rc) {
    int64_t s = seq > 0 ? seq : pl.seq;
    if (s > 0 && s != m.seq) rc = model_set_seq(&m, s, seq > 0 ? "--seq" : g->map.plan, &err);
  }
  if (!rc && batch > 0) rc = model_set_batch(&m, batch, "--batch", &err);
  sim_session *s = NULL;
  price_cost dense;
  if (!rc) rc = sim_plan_cost(&s, &eff, &opt, &m, &pl, g->map.plan, &pc, &dense, &simulated, &err);
  sim_session_free(s);
  if (rc) return cli_fail(&err);
  if (g->map.csv) {
    map_plan_csv(stdout, &pl, &m, &pc);
  } else {
    map_plan_text(stdout, g->map.plan, &pl, &m, &eff, &pc, &dense, simulated);
    printf("(simulated: SystemC model, timing mode, %s timing; the dense parts and each distinct "
           "linear run once)\n", fold_timing_name(opt.timing));
  }
  return 0;
}

int cmd_sim(int argc, char **argv) {
  sim_args g;
  memset(&g, 0, sizeof g);
  g.seed = 1;
  g.cycles = 1;
  g.ghz = 1.0;
  map_args *m = &g.map;
  const cli_opt opts[] = {
      MAP_ARGS_OPTS(m),
      CLI_FLAG("csv", &m->csv),
      CLI_TEXT("program", &m->program),
      CLI_TEXT("plan", &m->plan),
      CLI_TEXT("mode", &g.mode),
      CLI_FLAG("check", &g.check),
      CLI_TEXT("check-fault", &g.check_fault),
      CLI_INT("seed", &g.seed, 0, INT64_MAX),
      CLI_TEXT("stats", &g.stats),
      CLI_TEXT("trace", &g.trace),
      CLI_FLAG("clock-check", &g.clock_check),
      CLI_INT("cycles", &g.cycles, 1, INT64_C(1000000000)),
      CLI_REAL("clock-ghz", &g.ghz, 1e-3, 1000.0),
      CLI_TEXT("scalesim-config", &g.scalesim_config),
      CLI_TEXT("topology", &g.topology),
      CLI_TEXT("out", &g.out),
  };
  cli_parser p = {.cmd = "sim", .opts = opts, .n_opts = CLI_COUNT(opts)};
  int rc = cli_parse(&p, argc, argv);
  if (rc) return rc;
  if (p.help) {
    sim_help(stdout);
    return 0;
  }
  if (g.clock_check) return sim_clock_check_run(&g);
  if (g.scalesim_config || g.topology || g.out) {
    if (!g.scalesim_config) /* the topology may come from the config's TopologyCsvLoc */
      return cli_usage_error("sim", "--scalesim-config X.cfg and --topology Y.csv go together");
    if (m->program || m->gemm || m->model || m->arch || m->plan)
      return cli_usage_error("sim", "--scalesim-config takes no --arch, --gemm, --model, "
                                    "--program or --plan: the config is the arch, the topology "
                                    "the workload");
    return sim_scalesim_run(g.scalesim_config, g.topology, g.out);
  }
  if (g.check_fault) {
    if (strcmp(g.check_fault, "flip") != 0 && strcmp(g.check_fault, "truncate") != 0) {
      heat_error err;
      heat_error_set(&err, HEAT_EINVAL, "--check-fault", "unknown fault '%s'; allowed: flip, truncate",
                     g.check_fault);
      return cli_fail(&err);
    }
    if (!g.check) return cli_usage_error("sim", "--check-fault needs --check");
  }
  if ((cli_given(&p, "cycles") || cli_given(&p, "clock-ghz")))
    return cli_usage_error("sim", "--cycles and --clock-ghz need --clock-check");
  if (m->plan) {
    if (m->program)
      return cli_usage_error("sim", "give --plan FILE or --program FILE, not both");
    if (g.check || g.trace || g.stats || (g.mode && strcmp(g.mode, "timing") != 0))
      return cli_usage_error("sim", "--plan runs the timing mode only (no --check, --trace, "
                                    "--stats or --mode functional)");
    rc = map_args_check("sim", m);
    if (rc) return rc;
    return sim_plan_run(&g);
  }
  if (m->program) {
    if (m->gemm || m->model)
      return cli_usage_error("sim", "give --program FILE or a workload (--gemm, --model), not both");
    return sim_run(&g);
  }
  if (!m->arch && !m->gemm && !m->model)
    return cli_usage_error("sim", "nothing to run; give a workload (--gemm or --model with "
                                  "--arch), --program FILE or --clock-check");
  rc = map_args_check("sim", m);
  if (rc) return rc;
  return sim_run(&g);
}
