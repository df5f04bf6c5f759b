/* The program text format (see program.h): printer, parser and checker. */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "mapper/program.h"

static const char *const prog__opnames[PROG_OPCODES] = {"load", "store", "fold", "simd", "sync"};
static const char *const prog__kinds[PROG_SIMD_KINDS] = {"softmax", "layernorm", "gelu", "tanh",
                                                         "add",     "embed",     "permute"};
static const char *const prog__operands[MAP_OPS] = {"input", "weight", "output"};
static const char prog__dimc[] = "bmkn";

const char *program_opcode_name(prog_opcode op) {
  return (unsigned)op < PROG_OPCODES ? prog__opnames[op] : "?";
}
const char *program_simd_kind_name(prog_simd_kind k) {
  return (unsigned)k < PROG_SIMD_KINDS ? prog__kinds[k] : "?";
}
int program_simd_kind_parse(const char *text, prog_simd_kind *out) {
  for (int k = 0; k < PROG_SIMD_KINDS; k++)
    if (strcmp(text, prog__kinds[k]) == 0) {
      *out = (prog_simd_kind)k;
      return HEAT_OK;
    }
  return HEAT_EINVAL;
}

/* ---- printing ---- */

static void prog__p4(FILE *out, const char *key, const int64_t *v) {
  fprintf(out, " %s=%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64, key, v[0], v[1], v[2], v[3]);
}

static void prog__print_insn(FILE *out, size_t id, const prog_insn *in) {
  fprintf(out, "%zu: %s step=%d", id, program_opcode_name(in->op), in->step);
  switch (in->op) {
  case PROG_LOAD:
  case PROG_STORE:
    fprintf(out, " op=%s buf=%d slot=%d", prog__operands[in->operand], in->buffer, in->slot);
    prog__p4(out, "at", in->at);
    prog__p4(out, "len", in->len);
    fprintf(out, " partial=%d", in->partial ? 1 : 0);
    if (in->op == PROG_LOAD) fprintf(out, " strided=%d", in->strided ? 1 : 0);
    break;
  case PROG_FOLD:
    prog__p4(out, "at", in->at);
    prog__p4(out, "len", in->len);
    fprintf(out, " slots=%d,%d,%d acc=%d", in->slots[0], in->slots[1], in->slots[2], in->acc);
    break;
  case PROG_SIMD:
    fprintf(out,
            " kind=%s elems=%" PRId64 " lane_ops=%" PRId64 " cycles=%" PRId64
            " buf=%d rd_bytes=%.17g wr_bytes=%.17g dram_rd=%.17g dram_wr=%.17g",
            program_simd_kind_name(in->kind), in->elems, in->lane_ops, in->cycles, in->buffer,
            in->rd_bytes, in->wr_bytes, in->dram_rd, in->dram_wr);
    break;
  default: break;
  }
  fprintf(out, " deps=");
  for (int i = 0; i < in->n_deps; i++) fprintf(out, "%s%d", i ? "," : "", in->dep[i]);
  fputc('\n', out);
}

static char prog__letter(int slot) { return (char)(slot < 26 ? 'a' + slot : 'A' + slot - 26); }

static void prog__print_tensors(FILE *out, const prog_tensors *t) {
  fprintf(out, " tensors=%d,%d,%d idx=%s,%s,%s sizes=", t->id[0], t->id[1], t->id[2], t->idx[0],
          t->idx[1], t->idx[2]);
  bool first = true;
  for (int slot = 0; slot < PROG_MAX_INDICES; slot++) {
    char c = prog__letter(slot);
    if (t->size[slot] < 1 || (!strchr(t->idx[0], c) && !strchr(t->idx[1], c) && !strchr(t->idx[2], c)))
      continue;
    fprintf(out, "%s%c:%" PRId64, first ? "" : ",", c, t->size[slot]);
    first = false;
  }
  if (t->token) fprintf(out, " token=%c:%" PRId64, t->token, t->token_full);
}

int program_print(FILE *out, const program *p) {
  fprintf(out, "heat-program 1\n# instructions: load/store (DMA), fold (array), simd, sync; see "
               "mapper/program.h\narch %s\ntiming %s\nstalls %d\n",
          p->arch_name[0] ? p->arch_name : "?", fold_timing_name(p->timing), p->stalls ? 1 : 0);
  for (size_t s = 0; s < p->n_steps; s++) {
    const prog_step *st = &p->steps[s];
    fprintf(out, "step %zu name=%s times=%" PRId64 " simd=%d", s, st->name, st->times,
            st->simd ? 1 : 0);
    if (!st->simd) {
      const map_problem *pr = &st->problem;
      const map_mapping *m = &st->mapping;
      prog__p4(out, "dims", pr->dim);
      fprintf(out, " df=%s", m->unit == MAP_UNIT_SIMD ? "simd" : arch_dataflow_name(m->dataflow));
      if (m->batch_pack > 1) fprintf(out, " pack=%" PRId64, m->batch_pack);
      prog__p4(out, "tile", m->tile);
      fprintf(out, " order=%c,%c,%c buf=%d,%d,%d on_chip=%d,%d,%d permuted=%d,%d",
              prog__dimc[m->order[0]], prog__dimc[m->order[1]], prog__dimc[m->order[2]],
              m->buffer[0], m->buffer[1], m->buffer[2], pr->on_chip[0], pr->on_chip[1],
              pr->on_chip[2], pr->permuted[0], pr->permuted[1]);
      if (st->layout == PROG_LAYOUT_ROW) fprintf(out, " layout=row");
      if (st->tensors.on) prog__print_tensors(out, &st->tensors);
    }
    fputc('\n', out);
  }
  for (size_t i = 0; i < p->n; i++) prog__print_insn(out, i, &p->insn[i]);
  return ferror(out) ? HEAT_EIO : HEAT_OK;
}

int program_write_file(const char *path, const program *p, heat_error *err) {
  FILE *f = fopen(path, "w");
  if (!f) return heat_error_set(err, HEAT_EIO, path, "cannot write: %s", strerror(errno));
  int rc = program_print(f, p);
  if (fclose(f) != 0 || rc)
    return heat_error_set(err, HEAT_EIO, path, "write failed: %s", strerror(errno));
  return HEAT_OK;
}

/* ---- parsing ---- */

#define PROG_MAX_FIELDS 24

typedef struct prog__line {
  const char *origin;
  int line;
  int nf;
  char *key[PROG_MAX_FIELDS], *val[PROG_MAX_FIELDS];
  bool used[PROG_MAX_FIELDS];
} prog__line;

static int prog__err(const prog__line *l, heat_error *err, const char *field, const char *fmt,
                     const char *a1, const char *a2) {
  char msg[400];
  snprintf(msg, sizeof msg, fmt, a1 ? a1 : "", a2 ? a2 : "");
  if (field) return heat_error_at(err, HEAT_EINVAL, l->origin, l->line, "field '%s': %s", field, msg);
  return heat_error_at(err, HEAT_EINVAL, l->origin, l->line, "%s", msg);
}

static const char *prog__get(prog__line *l, const char *key) {
  for (int i = 0; i < l->nf; i++)
    if (l->key[i] && strcmp(l->key[i], key) == 0) {
      l->used[i] = true;
      return l->val[i];
    }
  return NULL;
}

static int prog__need(prog__line *l, const char *key, const char **v, heat_error *err) {
  *v = prog__get(l, key);
  if (!*v) return prog__err(l, err, key, "missing (write %s=...)", key, NULL);
  return HEAT_OK;
}

/* A decimal integer in lo..hi. */
static int prog__int(prog__line *l, const char *key, const char *text, int64_t lo, int64_t hi,
                     int64_t *out, heat_error *err) {
  char *end;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (end == text || *end || errno == ERANGE || v < lo || v > hi) {
    char range[96];
    snprintf(range, sizeof range, "%" PRId64 "..%" PRId64, lo, hi);
    return prog__err(l, err, key, "'%s' is not an integer in %s", text, range);
  }
  *out = v;
  return HEAT_OK;
}

static int prog__key_int(prog__line *l, const char *key, int64_t lo, int64_t hi, int64_t *out,
                         heat_error *err) {
  const char *v;
  int rc = prog__need(l, key, &v, err);
  return rc ? rc : prog__int(l, key, v, lo, hi, out, err);
}

static int prog__key_double(prog__line *l, const char *key, double *out, heat_error *err) {
  const char *v;
  int rc = prog__need(l, key, &v, err);
  if (rc) return rc;
  char *end;
  errno = 0;
  double d = strtod(v, &end);
  if (end == v || *end || errno == ERANGE || !(d >= 0) || d > 9.007199254740992e15)
    return prog__err(l, err, key, "'%s' is not a number in 0..2^53", v, NULL);
  *out = d;
  return HEAT_OK;
}

/* A comma list of exactly n integers in lo..hi (n = -1: 0..PROG_MAX_DEPS of them). */
static int prog__key_list(prog__line *l, const char *key, int n, int64_t lo, int64_t hi,
                          int64_t *out, int *got, heat_error *err) {
  const char *v;
  int rc = prog__need(l, key, &v, err);
  if (rc) return rc;
  char buf[256];
  snprintf(buf, sizeof buf, "%s", v);
  int k = 0, cap = n < 0 ? PROG_MAX_DEPS : n;
  if (buf[0]) {
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
      if (k == cap) return prog__err(l, err, key, "too many values in '%s'", v, NULL);
      rc = prog__int(l, key, t, lo, hi, &out[k++], err);
      if (rc) return rc;
    }
  }
  if (n >= 0 && k != n) {
    char want[16];
    snprintf(want, sizeof want, "%d", n);
    return prog__err(l, err, key, "'%s' must hold %s comma-separated values", v, want);
  }
  if (got) *got = k;
  return HEAT_OK;
}

