/* heat sim --scalesim-config X.cfg --topology Y.csv [--out DIR]: SCALE-Sim's own inputs in,
 * SCALE-Sim's three reports out (DIR/run_name/, as SCALE-Sim's -p DIR writes them). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/sim_scalesim.h"
#include "sim/scalesim.h"

int sim_scalesim_run(const char *config, const char *topology, const char *out_dir) {
  heat_error err;
  scalesim_config cfg;
  scalesim_topology topo;
  if (scalesim_config_load(config, &cfg, &err)) return cli_fail(&err);
  if (!topology) { /* SCALE-Sim takes -t over the config's TopologyCsvLoc */
    if (!cfg.topology[0]) {
      heat_error_set(&err, HEAT_EINVAL, config,
                     "no --topology Y.csv given and no TopologyCsvLoc in [network_presets]");
      return cli_fail(&err);
    }
    topology = cfg.topology;
  }
  if (scalesim_topology_load(topology, &topo, &err)) return cli_fail(&err);
  scalesim_result *res = calloc(topo.n, sizeof *res);
  if (!res) {
    scalesim_topology_free(&topo);
    heat_error_set(&err, HEAT_ENOMEM, topology, "out of memory");
    return cli_fail(&err);
  }
  FILE *progress = isatty(STDERR_FILENO) ? stderr : NULL;
  int rc = HEAT_OK;
  for (size_t i = 0; i < topo.n && !rc; i++) {
    rc = scalesim_run_layer(&cfg, &topo.layers[i], 0, progress, &res[i], &err);
    if (rc) {
      char where[HEAT_ERROR_WHERE_MAX];
      if (snprintf(where, sizeof where, "%s:%d", topology, topo.layers[i].line) >= (int)sizeof where)
        where[sizeof where - 1] = '\0'; /* a long path is cut, the message stays */
      heat_error_prefix(&err, "layer %zu", i);
      memcpy(err.where, where, sizeof where);
    }
  }
  char dir[4096];
  if (!rc) {
    const char *base = out_dir ? out_dir : ".";
    if (mkdir(base, 0777) != 0 && errno != EEXIST)
      rc = heat_error_set(&err, HEAT_EIO, base, "cannot create the folder: %s", strerror(errno));
    if (!rc && snprintf(dir, sizeof dir, "%s/%s", base, cfg.run_name) >= (int)sizeof dir)
      rc = heat_error_set(&err, HEAT_EINVAL, "--out", "path too long");
    if (!rc) rc = scalesim_write_reports(dir, res, topo.n, &err);
  }
  if (!rc) {
    const char *df = cfg.dataflow == ARCH_DATAFLOW_OS   ? "os"
                     : cfg.dataflow == ARCH_DATAFLOW_WS ? "ws"
                                                        : "is";
    printf("heat sim: SCALE-Sim inputs %s x %s: %zu layers, %lldx%lld %s array", config,
           topology, topo.n, (long long)cfg.rows, (long long)cfg.cols, df);
    if (cfg.user_bandwidth)
      printf(", USER bandwidth %lld words/cycle", (long long)cfg.bandwidth);
    printf("\n");
    for (size_t i = 0; i < topo.n; i++)
      printf("layer %zu %s: GEMM %lldx%lldx%lld, %lld cycles (SCALE-Sim's count), %lld stall\n", i,
             topo.layers[i].name, (long long)topo.layers[i].m, (long long)topo.layers[i].n,
             (long long)topo.layers[i].k, (long long)res[i].total_cycles,
             (long long)res[i].stall_cycles);
    printf("reports: %s/COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv, DETAILED_ACCESS_REPORT.csv\n",
           dir);
  }
  free(res);
  scalesim_topology_free(&topo);
  return rc ? cli_fail(&err) : 0;
}
