#include "common/heat_budget.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUDGET_MIN (INT64_C(1) << 20)
#define BUDGET_MAX (INT64_C(1) << 60)

int64_t heat_budget_default(void) {
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return INT64_C(4) << 30;
  int64_t half = (int64_t)pages / 2 * (int64_t)page;
  return half < BUDGET_MIN ? BUDGET_MIN : half;
}

int heat_budget_parse(const char *text, const char *what, int64_t *out, heat_error *err) {
  if (!text || !isdigit((unsigned char)text[0]))
    return heat_error_set(err, HEAT_EINVAL, what,
                          "'%s' is not a byte count; write e.g. 8G, 512M or 1048576",
                          text ? text : "");
  errno = 0;
  char *end;
  unsigned long long v = strtoull(text, &end, 10);
  static const struct {
    const char *suffix;
    int shift;
  } units[] = {{"", 0},     {"K", 10},   {"KiB", 10}, {"M", 20}, {"MiB", 20},
               {"G", 30},   {"GiB", 30}, {"T", 40},   {"TiB", 40}};
  int shift = -1;
  for (size_t i = 0; i < sizeof units / sizeof units[0] && shift < 0; i++)
    if (strcmp(end, units[i].suffix) == 0) shift = units[i].shift;
  if (shift < 0)
    return heat_error_set(err, HEAT_EINVAL, what,
                          "'%s': unknown unit '%s'; allowed K, M, G, T (powers of 1024) or none",
                          text, end);
  if (errno == ERANGE || v > (unsigned long long)(BUDGET_MAX >> shift) ||
      (int64_t)(v << shift) < BUDGET_MIN)
    return heat_error_set(err, HEAT_ERANGE, what, "%s is out of range; allowed 1M..%lldT", text,
                          (long long)(BUDGET_MAX >> 40));
  *out = (int64_t)(v << shift);
  return HEAT_OK;
}

void heat_budget_format(double bytes, char *buf, size_t cap) {
  static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024.0) {
    snprintf(buf, cap, "%.0f bytes", bytes);
    return;
  }
  int u = -1;
  while (bytes >= 1024.0 && u < 5) {
    bytes /= 1024.0;
    u++;
  }
  snprintf(buf, cap, "%.1f %s", bytes, units[u]);
}

int heat_budget_check(double need, int64_t budget, const char *what, const char *for_what,
                      heat_error *err) {
  if (need <= (double)budget) return HEAT_OK;
  char n[32], b[32];
  heat_budget_format(need, n, sizeof n);
  heat_budget_format((double)budget, b, sizeof b);
  return heat_error_set(err, HEAT_ERANGE, what,
                        "%s needs about %s, more than the memory budget of %s; lower the request "
                        "or raise %s (default: half the physical memory)",
                        for_what, n, b, what);
}
