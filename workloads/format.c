#include "workloads/format.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char *const format_names[WL_FORMAT_COUNT] = {"dense",  "svd", "cp",
                                                          "tucker", "ttm", "tt"};

const char *wl_format_name(wl_format f) {
  return (unsigned)f < WL_FORMAT_COUNT ? format_names[f] : "unknown";
}

int wl_format_parse(const char *text, const char *what, wl_format *out, heat_error *err) {
  for (int f = 0; f < WL_FORMAT_COUNT; f++)
    if (text && strcmp(text, format_names[f]) == 0) {
      *out = (wl_format)f;
      return HEAT_OK;
    }
  return heat_error_set(err, HEAT_EINVAL, what,
                        "unknown format '%s'; known: dense, svd, cp, tucker, ttm, tt",
                        text ? text : "");
}

size_t wl_format_rank_count(wl_format f, size_t d) {
  switch (f) {
  case WL_FORMAT_DENSE: return 0;
  case WL_FORMAT_SVD:
  case WL_FORMAT_CP: return 1;
  case WL_FORMAT_TUCKER: return 2 * d;
  case WL_FORMAT_TTM: return d - 1;
  case WL_FORMAT_TT: return 2 * d - 1;
  }
  return 0;
}

size_t wl_layer_rank_count(const wl_layer *l) {
  size_t modes = l->shape.d + l->shape.d_in;
  switch (l->format) {
  case WL_FORMAT_TUCKER: return modes;
  case WL_FORMAT_TT: return modes - 1;
  default: return wl_format_rank_count(l->format, l->shape.d);
  }
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* The sizes the TT-style formats chain over: TTM merges (m_k, n_k), TT uses the 2d modes. */
static size_t chain_dims(const wl_layer *l, int64_t dims[WL_MAX_MODES]) {
  if (l->format == WL_FORMAT_TTM) {
    for (size_t k = 0; k < l->shape.d; k++) dims[k] = l->shape.m[k] * l->shape.n[k];
    return l->shape.d;
  }
  return wl_shape_modes(&l->shape, dims);
}

size_t wl_layer_rank_upper(const wl_layer *l, int64_t upper[WL_MAX_RANKS]) {
  int64_t M = wl_shape_rows(&l->shape), N = wl_shape_cols(&l->shape);
  int64_t dims[WL_MAX_MODES];
  size_t n = wl_layer_rank_count(l);
  switch (l->format) {
  case WL_FORMAT_DENSE: break;
  case WL_FORMAT_SVD: upper[0] = min64(M, N); break;
  case WL_FORMAT_CP: {
    size_t D = wl_shape_modes(&l->shape, dims), big = 0;
    for (size_t k = 1; k < D; k++)
      if (dims[k] > dims[big]) big = k;
    int64_t p = 1;
    for (size_t k = 0; k < D; k++)
      if (k != big) p *= dims[k];
    upper[0] = p;
    break;
  }
  case WL_FORMAT_TUCKER:
    wl_shape_modes(&l->shape, dims);
    for (size_t k = 0; k < n; k++) upper[k] = dims[k];
    break;
  case WL_FORMAT_TTM:
  case WL_FORMAT_TT: {
    size_t D = chain_dims(l, dims);
    for (size_t k = 0; k + 1 < D; k++) {
      int64_t left = 1, right = 1;
      for (size_t j = 0; j <= k; j++) left *= dims[j];
      for (size_t j = k + 1; j < D; j++) right *= dims[j];
      upper[k] = min64(left, right);
    }
    break;
  }
  }
  return n;
}

void wl_layer_format_ranks(const wl_layer *l, char *buf, size_t cap) {
  size_t used = 0;
  if (cap == 0) return;
  snprintf(buf, cap, "-");
  for (size_t k = 0; k < l->n_ranks; k++) {
    int w = snprintf(buf + used, cap - used, "%s%lld", k ? "," : "", (long long)l->rank[k]);
    if (w < 0 || (size_t)w >= cap - used) return;
    used += (size_t)w;
  }
}

/* The tight bound of rank position k given the other ranks of l; *why says which limit binds. */
int64_t wl_layer_rank_bound(const wl_layer *l, size_t k, const char **why) {
  int64_t upper[WL_MAX_RANKS], dims[WL_MAX_MODES];
  size_t n = wl_layer_rank_upper(l, upper);
  int64_t b = upper[k];
  *why = l->format == WL_FORMAT_TUCKER ? "the mode size" : "the unfolding rank";
  if (l->format == WL_FORMAT_TUCKER) {
    /* a rank above the product of the others leaves the core's unfolding rank-deficient */
    int64_t others = 1;
    for (size_t j = 0; j < n && others < b; j++)
      if (j != k) others *= l->rank[j];
    if (others < b) {
      b = others;
      *why = "the product of the other ranks";
    }
  } else if (l->format == WL_FORMAT_TTM || l->format == WL_FORMAT_TT) {
    /* core k is r_{k-1} x dim_k x r_k: its rank r_k is at most r_{k-1}·dim_k, and core k+1
     * (r_k x dim_{k+1} x r_{k+1}) bounds it by dim_{k+1}·r_{k+1}; above that the core only
     * gets zero columns and the params overstate what is stored */
    chain_dims(l, dims);
    int64_t left = (k ? l->rank[k - 1] : 1) * dims[k];
    int64_t right = (k + 1 < n ? l->rank[k + 1] : 1) * dims[k + 1];
    if (left < b) {
      b = left;
      *why = "the previous rank times this mode's size";
    }
    if (right < b) {
      b = right;
      *why = "the next rank times the next mode's size";
    }
  }
  return b;
}

void wl_layer_clip_ranks(wl_layer *l, int64_t r) {
  int64_t upper[WL_MAX_RANKS];
  l->n_ranks = wl_layer_rank_upper(l, upper);
  for (size_t k = 0; k < l->n_ranks; k++) l->rank[k] = r < upper[k] ? r : upper[k];
  /* lowering one rank can only lower the others' bounds: iterate to the fixed point (each pass
   * lowers some rank or stops, so it ends) */
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t k = 0; k < l->n_ranks; k++) {
      const char *why;
      int64_t b = wl_layer_rank_bound(l, k, &why);
      if (l->rank[k] > b) {
        l->rank[k] = b;
        changed = true;
      }
    }
  }
}

