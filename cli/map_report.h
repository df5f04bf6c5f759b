/* Printing priced items for heat map: a readable report or tidy CSV with a 'total' row. */
#ifndef HEAT_MAP_REPORT_H
#define HEAT_MAP_REPORT_H

#include <stdio.h>

#include "mapper/layer.h"

/* Items and their totals; `layers` > 0 adds the per-layer (one block) and per-component
 * breakdowns of a model. */
void map_report_text(FILE *out, const arch *a, const map_options *opt, const layer_item *items,
                     size_t n, const layer_report *model_rep);
void map_report_csv(FILE *out, const arch *a, const map_options *opt, const layer_item *items,
                    size_t n);

#endif
