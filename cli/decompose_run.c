/* heat decompose: the evaluation of one weight (see decompose_run.h). */
#include "cli/decompose_run.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "common/heat_budget.h"
#include "common/heat_csv.h"

typedef struct row {
  wl_layer layer;
  double eps;
  wl_error_kind kind;
  int64_t macs, dense_macs;
  path p;
  tn_network net;
} row;

static int evaluate_macs(const wl_layer *l, int64_t tokens, path_precompute pre, row *r,
                         heat_error *err) {
  path_options opt;
  path_options_init(&opt);
  opt.precompute = pre;
  int rc = wl_layer_network(l, tokens, &r->net, err);
  if (!rc) rc = path_optimize(&r->net, &opt, &r->p, err);
  if (rc) return rc;
  r->macs = r->p.total_macs;
  r->dense_macs = tokens * wl_shape_rows(&l->shape) * wl_shape_cols(&l->shape);
  return HEAT_OK;
}

void decompose_print_csv_header(void) {
  printf("weights,tensor,format,shape,ranks,tokens,params,dense_params,compression,rel_error,"
         "error_kind,macs,dense_macs,stored_params,stored_compression,offline_steps\n");
}

static int64_t dense_params(const row *r) {
  return wl_shape_rows(&r->layer.shape) * wl_shape_cols(&r->layer.shape);
}

/* What the accelerator stores: the factors after pre-computation folded the weight-only steps
 * (a dense format stores its weight). */
static int64_t stored_params(const row *r) {
  return r->layer.format == WL_FORMAT_DENSE ? dense_params(r) : r->p.stored_params_after;
}

static void print_csv_row(const char *label, const char *tensor, const row *r, int64_t tokens) {
  char shape[WL_SHAPE_TEXT_MAX], ranks[128];
  wl_shape_format(&r->layer.shape, shape, sizeof shape);
  wl_layer_format_ranks(&r->layer, ranks, sizeof ranks);
  /* labels (synthetic(decay=...,seed=...)) and rank lists hold commas, file and tensor names
   * may hold anything: these columns are always quoted (RFC 4180) */
  heat_csv_field_quoted(stdout, label);
  printf(",");
  heat_csv_field_quoted(stdout, tensor);
  printf(",%s,%s,", wl_format_name(r->layer.format), shape);
  heat_csv_field_quoted(stdout, ranks);
  printf(",%lld,%lld,%lld,%.6g,%.9g,%s,%lld,%lld,%lld,%.6g,%zu\n", (long long)tokens,
         (long long)wl_layer_params(&r->layer), (long long)dense_params(r),
         wl_layer_compression(&r->layer), r->eps, wl_error_kind_name(r->kind), (long long)r->macs,
         (long long)r->dense_macs, (long long)stored_params(r),
         (double)stored_params(r) / (double)dense_params(r), r->p.n_precomputed);
}

static const char *method(wl_format f, int hooi) {
  switch (f) {
  case WL_FORMAT_DENSE: return "no factorization";
  case WL_FORMAT_SVD: return "truncated SVD";
  case WL_FORMAT_CP: return "CP-ALS, from W' rebuilt";
  case WL_FORMAT_TUCKER: return hooi ? "HOSVD + HOOI" : "HOSVD";
  case WL_FORMAT_TTM:
  case WL_FORMAT_TT: return "TT-SVD";
  }
  return "";
}

