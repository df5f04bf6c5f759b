// Shared inside sim/ only: SystemC elaborates one design per process.
#ifndef HEAT_SIM_INTERNAL_H
#define HEAT_SIM_INTERNAL_H

#include "common/heat_error.h"

// True the first time it is called in a process; afterwards false with HEAT_EINTERNAL in err.
bool heat_sim_claim_elaboration(heat_error *err);

#endif
