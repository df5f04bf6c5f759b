/* heat decompose: factorize one linear layer's weight in a format, shape and ranks; print the
 * parameters, compression, reconstruction error ε and the MAC-optimal path of the layer's einsum
 * beside the dense MACs. With --sweep-ranks, one row per rank setting; with --list-shapes, the
 * tensorization shapes ranked by entropy. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_opts.h"
#include "cli/decompose_list.h"
#include "cli/decompose_plan.h"
#include "cli/decompose_run.h"
#include "common/heat_budget.h"
#include "common/heat_parse.h"
#include "mapper/path.h"
#include "workloads/factorize.h"
#include "workloads/lapack_dl.h"
#include "workloads/synthetic.h"
#include "workloads/weights.h"

#define SWEEP_MAX 4096
#define SYNTHETIC_MAX_ELEMS (INT64_C(1) << 28)

static void decompose_help(FILE *out) {
  fprintf(
      out,
      "usage: heat decompose --format F [--shape OUT:IN] [--ranks R,...] [--seq N] [--batch B]\n"
      "                      [--weights FILE.safetensors[:TENSOR] | --weights FILE.npy |\n"
      "                       --synthetic decay=power:A|exp:A[,structure=F][,noise=F][,seed=S]\n"
      "                       --size MxN]\n"
      "                      [--sweep-ranks LO:HI[:STEP] | --sweep-ranks R1,R2,...] [--exact]\n"
      "                      [--hooi N] [--cp-iters N] [--cp-tol X] [--seed S] [--cp-init I]\n"
      "                      [--no-cp-weights]\n"
      "                      [--precompute never|no-growth|always] [--csv]\n"
      "       heat decompose --list-shapes (--size MxN | --weights ...) [--order D] [--top K] "
      "[--csv]\n"
      "       heat decompose --list-tensors --weights FILE.safetensors [--csv]\n"
      "       heat decompose --plan PLAN.json --weights CKPT.safetensors [--model M]\n"
      "                      [--save-factors OUT.safetensors] [--save-dtype F32|F64] [--csv]\n\n"
      "W is out x in (PyTorch Linear.weight); a shape OUT:IN like 12x16x16:8x8x12 reshapes it as\n"
      "numpy's W.reshape(12,16,16,8,8,12). Formats: dense, svd, cp, tucker, ttm, tt.\n"
      "Ranks in mode order: ttm/tt the inner ranks; tucker one per mode, OUT modes first;\n"
      "cp and svd one number; dense none.\n\n"
      "  --seq N, --batch B  workload size, as in heat map and heat model: X holds\n"
      "                      N x B tokens (T x in); default --seq 384 --batch 1 (--tokens T\n"
      "                      is the old name of --seq)\n"
      "  --weights SPEC      a tensor of a safetensors file (a Hugging Face name, or "
      "layer<i>.<role>\n"
      "                      with role q, k, v, o, ffn1, ffn2), or a 2-D .npy file; a whole\n"
      "                      FILE.safetensors (no :TENSOR) with --shape or --size evaluates every\n"
      "                      BERT linear weight of that size, layer then role (CSV column tensor)\n"
      "  --synthetic SPEC    seeded synthetic weight (the default without --weights:\n"
      "                      decay=power:0.75,structure=0.9,noise=0.01,seed=1: a power-law\n"
      "                      spectrum, 90%% of the energy smooth in the index (low multilinear\n"
      "                      rank along every split), 1%% iid noise; workloads/README.md); its\n"
      "                      size comes from --shape or --size; labelled synthetic\n"
      "  --sweep-ranks S     evaluate every rank r of S; each rank position gets min(r, its\n"
      "                      tight bound: mode/unfolding size, and tucker <= the product of\n"
      "                      the other ranks, tt/ttm <= the neighbour rank times the mode size)\n"
      "                      Errors come from one SVD per unfolding: exact for svd, the TT-SVD /\n"
      "                      HOSVD bound min(1, sqrt(sum_k delta_k^2)) for tt, ttm, tucker; cp\n"
      "                      factorizes\n"
      "  --exact             in a sweep, factorize every setting (exact errors)\n"
      "  --hooi N            tucker: HOOI sweeps after HOSVD (default 0)\n"
      "  --cp-iters N, --cp-tol X, --seed S   CP-ALS limits (200, 1e-6) and start (1)\n"
      "  --cp-init I         cp start: random (seeded, default) or svd (leading singular\n"
      "                      vectors of each mode unfolding)\n"
      "  --no-cp-weights     cp: fold the weight vector into the first factor\n"
      "  --precompute M      fold static-only sub-expressions of the einsum offline (default\n"
      "                      no-growth: only when stored parameters do not grow)\n"
      "  --csv               header row and one row per setting\n"
      "  --max-memory B      memory budget in bytes (suffix K, M, G, T: powers of 1024); a\n"
      "                      request estimated above it is refused before allocating\n"
      "                      (default: half the physical memory)\n"
      "  --list-shapes       shapes with d = 2..4 factors per side (--order D for one d), most\n"
      "                      uniform first (entropy of the factor sizes), top K (default 10)\n"
      "  --list-tensors      the tensors of a safetensors file, with the BERT layer and role\n"
      "                      (q, k, v, o, ffn1, ffn2) of each Hugging Face linear weight\n"
      "  --plan FILE         factorize every linear weight of the checkpoint --weights as the\n"
      "                      plan (heat search, search/PLAN.md) says; prints each weight's eps\n"
      "                      of the factors (rebuilt, in double). --model overrides the plan's\n"
      "  --save-factors OUT  with --plan: write the factors to a safetensors file PyTorch loads\n"
      "                      (safetensors.torch.load_file), named <weight>.<format>.factor<i>\n"
      "                      (dense weights under their own name); each weight's metadata\n"
      "                      entry has weight_einsum: einsum(it, *factors).reshape(out, in) = W'\n"
      "  --save-dtype T      F32 (default, as PyTorch checkpoints) or F64\n");
}

typedef struct decompose_args {
  const char *format, *shape, *ranks, *weights, *synthetic, *size, *sweep, *precompute, *cp_init;
  const char *max_memory, *plan, *save, *save_dtype, *model;
  int64_t seq, batch, order, top, hooi, cp_iters, seed;
  double cp_tol;
  bool exact, csv, list_shapes, list_tensors, no_cp_weights;
} decompose_args;


static int parse_args(int argc, char **argv, decompose_args *a, bool *help) {
  memset(a, 0, sizeof *a);
  a->seq = 384;
  a->batch = 1;
  a->top = 10;
  a->cp_iters = 200;
  a->cp_tol = 1e-6;
  a->seed = 1;
  a->precompute = "no-growth";
  a->cp_init = "random";
  const cli_opt opts[] = {
      CLI_FLAG("exact", &a->exact),
      CLI_FLAG("csv", &a->csv),
      CLI_FLAG("list-shapes", &a->list_shapes),
      CLI_FLAG("list-tensors", &a->list_tensors),
      CLI_FLAG("no-cp-weights", &a->no_cp_weights),
      CLI_TEXT("format", &a->format),
      CLI_TEXT("shape", &a->shape),
      CLI_TEXT("ranks", &a->ranks),
      CLI_TEXT("weights", &a->weights),
      CLI_TEXT("synthetic", &a->synthetic),
      CLI_TEXT("size", &a->size),
      CLI_TEXT("sweep-ranks", &a->sweep),
      CLI_TEXT("precompute", &a->precompute),
      CLI_TEXT("cp-init", &a->cp_init),
      CLI_TEXT("max-memory", &a->max_memory),
      CLI_TEXT("plan", &a->plan),
      CLI_TEXT("save-factors", &a->save),
      CLI_TEXT("save-dtype", &a->save_dtype),
      CLI_TEXT("model", &a->model),
      CLI_INT("seq", &a->seq, 1, INT64_C(1) << 24),
      CLI_INT("tokens", &a->seq, 1, INT64_C(1) << 24), /* the old name of --seq */
      CLI_INT("batch", &a->batch, 1, INT64_C(1) << 24),
      CLI_INT("order", &a->order, 2, WL_MAX_ORDER),
      CLI_INT("top", &a->top, 1, INT64_C(1) << 30),
      CLI_INT("hooi", &a->hooi, 0, 1000),
      CLI_INT("cp-iters", &a->cp_iters, 1, 1000000),
      CLI_INT("seed", &a->seed, 0, INT64_C(4294967295)),
      CLI_REAL("cp-tol", &a->cp_tol, 0.0, 1.0),
  };
  cli_parser p = {.cmd = "decompose", .opts = opts, .n_opts = CLI_COUNT(opts)};
  int rc = cli_parse(&p, argc, argv);
  *help = p.help;
  if (rc || p.help) return rc;
  if (a->seq > (INT64_C(1) << 24) / a->batch)
    return cli_usage_error("decompose", "--seq %lld x --batch %lld tokens: more than 2^24",
                           (long long)a->seq, (long long)a->batch);
  return 0;
}