static void print_single(const char *label, const wl_matrix *w, const row *r, int64_t tokens,
                         const wl_factors *f, int hooi) {
  char shape[WL_SHAPE_TEXT_MAX], ranks[128];
  wl_shape_format(&r->layer.shape, shape, sizeof shape);
  wl_layer_format_ranks(&r->layer, ranks, sizeof ranks);
  printf("layer        %s %s ranks %s, weights %s (%lld x %lld, out x in)\n",
         wl_format_name(r->layer.format), shape, ranks, label, (long long)w->rows,
         (long long)w->cols);
  printf("params       %lld in the factors, %lld stored after pre-computation (dense %lld)\n",
         (long long)wl_layer_params(&r->layer), (long long)stored_params(r),
         (long long)(w->rows * w->cols));
  printf("compression  %.6g (stored / dense params; the factors: %.6g)\n",
         (double)stored_params(r) / (double)dense_params(r), wl_layer_compression(&r->layer));
  printf("rel_error    %.9g (%s: %s", r->eps, wl_error_kind_name(r->kind),
         method(r->layer.format, hooi));
  if (r->layer.format == WL_FORMAT_CP)
    printf(", %d sweeps, %s", f->iterations, f->converged ? "converged" : "stopped at --cp-iters");
  printf(")\n");
  printf("einsum       %s (t = %lld tokens; operand 0 is X, the rest static factors)\n",
         r->net.expr, (long long)tokens);
  printf("path         %s, %zu step%s (%zu pre-computed offline), largest intermediate %lld\n",
         r->p.exact ? "MAC-optimal, exact DP" : "greedy", r->p.n_steps,
         r->p.n_steps == 1 ? "" : "s", r->p.n_precomputed, (long long)r->p.largest_intermediate);
  for (size_t s = 0; s < r->p.n_steps; s++) {
    const path_step *st = &r->p.steps[s];
    printf("  %s%zu %s,%s->%s  B=%lld M=%lld N=%lld K=%lld  MACs %lld\n",
           s < r->p.n_precomputed ? "pre" : "step ", s, st->lhs_indices, st->rhs_indices,
           st->result_indices, (long long)st->B, (long long)st->M, (long long)st->N,
           (long long)st->K, (long long)st->macs);
  }
  printf("macs         %lld (dense %lld, ratio %.6g)\n", (long long)r->macs,
         (long long)r->dense_macs, (double)r->macs / (double)r->dense_macs);
}


int decompose_check_sweep(const decompose_job *job, heat_error *err) {
  for (size_t i = 0; i < job->n_sweep; i++) {
    wl_layer l = job->base;
    wl_layer_clip_ranks(&l, job->sweep[i]);
    if (wl_layer_check(&l, "--sweep-ranks", err)) {
      heat_error_prefix(err, "rank %lld", (long long)job->sweep[i]);
      return err->code;
    }
  }
  return HEAT_OK;
}

int decompose_check_memory(const decompose_job *job, int64_t M, int64_t N, heat_error *err) {
  const wl_layer *base = &job->base;
  bool fast = job->sweep && !job->exact && base->format != WL_FORMAT_CP &&
              base->format != WL_FORMAT_DENSE;
  double need = 0.0;
  wl_layer worst = *base;
  if (fast) {
    need = wl_spectra_bytes(base->format, &base->shape, M, N);
  } else if (!job->sweep) {
    need = wl_factorize_bytes(base, M, N);
  } else {
    for (size_t i = 0; i < job->n_sweep; i++) {
      wl_layer l = *base;
      wl_layer_clip_ranks(&l, job->sweep[i]);
      double b = wl_factorize_bytes(&l, M, N);
      if (b > need) {
        need = b;
        worst = l;
      }
    }
  }
  char shape[WL_SHAPE_TEXT_MAX], ranks[128], what[320];
  wl_shape_format(&worst.shape, shape, sizeof shape);
  wl_layer_format_ranks(&worst, ranks, sizeof ranks);
  if (fast)
    snprintf(what, sizeof what, "the %s sweep's unfolding spectra of %s", wl_format_name(worst.format),
             shape);
  else
    snprintf(what, sizeof what, "%s of %s at ranks %s", wl_format_name(worst.format), shape,
             ranks[0] ? ranks : "(none)");
  need += 8.0 * (double)M * (double)N; /* the weight itself, held throughout */
  return heat_budget_check(need, job->max_bytes, "--max-memory", what, err);
}

