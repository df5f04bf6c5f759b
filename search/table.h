/* On-disk tables of computed values (the hardware cost table, the reconstruction-error table):
 * a text file of `key -> numbers` records behind a header naming what the values depend on (a
 * hash of the inputs, e.g. the arch description and map options, and heat's cost-model version)
 * and closed by a record count and checksum. A table whose header does not match is stale, one
 * that does not parse or whose checksum differs is corrupt: either is reported and rebuilt from
 * scratch, never trusted. Saving writes a temporary file and renames it over the old one. */
#ifndef HEAT_SEARCH_TABLE_H
#define HEAT_SEARCH_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/heat_error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define STABLE_KEY_MAX 192
#define STABLE_WIDTH_MAX 32
#define STABLE_ID_MAX 96

typedef enum stable_state {
  STABLE_NEW = 0,     /* no file yet */
  STABLE_LOADED = 1,  /* read and trusted */
  STABLE_STALE = 2,   /* made for other inputs or another cost model: rebuilt */
  STABLE_CORRUPT = 3, /* unreadable, truncated or checksum mismatch: rebuilt */
} stable_state;

typedef struct stable {
  char path[1024];
  char kind[32], inputs[STABLE_ID_MAX], version[STABLE_ID_MAX];
  size_t width; /* numbers per record */
  size_t n, cap;
  char (*keys)[STABLE_KEY_MAX];
  double *vals;
  size_t loaded; /* records read from the file */
  stable_state state;
  char why[256]; /* for STALE / CORRUPT: what was wrong */
} stable;

/* 64-bit FNV-1a of bytes, and as 16 hex digits. */
uint64_t stable_hash(const void *data, size_t len, uint64_t h);
void stable_hash_hex(uint64_t h, char out[17]);

/* Opens `path` (created on save). kind, inputs and version must all match the file's header
 * for its records to be used. Fails only on out-of-memory; a bad file sets state and why. */
int stable_open(stable *t, const char *path, const char *kind, const char *inputs,
                const char *version, size_t width, heat_error *err);
const double *stable_get(const stable *t, const char *key);
int stable_put(stable *t, const char *key, const double *vals, heat_error *err);
/* Writes every record (atomically: temporary file + rename). */
int stable_save(const stable *t, heat_error *err);
void stable_free(stable *t);
const char *stable_state_name(stable_state s);

#ifdef __cplusplus
}
#endif
#endif
