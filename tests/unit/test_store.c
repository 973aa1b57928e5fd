/*
 * test_store.c - the SQLite back end: migrations, users, sessions, tokens,
 * the hash-chained event log under concurrent writers, version refusal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "db_files.h"

#include "core/crypto.h"
#include "desk/users.h"
#include "store/stats.h"
#include "store/store.h"

#include <pthread.h>
#include <semaphore.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char dbpath[64];

static int setup(void **state)
{
    snprintf(dbpath, sizeof dbpath, "/tmp/parley-store-%d.db", getpid());
    unlink(dbpath);
    crypto_init();
    crypto_password_light(true);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    db_files_remove(dbpath);
    return 0;
}

static void test_migrate_twice(void **state)
{
    store_t *st;
    parley_err_t err = {0};
    assert_int_equal(store_open_sqlite(dbpath, &st, &err), 0);
    int v;
    assert_int_equal(st->ops->schema_version(st, &v), 0);
    assert_int_equal(v, store_latest_version());
    store_close(st);
    /* Opening again applies nothing and keeps the version. */
    assert_int_equal(store_open_sqlite(dbpath, &st, &err), 0);
    assert_int_equal(st->ops->schema_version(st, &v), 0);
    assert_int_equal(v, store_latest_version());
    assert_int_equal(st->ops->ping(st), 0);
    store_close(st);
}

static void test_newer_database_refused(void **state)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO schema_migrations(version,name,applied_at)"
                                  " VALUES (999,'999_future.sql',0)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    store_t *st;
    parley_err_t err = {0};
    assert_int_equal(store_open_sqlite(dbpath, &st, &err), PARLEY_EVERSION);
    assert_non_null(strstr(err.msg, "newer Parley"));
    assert_null(st);
    assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
    sqlite3_exec(db, "DELETE FROM schema_migrations WHERE version = 999", NULL, NULL, NULL);
    sqlite3_close(db);
}

static void test_users_and_credentials(void **state)
{
    store_t *st;
    parley_err_t err = {0};
    assert_int_equal(store_open_sqlite(dbpath, &st, &err), 0);
    app_t app = {.store = st};
    char generated[40] = "";
    int64_t acc;
    assert_int_equal(account_bootstrap(&app, "Acme", "boss@acme.test", NULL, generated, &acc, &err),
                     0);
    assert_true(strlen(generated) >= 20);
    /* The same e-mail twice is refused, with the field named. */
    assert_int_equal(
        account_bootstrap(&app, "Other", "BOSS@acme.test", NULL, generated, &acc, &err),
        PARLEY_EEXIST);
    arena_t a;
    arena_init(&a, 0);
    user_row_t u;
    assert_int_equal(st->ops->user_get_by_email(st->ops->reader(st), "Boss@Acme.Test", &a, &u), 0);
    assert_string_equal(u.role, "admin");
    assert_true(u.must_change_password);
    assert_true(crypto_password_verify(u.password_hash, generated, strlen(generated)));
    /* Another account cannot see this user by id. */
    user_row_t other;
    assert_int_equal(st->ops->user_get(st->ops->reader(st), acc + 1, u.id, &a, &other),
                     PARLEY_ENOENT);

    /* The last admin can not be demoted. */
    actor_t by = {.account_id = acc, .kind = "user", .id = u.id, .user_id = u.id};
    json_t *patch = json_pack("{s:s}", "role", "agent");
    assert_int_equal(user_update(&app, &by, u.id, patch, &err), PARLEY_ECONFLICT);
    json_decref(patch);
    /* A short password is refused; a wrong current password too. */
    assert_int_equal(user_change_password(&app, &by, generated, "short", &err), PARLEY_EINVAL);
    assert_int_equal(user_change_password(&app, &by, "wrong-password!", "a much longer one", &err),
                     PARLEY_EAUTH);
    assert_int_equal(user_change_password(&app, &by, generated, "a much longer one", &err), 0);
    arena_free(&a);
    store_close(st);
}

typedef struct {
    store_t *st;
    int n;
} writer_arg_t;

static int append_tx(store_conn_t *c, void *p)
{
    writer_arg_t *w = p;
    event_new_t e = {.account_id = 1,
                     .actor_kind = "system",
                     .type = "test.event",
                     .subject_kind = "test",
                     .subject_id = w->n};
    return w->st->ops->event_append(c, &e, 1000 + w->n, NULL);
}

static void *writer(void *p)
{
    writer_arg_t *w = p;
    for (int i = 0; i < 50; i++) {
        writer_arg_t x = {.st = w->st, .n = w->n * 1000 + i};
        assert_int_equal(w->st->ops->write(w->st, append_tx, &x), 0);
        /* Readers on this thread see committed data. */
        arena_t a;
        arena_init(&a, 0);
        event_filter_t f = {.account_id = 1, .limit = 1};
        event_row_t *rows;
        int n;
        assert_int_equal(w->st->ops->event_list(w->st->ops->reader(w->st), &f, &a, &rows, &n), 0);
        arena_free(&a);
    }
    return NULL;
}

