// The accelerator as SystemC processes: one per architectural block (controller, array, DMA,
// SIMD), never per PE; idle spans are skipped with wait(n). See sim.h for the machine.
#include <systemc>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <limits>
#include <new>
#include <vector>

#include "common/heat_rng.h"
#include "sim/check.h"
#include "sim/datapath.h"
#include "sim/sim.h"
#include "sim/sim_internal.h"
#include "sim/sram.h"
#include "sim/vcd.h"

using namespace sc_core;

namespace {

constexpr double kNever = std::numeric_limits<double>::infinity();

// Values of one GEMM step in functional mode.
struct step_values {
  int64_t B = 0, M = 0, K = 0, N = 0;
  std::vector<int16_t> in, w;
  std::vector<uint32_t> out;
};

int16_t seeded(uint64_t *st, int bits) {
  int lim = bits >= 8 ? 127 : (1 << (bits - 1)) - 1; // int8-range data in every precision
  return (int16_t)heat_rng_int(st, -lim - 1, lim);
}

SC_MODULE(machine) {
  // Set per run.
  const arch *a = nullptr;
  const program *prog = nullptr;
  sim_mode mode = SIM_MODE_TIMING;
  std::vector<size_t> todo;      // instruction indices of the current step, in order
  std::vector<double> done_at;   // completion time per instruction (cycles), kNever until known
  std::vector<double> issued_at; // when the controller queued each instruction
  sim_step_result *res = nullptr;
  step_values *vals = nullptr;
  dp_workspace *dpw = nullptr;
  vcd_writer *vcd = nullptr;
  bool internal_error = false;
  bool aborting = false;         // unwinding a deadlocked run: every wait returns at once
  char internal_msg[256] = "";
  size_t issued = 0;             // controller position in todo
  size_t waiting_on = SIZE_MAX;  // instruction the controller waits for (deadlock report)
  size_t head[SIM_UNITS] = {SIZE_MAX, SIZE_MAX, SIZE_MAX}; // instruction each unit waits on

  // Resource calendars (cycles).
  double dram_free = 0;
  double dma_free = 0;           // when the DMA engine handed its last transfer through (fractional)
  // When the SIMD unit is free: its own instructions and the folds of a step mapped on it
  // (mapper/MAPPING.md, small steps) take it one at a time, first come first served.
  double simd_free = 0;
  // Each buffer port's share booked by the paced units (DMA, SIMD) over time (sim/sram.h); the
  // array's folds take what they leave.
  sram_port port[ARCH_MAX_BUFFERS];
  double fold_from = kNever;     // start of the running fold: its port history is kept
  sc_event port_ev;              // a paced unit booked a port: a running fold's end moves

  // The load that last filled each (buffer, operand, slot) in this step, SIZE_MAX: none. A slot
  // is valid once that load completed: a fold waits for the slots it reads to be valid (the
  // buffers' full flags), so a fold reading a slot no load fills never starts (a deadlock,
  // reported), whatever dependences the program states.
  size_t filled[ARCH_MAX_BUFFERS][2][2];
  char slot_wait[128] = "";

  std::deque<size_t> q[SIM_UNITS];
  sc_event q_ev[SIM_UNITS], start_ev;
  sc_event_queue done_ev;

  // 1 cycle = 1 ns. From the kernel's integer time (picoseconds by default), so whole cycles
  // are exact at any simulated time (to_seconds() * 1e9 drifts below an integer once runs
  // add up, and a ceil then adds a cycle: the same step took different cycles per run).
  static double now() {
    return (double)sc_time_stamp().value() / (sc_time(1, SC_NS).value());
  }

  bool is_done(size_t i) const { return done_at[i] <= now() + 1e-6; }

  static int unit_of(const prog_insn &in) {
    switch (in.op) {
    case PROG_FOLD: return SIM_UNIT_ARRAY;
    case PROG_SIMD: return SIM_UNIT_SIMD;
    default: return SIM_UNIT_DMA;
    }
  }

  // Completions land on whole cycles (the kernel's time is exact then; a fractional time could
  // round below done_at and leave a waiter asleep).
  void finish(size_t i, double at) {
    at = std::ceil(at - 1e-6);
    done_at[i] = at;
    done_ev.notify(sc_time(std::max(0.0, at - now()), SC_NS));
  }

  void trace(int sig, int64_t v) {
    if (vcd) vcd_change(vcd, (int64_t)llround(now()), sig, v);
  }

  // Books `need` cycles of a buffer's port for a requester that runs `span` cycles from
  // `from` and spreads its bytes evenly over them (a fold over its run, a transfer over the
  // DRAM channel's time, a SIMD op over its cycles; at most the whole port per cycle). Returns
  // when its last byte has passed: from + max(span, need) when the port has room, later when
  // other units hold too much of it (within a microcycle of that, it is that: the share
  // arithmetic's rounding is no stall).
  double port_book(int buf, double from, double need, double span) {
    sram_port_prune(&port[buf], std::min(now(), fold_from));
    double pace = span > need ? need / span : 1.0;
    double end = sram_port_book(&port[buf], from, need, pace);
    port_ev.notify(SC_ZERO_TIME);
    double alone = from + std::max(span, need);
    return end <= alone + 1e-6 ? alone : end;
  }

  // Waits until every dependence of instruction i has completed; the time waited is a stall of
  // `unit`, charged to the unit the last blocking dependence runs on.
  void wait_deps(size_t i, int unit) {
    const prog_insn &in = prog->insn[i];
    for (;;) {
      int blocking = -1;
      for (int d = 0; d < in.n_deps; d++)
        if (!is_done((size_t)in.dep[d])) blocking = in.dep[d];
      if (blocking < 0 || aborting) return;
      double t0 = now();
      wait(done_ev.default_event());
      int reason = SIM_STALL_DEP;
      int bu = unit_of(prog->insn[blocking]);
      if (bu == SIM_UNIT_DMA) reason = SIM_STALL_DRAM;
      else if (bu == SIM_UNIT_SIMD) reason = SIM_STALL_SIMD;
      if (unit >= 0) res->unit[unit].stall[reason] += now() - t0;
    }
  }

  // Issues the program in order: each instruction goes to its unit's queue, where the unit
  // waits for its dependences (a scoreboard per unit), so a store waiting for its tile does not
  // hold back the next tile's loads and fold. A sync holds the issue until its dependences are
  // done (a step boundary).
  void controller() {
    for (;;) {
      wait(start_ev);
      for (issued = 0; issued < todo.size() && !aborting; issued++) {
        size_t i = todo[issued];
        const prog_insn &in = prog->insn[i];
        if (in.op == PROG_SYNC) {
          waiting_on = i;
          wait_deps(i, -1);
          waiting_on = SIZE_MAX;
          finish(i, now());
          continue;
        }
        int u = unit_of(in);
        issued_at[i] = now();
        q[u].push_back(i);
        q_ev[u].notify(SC_ZERO_TIME);
      }
    }
  }

  // Waits until `until` (whole cycles) and returns the cycles waited.
  void wait_until(double until) {
    double dt = std::ceil(until - now() - 1e-9);
    if (dt > 0) wait(sc_time(dt, SC_NS));
  }

  size_t pop(int u) {
    while (q[u].empty()) wait(q_ev[u]);
    size_t i = q[u].front();
    q[u].pop_front();
    head[u] = i;
    wait_deps(i, u);
    head[u] = SIZE_MAX;
    return i;
  }

  bool slot_valid(const prog_insn &in, const prog_step &st, int op) const {
    if (st.problem.on_chip[op]) return true;
    size_t l = filled[st.mapping.buffer[op]][op][in.slots[op] & 1];
    return l != SIZE_MAX && is_done(l);
  }

  void wait_slots(size_t i, const prog_insn &in, const prog_step &st) {
    for (int op = 0; op < 2; op++) {
      if (slot_valid(in, st, op)) continue;
      head[SIM_UNIT_ARRAY] = i;
      std::snprintf(slot_wait, sizeof slot_wait, "slot %d of buffer '%s' (%s), which no load has filled",
                    in.slots[op], a->buffers[st.mapping.buffer[op]].name, op ? "weight" : "input");
      double t0 = now();
      while (!slot_valid(in, st, op) && !aborting) wait(done_ev.default_event());
      res->unit[SIM_UNIT_ARRAY].stall[SIM_STALL_DRAM] += now() - t0;
      head[SIM_UNIT_ARRAY] = SIZE_MAX;
      slot_wait[0] = 0;
    }
  }

  void array() {
    for (;;) {
      size_t i = pop(SIM_UNIT_ARRAY);
      const prog_insn &in = prog->insn[i];
      const prog_step &st = prog->steps[in.step];
      wait_slots(i, in, st);
      if (aborting) continue;
      fold_stats fs;
      int64_t pack = st.mapping.batch_pack > 1 ? st.mapping.batch_pack : 1;
      fold_eval_packed(&a->array, st.mapping.dataflow, prog->timing, in.len[0], in.len[1],
                       in.len[2], in.len[3], pack, &fs);
      double array_time = (double)fs.cycles, drain = 0;
      bool on_simd = st.mapping.unit == MAP_UNIT_SIMD;
      if (on_simd) {
        // A step mapped on the SIMD unit (mapper/MAPPING.md, small steps): its boxes take the
        // SIMD unit's time; they queue here, in the step's order, as the array's folds would,
        // and wait while the unit runs another instruction (an output epilogue piece).
        fold_simd_stats ss;
        fold_simd_eval(&a->simd, in.len[0], in.len[1], in.len[2], in.len[3], in.acc == 1, &ss);
        array_time = (double)ss.cycles;
        wait_simd(SIM_UNIT_ARRAY);
        simd_free = now() + array_time;
      } else if (prog->timing == FOLD_TIMING_OVERLAP) {
        array_time = (double)(fs.batch_groups * fs.folds * fs.pace);
        drain = (double)(fs.fold_cycles - fs.pace);
      }
      prog_counts c;
      std::memset(&c, 0, sizeof c);
      program_insn_count(prog, a, &in, &c);
      add_counts(c);
      double start = now();
      // Each buffer's port carries the fold's bytes, and longer where its lanes queue on
      // banks (sim/sram.h). The array's operand queues fetch ahead and write behind within
      // the fold, so it takes whatever share of the port the DMA and SIMD units leave (they
      // move data at a fixed pace and go first): the fold ends when the array is done and
      // every buffer has carried its bytes, later when the other units hold too much of a
      // port (sram_port stall) or its lanes queue on banks (bank_conflict).
      double pshare[ARCH_MAX_BUFFERS], busy[ARCH_MAX_BUFFERS], conflict[ARCH_MAX_BUFFERS];
      sram_fold_time(a, &st, &in, &fs, pshare, busy, conflict);
      // The stall the fold's own traffic causes is bank_conflict up to the cycles the
      // conflicts add; what the other units' share of the ports adds is sram_port.
      double held[ARCH_MAX_BUFFERS] = {0}, bank_extra = 0;
      for (size_t j = 0; j < a->n_buffers && prog->stalls; j++) {
        double bytes = c.sram_read_bytes[j] + c.sram_write_bytes[j];
        if (bytes <= 0) continue;
        held[j] = bytes / a->buffers[j].bytes_per_cycle + (busy[j] - pshare[j]);
        bank_extra = std::max(bank_extra, std::min(conflict[j], held[j] - array_time));
      }
      if (mode == SIM_MODE_FUNCTIONAL) compute(in, st, fs);
      fold_from = start;
      fold_wait(start, array_time, held, bank_extra);
      fold_from = kNever;
      if (on_simd) simd_free = std::max(simd_free, now());
      finish(i, now() + drain);
    }
  }

  // The end of the running fold as the ports' calendars stand: the array's `work` cycles, and
  // each buffer's `held` cycles out of what the paced units leave.
  double fold_end(double start, double work, const double *held) const {
    double end = start + work;
    for (size_t j = 0; j < a->n_buffers; j++) {
      if (held[j] <= 0) continue;
      double e = sram_port_leftover_until(&port[j], start, held[j]);
      if (e > end + 1e-6) end = e; // (within a microcycle: the shares' rounding, no stall)
    }
    return end;
  }

  // Waits until the fold that started at `start` ends: `work` cycles busy, then stalled, the
  // first `bank` cycles of the stall on bank conflicts and the rest on SRAM ports (traced as
  // such). A paced unit booking a port while the fold waits moves its end, so the wait is
  // redone then; both modes take the same waits.
  void fold_wait(double start, double work, const double *held, double bank) {
    trace(VCD_ARRAY_BUSY, 1);
    int phase = 0; // 0 busy, 1 bank conflict, 2 sram port
    for (;;) {
      double end = fold_end(start, work, held), t = now();
      double next = phase == 0 ? std::min(end, start + work) : phase == 1 ? std::min(end, start + work + bank) : end;
      if (next > t + 1e-9) {
        double dt = std::ceil(next - t - 1e-9);
        wait(sc_time(dt, SC_NS), port_ev);
        continue;
      }
      if (end <= t + 1e-9) break;
      if (phase == 0) {
        trace(VCD_ARRAY_BUSY, 0);
        phase = bank > 0 ? 1 : 2;
        trace(phase == 1 ? VCD_ARRAY_STALL_BANK : VCD_ARRAY_STALL_SRAM_PORT, 1);
      } else if (phase == 1) {
        trace(VCD_ARRAY_STALL_BANK, 0);
        trace(VCD_ARRAY_STALL_SRAM_PORT, 1);
        phase = 2;
      }
    }
    trace(VCD_ARRAY_BUSY, 0);
    if (phase == 1) trace(VCD_ARRAY_STALL_BANK, 0);
    if (phase == 2) trace(VCD_ARRAY_STALL_SRAM_PORT, 0);
    account_wait(SIM_UNIT_ARRAY, start, work, bank);
  }

  // Waits from `start` until `end`: `work` cycles busy, then the rest stalled on the SRAM, the
  // last `bank` cycles of it on bank conflicts (traced as such; the total wait is one span, cut
  // only where the trace changes, so both modes take the same cycles).
  void stall_phases(int unit, double start, double work, double end, double bank, int sig_busy,
                    int sig_port, int sig_bank) {
    double excess = std::max(0.0, end - start - work);
    bank = std::min(bank, excess);
    double port_end = end - bank;
    trace(sig_busy, 1);
    if (excess > 0) {
      wait_until(start + work);
      trace(sig_busy, 0);
      if (port_end > now() + 1e-9) {
        trace(sig_port, 1);
        wait_until(port_end);
        trace(sig_port, 0);
      }
      if (bank > 0) trace(sig_bank, 1);
    }
    wait_until(end);
    trace(sig_busy, 0);
    if (bank > 0) trace(sig_bank, 0);
    account_wait(unit, start, work, bank);
  }

  // Books the span from `start` to now: `work` cycles busy, the rest stalled, up to `bank`
  // cycles of it on bank conflicts and the remainder on the SRAM port.
  void account_wait(int unit, double start, double work, double bank) {
    double took = now() - start;
    res->unit[unit].busy += std::min(work, took);
    double stalled = std::max(0.0, took - work);
    double b = std::min(bank, stalled);
    res->unit[unit].stall[SIM_STALL_BANK] += b;
    res->unit[unit].stall[SIM_STALL_SRAM] += stalled - b;
  }

  void compute(const prog_insn &in, const prog_step &st, const fold_stats &fs) {
    step_values &v = *vals;
    const int64_t *at = in.at, *len = in.len;
    for (int64_t b = at[0]; b < at[0] + len[0]; b++) {
      uint32_t *out = &v.out[(size_t)((b * v.M + at[1]) * v.N + at[3])];
      if (in.acc == 0)
        for (int64_t m = 0; m < len[1]; m++) std::fill(out + m * v.N, out + m * v.N + len[3], 0u);
      dp_gemm g;
      g.M = len[1];
      g.K = len[2];
      g.N = len[3];
      g.in = &v.in[(size_t)((b * v.M + at[1]) * v.K + at[2])];
      g.in_ld = v.K;
      g.w = &v.w[(size_t)((b * v.K + at[2]) * v.N + at[3])];
      g.w_ld = v.N;
      g.out = out;
      g.out_ld = v.N;
      if (st.mapping.unit == MAP_UNIT_SIMD) { // lane by lane on the SIMD unit: plain values
        dp_reference(&g);
        continue;
      }
      int64_t folds = 0;
      int64_t stepped = dp_run(dpw, &a->array, st.mapping.dataflow, &g, &folds);
      res->folds_stepped += folds;
      // A packed box shares folds between batch elements on the diagonal; the datapath steps
      // each element's folds alone (the values are the same), checked against fold_eval.
      fold_stats one = fs;
      if (fs.pack > 1) fold_eval(&a->array, st.mapping.dataflow, FOLD_TIMING_SCALESIM, 1, len[1], len[2], len[3], &one);
      if (folds != one.folds || stepped != one.folds * one.fold_cycles) {
        internal_error = true;
        std::snprintf(internal_msg, sizeof internal_msg,
                      "the datapath stepped %lld folds in %lld cycles where mapper/fold.c counts "
                      "%lld folds of %lld cycles",
                      (long long)folds, (long long)stepped, (long long)one.folds,
                      (long long)one.fold_cycles);
      }
    }
  }

  // The values of another token tile of the current step: its folds on the same datapath,
  // outside the timed run (times already counts the tiles; the cycles are the first tile's).
  void compute_tile(const std::vector<size_t> &insns) {
    for (size_t i : insns) {
      const prog_insn &in = prog->insn[i];
      if (in.op != PROG_FOLD) continue;
      const prog_step &st = prog->steps[in.step];
      fold_stats fs;
      int64_t pack = st.mapping.batch_pack > 1 ? st.mapping.batch_pack : 1;
      fold_eval_packed(&a->array, st.mapping.dataflow, prog->timing, in.len[0], in.len[1],
                       in.len[2], in.len[3], pack, &fs);
      compute(in, st, fs);
    }
  }

  void add_counts(const prog_counts &c) {
    prog_counts &t = res->counts;
    t.macs += c.macs;
    t.reg_accesses += c.reg_accesses;
    t.dram_read_bytes += c.dram_read_bytes;
    t.dram_write_bytes += c.dram_write_bytes;
    t.simd_lane_ops += c.simd_lane_ops;
    t.simd_macs += c.simd_macs;
    for (size_t j = 0; j < ARCH_MAX_BUFFERS; j++) {
      t.sram_read_bytes[j] += c.sram_read_bytes[j];
      t.sram_write_bytes[j] += c.sram_write_bytes[j];
    }
  }

  // DRAM channel time of `bytes` (whole bursts) at the arch's bandwidth: the analytical
  // model's function (mapper/tile.h), so both charge a transfer alike.
  double dram_cycles(double bytes, bool strided) const { return map_dram_transfer_cycles(a, bytes, strided); }

  void dma() {
    int inflight = 0;
    for (;;) {
      size_t i = pop(SIM_UNIT_DMA);
      if (aborting) continue;
      const prog_insn &in = prog->insn[i];
      prog_counts c;
      std::memset(&c, 0, sizeof c);
      program_insn_count(prog, a, &in, &c);
      add_counts(c);
      double bytes = c.dram_read_bytes + c.dram_write_bytes;
      // The engine takes a queued transfer when the previous one is through, at the channel's
      // own (fractional) time: bursts pipeline across transfers, so a 2.5-cycle burst does not
      // cost 3. Only a transfer that was ready then starts before the process woke.
      double start = std::max(dma_free, issued_at[i]);
      for (int d = 0; d < in.n_deps; d++) start = std::max(start, done_at[(size_t)in.dep[d]]);
      if (start > now() || start < now() - 1 + 1e-9) start = now();
      if (in.op == PROG_LOAD && in.operand < 2) filled[in.buffer][in.operand][in.slot & 1] = i;
      if (!prog->stalls) { // the array alone (SCALE-Sim's compute report): memory takes no time
        dma_free = start;
        finish(i, start);
        continue;
      }
      double ch_start = std::max(start, dram_free);
      dram_free = ch_start + dram_cycles(bytes, in.strided);
      double ch_end = dram_free; // the SIMD unit may book the channel while this one waits
      // The buffer side of the transfer runs at the channel's rate while the channel has it.
      double need = bytes / a->buffers[in.buffer].bytes_per_cycle;
      double port_end = port_book(in.buffer, ch_start, need, ch_end - ch_start);
      double latency = map_dram_latency_cycles(a);
      double data_end = std::max(ch_end, port_end);
      trace(VCD_DMA_BUSY, 1);
      trace(VCD_DMA_INFLIGHT, ++inflight);
      // The engine is free once the channel has taken the transfer; the data lands after the
      // latency (transfers pipeline behind each other, so the latency is paid once per stream).
      // A buffer port still busy when the channel is done holds the transfer (sram_port).
      if (port_end > ch_end) {
        wait_until(ch_end);
        trace(VCD_DMA_STALL_SRAM_PORT, 1);
      }
      wait_until(data_end);
      trace(VCD_DMA_STALL_SRAM_PORT, 0);
      trace(VCD_DMA_BUSY, 0);
      res->unit[SIM_UNIT_DMA].busy += ch_end - ch_start;
      res->unit[SIM_UNIT_DMA].stall[SIM_STALL_SRAM] += data_end - ch_end;
      res->unit[SIM_UNIT_DMA].stall[SIM_STALL_DRAM] += ch_start - start;
      dma_free = data_end;
      // A store is posted: its slot is free once the data has left the buffer; a load's data
      // lands after the DRAM latency.
      finish(i, in.op == PROG_STORE ? data_end : data_end + latency);
      trace(VCD_DMA_INFLIGHT, --inflight);
    }
  }

  // Waits until the SIMD unit is free (a stall of `unit` on the SIMD unit).
  void wait_simd(int unit) {
    double t0 = now();
    // Another unit may take it at the same instant it frees: check again after each wait.
    while (simd_free > now() + 1e-9 && !aborting) wait_until(simd_free);
    res->unit[unit].stall[SIM_STALL_SIMD] += now() - t0;
  }

  void simd() {
    for (;;) {
      size_t i = pop(SIM_UNIT_SIMD);
      if (aborting) continue;
      wait_simd(SIM_UNIT_SIMD);
      const prog_insn &in = prog->insn[i];
      prog_counts c;
      std::memset(&c, 0, sizeof c);
      program_insn_count(prog, a, &in, &c);
      add_counts(c);
      double start = now(), end = start + (double)in.cycles;
      double dram = prog->stalls ? in.dram_rd + in.dram_wr : 0;
      if (dram > 0) {
        double ch = std::max(start, dram_free);
        dram_free = ch + dram / arch_dram_bytes_per_cycle(a);
        end = std::max(end, dram_free);
      }
      double port = in.rd_bytes + in.wr_bytes;
      if (port > 0 && in.buffer >= 0 && prog->stalls) {
        double need = port / a->buffers[in.buffer].bytes_per_cycle;
        end = std::max(end, port_book(in.buffer, start, need, (double)in.cycles));
      }
      simd_free = end;
      stall_phases(SIM_UNIT_SIMD, start, (double)in.cycles, end, 0, VCD_SIMD_BUSY,
                   VCD_SIMD_STALL_SRAM_PORT, VCD_SIMD_STALL_SRAM_PORT);
      finish(i, now());
    }
  }

  // After a deadlock: every blocked process returns and the queues empty, so the session runs
  // the next program from a clean machine.
  void unwind() {
    aborting = true;
    for (auto &qu : q) qu.clear();
    done_ev.notify(SC_ZERO_TIME);
    sc_start();
    aborting = false;
    waiting_on = SIZE_MAX;
    for (auto &h : head) h = SIZE_MAX;
    slot_wait[0] = 0;
  }

  SC_CTOR(machine) {
    for (auto &p : port) sram_port_reset(&p, 0);
    SC_THREAD(controller);
    SC_THREAD(array);
    SC_THREAD(dma);
    SC_THREAD(simd);
  }
};

} // namespace

