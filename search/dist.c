/* Distribution of independent evaluations (see dist.h): the thread side, progress, faults,
 * and the signal message of an interrupted job. The rank side is dist_mpi.c. */
#include "search/dist_impl.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int dist__rank_v = 0, dist__size_v = 1;

int dist_rank(void) { return dist__rank_v; }
int dist_size(void) { return dist__size_v; }

const char *dist_describe(void) {
#ifdef HEAT_HAVE_MPI
  return dist__mpi_describe();
#else
  return "no MPI (built without HEAT_MPI)";
#endif
}

static bool dist__env_positive(const char *name) {
  const char *v = getenv(name);
  return v && atol(v) > 1;
}

int dist_init(int *argc, char ***argv, heat_error *err) {
#ifdef HEAT_HAVE_MPI
  /* Under a launcher only: a singleton MPI_Init costs about a second (Open MPI starts its
   * runtime), which a plain `heat sweep` should not pay. */
  bool launched = getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK") ||
                  getenv("PMI_SIZE") || dist__env_positive("SLURM_STEP_NUM_TASKS");
  const char *force = getenv("HEAT_MPI_INIT");
  if (force && *force) launched = strcmp(force, "0") != 0;
  if (!launched) return HEAT_OK;
  int rc = dist__mpi_init(argc, argv, &dist__rank_v, &dist__size_v, err);
  if (rc) return rc;
  /* srun without an MPI plugin starts N separate singletons: each would run the whole job
   * and write the same files. */
  if (dist__size_v == 1 && dist__env_positive("SLURM_STEP_NUM_TASKS"))
    return heat_error_set(err, HEAT_EINVAL, "srun",
                          "%s tasks were started but MPI sees only one: launch with `srun "
                          "--mpi=pmix` (see docs/cluster.md)",
                          getenv("SLURM_STEP_NUM_TASKS"));
  return HEAT_OK;
#else
  (void)argc, (void)argv, (void)err, (void)dist__env_positive;
  return HEAT_OK;
#endif
}

static char dist__kept[HEAT_ERROR_WHERE_MAX + HEAT_ERROR_MSG_MAX + 16];

void dist_keep_error(const char *text) {
  if (!dist__kept[0]) snprintf(dist__kept, sizeof dist__kept, "%s", text);
}

int dist_finish(int exit_code) {
#ifdef HEAT_HAVE_MPI
  return dist__mpi_finish(exit_code, dist__size_v, dist__rank_v, dist__kept);
#else
  return exit_code;
#endif
}

int dist_agree(int rc, const char *what, heat_error *err) {
#ifdef HEAT_HAVE_MPI
  if (dist__size_v > 1) return dist__mpi_agree(rc, dist__rank_v, dist__size_v, what, err);
#endif
  (void)what, (void)err;
  return rc;
}

int dist_bcast(void *buf, size_t bytes, heat_error *err) {
#ifdef HEAT_HAVE_MPI
  if (dist__size_v > 1) return dist__mpi_bcast(buf, bytes, err);
#endif
  (void)buf, (void)bytes, (void)err;
  return HEAT_OK;
}

bool dist__launcher_tty(void) {
  char link[64], target[256];
  snprintf(link, sizeof link, "/proc/%ld/fd/2", (long)getppid());
  ssize_t n = readlink(link, target, sizeof target - 1);
  if (n <= 0) return false;
  target[n] = '\0';
  return !strncmp(target, "/dev/pts/", 9) || !strncmp(target, "/dev/tty", 8);
}

bool dist_progress_wanted(void) {
  if (dist__rank_v != 0) return false;
  const char *force = getenv("HEAT_PROGRESS");
  if (force && *force) return strcmp(force, "0") != 0;
  if (isatty(2)) return true;
  return dist__size_v > 1 && dist__launcher_tty();
}

double dist__now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void dist__idle(unsigned *spins) {
  /* 20 us growing to 1 ms: a waiting rank costs nothing on a shared node, and a reply to a
   * cheap point is still picked up quickly. */
  long ns = 20000L << (*spins < 6 ? *spins : 6);
  if (ns > 1000000L) ns = 1000000L;
  struct timespec t = {0, ns};
  nanosleep(&t, NULL);
  (*spins)++;
}

/* ---- faults (tests) ---- */

typedef enum { DIST_FAULT_NONE, DIST_FAULT_FAIL, DIST_FAULT_OOM, DIST_FAULT_DIE } dist__fault_kind;

