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
#include "store/store.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrate_twice),
        cmocka_unit_test(test_newer_database_refused),
        cmocka_unit_test(test_users_and_credentials),
        cmocka_unit_test(test_event_chain_concurrent),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
