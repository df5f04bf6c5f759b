#include "mapper/fuse.h"

#include "mapper/flow.h"

#include <stdlib.h>
#include <string.h>

/* Buffers that may hold the intermediate both as the producer's output and in `role`. */
static unsigned fuse__buffers(const arch *a, int role) {
  unsigned mask = 0;
  for (size_t j = 0; j < a->n_buffers; j++) {
    unsigned ops = a->buffers[j].operands;
    if ((ops & ARCH_OPERAND_OUTPUT) && (ops & (1u << role))) mask |= 1u << j;
  }
  return mask;
}

/* Extent of a GEMM dimension (its index letters) with the token index cut into `tiles`. */
static int64_t fuse__extent(const tn_network *net, const char *letters, char token, int64_t tiles) {
  int64_t e = 1;
  for (const char *c = letters; *c; c++) {
    int64_t s = net->size[(unsigned char)*c];
    e *= *c == token ? (s + tiles - 1) / tiles : s;
  }
  return e;
}

static bool fuse__consumes(const path_step *next, const path_step *s, int *which) {
  if (next->lhs == s->result) *which = 0;
  else if (next->rhs == s->result) *which = 1;
  else return false;
  return true;
}

/* The chain's own input and output where `io` keeps them: a dynamic network operand in the
 * activation buffer when that buffer may hold it in the role the step reads it in (else it is
 * read from DRAM), and the last step's result. */
static void fuse__io(const tn_network *net, const path_step *st, const fuse_io *io,
                     const arch *a, int lrole, int rrole, bool last, map_problem *p) {
  if (!io) return;
  int ids[2] = {st->lhs, st->rhs}, roles[2] = {lrole, rrole};
  for (int k = 0; k < 2 && io->input_on_chip; k++) {
    if (ids[k] < 0 || (size_t)ids[k] >= net->n_operands || net->is_static[ids[k]]) continue;
    unsigned mask = 0;
    for (size_t j = 0; j < a->n_buffers; j++)
      if ((io->buffers & (1u << j)) && (a->buffers[j].operands & (1u << roles[k])))
        mask |= 1u << j;
    if (!mask) continue;
    p->on_chip[roles[k]] = true;
    p->buffers[roles[k]] = mask;
  }
  if (last) p->epilogue_cycles = io->output_epilogue_cycles;
  if (last && io->output_on_chip) {
    p->on_chip[MAP_OP_OUTPUT] = true;
    p->buffers[MAP_OP_OUTPUT] = io->buffers;
  }
}

/* The step of [i..j] whose result is operand `id`, or -1. */
static long fuse__producer(const path *pth, size_t i, size_t j, int id) {
  for (size_t q = i; q <= j; q++)
    if (pth->steps[q].result == id) return (long)q;
  return -1;
}

/* The step of [i..j] that reads step s's result and in which role (0 lhs, 1 rhs), or -1. */
static long fuse__consumer(const path *pth, size_t s, size_t j, int *which) {
  for (size_t q = s + 1; q <= j; q++)
    if (fuse__consumes(&pth->steps[q], &pth->steps[s], which)) return (long)q;
  return -1;
}

/* A weight-only step (both operands static) does not depend on the tokens: in a group it runs
 * once, before the token loop, and a result a later step of the group reads stays on chip for
 * the whole loop (MAPPING.md, "Fused chains"). */
static bool fuse__weight_only(const path_step *st) { return st->lhs_static && st->rhs_static; }

/* Bytes a weight-only step's result occupies while it stays on chip. */
static double fuse__resident_bytes(const arch *a, const path_step *st) {
  int bits = a->input_bits > a->weight_bits ? a->input_bits : a->weight_bits;
  return (double)(st->B * st->M * st->N) * bits / 8.0;
}

/* Prices steps [i..j] as one group cut into `tiles` token tiles. A step's operand produced in
 * the group, and its result read in the group, stay on chip; weight-only steps run once and
 * their kept results are reserved beside every other step's tiles. HEAT_ENOFIT: does not
 * fit. */
