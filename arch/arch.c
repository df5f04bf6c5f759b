/* arch: presets, derived figures (peak throughput, DRAM bytes per cycle) and dataflow names. */
#include "arch/arch.h"

#include <string.h>

#include "arch/arch_presets.h"

static const char *const dataflow_names[ARCH_DATAFLOW_COUNT] = {"os", "ws", "is"};

const char *arch_dataflow_name(arch_dataflow df) {
  return (unsigned)df < ARCH_DATAFLOW_COUNT ? dataflow_names[df] : "?";
}

int arch_dataflow_parse(const char *text, arch_dataflow *out, heat_error *err) {
  for (int i = 0; i < ARCH_DATAFLOW_COUNT; i++) {
    if (strcmp(text, dataflow_names[i]) == 0) {
      *out = (arch_dataflow)i;
      return HEAT_OK;
    }
  }
  return heat_error_set(err, HEAT_EINVAL, NULL,
                        "unknown dataflow '%s'; allowed: os (output stationary), "
                        "ws (weight stationary), is (input stationary)",
                        text);
}

size_t arch_preset_count(void) { return arch_preset_texts_count; }

const char *arch_preset_name(size_t i) {
  return i < arch_preset_texts_count ? arch_preset_texts[i].name : NULL;
}

int arch_resolve(const char *name_or_path, arch *out, heat_error *err) {
  const heat_preset *p = heat_preset_find(arch_preset_texts, arch_preset_texts_count, name_or_path);
  if (p) {
    char origin[ARCH_NAME_MAX + 16];
    snprintf(origin, sizeof origin, "preset %s", p->name);
    return arch_load_string(p->text, origin, out, err);
  }
  if (heat_preset_is_path(name_or_path)) return arch_load_file(name_or_path, out, err);
  return heat_preset_unknown(arch_preset_texts, arch_preset_texts_count, "accelerator",
                             name_or_path, err);
}

int64_t arch_peak_macs_per_cycle(const arch *a) {
  if (a->array.kind == ARCH_ARRAY_VECTOR) return (int64_t)a->array.lanes * a->array.width;
  return (int64_t)a->array.rows * a->array.cols;
}

/* 2 operations (multiply + add) per MAC; clock_ghz * 1e9 cycles/s; 1e12 ops per tera-op. */
double arch_peak_tops(const arch *a) {
  return 2.0 * (double)arch_peak_macs_per_cycle(a) * a->clock_ghz * 1e-3;
}

/* gbps is 1e9 bytes/s and clock_ghz 1e9 cycles/s, so the ratio is bytes per cycle. */
double arch_dram_bytes_per_cycle(const arch *a) { return a->dram.gbps / a->clock_ghz; }

int64_t arch_sram_bytes(const arch *a) {
  int64_t total = 0;
  for (size_t i = 0; i < a->n_buffers; i++) total += a->buffers[i].size_bytes;
  return total;
}

void arch_operands_format(unsigned operands, char *out, size_t cap) {
  static const char *const names[] = {"input", "weight", "output"};
  if ((operands & ARCH_OPERAND_ANY) == ARCH_OPERAND_ANY) {
    snprintf(out, cap, "any");
    return;
  }
  size_t used = 0;
  out[0] = '\0';
  for (unsigned i = 0; i < 3 && used < cap; i++) {
    if (!(operands & (1u << i))) continue;
    int w = snprintf(out + used, cap - used, "%s%s", used ? "," : "", names[i]);
    if (w < 0) break;
    used += (size_t)w;
  }
}