/* The weight and its label; M, N from the weight file, else --shape, else --size. */
/* M x N from --size (which the shape must match), else from the shape, else 0 x 0. */
static int weight_size(const decompose_args *a, const wl_shape *shape, bool have_shape,
                       int64_t *M, int64_t *N, heat_error *err) {
  *M = *N = 0;
  if (a->size) {
    int64_t mn[2];
    size_t n;
    int rc = heat_parse_int64_list(a->size, 'x', 1, INT64_C(1) << 20, "--size", mn, 2, &n, err);
    if (!rc && n != 2)
      rc = heat_error_set(err, HEAT_EINVAL, "--size", "expected MxN (out x in), got '%s'", a->size);
    if (rc) return rc;
    *M = mn[0];
    *N = mn[1];
    if (have_shape && (wl_shape_check(shape, *M, *N, "--shape", err))) return err->code;
  } else if (have_shape) {
    *M = wl_shape_rows(shape);
    *N = wl_shape_cols(shape);
  }
  return HEAT_OK;
}

static int load_weight(const decompose_args *a, const wl_shape *shape, bool have_shape,
                       wl_matrix *w, char *label, size_t cap, heat_error *err) {
  int64_t M, N;
  if (weight_size(a, shape, have_shape, &M, &N, err)) return err->code;
  if (a->weights) {
    int rc = wl_weights_load(a->weights, M, N, w, err);
    if (rc == HEAT_EINVAL && have_shape && !a->size && strstr(err->msg, "shape needs"))
      heat_error_prefix(err, "--shape");
    if (rc) return rc;
    snprintf(label, cap, "%s", a->weights);
    return HEAT_OK;
  }
  wl_synthetic syn;
  wl_synthetic_init(&syn);
  if (a->synthetic && wl_synthetic_parse(a->synthetic, "--synthetic", &syn, err)) return err->code;
  if (M == 0)
    return heat_error_set(err, HEAT_EINVAL, "--synthetic",
                          "the synthetic weight needs a size: give --shape or --size MxN");
  /* a size the machine cannot hold is the option's fault, said before any allocation */
  if (N > SYNTHETIC_MAX_ELEMS / M)
    return heat_error_set(err, HEAT_ERANGE, a->size ? "--size" : "--shape",
                          "the synthetic weight would be %lld x %lld: too large; heat builds "
                          "synthetic weights of up to 2^28 elements (2 GiB as doubles)",
                          (long long)M, (long long)N);
  wl_synthetic_describe(&syn, label, cap);
  return wl_synthetic_matrix(&syn, M, N, w, err);
}

