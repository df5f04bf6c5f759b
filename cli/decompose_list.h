/* heat decompose's listings: tensorization shapes by entropy, and a checkpoint's tensors. */
#ifndef HEAT_CLI_DECOMPOSE_LIST_H
#define HEAT_CLI_DECOMPOSE_LIST_H

#include <stdbool.h>
#include <stdint.h>

/* Shapes of the weight (from `weights`, else `size` "MxN") with `order` factors per side (0
 * = 2..4), the `top` most uniform, within max_bytes of memory (--max-memory). Returns the exit
 * code. */
int decompose_list_shapes(const char *weights, const char *size, int64_t order, int64_t top,
                          bool csv, int64_t max_bytes);

/* Every tensor of a safetensors file with the BERT layer and role of each linear weight. */
int decompose_list_tensors(const char *weights, bool csv);

#endif
