/* heat decompose --plan: every weight of a checkpoint factorized as a plan says (see
 * decompose_plan.h). */
#include "cli/decompose_plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/heat_csv.h"
#include "mapper/einsum.h"
#include "search/plan.h"
#include "workloads/weights.h"

/* The checkpoint's tensor for (layer, role): the Hugging Face BERT name with or without its
 * "bert." prefix. Returns its index or -1 (expected holds the full name). */
static long dp_find(const wl_tensor_info *t, size_t n, int layer, int role, char *expected,
                    size_t cap) {
  wl_bert_weight_name(layer, (wl_bert_role)role, expected, cap);
  const char *bare = expected + strlen("bert.");
  for (size_t i = 0; i < n; i++)
    if (strcmp(t[i].name, expected) == 0 || strcmp(t[i].name, bare) == 0) return (long)i;
  return -1;
}

/* The weight's own einsum, factors -> W reshaped as (out modes, in modes): the layer network
 * without X (operand 0), its output without the token index. */
static void dp_weight_einsum(const tn_network *net, char *buf, size_t cap) {
  size_t used = 0;
  for (size_t k = 1; k < net->n_operands && used < cap; k++)
    used += (size_t)snprintf(buf + used, cap - used, "%s%s", k > 1 ? "," : "", net->operand[k]);
  if (used < cap) used += (size_t)snprintf(buf + used, cap - used, "->%s%s", net->output + 1,
                                           net->operand[0] + 1);
}

/* The metadata of one weight: what a PyTorch user needs to use its factors. */
static int dp_meta(wl_st_writer *sw, const char *name, const wl_layer *l, size_t n_factors,
                   double eps, heat_error *err) {
  char shape[WL_SHAPE_TEXT_MAX], ranks[128], text[1400], weq[TN_EXPR_MAX] = "";
  tn_network net;
  if (l->format == WL_FORMAT_DENSE)
    return wl_st_writer_meta(sw, name, "format=dense (the tensor of this name)", err);
  int rc = wl_layer_network(l, 1, &net, err);
  if (rc) return rc;
  dp_weight_einsum(&net, weq, sizeof weq);
  wl_shape_format(&l->shape, shape, sizeof shape);
  wl_layer_format_ranks(l, ranks, sizeof ranks);
  snprintf(text, sizeof text,
           "format=%s shape=%s ranks=%s factors=%zu weight_einsum=%s layer_einsum=%s "
           "rel_error=%.9g",
           wl_format_name(l->format), shape, ranks, n_factors, weq, net.expr, eps);
  return wl_st_writer_meta(sw, name, text, err);
}

static void dp_print(const decompose_plan_args *a, int layer, int role, const char *name,
                     const wl_layer *l, double eps) {
  char shape[WL_SHAPE_TEXT_MAX] = "", ranks[128] = "";
  if (l->format != WL_FORMAT_DENSE) {
    wl_shape_format(&l->shape, shape, sizeof shape);
    wl_layer_format_ranks(l, ranks, sizeof ranks);
  }
  const char *role_name = wl_bert_role_name((wl_bert_role)role);
  if (a->csv) {
    printf("%d,%s,", layer, role_name);
    heat_csv_field_quoted(stdout, name);
    printf(",%s,%s,", wl_format_name(l->format), shape);
    heat_csv_field_quoted(stdout, ranks);
    printf(",%lld,%.6e\n", (long long)wl_layer_params(l), eps);
  } else {
    printf("%5d %-5s %-52s %-7s %-18s %-10s %10lld %.6f\n", layer, role_name, name,
           wl_format_name(l->format), shape[0] ? shape : "-", ranks[0] ? ranks : "-",
           (long long)wl_layer_params(l), eps);
  }
  fflush(stdout);
}

/* Factorizes one weight (dense: kept), prints its ε and adds its tensors to sw (when saving). */
static int dp_weight(const decompose_plan_args *a, const wl_layer *l, int layer, int role,
                     const char *name, wl_st_writer *sw, heat_error *err) {
  wl_matrix w, rebuilt;
  int rc = wl_safetensors_read(a->weights, name, &w, err);
  if (rc) return rc;
  char label[WL_TENSOR_NAME_MAX + 1100];
  snprintf(label, sizeof label, "%s:%s", a->weights, name);
  rc = wl_matrix_check_weight(&w, NULL, err);
  if (rc) {
    char msg[HEAT_ERROR_MSG_MAX];
    snprintf(msg, sizeof msg, "%s", err->msg);
    heat_error_set(err, rc, label, "%s", msg);
    wl_matrix_free(&w);
    return rc;
  }
  if (l->format == WL_FORMAT_DENSE) {
    int64_t dims[2] = {w.rows, w.cols};
    if (sw) rc = wl_st_writer_add(sw, name, w.data, 2, dims, err);
    if (!rc && sw) rc = dp_meta(sw, name, l, 1, 0.0, err);
    if (!rc) dp_print(a, layer, role, name, l, 0.0);
    wl_matrix_free(&w);
    return rc;
  }
  wl_factors f;
  rc = wl_factorize(&w, l, &a->fo, &f, err);
  if (rc) {
    wl_matrix_free(&w);
    return rc;
  }
  /* ε of the factors as saved (in double): rebuilt, not the algorithm's running estimate */
  double eps = 0;
  rc = wl_factors_reconstruct(&f, &rebuilt, err);
  if (!rc) {
    rc = wl_matrix_rel_error(&w, &rebuilt, &eps, err);
    wl_matrix_free(&rebuilt);
  }
  for (size_t k = 0; !rc && sw && k < f.n; k++) {
    char fname[WL_TENSOR_NAME_MAX + 64];
    snprintf(fname, sizeof fname, "%s.%s.factor%zu", name, wl_format_name(l->format), k);
    rc = wl_st_writer_add(sw, fname, f.data[k], f.order[k], f.dims[k], err);
  }
  if (!rc && sw) rc = dp_meta(sw, name, l, f.n, eps, err);
  if (!rc) dp_print(a, layer, role, name, l, eps);
  wl_factors_free(&f);
  wl_matrix_free(&w);
  return rc;
}

