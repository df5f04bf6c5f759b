/* Distribution over MPI ranks (see dist.h): a work queue on rank 0.
 *
 * Messages of job number s use tags 4*(s mod 4096) + kind, so a rank that has already moved on
 * to the next job can never be mistaken for one still in this job.
 *   worker -> 0  REQ  int32 slots            ask for that many chunks (once, at the start)
 *   0 -> worker  WORK int64 {pos, count}     a chunk of queue positions; count 0: stop
 *   worker -> 0  RES  int64 {pos, count}, then per point int32 status, its result bytes and,
 *                     when it failed and the job keeps errors, its heat_error
 * Each RES asks for the next chunk, so a worker holds one chunk per compute thread and one in
 * reserve. Only the main thread of a rank calls MPI (MPI_THREAD_FUNNELED): it is thread 0 of
 * the rank's OpenMP team; the other threads compute. */
#include "search/dist_impl.h"

#include <mpi.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { DIST_REQ = 0, DIST_WORK = 1, DIST_RES = 2 };

static int dist__seq;
/* The end-of-run handshake's own communicator: a rank still in a job on MPI_COMM_WORLD never
 * takes it for a message of the job. */
static MPI_Comm dist__end_comm = MPI_COMM_NULL;
static char dist__version[MPI_MAX_LIBRARY_VERSION_STRING + 16];

static int dist__tag(int kind) { return (dist__seq % 4096) * 4 + kind; }

static int dist__mpi_error(int mrc, const char *what, heat_error *err) {
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(mrc, msg, &len);
  return heat_error_set(err, HEAT_EINTERNAL, "MPI", "%s failed: %s", what, msg);
}

const char *dist__mpi_describe(void) {
  char lib[MPI_MAX_LIBRARY_VERSION_STRING];
  int len = 0;
  MPI_Get_library_version(lib, &len);
  char *nl = strchr(lib, ',');
  if (nl) *nl = '\0';
  snprintf(dist__version, sizeof dist__version, "MPI (%s)", lib);
  return dist__version;
}

int dist__mpi_init(int *argc, char ***argv, int *rank, int *size, heat_error *err) {
  int provided = 0;
  int mrc = MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
  if (mrc != MPI_SUCCESS) return dist__mpi_error(mrc, "MPI_Init_thread", err);
  if (provided < MPI_THREAD_FUNNELED) {
    MPI_Finalize();
    return heat_error_set(err, HEAT_EINTERNAL, "MPI",
                          "the MPI library does not allow threads (MPI_THREAD_FUNNELED)");
  }
  /* Errors come back as codes: heat reports them instead of MPI aborting silently. */
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, rank);
  MPI_Comm_size(MPI_COMM_WORLD, size);
  mrc = MPI_Comm_dup(MPI_COMM_WORLD, &dist__end_comm);
  if (mrc != MPI_SUCCESS) return dist__mpi_error(mrc, "MPI_Comm_dup", err);
  MPI_Comm_set_errhandler(dist__end_comm, MPI_ERRORS_RETURN);
  return HEAT_OK;
}

/* Seconds a failed rank waits for the others to end too before it aborts them. */
#define DIST_END_WAIT 5.0

int dist__mpi_finish(int exit_code, int size, int rank, const char *kept) {
  int inited = 0, finalized = 0;
  MPI_Initialized(&inited);
  MPI_Finalized(&finalized);
  if (!inited || finalized) return exit_code;
  if (size > 1) {
    /* Every rank tells how it ended. All arrive: a shared end (success, or bad input every rank
     * saw), a clean MPI_Finalize, rank 0 alone having printed. Not all within DIST_END_WAIT of
     * a failure: the others wait in a job for this rank, and only an abort ends them. */
    int mine = rank == 0 && exit_code != 0, root_failed = 0;
    MPI_Request req;
    int mrc = MPI_Iallreduce(&mine, &root_failed, 1, MPI_INT, MPI_MAX, dist__end_comm, &req);
    int done = 0;
    double t0 = dist__now();
    unsigned spins = 0;
    while (mrc == MPI_SUCCESS && !done && (!exit_code || dist__now() - t0 < DIST_END_WAIT)) {
      mrc = MPI_Test(&req, &done, MPI_STATUS_IGNORE);
      if (!done) dist__idle(&spins);
    }
    if (!done || mrc != MPI_SUCCESS) {
      if (kept[0]) fprintf(stderr, "heat: rank %d: %s", rank, kept);
      fflush(stderr);
      MPI_Abort(MPI_COMM_WORLD, exit_code ? exit_code : 1);
    }
    if (kept[0] && !root_failed) fprintf(stderr, "heat: rank %d: %s", rank, kept);
    MPI_Comm_free(&dist__end_comm);
  }
  MPI_Finalize();
  return exit_code;
}

