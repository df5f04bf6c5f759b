#include "cli/map_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "cli/cli.h"
#include "common/heat_parse.h"

int map_args_check(const char *cmd, const map_args *a) {
  if (!a->arch) return cli_usage_error(cmd, "--arch is required");
  if (a->plan && (a->gemm || a->layer || a->format || a->shape || a->ranks || a->path ||
                  a->precompute || a->no_fuse || a->no_cp_weights))
    return cli_usage_error(cmd, "--plan gives every linear's format, shape, ranks, path and "
                                "precompute: not with --gemm, --layer, --format, --shape, "
                                "--ranks, --path, --precompute, --no-fuse or --no-cp-weights");
  if (a->plan) return 0;
  if (!a->gemm == !a->model)
    return cli_usage_error(cmd, "give one of --gemm M,N,K or --model%s",
                           strcmp(cmd, "map") == 0 ? " (or --plan)" : "");
  if (a->gemm && (a->layer || a->format || a->shape || a->ranks || a->seq || a->path ||
                  a->precompute || a->no_fuse))
    return cli_usage_error(cmd, "--layer, --format, --shape, --ranks, --seq, --path, "
                                  "--precompute and --no-fuse need --model");
  if ((a->shape || a->ranks) && !a->format)
    return cli_usage_error(cmd, "--shape and --ranks need --format");
  return 0;
}

static int map_options_from_args(const map_args *g, const arch *a, map_options *opt,
                                 heat_error *err) {
  map_options_init(opt, a);
  opt->memory_stalls = !g->no_stalls;
  if (g->timing && map_timing_parse(g->timing, &opt->timing, err)) return err->code;
  /* SCALE-Sim's compute report is the cycle-minimal schedule: comparing with it means searching
   * for latency, unless the user asks for another objective. */
  if (g->timing && opt->timing == FOLD_TIMING_SCALESIM) opt->objective = MAP_OBJECTIVE_LATENCY;
  if (g->objective && map_objective_parse(g->objective, &opt->objective, err)) return err->code;
  if (g->array) {
    int64_t v[2];
    size_t n = 0;
    int rc = heat_parse_int64_list(g->array, 'x', 1, 65536, "--array", v, 2, &n, err);
    if (rc) return rc;
    if (n != 2)
      return heat_error_set(err, HEAT_EINVAL, "--array", "'%s' is not RxC (e.g. 32x32)", g->array);
    opt->array_rows_override = v[0];
    opt->array_cols_override = v[1];
  }
  if (g->dataflow) {
    arch_dataflow df;
    if (arch_dataflow_parse(g->dataflow, &df, err)) {
      snprintf(err->where, sizeof err->where, "--dataflow");
      return err->code;
    }
    opt->dataflows = 1u << df;
  }
  return map_options_check(opt, a, err);
}

static int map_layer_config(const map_args *g, layer_config *cfg, heat_error *err) {
  layer_config_init(cfg);
  if (g->layer && !g->layer[0])
    return heat_error_set(err, HEAT_EINVAL, "--layer",
                          "empty operation name; give a block operation (q, ffn1, softmax, ...) "
                          "or leave --layer out to price the whole model");
  if (g->layer) snprintf(cfg->only, sizeof cfg->only, "%s", g->layer);
  if (g->no_fuse) cfg->fuse = false;
  if (g->path) {
    if (strcmp(g->path, "mac") == 0) cfg->path_mode = LAYER_PATH_MACS;
    else if (strcmp(g->path, "hw") == 0) cfg->path_mode = LAYER_PATH_HARDWARE;
    else
      return heat_error_set(err, HEAT_EINVAL, "--path", "unknown path mode '%s'; allowed: mac, hw",
                            g->path);
  }
  if (g->precompute && path_precompute_parse(g->precompute, "--precompute", &cfg->precompute, err))
    return err->code;
  if (!g->format) return HEAT_OK;
  cfg->has_format = true;
  if (g->no_cp_weights) cfg->format.cp_weights = false;
  snprintf(cfg->target, sizeof cfg->target, "%s", g->layer ? g->layer : "all");
  int rc = wl_format_parse(g->format, "--format", &cfg->format.format, err);
  if (!rc && !g->shape && cfg->format.format != WL_FORMAT_DENSE &&
      cfg->format.format != WL_FORMAT_SVD)
    rc = heat_error_set(err, HEAT_EINVAL, "--shape",
                        "--format %s needs --shape OUT:IN (a tensorized shape such as "
                        "12x16x16:8x8x12 for a 3072 x 768 weight)",
                        g->format);
  if (!rc && g->shape) rc = wl_shape_parse(g->shape, "--shape", &cfg->format.shape, err);
  if (!rc && g->ranks)
    rc = heat_parse_int64_list(g->ranks, ',', 1, (int64_t)1 << 20, "--ranks", cfg->format.rank,
                               WL_MAX_RANKS, &cfg->format.n_ranks, err);
  return rc;
}

