/*
 * sqlite.c - the SQLite back end of store_ops_t: connections and transactions.
 *
 * Owns the writer connection (one, behind a mutex: SQLite allows one writer
 * at a time, so Parley queues writers itself instead of spinning on
 * SQLITE_BUSY), one read connection per thread (WAL lets them read while the
 * writer writes), the prepared-statement caches and the migrations. The
 * queries themselves live in sqlite_queries.c.
 */
#include "store/rconv_cache.h"
#include "store/report_cube.h"
#include "store/sqlite_internal.h"

#include "core/blob.h"
#include "core/mem.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void checkpointer_stop(sqlite_store_t *s);

extern const parley_blob_t parley_migrations[];
extern const unsigned parley_migrations_count;

/* Process-wide settings, before the first connection: no memory statistics
 * (each of SQLite's allocations otherwise takes a global mutex to count it;
 * Parley never reads them). Fails harmlessly when SQLite already started. */
static void sqlite_configure(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static int conn_open(sqlite_store_t *s, store_conn_t **out, parley_err_t *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, sqlite_configure);
    store_conn_t *c = xcalloc(1, sizeof *c);
    c->owner = s;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(s->path, &c->db, flags, NULL) != SQLITE_OK) {
        parley_errf(err, PARLEY_EIO, "db", "cannot open database %s: %s", s->path,
                    c->db ? sqlite3_errmsg(c->db) : "out of memory");
        sqlite3_close(c->db);
        free(c);
        return PARLEY_EIO;
    }
    sqlite3_busy_timeout(c->db, 5000);
    sqlite3_extended_result_codes(c->db, 1);
    report_cube_register(c->db); /* the report rows' histogram merge */
    /* No mmap (mmap_size stays 0): in WAL mode a connection that begins a
     * read after any commit unmaps its whole mapping (SQLite's pager resets
     * on a changed WAL) and faults it back in, so under writes every reader
     * paid a munmap with a TLB shootdown per request (8% of the ingest
     * profile; ingest +9% without it, reads on the 1M database unchanged:
     * bench/RESULTS.md, 2026-11-26 fourth session). */
    const char *pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                          " PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;";
    char *msg = NULL;
    if (sqlite3_exec(c->db, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
        parley_errf(err, PARLEY_EIO, "db", "cannot prepare database %s: %s", s->path,
                    msg ? msg : "?");
        sqlite3_free(msg);
        sqlite3_close(c->db);
        free(c);
        return PARLEY_EIO;
    }
    pthread_mutex_lock(&s->conns_lock);
    c->next = s->conns;
    s->conns = c;
    pthread_mutex_unlock(&s->conns_lock);
    *out = c;
    return 0;
}

static void conn_close(store_conn_t *c)
{
    free(c->fts_messages.v);
    free(c->fts_contacts.v);
    report_cube_free(c->cube);
    rconv_cache_free(c->rconvs);
    sq__agents_free(c);
    for (int i = 0; i < c->n_stmts; i++) sqlite3_finalize(c->stmts[i].stmt);
    sqlite3_close(c->db);
    free(c);
}

sqlite3_stmt *sq__prep(store_conn_t *c, const char *sql)
{
    for (int i = 0; i < c->n_stmts; i++)
        if (c->stmts[i].sql == sql) {
            sqlite3_stmt *st = c->stmts[i].stmt;
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            return st;
        }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        log_line_t l;
        log_begin(&l, LOG_ERROR, "store.prepare_failed", NULL);
        log_str(&l, "error", sqlite3_errmsg(c->db));
        log_str(&l, "sql", sql);
        log_end(&l);
        return NULL;
    }
    if (c->n_stmts < SQ_MAX_STMTS) {
        c->stmts[c->n_stmts].sql = sql;
        c->stmts[c->n_stmts].stmt = st;
        c->n_stmts++;
    } else {
        /* The cache is sized for every query in sqlite_queries.c; running out is a bug. */
        abort();
    }
    return st;
}

