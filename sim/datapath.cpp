// The array datapath stepped cycle by cycle on per-PE registers (see datapath.h).
#include "sim/datapath.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "mapper/fold.h"

struct dp_workspace {
  int R = 0, C = 0;
  std::vector<uint32_t> a, w, acc, stat; // R x C registers: moving operand(s), accumulators
};

extern "C" dp_workspace *dp_workspace_alloc(const arch_array *arr) {
  dp_workspace *ws = new (std::nothrow) dp_workspace;
  if (!ws) return nullptr;
  int R = arr->kind == ARCH_ARRAY_VECTOR ? arr->lanes : arr->rows;
  int C = arr->kind == ARCH_ARRAY_VECTOR ? arr->width : arr->cols;
  try {
    ws->R = R;
    ws->C = C;
    size_t n = (size_t)R * (size_t)C;
    ws->a.assign(n, 0);
    ws->w.assign(n, 0);
    ws->acc.assign(n, 0);
    ws->stat.assign(n, 0);
  } catch (...) {
    delete ws;
    return nullptr;
  }
  return ws;
}

extern "C" void dp_workspace_free(dp_workspace *ws) { delete ws; }

extern "C" int32_t dp_wrap(uint32_t v, int bits) {
  if (bits >= 32) return (int32_t)v;
  uint32_t m = (1u << bits) - 1;
  v &= m;
  if (v & (1u << (bits - 1))) v |= ~m;
  return (int32_t)v;
}

extern "C" void dp_reference(const dp_gemm *g) {
  for (int64_t m = 0; m < g->M; m++)
    for (int64_t n = 0; n < g->N; n++) {
      uint32_t s = 0;
      for (int64_t k = 0; k < g->K; k++)
        s += (uint32_t)((int32_t)g->in[m * g->in_ld + k] * (int32_t)g->w[k * g->w_ld + n]);
      g->out[m * g->out_ld + n] += s;
    }
}

