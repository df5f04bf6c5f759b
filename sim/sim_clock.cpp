// A clock and one clocked process: the smallest model that exercises the SystemC kernel.
#include <systemc>

#include <cstdlib>

#include "sim/sim.h"
#include "sim/sim_internal.h"

namespace {


SC_MODULE(edge_counter) {
  sc_core::sc_in<bool> clk;
  uint64_t edges = 0;

  void on_edge() { edges++; }

  SC_CTOR(edge_counter) {
    SC_METHOD(on_edge);
    sensitive << clk.pos();
    dont_initialize();
  }
};

}  // namespace

extern "C" int sim_clock_run(double clock_ghz, uint64_t cycles, sim_clock_check *out,
                             heat_error *err) {
  if (!(clock_ghz > 0.0) || clock_ghz > 1000.0)
    return heat_error_set(err, HEAT_EINVAL, "clock", "clock must be in (0, 1000] GHz, got %g",
                          clock_ghz);
  if (cycles == 0)
    return heat_error_set(err, HEAT_EINVAL, "cycles", "run at least one cycle");
  if (!heat_sim_claim_elaboration(err)) return err->code;
  // The kernel's copyright banner would pollute heat's stdout.
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  try {
    sc_core::sc_time period(1.0 / clock_ghz, sc_core::SC_NS);
    sc_core::sc_clock clk("clk", period);
    edge_counter counter("counter");
    counter.clk(clk);
    // Edges fall at 0, P, 2P, ...; sc_start(cycles * P) stops before running the edge at
    // cycles * P, so the process sees exactly `cycles` of them.
    sc_core::sc_start(period * static_cast<double>(cycles));
    out->cycles_requested = cycles;
    out->rising_edges_seen = counter.edges;
    out->simulated_ns = sc_core::sc_time_stamp().to_seconds() * 1e9;
  } catch (const std::exception &e) {
    return heat_error_set(err, HEAT_EINTERNAL, "sim", "SystemC: %s", e.what());
  }
  return HEAT_OK;
}

extern "C" const char *sim_systemc_version(void) { return sc_core::sc_release(); }

// libsystemc's own main() needs an sc_main to link; heat's main() is in cli/ and drives the
// kernel through the functions above, so this entry point only runs if someone links sim/
// without a main of their own.
int sc_main(int, char **) {
  std::fprintf(stderr, "heat: the cycle-level model is run through 'heat sim'\n");
  return 1;
}

bool heat_sim_claim_elaboration(heat_error *err) {
  static bool used = false;
  if (used) {
    heat_error_set(err, HEAT_EINTERNAL, "sim",
                   "SystemC elaborates one simulation per process; start a new process");
    return false;
  }
  used = true;
  return true;
}
