/* Einsum expressions, operand shapes and static lists ("expr\nshapes\nstatic"), then the
 * contraction paths: the exact DP is never worse than greedy, and both cost what they report. */
#include "mapper/einsum.h"
#include "mapper/path.h"
#include "tests/fuzz/fuzz.h"

/* Line k of text (0-based) into out, or "" when there is none. */
static const char *line_of(const char *text, int k, char *out, size_t cap) {
  const char *p = text;
  for (int i = 0; i < k && p; i++) p = (p = strchr(p, '\n')) ? p + 1 : NULL;
  size_t n = p ? strcspn(p, "\n") : 0;
  if (n >= cap) n = cap - 1;
  memcpy(out, p ? p : "", n);
  out[n] = '\0';
  return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_text(data, size);
  char expr[1024], shapes[1024], stat[256];
  line_of(text, 0, expr, sizeof expr);
  line_of(text, 1, shapes, sizeof shapes);
  line_of(text, 2, stat, sizeof stat);
  free(text);
  tn_network net;
  heat_error err;
  int rc = tn_parse(expr, &net, &err);
  if (rc) {
    FUZZ_CHECK_ERROR(rc, err);
    return 0;
  }
  FUZZ_CHECK(net.n_operands >= 1 && net.n_operands <= TN_MAX_OPERANDS);
  if ((rc = tn_set_shapes(&net, shapes, "--shapes", &err))) {
    FUZZ_CHECK_ERROR(rc, err);
    return 0;
  }
  if (stat[0] && (rc = tn_set_static(&net, stat, "--static", &err))) {
    FUZZ_CHECK_ERROR(rc, err);
    return 0;
  }
  /* the exact DP is exponential in the operands: keep each input to milliseconds */
  if (net.n_operands > 10) return 0;
  path_options opt;
  path_options_init(&opt);
  opt.precompute = PATH_PRECOMPUTE_NEVER;
  path dp, greedy;
  int rc_dp = path_optimize(&net, &opt, &dp, &err);
  if (rc_dp) FUZZ_CHECK_ERROR(rc_dp, err);
  int rc_greedy = path_greedy(&net, &opt, &greedy, &err);
  if (rc_greedy) FUZZ_CHECK_ERROR(rc_greedy, err);
  if (rc_dp || rc_greedy) return 0;
  FUZZ_CHECK(dp.n_steps == greedy.n_steps);
  FUZZ_CHECK(dp.total_macs >= 0 && greedy.total_macs >= 0);
  if (dp.exact) FUZZ_CHECK(dp.total_macs <= greedy.total_macs);
  int64_t sum = 0;
  for (size_t s = 0; s < dp.n_steps; s++) {
    FUZZ_CHECK(dp.steps[s].macs >= 0);
    sum += dp.steps[s].macs;
  }
  FUZZ_CHECK(sum == dp.total_macs);
  return 0;
}
