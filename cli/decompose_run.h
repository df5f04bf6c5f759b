/* heat decompose's evaluation of one weight: factorize (or read the errors off the unfoldings'
 * spectra in a sweep), find the MAC-optimal path of the layer's einsum, print a block or rows. */
#ifndef HEAT_CLI_DECOMPOSE_RUN_H
#define HEAT_CLI_DECOMPOSE_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/heat_error.h"
#include "mapper/path.h"
#include "workloads/factorize.h"

typedef struct decompose_job {
  wl_layer base; /* format and shape; the ranks of a single run */
  wl_factor_options fo;
  path_precompute pre;
  int64_t tokens;
  const int64_t *sweep; /* the swept ranks, or NULL for a single run with base's ranks */
  size_t n_sweep;
  bool exact, csv, from_file;
  int64_t max_bytes; /* --max-memory */
} decompose_job;

/* Refuses (HEAT_ERANGE naming --max-memory) a run whose estimated memory for an M x N weight
 * (wl_factorize_bytes, or wl_spectra_bytes for a fast sweep) passes job->max_bytes. */
int decompose_check_memory(const decompose_job *job, int64_t M, int64_t N, heat_error *err);

/* Every sweep setting clipped to its tight bounds and checked, so that a bad --sweep-ranks
 * fails before anything is printed. */
int decompose_check_sweep(const decompose_job *job, heat_error *err);

/* The CSV header row (weights, tensor, format, ...). */
void decompose_print_csv_header(void);

/* Evaluates weight w (its label, and its tensor name or "" for the tensor column) and prints
 * its block (single run) or table (sweep; CSV rows only, the caller prints the header once).
 * Returns the exit code (0 on success, after printing the error otherwise). */
int decompose_run(const decompose_job *job, const wl_matrix *w, const char *label,
                  const char *tensor);

#endif