int sq__rc(store_conn_t *c, int rc)
{
    switch (rc) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW: return 0;
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY: return PARLEY_EEXIST;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
    case SQLITE_CONSTRAINT_CHECK:
    case SQLITE_CONSTRAINT_NOTNULL: return PARLEY_EINVAL;
    case SQLITE_BUSY: /* another process held the lock past the busy timeout */
    case SQLITE_LOCKED: return PARLEY_EBUSY;
    default: {
        log_line_t l;
        log_begin(&l, LOG_ERROR, "store.error", NULL);
        log_str(&l, "error", sqlite3_errmsg(c->db));
        log_int(&l, "code", rc);
        log_end(&l);
        return PARLEY_EIO;
    }
    }
}

store_conn_t *sq__reader(store_t *st)
{
    sqlite_store_t *s = (sqlite_store_t *)st;
    store_conn_t *c = pthread_getspecific(s->reader_key);
    if (c) return c;
    if (conn_open(s, &c, NULL)) return NULL;
    pthread_setspecific(s->reader_key, c);
    return c;
}

static int exec_simple(store_conn_t *c, const char *sql)
{
    return sq__rc(c, sqlite3_exec(c->db, sql, NULL, NULL, NULL));
}

/* A statement run per job (SAVEPOINT, RELEASE): prepared once, not parsed each time. */
static int exec_cached(store_conn_t *c, const char *sql)
{
    sqlite3_stmt *st = sq__prep(c, sql);
    if (!st) return PARLEY_EIO;
    int s = sqlite3_step(st);
    sqlite3_reset(st);
    return s == SQLITE_DONE ? 0 : sq__rc(c, s);
}

/*
 * Group commit. Writers queue their job and wait; whoever finds no batch in
 * progress becomes the leader, takes every queued job, runs each inside its
 * own SAVEPOINT of one transaction (a failing job rolls back alone), commits
 * once (one fsync for the whole batch) and wakes the others. Under load a
 * batch holds many jobs, so durable writes cost one fsync per batch, not per
 * request; alone, a job is its own batch with no added delay.
 *
 * Each waiting writer sleeps on its own condition and is woken only when its
 * job is done or when it is handed the lead: a commit wakes the writers it
 * served, not every waiting thread. A leader goes on with the jobs queued
 * meanwhile for up to LEAD_BATCHES batches (it is running already; handing
 * the lead over costs a wake-up and a scheduling delay per batch: +4% api
 * ingest in 5 of 5 alternating pairs, p99 +5 ms), then hands the lead to the
 * oldest waiting job, so its own request waits at most that many batches.
 */
enum { LEAD_BATCHES = 4 };

typedef struct write_job {
    int (*fn)(store_conn_t *c, void *ctx);
    void *ctx;
    int rc;
    bool done;
    bool lead; /* handed the lead by the previous leader */
    pthread_cond_t wake;
    struct write_job *next;
} write_job_t;

static void run_batch(sqlite_store_t *s, write_job_t *batch)
{
    store_conn_t *c = s->writer;
    int64_t t0 = clock_mono_ns();
    c->events_appended = 0;
    c->chain_known = false;
    int rc = exec_simple(c, "BEGIN IMMEDIATE");
    for (write_job_t *j = batch; j; j = j->next) {
        if (rc) {
            j->rc = rc;
            continue;
        }
        if ((j->rc = exec_cached(c, "SAVEPOINT job")) != 0) continue;
        int64_t appended = c->events_appended;
        sq_mark_t facts;
        sq__reports_mark(c, &facts);
        j->rc = j->fn(c, j->ctx);
        if (j->rc) {
            exec_simple(c, "ROLLBACK TO job");
            c->events_appended = appended;
            c->chain_known = false;
            sq__reports_rewind(c, &facts);
            sq__agents_forget(c);
        }
        exec_cached(c, "RELEASE job");
    }
    if (rc == 0 && (rc = sq__reports_flush(c)) != 0)
        for (write_job_t *j = batch; j; j = j->next)
            if (j->rc == 0) j->rc = rc;
    sq__reports_forget(c);
    if (rc == 0 && (rc = sq__fts_flush(c)) != 0)
        for (write_job_t *j = batch; j; j = j->next)
            if (j->rc == 0) j->rc = rc;
    sq__fts_forget(c);
    if (rc == 0 && (rc = exec_simple(c, "COMMIT")) != 0) {
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
        for (write_job_t *j = batch; j; j = j->next)
            if (j->rc == 0) j->rc = rc;
    }
    if (rc != 0) {
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
        sq__agents_forget(c);
    }
    if (rc == 0 && c->events_appended)
        for (int i = 0; i < STORE_MAX_HOOKS; i++)
            if (s->hooks[i].fn) s->hooks[i].fn(s->hooks[i].arg);
    if (rc == 0) sq__reports_maintain(c);
    store_stats_add_batch(clock_mono_ns() - t0);
}

