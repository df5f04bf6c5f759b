/* sim_dl: the sim.h API for the heat command, served by the SystemC model built as a module
 * (heat-sim.so) and opened with dlopen on the first call. libsystemc and the C++ runtime then
 * load only in the commands that simulate (heat sim, heat validate), not in every heat command
 * (issue 8 §8c). Tests and benches link the model itself (heat_sim) and do not use this file.
 *
 * Where the module is looked for, first found wins: $HEAT_SIM_MODULE (a path); beside the heat
 * executable (the build tree: build/cli/heat-sim.so); ../lib/heat/ from it (an installed tree);
 * the configured install directory HEAT_SIM_MODULE_DIR. */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/sim.h"

#ifndef HEAT_SIM_MODULE_NAME
#define HEAT_SIM_MODULE_NAME "heat-sim.so"
#endif
#ifndef HEAT_SIM_MODULE_DIR
#define HEAT_SIM_MODULE_DIR "/usr/local/lib/heat"
#endif

static struct {
  __typeof__(sim_clock_run) *clock_run;
  __typeof__(sim_session_alloc) *session_alloc;
  __typeof__(sim_session_run) *session_run;
  __typeof__(sim_session_set_arch) *session_set_arch;
  __typeof__(sim_session_free) *session_free;
  __typeof__(sim_mode_name) *mode_name;
  __typeof__(sim_mode_parse) *mode_parse;
  __typeof__(sim_stall_name) *stall_name;
  __typeof__(sim_unit_name) *unit_name;
  __typeof__(sim_systemc_version) *systemc_version;
} fn;
static char load_error[1024];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void *dl__try(const char *path, char *tried, size_t cap) {
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    size_t used = strlen(tried);
    snprintf(tried + used, cap - used, "%s%s (%s)", used ? "; " : "", path, dlerror());
  }
  return h;
}

static void *dl__open(void) {
  char tried[768] = "", path[PATH_MAX + 64], exe[PATH_MAX];
  const char *env = getenv("HEAT_SIM_MODULE");
  void *h = NULL;
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (env && env[0]) {
    h = dl__try(env, tried, sizeof tried);
  } else if (n > 0) {
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) *slash = '\0';
    snprintf(path, sizeof path, "%s/%s", exe, HEAT_SIM_MODULE_NAME);
    h = dl__try(path, tried, sizeof tried);
    if (!h) {
      snprintf(path, sizeof path, "%s/../lib/heat/%s", exe, HEAT_SIM_MODULE_NAME);
      h = dl__try(path, tried, sizeof tried);
    }
  }
  if (!h && !(env && env[0])) {
    snprintf(path, sizeof path, "%s/%s", HEAT_SIM_MODULE_DIR, HEAT_SIM_MODULE_NAME);
    h = dl__try(path, tried, sizeof tried);
  }
  if (!h)
    snprintf(load_error, sizeof load_error,
             "cannot load the cycle-level model %s (set HEAT_SIM_MODULE to its path); tried %s",
             HEAT_SIM_MODULE_NAME, tried);
  return h;
}

static void dl__load(void) {
  void *h = dl__open();
  if (!h) {
    if (!load_error[0])
      snprintf(load_error, sizeof load_error, "cannot load %s", HEAT_SIM_MODULE_NAME);
    return;
  }
  struct {
    void **slot;
    const char *name;
  } syms[] = {
      {(void **)&fn.clock_run, "sim_clock_run"},
      {(void **)&fn.session_alloc, "sim_session_alloc"},
      {(void **)&fn.session_run, "sim_session_run"},
      {(void **)&fn.session_set_arch, "sim_session_set_arch"},
      {(void **)&fn.session_free, "sim_session_free"},
      {(void **)&fn.mode_name, "sim_mode_name"},
      {(void **)&fn.mode_parse, "sim_mode_parse"},
      {(void **)&fn.stall_name, "sim_stall_name"},
      {(void **)&fn.unit_name, "sim_unit_name"},
      {(void **)&fn.systemc_version, "sim_systemc_version"},
  };
  for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
    *syms[i].slot = dlsym(h, syms[i].name);
    if (!*syms[i].slot) {
      snprintf(load_error, sizeof load_error, "%s: no symbol %s: %s", HEAT_SIM_MODULE_NAME,
               syms[i].name, dlerror());
      return;
    }
  }
}

/* 1 when the module is usable; otherwise err (if given) says why. */
static int dl__ready(heat_error *err) {
  pthread_once(&once, dl__load);
  if (!load_error[0]) return 1;
  if (err) heat_error_set(err, HEAT_EINTERNAL, "sim", "%s", load_error);
  return 0;
}

/* The name-only functions cannot report an error: a missing module is said on stderr once. */
static int dl__ready_quiet(void) {
  static int said;
  if (dl__ready(NULL)) return 1;
  if (!said++) fprintf(stderr, "heat: %s\n", load_error);
  return 0;
}

int sim_clock_run(double clock_ghz, uint64_t cycles, sim_clock_check *out, heat_error *err) {
  return dl__ready(err) ? fn.clock_run(clock_ghz, cycles, out, err) : err->code;
}

sim_session *sim_session_alloc(const arch *a, heat_error *err) {
  return dl__ready(err) ? fn.session_alloc(a, err) : NULL;
}

int sim_session_run(sim_session *s, const program *p, const sim_options *opt,
                    sim_step_result *steps, heat_error *err) {
  return dl__ready(err) ? fn.session_run(s, p, opt, steps, err) : err->code;
}

int sim_session_set_arch(sim_session *s, const arch *a, heat_error *err) {
  return dl__ready(err) ? fn.session_set_arch(s, a, err) : err->code;
}

void sim_session_free(sim_session *s) {
  if (s && dl__ready(NULL)) fn.session_free(s);
}

const char *sim_mode_name(sim_mode m) { return dl__ready_quiet() ? fn.mode_name(m) : "?"; }

int sim_mode_parse(const char *text, sim_mode *out, heat_error *err) {
  return dl__ready(err) ? fn.mode_parse(text, out, err) : err->code;
}

const char *sim_stall_name(int reason) {
  return dl__ready_quiet() ? fn.stall_name(reason) : "?";
}

const char *sim_unit_name(int unit) { return dl__ready_quiet() ? fn.unit_name(unit) : "?"; }

const char *sim_systemc_version(void) {
  return dl__ready_quiet() ? fn.systemc_version() : "unavailable";
}
