/* heat decompose --list-shapes and --list-tensors. */
#include "cli/decompose_list.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/heat_budget.h"
#include "common/heat_csv.h"
#include "common/heat_parse.h"
#include "workloads/shape.h"
#include "workloads/weights.h"

int decompose_list_shapes(const char *weights, const char *size, int64_t order, int64_t top,
                          bool csv, int64_t max_bytes) {
  heat_error err;
  wl_matrix w = {0, 0, NULL};
  int64_t M = 0, N = 0;
  if (size) {
    int64_t mn[2];
    size_t n;
    if (heat_parse_int64_list(size, 'x', 2, INT64_C(1) << 20, "--size", mn, 2, &n, &err))
      return cli_fail(&err);
    if (n != 2) return cli_usage_error("decompose", "--size expects MxN, got '%s'", size);
    M = mn[0];
    N = mn[1];
  }
  if (weights) {
    if (wl_weights_load(weights, 0, 0, &w, &err)) return cli_fail(&err);
    /* a --size beside the file is only allowed to agree with it, not silently ignored */
    if (size && (M != w.rows || N != w.cols)) {
      heat_error_set(&err, HEAT_EINVAL, "--size",
                     "%lld x %lld, but the weight %s is %lld x %lld (out x in); give one of them",
                     (long long)M, (long long)N, weights, (long long)w.rows, (long long)w.cols);
      wl_matrix_free(&w);
      return cli_fail(&err);
    }
    M = w.rows;
    N = w.cols;
    wl_matrix_free(&w);
  } else if (!size) {
    return cli_usage_error("decompose", "--list-shapes needs --size MxN or --weights");
  }
  wl_shape *v;
  size_t n;
  size_t lo = order ? (size_t)order : 2, hi = order ? (size_t)order : WL_MAX_ORDER;
  double need;
  char what[96];
  snprintf(what, sizeof what, "--list-shapes --top %lld of %lld x %lld", (long long)top,
           (long long)M, (long long)N);
  if (wl_shape_enumerate_bytes(M, N, lo, hi, (size_t)top, &need, &err) ||
      heat_budget_check(need, max_bytes, "--max-memory", what, &err) ||
      wl_shape_enumerate(M, N, lo, hi, (size_t)top, &v, &n, &err))
    return cli_fail(&err);
  if (n == 0) {
    /* asking for shapes of a size that has none (a prime side, or fewer prime factors than d)
     * is bad input, not an empty success */
    free(v);
    char d[64];
    if (lo == hi)
      snprintf(d, sizeof d, "%zu", lo);
    else
      snprintf(d, sizeof d, "%zu..%zu", lo, hi);
    heat_error_set(&err, HEAT_EINVAL, weights ? weights : "--size",
                   "a %lld x %lld weight has no shape with d = %s factors >= 2 per side (each "
                   "of M and N needs at least d prime factors)",
                   (long long)M, (long long)N, d);
    return cli_fail(&err);
  }
  if (csv)
    printf("rank,shape,d,entropy\n");
  else
    printf("shapes of a %lld x %lld weight (out x in), most uniform first:\n", (long long)M,
           (long long)N);
  for (size_t i = 0; i < n; i++) {
    char text[WL_SHAPE_TEXT_MAX];
    wl_shape_format(&v[i], text, sizeof text);
    if (csv)
      printf("%zu,%s,%zu,%.6f\n", i + 1, text, v[i].d, wl_shape_entropy(&v[i]));
    else
      printf("%4zu  %-24s d=%zu  entropy %.6f\n", i + 1, text, v[i].d, wl_shape_entropy(&v[i]));
  }
  free(v);
  return 0;
}

/* Every tensor of a checkpoint; BERT linear weights get their layer and role. */
int decompose_list_tensors(const char *weights, bool csv) {
  if (!weights)
    return cli_usage_error("decompose", "--list-tensors needs --weights FILE.safetensors");
  heat_error err;
  size_t len = strlen(weights);
  if (len >= 4 && strcmp(weights + len - 4, ".npy") == 0) {
    heat_error_set(&err, HEAT_EINVAL, weights,
                   "a .npy file holds one tensor, not a checkpoint; --list-tensors reads "
                   "safetensors files (use --weights %s directly)",
                   weights);
    return cli_fail(&err);
  }
  wl_tensor_info *t;
  size_t n;
  if (wl_safetensors_list(weights, &t, &n, &err)) return cli_fail(&err);
  if (csv) printf("name,dtype,shape,bert_layer,bert_role\n");
  for (size_t i = 0; i < n; i++) {
    char shape[160] = "";
    size_t used = 0;
    for (size_t k = 0; k < t[i].ndim && used < sizeof shape; k++)
      used += (size_t)snprintf(shape + used, sizeof shape - used, "%s%lld", k ? "x" : "",
                               (long long)t[i].shape[k]);
    int layer;
    wl_bert_role role;
    bool bert = wl_bert_parse_name(t[i].name, &layer, &role) == HEAT_OK;
    char where[32] = "";
    if (bert) snprintf(where, sizeof where, "layer%d.%s", layer, wl_bert_role_name(role));
    if (csv) {
      heat_csv_field(stdout, t[i].name);
      printf(",");
      heat_csv_field(stdout, t[i].dtype);
      if (bert)
        printf(",%s,%d,%s\n", shape, layer, wl_bert_role_name(role));
      else
        printf(",%s,,\n", shape);
    } else {
      if (bert)
        printf("%-60s %-5s %-14s %s\n", t[i].name, t[i].dtype, shape, where);
      else
        printf("%-60s %-5s %s\n", t[i].name, t[i].dtype, shape);
    }
  }
  free(t);
  return 0;
}