int sq__write(store_t *st, int (*fn)(store_conn_t *c, void *ctx), void *ctx)
{
    sqlite_store_t *s = (sqlite_store_t *)st;
    int64_t t0 = clock_mono_ns();
    write_job_t job = {.fn = fn, .ctx = ctx, .wake = PTHREAD_COND_INITIALIZER};
    pthread_mutex_lock(&s->write_lock);
    /* Append at the tail: jobs run in arrival order. */
    write_job_t **tail = &s->queue;
    while (*tail) tail = &(*tail)->next;
    *tail = &job;
    while (!job.done) {
        if (!job.lead && s->leader_active) {
            pthread_cond_wait(&job.wake, &s->write_lock);
            continue;
        }
        s->leader_active = true; /* (already, when handed the lead) */
        job.lead = false;
        /* The first batch holds this job (it is queued, or was handed the lead). */
        for (int round = 0; s->queue && round < LEAD_BATCHES; round++) {
            write_job_t *batch = s->queue;
            s->queue = NULL;
            pthread_mutex_unlock(&s->write_lock);
            run_batch(s, batch);
            pthread_mutex_lock(&s->write_lock);
            for (write_job_t *j = batch, *next; j; j = next) {
                next = j->next;
                j->done = true;
                if (j != &job) pthread_cond_signal(&j->wake);
            }
        }
        if (s->queue) { /* the lead passes to the oldest waiting job */
            s->queue->lead = true;
            pthread_cond_signal(&s->queue->wake);
        } else {
            s->leader_active = false;
        }
    }
    pthread_mutex_unlock(&s->write_lock);
    pthread_cond_destroy(&job.wake);
    store_stats_add_write(clock_mono_ns() - t0);
    return job.rc;
}

void store_set_commit_hook(store_t *st, void (*fn)(void *arg), void *arg)
{
    /* Kept for one-reader callers: replaces that reader's hook. */
    store_remove_commit_hook(st, arg);
    if (fn) store_add_commit_hook(st, fn, arg);
}

int store_add_commit_hook(store_t *st, void (*fn)(void *arg), void *arg)
{
    sqlite_store_t *s = (sqlite_store_t *)st;
    pthread_mutex_lock(&s->write_lock);
    int rc = PARLEY_ELIMIT;
    for (int i = 0; i < STORE_MAX_HOOKS && rc; i++)
        if (!s->hooks[i].fn) {
            s->hooks[i].fn = fn;
            s->hooks[i].arg = arg;
            rc = 0;
        }
    pthread_mutex_unlock(&s->write_lock);
    return rc;
}

void store_remove_commit_hook(store_t *st, void *arg)
{
    sqlite_store_t *s = (sqlite_store_t *)st;
    pthread_mutex_lock(&s->write_lock);
    for (int i = 0; i < STORE_MAX_HOOKS; i++)
        if (s->hooks[i].fn && s->hooks[i].arg == arg) s->hooks[i].fn = NULL;
    pthread_mutex_unlock(&s->write_lock);
}

int sq__ping(store_t *st)
{
    store_conn_t *c = sq__reader(st);
    if (!c) return PARLEY_EIO;
    sqlite3_stmt *q = sq__prep(c, "SELECT 1");
    if (!q) return PARLEY_EIO;
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    return rc == SQLITE_ROW ? 0 : PARLEY_EIO;
}