int wl_layer_check_shape(const wl_layer *l, const char *what, heat_error *err) {
  char shape[WL_SHAPE_TEXT_MAX];
  wl_shape_format(&l->shape, shape, sizeof shape);
  bool paired = l->format == WL_FORMAT_TTM || l->format == WL_FORMAT_TT;
  if (paired && l->shape.d != l->shape.d_in)
    return heat_error_set(err, HEAT_EINVAL, what,
                          "format %s pairs output and input factors: shape %s needs the same "
                          "number on both sides (cp, tucker and svd take uneven shapes)",
                          wl_format_name(l->format), shape);
  if (paired && l->shape.d < 2)
    return heat_error_set(err, HEAT_EINVAL, what,
                          "format %s needs a tensorized shape (at least 2 factors per side), got "
                          "%s",
                          wl_format_name(l->format), shape);
  if ((l->format == WL_FORMAT_TUCKER || l->format == WL_FORMAT_CP) &&
      l->shape.d + l->shape.d_in < 3)
    return heat_error_set(err, HEAT_EINVAL, what,
                          "format %s needs a tensorized shape (at least 2 factors on one side, "
                          "e.g. 64x12:768), got %s",
                          wl_format_name(l->format), shape);
  return HEAT_OK;
}

int wl_layer_check(const wl_layer *l, const char *what, heat_error *err) {
  size_t want = wl_layer_rank_count(l);
  char shape[WL_SHAPE_TEXT_MAX];
  wl_shape_format(&l->shape, shape, sizeof shape);
  int rc = wl_layer_check_shape(l, what, err);
  if (rc) return rc;
  if (l->n_ranks != want)
    return heat_error_set(
        err, HEAT_EINVAL, what, "format %s with shape %s takes %zu rank%s (%s), got %zu",
        wl_format_name(l->format), shape, want, want == 1 ? "" : "s",
        l->format == WL_FORMAT_TUCKER                             ? "one per mode, OUT modes first"
        : l->format == WL_FORMAT_TTM || l->format == WL_FORMAT_TT ? "the inner ranks in mode order"
        : want                                                    ? "one number"
                                                                  : "none",
        l->n_ranks);
  int64_t upper[WL_MAX_RANKS];
  wl_layer_rank_upper(l, upper);
  for (size_t k = 0; k < want; k++)
    if (l->rank[k] < 1 || l->rank[k] > upper[k])
      return heat_error_set(
          err, HEAT_ERANGE, what, "rank %zu of %s with shape %s is %lld; allowed 1..%lld", k + 1,
          wl_format_name(l->format), shape, (long long)l->rank[k], (long long)upper[k]);
  for (size_t k = 0; k < want; k++) {
    const char *why;
    int64_t b = wl_layer_rank_bound(l, k, &why);
    if (l->rank[k] > b)
      return heat_error_set(err, HEAT_ERANGE, what,
                            "rank %zu of %s with shape %s is %lld; allowed 1..%lld given the "
                            "other ranks (%s)",
                            k + 1, wl_format_name(l->format), shape, (long long)l->rank[k],
                            (long long)b, why);
  }
  return HEAT_OK;
}

