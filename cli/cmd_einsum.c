/* heat einsum: the contraction path of one tensor network, each step as a batched GEMM, with the
 * totals beside the left-to-right order. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_opts.h"
#include "mapper/path.h"

static void einsum_help(FILE *out) {
  fprintf(out,
          "usage: heat einsum EXPR --shapes DIMS,... [--static I,...] [--path-objective OBJ]\n"
          "                   [--precompute MODE] [--csv]\n\n"
          "Finds the contraction order of the einsum EXPR (numpy syntax, e.g. bc,a,da,ea,ca->bde;\n"
          "without '->' the output is the indices that appear once, sorted) and prints each\n"
          "pairwise step as a batched GEMM out[b,m,n] = sum_k lhs[b,m,k] rhs[b,k,n], its sizes\n"
          "in heat's one order B, M, N, K (as heat map --gemm M,N,K reads them).\n\n"
          "  --shapes S        operand shapes: 'x' between dimensions, ',' between operands,\n"
          "                    e.g. 384x768,280,64x280,12x280,768x280 (required)\n"
          "  --static I,...    operands known offline (weights), numbered from 0 in EXPR order\n"
          "  --path-objective OBJ  macs (total MACs, default), size (largest intermediate,\n"
          "                    then MACs) or write (elements written, then MACs)\n"
          "  --precompute M    fold static-only sub-expressions offline: never, no-growth\n"
          "                    (default, as everywhere in heat: only when stored parameters do\n"
          "                    not grow) or always\n"
          "  --csv             print step,lhs,rhs,result,B,M,N,K,macs rows and a total row\n"
          "                    (with the stored parameters before and after pre-computation)\n\n"
          "MACs of a step = product of the sizes of all distinct indices of its two operands.\n"
          "The lhs is the operand holding the lowest numbered input; exact DP up to %d operands,\n"
          "beyond the better of a bounded DP and a seeded randomized greedy (the path line says\n"
          "which, with the seed and trials). The left-to-right totals are without pre-computation.\n",
          PATH_DP_MAX_OPERANDS);
}

static const char *objective_names[] = {"macs", "size", "write"};

/* Appends "lhs ca->ac": the stored layout, then the order the GEMM reads it in (perm[i] is the
 * stored position of the i-th index of a+b+c; -1 marks an index the operand lacks). */
static void append_transform(char *out, size_t cap, const char *which, const char *stored,
                             const int *perm, const char *a, const char *b, const char *c) {
  char gemm[3 * TN_MAX_INDICES + 1], read[TN_MAX_INDICES + 1];
  snprintf(gemm, sizeof gemm, "%s%s%s", a, b, c);
  size_t n = 0;
  for (size_t i = 0; gemm[i] && n < TN_MAX_INDICES; i++)
    if (perm[i] >= 0) read[n++] = stored[perm[i]];
  read[n] = '\0';
  size_t used = strlen(out);
  snprintf(out + used, cap - used, "%s%s %s->%s", used ? ", " : "", which, stored, read);
}

static int pick(const char *value, const char **names, int n) {
  for (int i = 0; i < n; i++)
    if (strcmp(value, names[i]) == 0) return i;
  return -1;
}

static const char *or_dash(const char *s) { return *s ? s : "-"; }

static void operand_name(int id, const char *layout, char *buf, size_t cap) {
  snprintf(buf, cap, "%d:%s", id, or_dash(layout));
}

static void print_csv(const path *p) {
  /* pre<i> steps are pre-computed offline; the total row's MACs are the online steps' and its
   * stored parameters those of the static operands as given and after pre-computation. */
  printf("step,lhs,rhs,result,B,M,N,K,macs,stored_params_before,stored_params_after\n");
  for (size_t s = 0; s < p->n_steps; s++) {
    const path_step *st = &p->steps[s];
    printf("%s%zu,%s,%s,%s,%lld,%lld,%lld,%lld,%lld,,\n", s < p->n_precomputed ? "pre" : "", s,
           st->lhs_indices, st->rhs_indices, st->result_indices, (long long)st->B, (long long)st->M,
           (long long)st->N, (long long)st->K, (long long)st->macs);
  }
  printf("total,,,,,,,,%lld,%lld,%lld\n", (long long)p->total_macs,
         (long long)p->stored_params_before, (long long)p->stored_params_after);
}