static int read_version(store_conn_t *c, int *version)
{
    *version = 0;
    sqlite3_stmt *q = sq__prep(c, "SELECT coalesce(max(version), 0) FROM schema_migrations");
    if (!q) return PARLEY_EIO;
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) *version = sqlite3_column_int(q, 0);
    sqlite3_reset(q);
    return rc == SQLITE_ROW ? 0 : sq__rc(c, rc);
}

int sq__schema_version(store_t *st, int *version)
{
    store_conn_t *c = sq__reader(st);
    return c ? read_version(c, version) : PARLEY_EIO;
}

void sq__close(store_t *st)
{
    sqlite_store_t *s = (sqlite_store_t *)st;
    checkpointer_stop(s);
    store_conn_t *c = s->conns;
    while (c) {
        store_conn_t *next = c->next;
        conn_close(c);
        c = next;
    }
    pthread_key_delete(s->reader_key);
    pthread_mutex_destroy(&s->write_lock);
    pthread_mutex_destroy(&s->conns_lock);
    pthread_mutex_destroy(&s->ckpt_lock);
    pthread_cond_destroy(&s->ckpt_cond);
    free(s->path);
    free(s);
}

int store_latest_version(void)
{
    int v = 0;
    for (unsigned i = 0; i < parley_migrations_count; i++) {
        int n = atoi(parley_migrations[i].name);
        if (n > v) v = n;
    }
    return v;
}

static int migrate(store_conn_t *c, parley_err_t *err)
{
    int rc = exec_simple(c, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                            " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                            " applied_at INTEGER NOT NULL)");
    if (rc) return parley_errf(err, rc, "db", "cannot create schema_migrations");
    int have;
    if ((rc = read_version(c, &have)))
        return parley_errf(err, rc, "db", "cannot read the schema version");
    int latest = store_latest_version();
    if (have > latest)
        return parley_errf(err, PARLEY_EVERSION, "db",
                           "this database has schema version %d, written by a newer Parley; "
                           "this binary knows up to %d: upgrade parley or use a backup",
                           have, latest);
    /* Migrations are numbered and applied in order, one transaction each. */
    for (int v = have + 1; v <= latest; v++) {
        const parley_blob_t *m = NULL;
        for (unsigned i = 0; i < parley_migrations_count; i++)
            if (atoi(parley_migrations[i].name) == v) m = &parley_migrations[i];
        if (!m) return parley_errf(err, PARLEY_EIO, "db", "migration %03d is missing", v);
        if ((rc = exec_simple(c, "BEGIN IMMEDIATE")))
            return parley_errf(err, rc, "db", "cannot start migration %s", m->name);
        int now_have;
        if ((rc = read_version(c, &now_have))) goto fail;
        if (now_have >= v) { /* another process got there first */
            exec_simple(c, "COMMIT");
            continue;
        }
        char *msg = NULL;
        if (sqlite3_exec(c->db, m->data, NULL, NULL, &msg) != SQLITE_OK) {
            parley_errf(err, PARLEY_EIO, "db", "migration %s failed: %s", m->name, msg ? msg : "?");
            sqlite3_free(msg);
            sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
            return PARLEY_EIO;
        }
        /* the steps SQL cannot do, in the migration's transaction */
        if (v == 12 && (rc = sq__migrate_012(c))) goto fail;
        if (v == 14 && (rc = sq__migrate_014(c))) goto fail;
        sqlite3_stmt *q = sq__prep(
            c, "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)");
        if (!q) goto fail;
        sqlite3_bind_int(q, 1, v);
        sqlite3_bind_text(q, 2, m->name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 3, clock_now_ms(NULL));
        if ((rc = sq__rc(c, sqlite3_step(q)))) goto fail;
        if ((rc = exec_simple(c, "COMMIT"))) goto fail;
        log_line_t l;
        log_begin(&l, LOG_INFO, "store.migrated", NULL);
        log_str(&l, "migration", m->name);
        log_end(&l);
        continue;
    fail:
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
        return parley_errf(err, PARLEY_EIO, "db", "migration %s failed: %s", m->name,
                           sqlite3_errmsg(c->db));
    }
    return 0;
}