struct sim_session {
  arch a;
  machine *m = nullptr;
  dp_workspace *dpw = nullptr;
};

extern "C" sim_session *sim_session_alloc(const arch *a, heat_error *err) {
  if (!heat_sim_claim_elaboration(err)) return nullptr;
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  sim_session *s = new (std::nothrow) sim_session;
  if (!s) {
    heat_error_set(err, HEAT_ENOMEM, "sim", "out of memory");
    return nullptr;
  }
  s->a = *a;
  try {
    s->m = new machine("machine");
    s->m->a = &s->a;
    sc_start(SC_ZERO_TIME); // elaborate and start the processes (they wait for work)
  } catch (const std::exception &e) {
    heat_error_set(err, HEAT_EINTERNAL, "sim", "SystemC: %s", e.what());
    delete s;
    return nullptr;
  }
  s->dpw = dp_workspace_alloc(&s->a.array);
  if (!s->dpw) {
    heat_error_set(err, HEAT_ENOMEM, "sim", "out of memory for the array registers");
    delete s;
    return nullptr;
  }
  return s;
}

extern "C" int sim_session_set_arch(sim_session *s, const arch *a, heat_error *err) {
  dp_workspace *w = dp_workspace_alloc(&a->array);
  if (!w) return heat_error_set(err, HEAT_ENOMEM, "sim", "out of memory for the array registers");
  dp_workspace_free(s->dpw);
  s->dpw = w;
  s->a = *a;
  return HEAT_OK;
}

