#include "sim/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/heat_rng.h"

void chk_store_init(chk_store *s) { memset(s, 0, sizeof *s); }

void chk_store_free(chk_store *s) {
  for (size_t i = 0; i < s->n; i++) free(s->t[i].v);
  free(s->t);
  chk_store_init(s);
}

const chk_tensor *chk_store_find(const chk_store *s, int32_t id) {
  for (size_t i = 0; i < s->n; i++)
    if (s->t[i].id == id) return &s->t[i];
  return NULL;
}

static int32_t chk__wrap(uint32_t v, int bits) {
  if (bits >= 32) return (int32_t)v;
  uint32_t m = (1u << bits) - 1;
  v &= m;
  if (v & (1u << (bits - 1))) v |= ~m;
  return (int32_t)v;
}

int chk_requant_bits(const arch *a) { return a->input_bits < 16 ? a->input_bits : 16; }

int chk_shift(const arch *a, int64_t K) {
  int p = chk_requant_bits(a), d = a->weight_bits < 8 ? a->weight_bits : 8;
  int h = 0;
  while (h < 62 && ((int64_t)1 << h) < K) h++; /* ceil(log2 K) */
  int s = d - 2 + (h + 1) / 2;
  if (s > a->accum_bits - p) s = a->accum_bits - p;
  return s > 0 ? s : 0;
}

int16_t chk_requant(int32_t acc, int shift, int bits) {
  int64_t v = acc;
  if (shift > 0) {
    int64_t mag = v < 0 ? -v : v;
    mag = (mag + ((int64_t)1 << (shift - 1))) >> shift;
    v = v < 0 ? -mag : mag;
  }
  int64_t hi = ((int64_t)1 << (bits - 1)) - 1, lo = -hi - 1;
  return (int16_t)(v > hi ? hi : v < lo ? lo : v);
}

void chk_seed(uint64_t seed, int32_t id, int bits, int16_t *v, int64_t n) {
  uint64_t rng = seed ^ (UINT64_C(0x9e3779b97f4a7c15) * ((uint64_t)id + 1)) ^ UINT64_C(0xc3a5c85c97cb3127);
  int lim = bits >= 8 ? 127 : (1 << (bits - 1)) - 1;
  for (int64_t i = 0; i < n; i++) v[i] = (int16_t)heat_rng_int(&rng, -lim - 1, lim);
}

void chk_full_sizes(const prog_tensors *t, int64_t *size) {
  memcpy(size, t->size, sizeof t->size);
  if (t->token) size[program_letter_slot(t->token)] = t->token_full;
}

int64_t chk_tiles(const prog_tensors *t) {
  if (!t->token) return 1;
  int64_t tile = t->size[program_letter_slot(t->token)];
  return (t->token_full + tile - 1) / tile;
}

int64_t chk_elements(const prog_tensors *t, int k) {
  int64_t size[PROG_MAX_INDICES], n = 1;
  chk_full_sizes(t, size);
  for (const char *c = t->idx[k]; *c; c++) n *= size[program_letter_slot(*c)];
  return n;
}

int64_t chk_contraction(const prog_tensors *t) {
  int64_t K = 1;
  char seen[PROG_MAX_INDICES + 1] = "";
  size_t ns = 0;
  for (int k = 0; k < 2; k++)
    for (const char *c = t->idx[k]; *c; c++)
      if (!strchr(t->idx[MAP_OP_OUTPUT], *c) && !memchr(seen, *c, ns)) {
        seen[ns++] = *c;
        K *= t->size[program_letter_slot(*c)];
      }
  return K;
}

/* Stride of letter c in tensor x (row-major); 0 when x lacks it (broadcast). */
static int64_t chk__stride(const char *idx, const int64_t *size, char c) {
  const char *at = strchr(idx, c);
  if (!at) return 0;
  int64_t st = 1;
  for (const char *q = at + 1; *q; q++) st *= size[program_letter_slot(*q)];
  return st;
}

/* Size of letter c in a tensor (1 when it lacks it). */
static int64_t chk__tdim(const char *idx, const int64_t *tsize, char c) {
  return strchr(idx, c) ? tsize[program_letter_slot(c)] : 1;
}