static int prog__check_unused(const prog__line *l, heat_error *err) {
  for (int i = 0; i < l->nf; i++)
    if (!l->used[i]) return prog__err(l, err, l->key[i], "unknown field for this line", NULL, NULL);
  return HEAT_OK;
}

static int prog__operand(prog__line *l, const char *v, int32_t *out, heat_error *err) {
  for (int op = 0; op < MAP_OPS; op++)
    if (strcmp(v, prog__operands[op]) == 0) {
      *out = op;
      return HEAT_OK;
    }
  return prog__err(l, err, "op", "unknown operand '%s'; allowed: input, weight, output", v, NULL);
}

static int prog__box(prog__line *l, prog_insn *in, heat_error *err) {
  int rc = prog__key_list(l, "at", 4, 0, INT32_MAX, in->at, NULL, err);
  if (!rc) rc = prog__key_list(l, "len", 4, 1, INT32_MAX, in->len, NULL, err);
  return rc;
}

static int prog__flag(prog__line *l, const char *key, bool *out, heat_error *err) {
  int64_t v = 0;
  int rc = prog__key_int(l, key, 0, 1, &v, err);
  *out = v != 0;
  return rc;
}

/* tensors=I,W,O idx=LI,LW,LO sizes=a:N,... (program.h): all three or none. */
static int prog__parse_tensors(prog__line *l, prog_step *st, heat_error *err) {
  const char *ids = prog__get(l, "tensors"), *idx = prog__get(l, "idx"), *sizes = prog__get(l, "sizes");
  if (!ids && !idx && !sizes) {
    if (prog__get(l, "token"))
      return prog__err(l, err, "token", "needs tensors=, idx= and sizes=", NULL, NULL);
    return HEAT_OK;
  }
  const char *missing = !ids ? "tensors" : !idx ? "idx" : !sizes ? "sizes" : NULL;
  if (missing)
    return prog__err(l, err, missing, "missing (tensors=, idx= and sizes= go together)", NULL, NULL);
  prog_tensors *t = &st->tensors;
  memset(t, 0, sizeof *t);
  int64_t v[3];
  int rc = prog__key_list(l, "tensors", 3, 0, INT32_MAX, v, NULL, err);
  if (rc) return rc;
  for (int k = 0; k < MAP_OPS; k++) t->id[k] = (int32_t)v[k];
  const char *c = idx;
  for (int k = 0; k < MAP_OPS; k++) {
    size_t n = strcspn(c, ",");
    if ((k < 2 && c[n] != ',') || (k == 2 && c[n] != '\0'))
      return prog__err(l, err, "idx", "'%s' must hold 3 comma-separated letter groups (input, weight, output)", idx, NULL);
    if (n > PROG_MAX_INDICES)
      return prog__err(l, err, "idx", "'%s' has a group of more than 52 letters", idx, NULL);
    memcpy(t->idx[k], c, n);
    t->idx[k][n] = '\0';
    c += n + (k < 2);
  }
  char buf[1024];
  if (strlen(sizes) >= sizeof buf) return prog__err(l, err, "sizes", "too long", NULL, NULL);
  snprintf(buf, sizeof buf, "%s", sizes);
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    int slot = program_letter_slot(tok[0]);
    if (slot < 0 || tok[1] != ':')
      return prog__err(l, err, "sizes", "'%s' is not LETTER:SIZE (as t:64)", tok, NULL);
    if (t->size[slot])
      return prog__err(l, err, "sizes", "letter '%s' given twice", (char[2]){tok[0], 0}, NULL);
    int64_t n;
    if ((rc = prog__int(l, "sizes", tok + 2, 1, INT32_MAX, &n, err))) return rc;
    if (!strchr(t->idx[0], tok[0]) && !strchr(t->idx[1], tok[0]) && !strchr(t->idx[2], tok[0]))
      return prog__err(l, err, "sizes", "letter '%s' is in no tensor of idx", (char[2]){tok[0], 0}, NULL);
    t->size[slot] = n;
  }
  char letters[MAP_DIMS][PROG_MAX_INDICES + 1], msg[200];
  int64_t ext[MAP_DIMS];
  const char *field;
  if (program_tensors_view(t, st->problem.dim, letters, ext, msg, sizeof msg, &field))
    return prog__err(l, err, field, "%s", msg, NULL);
  const char *token = prog__get(l, "token");
  if (token) {
    if (program_letter_slot(token[0]) < 0 || token[1] != ':')
      return prog__err(l, err, "token", "'%s' is not LETTER:EXTENT (as t:384)", token, NULL);
    if (!strchr(t->idx[MAP_OP_OUTPUT], token[0]))
      return prog__err(l, err, "token", "letter '%s' is not in the output's letters", (char[2]){token[0], 0}, NULL);
    if ((rc = prog__int(l, "token", token + 2, 1, INT32_MAX, &t->token_full, err))) return rc;
    if (t->token_full < t->size[program_letter_slot(token[0])])
      return prog__err(l, err, "token", "the extent %s is smaller than one tile (sizes=)", token + 2, NULL);
    t->token = token[0];
  }
  t->on = true;
  return HEAT_OK;
}

