/* Printing priced items for heat map: a readable report or tidy CSV with a 'total' row. */
#ifndef HEAT_MAP_REPORT_H
#define HEAT_MAP_REPORT_H

#include <stdio.h>

#include "mapper/layer.h"

/* What a --model run adds to the items: the stored parameters of its factorized linears and
 * what --layer selected. NULL for a --gemm run. */
typedef struct map_report_scope {
  const layer_report *rep; /* rep->stored: the factorized linears; rep->evaluated: the real
                            * number of mappings evaluated, printed on the total line */
  const char *layer;       /* --layer, or NULL for the whole model */
  path_precompute precompute;
} map_report_scope;

/* Items and their totals. `model_rep` (whole-model runs) adds the per-layer (one block) and
 * per-component breakdowns. `saved_dram_bytes` >= 0 (model and --layer runs) is the DRAM
 * traffic fusion saved: printed as the `fusion:` line when a factorized chain was priced, and
 * in the CSV total row's saved_dram_bytes column (empty when < 0). */
void map_report_text(FILE *out, const arch *a, const map_options *opt, const layer_item *items,
                     size_t n, const layer_report *model_rep, double saved_dram_bytes,
                     const map_report_scope *scope);
void map_report_csv(FILE *out, const arch *a, const map_options *opt, const layer_item *items,
                    size_t n, double saved_dram_bytes, const map_report_scope *scope);

#endif