/* Sweep values: "LO:HI[:STEP]" or "R1,R2,...". */
static int parse_sweep(const char *text, int64_t *v, size_t *n, heat_error *err) {
  if (strchr(text, ':')) {
    int64_t p[3] = {0, 0, 1};
    size_t k;
    int rc = heat_parse_int64_list(text, ':', 1, INT64_C(1) << 30, "--sweep-ranks", p, 3, &k, err);
    if (rc) return rc;
    if (k < 2 || p[0] > p[1])
      return heat_error_set(err, HEAT_EINVAL, "--sweep-ranks",
                            "'%s' is not LO:HI[:STEP] with LO <= HI", text);
    *n = 0;
    for (int64_t r = p[0]; r <= p[1]; r += p[2]) {
      if (*n == SWEEP_MAX)
        return heat_error_set(err, HEAT_ERANGE, "--sweep-ranks", "more than %d settings",
                              SWEEP_MAX);
      v[(*n)++] = r;
    }
    return HEAT_OK;
  }
  return heat_parse_int64_list(text, ',', 1, INT64_C(1) << 30, "--sweep-ranks", v, SWEEP_MAX, n,
                               err);
}

/* --weights FILE.safetensors without ":tensor": the whole checkpoint. */
static bool is_checkpoint(const char *spec) {
  size_t n = strlen(spec), s = strlen(".safetensors");
  return n > s && strcmp(spec + n - s, ".safetensors") == 0;
}