typedef struct {
    char prev[65];
    int count, bad;
} chain_t;

static int check_link(const event_row_t *e, void *p)
{
    chain_t *c = p;
    char h[65];
    store_event_hash(e, h);
    if (strcmp(e->prev_hash, c->prev) || strcmp(h, e->hash)) {
        c->bad = (int)e->id;
        return 1;
    }
    memcpy(c->prev, e->hash, 65);
    c->count++;
    return 0;
}

static void test_event_chain_concurrent(void **state)
{
    store_t *st;
    parley_err_t err = {0};
    assert_int_equal(store_open_sqlite(dbpath, &st, &err), 0);
    pthread_t th[4];
    writer_arg_t args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (writer_arg_t){.st = st, .n = i + 1};
        pthread_create(&th[i], NULL, writer, &args[i]);
    }
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    chain_t c = {.prev = "0000000000000000000000000000000000000000000000000000000000000000"};
    assert_int_equal(st->ops->event_walk(st->ops->reader(st), check_link, &c), 0);
    assert_true(c.count >= 200);

    /* Filtering by type prefix and paging by cursor. */
    arena_t a;
    arena_init(&a, 0);
    event_filter_t f = {.account_id = 1, .type = "test.", .limit = 10};
    event_row_t *rows;
    int n;
    assert_int_equal(st->ops->event_list(st->ops->reader(st), &f, &a, &rows, &n), 0);
    assert_int_equal(n, 10);
    f.after_id = rows[9].id;
    assert_int_equal(st->ops->event_list(st->ops->reader(st), &f, &a, &rows, &n), 0);
    assert_true(rows[0].id > f.after_id);
    arena_free(&a);
    store_close(st);

    /* One altered byte in a payload breaks the chain at that row. */
    sqlite3 *db;
    sqlite3_open(dbpath, &db);
    sqlite3_exec(db, "UPDATE events SET payload = '{\"x\":1}' WHERE id = 7", NULL, NULL, NULL);
    sqlite3_close(db);
    assert_int_equal(store_open_sqlite(dbpath, &st, &err), 0);
    chain_t c2 = {.prev = "0000000000000000000000000000000000000000000000000000000000000000"};
    assert_int_equal(st->ops->event_walk(st->ops->reader(st), check_link, &c2), 1);
    assert_int_equal(c2.bad, 7);
    store_close(st);
}

/* ---- group commit under contention ---------------------------------------- */

enum { GC_THREADS = 16, GC_WRITES = 150 };

typedef struct {
    store_t *st;
    int thread;
    int failed_ok; /* failing jobs that came back failed */
    int bad;       /* any other surprise */
} gc_arg_t;

typedef struct {
    store_t *st;
    int64_t subject;
    bool fail;
} gc_job_t;

/* Appends an event, then fails when asked: the job must roll back alone. */
static int gc_tx(store_conn_t *c, void *p)
{
    gc_job_t *j = p;
    event_new_t e = {.account_id = 1,
                     .actor_kind = "system",
                     .type = j->fail ? "gc.failed" : "gc.kept",
                     .subject_kind = "test",
                     .subject_id = j->subject};
    int rc = j->st->ops->event_append(c, &e, 5000 + j->subject, NULL);
    return rc ? rc : j->fail ? PARLEY_EINVAL : 0;
}

static void *gc_writer(void *p)
{
    gc_arg_t *w = p;
    for (int i = 0; i < GC_WRITES; i++) {
        gc_job_t j = {.st = w->st, .subject = w->thread * 10000 + i, .fail = (i % 7) == 3};
        int rc = w->st->ops->write(w->st, gc_tx, &j);
        if (j.fail && rc == PARLEY_EINVAL)
            w->failed_ok++;
        else if (rc != (j.fail ? PARLEY_EINVAL : 0))
            w->bad++;
    }
    return NULL;
}

static int count_kept(const event_row_t *e, void *p)
{
    int *seen = p; /* [thread * GC_WRITES + i] */
    if (!strcmp(e->type, "gc.failed")) return 1;
    if (strcmp(e->type, "gc.kept")) return 0;
    int t = (int)(e->subject_id / 10000), i = (int)(e->subject_id % 10000);
    if (t < 1 || t > GC_THREADS || i >= GC_WRITES) return 1;
    seen[(t - 1) * GC_WRITES + i]++;
    return 0;
}

/* Sixteen threads write at once, a seventh of the jobs failing: every call
 * gets its own answer, a failed job leaves nothing, every good one is stored
 * exactly once, the chain holds, and jobs shared commits (the lead passed
 * between threads and a leader ran several batches). */
