/* heat search: the summary's plans (dense, baselines, searched) run on the cycle-level model,
 * beside the analytical latency that chose them (search_out.h). Only those plans: the level-2
 * points are priced analytically, a simulation of each would cost ~0.1 s per distinct linear. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/search_out.h"
#include "cli/sim_plan.h"

static void search_sim_why(search_row *row, const heat_error *err) {
  row->simulated = false;
  snprintf(row->sim_why, sizeof row->sim_why, "%.200s%s%.500s", err->where,
           err->where[0] ? ": " : "", err->msg);
}

void search_simulate(search_run *r) {
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  heat_error err;
  memset(&err, 0, sizeof err);
  sim_session *session = NULL;
  map_workspace *w = map_workspace_alloc();
  layer_report *rep = malloc(sizeof *rep);
  pricer p;
  int rc = (!w || !rep) ? heat_error_set(&err, HEAT_ENOMEM, "sim", "out of memory") : HEAT_OK;
  if (!rc) rc = sim_plan_pricer_init(&session, &r->eff, &r->opt, &r->m, w, rep, &p, &err);
  for (size_t i = 0; i < r->n_rows; i++) {
    search_row *row = r->rows[i];
    if (rc) {
      search_sim_why(row, &err); /* the dense parts cannot run: no plan can */
      continue;
    }
    heat_error rerr;
    memset(&rerr, 0, sizeof rerr);
    int64_t simulated = 0;
    plan_cost *pc = malloc(sizeof *pc);
    int prc = pc ? sim_plan_price(&session, &r->eff, &r->opt, &r->m, w, rep, &p, &row->pl, pc,
                                  &simulated, &rerr)
                 : heat_error_set(&rerr, HEAT_ENOMEM, "sim", "out of memory");
    if (prc) {
      search_sim_why(row, &rerr);
    } else {
      row->simulated = true;
      row->sim_latency_s = pc->total.latency_s;
      row->sim_energy_j = pc->total.energy_j;
      r->sim_linears += simulated;
    }
    free(pc);
  }
  if (!rc) pricer_free(&p);
  sim_session_free(session);
  map_workspace_free(w);
  free(rep);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  r->sim_seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
  r->sim_ran = true;
}
