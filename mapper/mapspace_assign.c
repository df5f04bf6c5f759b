#include "mapper/mapspace_assign.h"

static const char *const map__op_label[MAP_OPS] = {"input", "weight", "output"};

/* The group of buffer j holding the operands `ops`, added when new. */
static int map__group(map__assign *as, int j, uint8_t ops) {
  for (int k = 0; k < as->ngroups; k++)
    if (as->group_buf[k] == j && as->group_ops[k] == ops) return k;
  as->group_buf[as->ngroups] = j;
  as->group_ops[as->ngroups] = ops;
  return as->ngroups++;
}

int map__assignments(const arch *a, const map_problem *p, map__assign *as, heat_error *err) {
  int choices[MAP_OPS][ARCH_MAX_BUFFERS], nch[MAP_OPS];
  for (int op = 0; op < MAP_OPS; op++) {
    nch[op] = 0;
    for (size_t j = 0; j < a->n_buffers && j < ARCH_MAX_BUFFERS; j++)
      if ((a->buffers[j].operands & (1u << op)) &&
          (!p->buffers[op] || (p->buffers[op] & (1u << j))))
        choices[op][nch[op]++] = (int)j;
    if (nch[op] == 0)
      return heat_error_set(err, HEAT_ENOFIT, a->name,
                            "no buffer of arch '%s' may hold the %s operand (check the buffers' "
                            "operand lists)",
                            a->name, map__op_label[op]);
  }
  for (size_t j = 0; j < a->n_buffers && j < ARCH_MAX_BUFFERS; j++)
    as->usable[j] = map__usable(&a->buffers[j]);
  as->reserved = p->reserved_bytes > 0;
  as->reserved_bytes = p->reserved_bytes;
  as->reserved_in = as->reserved_alone = 0;
  for (size_t j = 0; j < a->n_buffers && j < ARCH_MAX_BUFFERS && as->reserved; j++) {
    if (p->reserved_buffers && !(p->reserved_buffers & (1u << j))) continue;
    as->reserved_in |= (uint8_t)(1u << j);
    if (0 + p->reserved_bytes <= as->usable[j]) as->reserved_alone |= (uint8_t)(1u << j);
  }
  as->n = 0;
  as->ngroups = 0;
  for (int i = 0; i < nch[0]; i++)
    for (int w = 0; w < nch[1]; w++)
      for (int o = 0; o < nch[2]; o++) {
        int *buf = as->buf[as->n];
        buf[0] = choices[0][i];
        buf[1] = choices[1][w];
        buf[2] = choices[2][o];
        uint8_t ops[ARCH_MAX_BUFFERS] = {0}, used = 0, single = 0;
        for (int op = 0; op < MAP_OPS; op++) {
          ops[buf[op]] |= (uint8_t)(1u << op);
          used |= (uint8_t)(1u << buf[op]);
          if (!a->buffers[buf[op]].double_buffered) single |= (uint8_t)(1u << op);
        }
        uint64_t need = 0;
        for (int j = 0; j < ARCH_MAX_BUFFERS; j++)
          if (ops[j]) need |= 1ull << map__group(as, j, ops[j]);
        as->need[as->n] = need;
        as->used[as->n] = used;
        as->single[as->n] = single;
        as->n++;
      }
  return HEAT_OK;
}

int map__assign_fitting(const map__assign *as, const double *fp, int *fits) {
  /* Each group's footprint summed from 0 in operand order, as map_eval and map__reserved_fit
   * sum a buffer's operands: the same doubles, so the comparisons decide alike. */
  uint64_t fit = 0, fit_reserved = 0;
  for (int k = 0; k < as->ngroups; k++) {
    double need = 0;
    for (int op = 0; op < MAP_OPS; op++)
      if (as->group_ops[k] & (1u << op)) need += fp[op];
    int j = as->group_buf[k];
    if (!(need > as->usable[j])) fit |= 1ull << k;
    if (as->reserved && (as->reserved_in & (1u << j)) &&
        need + as->reserved_bytes <= as->usable[j])
      fit_reserved |= 1ull << k;
  }
  int nfit = 0;
  for (int i = 0; i < as->n; i++) {
    if (as->need[i] & ~fit) continue;
    if (as->reserved && !(as->need[i] & fit_reserved) && !(as->reserved_alone & ~as->used[i]))
      continue;
    fits[nfit++] = i;
  }
  return nfit;
}