/* A weight the factorizations can take (finite, not all zero), checked before any output so
 * that an error names the file and tensor (label) and no CSV header precedes it. */
static int check_weight(const wl_matrix *w, const char *label, heat_error *err) {
  int rc = wl_matrix_check_weight(w, NULL, err);
  if (rc) {
    char msg[HEAT_ERROR_MSG_MAX];
    snprintf(msg, sizeof msg, "%s", err->msg);
    heat_error_set(err, rc, label, "%s", msg);
  }
  return rc;
}

/* One weight: a file's tensor or the synthetic matrix. */
static int run_one(const decompose_args *a, decompose_job *job, bool have_shape) {
  heat_error err;
  wl_matrix w;
  char label[512];
  if (load_weight(a, &job->base.shape, have_shape, &w, label, sizeof label, &err))
    return cli_fail(&err);
  if (!have_shape) wl_shape_matrix(w.rows, w.cols, &job->base.shape);
  int status = 0;
  if (job->sweep && decompose_check_sweep(job, &err)) status = cli_fail(&err);
  if (!status && check_weight(&w, label, &err)) status = cli_fail(&err);
  if (!status && decompose_check_memory(job, w.rows, w.cols, &err)) status = cli_fail(&err);
  if (!status) {
    if (job->csv) decompose_print_csv_header();
    const char *colon = a->weights ? strstr(a->weights, ".safetensors:") : NULL;
    status = decompose_run(job, &w, label, colon ? colon + strlen(".safetensors:") : "");
  }
  wl_matrix_free(&w);
  return status;
}

/* Every BERT linear weight of the checkpoint whose size is the --shape's (or --size's) M x N,
 * in layer-then-role order, one block or set of rows each. */