/* off[i], i < ext: the offset in tensor (idx, tsize) of element i of the letter group `group`
 * (row-major over the group's letters, sizes `size`), the letter `token` (if any) shifted by
 * token_at; -1 where that letter runs past the tensor (the zero padding of a last tile). Any
 * other letter the tensor holds at a smaller size is read modulo it (programs without token=:
 * every tile holds the simulated tile's values). */
static void chk__offsets(const char *group, const int64_t *size, int64_t ext, const char *idx,
                         const int64_t *tsize, char token, int64_t token_at, int64_t *off) {
  int64_t stride[PROG_MAX_INDICES], dim[PROG_MAX_INDICES], tdim[PROG_MAX_INDICES];
  int n = (int)strlen(group);
  for (int j = 0; j < n; j++) {
    stride[j] = chk__stride(idx, tsize, group[j]);
    dim[j] = size[program_letter_slot(group[j])];
    tdim[j] = chk__tdim(idx, tsize, group[j]);
  }
  for (int64_t i = 0; i < ext; i++) {
    int64_t rem = i, o = 0;
    for (int j = n - 1; j >= 0 && o >= 0; j--) {
      int64_t c = rem % dim[j];
      rem /= dim[j];
      if (group[j] == token && stride[j]) {
        c += token_at;
        if (c >= tdim[j]) o = -1;
      } else if (c >= tdim[j]) {
        c %= tdim[j];
      }
      if (o >= 0) o += c * stride[j];
    }
    off[i] = o;
  }
}

static chk_tensor *chk__add(chk_store *s, int32_t id, const prog_tensors *t, int k, heat_error *err) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 16;
    chk_tensor *nt = realloc(s->t, cap * sizeof *nt);
    if (!nt) {
      heat_error_set(err, HEAT_ENOMEM, "sim", "out of memory for %zu tensors", cap);
      return NULL;
    }
    s->t = nt;
    s->cap = cap;
  }
  chk_tensor *x = &s->t[s->n];
  memset(x, 0, sizeof *x);
  x->id = id;
  x->writer = -1;
  snprintf(x->idx, sizeof x->idx, "%s", t->idx[k]);
  int64_t full[PROG_MAX_INDICES];
  chk_full_sizes(t, full);
  for (const char *c = x->idx; *c; c++) {
    int slot = program_letter_slot(*c);
    x->size[slot] = full[slot];
  }
  x->n = chk_elements(t, k);
  x->v = malloc((size_t)(x->n > 0 ? x->n : 1) * sizeof *x->v);
  if (!x->v) {
    heat_error_set(err, HEAT_ENOMEM, "sim", "out of memory for tensor %d (%lld values)", id,
                   (long long)x->n);
    return NULL;
  }
  s->n++;
  return x;
}

const chk_tensor *chk_operand(chk_store *s, const arch *a, uint64_t seed, const prog_step *st,
                              int k, heat_error *err) {
  const prog_tensors *t = &st->tensors;
  const chk_tensor *x = chk_store_find(s, t->id[k]);
  if (x) return x;
  chk_tensor *nx = chk__add(s, t->id[k], t, k, err);
  if (!nx) return NULL;
  chk_seed(seed, nx->id, k == MAP_OP_INPUT ? a->input_bits : a->weight_bits, nx->v, nx->n);
  return nx;
}

/* The step's GEMM dimensions as index letters and extents of its tensors (program.h). */
static int chk__view(const prog_step *st, char letters[MAP_DIMS][PROG_MAX_INDICES + 1],
                     int64_t ext[MAP_DIMS], heat_error *err) {
  char msg[200];
  const char *field;
  if (program_tensors_view(&st->tensors, st->problem.dim, letters, ext, msg, sizeof msg, &field))
    return heat_error_set(err, HEAT_EINVAL, "sim", "step %s: field '%s': %s", st->name, field, msg);
  return HEAT_OK;
}