extern "C" void sim_session_free(sim_session *s) {
  if (!s) return;
  dp_workspace_free(s->dpw);
  delete s; // the module belongs to the kernel until the process ends
}

static void sim__seed(step_values &v, const arch *a, const prog_step &st, uint64_t seed, size_t step) {
  v.B = st.problem.dim[0];
  v.M = st.problem.dim[1];
  v.K = st.problem.dim[2];
  v.N = st.problem.dim[3];
  uint64_t rng = seed ^ (0x9e3779b97f4a7c15ULL * (step + 1));
  v.in.resize((size_t)(v.B * v.M * v.K));
  v.w.resize((size_t)(v.B * v.K * v.N));
  v.out.assign((size_t)(v.B * v.M * v.N), 0xdeadbeefu); // garbage until a fold writes it
  for (auto &x : v.in) x = seeded(&rng, a->input_bits);
  for (auto &x : v.w) x = seeded(&rng, a->weight_bits);
}

// A step that names its tensors: its operands come from the chain's store (an earlier step's
// output, requantized, or seeded data), so the array computes on the values the chain carries.
static int sim__gather(step_values &v, const arch *a, const prog_step &st, uint64_t seed,
                       int64_t token_at, chk_store *store, sim_step_result *r, heat_error *err) {
  v.B = st.problem.dim[0];
  v.M = st.problem.dim[1];
  v.K = st.problem.dim[2];
  v.N = st.problem.dim[3];
  v.in.resize((size_t)(v.B * v.M * v.K));
  v.w.resize((size_t)(v.B * v.K * v.N));
  v.out.assign((size_t)(v.B * v.M * v.N), 0xdeadbeefu); // garbage until a fold writes it
  for (int k = 0; k < 2; k++) {
    bool handed = false;
    int rc = chk_gather(store, a, seed, &st, k, token_at, k ? v.w.data() : v.in.data(), &handed, err);
    if (rc) return rc;
    if (token_at == 0) r->handoffs += handed;
  }
  return HEAT_OK;
}