static int fuse__group(const tn_network *net, const path *pth, size_t i, size_t j, char token,
                       int64_t tiles, const fuse_io *io, const arch *a, const map_options *opt,
                       map_workspace *w, fuse_step *steps, hwpath_totals *tot, heat_error *err) {
  memset(tot, 0, sizeof *tot);
  double resident[TN_MAX_OPERANDS] = {0}, resident_total = 0;
  for (size_t s = i; s <= j; s++) {
    int which;
    if (fuse__weight_only(&pth->steps[s]) && fuse__consumer(pth, s, j, &which) >= 0) {
      resident[s - i] = fuse__resident_bytes(a, &pth->steps[s]);
      resident_total += resident[s - i];
    }
  }
  for (size_t s = i; s <= j; s++) {
    const path_step *st = &pth->steps[s];
    fuse_step *fs = &steps[s - i];
    int lrole, rrole;
    hwpath_problem(net, st, &fs->problem, &lrole, &rrole);
    bool transposed = lrole == MAP_OP_WEIGHT;
    int64_t runs = fuse__weight_only(st) ? 1 : tiles;
    map_problem *p = &fs->problem;
    p->dim[MAP_DIM_B] = fuse__extent(net, st->batch, token, runs);
    p->dim[MAP_DIM_M] = fuse__extent(net, transposed ? st->n : st->m, token, runs);
    p->dim[MAP_DIM_K] = fuse__extent(net, st->k, token, runs);
    p->dim[MAP_DIM_N] = fuse__extent(net, transposed ? st->m : st->n, token, runs);
    /* Kept results of weight-only steps other than this step's own operands and result. */
    double reserved = resident_total - resident[s - i];
    int ids[2] = {st->lhs, st->rhs}, roles[2] = {lrole, rrole};
    for (int k = 0; k < 2; k++) {
      long q = s > i ? fuse__producer(pth, i, s - 1, ids[k]) : -1;
      if (q < 0) continue;
      p->on_chip[roles[k]] = true;
      p->buffers[roles[k]] = fuse__buffers(a, roles[k]);
      reserved -= resident[(size_t)q - i];
    }
    /* Its result feeds a later step: requantized in its output epilogue (a tile stage). */
    bool inner = s + 1 < pth->n_steps;
    if (inner) p->epilogue_cycles = flow_requant_cycles(a);
    fuse__io(net, st, io, a, lrole, rrole, !inner, p);
    fs->output_on_chip = false;
    int which;
    long c = fuse__consumer(pth, s, j, &which);
    if (c >= 0) {
      int nl, nr;
      map_problem np;
      hwpath_problem(net, &pth->steps[c], &np, &nl, &nr);
      p->on_chip[MAP_OP_OUTPUT] = true;
      p->buffers[MAP_OP_OUTPUT] = fuse__buffers(a, which == 0 ? nl : nr);
      fs->output_on_chip = true;
    }
    if (reserved > 0) {
      p->reserved_bytes = reserved;
      p->reserved_buffers = fuse__buffers(a, MAP_OP_WEIGHT) | fuse__buffers(a, MAP_OP_INPUT);
    }
    for (int op = 0; op < MAP_OPS; op++)
      if (p->on_chip[op] && !p->buffers[op])
        return heat_error_set(err, HEAT_ENOFIT, "fuse", "no buffer holds outputs and inputs");
    int rc = map_search(a, p, opt, w, &fs->result, err);
    if (rc) return rc;
    fs->gemm_cost = fs->result.cost;
    double elements =
        (double)p->dim[MAP_DIM_B] * (double)p->dim[MAP_DIM_M] * (double)p->dim[MAP_DIM_N];
    fs->requant = inner && flow_requant(a, elements, (double)runs, opt->memory_stalls,
                                        &fs->result.cost);
    fs->token_tiles = runs;
    hwpath_totals_add(tot, &fs->result.cost, (double)runs, fs->result.evaluated);
  }
  return HEAT_OK;
}

/* The chain's objective with steps [first..s] priced as `upto` (closed groups and the open
 * one) and every later step alone. */
static double fuse__chain_value(const map_options *opt, const hwpath_totals *upto,
                                const hwpath_totals *single, size_t s, size_t n) {
  hwpath_totals t = *upto;
  for (size_t q = s + 1; q < n; q++) hwpath_totals_join(&t, &single[q]);
  return hwpath_totals_value(opt->objective, &t);
}

/* Grows fusion groups greedily: [g..s-1] fused plus step s, at the token tiling that costs
 * least. A configuration is compared on the whole chain (an EDP is not a sum over groups).
 * trial and best are scratch of TN_MAX_OPERANDS steps each. */
/* True when step s reads a result of a step in [g..s-1]. */
static bool fuse__joins(const path *pth, size_t g, size_t s) {
  const path_step *st = &pth->steps[s];
  return fuse__producer(pth, g, s - 1, st->lhs) >= 0 || fuse__producer(pth, g, s - 1, st->rhs) >= 0;
}

