/*
 * sqlite_internal.h - what sqlite.c and sqlite_queries.c share (never included
 * outside src/store).
 */
#ifndef PARLEY_STORE_SQLITE_INTERNAL_H
#define PARLEY_STORE_SQLITE_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <sqlite3.h>

#include "core/clock.h"
#include "core/log.h"
#include "store/stats.h"
#include "store/store.h"

#define SQ_MAX_STMTS       256
#define SQ_MAX_DEAD_LABELS 16

typedef struct sqlite_store sqlite_store_t;

/* A growable list of row ids. */
typedef struct {
    int64_t *v;
    size_t n, cap;
} sq_ids_t;

struct store_conn {
    sqlite3 *db;
    sqlite_store_t *owner;
    store_conn_t *next;      /* every connection, for closing */
    int64_t events_appended; /* in the current batch (writer only) */
    /* The chain's last event (id, hash) as this batch appended it: the next
     * append links to it without reading it back. Forgotten at each batch's
     * start and when a job rolls back (writer only). */
    bool chain_known;
    int64_t chain_id;
    char chain_hash[65];
    /* Full-text work of the current batch (writer only), done once before its
     * COMMIT: FTS5 writes its pending terms at every savepoint, so indexing
     * inside each job's savepoint would write one index segment per message. */
    sq_ids_t fts_messages, fts_contacts;
    /* Report rollup facts not yet written (sqlite_reports.c, report_cube.h):
     * written once per batch, before its COMMIT. */
    struct report_cube *cube;
    /* The per-conversation report rows written in this batch, upserted once
     * before its COMMIT (rconv_cache.h; writer only). */
    struct rconv_cache *rconvs;
    /* Rows in report_recent as this connection knows them (writer only;
     * another process's writes make it low: the fold only comes later). */
    int64_t recent_n;
    bool recent_known;
    bool folding; /* a fold under way: one chunk after each commit */
    /* Labels deleted in the current batch (more than SQ_MAX_DEAD_LABELS: all
     * gone ones): their report rows are dropped again after the flush. */
    struct {
        int64_t account_id, label_id;
    } dead_labels[SQ_MAX_DEAD_LABELS];
    int n_dead_labels;
    /* The router's agents per account and team (writer only; sqlite_desk.c). */
    struct agent_cache *agents;
    int n_stmts;
    struct {
        const char *sql; /* keyed by address: queries are static strings */
        sqlite3_stmt *stmt;
    } stmts[SQ_MAX_STMTS];
};

/* Where a job's buffered report facts began (a failing job drops its own). */
typedef struct {
    size_t len;
    unsigned flushes;
    size_t rconvs; /* the report rows' undo log */
} sq_mark_t;

int sq__reports_flush(store_conn_t *c);
void sq__reports_mark(store_conn_t *c, sq_mark_t *m);
void sq__reports_rewind(store_conn_t *c, const sq_mark_t *m);
void sq__reports_forget(store_conn_t *c);
/* After a commit: folds report_recent into the cube, in a transaction of its
 * own, once it holds REPORT_RECENT_FOLD_AT rows (report_cube.h). */
void sq__reports_maintain(store_conn_t *c);
/* Drops the router's cached agents (their inputs changed or rolled back). */
void sq__agents_forget(store_conn_t *c);
void sq__agents_free(store_conn_t *c);
/* Migration 012's step in C (the rows of 005's tables into the cube). */
int sq__migrate_012(store_conn_t *c);
/* Migration 014's: the label rollups from the labels already attached. */
int sq__migrate_014(store_conn_t *c);
/* A label attached to (sign 1) or removed from (-1) a conversation: its
 * contribution to the label's report rows (sqlite_desk.c calls it). */
int sq__reports_label_moved(store_conn_t *c, int64_t conversation_id, int64_t label_id, int sign);
/* A label deleted: its report rows go. */
int sq__reports_label_deleted(store_conn_t *c, int64_t account_id, int64_t label_id);

struct sqlite_store {
    store_t base;
    char *path;
    store_conn_t *writer;
    pthread_mutex_t write_lock;
    struct write_job *queue; /* jobs waiting for the next batch */
    bool leader_active;
    struct {
        void (*fn)(void *arg);
        void *arg;
    } hooks[STORE_MAX_HOOKS];
    pthread_key_t reader_key;
    pthread_mutex_t conns_lock;
    /* the background checkpointer (see sqlite.c) */
    store_conn_t *ckpt_conn;
    pthread_t ckpt_thread;
    pthread_mutex_t ckpt_lock;
    pthread_cond_t ckpt_cond;
    bool ckpt_wanted, ckpt_stop, ckpt_running;
    store_conn_t *conns;
};

void sq__close(store_t *st);
int sq__ping(store_t *st);
int sq__schema_version(store_t *st, int *version);
store_conn_t *sq__reader(store_t *st);
int sq__write(store_t *st, int (*fn)(store_conn_t *c, void *ctx), void *ctx);

/* A cached, reset statement for sql (a static string), or NULL (logged). */
sqlite3_stmt *sq__prep(store_conn_t *c, const char *sql);
/* Prepares (cached) and binds by a format: 'i' int64_t, 's' const char * (NULL
 * binds NULL), 'z' int64_t where 0 binds NULL, 'b' a blob (const void *, size_t). */
sqlite3_stmt *sq__q(store_conn_t *c, const char *sql, const char *fmt, ...);
/* Steps a statement that returns no rows; resets it. */
int sq__run(store_conn_t *c, sqlite3_stmt *st);
/* Steps to the one expected row: 0 with a row (reset it after reading),
 * PARLEY_ENOENT without. */
int sq__one(store_conn_t *c, sqlite3_stmt *st);
const char *sq__col_str(sqlite3_stmt *st, int i, arena_t *a);
int64_t sq__col_i(sqlite3_stmt *st, int i);

/* Maps an SQLite result code to a PARLEY_E* code (logging unexpected ones). */
int sq__rc(store_conn_t *c, int rc);

/* Defers full-text indexing of a message / a contact to the end of the batch
 * (sq__fts_flush, run by the batch before its COMMIT). */
void sq__fts_defer_message(store_conn_t *c, int64_t id);
void sq__fts_defer_contact(store_conn_t *c, int64_t id);
int sq__fts_flush(store_conn_t *c);
void sq__fts_forget(store_conn_t *c);

#endif