/*
 * Checkpoints run on their own thread and connection: SQLite's automatic
 * checkpoint would otherwise run inside the committing writer, adding a sync
 * of the database file to the latency of every batch that crosses the
 * threshold. The writer's WAL hook counts pages and wakes this thread; a
 * PASSIVE checkpoint never blocks the writer or readers.
 */
#define CHECKPOINT_PAGES 1000

static int on_wal_commit(void *arg, sqlite3 *db, const char *name, int pages)
{
    sqlite_store_t *s = arg;
    if (pages >= CHECKPOINT_PAGES) {
        pthread_mutex_lock(&s->ckpt_lock);
        s->ckpt_wanted = true;
        pthread_cond_signal(&s->ckpt_cond);
        pthread_mutex_unlock(&s->ckpt_lock);
    }
    return SQLITE_OK;
}

static void *checkpointer(void *p)
{
    sqlite_store_t *s = p;
    pthread_mutex_lock(&s->ckpt_lock);
    for (;;) {
        while (!s->ckpt_wanted && !s->ckpt_stop) pthread_cond_wait(&s->ckpt_cond, &s->ckpt_lock);
        if (s->ckpt_stop) break;
        s->ckpt_wanted = false;
        pthread_mutex_unlock(&s->ckpt_lock);
        int log_pages = 0, done_pages = 0;
        sqlite3_wal_checkpoint_v2(s->ckpt_conn->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log_pages,
                                  &done_pages);
        pthread_mutex_lock(&s->ckpt_lock);
    }
    pthread_mutex_unlock(&s->ckpt_lock);
    return NULL;
}

static void checkpointer_stop(sqlite_store_t *s)
{
    if (!s->ckpt_running) return;
    pthread_mutex_lock(&s->ckpt_lock);
    s->ckpt_stop = true;
    pthread_cond_signal(&s->ckpt_cond);
    pthread_mutex_unlock(&s->ckpt_lock);
    pthread_join(s->ckpt_thread, NULL);
    s->ckpt_running = false;
    /* Leave the database tidy: fold the WAL back in while nobody writes. */
    sqlite3_wal_checkpoint_v2(s->ckpt_conn->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
}

extern const store_ops_t sq__ops;

int store_open_sqlite(const char *path, store_t **out, parley_err_t *err)
{
    *out = NULL;
    sqlite_store_t *s = xcalloc(1, sizeof *s);
    s->base.ops = &sq__ops;
    s->path = xstrdup(path);
    pthread_mutex_init(&s->write_lock, NULL);
    pthread_mutex_init(&s->conns_lock, NULL);
    pthread_key_create(&s->reader_key, NULL);
    pthread_mutex_init(&s->ckpt_lock, NULL);
    pthread_cond_init(&s->ckpt_cond, NULL);
    int rc = conn_open(s, &s->writer, err);
    if (rc == 0) rc = migrate(s->writer, err);
    if (rc == 0 && conn_open(s, &s->ckpt_conn, NULL) == 0) {
        sqlite3_exec(s->writer->db, "PRAGMA wal_autocheckpoint=0", NULL, NULL, NULL);
        /* The writer's page cache: 64 MiB (SQLite's default is 2 MiB), so the
         * pages every ingest touches (indexes on random keys: identities,
         * external ids, FTS segments) stay in memory between batches. */
        sqlite3_exec(s->writer->db, "PRAGMA cache_size=-65536", NULL, NULL, NULL);
        sqlite3_wal_hook(s->writer->db, on_wal_commit, s);
        s->ckpt_running = pthread_create(&s->ckpt_thread, NULL, checkpointer, s) == 0;
        if (!s->ckpt_running) {
            /* No thread: let SQLite checkpoint inside commits as usual. */
            sqlite3_wal_hook(s->writer->db, NULL, NULL);
            sqlite3_exec(s->writer->db, "PRAGMA wal_autocheckpoint=1000", NULL, NULL, NULL);
        }
    }
    if (rc) {
        sq__close(&s->base);
        return rc;
    }
    *out = &s->base;
    return 0;
}
