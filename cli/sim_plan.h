/* A decomposition plan (search/PLAN.md) run on the SystemC cycle-level model: the same
 * composition as search/price.h (input + output + per block the dense block with the plan's
 * linears in place of the dense ones), each distinct part simulated once in timing mode
 * instead of priced analytically. Lives in cli/ because search/ must not depend on sim/. */
#ifndef HEAT_CLI_SIM_PLAN_H
#define HEAT_CLI_SIM_PLAN_H

#include "search/price.h"
#include "sim/sim.h"

/* The cost of one part of a priced model report (items of `part`, one instance each, as
 * search/price.c's report sums), simulated: latency from the simulated cycles, energy and
 * its components from the simulated counts. *session is elaborated on first use. */
int sim_plan_report_part(sim_session **session, const arch *eff, const map_options *opt,
                         const model *m, const layer_report *rep, model_part part,
                         price_cost *out, heat_error *err);

/* The same in two steps, for many plans of one model (heat search's summary): a pricer whose
 * dense parts are simulated (w and rep are the caller's workspaces; free p with pricer_free),
 * then per plan its distinct linears not simulated yet (cached in p) and the plan's cost. */
int sim_plan_pricer_init(sim_session **session, const arch *eff, const map_options *opt,
                         const model *m, map_workspace *w, layer_report *rep, pricer *p,
                         heat_error *err);
int sim_plan_price(sim_session **session, const arch *eff, const map_options *opt,
                   const model *m, map_workspace *w, layer_report *rep, pricer *p,
                   const plan *pl, plan_cost *out, int64_t *simulated, heat_error *err);

/* The model under the plan, every part simulated (plan checked against m first). Also fills
 * *dense with the whole dense model simulated, and *simulated with the distinct linear
 * settings run. */
int sim_plan_cost(sim_session **session, const arch *eff, const map_options *opt,
                  const model *m, const plan *pl, const char *origin, plan_cost *out,
                  price_cost *dense, int64_t *simulated, heat_error *err);

#endif
