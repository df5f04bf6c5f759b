/* bench_path: time to the exact MAC-optimal contraction path for seeded networks of 4..16
 * operands (tensor-train chains, Tucker, CP, random graphs), median of repeats, printed beside
 * opt_einsum's figures on this machine; then the networks of 17..24 operands of
 * tests/oracles/path_large.csv, heat's time and MACs beside opt_einsum's `dp` and
 * `random-greedy-128` (their MACs and times as measured by path_large.py on this machine).
 * Prints figures; asserts nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_util.h"
#include "common/heat_csv.h"
#include "common/heat_rng.h"
#include "mapper/path.h"

#define MAX_REPEATS 101

static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/* Builds expression and shapes term by term: each operand a list of letter numbers. */
typedef struct builder {
  char expr[TN_EXPR_MAX], shapes[1024];
  int size[52];
  size_t n;
} builder;

static void add_operand(builder *b, const int *idx, int rank) {
  size_t le = strlen(b->expr), ls = strlen(b->shapes);
  if (b->n) {
    b->expr[le++] = ',';
    b->shapes[ls++] = ',';
  }
  for (int r = 0; r < rank; r++) {
    b->expr[le++] = letters[idx[r]];
    ls += (size_t)snprintf(b->shapes + ls, sizeof b->shapes - ls, "%s%d", r ? "x" : "",
                           b->size[idx[r]]);
  }
  b->expr[le] = '\0';
  b->shapes[ls] = '\0';
  b->n++;
}

static void set_output(builder *b, const int *idx, int rank) {
  size_t le = strlen(b->expr);
  b->expr[le++] = '-';
  b->expr[le++] = '>';
  for (int r = 0; r < rank; r++) b->expr[le++] = letters[idx[r]];
  b->expr[le] = '\0';
}

/* TT-matrix layer: x[t, m1..md] with cores G_k[r_{k-1}, m_k, n_k, r_k]; out[t, n1..nd]. */
static void tensor_train(builder *b, size_t n, uint64_t *s) {
  int d = (int)n - 1, x[20], out[20], t = 0;
  b->size[t] = 384;
  x[0] = out[0] = t;
  for (int k = 0; k < d; k++) {
    int m = 1 + 3 * k, nn = m + 1, r = m + 2;
    b->size[m] = heat_rng_int(s, 2, 8);
    b->size[nn] = heat_rng_int(s, 2, 8);
    b->size[r] = heat_rng_int(s, 4, 16);
    x[k + 1] = m;
    out[k + 1] = nn;
  }
  add_operand(b, x, d + 1);
  for (int k = 0; k < d; k++) {
    int core[4], rank = 0, m = 1 + 3 * k;
    if (k > 0) core[rank++] = m - 1; /* r_{k-1} */
    core[rank++] = m;
    core[rank++] = m + 1;
    if (k < d - 1) core[rank++] = m + 2;
    add_operand(b, core, rank);
  }
  set_output(b, out, d + 1);
}

/* Tucker: x[t, m1..mp] with input factors A_i[m_i, r_i], a core C[r.., s..] and output factors
 * B_j[s_j, n_j]; n = 2 + p + q operands. */
static void tucker(builder *b, size_t n, uint64_t *s) {
  int p = (int)(n - 2) / 2, q = (int)(n - 2) - p, x[20], out[20], core[20], t = 0, next = 1;
  b->size[t] = 384;
  x[0] = out[0] = t;
  int m[16], r[16], sj[16], nj[16];
  for (int i = 0; i < p; i++) {
    m[i] = next++;
    r[i] = next++;
    b->size[m[i]] = heat_rng_int(s, 4, 12);
    b->size[r[i]] = heat_rng_int(s, 2, 6);
    x[i + 1] = m[i];
    core[i] = r[i];
  }
  for (int j = 0; j < q; j++) {
    sj[j] = next++;
    nj[j] = next++;
    b->size[sj[j]] = heat_rng_int(s, 2, 6);
    b->size[nj[j]] = heat_rng_int(s, 4, 12);
    core[p + j] = sj[j];
    out[j + 1] = nj[j];
  }
  add_operand(b, x, p + 1);
  for (int i = 0; i < p; i++) add_operand(b, (int[]){m[i], r[i]}, 2);
  add_operand(b, core, p + q);
  for (int j = 0; j < q; j++) add_operand(b, (int[]){sj[j], nj[j]}, 2);
  set_output(b, out, q + 1);
}