static int fuse__grow(const tn_network *net, const path *pth, size_t first, char token,
                      int64_t max_tiles, const fuse_io *io, const arch *a,
                      const map_options *opt, map_workspace *w, const hwpath_totals *single,
                      fuse_step *trial, fuse_step *best, fuse_result *out, heat_error *err) {
  size_t g = first, n = pth->n_steps;
  hwpath_totals group = first < n ? single[first] : out->unfused;
  hwpath_totals unfused_group = group;
  for (size_t s = first + 1; s <= n; s++) {
    bool extended = false;
    /* The candidate: [g..end]. A weight-only step that reads nothing of the group joins it
     * together with the next step when that one reads the group's chain (CP: s2, a weight-only
     * s3, then s4 reading both). */
    size_t end = s;
    bool candidate = s < n && fuse__joins(pth, g, s);
    if (!candidate && s + 1 < n && fuse__weight_only(&pth->steps[s]) && fuse__joins(pth, g, s + 1)) {
      candidate = true;
      end = s + 1;
    }
    if (candidate) {
      hwpath_totals base = out->chosen, unf = unfused_group;
      hwpath_totals_join(&base, &group);
      for (size_t q = s; q <= end; q++) {
        hwpath_totals_join(&base, &single[q]);
        hwpath_totals_join(&unf, &single[q]);
      }
      double base_value = fuse__chain_value(opt, &base, single, end, n), best_value = 0;
      hwpath_totals best_tot;
      bool found = false;
      for (int64_t tiles = 1; tiles <= max_tiles; tiles *= 2) {
        hwpath_totals tot;
        int rc = fuse__group(net, pth, g, end, token, tiles, io, a, opt, w, trial, &tot, err);
        if (rc == HEAT_ENOFIT) continue;
        if (rc) return rc;
        if (tot.dram_bytes > unf.dram_bytes) continue;
        hwpath_totals upto = out->chosen;
        hwpath_totals_join(&upto, &tot);
        double v = fuse__chain_value(opt, &upto, single, end, n);
        if (v > base_value || (found && v >= best_value)) continue;
        found = true;
        best_value = v;
        best_tot = tot;
        memcpy(best, trial, (end - g + 1) * sizeof *trial);
      }
      if (found) {
        group = best_tot;
        unfused_group = unf;
        for (size_t q = g; q <= end; q++) {
          out->step[q] = best[q - g];
          out->step[q].group = (int)g;
        }
        extended = true;
        s = end;
      }
    }
    if (!extended) {
      hwpath_totals_join(&out->chosen, &group);
      if (s - g > 1) out->fused_groups++;
      if (s < n) {
        g = s;
        group = single[s];
        unfused_group = single[s];
      }
    }
  }
  return HEAT_OK;
}

int fuse_path(const tn_network *net, const path *pth, char token, const arch *a,
              const map_options *opt, map_workspace *w, fuse_result *out, heat_error *err) {
  return fuse_path_io(net, pth, token, NULL, a, opt, w, out, err);
}

int fuse_path_io(const tn_network *net, const path *pth, char token, const fuse_io *io,
                 const arch *a, const map_options *opt, map_workspace *w, fuse_result *out,
                 heat_error *err) {
  memset(out, 0, sizeof *out);
  out->n_steps = pth->n_steps;
  size_t first = pth->n_precomputed;
  int64_t max_tiles = 1;
  if (token && net->size[(unsigned char)token] > 1) {
    max_tiles = net->size[(unsigned char)token];
    if (max_tiles > FUSE_MAX_TOKEN_TILES) max_tiles = FUSE_MAX_TOKEN_TILES;
  }
  /* Unfused: every step on its own, through DRAM. */
  hwpath_totals single[TN_MAX_OPERANDS];
  for (size_t s = first; s < pth->n_steps; s++) {
    int rc = fuse__group(net, pth, s, s, token, 1, io, a, opt, w, &out->step[s], &single[s], err);
    if (rc) {
      heat_error_prefix(err, "path step %zu", s + 1);
      return rc;
    }
    out->step[s].group = (int)s;
    hwpath_totals_join(&out->unfused, &single[s]);
  }
  memcpy(out->single, out->step, sizeof out->single);
  if (io && io->no_fuse) {
    out->chosen = out->unfused;
    return HEAT_OK;
  }
  /* Large scratch (two path-lengths of steps): on the heap, not the stack or hidden statics. */
  fuse_step *trial = malloc(2 * TN_MAX_OPERANDS * sizeof *trial);
  if (!trial) return heat_error_set(err, HEAT_ENOMEM, "fuse", "out of memory");
  int rc = fuse__grow(net, pth, first, token, max_tiles, io, a, opt, w, single, trial,
                      trial + TN_MAX_OPERANDS, out, err);
  free(trial);
  if (rc) return rc;
  out->saved_dram_bytes = out->unfused.dram_bytes - out->chosen.dram_bytes;
  return HEAT_OK;
}