static dist__fault_kind dist__fault(size_t i, int rank) {
  const char *spec = getenv("HEAT_DIST_FAULT");
  if (!spec || !*spec) return DIST_FAULT_NONE;
  char kind[8] = "";
  long point = -1, on_rank = -1;
  if (sscanf(spec, "%7[a-z]:%ld:%ld", kind, &point, &on_rank) < 2) return DIST_FAULT_NONE;
  if ((point >= 0 && (size_t)point != i) || (on_rank >= 0 && on_rank != rank))
    return DIST_FAULT_NONE; /* point -1: any */
  if (!strcmp(kind, "fail")) return DIST_FAULT_FAIL;
  if (!strcmp(kind, "oom")) return DIST_FAULT_OOM;
  if (!strcmp(kind, "die")) return DIST_FAULT_DIE;
  return DIST_FAULT_NONE;
}

void dist__eval(const dist_job *j, void *local, size_t i, int rank) {
  void *res = (char *)j->results + i * j->result_size;
  memset(res, 0, j->result_size);
  heat_error e;
  heat_error_clear(&e);
  int rc;
  switch (dist__fault(i, rank)) {
  case DIST_FAULT_FAIL:
    rc = heat_error_set(&e, HEAT_EINTERNAL, "HEAT_DIST_FAULT", "injected failure of point %zu",
                        i);
    break;
  case DIST_FAULT_OOM:
    rc = heat_error_set(&e, HEAT_ENOMEM, "HEAT_DIST_FAULT",
                        "out of memory (injected) at point %zu", i);
    break;
  case DIST_FAULT_DIE:
    fprintf(stderr, "heat: HEAT_DIST_FAULT: rank %d dies at point %zu\n", rank, i);
    fflush(stderr);
    raise(SIGKILL);
    rc = HEAT_EINTERNAL;
    break;
  default: rc = j->eval(j->ctx, local, i, res, &e); break;
  }
  j->status[i] = rc;
  if (j->errors) {
    if (rc) j->errors[i] = e;
    else heat_error_clear(&j->errors[i]);
  }
}

/* ---- an interrupted job: what rank 0 says when the launcher stops it ---- */

static char dist__stop_msg[2][512];
static volatile sig_atomic_t dist__stop_which = -1;