/* CP, as HEAT's example: x[t, m1..mp], weights lambda[a], factors A_i[m_i, a], B_j[n_j, a]. */
static void cp(builder *b, size_t n, uint64_t *s) {
  int p = (int)(n - 2) / 2, q = (int)(n - 2) - p, x[20], out[20], t = 0, a = 1, next = 2;
  b->size[t] = 384;
  b->size[a] = heat_rng_int(s, 64, 320);
  x[0] = out[0] = t;
  int m[16], nn[16];
  for (int i = 0; i < p; i++) {
    m[i] = next++;
    b->size[m[i]] = heat_rng_int(s, 4, 16);
    x[i + 1] = m[i];
  }
  for (int j = 0; j < q; j++) {
    nn[j] = next++;
    b->size[nn[j]] = heat_rng_int(s, 4, 16);
    out[j + 1] = nn[j];
  }
  add_operand(b, x, p + 1);
  add_operand(b, (int[]){a}, 1);
  for (int j = 0; j < q; j++) add_operand(b, (int[]){nn[j], a}, 2);
  for (int i = 0; i < p; i++) add_operand(b, (int[]){m[i], a}, 2);
  set_output(b, out, q + 1);
}

/* Random graph: each pair of operands shares an index with probability 1/3 (a ring keeps it
 * connected), sizes 2..8, and every third operand has an open (output) index. */
static void random_graph(builder *b, size_t n, uint64_t *s) {
  int idx[TN_MAX_OPERANDS][52], rank[TN_MAX_OPERANDS] = {0}, out[52], n_out = 0, next = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++) {
      bool ring = j == i + 1 || (i == 0 && j == n - 1);
      if (next < 44 && (ring || heat_rng_int(s, 0, 2) == 0)) {
        b->size[next] = heat_rng_int(s, 2, 8);
        idx[i][rank[i]++] = next;
        idx[j][rank[j]++] = next++;
      }
    }
  for (size_t i = 0; i < n && next < 52; i += 3) {
    b->size[next] = heat_rng_int(s, 2, 8);
    idx[i][rank[i]++] = next;
    out[n_out++] = next++;
  }
  for (size_t i = 0; i < n; i++) add_operand(b, idx[i], rank[i]);
  set_output(b, out, n_out);
}

typedef void (*family_fn)(builder *b, size_t n, uint64_t *s);

static double mac_cost(const path_step *st, void *ctx) {
  (void)ctx;
  return (double)st->macs;
}

/* Median seconds of path_optimize over repeats (at least 5, until ~0.3 s are spent); with a
 * workspace kept between calls (as a search does) unless ws is NULL. */
static double time_optimize(const tn_network *net, const path_options *opt, path_workspace *ws,
                            path *p) {
  double t[MAX_REPEATS];
  size_t k = 0;
  double spent = 0;
  heat_error err;
  while (k < MAX_REPEATS && (k < 5 || spent < 0.3)) {
    double t0 = bench_now_s();
    int rc = ws ? path_optimize_ws(net, opt, ws, p, &err) : path_optimize(net, opt, p, &err);
    if (rc) {
      fprintf(stderr, "bench_path: %s: %s\n", err.where, err.msg);
      return -1;
    }
    t[k] = bench_now_s() - t0;
    spent += t[k++];
  }
  return bench_median(t, k);
}

/* A path's MACs, or why there is none (the greedy or left-to-right order can exceed 2^63). */
static void mac_figure(int rc, const path *p, char *buf, size_t cap) {
  if (rc == HEAT_ERANGE)
    snprintf(buf, cap, ">2^63");
  else if (rc)
    snprintf(buf, cap, "error");
  else
    snprintf(buf, cap, "%lld", (long long)p->total_macs);
}

/* The 17..24-operand networks: heat beside opt_einsum (path_large.csv). */
static int large_networks(path_workspace *ws) {
  char fname[1024], line[4096];
  snprintf(fname, sizeof fname, "%s/tests/oracles/path_large.csv", HEAT_SOURCE_DIR);
  FILE *f = fopen(fname, "r");
  if (!f || !fgets(line, sizeof line, f)) {
    fprintf(stderr, "bench_path: cannot read %s\n", fname);
    if (f) fclose(f);
    return 1;
  }
  printf("\n17..24 operands (tests/oracles/path_large.csv): heat's path_optimize (default seed and\n"
         "trials, workspace kept) beside opt_einsum's dp and random-greedy-128; MACs in heat's\n"
         "convention; ratio = heat MACs / the best opt_einsum MACs (<= 1: heat as good or better)\n\n");
  printf("%-10s %3s %9s %-18s %20s %20s %9s %20s %9s %7s\n", "network", "n", "heat_ms", "algorithm",
         "heat_macs", "oe_dp_macs", "oe_dp_ms", "oe_rg128_macs", "oe_rg_ms", "ratio");
  double worst = 0.0;
  int rc = 0;
  while (fgets(line, sizeof line, f)) {
    char *field[7];
    if (heat_csv_split(line, field, 7) != 7) {
      fprintf(stderr, "bench_path: a malformed row in %s\n", fname);
      rc = 1;
      break;
    }
    for (char *c = field[2]; *c; c++)
      if (*c == ';') *c = ',';
    tn_network net;
    heat_error err;
    if (tn_parse(field[1], &net, &err) || tn_set_shapes(&net, field[2], "shapes", &err)) {
      fprintf(stderr, "bench_path: %s: %s\n", field[0], err.msg);
      rc = 1;
      break;
    }
    path_options opt;
    path_options_init(&opt);
    path pth;
    double t = time_optimize(&net, &opt, ws, &pth);
    if (t < 0) {
      rc = 1;
      break;
    }
    double dp = field[3][0] ? atof(field[3]) : 0.0, rg = atof(field[5]);
    double best = dp > 0 && dp < rg ? dp : rg, ratio = (double)pth.total_macs / best;
    if (ratio > worst) worst = ratio;
    printf("%-10s %3zu %9.1f %-18s %20lld %20s %9s %20s %9s %7.4f\n", field[0], net.n_operands,
           1e3 * t, path_algorithm_name(pth.algorithm), (long long)pth.total_macs,
           field[3][0] ? field[3] : "-", field[4][0] ? field[4] : ">40000", field[5], field[6],
           ratio);
    fflush(stdout);
  }
  fclose(f);
  printf("\nworst ratio heat / best of opt_einsum: %.4f\n"
         "oe_dp_ms '>40000': opt_einsum's dp did not finish in the 40 s path_large.py gave it.\n",
         worst);
  return rc;
}