static int prog__parse_step(prog__line *l, program *p, heat_error *err) {
  int64_t id, v4[4];
  int rc = prog__int(l, "step", l->val[0], 0, INT32_MAX, &id, err);
  if (rc) return rc;
  if ((size_t)id != p->n_steps) {
    char want[24];
    snprintf(want, sizeof want, "%zu", p->n_steps);
    return prog__err(l, err, "step", "steps are numbered in order: expected %s here, not %s", want,
                     l->val[0]);
  }
  if (p->n_steps == p->cap_steps) {
    size_t cap = p->cap_steps ? 2 * p->cap_steps : 16;
    prog_step *s = realloc(p->steps, cap * sizeof *s);
    if (!s) return heat_error_set(err, HEAT_ENOMEM, "program", "out of memory");
    p->steps = s;
    p->cap_steps = cap;
  }
  prog_step *st = &p->steps[p->n_steps];
  memset(st, 0, sizeof *st);
  st->line = l->line;
  const char *name;
  if ((rc = prog__need(l, "name", &name, err))) return rc;
  snprintf(st->name, sizeof st->name, "%s", name);
  if ((rc = prog__key_int(l, "times", 1, INT64_C(1) << 40, &st->times, err))) return rc;
  if ((rc = prog__flag(l, "simd", &st->simd, err))) return rc;
  if (!st->simd) {
    map_problem *pr = &st->problem;
    map_mapping *m = &st->mapping;
    if ((rc = prog__key_list(l, "dims", 4, 1, INT32_MAX, pr->dim, NULL, err))) return rc;
    const char *df;
    if ((rc = prog__need(l, "df", &df, err))) return rc;
    heat_error e2;
    m->unit = strcmp(df, "simd") == 0 ? MAP_UNIT_SIMD : MAP_UNIT_ARRAY;
    if (m->unit == MAP_UNIT_ARRAY && arch_dataflow_parse(df, &m->dataflow, &e2))
      return prog__err(l, err, "df", "unknown dataflow '%s'; allowed: os, ws, is, simd", df, NULL);
    m->batch_pack = 1;
    if (prog__get(l, "pack") && (rc = prog__key_int(l, "pack", 1, INT32_MAX, &m->batch_pack, err)))
      return rc;
    if ((rc = prog__key_list(l, "tile", 4, 1, INT32_MAX, m->tile, NULL, err))) return rc;
    for (int d = 0; d < MAP_DIMS; d++)
      if (m->tile[d] > pr->dim[d]) return prog__err(l, err, "tile", "a tile exceeds its dimension", NULL, NULL);
    const char *order;
    if ((rc = prog__need(l, "order", &order, err))) return rc;
    unsigned seen = 0;
    if (strlen(order) != 5 || order[1] != ',' || order[3] != ',')
      return prog__err(l, err, "order", "'%s' is not a permutation like m,k,n", order, NULL);
    for (int i = 0; i < 3; i++) {
      const char *c = strchr(prog__dimc + 1, order[2 * i]);
      if (!c || !order[2 * i] || (seen & (1u << (c - prog__dimc))))
        return prog__err(l, err, "order", "'%s' is not a permutation like m,k,n", order, NULL);
      m->order[i] = (int)(c - prog__dimc);
      seen |= 1u << m->order[i];
    }
    if ((rc = prog__key_list(l, "buf", 3, 0, ARCH_MAX_BUFFERS - 1, v4, NULL, err))) return rc;
    for (int i = 0; i < 3; i++) m->buffer[i] = (int)v4[i];
    if ((rc = prog__key_list(l, "on_chip", 3, 0, 1, v4, NULL, err))) return rc;
    for (int i = 0; i < 3; i++) pr->on_chip[i] = v4[i] != 0;
    if ((rc = prog__key_list(l, "permuted", 2, 0, 1, v4, NULL, err))) return rc;
    for (int i = 0; i < 2; i++) pr->permuted[i] = v4[i] != 0;
    const char *layout = prog__get(l, "layout");
    if (layout && strcmp(layout, "row") == 0) st->layout = PROG_LAYOUT_ROW;
    else if (layout && strcmp(layout, "vector") != 0)
      return prog__err(l, err, "layout", "unknown layout '%s'; allowed: vector, row", layout, NULL);
    if ((rc = prog__parse_tensors(l, st, err))) return rc;
  }
  p->n_steps++;
  return prog__check_unused(l, err);
}

