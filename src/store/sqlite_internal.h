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

#define SQ_MAX_STMTS 96

typedef struct sqlite_store sqlite_store_t;

struct store_conn {
    sqlite3 *db;
    sqlite_store_t *owner;
    store_conn_t *next;      /* every connection, for closing */
    int64_t events_appended; /* in the current batch (writer only) */
    int n_stmts;
    struct {
        const char *sql; /* keyed by address: queries are static strings */
        sqlite3_stmt *stmt;
    } stmts[SQ_MAX_STMTS];
};

struct sqlite_store {
    store_t base;
    char *path;
    store_conn_t *writer;
    pthread_mutex_t write_lock;
    pthread_cond_t write_cond;
    struct write_job *queue; /* jobs waiting for the next batch */
    bool leader_active;
    void (*commit_hook)(void *arg);
    void *commit_arg;
    pthread_key_t reader_key;
    pthread_mutex_t conns_lock;
    store_conn_t *conns;
};

void sq__close(store_t *st);
int sq__ping(store_t *st);
int sq__schema_version(store_t *st, int *version);
store_conn_t *sq__reader(store_t *st);
int sq__write(store_t *st, int (*fn)(store_conn_t *c, void *ctx), void *ctx);

/* A cached, reset statement for sql (a static string), or NULL (logged). */
sqlite3_stmt *sq__prep(store_conn_t *c, const char *sql);
/* Maps an SQLite result code to a PARLEY_E* code (logging unexpected ones). */
int sq__rc(store_conn_t *c, int rc);

#endif
