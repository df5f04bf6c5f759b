/* Einsum tensor networks: operands with named indices and sizes, one output.
 * The tensor-network core of mapper/: depends on nothing of heat but common/. */
#ifndef HEAT_EINSUM_H
#define HEAT_EINSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/heat_error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TN_MAX_OPERANDS 32 /* exact DP up to PATH_DP_MAX_OPERANDS, mapper/path_large.c beyond */
#define TN_MAX_INDICES 52  /* a-z, A-Z */
#define TN_EXPR_MAX 512

typedef struct tn_network {
  char expr[TN_EXPR_MAX]; /* as given, for messages */
  size_t n_operands;
  char operand[TN_MAX_OPERANDS][TN_MAX_INDICES + 1]; /* index letters of each operand */
  char output[TN_MAX_INDICES + 1];
  int64_t size[128];                                 /* size of each index letter; 0 = unset */
  bool is_static[TN_MAX_OPERANDS]; /* a weight known offline (may be pre-computed) */
} tn_network;

/* Parses "bc,a,da->bd" (implicit output = indices appearing once, sorted, when '->' is absent).
 * Errors name the expression and the 1-based column of the offending character. */
int tn_parse(const char *expr, tn_network *net, heat_error *err);

/* Sets operand shapes from "384x768,280,768x280" (one group per operand, ',' between operands,
 * 'x' between dimensions; a scalar operand is written as an empty group). Checks ranks match
 * and every index has one size. `what` names the option in errors (e.g. "--shapes"). */
int tn_set_shapes(tn_network *net, const char *shapes, const char *what, heat_error *err);

/* Sets one operand's shape. */
int tn_set_shape(tn_network *net, size_t operand, const int64_t *dims, size_t ndims,
                 heat_error *err);

/* Marks the operands listed in "1,2,4" (0-based operand numbers) static and all others dynamic.
 * `what` names the option in errors (e.g. "--static"). */
int tn_set_static(tn_network *net, const char *list, const char *what, heat_error *err);

/* Elements of an operand given its index letters (product of the index sizes). */
int64_t tn_elements(const tn_network *net, const char *indices);

#ifdef __cplusplus
}
#endif
#endif