static void print_table(const tn_network *net, const path_options *opt, const path *p,
                        const path *l2r) {
  printf("einsum %s\noperands:", net->expr);
  for (size_t i = 0; i < net->n_operands; i++) {
    printf(" %zu:%s[", i, or_dash(net->operand[i]));
    for (const char *c = net->operand[i]; *c; c++)
      printf("%s%lld", c == net->operand[i] ? "" : "x", (long long)net->size[(unsigned char)*c]);
    printf("]%s", net->is_static[i] ? "*" : "");
  }
  printf("%s\n", p->stored_params_before ? "  (* static)" : "");
  char algo[96];
  snprintf(algo, sizeof algo, "%s", path_algorithm_name(p->algorithm));
  if (p->algorithm == PATH_ALGO_BOUNDED_DP || p->algorithm == PATH_ALGO_RANDOM_GREEDY)
    snprintf(algo + strlen(algo), sizeof algo - strlen(algo), " (%sseed %llu, %u trials)",
             p->algorithm == PATH_ALGO_BOUNDED_DP ? "bound from randomized greedy " : "",
             (unsigned long long)p->seed, p->trials);
  printf("path: %s, path-objective %s, precompute %s\n\n", algo, objective_names[opt->objective],
         path_precompute_name(opt->precompute));
  printf("%-6s %-8s %-8s %-8s %-6s %-6s %-6s %-6s %8s %8s %8s %8s %16s  %s\n", "step", "lhs", "rhs",
         "result", "batch", "M", "N", "K", "B", "M", "N", "K", "MACs", "transform");
  for (size_t s = 0; s < p->n_steps; s++) {
    const path_step *st = &p->steps[s];
    char step[32], lhs[80], rhs[80], res[80];
    snprintf(step, sizeof step, "%s%zu", s < p->n_precomputed ? "pre" : "", s);
    operand_name(st->lhs, st->lhs_indices, lhs, sizeof lhs);
    operand_name(st->rhs, st->rhs_indices, rhs, sizeof rhs);
    operand_name(st->result, st->result_indices, res, sizeof res);
    char tr[2 * (3 * TN_MAX_INDICES + 16)] = "";
    if (st->lhs_permuted) append_transform(tr, sizeof tr, "lhs", st->lhs_indices, st->lhs_perm,
                                           st->batch, st->m, st->k);
    if (st->rhs_permuted) append_transform(tr, sizeof tr, "rhs", st->rhs_indices, st->rhs_perm,
                                           st->batch, st->k, st->n);
    if (!tr[0]) snprintf(tr, sizeof tr, "-");
    printf("%-6s %-8s %-8s %-8s %-6s %-6s %-6s %-6s %8lld %8lld %8lld %8lld %16lld  %s\n", step,
           lhs, rhs, res, or_dash(st->batch), or_dash(st->m), or_dash(st->n), or_dash(st->k),
           (long long)st->B, (long long)st->M, (long long)st->N, (long long)st->K,
           (long long)st->macs, tr);
  }
  if (p->n_steps && p->output_permuted)
    printf("(the result %s is then laid out as the output %s)\n",
           p->steps[p->n_steps - 1].result_indices, or_dash(net->output));
  printf("\n%-22s %16s %16s\n", "", "this path", "left to right");
  /* l2r is NULL when the left-to-right order's cost does not fit in 63 bits. */
  const char *over = ">2^63";
  printf("%-22s %16lld ", "total MACs", (long long)p->total_macs);
  l2r ? printf("%16lld\n", (long long)l2r->total_macs) : printf("%16s\n", over);
  printf("%-22s %16lld ", "largest intermediate", (long long)p->largest_intermediate);
  l2r ? printf("%16lld\n", (long long)l2r->largest_intermediate) : printf("%16s\n", over);
  printf("%-22s %16lld ", "elements written", (long long)p->total_written);
  l2r ? printf("%16lld\n", (long long)l2r->total_written) : printf("%16s\n", over);
  if (p->total_macs > 0 && l2r)
    printf("left to right needs %.1fx the MACs of this path\n",
           (double)l2r->total_macs / (double)p->total_macs);
  else if (!l2r)
    printf("left to right needs more than 2^63 MACs\n");
  if (net->n_operands == 1 && strcmp(net->operand[0], net->output) != 0)
    printf("one operand: its reduction to '%s' is not a pairwise contraction and is not counted\n",
           or_dash(net->output));
  printf("stored parameters: %lld before, %lld after (%zu step%s pre-computed offline)\n",
         (long long)p->stored_params_before, (long long)p->stored_params_after, p->n_precomputed,
         p->n_precomputed == 1 ? "" : "s");
}