static int prog__parse_insn(prog__line *l, program *p, const char *opname, heat_error *err) {
  int64_t id, v;
  char *colon = strchr(l->val[0], ':');
  if (!colon || colon[1]) return prog__err(l, err, NULL, "expected 'ID: OPCODE ...'", NULL, NULL);
  *colon = '\0';
  int rc = prog__int(l, "id", l->val[0], 0, INT32_MAX, &id, err);
  if (rc) return rc;
  if ((size_t)id != p->n) {
    char want[24];
    snprintf(want, sizeof want, "%zu", p->n);
    return prog__err(l, err, "id", "instructions are numbered in order: expected %s here, not %s",
                     want, l->val[0]);
  }
  prog_opcode op = PROG_OPCODES;
  for (int o = 0; o < PROG_OPCODES; o++)
    if (strcmp(opname, prog__opnames[o]) == 0) op = (prog_opcode)o;
  if (op == PROG_OPCODES)
    return prog__err(l, err, "opcode", "unknown opcode '%s'; allowed: load, store, fold, simd, sync",
                     opname, NULL);
  if (p->n == p->cap) {
    size_t cap = p->cap ? 2 * p->cap : 256;
    prog_insn *in = realloc(p->insn, cap * sizeof *in);
    if (!in) return heat_error_set(err, HEAT_ENOMEM, "program", "out of memory");
    p->insn = in;
    p->cap = cap;
  }
  prog_insn *in = &p->insn[p->n];
  memset(in, 0, sizeof *in);
  in->op = op;
  in->line = l->line;
  in->buffer = -1;
  if ((rc = prog__key_int(l, "step", 0, INT32_MAX, &v, err))) return rc;
  if ((size_t)v >= p->n_steps)
    return prog__err(l, err, "step", "step %s is not declared before this instruction",
                     prog__get(l, "step"), NULL);
  in->step = (int32_t)v;
  int64_t list[PROG_MAX_DEPS];
  int n;
  if ((rc = prog__key_list(l, "deps", -1, 0, INT32_MAX, list, &n, err))) return rc;
  for (int i = 0; i < n; i++) {
    if ((size_t)list[i] >= p->n) {
      char a1[24];
      snprintf(a1, sizeof a1, "%" PRId64, list[i]);
      return prog__err(l, err, "deps",
                       "instruction %s is not earlier than this one: dependences must point "
                       "backwards (a forward or self dependence would deadlock)",
                       a1, NULL);
    }
    in->dep[i] = (int32_t)list[i];
  }
  in->n_deps = n;
  const char *s;
  switch (op) {
  case PROG_LOAD:
  case PROG_STORE:
    if ((rc = prog__need(l, "op", &s, err)) || (rc = prog__operand(l, s, &in->operand, err))) return rc;
    if ((rc = prog__key_int(l, "buf", 0, ARCH_MAX_BUFFERS - 1, &v, err))) return rc;
    in->buffer = (int32_t)v;
    if ((rc = prog__key_int(l, "slot", 0, INT32_MAX, &v, err))) return rc;
    in->slot = (int32_t)v;
    if ((rc = prog__box(l, in, err))) return rc;
    if ((rc = prog__flag(l, "partial", &in->partial, err))) return rc;
    if (op == PROG_LOAD && (rc = prog__flag(l, "strided", &in->strided, err))) return rc;
    break;
  case PROG_FOLD:
    if ((rc = prog__box(l, in, err))) return rc;
    if ((rc = prog__key_list(l, "slots", 3, 0, INT32_MAX, list, NULL, err))) return rc;
    for (int i = 0; i < 3; i++) in->slots[i] = (int32_t)list[i];
    if ((rc = prog__key_int(l, "acc", 0, 2, &v, err))) return rc;
    in->acc = (int32_t)v;
    break;
  case PROG_SIMD:
    if ((rc = prog__need(l, "kind", &s, err))) return rc;
    if (program_simd_kind_parse(s, &in->kind))
      return prog__err(l, err, "kind",
                       "unknown SIMD operation '%s'; allowed: softmax, layernorm, gelu, tanh, "
                       "add, embed, permute", s, NULL);
    if ((rc = prog__key_int(l, "elems", 0, INT64_C(1) << 53, &in->elems, err))) return rc;
    if ((rc = prog__key_int(l, "lane_ops", 0, INT64_C(1) << 53, &in->lane_ops, err))) return rc;
    if ((rc = prog__key_int(l, "cycles", 0, INT64_C(1) << 53, &in->cycles, err))) return rc;
    if ((rc = prog__key_int(l, "buf", 0, ARCH_MAX_BUFFERS - 1, &v, err))) return rc;
    in->buffer = (int32_t)v;
    if ((rc = prog__key_double(l, "rd_bytes", &in->rd_bytes, err))) return rc;
    if ((rc = prog__key_double(l, "wr_bytes", &in->wr_bytes, err))) return rc;
    if ((rc = prog__key_double(l, "dram_rd", &in->dram_rd, err))) return rc;
    if ((rc = prog__key_double(l, "dram_wr", &in->dram_wr, err))) return rc;
    break;
  default: break;
  }
  p->n++;
  return prog__check_unused(l, err);
}