int dist__mpi_bcast(void *buf, size_t bytes, heat_error *err) {
  int mrc = MPI_SUCCESS;
  for (size_t at = 0; at < bytes && mrc == MPI_SUCCESS; at += 1 << 30) {
    size_t n = bytes - at < (size_t)1 << 30 ? bytes - at : (size_t)1 << 30;
    mrc = MPI_Bcast((char *)buf + at, (int)n, MPI_BYTE, 0, MPI_COMM_WORLD);
  }
  return mrc == MPI_SUCCESS ? HEAT_OK : dist__mpi_error(mrc, "MPI_Bcast", err);
}

/* ---- result messages ---- */

static size_t dist__res_bytes(const dist_job *j, size_t count) {
  return 2 * sizeof(int64_t) + count * (sizeof(int32_t) + j->result_size) +
         (j->errors ? count * sizeof(heat_error) : 0);
}

static size_t dist__res_pack(const dist__run *r, size_t pos, size_t count, unsigned char *b) {
  const dist_job *j = r->job;
  int64_t h[2] = {(int64_t)pos, (int64_t)count};
  size_t at = sizeof h;
  memcpy(b, h, sizeof h);
  for (size_t k = pos; k < pos + count; k++) {
    size_t i = r->todo[k];
    int32_t s = j->status[i];
    memcpy(b + at, &s, sizeof s);
    at += sizeof s;
    memcpy(b + at, (const char *)j->results + i * j->result_size, j->result_size);
    at += j->result_size;
    if (s && j->errors) {
      memcpy(b + at, &j->errors[i], sizeof(heat_error));
      at += sizeof(heat_error);
    }
  }
  return at;
}

/* Stores a worker's results; returns false on a malformed message. Under the queue lock. */
static bool dist__res_unpack(dist__run *r, const unsigned char *b, size_t len, int from) {
  dist_job *j = r->job;
  int64_t h[2];
  if (len < sizeof h) return false;
  memcpy(h, b, sizeof h);
  size_t at = sizeof h;
  if (h[0] < 0 || h[1] < 0 || (size_t)(h[0] + h[1]) > r->n_todo) return false;
  for (size_t k = (size_t)h[0]; k < (size_t)(h[0] + h[1]); k++) {
    size_t i = r->todo[k];
    int32_t s;
    if (at + sizeof s + j->result_size > len) return false;
    memcpy(&s, b + at, sizeof s);
    at += sizeof s;
    memcpy((char *)j->results + i * j->result_size, b + at, j->result_size);
    at += j->result_size;
    j->status[i] = s;
    if (s && j->errors) {
      if (at + sizeof(heat_error) > len) return false;
      memcpy(&j->errors[i], b + at, sizeof(heat_error));
      j->errors[i].where[HEAT_ERROR_WHERE_MAX - 1] = '\0';
      j->errors[i].msg[HEAT_ERROR_MSG_MAX - 1] = '\0';
      at += sizeof(heat_error);
    }
    dist__complete(r, i, from);
  }
  return true;
}

/* Computes the chunk [pos, pos + count) on this rank. */
static void dist__compute(dist__run *r, void *local, size_t pos, size_t count, int rank) {
  for (size_t k = pos; k < pos + count; k++) dist__eval(r->job, local, r->todo[k], rank);
}

/* ---- rank 0: the queue ---- */

typedef struct dist__worker {
  int outstanding; /* chunks sent, results not back */
  bool stopped;
} dist__worker;