namespace {

// Operand accessors for one fold: x(t, r) the streamed value entering row r at stream step t,
// and the stationary / second operand.
struct view {
  const int16_t *p;
  int64_t ld;
  bool transposed;
  int32_t at(int64_t r, int64_t c) const {
    return transposed ? p[c * ld + r] : p[r * ld + c];
  }
};

// Operands moving through the array are held as delay lines: the register of PE(i, j) that a
// value reaches j cycles after entering row i reads element (base + j) of the row's line at cycle
// t, so advancing a cycle moves a base index instead of copying every register (the values each
// register holds at each cycle are the same as shifting them).
struct line_set {
  std::vector<uint32_t> buf;
  int64_t len = 0;
  uint32_t *row(int64_t r) { return buf.data() + r * len; }
};

// A streamed operand entering `rows` rows: row r carries x(step, r) for step in [0, T), skewed by
// r. Element P + T - 1 - step of row r holds x(step, r); zeros around it.
template <class F>
void build_lines(line_set &ls, int64_t rows, int64_t T, int64_t P, F x) {
  ls.len = T + 2 * P;
  ls.buf.assign((size_t)(rows * ls.len), 0u);
  for (int64_t r = 0; r < rows; r++) {
    uint32_t *l = ls.row(r);
    for (int64_t step = 0; step < T; step++) l[P + T - 1 - step] = (uint32_t)x(step, r);
  }
}

thread_local line_set lines_a, lines_b;

// Systolic OS: rows `sr` (outputs' m), cols `sc` (outputs' n), T = K streamed.
// a(i, k) enters row i from the left, b(k, j) enters column j from the top; out(i, j) += sum.
int64_t os_fold(dp_workspace *ws, int R, int C, int64_t sr, int64_t sc, int64_t T, view a, view b,
                uint32_t *out, int64_t out_ld) {
  uint32_t *acc = ws->acc.data();
  for (int64_t i = 0; i < sr; i++) std::fill(acc + i * C, acc + i * C + sc, 0u);
  const int64_t P = sr + sc;
  build_lines(lines_a, sr, T, P, [&](int64_t k, int64_t i) { return a.at(i, k); });
  // Weights: PE(i, j) holds b(t - i - j, j); with s = t - i the row is wskew[s + sr][0..sc).
  const int64_t srows = T + 2 * sr + sc;
  lines_b.len = sc;
  lines_b.buf.assign((size_t)(srows * sc), 0u);
  for (int64_t s = 0; s + sr < srows; s++)
    for (int64_t j = 0; j < sc; j++) {
      int64_t k = s - j;
      if (k >= 0 && k < T) lines_b.buf[(size_t)((s + sr) * sc + j)] = (uint32_t)b.at(k, j);
    }
  const int64_t cycles = T + R + C - 2;
  const int64_t active = T + sr + sc - 2; // after this every register used holds zeros
  for (int64_t t = 0; t < active; t++) {
    for (int64_t i = 0; i < sr; i++) {
      const uint32_t *ar = lines_a.row(i) + (P + T - 1 - t + i);
      const uint32_t *wr = lines_b.buf.data() + (t - i + sr) * sc;
      uint32_t *cr = acc + i * C;
      for (int64_t j = 0; j < sc; j++) cr[j] += ar[j] * wr[j];
    }
  }
  for (int64_t i = 0; i < sr; i++)
    for (int64_t j = 0; j < sc; j++) out[i * out_ld + j] += acc[i * C + j];
  return cycles;
}

// Systolic WS/IS: stationary s(r, c) for r < sr (reduction), c < sc; streamed x(t, r) enters row
// r skewed by r, moves right; partial sums flow down and leave row sr - 1 of column c at
// t = step + (sr - 1) + c, for output (step, c).
int64_t ws_fold(dp_workspace *ws, int R, int C, int64_t sr, int64_t sc, int64_t T, view s, view x,
                uint32_t *out, int64_t out_step_ld, int64_t out_c_ld) {
  uint32_t *S = ws->stat.data(), *P = ws->acc.data();
  // Load: R cycles; the stationary rows shift down from the top, the last row entering first.
  for (int64_t c = 0; c < R; c++) {
    for (int64_t r = sr - 1; r > 0; r--) std::memcpy(S + r * C, S + (r - 1) * C, (size_t)sc * sizeof *S);
    int64_t src = sr - 1 - c; // after sr shifts row r holds s(r, .)
    for (int64_t j = 0; j < sc; j++) S[j] = src >= 0 ? (uint32_t)s.at(src, j) : 0u;
    if (c == sr - 1) break;   // the remaining R - sr load cycles shift zeros into idle rows
  }
  for (int64_t r = 0; r < sr; r++) std::fill(P + r * C, P + r * C + sc, 0u);
  const int64_t Pd = sr + sc;
  build_lines(lines_a, sr, T, Pd, [&](int64_t step, int64_t r) { return x.at(step, r); });
  const int64_t stream = T + R + C - 2;
  const int64_t active = T + sr + sc - 2;
  for (int64_t t = 0; t < active; t++) {
    // Partial sums move down one row: bottom-up so each row reads its upper neighbour's old value.
    for (int64_t r = sr - 1; r >= 0; r--) {
      uint32_t *pr = P + r * C;
      const uint32_t *xr = lines_a.row(r) + (Pd + T - 1 - t + r), *sr_ = S + r * C;
      if (r > 0) {
        const uint32_t *up = P + (r - 1) * C;
        for (int64_t c = 0; c < sc; c++) pr[c] = up[c] + xr[c] * sr_[c];
      } else {
        for (int64_t c = 0; c < sc; c++) pr[c] = xr[c] * sr_[c];
      }
    }
    const uint32_t *bottom = P + (sr - 1) * C;
    for (int64_t c = 0; c < sc; c++) {
      int64_t step = t - (sr - 1) - c;
      if (step >= 0 && step < T) out[step * out_step_ld + c * out_c_ld] += bottom[c];
    }
  }
  return (int64_t)R + stream;
}

// Vector L x W: lane l, width w. Lanes hold (or are streamed) vec(l, 0..width), the broadcast
// operand is x(t, 0..width); out(t, l) += dot.
int64_t vec_fold(dp_workspace *ws, int64_t L_arr, int64_t Wd, int64_t lanes, int64_t width,
                 int64_t T, int64_t load, view v, view x, uint32_t *out, int64_t out_t_ld,
                 int64_t out_l_ld) {
  uint32_t *S = ws->stat.data(), *X = ws->a.data();
  for (int64_t l = 0; l < lanes; l++)
    for (int64_t k = 0; k < width; k++) S[l * Wd + k] = (uint32_t)v.at(l, k);
  for (int64_t t = 0; t < T; t++) {
    for (int64_t k = 0; k < width; k++) X[k] = (uint32_t)x.at(t, k);
    for (int64_t l = 0; l < lanes; l++) {
      const uint32_t *sl = S + l * Wd;
      uint32_t dot = 0;
      for (int64_t k = 0; k < width; k++) dot += sl[k] * X[k];
      out[t * out_t_ld + l * out_l_ld] += dot;
    }
  }
  (void)L_arr;
  return load + T + fold_vector_depth((int)Wd);
}

} // namespace

