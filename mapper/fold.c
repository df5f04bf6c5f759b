#include "mapper/fold.h"

static inline int64_t fold__ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
static inline int64_t fold__max(int64_t a, int64_t b) { return a > b ? a : b; }

bool fold_dataflow_supported(const arch_array *arr, arch_dataflow df) {
  if ((unsigned)df >= ARCH_DATAFLOW_COUNT) return false;
  if (!(arr->dataflows & (1u << df))) return false;
  return true;
}

int64_t fold_vector_depth(int width) {
  int64_t d = 0;
  while ((1 << d) < width) d++;
  return d + 1;
}

/* The part shared by fold_eval and fold_cycles: extents, folds and per-fold latency. */
typedef struct fold__shape {
  int64_t sr, sc, t, rf, cf, fold_cycles, pace;
} fold__shape;

static inline void fold__shape_of(const arch_array *arr, arch_dataflow df, int64_t M, int64_t K,
                                  int64_t N, fold__shape *s) {
  switch (df) {
  case ARCH_DATAFLOW_OS: s->sr = M; s->sc = N; s->t = K; break;
  case ARCH_DATAFLOW_WS: s->sr = K; s->sc = N; s->t = M; break;
  default: s->sr = K; s->sc = M; s->t = N; break;
  }
  if (arr->kind == ARCH_ARRAY_VECTOR) {
    /* One lane's W-wide stationary vector is written per cycle, so a fold's load takes L
     * cycles; then T input vectors are broadcast, one per cycle, through the adder tree.
     * OS keeps each lane's output in its accumulator and streams the weights with the inputs:
     * K on the width, N on the lanes, M streamed, nothing to load. */
    int64_t W = arr->width, L = arr->lanes;
    if (df == ARCH_DATAFLOW_OS) {
      s->sr = K;
      s->sc = N;
      s->t = M;
    }
    s->rf = fold__ceil_div(s->sr, W);
    s->cf = fold__ceil_div(s->sc, L);
    int64_t load = df == ARCH_DATAFLOW_OS ? 0 : L;
    s->fold_cycles = load + s->t + fold_vector_depth(arr->width);
    s->pace = fold__max(s->t, load);
    return;
  }
  int64_t R = arr->rows, C = arr->cols;
  s->rf = fold__ceil_div(s->sr, R);
  s->cf = fold__ceil_div(s->sc, C);
  s->fold_cycles = df == ARCH_DATAFLOW_OS ? s->t + R + C - 2 : 2 * R + C + s->t - 2;
  s->pace = fold__max(s->t, R);
}

/* B is the number of fold groups: batch elements, or ceil(B / pack) when packed. */
static inline int64_t fold__total(const fold__shape *s, fold_timing timing, int64_t B) {
  int64_t n = B * s->rf * s->cf;
  if (timing == FOLD_TIMING_OVERLAP) return s->fold_cycles + (n - 1) * s->pace;
  return n * s->fold_cycles;
}

/* Rows and cols of the array as the spatial extents see them (vector: width and lanes). */
static inline void fold__axes(const arch_array *arr, int64_t *R, int64_t *C) {
  *R = arr->kind == ARCH_ARRAY_VECTOR ? arr->width : arr->rows;
  *C = arr->kind == ARCH_ARRAY_VECTOR ? arr->lanes : arr->cols;
}

int64_t fold_batch_pack(const arch_array *arr, arch_dataflow df, int64_t M, int64_t K,
                        int64_t N) {
  fold__shape s;
  fold__shape_of(arr, df, M, K, N, &s);
  int64_t R, C;
  fold__axes(arr, &R, &C);
  if (s.sr > R || s.sc > C) return 1;
  int64_t pr = R / s.sr, pc = C / s.sc;
  return pr < pc ? pr : pc;
}

int64_t fold_cycles(const arch_array *arr, arch_dataflow df, fold_timing timing, int64_t B,
                    int64_t M, int64_t K, int64_t N) {
  fold__shape s;
  fold__shape_of(arr, df, M, K, N, &s);
  return fold__total(&s, timing, B);
}

int64_t fold_cycles_packed(const arch_array *arr, arch_dataflow df, fold_timing timing, int64_t B,
                           int64_t M, int64_t K, int64_t N, int64_t pack) {
  fold__shape s;
  fold__shape_of(arr, df, M, K, N, &s);
  return fold__total(&s, timing, fold__ceil_div(B, pack > 1 ? pack : 1));
}

void fold_eval(const arch_array *arr, arch_dataflow df, fold_timing timing, int64_t B, int64_t M,
               int64_t K, int64_t N, fold_stats *out) {
  fold_eval_packed(arr, df, timing, B, M, K, N, 1, out);
}