static void test_group_commit_contention(void **state)
{
    (void)state;
    db_files_remove(dbpath); /* a fresh chain: the test before tampered with its own */
    store_t *st;
    parley_err_t err = {0};
    assert_int_equal(store_open_sqlite(dbpath, &st, &err), 0);
    store_stats_t before, after;
    store_stats_get(&before);
    pthread_t th[GC_THREADS];
    gc_arg_t args[GC_THREADS];
    for (int i = 0; i < GC_THREADS; i++) {
        args[i] = (gc_arg_t){.st = st, .thread = i + 1};
        assert_int_equal(pthread_create(&th[i], NULL, gc_writer, &args[i]), 0);
    }
    for (int i = 0; i < GC_THREADS; i++) pthread_join(th[i], NULL);
    store_stats_get(&after);
    int failing = 0;
    for (int i = 0; i < GC_WRITES; i++) failing += (i % 7) == 3;
    for (int i = 0; i < GC_THREADS; i++) {
        assert_int_equal(args[i].bad, 0);
        assert_int_equal(args[i].failed_ok, failing);
    }
    int *seen = calloc(GC_THREADS * GC_WRITES, sizeof *seen);
    assert_int_equal(st->ops->event_walk(st->ops->reader(st), count_kept, seen), 0);
    for (int t = 0; t < GC_THREADS; t++)
        for (int i = 0; i < GC_WRITES; i++)
            assert_int_equal(seen[t * GC_WRITES + i], (i % 7) == 3 ? 0 : 1);
    free(seen);
    chain_t c = {.prev = "0000000000000000000000000000000000000000000000000000000000000000"};
    assert_int_equal(st->ops->event_walk(st->ops->reader(st), check_link, &c), 0);
    uint64_t writes = after.writes - before.writes, batches = after.batches - before.batches;
    assert_int_equal(writes, GC_THREADS * GC_WRITES);
    assert_true(batches < writes); /* commits were shared */
    assert_true(after.batch_ns > before.batch_ns);
    store_close(st);
}

/* ---- the lead passes on ----------------------------------------------------- */

enum { RELAY = 9 };

typedef struct {
    store_t *st;
    sem_t go[RELAY]; /* thread i may submit its job */
    int rc[RELAY];
    int order[RELAY];
    int ran;
} relay_t;

typedef struct {
    relay_t *r;
    int i;
} relay_arg_t;

/* Runs inside the batch: lets the next thread submit, then stays long enough
 * for that job to queue behind this batch, so every batch holds one job and
 * a leader ends its turn with one job waiting. */
static int relay_tx(store_conn_t *c, void *p)
{
    relay_arg_t *a = p;
    (void)c;
    a->r->order[a->r->ran++] = a->i;
    if (a->i + 1 < RELAY) {
        sem_post(&a->r->go[a->i + 1]);
        usleep(30000);
    }
    return 0;
}

static void *relay_thread(void *p)
{
    relay_arg_t *a = p;
    sem_wait(&a->r->go[a->i]);
    a->r->rc[a->i] = a->r->st->ops->write(a->r->st, relay_tx, a);
    return NULL;
}

/* Nine writers, each let in by the job before it: the first leader runs its
 * batches and must hand the lead to the job left waiting (nobody else would
 * ever come to run it); all nine finish, in order, within seconds. */
static void test_group_commit_hands_the_lead(void **state)
{
    (void)state;
    store_t *st;
    parley_err_t err = {0};
    assert_int_equal(store_open_sqlite(dbpath, &st, &err), 0);
    relay_t r = {.st = st};
    pthread_t th[RELAY];
    relay_arg_t args[RELAY];
    for (int i = 0; i < RELAY; i++) {
        sem_init(&r.go[i], 0, 0);
        args[i] = (relay_arg_t){.r = &r, .i = i};
        assert_int_equal(pthread_create(&th[i], NULL, relay_thread, &args[i]), 0);
    }
    sem_post(&r.go[0]);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 20;
    for (int i = 0; i < RELAY; i++) assert_int_equal(pthread_timedjoin_np(th[i], NULL, &until), 0);
    assert_int_equal(r.ran, RELAY);
    for (int i = 0; i < RELAY; i++) {
        assert_int_equal(r.rc[i], 0);
        assert_int_equal(r.order[i], i);
        sem_destroy(&r.go[i]);
    }
    store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrate_twice),
        cmocka_unit_test(test_newer_database_refused),
        cmocka_unit_test(test_users_and_credentials),
        cmocka_unit_test(test_event_chain_concurrent),
        cmocka_unit_test(test_group_commit_contention),
        cmocka_unit_test(test_group_commit_hands_the_lead),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
