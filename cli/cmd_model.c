/* heat model: list the preset models, show the operations of one. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
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

static int model_show(int argc, char **argv) {
  const char *name = NULL, *seq_text = NULL, *batch_text = NULL;
  bool csv = false;
  heat_error err;
  for (int i = 2; i < argc; i++) {
    if (cli_is_help(argv[i])) {
      model_help(stdout);
      return 0;
    } else if (strcmp(argv[i], "--seq") == 0 || strcmp(argv[i], "--batch") == 0) {
      if (i + 1 == argc)
        return cli_usage_error("model", "%s needs a value: a positive integer", argv[i]);
      *(argv[i][2] == 's' ? &seq_text : &batch_text) = argv[i + 1];
      i++;
    } else if (strcmp(argv[i], "--csv") == 0) {
      csv = true;
    } else if (argv[i][0] == '-') {
      return cli_usage_error("model", "unknown option '%s'", argv[i]);
    } else if (name) {
      return cli_usage_error("model", "show takes one preset name or .cfg file; got '%s' and '%s'",
                             name, argv[i]);
    } else {
      name = argv[i];
    }
  }
  if (!name) return cli_usage_error("model", "show needs a preset name or a .cfg file");
  model m;
  int64_t v;
  if (model_resolve(name, &m, &err)) return cli_fail(&err);
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

int cmd_model(int argc, char **argv) {
  heat_error err;
  if (argc < 2) return cli_usage_error("model", "missing action: list or show");
  if (cli_is_help(argv[1])) {
    model_help(stdout);
    return 0;
  }
  if (strcmp(argv[1], "list") == 0) {
    if (argc > 2 && cli_is_help(argv[2])) {
      model_help(stdout);
      return 0;
    }
    if (argc > 2) return cli_usage_error("model", "list takes no arguments, got '%s'", argv[2]);
    return model_fprint_presets(stdout, &err) ? cli_fail(&err) : 0;
  }
  if (strcmp(argv[1], "show") == 0) return model_show(argc, argv);
  return cli_usage_error("model", "unknown action '%s'; allowed: list, show", argv[1]);
}
