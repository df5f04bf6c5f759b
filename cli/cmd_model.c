/* heat model: list the preset models, show the operations of one. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_opts.h"
#include "common/heat_parse.h"
#include "workloads/model.h"
#include "workloads/model_print.h"

static void model_help(FILE *out) {
  fprintf(out,
          "usage: heat model list\n"
          "       heat model show NAME|FILE [--seq N] [--batch N] [--csv]\n\n"
          "list  the preset models with their parameter totals.\n"
          "show  every operation of a model: the embeddings, one transformer block (Q, K, V, O\n"
          "      and FFN linears with their weight shape out x in, the attention matmuls per\n"
          "      head, softmax, LayerNorm, GELU, residual adds), the output layers, with MACs\n"
          "      and parameters per operation, per block and for the whole model.\n"
          "      NAME is a preset; FILE a .cfg description (see workloads/README.md).\n\n"
          "  --seq N     sequence length (1..positions; not for vision models)\n"
          "  --batch N   sequences (or images) per forward pass\n"
          "  --csv       one row per operation with a header row, then a total row\n");
}

int cmd_model(int argc, char **argv) {
  const char *seq_text = NULL, *batch_text = NULL, *pos[3];
  bool csv = false;
  const cli_opt opts[] = {CLI_TEXT("seq", &seq_text), CLI_TEXT("batch", &batch_text),
                          CLI_FLAG("csv", &csv)};
  cli_parser p = {.cmd = "model", .opts = opts, .n_opts = CLI_COUNT(opts), .positional = pos,
                  .max_positional = 3};
  int rc = cli_parse(&p, argc, argv);
  if (rc) return rc;
  if (p.help) {
    model_help(stdout);
    return 0;
  }
  heat_error err;
  if (p.n_positional == 0) return cli_usage_error("model", "missing action: list or show");
  const char *action = pos[0];
  if (strcmp(action, "list") == 0) {
    if (p.n_positional > 1)
      return cli_usage_error("model", "list takes no arguments, got '%s'", pos[1]);
    if (seq_text || batch_text || csv)
      return cli_usage_error("model", "list takes no options; --seq, --batch and --csv are "
                                      "for show");
    return model_fprint_presets(stdout, &err) ? cli_fail(&err) : 0;
  }
  if (strcmp(action, "show") != 0)
    return cli_usage_error("model", "unknown action '%s'; allowed: list, show", action);
  if (p.n_positional == 1)
    return cli_usage_error("model", "show needs a preset name or a .cfg file");
  if (p.n_positional > 2)
    return cli_usage_error("model", "show takes one preset name or .cfg file; got '%s' and '%s'",
                           pos[1], pos[2]);
  model m;
  int64_t v;
  if (model_resolve(pos[1], &m, &err)) return cli_fail(&err);
  if (seq_text && (heat_parse_int64(seq_text, INT64_MIN, INT64_MAX, "--seq", &v, &err) ||
                   model_set_seq(&m, v, "--seq", &err)))
    return cli_fail(&err);
  if (batch_text && (heat_parse_int64(batch_text, INT64_MIN, INT64_MAX, "--batch", &v, &err) ||
                     model_set_batch(&m, v, "--batch", &err)))
    return cli_fail(&err);
  if ((csv ? model_fprint_csv(stdout, &m, &err) : model_fprint(stdout, &m, &err)))
    return cli_fail(&err);
  return 0;
}
