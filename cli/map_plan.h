/* heat map --plan FILE: prices a model under a decomposition plan (search/PLAN.md) block by
 * block and prints per block and per linear, or CSV. */
#ifndef HEAT_CLI_MAP_PLAN_H
#define HEAT_CLI_MAP_PLAN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "arch/arch.h"
#include "mapper/mapspace.h"

typedef struct map_plan_args {
  const char *plan;
  const char *model; /* NULL: the plan's model */
  int64_t seq, batch; /* 0: the plan's sequence length / the model's batch */
  bool csv;
} map_plan_args;

/* `eff` is the arch with the options' overrides applied. */
int map_plan_print(FILE *out, const arch *eff, const map_options *opt, const map_plan_args *g,
                   heat_error *err);

#endif
