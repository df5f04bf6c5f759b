/* heat sim's SCALE-Sim mode (sim/scalesim.h): reads SCALE-Sim's config and topology, writes its
 * three reports into OUT/run_name/. Returns the exit code. */
#ifndef HEAT_CLI_SIM_SCALESIM_H
#define HEAT_CLI_SIM_SCALESIM_H

int sim_scalesim_run(const char *config, const char *topology, const char *out_dir);

#endif
