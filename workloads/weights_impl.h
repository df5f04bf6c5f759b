/* Internal: element decoding shared by the safetensors and .npy readers. */
#ifndef HEAT_WL_WEIGHTS_IMPL_H
#define HEAT_WL_WEIGHTS_IMPL_H

#include <stdbool.h>
#include <stdio.h>

#include "workloads/weights.h"

typedef enum wl__dtype { WL__F32, WL__F16, WL__BF16, WL__F64 } wl__dtype;

size_t wl__dtype_size(wl__dtype t);

/* *out = scale · Π dims[k]; returns nonzero (and leaves *out unset) when a dimension is
 * negative or the product exceeds INT64_MAX. Every size computed from a file's shape goes
 * through here: a crafted shape must not wrap around to a small byte count. */
/* Opens path for reading; a directory or other non-regular file (whose size fseeko reports as
 * 2^63 - 1) is an error saying so, naming path. */
int wl__open_weight_file(const char *path, FILE **out, heat_error *err);

int wl__checked_numel(const int64_t *dims, size_t ndim, int64_t scale, int64_t *out);

/* Reads rows x cols little-endian elements from fp's current position into out (allocated here),
 * transposing Fortran-order data, and rejects truncated data and NaN/Inf. `where` names the file
 * and tensor in errors. */
int wl__read_values(FILE *fp, const char *where, wl__dtype t, bool fortran, int64_t rows,
                    int64_t cols, wl_matrix *out, heat_error *err);

#endif