int cmd_einsum(int argc, char **argv) {
  const char *shapes = NULL, *statics = NULL, *objective = NULL, *map_objective = NULL,
             *precompute = NULL, *exprs[2];
  bool csv = false;
  const cli_opt opts[] = {
      CLI_TEXT("shapes", &shapes),         CLI_TEXT("static", &statics),
      CLI_TEXT("path-objective", &objective), CLI_TEXT("objective", &map_objective),
      CLI_TEXT("precompute", &precompute), CLI_FLAG("csv", &csv),
  };
  cli_parser cp = {.cmd = "einsum", .opts = opts, .n_opts = CLI_COUNT(opts), .positional = exprs,
                  .max_positional = 2};
  int rc = cli_parse(&cp, argc, argv);
  if (rc) return rc;
  if (cp.help) {
    einsum_help(stdout);
    return 0;
  }
  if (cp.n_positional == 2)
    return cli_usage_error("einsum", "one expression expected; got '%s' and '%s'", exprs[0],
                           exprs[1]);
  const char *expr = cp.n_positional ? exprs[0] : NULL;
  if (map_objective)
    return cli_usage_error("einsum", "--objective is heat map's (latency|energy|edp); the "
                                     "contraction path's is --path-objective macs|size|write");
  path_options opt;
  path_options_init(&opt);
  /* One default everywhere: fold weight-only parts offline when that does not grow them. */
  opt.precompute = PATH_PRECOMPUTE_NO_GROWTH;
  if (objective) {
    int k = pick(objective, objective_names, 3);
    if (k < 0)
      return cli_usage_error("einsum", "--path-objective '%s' unknown; allowed: macs, size, write",
                             objective);
    opt.objective = (path_objective)k;
  }
  if (precompute) {
    heat_error err;
    if (path_precompute_parse(precompute, "--precompute", &opt.precompute, &err))
      return cli_fail(&err);
  }
  if (!expr) return cli_usage_error("einsum", "missing the einsum expression");
  if (!shapes) return cli_usage_error("einsum", "missing --shapes");
  heat_error err;
  tn_network net;
  if (tn_parse(expr, &net, &err) || tn_set_shapes(&net, shapes, "--shapes", &err))
    return cli_fail(&err);
  if (statics && tn_set_static(&net, statics, "--static", &err)) return cli_fail(&err);
  path p, l2r;
  if (path_optimize(&net, &opt, &p, &err)) return cli_fail(&err);
  /* Only the comparison needs left to right: its overflow is reported, not fatal. */
  int l2r_rc = path_left_to_right(&net, &l2r, &err);
  if (l2r_rc && l2r_rc != HEAT_ERANGE) return cli_fail(&err);
  if (csv)
    print_csv(&p);
  else
    print_table(&net, &opt, &p, l2r_rc ? NULL : &l2r);
  return 0;
}