static int run_checkpoint(const decompose_args *a, decompose_job *job, bool have_shape) {
  heat_error err;
  int64_t M, N;
  if (weight_size(a, &job->base.shape, have_shape, &M, &N, &err)) return cli_fail(&err);
  if (M == 0)
    return cli_usage_error("decompose",
                           "--weights %s names no tensor: give file.safetensors:tensor_name, or "
                           "--shape or --size MxN to evaluate every BERT linear weight of that "
                           "size in the checkpoint",
                           a->weights);
  if (!have_shape) wl_shape_matrix(M, N, &job->base.shape);
  if (job->sweep && decompose_check_sweep(job, &err)) return cli_fail(&err);
  if (decompose_check_memory(job, M, N, &err)) return cli_fail(&err);
  wl_tensor_info *t;
  size_t n;
  if (wl_safetensors_list(a->weights, &t, &n, &err)) return cli_fail(&err);
  size_t *idx = malloc((n ? n : 1) * sizeof *idx);
  if (!idx) {
    free(t);
    heat_error_set(&err, HEAT_ENOMEM, "decompose", "out of memory");
    return cli_fail(&err);
  }
  size_t count = wl_bert_linears(t, n, M, N, idx);
  int status = 0;
  if (count == 0) {
    char sizes[400];
    wl_bert_linear_sizes(t, n, sizes, sizeof sizes);
    heat_error_set(&err, HEAT_EINVAL, a->weights,
                   "no BERT linear weight is %lld x %lld (out x in); the checkpoint's BERT linear "
                   "weights are: %s",
                   (long long)M, (long long)N, sizes);
    status = cli_fail(&err);
  }
  /* Every selected tensor is read and checked (dtype, shape, finite, not all zero) before
   * anything is printed, one at a time: a bad tensor late in the checkpoint is not reported
   * after the rows of the good ones. The evaluation pass reads each again. */
  char label[WL_TENSOR_NAME_MAX + 512];
  for (size_t i = 0; i < count && !status; i++) {
    wl_matrix w;
    snprintf(label, sizeof label, "%s:%s", a->weights, t[idx[i]].name);
    if (wl_safetensors_read(a->weights, t[idx[i]].name, &w, &err)) {
      status = cli_fail(&err);
      break;
    }
    if (check_weight(&w, label, &err)) status = cli_fail(&err);
    wl_matrix_free(&w);
  }
  if (!status && job->csv) decompose_print_csv_header();
  for (size_t i = 0; i < count && !status; i++) {
    const char *name = t[idx[i]].name;
    wl_matrix w;
    if (wl_safetensors_read(a->weights, name, &w, &err)) {
      status = cli_fail(&err);
      break;
    }
    snprintf(label, sizeof label, "%s:%s", a->weights, name);
    if (i && !job->csv) printf("\n");
    status = decompose_run(job, &w, label, name);
    wl_matrix_free(&w);
  }
  free(idx);
  free(t);
  return status;
}

/* --plan: the options that describe one layer do not apply (the plan gives them). */
static int run_plan(const decompose_args *a) {
  const char *given = a->format ? "--format" : a->shape ? "--shape" : a->ranks ? "--ranks"
                      : a->sweep ? "--sweep-ranks" : a->size ? "--size"
                      : a->synthetic ? "--synthetic" : a->list_shapes ? "--list-shapes"
                      : NULL;
  if (given)
    return cli_usage_error("decompose", "%s does not go with --plan: the plan gives every "
                           "weight's format, shape and ranks", given);
  if (!a->weights || !is_checkpoint(a->weights))
    return cli_usage_error("decompose", "--plan needs --weights CKPT.safetensors (a whole "
                           "checkpoint, no :tensor)");
  if (strcmp(a->cp_init, "random") != 0 && strcmp(a->cp_init, "svd") != 0)
    return cli_usage_error("decompose", "--cp-init '%s' unknown; allowed: random, svd", a->cp_init);
  decompose_plan_args pa = {.plan = a->plan, .weights = a->weights, .model = a->model,
                            .save = a->save, .dtype = WL_ST_F32, .csv = a->csv};
  heat_error err;
  if (a->save_dtype && wl_st_dtype_parse(a->save_dtype, "--save-dtype", &pa.dtype, &err))
    return cli_fail(&err);
  wl_factor_options_init(&pa.fo);
  pa.fo.hooi_sweeps = (int)a->hooi;
  pa.fo.cp_max_iters = (int)a->cp_iters;
  pa.fo.cp_tol = a->cp_tol;
  pa.fo.seed = (unsigned long)a->seed;
  pa.fo.cp_init = strcmp(a->cp_init, "svd") == 0 ? WL_CP_INIT_SVD : WL_CP_INIT_RANDOM;
  return decompose_plan_run(&pa);
}