extern "C" int64_t dp_run(dp_workspace *ws, const arch_array *arr, arch_dataflow df,
                          const dp_gemm *g, int64_t *folds) {
  fold_stats fs;
  fold_eval(arr, df, FOLD_TIMING_SCALESIM, 1, g->M, g->K, g->N, &fs);
  int64_t cycles = 0, nf = 0;
  if (arr->kind == ARCH_ARRAY_VECTOR) {
    const int64_t L = arr->lanes, W = arr->width;
    for (int64_t k0 = 0; k0 < g->K; k0 += W) {
      int64_t width = std::min(W, g->K - k0);
      if (df == ARCH_DATAFLOW_IS) {
        // M on the lanes (stationary inputs), N streamed.
        for (int64_t m0 = 0; m0 < g->M; m0 += L) {
          int64_t lanes = std::min(L, g->M - m0);
          view v{g->in + m0 * g->in_ld + k0, g->in_ld, false};     // v(l, k) = in[m0+l, k0+k]
          view x{g->w + k0 * g->w_ld, g->w_ld, true};              // x(n, k) = w[k0+k, n]
          cycles += vec_fold(ws, L, W, lanes, width, g->N, L, v, x, g->out + m0 * g->out_ld,
                             1, g->out_ld);
          nf++;
        }
      } else {
        // N on the lanes, M streamed; WS loads the weights first, OS streams them along.
        for (int64_t n0 = 0; n0 < g->N; n0 += L) {
          int64_t lanes = std::min(L, g->N - n0);
          view v{g->w + k0 * g->w_ld + n0, g->w_ld, true};         // v(l, k) = w[k0+k, n0+l]
          view x{g->in + k0, g->in_ld, false};                     // x(m, k) = in[m, k0+k]
          cycles += vec_fold(ws, L, W, lanes, width, g->M, df == ARCH_DATAFLOW_OS ? 0 : L, v, x,
                             g->out + n0, g->out_ld, 1);
          nf++;
        }
      }
    }
  } else {
    const int R = arr->rows, C = arr->cols;
    if (df == ARCH_DATAFLOW_OS) {
      for (int64_t m0 = 0; m0 < g->M; m0 += R)
        for (int64_t n0 = 0; n0 < g->N; n0 += C) {
          int64_t sr = std::min<int64_t>(R, g->M - m0), sc = std::min<int64_t>(C, g->N - n0);
          view a{g->in + m0 * g->in_ld, g->in_ld, false};
          view b{g->w + n0, g->w_ld, false};
          cycles += os_fold(ws, R, C, sr, sc, g->K, a, b, g->out + m0 * g->out_ld + n0, g->out_ld);
          nf++;
        }
    } else if (df == ARCH_DATAFLOW_WS) {
      for (int64_t k0 = 0; k0 < g->K; k0 += R)
        for (int64_t n0 = 0; n0 < g->N; n0 += C) {
          int64_t sr = std::min<int64_t>(R, g->K - k0), sc = std::min<int64_t>(C, g->N - n0);
          view s{g->w + k0 * g->w_ld + n0, g->w_ld, false};  // s(k, n)
          view x{g->in + k0, g->in_ld, false};               // x(m, k)
          cycles += ws_fold(ws, R, C, sr, sc, g->M, s, x, g->out + n0, g->out_ld, 1);
          nf++;
        }
    } else {
      for (int64_t k0 = 0; k0 < g->K; k0 += R)
        for (int64_t m0 = 0; m0 < g->M; m0 += C) {
          int64_t sr = std::min<int64_t>(R, g->K - k0), sc = std::min<int64_t>(C, g->M - m0);
          view s{g->in + m0 * g->in_ld + k0, g->in_ld, true};  // s(k, m) = in[m0+m, k0+k]
          view x{g->w + k0 * g->w_ld, g->w_ld, true};          // x(n, k) = w[k0+k, n]
          cycles += ws_fold(ws, R, C, sr, sc, g->N, s, x, g->out + m0 * g->out_ld, 1, g->out_ld);
          nf++;
        }
    }
  }
  (void)fs;
  if (folds) *folds = nf;
  return cycles;
}
