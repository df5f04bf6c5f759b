/* Memory budgets: a request whose estimated memory passes the budget is bad input (exit 2,
 * naming the option), not an "out of memory" failure (exit 1) after minutes of swapping.
 * The default budget is half the machine's physical memory (README.md, "Input limits"). */
#ifndef HEAT_BUDGET_H
#define HEAT_BUDGET_H

#include <stddef.h>
#include <stdint.h>

#include "common/heat_error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Half of the physical memory (sysconf), or 4 GiB when it cannot be read. */
int64_t heat_budget_default(void);

/* Parses a byte count: digits with an optional binary suffix K, M, G or T (also KiB, MiB, GiB,
 * TiB), e.g. "512M", "8GiB", "1048576". At least 1 MiB, at most 2^60 bytes. */
int heat_budget_parse(const char *text, const char *what, int64_t *out, heat_error *err);

/* "40.0 GiB", "512.0 MiB", "900 bytes". */
void heat_budget_format(double bytes, char *buf, size_t cap);

/* HEAT_OK when need <= budget, else HEAT_ERANGE naming `what` (the option), the estimate,
 * what it is for and the budget. */
int heat_budget_check(double need, int64_t budget, const char *what, const char *for_what,
                      heat_error *err);

#ifdef __cplusplus
}
#endif
#endif