void fold_eval_packed(const arch_array *arr, arch_dataflow df, fold_timing timing, int64_t B,
                      int64_t M, int64_t K, int64_t N, int64_t pack, fold_stats *out) {
  if (pack < 1) pack = 1;
  fold__shape s;
  fold__shape_of(arr, df, M, K, N, &s);
  int64_t groups = fold__ceil_div(B, pack);
  out->sr = s.sr;
  out->sc = s.sc;
  out->t = s.t;
  out->row_folds = s.rf;
  out->col_folds = s.cf;
  out->folds = s.rf * s.cf;
  out->fold_cycles = s.fold_cycles;
  out->pace = s.pace;
  out->pack = pack;
  out->batch_groups = groups;
  out->cycles = fold__total(&s, timing, groups);
  out->macs = B * M * K * N;
  /* SCALE-Sim's counts: the streamed operand is read once per fold along the other spatial
   * axis, the stationary one once in total; outputs (or partial sums) leave once per fold. */
  int64_t stationary; /* elements loaded into (WS, IS) or drained from (OS) the PEs */
  int64_t padding = 0; /* systolic OS: SCALE-Sim's R + C null slots per fold */
  switch (df) {
  case ARCH_DATAFLOW_OS:
    if (arr->kind == ARCH_ARRAY_VECTOR) {
      /* Weights stream with every input row; partial sums stay in the lane accumulators
       * across the K folds when those run innermost. */
      out->input_reads = M * K * s.cf;
      out->weight_reads = K * N * M;
      out->output_writes = M * N;
    } else {
      out->input_reads = M * K * s.cf;
      out->weight_reads = K * N * s.rf;
      out->output_writes = M * N;
      padding = groups * out->folds * ((int64_t)arr->rows + arr->cols);
    }
    out->output_reads = 0;
    stationary = M * N;
    break;
  case ARCH_DATAFLOW_WS:
    out->input_reads = M * K * s.cf;
    out->weight_reads = K * N;
    out->output_writes = M * N * s.rf;
    out->output_reads = M * N * (s.rf - 1);
    stationary = K * N;
    break;
  default:
    out->input_reads = K * M;
    out->weight_reads = N * K * s.cf;
    out->output_writes = M * N * s.rf;
    out->output_reads = M * N * (s.rf - 1);
    stationary = K * M;
    break;
  }
  out->input_reads *= B;
  out->weight_reads *= B;
  out->output_writes = out->output_writes * B + padding;
  out->output_reads *= B;
  /* Packed WS/IS folds load the whole (g sr) x (g sc) diagonal block, zeros included (the
   * previous fold's values must be overwritten); OS drains only the diagonal's outputs. */
  int64_t loads = B * stationary;
  if (pack > 1 && df != ARCH_DATAFLOW_OS) {
    int64_t full = B / pack, rest = B % pack;
    loads = (full * pack * pack + rest * rest) * s.sr * s.sc;
  }
  out->reg_accesses = 3 * out->macs + loads;
}

void fold_simd_eval(const arch_simd *simd, int64_t B, int64_t M, int64_t K, int64_t N,
                    bool accumulate, fold_simd_stats *out) {
  int64_t lanes = simd->lanes > 0 ? simd->lanes : 1;
  bool on_n = N >= M;
  int64_t V = on_n ? N : M, O = on_n ? M : N;
  int64_t per_output =
      K * (int64_t)simd->cycles_mul + (accumulate ? K : K - 1) * (int64_t)simd->cycles_add;
  out->vector_on_n = on_n;
  out->cycles = B * O * fold__ceil_div(V, lanes) * per_output;
  out->lane_cycles = B * M * N * per_output;
  /* The vectorized operand is read once per element of O; the other is broadcast, one element
   * per k and lane vector. */
  int64_t vec_reads = B * M * K * N, bcast = B * O * K * fold__ceil_div(V, lanes);
  out->input_reads = on_n ? bcast : vec_reads;
  out->weight_reads = on_n ? vec_reads : bcast;
  out->output_writes = B * M * N;
}

char fold_streamed_dim(const arch_array *arr, arch_dataflow df) {
  switch (df) {
  case ARCH_DATAFLOW_OS: return arr->kind == ARCH_ARRAY_VECTOR ? 'm' : 'k';
  case ARCH_DATAFLOW_WS: return 'm';
  default: return 'n';
  }
}

const char *fold_timing_name(fold_timing t) {
  return t == FOLD_TIMING_OVERLAP ? "overlap" : "scalesim";
}