int64_t wl_layer_params(const wl_layer *l) {
  int64_t M = wl_shape_rows(&l->shape), N = wl_shape_cols(&l->shape);
  int64_t dims[WL_MAX_MODES], p = 0;
  switch (l->format) {
  case WL_FORMAT_DENSE: return M * N;
  case WL_FORMAT_SVD: return l->rank[0] * (M + N);
  case WL_FORMAT_CP: {
    size_t D = wl_shape_modes(&l->shape, dims);
    for (size_t k = 0; k < D; k++) p += dims[k] * l->rank[0];
    return p + (l->cp_weights ? l->rank[0] : 0);
  }
  case WL_FORMAT_TUCKER: {
    size_t D = wl_shape_modes(&l->shape, dims);
    int64_t core = 1;
    for (size_t k = 0; k < D; k++) {
      core *= l->rank[k];
      p += dims[k] * l->rank[k];
    }
    return p + core;
  }
  case WL_FORMAT_TTM:
  case WL_FORMAT_TT: {
    size_t D = chain_dims(l, dims);
    for (size_t k = 0; k < D; k++) {
      int64_t r0 = k ? l->rank[k - 1] : 1, r1 = k + 1 < D ? l->rank[k] : 1;
      p += r0 * dims[k] * r1;
    }
    return p;
  }
  }
  return 0;
}

double wl_layer_compression(const wl_layer *l) {
  return (double)wl_layer_params(l) /
         ((double)wl_shape_rows(&l->shape) * (double)wl_shape_cols(&l->shape));
}

/* Letters: 't' for tokens, the rest handed out in order. */
static const char letters[] = "abcdefghijklmnopqrsuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

typedef struct net_builder {
  tn_network *net;
  size_t next_letter;
} net_builder;

static char new_index(net_builder *b, int64_t size) {
  char c = letters[b->next_letter++];
  b->net->size[(unsigned char)c] = size;
  return c;
}

static void add_operand(net_builder *b, const char *indices, bool is_static) {
  size_t k = b->net->n_operands++;
  snprintf(b->net->operand[k], sizeof b->net->operand[k], "%s", indices);
  b->net->is_static[k] = is_static;
}

