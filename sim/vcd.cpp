#include "sim/vcd.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>

struct vcd_writer {
  FILE *f = nullptr;
  const char *path = nullptr;
  int64_t time = -1;
  int64_t value[VCD_SIGNALS];
};

namespace {
struct vcd_sig { const char *name; int width; char id; };
const vcd_sig sigs[VCD_SIGNALS] = {
    {"array_busy", 1, '!'}, {"dma_busy", 1, '"'}, {"dma_inflight", 16, '#'}, {"simd_busy", 1, '$'},
    {"array_stall_sram_port", 1, '%'}, {"array_stall_bank_conflict", 1, '&'},
    {"dma_stall_sram_port", 1, '\''}, {"simd_stall_sram_port", 1, '('}};

void put(FILE *f, int sig, int64_t v) {
  if (sigs[sig].width == 1) {
    std::fprintf(f, "%d%c\n", v ? 1 : 0, sigs[sig].id);
    return;
  }
  char bits[70];
  int n = 0;
  uint64_t u = (uint64_t)v;
  do {
    bits[n++] = (char)('0' + (u & 1));
    u >>= 1;
  } while (u);
  std::fputc('b', f);
  while (n) std::fputc(bits[--n], f);
  std::fprintf(f, " %c\n", sigs[sig].id);
}
} // namespace

vcd_writer *vcd_open(const char *path, heat_error *err) {
  FILE *f = std::fopen(path, "w");
  if (!f) {
    heat_error_set(err, HEAT_EIO, path, "cannot write: %s", std::strerror(errno));
    return nullptr;
  }
  vcd_writer *w = new (std::nothrow) vcd_writer;
  if (!w) {
    std::fclose(f);
    heat_error_set(err, HEAT_ENOMEM, path, "out of memory");
    return nullptr;
  }
  w->f = f;
  w->path = path;
  std::fprintf(f, "$comment heat sim: unit activity, one timestep per cycle $end\n"
                  "$timescale 1ns $end\n$scope module accelerator $end\n");
  for (int s = 0; s < VCD_SIGNALS; s++)
    std::fprintf(f, "$var wire %d %c %s $end\n", sigs[s].width, sigs[s].id, sigs[s].name);
  std::fprintf(f, "$upscope $end\n$enddefinitions $end\n#0\n$dumpvars\n");
  for (int s = 0; s < VCD_SIGNALS; s++) {
    w->value[s] = 0;
    put(f, s, 0);
  }
  std::fprintf(f, "$end\n");
  w->time = 0;
  return w;
}

void vcd_change(vcd_writer *w, int64_t cycle, int sig, int64_t value) {
  if (w->value[sig] == value) return;
  if (cycle < w->time) cycle = w->time;
  if (cycle != w->time) {
    std::fprintf(w->f, "#%lld\n", (long long)cycle);
    w->time = cycle;
  }
  w->value[sig] = value;
  put(w->f, sig, value);
}

int vcd_close(vcd_writer *w, int64_t end_cycle, heat_error *err) {
  if (end_cycle > w->time) std::fprintf(w->f, "#%lld\n", (long long)end_cycle);
  bool bad = std::ferror(w->f) != 0;
  if (std::fclose(w->f) != 0) bad = true;
  int rc = bad ? heat_error_set(err, HEAT_EIO, w->path, "write failed") : HEAT_OK;
  delete w;
  return rc;
}