/* Puts the line's leading id in front of its fields (val[0], no key) for the line parsers. */
static int prog__with_id(prog__line *l, char *id, heat_error *err) {
  if (l->nf == PROG_MAX_FIELDS) return prog__err(l, err, NULL, "too many fields", NULL, NULL);
  memmove(&l->key[1], &l->key[0], sizeof(char *) * (size_t)l->nf);
  memmove(&l->val[1], &l->val[0], sizeof(char *) * (size_t)l->nf);
  memmove(&l->used[1], &l->used[0], sizeof(bool) * (size_t)l->nf);
  l->key[0] = NULL;
  l->val[0] = id;
  l->used[0] = true;
  l->nf++;
  return HEAT_OK;
}

/* Splits a line into its leading words and key=value fields. */
static int prog__split(char *text, prog__line *l, char **words, int *nw, heat_error *err) {
  l->nf = 0;
  *nw = 0;
  for (char *save = NULL, *t = strtok_r(text, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save)) {
    char *eq = strchr(t, '=');
    if (!eq) {
      if (l->nf > 0 || *nw == 2)
        return prog__err(l, err, NULL, "'%s' is not a key=value field", t, NULL);
      words[(*nw)++] = t;
      continue;
    }
    if (l->nf == PROG_MAX_FIELDS) return prog__err(l, err, NULL, "too many fields", NULL, NULL);
    *eq = '\0';
    for (int i = 0; i < l->nf; i++)
      if (strcmp(l->key[i], t) == 0) return prog__err(l, err, t, "given twice", NULL, NULL);
    l->key[l->nf] = t;
    l->val[l->nf] = eq + 1;
    l->used[l->nf] = false;
    l->nf++;
  }
  return HEAT_OK;
}