// After the step (every token tile of it): its outputs compared with the chain reference
// (--check), then handed on requantized (the SIMD unit's requantization, sim/check.h).
static int sim__handoff(const std::vector<int32_t> &acc, const arch *a, const prog_step &st,
                        int32_t step, const sim_options *opt, chk_store *store, chk_store *ref,
                        sim_step_result *r, heat_error *err) {
  const prog_tensors &t = st.tensors;
  int rc = HEAT_OK;
  if (opt->check) {
    std::vector<int32_t> want(acc.size());
    rc = chk_reference_step(ref, a, opt->seed, &st, want.data(), err);
    if (!rc) rc = chk_put_output(ref, a, &st, step, want.data(), CHK_FAULT_NONE, err);
    if (rc) return rc;
    for (size_t i = 0; i < acc.size(); i++) {
      r->checked++;
      if (acc[i] == want[i]) continue;
      if (!r->mismatches++) {
        char at[160];
        chk_describe(&t, MAP_OP_OUTPUT, (int64_t)i, at, sizeof at);
        // (cut to the field's size when the letters are many)
        if (std::snprintf(r->mismatch, sizeof r->mismatch,
                          "output tensor %d (%s) at %s: simulated %ld, reference %ld", t.id[2],
                          t.idx[2], at, (long)acc[i], (long)want[i]) < 0)
          r->mismatch[0] = '\0';
      }
    }
  }
  chk_fault f = opt->fault == SIM_FAULT_FLIP       ? CHK_FAULT_FLIP
                : opt->fault == SIM_FAULT_TRUNCATE ? CHK_FAULT_TRUNCATE
                                                   : CHK_FAULT_NONE;
  return chk_put_output(store, a, &st, step, acc.data(), f, err);
}

