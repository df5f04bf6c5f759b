/* lapack_dl: LAPACKE and OpenBLAS resolved with dlopen/dlsym on first use (lapack_dl.h). The
 * library names are the SONAMEs CMake found at configure time (HEAT_LAPACKE_SO, HEAT_OPENBLAS_SO);
 * liblapacke pulls in LAPACK, whose Debian OpenBLAS build depends on libopenblas itself, so both
 * handles reach one OpenBLAS (one thread pool). */
#include "workloads/lapack_dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#ifndef HEAT_LAPACKE_SO
#define HEAT_LAPACKE_SO "liblapacke.so.3"
#endif
#ifndef HEAT_OPENBLAS_SO
#define HEAT_OPENBLAS_SO "libopenblas.so.0"
#endif

static wl_lapack lapack;
static void (*set_threads)(int);
static int (*get_threads)(void);
static char load_error[512];
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t threads_lock = PTHREAD_MUTEX_INITIALIZER;
static int want_threads; /* 0: OpenBLAS's own choice */
static int loaded;

static void *lapack__sym(void *h, const char *lib, const char *name) {
  void *p = h ? dlsym(h, name) : NULL;
  if (!p && !load_error[0])
    snprintf(load_error, sizeof load_error, "%s: no symbol %s (%s)", lib, name,
             h ? dlerror() : "not loaded");
  return p;
}

static void lapack__load(void) {
  void *hb = dlopen(HEAT_OPENBLAS_SO, RTLD_NOW | RTLD_LOCAL);
  if (!hb) {
    snprintf(load_error, sizeof load_error, "cannot load %s: %s", HEAT_OPENBLAS_SO, dlerror());
    return;
  }
  void *hl = dlopen(HEAT_LAPACKE_SO, RTLD_NOW | RTLD_LOCAL);
  if (!hl) {
    snprintf(load_error, sizeof load_error, "cannot load %s: %s", HEAT_LAPACKE_SO, dlerror());
    return;
  }
  /* Object pointers to function pointers: POSIX guarantees dlsym's result converts. */
  *(void **)&lapack.dgesdd = lapack__sym(hl, HEAT_LAPACKE_SO, "LAPACKE_dgesdd");
  *(void **)&lapack.dsyevd = lapack__sym(hl, HEAT_LAPACKE_SO, "LAPACKE_dsyevd");
  *(void **)&lapack.dgeqrf = lapack__sym(hl, HEAT_LAPACKE_SO, "LAPACKE_dgeqrf");
  *(void **)&lapack.dorgqr = lapack__sym(hl, HEAT_LAPACKE_SO, "LAPACKE_dorgqr");
  *(void **)&lapack.dposv = lapack__sym(hl, HEAT_LAPACKE_SO, "LAPACKE_dposv");
  *(void **)&lapack.dgelsd = lapack__sym(hl, HEAT_LAPACKE_SO, "LAPACKE_dgelsd");
  *(void **)&lapack.dgemm = lapack__sym(hb, HEAT_OPENBLAS_SO, "cblas_dgemm");
  *(void **)&lapack.dsyrk = lapack__sym(hb, HEAT_OPENBLAS_SO, "cblas_dsyrk");
  /* Optional: another BLAS under the same name simply keeps its own threads. */
  *(void **)&set_threads = dlsym(hb, "openblas_set_num_threads");
  *(void **)&get_threads = dlsym(hb, "openblas_get_num_threads");
  pthread_mutex_lock(&threads_lock);
  if (!load_error[0]) loaded = 1;
  if (loaded && set_threads && want_threads > 0) set_threads(want_threads);
  pthread_mutex_unlock(&threads_lock);
}

const wl_lapack *wl_lapack_get(heat_error *err) {
  pthread_once(&once, lapack__load);
  if (load_error[0]) {
    heat_error_set(err, HEAT_EINTERNAL, "lapack", "%s", load_error);
    return NULL;
  }
  return &lapack;
}

void wl_lapack_threads(int n) {
  pthread_mutex_lock(&threads_lock);
  want_threads = n < 0 ? 0 : n;
  if (loaded && set_threads && want_threads > 0) set_threads(want_threads);
  pthread_mutex_unlock(&threads_lock);
}

int wl_lapack_threads_used(void) {
  heat_error err;
  return wl_lapack_get(&err) && get_threads ? get_threads() : 0;
}