int cmd_decompose(int argc, char **argv) {
  decompose_args a;
  bool help = false;
  int rc = parse_args(argc, argv, &a, &help);
  if (rc) return rc;
  if (help) {
    decompose_help(stdout);
    return 0;
  }
  /* Large SVDs gain from every core (the other subcommands keep BLAS on one thread). */
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  if (!cli_blas_threads_fixed && cores > 1) wl_lapack_threads((int)cores);
  heat_error err;
  int64_t max_bytes = heat_budget_default();
  if (a.max_memory && heat_budget_parse(a.max_memory, "--max-memory", &max_bytes, &err))
    return cli_fail(&err);
  if (a.list_shapes)
    return decompose_list_shapes(a.weights, a.size, a.order, a.top, a.csv, max_bytes);
  if (a.list_tensors) return decompose_list_tensors(a.weights, a.csv);
  if (a.plan) return run_plan(&a);
  if (a.save || a.save_dtype || a.model)
    return cli_usage_error("decompose", "--save-factors, --save-dtype and --model go with --plan");
  if (!a.format) return cli_usage_error("decompose", "missing --format");
  if (a.weights && a.synthetic)
    return cli_usage_error("decompose", "give --weights or --synthetic, not both");
  if (a.ranks && a.sweep)
    return cli_usage_error("decompose", "give --ranks or --sweep-ranks, not both");
  path_precompute pre;
  if (path_precompute_parse(a.precompute, "--precompute", &pre, &err)) return cli_fail(&err);
  if (strcmp(a.cp_init, "random") != 0 && strcmp(a.cp_init, "svd") != 0)
    return cli_usage_error("decompose", "--cp-init '%s' unknown; allowed: random, svd", a.cp_init);
  wl_layer base;
  memset(&base, 0, sizeof base);
  base.cp_weights = !a.no_cp_weights;
  if (wl_format_parse(a.format, "--format", &base.format, &err)) return cli_fail(&err);
  bool have_shape = a.shape != NULL;
  if (have_shape && wl_shape_parse(a.shape, "--shape", &base.shape, &err)) return cli_fail(&err);
  if (have_shape && wl_layer_check_shape(&base, "--shape", &err)) return cli_fail(&err);
  if (!have_shape && base.format != WL_FORMAT_DENSE && base.format != WL_FORMAT_SVD)
    return cli_usage_error("decompose", "--format %s needs --shape OUT:IN", a.format);
  if (!have_shape) wl_shape_matrix(1, 1, &base.shape);
  size_t want = wl_layer_rank_count(&base);
  if (a.sweep && base.format == WL_FORMAT_DENSE)
    return cli_usage_error("decompose", "--format dense has no ranks to sweep");
  if (!a.sweep && want && !a.ranks)
    return cli_usage_error("decompose", "--format %s needs --ranks (or --sweep-ranks)", a.format);
  if (a.ranks && heat_parse_int64_list(a.ranks, ',', 1, INT64_C(1) << 40, "--ranks", base.rank,
                                       WL_MAX_RANKS, &base.n_ranks, &err))
    return cli_fail(&err);
  /* Check the layer before reading weights: a bad --ranks fails fast. */
  if (have_shape && !a.sweep && wl_layer_check(&base, "--ranks", &err)) return cli_fail(&err);
  wl_factor_options fo;
  wl_factor_options_init(&fo);
  fo.hooi_sweeps = (int)a.hooi;
  fo.cp_max_iters = (int)a.cp_iters;
  fo.cp_tol = a.cp_tol;
  fo.seed = (unsigned long)a.seed;
  fo.cp_init = strcmp(a.cp_init, "svd") == 0 ? WL_CP_INIT_SVD : WL_CP_INIT_RANDOM;
  decompose_job job = {.base = base,
                       .fo = fo,
                       .pre = pre,
                       .tokens = a.seq * a.batch,
                       .exact = a.exact,
                       .csv = a.csv,
                       .from_file = a.weights != NULL,
                       .max_bytes = max_bytes};
  int64_t *values = NULL;
  if (a.sweep) {
    values = malloc(SWEEP_MAX * sizeof *values);
    if (!values) {
      heat_error_set(&err, HEAT_ENOMEM, "decompose", "out of memory");
      return cli_fail(&err);
    }
    if (parse_sweep(a.sweep, values, &job.n_sweep, &err)) {
      free(values);
      return cli_fail(&err);
    }
    job.sweep = values;
  }
  int status;
  if (a.weights && is_checkpoint(a.weights))
    status = run_checkpoint(&a, &job, have_shape);
  else
    status = run_one(&a, &job, have_shape);
  free(values);
  return status;
}
