/* heat map --plan FILE: prices a model under a decomposition plan (search/PLAN.md) block by
 * block and prints per block and per linear, or CSV. */
#ifndef HEAT_CLI_MAP_PLAN_H
#define HEAT_CLI_MAP_PLAN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "arch/arch.h"
#include "mapper/mapspace.h"
#include "search/price.h"

typedef struct map_plan_args {
  const char *plan;
  const char *model; /* NULL: the plan's model */
  int64_t seq, batch; /* 0: the plan's sequence length / the model's batch */
  bool csv;
} map_plan_args;

/* `eff` is the arch with the options' overrides applied. */
int map_plan_print(FILE *out, const arch *eff, const map_options *opt, const map_plan_args *g,
                   heat_error *err);

/* The report map_plan_print writes (heat sim --plan writes its simulated costs with them, so
 * the two CSVs diff): CSV, or the text table with `priced` distinct linears. */
void map_plan_csv(FILE *out, const plan *pl, const model *m, const plan_cost *pc);
void map_plan_text(FILE *out, const char *path, const plan *pl, const model *m, const arch *a,
                   const plan_cost *pc, const price_cost *dense, int64_t priced);

#endif
