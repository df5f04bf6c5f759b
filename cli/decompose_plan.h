/* heat decompose --plan FILE --weights ckpt.safetensors [--save-factors OUT.safetensors]:
 * factorizes every linear weight of a checkpoint as a plan says, prints each weight's ε, and
 * saves the factors under Hugging Face-style names (`<hf_name>.<format>.factor<i>`; dense
 * weights under their own name) in a safetensors file PyTorch loads with no heat code. */
#ifndef HEAT_CLI_DECOMPOSE_PLAN_H
#define HEAT_CLI_DECOMPOSE_PLAN_H

#include <stdbool.h>

#include "workloads/factorize.h"
#include "workloads/safetensors_write.h"

typedef struct decompose_plan_args {
  const char *plan, *weights, *model, *save; /* model: NULL = the plan's */
  wl_st_dtype dtype;
  wl_factor_options fo;
  bool csv;
} decompose_plan_args;

/* Returns the exit code (after printing the error). */
int decompose_plan_run(const decompose_plan_args *a);

#endif