int chk_gather(chk_store *s, const arch *a, uint64_t seed, const prog_step *st, int k,
               int64_t token_at, int16_t *dst, bool *handed, heat_error *err) {
  const prog_tensors *t = &st->tensors;
  char letters[MAP_DIMS][PROG_MAX_INDICES + 1];
  int64_t ext[MAP_DIMS];
  if (chk__view(st, letters, ext, err)) return err->code;
  const chk_tensor *x = chk_operand(s, a, seed, st, k, err);
  if (!x) return err->code;
  *handed = x->writer >= 0;
  /* The GEMM layout: input b, m, k; weight b, k, n. */
  int g[3] = {MAP_DIM_B, k == MAP_OP_INPUT ? MAP_DIM_M : MAP_DIM_K,
              k == MAP_OP_INPUT ? MAP_DIM_K : MAP_DIM_N};
  int64_t *off[3];
  for (int j = 0; j < 3; j++) {
    off[j] = malloc((size_t)ext[g[j]] * sizeof *off[j]);
    if (!off[j]) {
      for (int q = 0; q < j; q++) free(off[q]);
      return heat_error_set(err, HEAT_ENOMEM, "sim", "out of memory for the gather offsets");
    }
    chk__offsets(letters[g[j]], t->size, ext[g[j]], x->idx, x->size, t->token, token_at, off[j]);
  }
  int64_t n1 = ext[g[1]], n2 = ext[g[2]];
  for (int64_t i0 = 0; i0 < ext[g[0]]; i0++)
    for (int64_t i1 = 0; i1 < n1; i1++) {
      int16_t *row = dst + (i0 * n1 + i1) * n2;
      if (off[0][i0] < 0 || off[1][i1] < 0) { /* past the last tile's tokens: zeros */
        memset(row, 0, (size_t)n2 * sizeof *row);
        continue;
      }
      const int16_t *src = x->v + off[0][i0] + off[1][i1];
      for (int64_t i2 = 0; i2 < n2; i2++) row[i2] = off[2][i2] < 0 ? 0 : src[off[2][i2]];
    }
  for (int j = 0; j < 3; j++) free(off[j]);
  return HEAT_OK;
}

int chk_output_from_gemm(const prog_step *st, const uint32_t *gemm, int accum_bits,
                         int64_t token_at, int32_t *acc, heat_error *err) {
  const prog_tensors *t = &st->tensors;
  char letters[MAP_DIMS][PROG_MAX_INDICES + 1];
  int64_t ext[MAP_DIMS];
  if (chk__view(st, letters, ext, err)) return err->code;
  const char *oidx = t->idx[MAP_OP_OUTPUT];
  int64_t full[PROG_MAX_INDICES];
  chk_full_sizes(t, full);
  int g[3] = {MAP_DIM_B, MAP_DIM_M, MAP_DIM_N};
  int64_t *off[3] = {NULL, NULL, NULL};
  int rc = HEAT_OK;
  for (int j = 0; j < 3 && !rc; j++) {
    off[j] = malloc((size_t)ext[g[j]] * sizeof *off[j]);
    if (!off[j]) rc = heat_error_set(err, HEAT_ENOMEM, "sim", "out of memory for the output offsets");
    else chk__offsets(letters[g[j]], t->size, ext[g[j]], oidx, full, t->token, token_at, off[j]);
  }
  if (!rc)
    for (int64_t b = 0; b < ext[MAP_DIM_B]; b++)
      for (int64_t m = 0; m < ext[MAP_DIM_M]; m++) {
        if (off[0][b] < 0 || off[1][m] < 0) continue; /* the padding of a last tile */
        const uint32_t *row = gemm + (b * ext[MAP_DIM_M] + m) * ext[MAP_DIM_N];
        int32_t *o = acc + off[0][b] + off[1][m];
        for (int64_t n = 0; n < ext[MAP_DIM_N]; n++)
          if (off[2][n] >= 0) o[off[2][n]] = chk__wrap(row[n], accum_bits);
      }
  for (int j = 0; j < 3; j++) free(off[j]);
  return rc;
}

