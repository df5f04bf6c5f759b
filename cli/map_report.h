/* Printing mapped steps for heat map: a readable report or tidy CSV with a 'total' row. */
#ifndef HEAT_MAP_REPORT_H
#define HEAT_MAP_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "mapper/mapspace.h"

typedef struct map_report_step {
  char name[96];      /* "gemm", "layer0.ffn1.step1", ... */
  char view[96];      /* einsum of the step ("bmk,bkn->bmn" style) or empty */
  int64_t count;      /* times the step runs (layers x heads); 0 counts as 1 */
  map_problem problem;
  map_result result;
} map_report_step;

void map_report_text(FILE *out, const arch *a, const map_options *opt,
                     const map_report_step *steps, size_t n);
void map_report_csv(FILE *out, const arch *a, const map_report_step *steps, size_t n,
                    const map_options *opt);

#endif
