/* SRAM banks and ports as plain functions (no simulation kernel): the SystemC model's array
 * process calls them to time a fold's buffer traffic, and tests call them directly.
 *
 * A buffer of `banks` banks, `access_bytes` wide, is word-interleaved: the word at byte address
 * A is word A / access_bytes and lives in bank (A / access_bytes) mod banks. The buffer's port
 * moves bytes_per_cycle bytes per cycle, all banks together, so one bank serves
 * bytes_per_cycle / (banks x access_bytes) accesses per cycle (the bank rate). Every slot of a
 * step's tile starts on a bank-row boundary (bank 0).
 *
 * A requester reads or writes a buffer as `lanes` parallel streams, one element per lane per
 * cycle; each access fetches one word of a lane (the array edge keeps the rest of the word). A
 * wave is one word per lane: lanes whose words fall in the same bank queue on it, so a wave
 * takes (the most words any one bank holds) / bank rate cycles. Lanes whose data is contiguous
 * (lane pitch <= one word, or one lane: DMA and SIMD transfers) sweep the banks in turn and are
 * conflict-free: they are limited by the port alone.
 *
 * Where a fold's lanes sit is the step's layout (mapper/program.h, `layout=`):
 *   vector  each array-edge vector (the elements all lanes take in one cycle) is contiguous:
 *           what heat's mapper emits; conflict-free by construction.
 *   row     every operand row-major in its slot, input [b][m][k], weight [b][k][n], output
 *           [b][m][n], rows as long as the step's tile: lanes that are rows are one tile row
 *           apart, and conflict when that pitch in words shares factors with the bank count.
 * Lane dimension of each operand (the dimension spread over the array edge):
 *   os  input m (rows), weight n (cols), output n (drained by columns)
 *   ws  input k (rows), weight n (stationary rows loaded as vectors), output n (cols)
 *   is  input m (stationary, loaded as vectors across the cols), weight k (rows), output m */
#ifndef HEAT_SIM_SRAM_H
#define HEAT_SIM_SRAM_H

#include <stdint.h>

#include "arch/arch.h"
#include "mapper/fold.h"
#include "mapper/program.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One operand's traffic of one instruction in one buffer. */
typedef struct sram_stream {
  double bytes;      /* moved */
  int64_t lanes;     /* parallel lanes (>= 1) */
  double pitch;      /* bytes between consecutive lanes' data */
} sram_stream;

/* The time a stream occupies its buffer, in cycles. */
typedef struct sram_time {
  double port;     /* bytes / bytes_per_cycle: the port's share */
  double ideal;    /* the banks with the lanes spread as evenly as possible (>= port when
                      fewer lanes than banks are active per wave) */
  double banks;    /* the banks with the lanes where the layout puts them (>= ideal) */
  int64_t degree;  /* most words of one wave in one bank (1: conflict-free) */
} sram_time;

/* Bank of byte address `addr`. */
int sram_bank_of(const arch_buffer *b, double addr);

/* Most words of one wave that fall in one bank: lane l reads the word at l x pitch, and later
 * waves shift every lane by one word (the same pattern, rotated). */
int64_t sram_conflict_degree(const arch_buffer *b, int64_t lanes, double pitch);

/* Times of one stream. A contiguous stream (lanes == 1 or pitch <= access_bytes) has
 * degree 1 and banks == ideal == port. */
void sram_stream_time(const arch_buffer *b, const sram_stream *s, sram_time *out);

/* The fold's stream of each operand (index enum map_operand) under the step's layout; bytes
 * from the fold's SCALE-Sim counts (fs, of the instruction's box), as program_insn_count
 * charges them. An operand the fold does not touch has bytes 0. */
void sram_fold_streams(const arch *a, const prog_step *st, const prog_insn *in,
                       const fold_stats *fs, sram_stream out[MAP_OPS]);

/* A fold's occupancy of every buffer (its streams of one buffer take turns): port[j] = its
 * bytes / bytes_per_cycle (what the analytical model charges), busy[j] = the sum over its
 * streams of max(port, banks), conflict[j] = the part of busy[j] due to bank conflicts (each
 * stream's banks - max(port, ideal)); busy - port - conflict is banks left idle by too few
 * lanes, a port limit. */
void sram_fold_time(const arch *a, const prog_step *st, const prog_insn *in,
                    const fold_stats *fs, double port[ARCH_MAX_BUFFERS],
                    double busy[ARCH_MAX_BUFFERS], double conflict[ARCH_MAX_BUFFERS]);

/* A buffer port shared over time: the port moves bytes_per_cycle bytes per cycle, and each
 * requester draws a share of it at its own pace (a fold reads its operands spread over its run,
 * a DMA transfer writes at the DRAM channel's rate, a SIMD op at its lanes' rate). The calendar
 * is the share in use over future time, piecewise constant; a booking takes, from its start,
 * min(its pace, the share left) per cycle until it has its port time, so requesters that fit
 * beside each other run together and one that does not is stretched (first booked, first
 * served). Times and amounts are in cycles of the whole port. Segment i covers
 * [t[i], t[i + 1]) (the last one up to infinity) with share used[i] in use. */
#define SRAM_PORT_SEGMENTS 64
typedef struct sram_port {
  int n;
  double t[SRAM_PORT_SEGMENTS];
  double used[SRAM_PORT_SEGMENTS];
} sram_port;

/* An idle port from time `at` on. */
void sram_port_reset(sram_port *p, double at);

/* Books `need` cycles of the whole port from `from` at no more than `pace` of it per cycle
 * (0 < pace <= 1; need <= 0 books nothing and returns from) and returns when the booking ends:
 * from + need / pace when nothing else is booked then. */
double sram_port_book(sram_port *p, double from, double need, double pace);

/* When a requester that takes whatever the bookings leave (up to the whole port per cycle) has
 * had `need` cycles of the port, starting at `from` (>= the calendar's start); it books
 * nothing. The array's folds fetch so: they yield to the paced units (sram_port_book). */
double sram_port_leftover_until(const sram_port *p, double from, double need);

/* Drops the calendar before `now` (no later booking or leftover query starts earlier). */
void sram_port_prune(sram_port *p, double now);

#ifdef __cplusplus
}
#endif
#endif