int chk_reference_step(chk_store *ref, const arch *a, uint64_t seed, const prog_step *st,
                       int32_t *acc, heat_error *err) {
  const prog_tensors *t = &st->tensors;
  if (!chk_operand(ref, a, seed, st, 0, err) || !chk_operand(ref, a, seed, st, 1, err))
    return err->code;
  /* Looked up after both exist: adding the second may move the first. */
  const chk_tensor *L = chk_store_find(ref, t->id[0]), *R = chk_store_find(ref, t->id[1]);
  const char *out = t->idx[MAP_OP_OUTPUT];
  /* The summed letters: every letter of the operands the output lacks. */
  char sum[PROG_MAX_INDICES + 1] = "";
  size_t ns = 0;
  for (int k = 0; k < 2; k++)
    for (const char *c = t->idx[k]; *c; c++)
      if (!strchr(out, *c) && !memchr(sum, *c, ns)) sum[ns++] = *c;
  sum[ns] = '\0';
  int64_t full[PROG_MAX_INDICES]; /* untiled: the token letter at its whole extent */
  chk_full_sizes(t, full);
  int64_t nsum = 1;
  for (size_t j = 0; j < ns; j++) nsum *= full[program_letter_slot(sum[j])];
  int64_t *sl = malloc((size_t)nsum * sizeof *sl), *sr = malloc((size_t)nsum * sizeof *sr);
  if (!sl || !sr) {
    free(sl);
    free(sr);
    return heat_error_set(err, HEAT_ENOMEM, "sim", "out of memory for the reference");
  }
  chk__offsets(sum, full, nsum, L->idx, L->size, 0, 0, sl);
  chk__offsets(sum, full, nsum, R->idx, R->size, 0, 0, sr);
  int no = (int)strlen(out);
  int64_t coord[PROG_MAX_INDICES] = {0}, dim[PROG_MAX_INDICES], stl[PROG_MAX_INDICES],
          str[PROG_MAX_INDICES], dl[PROG_MAX_INDICES], dr[PROG_MAX_INDICES];
  for (int j = 0; j < no; j++) {
    dim[j] = full[program_letter_slot(out[j])];
    stl[j] = chk__stride(L->idx, L->size, out[j]);
    str[j] = chk__stride(R->idx, R->size, out[j]);
    dl[j] = chk__tdim(L->idx, L->size, out[j]);
    dr[j] = chk__tdim(R->idx, R->size, out[j]);
  }
  int64_t nout = chk_elements(t, MAP_OP_OUTPUT);
  for (int64_t o = 0; o < nout; o++) {
    int64_t bl = 0, br = 0;
    for (int j = 0; j < no; j++) { /* a tensor held at a smaller size: read modulo it */
      bl += coord[j] % dl[j] * stl[j];
      br += coord[j] % dr[j] * str[j];
    }
    const int16_t *lv = L->v + bl, *rv = R->v + br;
    uint32_t s = 0;
    for (int64_t j = 0; j < nsum; j++) s += (uint32_t)((int32_t)lv[sl[j]] * (int32_t)rv[sr[j]]);
    acc[o] = chk__wrap(s, a->accum_bits);
    for (int j = no - 1; j >= 0 && ++coord[j] == dim[j]; j--) coord[j] = 0;
  }
  free(sl);
  free(sr);
  return HEAT_OK;
}

int chk_put_output(chk_store *s, const arch *a, const prog_step *st, int32_t step,
                   const int32_t *acc, chk_fault fault, heat_error *err) {
  const prog_tensors *t = &st->tensors;
  if (chk_store_find(s, t->id[MAP_OP_OUTPUT]))
    return heat_error_set(err, HEAT_EINTERNAL, "sim", "step %s: tensor %d written twice", st->name,
                          t->id[MAP_OP_OUTPUT]);
  chk_tensor *x = chk__add(s, t->id[MAP_OP_OUTPUT], t, MAP_OP_OUTPUT, err);
  if (!x) return err->code;
  x->writer = step;
  int shift = chk_shift(a, chk_contraction(t)), bits = chk_requant_bits(a);
  for (int64_t i = 0; i < x->n; i++)
    x->v[i] = fault == CHK_FAULT_TRUNCATE ? chk_requant((int32_t)(acc[i] >> shift), 0, bits)
                                          : chk_requant(acc[i], shift, bits);
  if (fault == CHK_FAULT_FLIP && x->n > 0) x->v[0] ^= 1;
  return HEAT_OK;
}

void chk_describe(const prog_tensors *t, int k, int64_t i, char *out, size_t size) {
  const char *idx = t->idx[k];
  int n = (int)strlen(idx);
  int64_t coord[PROG_MAX_INDICES], full[PROG_MAX_INDICES];
  chk_full_sizes(t, full);
  for (int j = n - 1; j >= 0; j--) {
    int64_t d = full[program_letter_slot(idx[j])];
    coord[j] = i % d;
    i /= d;
  }
  size_t used = 0;
  out[0] = '\0';
  for (int j = 0; j < n && used < size; j++)
    used += (size_t)snprintf(out + used, size - used, "%s%c=%lld", j ? "," : "", idx[j],
                             (long long)coord[j]);
  if (n == 0) snprintf(out, size, "(scalar)");
}
