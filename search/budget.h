/* Budgets nothing satisfies (issue 10 §9): say which plan comes closest and by how much.
 *
 * A plan's parameters, latency and energy are sums over its weights (search/price.h), so the
 * least of each that a format's search space can reach is exact: every weight at its own
 * cheapest choice (dense included). A budget on one of them below that least value for every
 * format cannot be met by any plan: s2_budgets_reachable refuses the run before level 2 with
 * the closest plan. The size-weighted mean ε can always reach 0 (all dense). Several budgets
 * may each be reachable but not together: then s2_budget_misses describes how far the closest
 * plan found is from each. */
#ifndef HEAT_SEARCH_BUDGET_H
#define HEAT_SEARCH_BUDGET_H

#include "search/evolve.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The least parameters, latency and energy of any plan of the space (each minimised alone). */
typedef struct s2_bounds {
  double params, latency_s, energy_j;
} s2_bounds;

void s2_space_bounds(const s2_space *s, s2_bounds *out);

/* HEAT_EINVAL naming the budget's option when no plan of any of the n spaces (named by
 * labels, e.g. the formats) can meet it, with the closest value and how far it is. */
int s2_budgets_reachable(const s2_config *c, const s2_space *spaces, const char *const *labels,
                         size_t n, heat_error *err);

/* "params 30.1M = 1.2x --max-params 25M; latency 5.1 ms = 1.02x --max-latency 5 ms" into buf
 * for each budget e misses; false (and "") when it meets them all. */
bool s2_budget_misses(const s2_config *c, const s2_eval *e, char *buf, size_t cap);

/* A count as 45.2M (unit NULL), or a value of a unit with an SI prefix: 5.1 ms, 2.3 mJ. */
void s2_quantity_text(double v, const char *unit, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