int map_args_arch(const map_args *g, arch *a, map_options *opt, arch *eff, heat_error *err) {
  if (arch_resolve(g->arch, a, err) || map_options_from_args(g, a, opt, err)) return err->code;
  map_effective_arch(a, opt, eff);
  return HEAT_OK;
}

int map_price_args(const map_args *gp, map_priced *out, heat_error *errp) {
  const map_args g = *gp;
  memset(out, 0, sizeof *out);
  arch *const a_ = &out->a;
  if (arch_resolve(g.arch, a_, errp)) return errp->code;
  map_options *const opt_ = &out->opt;
  if (map_options_from_args(&g, a_, opt_, errp)) return errp->code;
  map_effective_arch(a_, opt_, &out->eff);
  map_workspace *w = map_workspace_alloc();
  if (!w) {
    heat_error_set(errp, HEAT_ENOMEM, "map", "out of memory for the mapper workspace");
    return errp->code;
  }
  static layer_report rep;
  static layer_item single;
  const layer_item *items = &single;
  size_t n = 1;
  const layer_report *model_rep = NULL;
  model *const m_ = &out->m;
  int rc = HEAT_OK;
  if (g.gemm) {
    int64_t mnk[3], b = 1;
    size_t k = 0;
    rc = heat_parse_int64_list(g.gemm, ',', 1, (int64_t)1 << 24, "--gemm", mnk, 3, &k, errp);
    if (!rc && k != 3)
      rc = heat_error_set(errp, HEAT_EINVAL, "--gemm", "'%s' is not M,N,K (three sizes)", g.gemm);
    if (!rc && g.batch) rc = heat_parse_int64(g.batch, 1, (int64_t)1 << 20, "--batch", &b, errp);
    if (!rc) {
      memset(&single, 0, sizeof single);
      snprintf(single.name, sizeof single.name, "gemm");
      single.count = single.repeat = 1;
      map_problem_gemm(&single.problem, b, mnk[0], mnk[2], mnk[1]);
      rc = map_search(a_, &single.problem, opt_, w, &single.result, errp);
    }
  } else {
    layer_config cfg;
    rc = model_resolve(g.model, m_, errp);
    int64_t v;
    if (!rc && g.seq && !(rc = heat_parse_int64(g.seq, 1, INT32_MAX, "--seq", &v, errp)))
      rc = model_set_seq(m_, v, "--seq", errp);
    if (!rc && g.batch && !(rc = heat_parse_int64(g.batch, 1, INT32_MAX, "--batch", &v, errp)))
      rc = model_set_batch(m_, v, "--batch", errp);
    if (!rc) rc = map_layer_config(&g, &cfg, errp);
    out->precompute = cfg.precompute;
    if (!rc) rc = layer_price_model(a_, m_, &cfg, opt_, w, &rep, errp);
    items = rep.items;
    n = rep.n_items;
    model_rep = g.layer ? NULL : &rep;
  }
  map_workspace_free(w);
  if (rc == HEAT_ERANGE && strcmp(errp->where, MAP_SIZE_WHERE) == 0) {
    /* Name the option that made the step too large. */
    const char *opt_name = g.model ? (g.batch ? "--batch" : g.seq ? "--seq" : "--model")
                                   : (single.problem.dim[0] > 1 ? "--batch" : "--gemm");
    if (g.gemm && single.problem.dim[0] > 1) {
      map_problem one = single.problem;
      one.dim[0] = 1;
      heat_error e2;
      if (map_problem_check(&one, &e2)) opt_name = "--gemm";
    }
    snprintf(errp->where, sizeof errp->where, "%s", opt_name);
  }
  if (rc) return errp->code;
  out->items = items;
  out->n = n;
  out->model_rep = model_rep;
  out->rep = g.model ? &rep : NULL;
  out->saved_dram_bytes = g.model ? rep.saved_dram_bytes : -1;
  return HEAT_OK;
}
