/* Human and CSV listings of a model's operations (`heat model show`, `heat model list`). */
#include "workloads/model_print.h"

#include "common/heat_csv.h"

#include <inttypes.h>
#include <string.h>

/* "109,482,240": digits grouped by three, for human output. */
static const char *print__commas(int64_t v, char *buf, size_t cap) {
  char digits[32];
  int n = snprintf(digits, sizeof digits, "%" PRId64, v);
  size_t o = 0, lead = digits[0] == '-' ? 1 : 0;
  for (int i = 0; i < n && o + 2 < cap; i++) {
    int left = n - i; /* digits from here to the end, sign excluded below */
    if (i > (int)lead && (left % 3) == 0) buf[o++] = ',';
    buf[o++] = digits[i];
  }
  buf[o] = '\0';
  return buf;
}

static void print__shape(const model_op *op, char *buf, size_t cap) {
  switch (op->kind) {
  case MODEL_OP_LINEAR:
    snprintf(buf, cap, "%" PRId64 " x %" PRId64 " on %" PRId64 " token%s", op->out_features,
             op->in_features, op->tokens, op->tokens == 1 ? "" : "s");
    break;
  case MODEL_OP_MATMUL:
    snprintf(buf, cap, "%" PRId64 "x%" PRId64 " * %" PRId64 "x%" PRId64, op->m, op->k, op->k,
             op->n);
    break;
  default: snprintf(buf, cap, "%" PRId64 " x %" PRId64, op->rows, op->width); break;
  }
}

static void print__ops_table(FILE *out, const model_op *ops, size_t n) {
  fprintf(out, "  %-14s %-10s %-28s %6s %16s %13s\n", "layer", "op", "shape", "count", "MACs",
          "params");
  for (size_t i = 0; i < n; i++) {
    const model_op *op = &ops[i];
    char shape[64], macs[32], params[32];
    print__shape(op, shape, sizeof shape);
    fprintf(out, "  %-14s %-10s %-28s %6" PRId64 " %16s %13s%s%s\n", op->name,
            model_op_kind_name(op->kind), shape, op->count,
            print__commas(op->macs, macs, sizeof macs),
            print__commas(op->params, params, sizeof params), op->note[0] ? "  " : "", op->note);
  }
}

static void print__header(FILE *out, const model *m) {
  char b1[32], b2[32], b3[32];
  fprintf(out, "%s: %s, from %s\n", m->name, model_kind_name(m->kind), m->origin);
  fprintf(out, "  %" PRId64 " layers, hidden %s, %" PRId64 " heads of %" PRId64
               ", ffn %s, %s, %s-LayerNorm, %s\n",
          m->layers, print__commas(m->hidden, b1, sizeof b1), m->heads, m->hidden / m->heads,
          print__commas(m->ffn, b2, sizeof b2), model_activation_name(m->activation),
          model_norm_name(m->norm), m->biases ? "with biases" : "no biases");
  if (m->kind == MODEL_VISION_ENCODER)
    fprintf(out, "  image %" PRId64 "x%" PRId64 "x%" PRId64 ", patch %" PRId64 "x%" PRId64
                 ": %" PRId64 " patches + class token\n",
            m->image_size, m->image_size, m->channels, m->patch_size, m->patch_size, m->seq - 1);
  else
    fprintf(out, "  vocab %s, positions %s, token types %" PRId64 "\n",
            print__commas(m->vocab, b1, sizeof b1), print__commas(m->positions, b2, sizeof b2),
            m->token_types);
  fprintf(out, "  seq %s x batch %s = %s tokens\n", print__commas(m->seq, b1, sizeof b1),
          print__commas(m->batch, b2, sizeof b2),
          print__commas(m->seq * m->batch, b3, sizeof b3));
}