static int run_single(const decompose_job *job, const wl_matrix *w, const char *label,
                      const char *tensor, row *r, heat_error *err) {
  wl_factors f;
  r->layer = job->base;
  int rc = wl_factorize(w, &job->base, &job->fo, &f, err);
  if (rc) return rc;
  rc = evaluate_macs(&job->base, job->tokens, job->pre, r, err);
  if (!rc) {
    r->eps = f.rel_error;
    r->kind = WL_ERROR_EXACT;
    if (job->csv)
      print_csv_row(label, tensor, r, job->tokens);
    else
      print_single(label, w, r, job->tokens, &f, job->fo.hooi_sweeps);
  }
  wl_factors_free(&f);
  return rc;
}

static int run_sweep(const decompose_job *job, const wl_matrix *w, const char *label,
                     const char *tensor, row *r, heat_error *err) {
  const wl_layer *base = &job->base;
  bool fast = !job->exact && base->format != WL_FORMAT_CP && base->format != WL_FORMAT_DENSE;
  wl_spectra spectra = {.n = 0};
  if (fast && wl_spectra_compute(w, base->format, &base->shape, &spectra, err)) return err->code;
  if (!job->csv)
    printf("%-8s %-6s %-18s %-20s %12s %12s %12s %12s %-6s %14s %14s\n", "weights", "format",
           "shape", "ranks", "params", "stored", "compression", "rel_error", "kind", "macs",
           "dense_macs");
  int rc = HEAT_OK;
  for (size_t i = 0; i < job->n_sweep && !rc; i++) {
    r->layer = *base;
    wl_layer_clip_ranks(&r->layer, job->sweep[i]);
    if (fast) {
      rc = wl_spectra_error(&spectra, &r->layer, &r->eps, &r->kind, err);
    } else {
      wl_factors f;
      rc = wl_factorize(w, &r->layer, &job->fo, &f, err);
      if (!rc) {
        r->eps = f.rel_error;
        r->kind = WL_ERROR_EXACT;
        wl_factors_free(&f);
      }
    }
    if (!rc) rc = evaluate_macs(&r->layer, job->tokens, job->pre, r, err);
    if (rc) {
      heat_error_prefix(err, "rank %lld", (long long)job->sweep[i]);
      break;
    }
    if (job->csv) {
      print_csv_row(label, tensor, r, job->tokens);
    } else {
      char shape[WL_SHAPE_TEXT_MAX], ranks[128];
      wl_shape_format(&r->layer.shape, shape, sizeof shape);
      wl_layer_format_ranks(&r->layer, ranks, sizeof ranks);
      printf("%-8s %-6s %-18s %-20s %12lld %12lld %12.6g %12.6g %-6s %14lld %14lld\n",
             job->from_file ? "file" : "synthetic", wl_format_name(r->layer.format), shape, ranks,
             (long long)wl_layer_params(&r->layer), (long long)stored_params(r),
             (double)stored_params(r) / (double)dense_params(r), r->eps,
             wl_error_kind_name(r->kind), (long long)r->macs, (long long)r->dense_macs);
    }
  }
  if (!rc && !job->csv)
    printf("params: in the factors; stored: after pre-computation (--precompute %s), "
           "compression = stored / dense\n",
           path_precompute_name(job->pre));
  if (!rc && !job->csv)
    printf("weights: %s; kind bound = min(1, sqrt(sum of squared unfolding truncation "
           "errors))\n", label);
  wl_spectra_free(&spectra);
  return rc;
}

int decompose_run(const decompose_job *job, const wl_matrix *w, const char *label,
                  const char *tensor) {
  heat_error err;
  row *r = malloc(sizeof *r);
  if (!r) {
    heat_error_set(&err, HEAT_ENOMEM, "decompose", "out of memory");
    return cli_fail(&err);
  }
  int rc = job->sweep ? run_sweep(job, w, label, tensor, r, &err)
                      : run_single(job, w, label, tensor, r, &err);
  free(r);
  return rc ? cli_fail(&err) : 0;
}
