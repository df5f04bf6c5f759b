/* Distribution of independent evaluations: "evaluate points 0..n-1 with this function; rank 0
 * receives every result in index order".
 *
 * Inside one process the points run on OpenMP threads. When heat was built with HEAT_MPI and
 * runs under an MPI launcher (mpirun, srun), every rank runs the same command (SPMD) and the
 * points of each job are spread over the ranks by a work queue on rank 0: each rank keeps one
 * chunk per compute thread plus one in reserve, and asks for the next as it returns a result,
 * so ranks that draw expensive points simply draw fewer (points of a sweep differ in cost by
 * orders of magnitude). On rank 0 a communication thread serves the queue while its other
 * threads compute too. Results are plain bytes (no pointers) stored by point index, so the
 * outcome does not depend on which rank or thread computed a point, nor on the rank or thread
 * count.
 *
 * A point that fails (its function returns an error, e.g. out of memory or a bad point) is
 * a status and an error record sent to rank 0 like a result: the job goes on. A rank that
 * dies ends the job through the launcher (mpirun/srun stop every rank); rank 0 then prints what
 * was done (dist_init installs the handler), and what a caller saved as points completed (its
 * `done` callback, e.g. a checkpoint) stays usable.
 *
 * Without MPI (not built, or not under a launcher: the same binary run alone) dist_size() is
 * 1 and dist_run is an OpenMP loop; MPI_Init is never called then, so a plain run pays nothing.
 *
 * Fault injection for tests (SQLite-style): HEAT_DIST_FAULT=KIND:POINT[:RANK] makes point
 * POINT (-1: any) of every job fail (KIND fail), report out of memory (oom) or kill its process (die),
 * on rank RANK only when given. HEAT_DIST_TRACE=FILE makes rank 0 append one line per completed
 * point (job, point, rank, seconds since the job started, process CPU seconds):
 * bench/distributed's per-point costs. */
#ifndef HEAT_DIST_H
#define HEAT_DIST_H

#include <stdbool.h>
#include <stddef.h>

#include "common/heat_error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Starts MPI when built with it and launched by mpirun/srun (or HEAT_MPI=1 in the
 * environment; HEAT_MPI=0 never starts it). Call once, first thing, from the command. */
int dist_init(int *argc, char ***argv, heat_error *err);
/* Ends MPI: MPI_Finalize when every rank reaches it within a few seconds (success, or a
 * failure every rank shares, such as bad input: a clean exit); otherwise MPI_Abort with
 * exit_code, since other ranks are waiting in a job for this one. Returns exit_code. */
int dist_finish(int exit_code);

int dist_rank(void);
int dist_size(void);
static inline bool dist_is_root(void) { return dist_rank() == 0; }
/* "MPI (Open MPI 4.1.4)" or "no MPI (built without HEAT_MPI)". */
const char *dist_describe(void);

/* Computes point i into result (result_size bytes, zeroed). local: the thread's scratch. */
typedef int (*dist_eval_fn)(void *ctx, void *local, size_t i, void *result, heat_error *err);

typedef struct dist_job {
  const char *what;  /* progress label, e.g. "heat sweep" */
  size_t n;          /* points 0..n-1 */
  size_t result_size;
  size_t grain;      /* points per message (default 1; more for cheap points) */
  dist_eval_fn eval;
  void *ctx;
  void *(*local_alloc)(void *ctx); /* per compute thread (e.g. a map workspace); may be NULL */
  void (*local_free)(void *local);
  void *results;       /* n * result_size, caller-owned, on every rank */
  int *status;         /* n statuses, caller-owned, on every rank */
  heat_error *errors;  /* n error records (for failed points) or NULL */
  const bool *skip;    /* n flags or NULL: points rank 0 already has (resume) */
  /* On rank 0, once per completed point in completion order, never concurrently; rank is
   * the one that computed it. */
  void (*done)(void *ctx, size_t i, int rank);
  /* Polled between points (e.g. a pending SIGINT/SIGTERM): once true, no point is started; the
   * job returns DIST_STOPPED at once, not waiting for other ranks (the command then ends with
   * dist_finish(non-zero), which aborts them). NULL: dist_run prints what was done when a
   * signal ends the process. */
  bool (*stop)(void);
  bool share;    /* every rank gets every result (the next step runs on all ranks) */
  int threads;   /* compute threads per rank (>= 1) */
  bool progress; /* rank 0: points done, per-rank throughput, ETA on stderr */
} dist_job;

/* Returned by dist_run when the job's stop callback fired (not a heat_status). */
#define DIST_STOPPED (-65)

/* Runs the job on every rank (a collective: all ranks call it in the same order). Point
 * failures are in status[]; an error return is a failure of the distribution itself (a failure
 * on another rank comes back on every rank with that rank's message, so rank 0 can say it). */
int dist_run(dist_job *job, heat_error *err);

/* A collective: when any rank failed (rc != HEAT_OK there), every rank returns the lowest
 * failing rank's status and error (rank 0 then prints it once, and the ranks end together);
 * otherwise HEAT_OK. For work one rank did alone, e.g. rank 0 opening its files, before the
 * others wait for it in a job. */
int dist_agree(int rc, const char *what, heat_error *err);

/* Rank 0's bytes to every rank (a collective; nothing to do in one process): state only rank 0
 * read, e.g. a search restored from rank 0's checkpoint. */
int dist_bcast(void *buf, size_t bytes, heat_error *err);

/* Whether rank 0 should draw a progress line: its stderr is a terminal, or, under mpirun
 * (which hands each rank a pipe), the launcher's is. HEAT_PROGRESS=1 or 0 decides instead.
 * False on other ranks. */
bool dist_progress_wanted(void);

/* An error on a rank other than 0 is kept, not printed: rank 0 prints the errors every rank
 * shares (bad input) once. dist_finish prints a kept one ("heat: rank N: ...") only when rank 0
 * did not fail too, or when the ranks could not agree on how to end. */
void dist_keep_error(const char *text);

#ifdef __cplusplus
}
#endif
#endif
