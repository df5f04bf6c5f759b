#include "mapper/mapspace.h"

#include "mapper/mapspace_units.h"

#include <stdlib.h>
#include <string.h>

static const char *const map__op_label[MAP_OPS] = {"input", "weight", "output"};

map_workspace *map_workspace_alloc(void) { return calloc(1, sizeof(map_workspace)); }

void map_workspace_free(map_workspace *w) { free(w); }

static int map__insert_sorted(int64_t *v, int n, int cap, int64_t x) {
  int i = 0;
  while (i < n && v[i] < x) i++;
  if (i < n && v[i] == x) return n;
  if (n == cap) return n;
  memmove(v + i + 1, v + i, (size_t)(n - i) * sizeof *v);
  v[i] = x;
  return n + 1;
}

int map_tile_candidates(int64_t dim, int64_t unit, int64_t *out, int cap) {
  int n = 0;
  if (dim <= unit) return map__insert_sorted(out, n, cap, dim);
  for (int64_t t = unit; t < dim; t *= 2) n = map__insert_sorted(out, n, cap, t);
  /* Even splits waste less on the remainder tile than the power-of-two ladder. */
  for (int64_t parts = 2; parts <= dim / unit; parts *= 2) {
    int64_t t = (dim + parts - 1) / parts;
    t = (t + unit - 1) / unit * unit;
    if (t < dim) n = map__insert_sorted(out, n, cap, t);
  }
  return map__insert_sorted(out, n, cap, dim);
}

static const int map__orders[6][3] = {
    {MAP_DIM_M, MAP_DIM_N, MAP_DIM_K}, {MAP_DIM_N, MAP_DIM_M, MAP_DIM_K},
    {MAP_DIM_M, MAP_DIM_K, MAP_DIM_N}, {MAP_DIM_K, MAP_DIM_M, MAP_DIM_N},
    {MAP_DIM_N, MAP_DIM_K, MAP_DIM_M}, {MAP_DIM_K, MAP_DIM_N, MAP_DIM_M},
};

/* Operand-to-buffer assignments allowed by the buffers' operand masks. */
typedef struct map__assign {
  int n;
  int buf[ARCH_MAX_BUFFERS * ARCH_MAX_BUFFERS * ARCH_MAX_BUFFERS][MAP_OPS];
} map__assign;

static int map__assignments(const arch *a, const map_problem *p, map__assign *as,
                            heat_error *err) {
  int choices[MAP_OPS][ARCH_MAX_BUFFERS], nch[MAP_OPS];
  for (int op = 0; op < MAP_OPS; op++) {
    nch[op] = 0;
    for (size_t j = 0; j < a->n_buffers && j < ARCH_MAX_BUFFERS; j++)
      if ((a->buffers[j].operands & (1u << op)) && (!p->buffers[op] || (p->buffers[op] & (1u << j))))
        choices[op][nch[op]++] = (int)j;
    if (nch[op] == 0)
      return heat_error_set(err, HEAT_ENOFIT, a->name,
                            "no buffer of arch '%s' may hold the %s operand (check the buffers' "
                            "operand lists)",
                            a->name, map__op_label[op]);
  }
  as->n = 0;
  for (int i = 0; i < nch[0]; i++)
    for (int w = 0; w < nch[1]; w++)
      for (int o = 0; o < nch[2]; o++) {
        as->buf[as->n][0] = choices[0][i];
        as->buf[as->n][1] = choices[1][w];
        as->buf[as->n][2] = choices[2][o];
        as->n++;
      }
  return HEAT_OK;
}

static inline bool map__fits(const arch *a, const int *buf, const double *fp) {
  double need[ARCH_MAX_BUFFERS];
  for (int op = 0; op < MAP_OPS; op++) need[buf[op]] = 0;
  for (int op = 0; op < MAP_OPS; op++) need[buf[op]] += fp[op];
  for (int op = 0; op < MAP_OPS; op++)
    if (need[buf[op]] > map__usable(&a->buffers[buf[op]])) return false;
  return true;
}

/* Orders whose iterating loops come in the same sequence price the same: keep the first. */
static int map__distinct_orders(const map_problem *p, const int64_t *tile, int *keep) {
  int seqs[6][3], lens[6], n = 0;
  for (int o = 0; o < 6; o++) {
    int len = 0;
    for (int i = 0; i < 3; i++) {
      int d = map__orders[o][i];
      if (p->dim[d] > tile[d]) seqs[o][len++] = d;
    }
    lens[o] = len;
    bool dup = false;
    for (int e = 0; e < n && !dup; e++) {
      int q = keep[e];
      dup = lens[q] == len && memcmp(seqs[q], seqs[o], (size_t)len * sizeof(int)) == 0;
    }
    if (!dup) keep[n++] = o;
  }
  return n;
}

