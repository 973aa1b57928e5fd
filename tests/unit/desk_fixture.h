/*
 * desk_fixture.h - the database the desk's unit tests stand on (included by
 * test_assign.c, test_sla.c, test_rollups.c, test_digest.c after cmocka.h):
 * a fresh SQLite file with a fixed key and clock, the account "Acme" with its
 * admin boss@acme.test (user 1), inboxes read back into rows that outlive
 * their arena, and the clean-up.
 */
#ifndef PARLEY_TESTS_DESK_FIXTURE_H
#define PARLEY_TESTS_DESK_FIXTURE_H

#include "core/crypto.h"
#include "desk/analyze.h"
#include "desk/inboxes.h"
#include "desk/users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    char dbpath[64];
    config_t *cfg;
} desk_fixture_t;

/* Opens /tmp/parley-<name>-<pid>.db into app with the clock at now_ms (and the
 * analyzer when with_analyzer) and bootstraps Acme; *account is its id. */
static inline void fixture_open(desk_fixture_t *fx, app_t *app, config_t *cfg, const char *name,
                                int64_t now_ms, bool with_analyzer, int64_t *account)
{
    snprintf(fx->dbpath, sizeof fx->dbpath, "/tmp/parley-%s-%d.db", name, getpid());
    fx->cfg = cfg;
    unlink(fx->dbpath);
    crypto_init();
    crypto_password_light(true);
    config_defaults(cfg);
    free(cfg->db);
    cfg->db = strdup(fx->dbpath);
    parley_err_t err = {0};
    assert_int_equal(store_open_sqlite(fx->dbpath, &app->store, &err), 0);
    app->cfg = cfg;
    app->clock.fixed_ms = now_ms;
    assert_int_equal(crypto_key_from_hex("00112233445566778899aabbccddeeff00112233445566778899aa"
                                         "bbccddeeff",
                                         app->key),
                     0);
    if (with_analyzer) {
        app->analyzer = analyzer_new(&err);
        assert_non_null(app->analyzer);
    }
    char gen[40];
    assert_int_equal(
        account_bootstrap(app, "Acme", "boss@acme.test", "boss-password-1", gen, account, &err), 0);
}

/* Creates the inbox body describes (body is consumed) and reads it into *out;
 * its strings are copied to storage of this call site's own, so the row
 * outlives the arena it was read with (one inbox per test file). */
static inline void fixture_inbox(app_t *app, const actor_t *by, json_t *body, inbox_row_t *out)
{
    static char name[16], channel[16], policy[16];
    parley_err_t err = {0};
    int64_t id;
    assert_int_equal(inbox_create(app, by, body, &id, &err), 0);
    json_decref(body);
    arena_t a;
    arena_init(&a, 0);
    assert_int_equal(app->store->ops->desk->inbox_get(app->store->ops->reader(app->store),
                                                      by->account_id, id, &a, out),
                     0);
    snprintf(name, sizeof name, "%s", out->name);
    snprintf(channel, sizeof channel, "%s", out->channel);
    snprintf(policy, sizeof policy, "%s", out->policy);
    out->name = name;
    out->channel = channel;
    out->policy = policy;
    out->settings = NULL;
    out->hours = NULL;
    arena_free(&a);
}

/* Frees what fixture_open made and removes the database with its WAL files. */
static inline void fixture_close(desk_fixture_t *fx, app_t *app)
{
    if (app->analyzer) analyzer_free(app->analyzer);
    app->analyzer = NULL;
    store_close(app->store);
    config_free(fx->cfg);
    char p[80];
    unlink(fx->dbpath);
    snprintf(p, sizeof p, "%s-wal", fx->dbpath);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", fx->dbpath);
    unlink(p);
}

#endif
