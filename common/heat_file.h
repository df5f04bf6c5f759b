/* Opening the files users hand to heat (descriptions, weight checkpoints) without trusting them.
 *
 * A path may name a FIFO, a device or a socket: fopen() on a FIFO blocks until a writer comes,
 * and /dev/zero never ends. heat_file_open opens with O_NONBLOCK (so a FIFO cannot block the
 * open), checks fstat() on that descriptor (no race between check and open), and accepts only
 * regular files; the error says what the file is instead. heat_file_read_text also caps the size
 * of a text description at HEAT_TEXT_FILE_MAX bytes. */
#ifndef HEAT_FILE_H
#define HEAT_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/heat_error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The largest description file (arch, model, plan, program text) heat reads: 4 MiB, about
 * a thousand times the largest shipped description. Documented in README.md. */
#define HEAT_TEXT_FILE_MAX (INT64_C(4) << 20)

/* Opens path for reading in binary mode if it is a regular file; *size gets its size in bytes
 * (size may be NULL). `what` names the expected content in messages ("a .cfg file", "a weight
 * file"). A directory, FIFO, device or socket -> HEAT_EIO naming what it is. */
int heat_file_open(const char *path, const char *what, FILE **out, int64_t *size,
                   heat_error *err);

/* Reads a whole regular text file of at most `max` bytes into a NUL-terminated malloc'd buffer
 * (*text, *len without the NUL). Larger -> HEAT_EINVAL naming the limit; a NUL byte inside ->
 * HEAT_EINVAL "not a text file". */
int heat_file_read_text(const char *path, const char *what, int64_t max, char **text,
                        size_t *len, heat_error *err);

/* "a directory", "a FIFO (named pipe)", "a character device", ... for st_mode's file type. */
const char *heat_file_kind(unsigned mode);

#ifdef __cplusplus
}
#endif
#endif
