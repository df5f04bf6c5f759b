/* Internals shared by dist.c (threads, progress, faults) and dist_mpi.c (ranks). */
#ifndef HEAT_DIST_IMPL_H
#define HEAT_DIST_IMPL_H

#include "search/dist.h"

#include <stdint.h>

/* One run of a job. The queue is positions 0..n_todo-1 of todo[] (the points not skipped),
 * handed out in chunks of `grain` consecutive positions. */
typedef struct dist__run {
  dist_job *job;
  size_t *todo, n_todo;
  size_t next;      /* next position to hand out */
  size_t completed; /* points completed (skipped ones excluded) */
  int64_t *by_rank; /* points completed per rank */
  int size;
  bool stopped;     /* the job's stop callback fired */
  double t0, last_print;
  double cpu0; /* process CPU seconds at the start (HEAT_DIST_TRACE) */
} dist__run;

/* Evaluates point i on this rank into the job's arrays (fault injection included). */
void dist__eval(const dist_job *j, void *local, size_t i, int rank);
/* A completed point reaches rank 0: progress, the job's done callback. Under the caller's
 * lock (one at a time). */
void dist__complete(dist__run *r, size_t i, int rank);
/* Takes the next chunk of positions [*pos, *pos + *count); false when none are left. Under
 * the caller's lock. */
bool dist__take(dist__run *r, size_t *pos, size_t *count);
/* Rank 0's compute threads: take chunks and evaluate and complete their points until the queue
 * is empty (one process, or rank 0's compute threads under MPI). */
void dist__drain(dist__run *r, void *local);
double dist__now(void);
/* Waits a little: short sleeps that grow while nothing happens (never spins a core). */
void dist__idle(unsigned *spins);

/* MPI side (dist_mpi.c); only with HEAT_HAVE_MPI. */
int dist__mpi_init(int *argc, char ***argv, int *rank, int *size, heat_error *err);
int dist__mpi_finish(int exit_code, int size, int rank, const char *kept);
int dist__mpi_bcast(void *buf, size_t bytes, heat_error *err);
int dist__mpi_agree(int rc, int rank, int size, const char *what, heat_error *err);
/* The launcher's stderr (our parent's) is a terminal: mpirun gives each rank a pipe. */
bool dist__launcher_tty(void);
int dist__mpi_run(dist__run *r, int rank, heat_error *err);
const char *dist__mpi_describe(void);

#endif