int main(int argc, char **argv) {
  bench_args(argc, argv,
      "usage: bench_path\n"
      "Time to the exact MAC-optimal contraction path for networks of 4..24 operands, beside\n"
      "opt_einsum's figures (tests/oracles/path_large.csv). Prints figures only.\n",
      0);
  static const struct {
    const char *name;
    family_fn fn;
  } families[] = {
      {"tt-chain", tensor_train}, {"tucker", tucker}, {"cp", cp}, {"random", random_graph}};
  printf("bench_path: time to the exact MAC-optimal path (subset DP), median of repeats\n\n");
  printf("%-9s %8s %7s %10s %10s %10s %18s %18s %18s\n", "network", "operands", "indices",
         "time_ms", "cold_ms", "custom_ms", "optimal_macs", "greedy_macs", "left_to_right_macs");
  path_workspace *ws = path_workspace_alloc();
  if (!ws) return 1;
  for (size_t f = 0; f < sizeof families / sizeof families[0]; f++)
    for (size_t n = 4; n <= 16; n++) {
      builder b = {{0}, {0}, {0}, 0};
      uint64_t seed = 1000 * (f + 1) + n;
      families[f].fn(&b, n, &seed);
      tn_network net;
      heat_error err;
      if (tn_parse(b.expr, &net, &err) || tn_set_shapes(&net, b.shapes, "shapes", &err)) {
        fprintf(stderr, "bench_path: %s: %s\n", err.where, err.msg);
        return 1;
      }
      int n_idx = 0;
      for (int c = 0; c < 128; c++) n_idx += net.size[c] > 0;
      path_options opt;
      path_options_init(&opt);
      path p, g, l;
      double t = time_optimize(&net, &opt, ws, &p);
      double tcold = time_optimize(&net, &opt, NULL, &p);
      /* The mapper's hook: the same objective through the step-cost function pointer. */
      opt.objective = PATH_OBJECTIVE_CUSTOM;
      opt.step_cost = mac_cost;
      path pc;
      double tc = n <= 12 ? time_optimize(&net, &opt, ws, &pc) : -1;
      path_options_init(&opt);
      if (t < 0) return 1;
      char greedy[32], l2r[32];
      mac_figure(path_greedy(&net, &opt, &g, &err), &g, greedy, sizeof greedy);
      mac_figure(path_left_to_right(&net, &l, &err), &l, l2r, sizeof l2r);
      char custom[32];
      if (tc < 0)
        snprintf(custom, sizeof custom, "-");
      else
        snprintf(custom, sizeof custom, "%.3f", 1e3 * tc);
      printf("%-9s %8zu %7d %10.3f %10.3f %10s %18lld %18s %18s\n", families[f].name, n, n_idx,
             1e3 * t, 1e3 * tcold, custom, (long long)p.total_macs, greedy, l2r);
    }
  printf(
      "\nopt_einsum on this machine (issue 3): 'optimal' (exhaustive) ~2500 ms for 9 tensors;\n"
      "'dp' 3-10 ms up to 13 tensors. Target here: 12 operands < 1 ms, 16 operands < 100 ms.\n"
      "time_ms: workspace kept between calls (path_optimize_ws); cold_ms: path_optimize, which\n"
      "allocates it each call. custom_ms: the CUSTOM objective (step cost = MACs through a\n"
      "function pointer, each candidate step fully described); '-' = not timed (it grows as\n"
      "3^n, see mapper/README.md).\n");
  int rc = large_networks(ws);
  path_workspace_free(ws);
  return rc;
}
