/* Budgets nothing satisfies (see budget.h). */
#include "search/budget.h"

#include <math.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>

void s2_space_bounds(const s2_space *s, s2_bounds *out) {
  const pricer *p = s->p;
  double params = (double)s->dense_params, lat = s->dense_latency, en = s->dense_energy;
  for (size_t k = 0; k < s->n_weights; k++) {
    int r = (int)(k % PLAN_ROLES);
    double dp = 0, dl = 0, de = 0; /* dense: no change */
    for (size_t i = 1; i < s->n_choices[k]; i++) {
      const l1_point *pt = &s->l1->pts[s->choices[k][i]];
      double xp = (double)(pt->params - p->role_out[r] * p->role_in[r]);
      double xl = pt->cost.latency_s - p->dense_linear[r].latency_s;
      double xe = pt->cost.energy_j - p->dense_linear[r].energy_j;
      dp = xp < dp ? xp : dp;
      dl = xl < dl ? xl : dl;
      de = xe < de ? xe : de;
    }
    params += dp;
    lat += dl;
    en += de;
  }
  *out = (s2_bounds){params, lat, en};
}


void s2_quantity_text(double v, const char *unit, char *buf, size_t cap) {
  if (!unit) {
    if (v >= 1e9) snprintf(buf, cap, "%.4gG", v / 1e9);
    else if (v >= 1e6) snprintf(buf, cap, "%.4gM", v / 1e6);
    else if (v >= 1e3) snprintf(buf, cap, "%.4gK", v / 1e3);
    else snprintf(buf, cap, "%.4g", v);
    return;
  }
  if (v >= 1) snprintf(buf, cap, "%.4g %s", v, unit);
  else if (v >= 1e-3) snprintf(buf, cap, "%.4g m%s", v * 1e3, unit);
  else if (v >= 1e-6) snprintf(buf, cap, "%.4g u%s", v * 1e6, unit);
  else snprintf(buf, cap, "%.4g n%s", v * 1e9, unit);
}

int s2_budgets_reachable(const s2_config *c, const s2_space *spaces, const char *const *labels,
                         size_t n, heat_error *err) {
  static const struct { const char *opt, *what, *unit; size_t at; } b[] = {
      {"--max-params", "parameters", NULL, offsetof(s2_bounds, params)},
      {"--max-latency", "latency", "s", offsetof(s2_bounds, latency_s)},
      {"--max-energy", "energy", "J", offsetof(s2_bounds, energy_j)},
  };
  const double budget[] = {c->max_params, c->max_latency_s, c->max_energy_j};
  for (size_t k = 0; k < 3; k++) {
    if (budget[k] <= 0 || n == 0) continue;
    double best = INFINITY;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
      s2_bounds bd;
      s2_space_bounds(&spaces[i], &bd);
      double v = *(const double *)((const char *)&bd + b[k].at);
      if (v < best) {
        best = v;
        at = i;
      }
    }
    if (best <= budget[k]) continue;
    char want[32], got[32];
    s2_quantity_text(budget[k], b[k].unit, want, sizeof want);
    s2_quantity_text(best, b[k].unit, got, sizeof got);
    return heat_error_set(err, HEAT_EINVAL, b[k].opt,
                          "no plan has %s <= %s: the closest is the %s plan with every weight "
                          "at its setting of least %s, %s (%.3gx the budget); raise the budget, "
                          "or allow more formats or ranks",
                          b[k].what, want, labels[at], b[k].what, got, best / budget[k]);
  }
  return HEAT_OK;
}

bool s2_budget_misses(const s2_config *c, const s2_eval *e, char *buf, size_t cap) {
  buf[0] = '\0';
  size_t len = 0;
  struct { const char *opt, *what, *unit; double value, budget; } b[] = {
      {"--max-error", "mean eps", "", e->eps_mean, c->max_error},
      {"--max-params", "params", NULL, (double)e->params, c->max_params},
      {"--max-latency", "latency", "s", e->latency_s, c->max_latency_s},
      {"--max-energy", "energy", "J", e->energy_j, c->max_energy_j},
  };
  bool missed = false;
  for (size_t k = 0; k < 4; k++) {
    if (b[k].budget <= 0 || b[k].value <= b[k].budget) continue;
    char v[32], w[32];
    if (b[k].unit && !b[k].unit[0]) {
      snprintf(v, sizeof v, "%.4g", b[k].value);
      snprintf(w, sizeof w, "%.4g", b[k].budget);
    } else {
      s2_quantity_text(b[k].value, b[k].unit, v, sizeof v);
      s2_quantity_text(b[k].budget, b[k].unit, w, sizeof w);
    }
    len += (size_t)snprintf(buf + len, len < cap ? cap - len : 0, "%s%s %s = %.3gx %s %s",
                            missed ? "; " : "", b[k].what, v, b[k].value / b[k].budget, b[k].opt,
                            w);
    missed = true;
    if (len >= cap) break;
  }
  return missed;
}
