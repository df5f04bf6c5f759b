/* One SystemC session (elaborated once per test process, sim/sim.h) and one mapper workspace,
 * shared by every test of a cmocka group: cmocka_run_group_tests(tests, setup, teardown). The
 * session starts on tpu-32; tests switch it with sim_session_set_arch. */
#ifndef HEAT_TESTS_SIM_SESSION_FIXTURE_H
#define HEAT_TESTS_SIM_SESSION_FIXTURE_H

#include "mapper/mapspace.h"
#include "sim/sim.h"

static sim_session *session;
static map_workspace *ws;

static int setup(void **state) {
  (void)state;
  arch a;
  heat_error err;
  if (arch_resolve("tpu-32", &a, &err)) return -1;
  session = sim_session_alloc(&a, &err);
  ws = map_workspace_alloc();
  return session && ws ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  sim_session_free(session);
  map_workspace_free(ws);
  return 0;
}

#endif
