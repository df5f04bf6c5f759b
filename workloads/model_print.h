/* Listings of model descriptions for the heat command; written to a caller's stream. */
#ifndef HEAT_MODEL_PRINT_H
#define HEAT_MODEL_PRINT_H

#include <stdio.h>

#include "workloads/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Every operation of the input part, one block and the output part with MACs and parameters,
 * the part totals and the model totals, numbers grouped by thousands. */
int model_fprint(FILE *out, const model *m, heat_error *err);
/* The same as CSV: a header row, one row per operation (block operations once, `repeats` =
 * layers), then a `total` row for the whole model. macs and params are totals over `count`. */
int model_fprint_csv(FILE *out, const model *m, heat_error *err);
/* One line per preset: name, kind, sizes, parameter total. */
int model_fprint_presets(FILE *out, heat_error *err);

#ifdef __cplusplus
}
#endif
#endif
