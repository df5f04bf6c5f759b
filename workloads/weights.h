/* Weight files: safetensors (F32, F16, BF16, F64) and NumPy .npy (<f4, <f8, <f2), one 2-D tensor
 * (out x in) read into doubles. Every error names the file and the tensor; headers are checked
 * strictly (lengths, offsets, JSON syntax, dtype, shape) and NaN/Inf values are rejected. */
#ifndef HEAT_WL_WEIGHTS_H
#define HEAT_WL_WEIGHTS_H

#include <stddef.h>
#include <stdint.h>

#include "common/heat_error.h"
#include "workloads/matrix.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Reads tensor `name` of a safetensors file. */
int wl_safetensors_read(const char *path, const char *name, wl_matrix *out, heat_error *err);

#define WL_TENSOR_NAME_MAX 512
#define WL_TENSOR_MAX_DIMS 8

typedef struct wl_tensor_info {
  char name[WL_TENSOR_NAME_MAX];
  char dtype[16]; /* as the file says: F32, F16, BF16, I64, ... */
  size_t ndim;
  int64_t shape[WL_TENSOR_MAX_DIMS];
} wl_tensor_info;

/* The tensors of a safetensors file in header order (without reading their data); *out is
 * caller-owned (free()). */
int wl_safetensors_list(const char *path, wl_tensor_info **out, size_t *count, heat_error *err);

/* Reads tensor `name` of any shape (1..WL_TENSOR_MAX_DIMS dims) as row-major doubles; *data is
 * caller-owned (free()). */
int wl_safetensors_read_tensor(const char *path, const char *name, wl_tensor_info *info,
                               double **data, heat_error *err);

/* Reads a 2-D .npy array (C or Fortran order). */
int wl_npy_read(const char *path, wl_matrix *out, heat_error *err);

/* Reads "file.safetensors:tensor" or "file.npy". The tensor may be a Hugging Face name or the
 * shorthand "layer<i>.<role>" (role q, k, v, o, ffn1, ffn2), mapped with wl_bert_weight_name
 * (tried with and without the "bert." prefix). When rows/cols are > 0 the tensor must be
 * rows x cols. */
int wl_weights_load(const char *spec, int64_t rows, int64_t cols, wl_matrix *out, heat_error *err);

/* The linear layers of a BERT encoder layer. */
typedef enum wl_bert_role {
  WL_BERT_Q = 0,
  WL_BERT_K = 1,
  WL_BERT_V = 2,
  WL_BERT_O = 3,    /* attention output projection */
  WL_BERT_FFN1 = 4, /* intermediate.dense: 3072 x 768 in BERT-base */
  WL_BERT_FFN2 = 5, /* output.dense: 768 x 3072 */
} wl_bert_role;
#define WL_BERT_ROLES 6

const char *wl_bert_role_name(wl_bert_role r); /* "q", "k", "v", "o", "ffn1", "ffn2" */
int wl_bert_role_parse(const char *text, wl_bert_role *out, heat_error *err);

/* "bert.encoder.layer.{i}.attention.self.query.weight" and so on. Returns the length written,
 * or -1 when it does not fit. */
int wl_bert_weight_name(int layer, wl_bert_role role, char *buf, size_t cap);

/* The reverse: HEAT_OK with layer and role when name is a BERT linear weight (with or without the
 * "bert." prefix), HEAT_ENOTFOUND otherwise. */
int wl_bert_parse_name(const char *name, int *layer, wl_bert_role *role);

/* The BERT linear weights among tensors t[0..n) (names wl_bert_parse_name accepts) that are 2-D
 * rows x cols, in layer-then-role order (q, k, v, o, ffn1, ffn2): their indices into t go to
 * idx (room for n); returns how many. */
size_t wl_bert_linears(const wl_tensor_info *t, size_t n, int64_t rows, int64_t cols,
                       size_t *idx);

/* The distinct sizes of the BERT linear weights among t, "3072x768 (12), 768x3072 (12)" (with
 * counts), or "none" — for an error that says what a checkpoint holds. */
void wl_bert_linear_sizes(const wl_tensor_info *t, size_t n, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