int decompose_plan_run(const decompose_plan_args *a) {
  heat_error err;
  static plan pl; /* large: PLAN_MAX_LAYERS x roles */
  model m;
  int rc = plan_read_file(a->plan, &pl, &err);
  if (!rc) rc = model_resolve(a->model ? a->model : pl.model, &m, &err);
  if (!rc) rc = plan_check(&pl, &m, a->plan, &err);
  if (!rc && m.layers > PLAN_MAX_LAYERS)
    rc = heat_error_set(&err, HEAT_ERANGE, a->plan, "model '%s' has %lld blocks; plans hold at "
                        "most %d", m.name, (long long)m.layers, PLAN_MAX_LAYERS);
  if (rc) return cli_fail(&err);
  wl_tensor_info *t = NULL;
  size_t n = 0;
  if (wl_safetensors_list(a->weights, &t, &n, &err)) return cli_fail(&err);
  /* Every weight found, of its size, before anything is factorized or printed. */
  long *idx = malloc((size_t)(m.layers * PLAN_ROLES) * sizeof *idx);
  if (!idx) {
    free(t);
    heat_error_set(&err, HEAT_ENOMEM, "decompose", "out of memory");
    return cli_fail(&err);
  }
  for (int64_t layer = 0; layer < m.layers && !rc; layer++)
    for (int role = 0; role < PLAN_ROLES && !rc; role++) {
      char expected[WL_TENSOR_NAME_MAX];
      long i = dp_find(t, n, (int)layer, role, expected, sizeof expected);
      int64_t out, in;
      plan_role_dims(&m, role, &out, &in);
      if (i < 0)
        rc = heat_error_set(&err, HEAT_EINVAL, a->weights,
                            "no tensor '%s' (layer %lld %s of %s, also looked for without "
                            "'bert.'): the checkpoint does not match the plan's model",
                            expected, (long long)layer, wl_bert_role_name((wl_bert_role)role),
                            m.name);
      else if (t[i].ndim != 2 || t[i].shape[0] != out || t[i].shape[1] != in)
        rc = heat_error_set(&err, HEAT_EINVAL, a->weights,
                            "tensor '%s' is not %lld x %lld (out x in) as layer %lld %s of %s: the "
                            "checkpoint does not match the plan's model",
                            t[i].name, (long long)out, (long long)in, (long long)layer,
                            wl_bert_role_name((wl_bert_role)role), m.name);
      idx[layer * PLAN_ROLES + role] = i;
    }
  wl_st_writer *sw = NULL;
  if (!rc && a->save) rc = wl_st_writer_open(a->save, a->dtype, &sw, &err);
  if (!rc && sw) rc = wl_st_writer_meta(sw, "format", "pt", &err);
  if (!rc && sw) {
    char text[PLAN_TEXT_MAX * 2 + 1200];
    snprintf(text, sizeof text,
             "heat decompose --plan %s (model %s) of %s: factor tensors '<weight name>.<format>."
             "factor<i>' in the order and layout of heat's workloads/format.h (row-major, the "
             "weight W is out x in); each weight's metadata entry gives its weight_einsum: "
             "torch.einsum(weight_einsum, *factors).reshape(out, in) is W",
             a->plan, m.name, a->weights);
    rc = wl_st_writer_meta(sw, "heat", text, &err);
  }
  if (!rc && !a->csv)
    printf("%5s %-5s %-52s %-7s %-18s %-10s %10s %s\n", "layer", "role", "tensor", "format",
           "shape", "ranks", "params", "rel_error");
  if (!rc && a->csv) printf("layer,role,tensor,format,shape,ranks,params,rel_error\n");
  for (int64_t layer = 0; layer < m.layers && !rc; layer++)
    for (int role = 0; role < PLAN_ROLES && !rc; role++) {
      wl_layer l = pl.w[layer][role].fmt;
      if (l.format == WL_FORMAT_SVD || l.format == WL_FORMAT_DENSE || l.shape.d == 0) {
        int64_t out, in;
        plan_role_dims(&m, role, &out, &in);
        if (l.format == WL_FORMAT_SVD || l.format == WL_FORMAT_DENSE)
          wl_shape_matrix(out, in, &l.shape);
      }
      rc = dp_weight(a, &l, (int)layer, role, t[idx[layer * PLAN_ROLES + role]].name, sw, &err);
    }
  if (sw && rc) wl_st_writer_abort(sw);
  else if (sw) {
    rc = wl_st_writer_close(sw, &err);
    if (!rc) fprintf(stderr, "heat: factors saved to %s\n", a->save);
  }
  free(idx);
  free(t);
  return rc ? cli_fail(&err) : 0;
}