int program_parse(const char *text, const char *origin, program *p, heat_error *err) {
  program_init(p);
  snprintf(p->origin, sizeof p->origin, "%s", origin);
  size_t len = strlen(text);
  char *buf = malloc(len + 1);
  if (!buf) return heat_error_set(err, HEAT_ENOMEM, origin, "out of memory");
  memcpy(buf, text, len + 1);
  int rc = HEAT_OK, line = 0;
  bool header = false, seen_arch = false;
  prog__line l = {.origin = origin};
  for (char *cur = buf; cur && !rc;) {
    char *nl = strchr(cur, '\n');
    if (nl) *nl = '\0';
    line++;
    l.line = line;
    char *hash = strchr(cur, '#');
    if (hash) *hash = '\0';
    char *words[2];
    int nw;
    rc = prog__split(cur, &l, words, &nw, err);
    cur = nl ? nl + 1 : NULL;
    if (rc || (nw == 0 && l.nf == 0)) continue;
    if (nw == 0) {
      rc = prog__err(&l, err, NULL, "a line starts with a keyword (step, arch, ...) or 'ID:'", NULL, NULL);
    } else if (!header) {
      if (strcmp(words[0], "heat-program") != 0 || nw != 2 || strcmp(words[1], "1") != 0 || l.nf)
        rc = prog__err(&l, err, NULL, "expected the header 'heat-program 1'", NULL, NULL);
      header = true;
    } else if (strcmp(words[0], "arch") == 0 && nw == 2 && !l.nf) {
      snprintf(p->arch_name, sizeof p->arch_name, "%s", words[1]);
      seen_arch = true;
    } else if (strcmp(words[0], "timing") == 0 && nw == 2 && !l.nf) {
      if (map_timing_parse(words[1], &p->timing, err))
        rc = prog__err(&l, err, "timing", "unknown timing '%s'; allowed: scalesim, overlap", words[1], NULL);
    } else if (strcmp(words[0], "stalls") == 0 && nw == 2 && !l.nf) {
      int64_t v;
      l.nf = 0;
      rc = prog__int(&l, "stalls", words[1], 0, 1, &v, err);
      p->stalls = v != 0;
    } else if (strcmp(words[0], "step") == 0 && nw == 2) {
      rc = prog__with_id(&l, words[1], err);
      if (!rc) rc = prog__parse_step(&l, p, err);
    } else if (nw == 2 && strchr(words[0], ':')) {
      rc = prog__with_id(&l, words[0], err);
      if (!rc) rc = prog__parse_insn(&l, p, words[1], err);
    } else {
      rc = prog__err(&l, err, NULL, "unknown line '%s'; expected heat-program, arch, timing, "
                     "stalls, step or 'ID: OPCODE'", words[0], NULL);
    }
  }
  free(buf);
  if (!rc && !header)
    rc = heat_error_at(err, HEAT_EINVAL, origin, 1, "empty program: expected 'heat-program 1'");
  if (!rc && !seen_arch)
    rc = heat_error_at(err, HEAT_EINVAL, origin, 2, "field 'arch': missing (write 'arch NAME' after the header)");
  if (rc) program_free(p);
  return rc;
}

int program_read_file(const char *path, program *p, heat_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return heat_error_set(err, HEAT_EIO, path, "cannot open: %s", strerror(errno));
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  int rc = HEAT_OK;
  for (;;) {
    if (!buf) {
      rc = heat_error_set(err, HEAT_ENOMEM, path, "out of memory");
      break;
    }
    n += fread(buf + n, 1, cap - n - 1, f);
    if (n < cap - 1) break;
    if (cap >= ((size_t)1 << 30)) {
      rc = heat_error_set(err, HEAT_ERANGE, path, "program larger than 1 GiB");
      break;
    }
    cap *= 2;
    char *nb = realloc(buf, cap);
    if (!nb) free(buf);
    buf = nb;
  }
  if (!rc && ferror(f)) rc = heat_error_set(err, HEAT_EIO, path, "read failed");
  fclose(f);
  if (!rc) {
    buf[n] = '\0';
    if (memchr(buf, '\0', n)) rc = heat_error_set(err, HEAT_EINVAL, path, "binary data, not a program");
  }
  if (!rc) rc = program_parse(buf, path, p, err);
  free(buf);
  return rc;
}

/* ---- checking against an arch ---- */