static void finish_expr(tn_network *net) {
  size_t used = 0;
  for (size_t k = 0; k < net->n_operands; k++)
    used += (size_t)snprintf(net->expr + used, sizeof net->expr - used, "%s%s", k ? "," : "",
                             net->operand[k]);
  snprintf(net->expr + used, sizeof net->expr - used, "->%s", net->output);
}

int wl_layer_network(const wl_layer *l, int64_t tokens, tn_network *net, heat_error *err) {
  if (tokens < 1)
    return heat_error_set(err, HEAT_ERANGE, "--seq", "%lld tokens; need at least 1",
                          (long long)tokens);
  int rc = wl_layer_check(l, "--ranks", err);
  if (rc) return rc;
  memset(net, 0, sizeof *net);
  net_builder b = {net, 0};
  net->size['t'] = tokens;
  wl_shape s = l->shape;
  if (l->format == WL_FORMAT_DENSE || l->format == WL_FORMAT_SVD)
    wl_shape_matrix(wl_shape_rows(&l->shape), wl_shape_cols(&l->shape), &s);
  int64_t dims[WL_MAX_MODES];
  size_t D = wl_shape_modes(&s, dims), d = s.d;
  char mode[WL_MAX_MODES];
  for (size_t k = 0; k < D; k++) mode[k] = new_index(&b, dims[k]);
  char x[TN_MAX_INDICES + 1] = "t", op[TN_MAX_INDICES + 1];
  memcpy(x + 1, mode + d, D - d);
  x[1 + D - d] = '\0';
  net->output[0] = 't';
  memcpy(net->output + 1, mode, d);
  add_operand(&b, x, false);
  switch (l->format) {
  case WL_FORMAT_DENSE:
    snprintf(op, sizeof op, "%c%c", mode[0], mode[1]);
    add_operand(&b, op, true);
    break;
  case WL_FORMAT_SVD: {
    char r = new_index(&b, l->rank[0]);
    snprintf(op, sizeof op, "%c%c", mode[0], r);
    add_operand(&b, op, true);
    snprintf(op, sizeof op, "%c%c", mode[1], r);
    add_operand(&b, op, true);
    break;
  }
  case WL_FORMAT_CP: {
    char r = new_index(&b, l->rank[0]);
    for (size_t k = 0; k < D; k++) {
      snprintf(op, sizeof op, "%c%c", mode[k], r);
      add_operand(&b, op, true);
    }
    if (l->cp_weights) {
      snprintf(op, sizeof op, "%c", r);
      add_operand(&b, op, true);
    }
    break;
  }
  case WL_FORMAT_TUCKER: {
    char r[WL_MAX_MODES];
    for (size_t k = 0; k < D; k++) r[k] = new_index(&b, l->rank[k]);
    memcpy(op, r, D);
    op[D] = '\0';
    add_operand(&b, op, true);
    for (size_t k = 0; k < D; k++) {
      snprintf(op, sizeof op, "%c%c", mode[k], r[k]);
      add_operand(&b, op, true);
    }
    break;
  }
  case WL_FORMAT_TTM:
  case WL_FORMAT_TT: {
    size_t cores = l->format == WL_FORMAT_TTM ? d : D;
    char r[WL_MAX_MODES];
    for (size_t k = 0; k + 1 < cores; k++) r[k] = new_index(&b, l->rank[k]);
    for (size_t k = 0; k < cores; k++) {
      size_t n = 0;
      if (k) op[n++] = r[k - 1];
      if (l->format == WL_FORMAT_TTM) {
        op[n++] = mode[k];
        op[n++] = mode[d + k];
      } else {
        op[n++] = mode[k];
      }
      if (k + 1 < cores) op[n++] = r[k];
      op[n] = '\0';
      add_operand(&b, op, true);
    }
    break;
  }
  }
  finish_expr(net);
  return HEAT_OK;
}