int model_fprint(FILE *out, const model *m, heat_error *err) {
  static const char *const titles[] = {"input (before the first block)", "one block",
                                       "output (after the last block)"};
  model_totals t;
  int rc = model_total(m, &t, err);
  if (rc) return rc;
  print__header(out, m);
  for (int p = MODEL_PART_INPUT; p <= MODEL_PART_OUTPUT; p++) {
    model_op ops[MODEL_OPS_MAX];
    size_t n;
    if ((rc = model_ops(m, (model_part)p, ops, MODEL_OPS_MAX, &n, err))) return rc;
    char b1[32], b2[32];
    if (p == MODEL_PART_BLOCK)
      fprintf(out, "\n%s (x %" PRId64 " layers)\n", titles[p], m->layers);
    else
      fprintf(out, "\n%s\n", titles[p]);
    if (n == 0) {
      fprintf(out, "  (nothing)\n");
      continue;
    }
    print__ops_table(out, ops, n);
    int64_t macs = p == MODEL_PART_INPUT    ? t.input_macs
                   : p == MODEL_PART_BLOCK ? t.block_macs
                                           : t.output_macs;
    int64_t params = p == MODEL_PART_INPUT    ? t.input_params
                     : p == MODEL_PART_BLOCK ? t.block_params
                                             : t.output_params;
    fprintf(out, "  %-14s %-10s %-28s %6s %16s %13s\n", "total", "", "", "",
            print__commas(macs, b1, sizeof b1), print__commas(params, b2, sizeof b2));
  }
  char b1[32], b2[32], b3[32], b4[32];
  fprintf(out, "\ntotals\n");
  fprintf(out, "  parameters  %s = input %s + %" PRId64 " x block %s + output %s\n",
          print__commas(t.params, b1, sizeof b1), print__commas(t.input_params, b2, sizeof b2),
          m->layers, print__commas(t.block_params, b3, sizeof b3),
          print__commas(t.output_params, b4, sizeof b4));
  fprintf(out, "  MACs        %s for one forward pass at seq %" PRId64 ", batch %" PRId64 "\n",
          print__commas(t.macs, b1, sizeof b1), m->seq, m->batch);
  return HEAT_OK;
}

int model_fprint_csv(FILE *out, const model *m, heat_error *err) {
  model_totals t;
  int rc = model_total(m, &t, err);
  if (rc) return rc;
  fprintf(out, "model,seq,batch,part,layer,op,repeats,count,out_features,in_features,tokens,"
               "gemm_m,gemm_k,gemm_n,rows,width,macs,params\n");
  for (int p = MODEL_PART_INPUT; p <= MODEL_PART_OUTPUT; p++) {
    model_op ops[MODEL_OPS_MAX];
    size_t n;
    if ((rc = model_ops(m, (model_part)p, ops, MODEL_OPS_MAX, &n, err))) return rc;
    int64_t repeats = p == MODEL_PART_BLOCK ? m->layers : 1;
    for (size_t i = 0; i < n; i++) {
      const model_op *op = &ops[i];
      int64_t gb, gm, gk, gn;
      model_op_gemm(op, &gb, &gm, &gk, &gn);
      heat_csv_field(out, m->name);
      fprintf(out,
              ",%" PRId64 ",%" PRId64 ",%s,%s,%s,%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64
              ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64
              ",%" PRId64 ",%" PRId64 "\n",
              m->seq, m->batch, model_part_name((model_part)p), op->name,
              model_op_kind_name(op->kind), repeats, op->count, op->out_features,
              op->in_features, op->tokens, gm, gk, gn, op->rows, op->width, op->macs,
              op->params);
    }
  }
  heat_csv_field(out, m->name);
  fprintf(out, ",%" PRId64 ",%" PRId64 ",total,total,,1,1,0,0,0,0,0,0,0,0,%" PRId64
               ",%" PRId64 "\n",
          m->seq, m->batch, t.macs, t.params);
  return HEAT_OK;
}

int model_fprint_presets(FILE *out, heat_error *err) {
  fprintf(out, "%-12s %-15s %6s %7s %6s %6s %14s\n", "name", "kind", "layers", "hidden",
          "heads", "seq", "params");
  for (size_t i = 0; i < model_preset_count(); i++) {
    model m;
    model_totals t;
    int rc = model_resolve(model_preset_name(i), &m, err);
    if (!rc) rc = model_total(&m, &t, err);
    if (rc) return rc;
    char b[32];
    fprintf(out, "%-12s %-15s %6" PRId64 " %7" PRId64 " %6" PRId64 " %6" PRId64 " %14s\n",
            m.name, model_kind_name(m.kind), m.layers, m.hidden, m.heads, m.seq,
            print__commas(t.params, b, sizeof b));
  }
  return HEAT_OK;
}
