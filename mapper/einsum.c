/* Einsum expressions and operand shapes. Every error names the expression (or the shapes option)
 * and the 1-based column of the offending character, so a user can find it in a long layer. */
#include "mapper/einsum.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sizes beyond this are not tensors a layer holds; keeping them small lets step MACs of a few
 * indices stay far from int64 overflow (overflow is still checked where products are formed). */
#define TN_SIZE_MAX INT64_C(2147483647)

static bool is_index(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

static int expr_error(heat_error *err, const char *expr, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int expr_error(heat_error *err, const char *expr, size_t col, const char *fmt, ...) {
  char where[HEAT_ERROR_WHERE_MAX];
  char msg[HEAT_ERROR_MSG_MAX];
  snprintf(where, sizeof where, "'%.200s' column %zu", expr, col);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return heat_error_set(err, HEAT_EINVAL, where, "%s", msg);
}

/* Implicit output (numpy): the indices that appear exactly once, in ASCII order. */
static void implicit_output(tn_network *net) {
  int count[128] = {0};
  for (size_t i = 0; i < net->n_operands; i++)
    for (const char *p = net->operand[i]; *p; p++) count[(unsigned char)*p]++;
  size_t k = 0;
  for (int c = 0; c < 128; c++)
    if (count[c] == 1) net->output[k++] = (char)c;
  net->output[k] = '\0';
}

int tn_parse(const char *expr, tn_network *net, heat_error *err) {
  memset(net, 0, sizeof *net);
  if (!expr) expr = "";
  size_t len = strlen(expr);
  if (len >= TN_EXPR_MAX)
    return expr_error(err, expr, TN_EXPR_MAX, "expression longer than %d characters",
                      TN_EXPR_MAX - 1);
  memcpy(net->expr, expr, len + 1);

  bool in_output = false, explicit_output = false;
  size_t n = 0, k = 0; /* operand being read, letters in it */
  for (size_t i = 0; i < len; i++) {
    char c = expr[i];
    size_t col = i + 1;
    if (c == ' ') continue;
    if (is_index(c)) {
      char *cur = in_output ? net->output : net->operand[n];
      if (strchr(cur, c)) {
        if (in_output) return expr_error(err, expr, col, "index '%c' repeated in the output", c);
        return expr_error(err, expr, col,
                          "index '%c' repeated within operand %zu; traces and diagonals are not "
                          "supported",
                          c, n);
      }
      if (!in_output) {
        /* At most 52 distinct letters exist, so a repeat-free operand cannot overflow. */
        net->operand[n][k++] = c;
      } else {
        size_t o = strlen(net->output);
        net->output[o] = c;
      }
    } else if (c == ',' && !in_output) {
      if (n + 1 >= TN_MAX_OPERANDS)
        return expr_error(err, expr, col, "more than %d operands; heat supports at most %d",
                          TN_MAX_OPERANDS, TN_MAX_OPERANDS);
      n++;
      k = 0;
    } else if (c == '-' && i + 1 < len && expr[i + 1] == '>' && !in_output) {
      in_output = explicit_output = true;
      i++;
    } else if (c == '-' || c == '>') {
      return expr_error(err, expr, col, "'%c' is only allowed as part of a single '->'", c);
    } else {
      if (c == ',')
        return expr_error(err, expr, col, "',' in the output; the output is one operand");
      if ((unsigned char)c >= 32 && (unsigned char)c < 127)
        return expr_error(err, expr, col,
                          "unknown character '%c'; allowed: index letters a-z A-Z, ',' between "
                          "operands, '->' before the output",
                          c);
      return expr_error(err, expr, col,
                        "unknown character (byte 0x%02x); allowed: index letters a-z A-Z, ',' "
                        "between operands, '->' before the output",
                        (unsigned char)c);
    }
  }
  /* An empty expression (or one that is only '->out') names no operand at all. */
  const char *arrow = strstr(expr, "->");
  size_t input_len = arrow ? (size_t)(arrow - expr) : len;
  bool any_input = false;
  for (size_t i = 0; i < input_len; i++)
    if (expr[i] != ' ') any_input = true;
  if (!any_input) return expr_error(err, expr, 1, "empty operand list; expected e.g. 'ab,bc->ac'");
  net->n_operands = n + 1;

  if (explicit_output) {
    const char *out_start = arrow + 2;
    for (const char *p = out_start; *p; p++) {
      if (*p == ' ') continue;
      bool found = false;
      for (size_t j = 0; j < net->n_operands && !found; j++)
        found = strchr(net->operand[j], *p) != NULL;
      if (!found)
        return expr_error(err, expr, (size_t)(p - expr) + 1,
                          "output index '%c' is not in any input operand", *p);
    }
  } else {
    implicit_output(net);
  }
  return HEAT_OK;
}

int tn_set_shape(tn_network *net, size_t operand, const int64_t *dims, size_t ndims,
                 heat_error *err) {
  if (operand >= net->n_operands)
    return heat_error_set(err, HEAT_EINVAL, net->expr, "operand %zu does not exist (%zu operands)",
                          operand, net->n_operands);
  const char *idx = net->operand[operand];
  size_t rank = strlen(idx);
  if (ndims != rank)
    return heat_error_set(err, HEAT_EINVAL, net->expr,
                          "operand %zu ('%s') has %zu indices but its shape has %zu dimensions",
                          operand, idx, rank, ndims);
  for (size_t d = 0; d < rank; d++) {
    int c = (unsigned char)idx[d];
    if (dims[d] < 1 || dims[d] > TN_SIZE_MAX)
      return heat_error_set(err, HEAT_ERANGE, net->expr,
                            "operand %zu index '%c': size %lld out of range; allowed 1..%lld",
                            operand, c, (long long)dims[d], (long long)TN_SIZE_MAX);
    if (net->size[c] && net->size[c] != dims[d])
      return heat_error_set(err, HEAT_EINVAL, net->expr,
                            "index '%c' has conflicting sizes %lld and %lld (operand %zu)", c,
                            (long long)net->size[c], (long long)dims[d], operand);
  }
  for (size_t d = 0; d < rank; d++) net->size[(unsigned char)idx[d]] = dims[d];
  return HEAT_OK;
}

static int shape_error(heat_error *err, const char *what, const char *shapes, size_t col,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int shape_error(heat_error *err, const char *what, const char *shapes, size_t col,
                       const char *fmt, ...) {
  char where[HEAT_ERROR_WHERE_MAX];
  char msg[HEAT_ERROR_MSG_MAX];
  snprintf(where, sizeof where, "%s '%.200s' column %zu", what, shapes, col);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return heat_error_set(err, HEAT_EINVAL, where, "%s", msg);
}

int tn_set_shapes(tn_network *net, const char *shapes, const char *what, heat_error *err) {
  if (!what) what = "shapes";
  if (!shapes) shapes = "";
  memset(net->size, 0, sizeof net->size);
  const char *p = shapes;
  for (size_t op = 0; op < net->n_operands; op++) {
    const char *idx = net->operand[op];
    size_t rank = strlen(idx), d = 0;
    while (*p && *p != ',') {
      const char *start = p;
      size_t col = (size_t)(start - shapes) + 1;
      if (*p < '0' || *p > '9')
        return shape_error(err, what, shapes, col,
                           "expected a dimension (a positive integer) for operand %zu ('%s'), "
                           "got '%c'",
                           op, idx, *p);
      errno = 0;
      char *end = NULL;
      long long v = strtoll(p, &end, 10);
      p = end;
      if (*p && *p != ',' && *p != 'x')
        return shape_error(err, what, shapes, (size_t)(p - shapes) + 1,
                           "unexpected '%c'; dimensions are separated by 'x', operands by ','", *p);
      if (d == rank)
        return shape_error(err, what, shapes, col,
                           "operand %zu ('%s') has %zu indices but its shape has more dimensions",
                           op, idx, rank);
      int c = (unsigned char)idx[d];
      if (errno == ERANGE || v < 1 || v > TN_SIZE_MAX)
        return shape_error(err, what, shapes, col,
                           "size of index '%c' out of range; allowed 1..%lld", c,
                           (long long)TN_SIZE_MAX);
      if (net->size[c] && net->size[c] != v)
        return shape_error(err, what, shapes, col,
                           "index '%c' has conflicting sizes %lld and %lld (operand %zu, '%s')", c,
                           (long long)net->size[c], v, op, idx);
      net->size[c] = v;
      d++;
      if (*p == 'x') {
        p++;
        if (!*p || *p == ',')
          return shape_error(err, what, shapes, (size_t)(p - shapes) + 1,
                             "missing dimension after 'x'");
      }
    }
    if (d != rank)
      return shape_error(err, what, shapes, (size_t)(p - shapes) + 1,
                         "operand %zu ('%s') has %zu indices but its shape has %zu dimensions", op,
                         idx, rank, d);
    if (op + 1 < net->n_operands) {
      if (*p != ',')
        return shape_error(err, what, shapes, (size_t)(p - shapes) + 1,
                           "%zu shapes given for %zu operands", op + 1, net->n_operands);
      p++;
    }
  }
  if (*p)
    return shape_error(err, what, shapes, (size_t)(p - shapes) + 1,
                       "more shapes than the %zu operands of '%s'", net->n_operands, net->expr);
  return HEAT_OK;
}

int tn_set_static(tn_network *net, const char *list, const char *what, heat_error *err) {
  if (!what) what = "static";
  if (!list || !*list)
    return heat_error_set(err, HEAT_EINVAL, what, "expected a ','-separated list of operands");
  memset(net->is_static, 0, sizeof net->is_static);
  const char *p = list;
  for (;;) {
    size_t col = (size_t)(p - list) + 1;
    if (*p < '0' || *p > '9')
      return shape_error(err, what, list, col, "expected an operand number (0..%zu)",
                         net->n_operands - 1);
    errno = 0;
    char *end = NULL;
    long long v = strtoll(p, &end, 10);
    if (errno == ERANGE || v < 0 || (size_t)v >= net->n_operands)
      return shape_error(err, what, list, col,
                         "operand %.*s does not exist; operands are numbered 0..%zu",
                         (int)(end - p), p, net->n_operands - 1);
    if (net->is_static[v])
      return shape_error(err, what, list, col, "operand %lld is listed twice", v);
    net->is_static[v] = true;
    p = end;
    if (!*p) break;
    if (*p != ',')
      return shape_error(err, what, list, (size_t)(p - list) + 1,
                         "unexpected '%c'; operands are separated by ','", *p);
    p++;
  }
  return HEAT_OK;
}

int64_t tn_elements(const tn_network *net, const char *indices) {
  int64_t e = 1;
  for (const char *p = indices; *p; p++) {
    int64_t s = net->size[(unsigned char)*p];
    if (__builtin_mul_overflow(e, s, &e)) return INT64_MAX;
  }
  return e;
}