/* An error in an instruction or step: at its file line when it came from text, else by its
 * kind and index (a program built in memory has no lines). */
static int prog__verr(int line, const char *kind, size_t i, const char *origin, heat_error *err,
                      const char *field, const char *fmt, va_list ap) {
  char msg[512];
  vsnprintf(msg, sizeof msg, fmt, ap);
  if (line > 0) return heat_error_at(err, HEAT_EINVAL, origin, line, "field '%s': %s", field, msg);
  return heat_error_set(err, HEAT_EINVAL, origin, "%s %zu: field '%s': %s", kind, i, field, msg);
}

static int prog__ierr(const prog_insn *in, size_t i, const char *origin, heat_error *err,
                      const char *field, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static int prog__ierr(const prog_insn *in, size_t i, const char *origin, heat_error *err,
                      const char *field, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = prog__verr(in->line, "instruction", i, origin, err, field, fmt, ap);
  va_end(ap);
  return rc;
}

static int prog__serr(const prog_step *st, size_t s, const char *origin, heat_error *err,
                      const char *field, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static int prog__serr(const prog_step *st, size_t s, const char *origin, heat_error *err,
                      const char *field, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = prog__verr(st->line, "step", s, origin, err, field, fmt, ap);
  va_end(ap);
  return rc;
}

/* Letters of tensor k of a step, sorted (a tensor's letter set, whatever its layout). */
static void prog__letter_set(const prog_tensors *t, int k, char *out) {
  size_t n = 0;
  for (int slot = 0; slot < PROG_MAX_INDICES; slot++)
    if (strchr(t->idx[k], prog__letter(slot))) out[n++] = prog__letter(slot);
  out[n] = '\0';
}

/* The tensors of the steps that carry values: each step's view matches its dims; a tensor has
 * the same letters wherever it is named (sizes may differ: program.h); one step writes it,
 * before any step reads it; a step does not read the tensor it writes. */
static int prog__check_tensors(const program *p, const char *origin, heat_error *err) {
  static const char *const role[MAP_OPS] = {"input", "weight", "output"};
  for (size_t s = 0; s < p->n_steps; s++) {
    const prog_step *st = &p->steps[s];
    if (st->simd || !st->tensors.on) continue;
    const prog_tensors *t = &st->tensors;
    char letters[MAP_DIMS][PROG_MAX_INDICES + 1], msg[200];
    int64_t ext[MAP_DIMS];
    const char *field;
    if (program_tensors_view(t, st->problem.dim, letters, ext, msg, sizeof msg, &field))
      return prog__serr(st, s, origin, err, field, "%s", msg);
    if (t->token && (program_letter_slot(t->token) < 0 || !strchr(t->idx[MAP_OP_OUTPUT], t->token) ||
                     t->token_full < t->size[program_letter_slot(t->token)]))
      return prog__serr(st, s, origin, err, "token",
                        "'%c:%lld' must name an output letter and an extent of at least one tile",
                        t->token ? t->token : '?', (long long)t->token_full);
    for (int k = 0; k < 2; k++)
      if (t->id[k] == t->id[MAP_OP_OUTPUT])
        return prog__serr(st, s, origin, err, "tensors", "the step reads tensor %d as its %s and writes it",
                          t->id[k], role[k]);
    for (int k = 0; k < MAP_OPS; k++) {
      char mine[PROG_MAX_INDICES + 1], theirs[PROG_MAX_INDICES + 1];
      prog__letter_set(t, k, mine);
      for (size_t q = 0; q <= s; q++) {
        const prog_tensors *u = &p->steps[q].tensors;
        if (p->steps[q].simd || !u->on) continue;
        for (int j = 0; j < MAP_OPS && (q < s || j < k); j++) {
          if (u->id[j] != t->id[k]) continue;
          prog__letter_set(u, j, theirs);
          if (strcmp(mine, theirs) != 0)
            return prog__serr(st, s, origin, err, "idx",
                              "tensor %d has letters '%s' here and '%s' in step %zu (%s)", t->id[k],
                              t->idx[k], u->idx[j], q, p->steps[q].name);
          if (k == MAP_OP_OUTPUT && j == MAP_OP_OUTPUT)
            return prog__serr(st, s, origin, err, "tensors", "tensor %d is written again (first by step %zu, %s)",
                              t->id[k], q, p->steps[q].name);
          if (k == MAP_OP_OUTPUT)
            return prog__serr(st, s, origin, err, "tensors",
                              "tensor %d is written here but step %zu (%s) read it before", t->id[k],
                              q, p->steps[q].name);
        }
      }
    }
  }
  return HEAT_OK;
}

int program_check(const program *p, const arch *a, const char *origin, heat_error *err) {
  int trc = prog__check_tensors(p, origin, err);
  if (trc) return trc;
  for (size_t s = 0; s < p->n_steps; s++) {
    const prog_step *st = &p->steps[s];
    if (st->simd) continue;
    heat_error e2;
    const map_mapping *m = &st->mapping;
    if (m->unit != MAP_UNIT_SIMD && !fold_dataflow_supported(&a->array, m->dataflow))
      return heat_error_set(err, HEAT_EINVAL, origin, "step %zu: field 'df': arch '%s' does not offer dataflow %s",
                            s, a->name, arch_dataflow_name(m->dataflow));
    if (m->batch_pack > 1 &&
        (m->unit == MAP_UNIT_SIMD || m->batch_pack > m->tile[MAP_DIM_B] ||
         m->batch_pack > fold_batch_pack(&a->array, m->dataflow, m->tile[MAP_DIM_M],
                                         m->tile[MAP_DIM_K], m->tile[MAP_DIM_N])))
      return heat_error_set(err, HEAT_EINVAL, origin,
                            "step %zu: field 'pack': %" PRId64 " batch elements per fold do not "
                            "fit on the array's diagonal",
                            s, m->batch_pack);
    if (map_problem_check(&st->problem, &e2))
      return heat_error_set(err, HEAT_EINVAL, origin, "step %zu: field 'dims': %s", s, e2.msg);
    for (int op = 0; op < MAP_OPS; op++) {
      int b = st->mapping.buffer[op];
      if (b < 0 || (size_t)b >= a->n_buffers)
        return heat_error_set(err, HEAT_EINVAL, origin,
                              "step %zu: field 'buf': buffer %d does not exist (arch '%s' has %zu)",
                              s, b, a->name, a->n_buffers);
      if (!(a->buffers[b].operands & (1u << op)))
        return heat_error_set(err, HEAT_EINVAL, origin, "step %zu: field 'buf': buffer '%s' may not hold the %s",
                              s, a->buffers[b].name, prog__operands[op]);
    }
  }
  for (size_t i = 0; i < p->n; i++) {
    const prog_insn *in = &p->insn[i];
    const prog_step *st = &p->steps[in->step];
    for (int k = 0; k < in->n_deps; k++)
      if ((size_t)in->dep[k] >= i)
        return prog__ierr(in, i, origin, err, "deps", "instruction %d is not earlier than this one",
                          in->dep[k]);
    bool gemm_op = in->op == PROG_LOAD || in->op == PROG_STORE || in->op == PROG_FOLD;
    if (gemm_op && st->simd)
      return prog__ierr(in, i, origin, err, "step", "a %s in SIMD step %d", program_opcode_name(in->op), in->step);
    if (gemm_op) {
      for (int d = 0; d < MAP_DIMS; d++)
        if (in->at[d] < 0 || in->len[d] < 1 || in->at[d] + in->len[d] > st->problem.dim[d])
          return prog__ierr(in, i, origin, err, "len", "the box leaves the step's %c extent %lld",
                            prog__dimc[d], (long long)st->problem.dim[d]);
    }
    if (in->op == PROG_LOAD || in->op == PROG_STORE) {
      if (in->op == PROG_STORE && in->operand != MAP_OP_OUTPUT)
        return prog__ierr(in, i, origin, err, "op", "only the output is stored");
      if (in->partial && in->operand != MAP_OP_OUTPUT)
        return prog__ierr(in, i, origin, err, "partial", "only output tiles are partial sums");
      if (st->problem.on_chip[in->operand])
        return prog__ierr(in, i, origin, err, "op", "the step keeps its %s on chip: no DMA",
                          prog__operands[in->operand]);
      if (in->buffer != st->mapping.buffer[in->operand])
        return prog__ierr(in, i, origin, err, "buf", "the step maps the %s to buffer %d, not %d",
                          prog__operands[in->operand], st->mapping.buffer[in->operand], in->buffer);
      const arch_buffer *b = &a->buffers[in->buffer];
      int slots = b->double_buffered ? 2 : 1;
      if (in->slot >= slots)
        return prog__ierr(in, i, origin, err, "slot", "buffer '%s' has %d slot%s (0..%d)", b->name,
                          slots, slots > 1 ? "s" : "", slots - 1);
      prog_counts c;
      memset(&c, 0, sizeof c);
      program_insn_count(p, a, in, &c);
      double bytes = c.dram_read_bytes + c.dram_write_bytes;
      double usable = b->double_buffered ? (double)b->size_bytes / 2 : (double)b->size_bytes;
      if (bytes > usable)
        return prog__ierr(in, i, origin, err, "len", "a tile of %.0f bytes does not fit a slot of buffer '%s' (%.0f bytes)",
                          bytes, b->name, usable);
    }
    if (in->op == PROG_FOLD) {
      for (int op = 0; op < MAP_OPS; op++) {
        int slots = a->buffers[st->mapping.buffer[op]].double_buffered ? 2 : 1;
        if (in->slots[op] >= slots)
          return prog__ierr(in, i, origin, err, "slots", "the %s's buffer '%s' has %d slot%s",
                            prog__operands[op], a->buffers[st->mapping.buffer[op]].name, slots,
                            slots > 1 ? "s" : "");
      }
    }
    if (in->op == PROG_SIMD && (in->buffer < 0 || (size_t)in->buffer >= a->n_buffers))
      return prog__ierr(in, i, origin, err, "buf", "buffer %d does not exist (arch '%s' has %zu)",
                        in->buffer, a->name, a->n_buffers);
  }
  return HEAT_OK;
}
