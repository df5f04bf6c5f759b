/* Internal to mapspace.c: the operand-to-buffer assignments of a step and which of them hold a
 * tiling. An assignment fits when every buffer it uses holds the footprints of the operands it
 * puts there (and, with bytes reserved by a fused chain, one reserved buffer holds them beside
 * its tiles). Many assignments share a (buffer, operand set) group: the search checks each
 * group once per tiling and each assignment by a mask of its groups, instead of summing every
 * assignment's footprints again (a 1x1 array with 8 any-operand buffers has 512 assignments). */
#ifndef HEAT_MAPSPACE_ASSIGN_H
#define HEAT_MAPSPACE_ASSIGN_H

#include <stdint.h>

#include "mapper/tile.h"

#define MAP_MAX_ASSIGN (ARCH_MAX_BUFFERS * ARCH_MAX_BUFFERS * ARCH_MAX_BUFFERS)
#define MAP_MAX_GROUPS (ARCH_MAX_BUFFERS * (1 << MAP_OPS)) /* buffer x nonempty operand set */

typedef struct map__assign {
  int n;
  int buf[MAP_MAX_ASSIGN][MAP_OPS];
  uint64_t need[MAP_MAX_ASSIGN]; /* bit k: the assignment forms group k */
  uint8_t used[MAP_MAX_ASSIGN];  /* bit j: buffer j holds some operand */
  uint8_t single[MAP_MAX_ASSIGN]; /* bit op: the operand's buffer is single-buffered */
  int ngroups;
  int group_buf[MAP_MAX_GROUPS];
  uint8_t group_ops[MAP_MAX_GROUPS]; /* bit op: the operands the group's buffer holds */
  double usable[ARCH_MAX_BUFFERS];
  /* p->reserved_bytes > 0: the buffers that may keep them, and those of them where the bytes
   * fit alone (an assignment that leaves such a buffer empty fits them there). */
  bool reserved;
  double reserved_bytes;
  uint8_t reserved_in, reserved_alone;
} map__assign;

/* The assignments the buffers' operand masks and p->buffers allow, in the search's enumeration
 * order (input's buffer outermost). HEAT_ENOFIT names the operand no buffer may hold. */
int map__assignments(const arch *a, const map_problem *p, map__assign *as, heat_error *err);

/* The assignments (ascending) that hold tiles of footprint `fp` (map__footprint); returns how
 * many. Exactly the assignments whose buffers each hold the sum of their operands' footprints
 * (summed in operand order, as map_eval does) and that map__reserved_fit accepts. */
int map__assign_fitting(const map__assign *as, const double *fp, int *fits);

#endif