static void dist__on_signal(int sig) {
  int w = dist__stop_which;
  if (w >= 0) {
    const char *m = dist__stop_msg[w];
    ssize_t n = write(2, m, strlen(m));
    (void)n;
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

static void dist__stop_text(dist__run *r) {
  const dist_job *j = r->job;
  int w = dist__stop_which == 0 ? 1 : 0;
  snprintf(dist__stop_msg[w], sizeof dist__stop_msg[w],
           "\nheat: %s stopped by a signal after %zu of %zu points (a rank died, or the job was "
           "cancelled or ran out of time)%s%s\n",
           j->what ? j->what : "job", r->completed, r->n_todo, j->done ? "; " : "",
           j->done ? "every completed point was handed over (--resume continues)" : "");
  dist__stop_which = w;
}

/* ---- progress ---- */

static void dist__progress(dist__run *r, bool last) {
  const dist_job *j = r->job;
  double now = dist__now();
  if (!last && now - r->last_print < 0.25) return;
  r->last_print = now;
  double el = now - r->t0 > 1e-9 ? now - r->t0 : 1e-9;
  char ranks[256] = "";
  size_t at = 0;
  if (r->size <= 8)
    for (int k = 0; k < r->size && at < sizeof ranks; k++)
      at += (size_t)snprintf(ranks + at, sizeof ranks - at, "%sr%d %.3g/s", k ? " " : "", k,
                             (double)r->by_rank[k] / el);
  else {
    double lo = 1e300, hi = 0;
    for (int k = 0; k < r->size; k++) {
      double v = (double)r->by_rank[k] / el;
      lo = v < lo ? v : lo;
      hi = v > hi ? v : hi;
    }
    snprintf(ranks, sizeof ranks, "%d ranks, %.3g-%.3g/s each", r->size, lo, hi);
  }
  char eta[32] = "-";
  if (r->completed) {
    double left = el / (double)r->completed * (double)(r->n_todo - r->completed);
    snprintf(eta, sizeof eta, "%dm%02ds", (int)(left / 60), (int)left % 60);
  }
  fprintf(stderr, "\r%s: %zu/%zu points, %.3g/s (%s), ETA %s   ", j->what ? j->what : "job",
          r->completed, r->n_todo, (double)r->completed / el, ranks, eta);
  if (last) fputc('\n', stderr);
  fflush(stderr);
}

static double dist__cpu(void) {
  struct timespec cpu;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
  return (double)cpu.tv_sec + 1e-9 * (double)cpu.tv_nsec;
}

/* HEAT_DIST_TRACE=FILE: rank 0 appends "job,point,rank,seconds since the job started,process
 * CPU seconds since then" per completed point; bench/distributed reads the per-point costs of
 * a run on one thread from it (CPU time: what a point costs on a core of its own, also on a
 * shared machine). */
static void dist__trace(const dist__run *r, size_t i, int rank) {
  const char *path = getenv("HEAT_DIST_TRACE");
  if (!path || !*path) return;
  FILE *f = fopen(path, "a");
  if (!f) return;
  fprintf(f, "%s,%zu,%d,%.9f,%.9f\n", r->job->what ? r->job->what : "job", i, rank,
          dist__now() - r->t0, dist__cpu() - r->cpu0);
  fclose(f);
}

void dist__complete(dist__run *r, size_t i, int rank) {
  r->completed++;
  r->by_rank[rank]++;
  dist__trace(r, i, rank);
  if (r->job->done) r->job->done(r->job->ctx, i, rank);
  dist__stop_text(r);
  if (r->job->progress) dist__progress(r, r->completed == r->n_todo);
}

bool dist__take(dist__run *r, size_t *pos, size_t *count) {
  if (!r->stopped && r->job->stop && r->job->stop()) r->stopped = true;
  if (r->stopped || r->next >= r->n_todo) return false;
  size_t g = r->job->grain ? r->job->grain : 1;
  *pos = r->next;
  *count = r->n_todo - r->next < g ? r->n_todo - r->next : g;
  r->next += *count;
  return true;
}

/* ---- one process: OpenMP threads take chunks from the queue ---- */

void dist__drain(dist__run *r, void *local) {
  for (;;) {
    size_t pos = 0, count = 0;
    bool got;
#pragma omp critical(dist_queue)
    got = dist__take(r, &pos, &count);
    if (!got) break;
    for (size_t k = pos; k < pos + count; k++) {
      dist__eval(r->job, local, r->todo[k], 0);
#pragma omp critical(dist_queue)
      dist__complete(r, r->todo[k], 0);
    }
  }
}

static void dist__serial(dist__run *r) {
  dist_job *j = r->job;
#pragma omp parallel num_threads(j->threads)
  {
    void *local = j->local_alloc ? j->local_alloc(j->ctx) : NULL;
    dist__drain(r, local);
    if (j->local_free) j->local_free(local);
  }
}

int dist_run(dist_job *j, heat_error *err) {
  if (j->threads < 1) j->threads = 1;
  dist__run r = {.job = j, .size = dist__size_v, .t0 = dist__now(), .cpu0 = dist__cpu()};
  r.todo = malloc((j->n + 1) * sizeof *r.todo);
  r.by_rank = calloc((size_t)r.size, sizeof *r.by_rank);
  if (!r.todo || !r.by_rank) {
    free(r.todo);
    free(r.by_rank);
    return heat_error_set(err, HEAT_ENOMEM, j->what ? j->what : "dist", "out of memory");
  }
  for (size_t i = 0; i < j->n; i++)
    if (!j->skip || !j->skip[i]) r.todo[r.n_todo++] = i;
  if (dist__rank_v != 0) j->progress = false;
  int rc = HEAT_OK;
  void (*old_term)(int) = SIG_DFL, (*old_int)(int) = SIG_DFL;
  bool own_signals = dist__rank_v == 0 && !j->stop;
  if (own_signals) {
    dist__stop_text(&r);
    old_term = signal(SIGTERM, dist__on_signal);
    old_int = signal(SIGINT, dist__on_signal);
  }
#ifdef HEAT_HAVE_MPI
  if (dist__size_v > 1) rc = dist__mpi_run(&r, dist__rank_v, err);
  else dist__serial(&r);
#else
  dist__serial(&r);
#endif
  if (j->progress && r.n_todo && r.completed < r.n_todo && !r.stopped) dist__progress(&r, true);
  if (!rc && r.stopped) rc = DIST_STOPPED;
  if (own_signals) {
    signal(SIGTERM, old_term);
    signal(SIGINT, old_int);
    dist__stop_which = -1;
  }
  free(r.todo);
  free(r.by_rank);
  return rc;
}
