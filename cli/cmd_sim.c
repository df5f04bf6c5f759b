/* heat sim: runs the SystemC model. Until the cycle-level accelerator model lands it runs the
 * clock self-check, which proves the kernel links and counts cycles as heat does. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_opts.h"
#include "common/heat_parse.h"
#include "sim/sim.h"

static void sim_help(FILE *out) {
  fprintf(out, "usage: heat sim --clock-check [--cycles N] [--clock-ghz F]\n\n"
               "Runs a clock and one clocked process in the SystemC kernel for N cycles\n"
               "(default 1) and prints the rising edges the process saw.\n");
}

int cmd_sim(int argc, char **argv) {
  int64_t cycles = 1;
  double ghz = 1.0;
  bool check = false;
  heat_error err;
  const cli_opt opts[] = {CLI_FLAG("clock-check", &check),
                          CLI_INT("cycles", &cycles, 1, INT64_C(1000000000)),
                          CLI_REAL("clock-ghz", &ghz, 1e-3, 1000.0)};
  cli_parser p = {.cmd = "sim", .opts = opts, .n_opts = CLI_COUNT(opts)};
  int rc = cli_parse(&p, argc, argv);
  if (rc) return rc;
  if (p.help) {
    sim_help(stdout);
    return 0;
  }
  if (!check) return cli_usage_error("sim", "nothing to run; use --clock-check");
  sim_clock_check res;
  if (sim_clock_run(ghz, (uint64_t)cycles, &res, &err)) return cli_fail(&err);
  printf("SystemC %s: %llu cycles requested, %llu rising edges seen, %.3f ns simulated\n",
         sim_systemc_version(), (unsigned long long)res.cycles_requested,
         (unsigned long long)res.rising_edges_seen, res.simulated_ns);
  return res.rising_edges_seen == res.cycles_requested ? 0 : 1;
}
