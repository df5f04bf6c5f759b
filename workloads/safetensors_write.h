/* A safetensors writer (the format PyTorch's `safetensors` package loads): 8-byte little-endian
 * header length, a JSON header naming each tensor's dtype, shape and data_offsets (with an
 * optional "__metadata__" map of strings), padded with spaces to a multiple of 8 bytes, then the
 * tensors' little-endian data back to back. Tensors are added one at a time (their data go to a
 * scratch file, so a model's factors need not be held at once); the file appears at its path
 * only when wl_st_writer_close succeeds (written beside it, then renamed). */
#ifndef HEAT_WL_SAFETENSORS_WRITE_H
#define HEAT_WL_SAFETENSORS_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "common/heat_error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum wl_st_dtype { WL_ST_F32 = 0, WL_ST_F64 = 1 } wl_st_dtype;

const char *wl_st_dtype_name(wl_st_dtype t); /* "F32" | "F64" */
/* "F32"/"f32" or "F64"/"f64"; what names the option in errors. */
int wl_st_dtype_parse(const char *text, const char *what, wl_st_dtype *out, heat_error *err);

typedef struct wl_st_writer wl_st_writer;

int wl_st_writer_open(const char *path, wl_st_dtype dtype, wl_st_writer **out, heat_error *err);

/* Adds a tensor of ndim (1..8) dims, data row-major; names must be unique, non-empty UTF-8
 * without control characters. F32 refuses values beyond its range (naming the tensor). */
int wl_st_writer_add(wl_st_writer *w, const char *name, const double *data, size_t ndim,
                     const int64_t *shape, heat_error *err);

/* Adds a "__metadata__" entry (string to string; keys unique). */
int wl_st_writer_meta(wl_st_writer *w, const char *key, const char *value, heat_error *err);

/* Writes the file and frees w (also on failure, when nothing is left at the path). */
int wl_st_writer_close(wl_st_writer *w, heat_error *err);

/* Frees w without writing anything. */
void wl_st_writer_abort(wl_st_writer *w);

#ifdef __cplusplus
}
#endif
#endif
