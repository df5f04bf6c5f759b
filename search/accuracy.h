/* The accuracy model of HEAT's objective (1 - acc)·EDP^γ fitted to measured accuracies
 * (`heat search --accuracy-data FILE`) instead of the default ε proxy.
 *
 * FILE is a CSV of plans whose accuracy the user measured (e.g. F1 after fine-tuning each
 * factorized model), one plan per line, with a header naming at least the columns
 *     eps_mean   the plan's size-weighted mean reconstruction error of the linear weights, as
 *                heat reports it (summary.csv, evaluations.csv, a plan's figures.rel_error)
 *     accuracy   the measured accuracy as a fraction in [0, 1] (0.8816, not 88.16)
 * in any order; other columns (a plan name, a note) are ignored. Blank lines and lines
 * starting with '#' are skipped; fields may be in double quotes. At least 3 plans, and at
 * least two different eps_mean values.
 *
 * Model: acc(ε̄) = c0 + c1·ε̄ by least squares (GSL gsl_fit_linear), kept monotone: a fitted
 * c1 > 0 (accuracy rising with error, which only noise can give) is replaced by c1 = 0 and
 * c0 = the mean accuracy. Fit quality: R² and RMSE over the rows, and the ε̄ range covered
 * (outside it the line is an extrapolation). In the search acc = max(0, c0 + c1·ε̄), the same
 * form as the proxy, so only its coefficients and its description change. */
#ifndef HEAT_SEARCH_ACCURACY_H
#define HEAT_SEARCH_ACCURACY_H

#include <stdbool.h>
#include <stddef.h>

#include "common/heat_error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ACC_FILE_MAX_BYTES (16u << 20)

typedef struct acc_fit {
  size_t n;           /* plans fitted */
  double c0, c1;      /* acc = c0 + c1 * eps_mean, c1 <= 0 */
  double r2, rmse;    /* fit quality over the rows */
  double eps_min, eps_max;
  bool clamped;       /* the least-squares slope was > 0 and was set to 0 */
} acc_fit;

/* Reads and fits FILE. Bad input (a missing column, a bad number, an accuracy outside [0, 1],
 * too few rows) is HEAT_EINVAL naming file:line; an unreadable file HEAT_EIO. */
int acc_fit_file(const char *path, acc_fit *out, heat_error *err);

/* "acc model fitted to FILE (...)" for every output that shows acc. */
void acc_fit_text(const acc_fit *f, const char *path, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