static void sim__check(step_values &v, const arch *a, sim_step_result *r) {
  std::vector<uint32_t> ref((size_t)(v.B * v.M * v.N), 0u);
  for (int64_t b = 0; b < v.B; b++) {
    dp_gemm g;
    g.M = v.M;
    g.K = v.K;
    g.N = v.N;
    g.in = &v.in[(size_t)(b * v.M * v.K)];
    g.in_ld = v.K;
    g.w = &v.w[(size_t)(b * v.K * v.N)];
    g.w_ld = v.N;
    g.out = &ref[(size_t)(b * v.M * v.N)];
    g.out_ld = v.N;
    dp_reference(&g);
  }
  for (size_t i = 0; i < ref.size(); i++) {
    r->checked++;
    int32_t want = dp_wrap(ref[i], a->accum_bits), got = dp_wrap(v.out[i], a->accum_bits);
    if (want == got) continue;
    if (!r->mismatches++) {
      int64_t n = (int64_t)i % v.N, m = (int64_t)i / v.N % v.M, b = (int64_t)i / v.N / v.M;
      std::snprintf(r->mismatch, sizeof r->mismatch,
                    "output element b=%lld,m=%lld,n=%lld: simulated %ld, reference %ld",
                    (long long)b, (long long)m, (long long)n, (long)got, (long)want);
    }
  }
}