static int map__no_fit_error(const arch *a, const map_problem *p, const map_options *opt,
                             const map__assign *as, heat_error *err) {
  /* Report the assignment whose worst buffer overflows least, for the first dataflow. */
  int64_t tile[MAP_DIMS] = {1, 1, 1, 1};
  map__config cfg[MAP_MAX_CONFIGS];
  if (map__array_configs(a, p, opt, cfg) > 0) {
    int64_t tmp[MAP_MAX_CANDIDATES];
    for (int d = 0; d < MAP_DIMS; d++) {
      map_tile_candidates(p->dim[d], cfg[0].extent[d], tmp, MAP_MAX_CANDIDATES);
      tile[d] = tmp[0];
    }
  }
  double fp[MAP_OPS];
  map__footprint(a, p, tile, fp);
  double best_ratio = 0;
  int best_buf = 0;
  double best_need = 0;
  for (int i = 0; i < as->n; i++) {
    double need[ARCH_MAX_BUFFERS] = {0}, worst = 0;
    int wb = 0;
    for (int op = 0; op < MAP_OPS; op++) need[as->buf[i][op]] += fp[op];
    for (size_t j = 0; j < a->n_buffers; j++) {
      double r = need[j] / map__usable(&a->buffers[j]);
      if (r > worst) {
        worst = r;
        wb = (int)j;
      }
    }
    if (i == 0 || worst < best_ratio) {
      best_ratio = worst;
      best_buf = wb;
      best_need = need[wb];
    }
  }
  const arch_buffer *b = &a->buffers[best_buf];
  return heat_error_set(
      err, HEAT_ENOFIT, b->name,
      "buffer '%s' of arch '%s' cannot hold the smallest tile of this step: it needs %.0f bytes "
      "(tile B x M x K x N = %lld x %lld x %lld x %lld: input %.0f, weight %.0f, output %.0f at "
      "%d-bit partial sums), the buffer has %.0f usable%s",
      b->name, a->name, best_need, (long long)tile[0], (long long)tile[1], (long long)tile[2],
      (long long)tile[3], fp[0], fp[1], fp[2], a->accum_bits, map__usable(b),
      b->double_buffered ? " (half of its size: double-buffered)" : "");
}

/* Every tiling, buffer assignment and loop order of one compute configuration; keeps the best
 * in out (*found says whether out holds one). */
static void map__search_config(const arch *a, const map_problem *p, const map_options *opt,
                               const map__config *cfg, const map__assign *as, map_workspace *w,
                               map_result *out, bool *found) {
  map_cost cost;
  map_mapping m;
  memset(&m, 0, sizeof m);
  m.unit = cfg->unit;
  m.dataflow = cfg->dataflow;
  m.batch_pack = cfg->pack;
  for (int d = 0; d < MAP_DIMS; d++)
    w->ncand[d] = map_tile_candidates(p->dim[d], cfg->extent[d], w->cand[d], MAP_MAX_CANDIDATES);
  for (int ib = 0; ib < w->ncand[0]; ib++)
    for (int im = 0; im < w->ncand[1]; im++)
      for (int ik = 0; ik < w->ncand[2]; ik++)
        for (int in = 0; in < w->ncand[3]; in++) {
          m.tile[0] = w->cand[0][ib];
          m.tile[1] = w->cand[1][im];
          m.tile[2] = w->cand[2][ik];
          m.tile[3] = w->cand[3][in];
          double fp[MAP_OPS];
          map__footprint(a, p, m.tile, fp);
          int fits[ARCH_MAX_BUFFERS * ARCH_MAX_BUFFERS * ARCH_MAX_BUFFERS], nfit = 0;
          for (int i = 0; i < as->n; i++)
            if (map__fits(a, as->buf[i], fp)) fits[nfit++] = i;
          if (nfit == 0) {
            /* Footprints grow with every tile size: larger N tiles cannot fit either. */
            out->rejected += w->ncand[3] - in;
            break;
          }
          map__compute c;
          map__config_compute(a, opt, cfg, p->dim, m.tile, &c);
          int keep[6];
          int norders = map__distinct_orders(p, m.tile, keep);
          for (int f = 0; f < nfit; f++) {
            memcpy(m.buffer, as->buf[fits[f]], sizeof m.buffer);
            for (int o = 0; o < norders; o++) {
              memcpy(m.order, map__orders[keep[o]], sizeof m.order);
              map__memory_eval(a, p, opt, &m, &c, &cost);
              out->evaluated++;
              if (!*found || map_cost_better(opt->objective, &cost, &out->cost)) {
                *found = true;
                out->mapping = m;
                out->cost = cost;
              }
            }
          }
        }
}

int map_search(const arch *arch_in, const map_problem *p, const map_options *opt,
               map_workspace *w, map_result *out, heat_error *err) {
  int rc = map_options_check(opt, arch_in, err);
  if (rc) return rc;
  rc = map_problem_check(p, err);
  if (rc) return rc;
  arch a;
  map_effective_arch(arch_in, opt, &a);
  map__assign as;
  rc = map__assignments(&a, p, &as, err);
  if (rc) return rc;

  memset(out, 0, sizeof *out);
  bool found = false;
  map__config cfg[MAP_MAX_CONFIGS];
  int ncfg = map__array_configs(&a, p, opt, cfg);
  for (int i = 0; i < ncfg; i++) map__search_config(&a, p, opt, &cfg[i], &as, w, out, &found);
  if (map__simd_worth(&a, p, opt, found ? &out->cost : NULL)) {
    map__config simd;
    map__simd_config(&simd);
    map__search_config(&a, p, opt, &simd, &as, w, out, &found);
  }
  if (!found) return map__no_fit_error(&a, p, opt, &as, err);
  return HEAT_OK;
}