/* Sends `from` its next chunk, or the stop when nothing is left and it holds none. */
static int dist__serve(dist__run *r, dist__worker *ws, int from) {
  size_t pos = 0, count = 0;
  bool got;
#pragma omp critical(dist_queue)
  got = dist__take(r, &pos, &count);
  if (!got && (ws[from].outstanding || ws[from].stopped)) return MPI_SUCCESS;
  int64_t w[2] = {(int64_t)pos, got ? (int64_t)count : 0};
  if (got) ws[from].outstanding++;
  else ws[from].stopped = true;
  return MPI_Send(w, 2, MPI_INT64_T, from, dist__tag(DIST_WORK), MPI_COMM_WORLD);
}

/* Thread 0 serves messages and computes only when it is the sole thread, so only the threads
   that compute get a workspace. */
static void *dist__thread_local(const dist_job *j, bool alone) {
  if (omp_get_thread_num() != 0 || alone) return j->local_alloc ? j->local_alloc(j->ctx) : NULL;
  return NULL;
}

static int dist__root(dist__run *r, heat_error *err) {
  dist_job *j = r->job;
  dist__worker *ws = calloc((size_t)r->size, sizeof *ws);
  if (!ws) return heat_error_set(err, HEAT_ENOMEM, "MPI", "out of memory");
  int mrc = MPI_SUCCESS, stopped = 0;
  bool bad = false;
#pragma omp parallel num_threads(j->threads + 1)
  {
    bool alone = omp_get_num_threads() == 1;
    void *local = dist__thread_local(j, alone);
    if (omp_get_thread_num() == 0) {
      unsigned char *buf = NULL;
      size_t cap = 0;
      unsigned spins = 0;
      while (stopped < r->size - 1 && mrc == MPI_SUCCESS && !bad) {
        bool halt;
#pragma omp critical(dist_queue)
        halt = r->stopped || (j->stop && j->stop() && (r->stopped = true));
        if (halt) break; /* not waiting for anyone: the command aborts the other ranks */
        int flag = 0;
        MPI_Status st;
        mrc = MPI_Iprobe(MPI_ANY_SOURCE, dist__tag(DIST_REQ), MPI_COMM_WORLD, &flag, &st);
        if (mrc == MPI_SUCCESS && flag) {
          int32_t slots = 0;
          mrc = MPI_Recv(&slots, 1, MPI_INT32_T, st.MPI_SOURCE, dist__tag(DIST_REQ),
                         MPI_COMM_WORLD, MPI_STATUS_IGNORE);
          for (int32_t s = 0; s < slots && mrc == MPI_SUCCESS; s++)
            mrc = dist__serve(r, ws, st.MPI_SOURCE);
          if (ws[st.MPI_SOURCE].stopped) stopped++;
          spins = 0;
          continue;
        }
        if (mrc == MPI_SUCCESS)
          mrc = MPI_Iprobe(MPI_ANY_SOURCE, dist__tag(DIST_RES), MPI_COMM_WORLD, &flag, &st);
        if (mrc == MPI_SUCCESS && flag) {
          int len = 0;
          MPI_Get_count(&st, MPI_BYTE, &len);
          if ((size_t)len > cap) {
            unsigned char *nb = realloc(buf, (size_t)len);
            if (!nb) {
              bad = true;
              break;
            }
            buf = nb;
            cap = (size_t)len;
          }
          mrc = MPI_Recv(buf, len, MPI_BYTE, st.MPI_SOURCE, dist__tag(DIST_RES), MPI_COMM_WORLD,
                         MPI_STATUS_IGNORE);
          if (mrc != MPI_SUCCESS) break;
          bool ok;
#pragma omp critical(dist_queue)
          ok = dist__res_unpack(r, buf, (size_t)len, st.MPI_SOURCE);
          if (!ok) bad = true;
          ws[st.MPI_SOURCE].outstanding--;
          bool was = ws[st.MPI_SOURCE].stopped;
          if (!bad) mrc = dist__serve(r, ws, st.MPI_SOURCE);
          if (!was && ws[st.MPI_SOURCE].stopped) stopped++;
          spins = 0;
          continue;
        }
        if (alone) {
          /* No compute thread: rank 0 computes between messages. */
          size_t pos = 0, count = 0;
          bool got;
#pragma omp critical(dist_queue)
          got = dist__take(r, &pos, &count);
          if (got) {
            dist__compute(r, local, pos, count, 0);
#pragma omp critical(dist_queue)
            for (size_t k = pos; k < pos + count; k++) dist__complete(r, r->todo[k], 0);
            continue;
          }
        }
        dist__idle(&spins);
      }
      free(buf);
    } else {
      dist__drain(r, local);
    }
    if (local && j->local_free) j->local_free(local);
  }
  free(ws);
  if (mrc != MPI_SUCCESS) return dist__mpi_error(mrc, "rank 0 serving the work queue", err);
  if (bad)
    return heat_error_set(err, HEAT_EINTERNAL, "MPI", "a malformed result message, or no memory "
                                                      "to receive one");
  return HEAT_OK;
}