namespace {
// The value stores of one run (the model's and the reference's), freed however the run ends.
struct chain_stores {
  chk_store sim, ref;
  chain_stores() {
    chk_store_init(&sim);
    chk_store_init(&ref);
  }
  ~chain_stores() {
    chk_store_free(&sim);
    chk_store_free(&ref);
  }
  chain_stores(const chain_stores &) = delete;
  chain_stores &operator=(const chain_stores &) = delete;
};
} // namespace

extern "C" int sim_session_run(sim_session *s, const program *p, const sim_options *opt,
                               sim_step_result *steps, heat_error *err) {
  int rc = program_check(p, &s->a, p->origin[0] ? p->origin : "program", err);
  if (rc) return rc;
  machine &m = *s->m;
  m.prog = p;
  m.mode = opt->mode;
  m.dpw = s->dpw;
  m.done_at.assign(p->n, kNever);
  m.issued_at.assign(p->n, 0.0);
  vcd_writer *vcd = nullptr;
  if (opt->trace) {
    vcd = vcd_open(opt->trace, err);
    if (!vcd) return err->code;
  }
  m.vcd = vcd;
  std::vector<std::vector<size_t>> by_step(p->n_steps);
  for (size_t i = 0; i < p->n; i++) by_step[(size_t)p->insn[i].step].push_back(i);
  step_values vals;
  chain_stores chains;
  for (size_t st = 0; st < p->n_steps && !rc; st++) {
    sim_step_result *r = &steps[st];
    std::memset(r, 0, sizeof *r);
    m.res = r;
    m.todo = by_step[st];
    for (auto &b : m.filled)
      for (auto &o : b)
        for (auto &sl : o) sl = SIZE_MAX;
    m.slot_wait[0] = 0;
    const prog_step &ps = p->steps[st];
    bool values = opt->mode == SIM_MODE_FUNCTIONAL && !ps.simd;
    if (values && ps.tensors.on) {
      rc = sim__gather(vals, &s->a, ps, opt->seed, 0, &chains.sim, r, err);
      if (rc) break;
    } else if (values) {
      sim__seed(vals, &s->a, ps, opt->seed, st);
    }
    m.vals = &vals;
    double t0 = machine::now();
    // The machine drains between steps (the program syncs them anyway): no resource carries
    // a reservation into the next step.
    m.dram_free = std::max(m.dram_free, t0);
    m.dma_free = std::max(m.dma_free, t0);
    for (size_t j = 0; j < ARCH_MAX_BUFFERS; j++) sram_port_prune(&m.port[j], t0);
    m.start_ev.notify(SC_ZERO_TIME);
    try {
      sc_start();
    } catch (const std::exception &e) {
      rc = heat_error_set(err, HEAT_EINTERNAL, "sim", "SystemC: %s", e.what());
      break;
    }
    if (m.internal_error) {
      rc = heat_error_set(err, HEAT_EINTERNAL, "sim", "step %s: %s", ps.name, m.internal_msg);
      break;
    }
    double end = t0;
    for (size_t i : m.todo) {
      if (m.done_at[i] == kNever) {
        size_t w = m.waiting_on != SIZE_MAX ? m.waiting_on : i;
        for (int u = 0; u < SIM_UNITS; u++)
          if (m.head[u] != SIZE_MAX) w = std::min(w, m.head[u]);
        const prog_insn &in = p->insn[w];
        if (m.slot_wait[0])
          rc = heat_error_set(err, HEAT_EINVAL, p->origin[0] ? p->origin : "program",
                              "deadlock in step %s: instruction %zu (%s) waits for %s",
                              ps.name, w, program_opcode_name(in.op), m.slot_wait);
        else
          rc = heat_error_set(err, HEAT_EINVAL, p->origin[0] ? p->origin : "program",
                              "deadlock in step %s: instruction %zu (%s) waits for work that "
                              "never completes",
                              ps.name, w, program_opcode_name(in.op));
        m.unwind();
        break;
      }
      end = std::max(end, m.done_at[i]);
    }
    if (rc) break;
    // Everything left in flight (a drain's tail) ends the step.
    if (end > machine::now()) {
      sc_start(sc_time(end - machine::now(), SC_NS));
    }
    r->cycles = std::ceil(end - t0 - 1e-9);
    for (size_t j = 0; j < s->a.n_buffers; j++) {
      r->counts.sram_reads[j] = r->counts.sram_read_bytes[j] / (double)s->a.buffers[j].access_bytes;
      r->counts.sram_writes[j] = r->counts.sram_write_bytes[j] / (double)s->a.buffers[j].access_bytes;
    }
    energy_events ev;
    program_counts_events(&s->a, &r->counts, r->cycles, &ev);
    energy_eval(&s->a, &ev, &r->energy);
    if (values && ps.tensors.on) {
      // The whole output: the timed tile, then the values of the step's other token tiles.
      const prog_tensors &t = ps.tensors;
      std::vector<int32_t> acc((size_t)chk_elements(&t, MAP_OP_OUTPUT));
      int64_t tile = t.token ? t.size[program_letter_slot(t.token)] : 0;
      for (int64_t j = 0; j < chk_tiles(&t) && !rc; j++) {
        if (j > 0) {
          rc = sim__gather(vals, &s->a, ps, opt->seed, j * tile, &chains.sim, r, err);
          if (rc) break;
          m.compute_tile(m.todo);
          if (m.internal_error) {
            rc = heat_error_set(err, HEAT_EINTERNAL, "sim", "step %s: %s", ps.name, m.internal_msg);
            break;
          }
        }
        rc = chk_output_from_gemm(&ps, vals.out.data(), s->a.accum_bits, j * tile, acc.data(), err);
      }
      if (!rc) rc = sim__handoff(acc, &s->a, ps, (int32_t)st, opt, &chains.sim, &chains.ref, r, err);
    } else if (values && opt->check)
      sim__check(vals, &s->a, r);
  }
  if (vcd) {
    int vrc = vcd_close(vcd, (int64_t)llround(machine::now()), err);
    if (!rc) rc = vrc;
  }
  m.vcd = nullptr;
  return rc;
}

extern "C" const char *sim_mode_name(sim_mode m) { return m == SIM_MODE_FUNCTIONAL ? "functional" : "timing"; }

extern "C" int sim_mode_parse(const char *text, sim_mode *out, heat_error *err) {
  if (std::strcmp(text, "timing") == 0) *out = SIM_MODE_TIMING;
  else if (std::strcmp(text, "functional") == 0) *out = SIM_MODE_FUNCTIONAL;
  else
    return heat_error_set(err, HEAT_EINVAL, "--mode", "unknown mode '%s'; allowed: functional, timing", text);
  return HEAT_OK;
}

extern "C" const char *sim_stall_name(int r) {
  static const char *const n[] = {"dram", "sram_port", "dep", "simd", "bank_conflict"};
  return r >= 0 && r < SIM_STALLS ? n[r] : "?";
}

extern "C" const char *sim_unit_name(int u) {
  static const char *const n[] = {"array", "dma", "simd"};
  return u >= 0 && u < SIM_UNITS ? n[u] : "?";
}
