/* SCALE-Sim's three report files, byte for byte as scalesim/simulator.py writes them: a header
 * of ", "-separated names ending in ",", then per layer str() of each value joined the same way
 * (Python ints, and floats in repr() form: "1.0", "75.42250570324504"). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sim/scalesim.h"

void scalesim_format_float(double v, char *buf, size_t size) {
  if (isnan(v)) {
    snprintf(buf, size, "nan");
    return;
  }
  if (isinf(v)) {
    snprintf(buf, size, v < 0 ? "-inf" : "inf");
    return;
  }
  if (v == 0) {
    snprintf(buf, size, signbit(v) ? "-0.0" : "0.0");
    return;
  }
  /* The shortest digit string that reads back as v (repr's rule), then Python's layout:
   * positional for exponents -4..15, else d.ddde+XX. */
  char tmp[48];
  for (int p = 1; p <= 17; p++) {
    snprintf(tmp, sizeof tmp, "%.*e", p - 1, v);
    if (strtod(tmp, NULL) == v) break;
  }
  const char *s = tmp;
  bool neg = *s == '-';
  if (neg) s++;
  char digits[24];
  size_t nd = 0;
  for (; *s && *s != 'e'; s++)
    if (*s != '.') digits[nd++] = *s;
  while (nd > 1 && digits[nd - 1] == '0') nd--;
  digits[nd] = '\0';
  int exp = atoi(s + 1);
  char out[64];
  size_t o = 0;
  if (neg) out[o++] = '-';
  if (exp >= -4 && exp < 16) {
    if (exp < 0) {
      out[o++] = '0';
      out[o++] = '.';
      for (int i = 0; i < -exp - 1; i++) out[o++] = '0';
      for (size_t i = 0; i < nd; i++) out[o++] = digits[i];
    } else {
      for (int i = 0; i <= exp; i++) out[o++] = (size_t)i < nd ? digits[i] : '0';
      out[o++] = '.';
      if ((size_t)exp + 1 < nd)
        for (size_t i = (size_t)exp + 1; i < nd; i++) out[o++] = digits[i];
      else
        out[o++] = '0';
    }
    out[o] = '\0';
  } else {
    out[o++] = digits[0];
    if (nd > 1) {
      out[o++] = '.';
      for (size_t i = 1; i < nd; i++) out[o++] = digits[i];
    }
    snprintf(out + o, sizeof out - o, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
  }
  snprintf(buf, size, "%s", out);
}

static void ss_f(FILE *f, double v) {
  char b[64];
  scalesim_format_float(v, b, sizeof b);
  fprintf(f, ", %s", b);
}

/* A cycle SCALE-Sim holds as a numpy float: printed as "1734.0". */
static void ss_cycle(FILE *f, int64_t v) { fprintf(f, ", %lld.0", (long long)v); }

static FILE *ss_open(const char *dir, const char *name, char *path, size_t size, heat_error *err) {
  snprintf(path, size, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  if (!f) heat_error_set(err, HEAT_EIO, path, "cannot write: %s", strerror(errno));
  return f;
}

static int ss_close(FILE *f, const char *path, heat_error *err) {
  bool bad = ferror(f);
  if (fclose(f) != 0 || bad) return heat_error_set(err, HEAT_EIO, path, "write failed");
  return HEAT_OK;
}

int scalesim_write_reports(const char *dir, const scalesim_result *r, size_t n, heat_error *err) {
  if (mkdir(dir, 0777) != 0 && errno != EEXIST)
    return heat_error_set(err, HEAT_EIO, dir, "cannot create the folder: %s", strerror(errno));
  char path[4096];
  FILE *f = ss_open(dir, "COMPUTE_REPORT.csv", path, sizeof path, err);
  if (!f) return err->code;
  fputs("LayerID, Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, "
        "Compute Util %,\n", f);
  for (size_t i = 0; i < n; i++) {
    fprintf(f, "%zu, %lld, %lld", i, (long long)r[i].total_cycles, (long long)r[i].stall_cycles);
    ss_f(f, r[i].overall_util_pct);
    ss_f(f, r[i].mapping_eff_pct);
    ss_f(f, r[i].compute_util_pct);
    fputs(",\n", f);
  }
  if (ss_close(f, path, err)) return err->code;

  if (!(f = ss_open(dir, "BANDWIDTH_REPORT.csv", path, sizeof path, err))) return err->code;
  fputs("LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, Avg OFMAP SRAM BW, "
        "Avg IFMAP DRAM BW, Avg FILTER DRAM BW, Avg OFMAP DRAM BW,\n", f);
  for (size_t i = 0; i < n; i++) {
    fprintf(f, "%zu", i);
    for (int op = 0; op < 3; op++) ss_f(f, r[i].sram_bw[op]);
    for (int op = 0; op < 3; op++) ss_f(f, r[i].dram_bw[op]);
    fputs(",\n", f);
  }
  if (ss_close(f, path, err)) return err->code;

  if (!(f = ss_open(dir, "DETAILED_ACCESS_REPORT.csv", path, sizeof path, err))) return err->code;
  fputs("LayerID, "
        "SRAM IFMAP Start Cycle, SRAM IFMAP Stop Cycle, SRAM IFMAP Reads, "
        "SRAM Filter Start Cycle, SRAM Filter Stop Cycle, SRAM Filter Reads, "
        "SRAM OFMAP Start Cycle, SRAM OFMAP Stop Cycle, SRAM OFMAP Writes, "
        "DRAM IFMAP Start Cycle, DRAM IFMAP Stop Cycle, DRAM IFMAP Reads, "
        "DRAM Filter Start Cycle, DRAM Filter Stop Cycle, DRAM Filter Reads, "
        "DRAM OFMAP Start Cycle, DRAM OFMAP Stop Cycle, DRAM OFMAP Writes,\n", f);
  for (size_t i = 0; i < n; i++) {
    fprintf(f, "%zu", i);
    for (int op = 0; op < 3; op++) {
      ss_cycle(f, r[i].sram_start[op]);
      ss_cycle(f, r[i].sram_stop[op]);
      fprintf(f, ", %lld", (long long)r[i].sram_count[op]);
    }
    for (int op = 0; op < 3; op++) {
      ss_cycle(f, r[i].dram_start[op]);
      ss_cycle(f, r[i].dram_stop[op]);
      fprintf(f, ", %lld", (long long)r[i].dram_count[op]);
    }
    fputs(",\n", f);
  }
  return ss_close(f, path, err);
}
