/*
 * report_cube.h - how the report rollups are laid out and written.
 *
 * Every fact the rollups produce (counters and duration samples of one
 * account x UTC hour x inbox x channel x agent x team x priority) is kept
 * at three time levels (the hour, its UTC day, its UTC month) and in 17
 * cuboids: the full cross product, the total (every dimension folded), one
 * per dimension and one per pair of dimensions (the others folded). A report
 * then reads the coarsest rows that answer it: a year's summary is 12 month
 * rows of the total, a year by agent of one priority 12 x 50 rows of the
 * agent x priority cuboid; only queries naming three dimensions or more read
 * the cross product, still at month and day level where the period allows.
 *
 * The duration histograms live in the same row, as one BLOB per row (a
 * sorted list of (metric x bucket, n, sum_ms) in varints) merged by the SQL
 * function parley_hist_merge; so a row carries everything a report needs.
 *
 * Facts are buffered (report_cube_t) and written once per group commit to
 * their own rows of a small table, report_recent (the cross product at hour
 * level: a commit dirties a few pages, not the 51 rows' pages of the cube);
 * the store folds that table into the cube, where rows of the same unit
 * merge into one upsert each, once it holds REPORT_RECENT_FOLD_AT rows. A
 * read sums both. Bulk writers (a rebuild, a migration, the bench's fill)
 * write the cube directly. Owned by the store; desk/rollups.c decides the
 * facts, desk/reports.c reads the sums.
 *
 * Labels: report_label_rollups keeps, per label, the sum of the
 * contributions of the conversations carrying it (report_cube_conv: the
 * facts of the conversation's report_conversations row, at its creation
 * hour and current dimensions), in 7 cuboids (the total, each dimension,
 * the cross product) x 3 levels. The store keeps it equal to the sum over
 * conversation_labels x report_conversations: a label attached adds the
 * conversation's contribution, a label removed subtracts it, and a changed
 * report_conversations row of a labelled conversation moves it (old out,
 * new in). Its histogram blobs hold signed counts (zigzag varints; merged by
 * parley_hist_merge_signed, entries that cancel out dropped), and a row
 * whose conversations all left (received 0) is deleted by a trigger.
 */
#ifndef PARLEY_STORE_REPORT_CUBE_H
#define PARLEY_STORE_REPORT_CUBE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store_reports.h"

/* Cuboids: the dimensions a row keeps (a bit each); folded ones hold
 * CUBE_ALL (integers) or CUBE_ALL_CHANNEL. */
enum {
    CUBE_INBOX = 1,
    CUBE_CHANNEL = 2,
    CUBE_AGENT = 4,
    CUBE_TEAM = 8,
    CUBE_PRIORITY = 16,
    CUBE_FULL = 31
};
#define CUBE_ALL         (-1)
#define CUBE_ALL_CHANNEL "*"
#define CUBE_NCUBOIDS    17 /* 0, the five dimensions, the ten pairs, CUBE_FULL */

/* The cuboids kept, at every level. */
extern const int cube_cuboids[CUBE_NCUBOIDS];
/* The cuboids a label's rows keep: the total, each dimension, the cross product. */
#define CUBE_NLABEL_CUBOIDS 7
extern const int cube_label_cuboids[CUBE_NLABEL_CUBOIDS];

/* Levels: a row's `start` is the UTC hour (since the epoch) its unit begins. */
enum { CUBE_HOUR, CUBE_DAY, CUBE_MONTH, CUBE_LEVELS };

/* The start hour of the level's unit holding hour h, and of the next unit. */
int64_t cube_start(int level, int64_t h);
int64_t cube_next(int level, int64_t start);

/* report_recent holding this many rows is folded into the cube. */
#define REPORT_RECENT_FOLD_AT 1024

/* Facts waiting to be written. */
typedef struct report_cube report_cube_t;

report_cube_t *report_cube_new(void);
void report_cube_free(report_cube_t *b);
/* Counter deltas of one hourly fact (k->hour is the UTC hour; k->label_id
 * non-zero: a label's fact, for report_label_rollups). */
void report_cube_add(report_cube_t *b, const rollup_key_t *k, const int64_t v[RC_COUNT]);
/* n samples summing sum_ms into bucket of metric, for the fact k. */
void report_cube_hist(report_cube_t *b, const rollup_key_t *k, int metric, int bucket, int64_t n,
                      int64_t sum_ms);
/* The contribution of conversation r to label_id's rows, added (sign 1) or
 * taken out (sign -1). */
void report_cube_conv(report_cube_t *b, int64_t label_id, const rconv_t *r, int sign);
/* Whether a and b contribute the same to a label (same facts, same row). */
bool report_cube_conv_same(const rconv_t *a, const rconv_t *b);
/* Facts buffered; how many flushes so far (a job that fails rolls its facts
 * back with report_cube_truncate, to 0 when a flush happened meanwhile). */
size_t report_cube_len(const report_cube_t *b);
unsigned report_cube_flushes(const report_cube_t *b);
/* Whether a label's fact is buffered (its table is then needed). */
bool report_cube_has_labels(const report_cube_t *b);
void report_cube_truncate(report_cube_t *b, size_t len);

/* The upserts the flushes run (prepare them on the connection written); the
 * label expectation's goes to temp.report_label_expect (`reports verify`). */
extern const char report_cube_upsert_sql[];
extern const char report_recent_upsert_sql[];
extern const char report_label_upsert_sql[];
extern const char report_label_expect_upsert_sql[];
/* Writes every buffered fact to all its rows (one upsert per distinct row;
 * labels' facts through label_upsert) and empties the buffer. Returns an
 * SQLite result code (SQLITE_MISUSE: a label's fact and no label_upsert). */
int report_cube_flush(report_cube_t *b, sqlite3_stmt *upsert, sqlite3_stmt *label_upsert);
/* Writes every buffered fact to its own row of report_recent (the cross
 * product's hour; one upsert per distinct row; labels' facts to all their
 * rows), adds the rows it created to *inserted, and empties the buffer. */
int report_cube_flush_recent(report_cube_t *b, sqlite3_stmt *upsert, sqlite3_stmt *label_upsert,
                             int64_t *inserted);

/* Registers parley_hist_merge(a, b) (the union of two histogram blobs),
 * parley_hist_merge_signed (of two label blobs) and parley_hist_n(blob,
 * metric) (its sample count) on db. */
int report_cube_register(sqlite3 *db);

/* Calls fn for each entry of a histogram blob (sig: a label row's) in
 * (metric, bucket) order. Returns -1 on a malformed blob. */
int report_cube_hist_walk(const void *blob, size_t len, bool sig,
                          void (*fn)(void *ctx, int metric, int bucket, int64_t n, int64_t sum_ms),
                          void *ctx);

/* Adds a histogram blob into dense arrays (the report reads' hot loop);
 * -1 on a malformed blob (what was added before stays). */
int report_cube_hist_add(const void *blob, size_t len, bool sig,
                         int64_t hn[HM_COUNT][REPORT_BUCKETS],
                         int64_t hs[HM_COUNT][REPORT_BUCKETS]);

#endif
