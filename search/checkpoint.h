/* Checkpoints of long runs (heat search, heat sweep) so that an interrupted run (Ctrl-C,
 * SIGTERM, kill -9, a crash) continues with --resume from its last checkpoint, losing and
 * duplicating no point, with outputs byte-identical to an uninterrupted run.
 *
 * A checkpoint is a set of completed points: `key -> payload`, both single-line text. The
 * run records each point as it completes (ckpt_put) and, on --resume, looks points up before
 * computing them (ckpt_get); what it finds it uses as if it had just computed it. Whoever owns
 * the checkpoint (one process: the only one, or MPI rank 0 receiving results from the others)
 * calls ckpt_tick after puts: it saves when the save interval has passed. ckpt_save writes the
 * whole file atomically (temporary file + rename), records in key order, so the file does not
 * depend on the order points completed in, nor on thread or process counts.
 *
 * File (text, one record a line):
 *     heat-checkpoint 1 kind=<search|sweep> inputs=<16 hex digits> version=<cost model>
 *     <key>\t<payload>
 *     ...
 *     end <records> <FNV-1a of the record lines, 16 hex digits>
 * `inputs` hashes everything the results depend on (model, arch, options, files read); a
 * checkpoint of another run, another kind, another cost model or file version is refused, as
 * is a corrupt or truncated one: HEAT_EINVAL naming file:line (exit 2), never trusted.
 *
 * Payloads are built and read as tokens: integers, doubles (C99 hex floats: exact round trip)
 * and escaped text (\xHH for bytes outside printable ASCII, space and backslash).
 *
 * Signals: ckpt_signals_install makes the first SIGINT or SIGTERM only set a flag
 * (ckpt_signal_pending) and restores the default action, so a second one ends the process at
 * once. Long loops check the flag between points and return CKPT_EINTR; the command then saves
 * the checkpoint and exits with 128 + the signal's number after saying how to resume.
 *
 * Test hook (for the kill tests only): HEAT_CHECKPOINT_TEST="kill-after=N" makes the process
 * kill itself with SIGKILL right after its N-th save; "sleep-ms=M" sleeps M ms after each save
 * so an outside signal can land mid-run. */
#ifndef HEAT_SEARCH_CHECKPOINT_H
#define HEAT_SEARCH_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/heat_error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CKPT_VERSION 1
#define CKPT_FILE "checkpoint.txt"
/* Returned by loops that stopped for a pending SIGINT/SIGTERM (not a heat_status). */
#define CKPT_EINTR (-64)

typedef struct ckpt_rec {
  char *key, *payload;
  size_t line; /* in the file it was loaded from (0: put in this run) */
} ckpt_rec;

typedef struct ckpt {
  char path[1024];
  char kind[16], inputs[17], version[40];
  ckpt_rec *recs;
  size_t n, cap;
  size_t *index, index_cap; /* open addressing over recs (index + 1; 0 = empty) */
  size_t loaded;            /* records read by ckpt_open */
  size_t dirty;             /* puts since the last save */
  double interval_s, last_save_s;
  int saves;
  int test_kill_after, test_sleep_ms;
} ckpt;

/* Opens the checkpoint `dir/CKPT_FILE`. resume: read the file when there is one (a missing file
 * leaves the checkpoint empty; *found tells which); otherwise start empty (the file is
 * replaced at the first save). kind, inputs and version must match the file's header.
 * interval_s: ckpt_tick saves at most this often (0: at every tick with new records).
 * On failure nothing is left to free. */
int ckpt_open(ckpt *c, const char *dir, const char *kind, const char *inputs, const char *version,
              bool resume, double interval_s, bool *found, heat_error *err);
void ckpt_free(ckpt *c);

/* NULL when the point is not recorded. */
const ckpt_rec *ckpt_get(const ckpt *c, const char *key);
/* Records a completed point (replaces an earlier record of the same key). key and payload are
 * copied; neither may hold a tab or a newline, nor the key be empty. */
int ckpt_put(ckpt *c, const char *key, const char *payload, heat_error *err);
/* Saves when there are new records and the interval has passed. */
int ckpt_tick(ckpt *c, heat_error *err);
/* Saves now (atomically). */
int ckpt_save(ckpt *c, heat_error *err);
/* Deletes the file (the run completed and wrote its outputs), and the temporary files of saves
 * a killed process left. */
void ckpt_remove(const ckpt *c);

/* Payload builder: tokens separated by single spaces. */
typedef struct ckpt_buf {
  char *s;
  size_t n, cap;
  bool oom;
} ckpt_buf;

void ckpt_buf_i64(ckpt_buf *b, int64_t v);
void ckpt_buf_u64(ckpt_buf *b, uint64_t v);
void ckpt_buf_f64(ckpt_buf *b, double v);
void ckpt_buf_text(ckpt_buf *b, const char *text);
/* Its text ("" when empty); HEAT_ENOMEM when a step ran out of memory. */
int ckpt_buf_done(ckpt_buf *b, const char **text, heat_error *err);
void ckpt_buf_free(ckpt_buf *b);

/* Payload reader: each call reads the next token; a malformed or missing one fills err with
 * "file:line: corrupt checkpoint: record '<key>': ..." (HEAT_EINVAL) and every later call fails
 * too, so a caller reads everything and checks once (ckpt_reader_end). */
typedef struct ckpt_reader {
  const ckpt *c;
  const ckpt_rec *rec;
  const char *p;
  int rc;
  heat_error *err;
} ckpt_reader;

void ckpt_reader_init(ckpt_reader *r, const ckpt *c, const ckpt_rec *rec, heat_error *err);
int64_t ckpt_read_i64(ckpt_reader *r, int64_t lo, int64_t hi);
uint64_t ckpt_read_u64(ckpt_reader *r);
double ckpt_read_f64(ckpt_reader *r);
/* Unescaped text into a malloc'd string (NULL after an error). */
char *ckpt_read_text(ckpt_reader *r);
/* HEAT_OK when every token was read and nothing is left over. */
int ckpt_reader_end(ckpt_reader *r);
/* Marks the record corrupt with a message (e.g. a value out of range for its use). */
int ckpt_reader_fail(ckpt_reader *r, const char *what);

/* SIGINT / SIGTERM (see above). */
void ckpt_signals_install(void);
void ckpt_signals_restore(void);
int ckpt_signal_pending(void); /* the signal's number, or 0 */
/* "interrupted by SIGINT: N completed records saved in DIR/checkpoint.txt; rerun the same command with
 * --resume to continue" into buf; returns the exit status 128 + the signal's number. */
int ckpt_interrupt_message(const ckpt *c, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
