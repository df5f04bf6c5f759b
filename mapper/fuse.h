/* Fused einsum chains: consecutive steps of a contraction path whose intermediate stays in SRAM
 * (no DRAM round trip). When a whole intermediate does not fit, the chain is tiled along the
 * token index so each tile's intermediates do (weights are then fetched once per token tile).
 * Groups are grown greedily along the path and kept only when they cost no more (objective) and
 * move no more DRAM bytes than the same steps unfused. */
#ifndef HEAT_FUSE_H
#define HEAT_FUSE_H

#include "mapper/hwpath.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FUSE_MAX_TOKEN_TILES 1024

typedef struct fuse_step {
  map_problem problem;  /* as priced: one token tile */
  map_result result;    /* of one token tile */
  int64_t token_tiles;  /* how many times that tile runs (1: untiled) */
  int group;            /* steps of one group share a number */
  bool output_on_chip;  /* the step's result stays in SRAM for the next step */
  /* A step whose result a later step reads requantizes it to the input precision in its
   * output epilogue (flow_requant), priced in result.cost whether the result stays on chip or
   * goes to DRAM; gemm_cost is the cost without it (the program emits the difference). */
  bool requant;
  map_cost gemm_cost;
} fuse_step;

typedef struct fuse_result {
  size_t n_steps;                      /* = the path's; precomputed steps are left zeroed */
  fuse_step step[TN_MAX_OPERANDS];
  fuse_step single[TN_MAX_OPERANDS];   /* every step alone (what io->no_fuse keeps) */
  hwpath_totals unfused, chosen;       /* every step through DRAM / the configuration kept */
  double saved_dram_bytes;             /* unfused.dram_bytes - chosen.dram_bytes (>= 0) */
  int fused_groups;                    /* groups of two or more steps */
} fuse_result;

/* Where the chain's activations live (model activation flow, mapper/flow.h). */
typedef struct fuse_io {
  bool input_on_chip;  /* the network's dynamic operands are in the buffers `buffers` */
  bool output_on_chip; /* the last step's result stays there */
  unsigned buffers;    /* mask of arch buffers holding them */
  bool no_fuse;        /* price every step alone: the configuration fusion is measured against */
  double output_epilogue_cycles; /* the last step's map_problem.epilogue_cycles */
} fuse_io;

/* Fuses the online steps of `pth`. `token` is the index letter that may be tiled ('\0': none).
 * A group is kept only when the whole chain's objective (all steps, other groups included) is
 * no worse and it moves no more DRAM bytes than its steps alone, so the result is never worse
 * than the unfused configuration, for EDP too. */
int fuse_path(const tn_network *net, const path *pth, char token, const arch *a,
              const map_options *opt, map_workspace *w, fuse_result *out, heat_error *err);
/* fuse_path with the chain's input and output where `io` says (NULL: in DRAM). */
int fuse_path_io(const tn_network *net, const path *pth, char token, const fuse_io *io,
                 const arch *a, const map_options *opt, map_workspace *w, fuse_result *out,
                 heat_error *err);

#ifdef __cplusplus
}
#endif
#endif