/* ---- other ranks: ask, compute, return ---- */

#define DIST_RING 64

static int dist__worker_run(dist__run *r, int rank, heat_error *err) {
  dist_job *j = r->job;
  /* queue: chunks received, not started; outbox: chunks computed, not sent */
  size_t qpos[DIST_RING], qcnt[DIST_RING], opos[DIST_RING], ocnt[DIST_RING];
  size_t qn = 0, on = 0;
  int busy = 0, mrc = MPI_SUCCESS;
  bool stopped = false, quit = false;
  int slots = j->threads + 1 < DIST_RING / 2 ? j->threads + 1 : DIST_RING / 2;
#pragma omp parallel num_threads(j->threads + 1)
  {
    bool alone = omp_get_num_threads() == 1;
    void *local = dist__thread_local(j, alone);
    if (omp_get_thread_num() == 0) {
      int32_t want = alone ? 2 : slots;
      mrc = MPI_Send(&want, 1, MPI_INT32_T, 0, dist__tag(DIST_REQ), MPI_COMM_WORLD);
      unsigned char *buf = NULL;
      size_t cap = 0;
      unsigned spins = 0;
      while (mrc == MPI_SUCCESS) {
        if (j->stop && j->stop()) {
#pragma omp critical(dist_queue)
          r->stopped = quit = true;
          break;
        }
        size_t pos = 0, count = 0;
        bool have = false, done_all;
#pragma omp critical(dist_queue)
        {
          if (on) {
            pos = opos[0], count = ocnt[0];
            memmove(opos, opos + 1, --on * sizeof *opos);
            memmove(ocnt, ocnt + 1, on * sizeof *ocnt);
            have = true;
          }
          done_all = stopped && !qn && !busy && !on && !have;
          if (done_all) quit = true;
        }
        if (done_all) break;
        if (have) {
          size_t need = dist__res_bytes(j, count);
          if (need > cap) {
            unsigned char *nb = realloc(buf, need);
            if (!nb) {
              mrc = MPI_ERR_NO_MEM;
              break;
            }
            buf = nb;
            cap = need;
          }
          size_t len = dist__res_pack(r, pos, count, buf);
          mrc = MPI_Send(buf, (int)len, MPI_BYTE, 0, dist__tag(DIST_RES), MPI_COMM_WORLD);
          spins = 0;
          continue;
        }
        int flag = 0;
        mrc = MPI_Iprobe(0, dist__tag(DIST_WORK), MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
        if (mrc == MPI_SUCCESS && flag) {
          int64_t w[2];
          mrc = MPI_Recv(w, 2, MPI_INT64_T, 0, dist__tag(DIST_WORK), MPI_COMM_WORLD,
                         MPI_STATUS_IGNORE);
#pragma omp critical(dist_queue)
          {
            if (w[1] == 0) stopped = true;
            else if (qn < DIST_RING) {
              qpos[qn] = (size_t)w[0];
              qcnt[qn++] = (size_t)w[1];
            }
          }
          spins = 0;
          continue;
        }
        if (alone) {
          bool got = false;
#pragma omp critical(dist_queue)
          if (qn) {
            pos = qpos[0], count = qcnt[0];
            memmove(qpos, qpos + 1, --qn * sizeof *qpos);
            memmove(qcnt, qcnt + 1, qn * sizeof *qcnt);
            got = true;
          }
          if (got) {
            dist__compute(r, local, pos, count, rank);
#pragma omp critical(dist_queue)
            opos[on] = pos, ocnt[on++] = count;
            continue;
          }
        }
        dist__idle(&spins);
      }
      free(buf);
#pragma omp critical(dist_queue)
      quit = true;
    } else {
      unsigned spins = 0;
      for (;;) {
        size_t pos = 0, count = 0;
        bool got = false, end = false;
#pragma omp critical(dist_queue)
        {
          if (qn) {
            pos = qpos[0], count = qcnt[0];
            memmove(qpos, qpos + 1, --qn * sizeof *qpos);
            memmove(qcnt, qcnt + 1, qn * sizeof *qcnt);
            busy++;
            got = true;
          } else end = quit || stopped || r->stopped;
        }
        if (end) break;
        if (!got) {
          dist__idle(&spins);
          continue;
        }
        spins = 0;
        dist__compute(r, local, pos, count, rank);
#pragma omp critical(dist_queue)
        {
          opos[on] = pos, ocnt[on++] = count;
          busy--;
        }
      }
    }
    if (local && j->local_free) j->local_free(local);
  }
  if (mrc != MPI_SUCCESS) return dist__mpi_error(mrc, "a rank returning results", err);
  return HEAT_OK;
}

/* Every rank learns whether all went through, so none goes on alone; the lowest failing rank's
 * error reaches every rank, so rank 0 reports it once. */
int dist__mpi_agree(int rc, int rank, int size, const char *what, heat_error *err) {
  int first_failed = size;
  int mine = rc == HEAT_OK ? size : rank;
  int mrc = MPI_Allreduce(&mine, &first_failed, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (mrc != MPI_SUCCESS) return dist__mpi_error(mrc, "MPI_Allreduce", err);
  if (first_failed == size) return HEAT_OK;
  heat_error e = {0};
  if (rank == first_failed) e = *err;
  mrc = MPI_Bcast(&e, (int)sizeof e, MPI_BYTE, first_failed, MPI_COMM_WORLD);
  if (mrc != MPI_SUCCESS) return dist__mpi_error(mrc, "MPI_Bcast of an error", err);
  e.where[HEAT_ERROR_WHERE_MAX - 1] = '\0';
  e.msg[HEAT_ERROR_MSG_MAX - 1] = '\0';
  if (rank != first_failed) {
    *err = e;
    heat_error_prefix(err, "rank %d in '%s'", first_failed, what);
  }
  if (!e.code) e.code = HEAT_EINTERNAL;
  if (!err->code) err->code = e.code;
  return e.code;
}

int dist__mpi_run(dist__run *r, int rank, heat_error *err) {
  dist__seq++;
  /* The queue (points not skipped) is rank 0's: only it knows what a checkpoint holds. This
   * collective is also the point after which rank 0 may rewrite files the others have read. */
  int64_t n_todo = (int64_t)r->n_todo;
  int mrc0 = MPI_Bcast(&n_todo, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
  if (mrc0 != MPI_SUCCESS) return dist__mpi_error(mrc0, "MPI_Bcast of the queue", err);
  r->n_todo = (size_t)n_todo;
  for (size_t at = 0; at < r->n_todo && mrc0 == MPI_SUCCESS; at += 1 << 26) {
    size_t n = r->n_todo - at < (size_t)1 << 26 ? r->n_todo - at : (size_t)1 << 26;
    mrc0 = MPI_Bcast(r->todo + at, (int)(n * sizeof *r->todo), MPI_BYTE, 0, MPI_COMM_WORLD);
  }
  if (mrc0 != MPI_SUCCESS) return dist__mpi_error(mrc0, "MPI_Bcast of the queue", err);
  int rc = rank == 0 ? dist__root(r, err) : dist__worker_run(r, rank, err);
  if (!rc && r->stopped) return DIST_STOPPED;
  int arc = dist__mpi_agree(rc, rank, r->size, r->job->what ? r->job->what : "job", err);
  if (arc) return arc;
  if (!r->job->share) return HEAT_OK;
  dist_job *j = r->job;
  struct { void *p; size_t bytes; } parts[3] = {
      {j->results, j->n * j->result_size},
      {j->status, j->n * sizeof *j->status},
      {j->errors, j->errors ? j->n * sizeof *j->errors : 0}};
  int rc2 = HEAT_OK;
  for (int k = 0; k < 3 && !rc2; k++) rc2 = dist__mpi_bcast(parts[k].p, parts[k].bytes, err);
  return rc2;
}
