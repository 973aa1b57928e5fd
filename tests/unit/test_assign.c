/*
 * test_assign.c - the router's policies (fairness over 10,000 assignments,
 * capacity, availability, stickiness) and, against a real database, the queue
 * drain order, the maintained counters matching a recount after a random
 * mix of operations, and the writer's cache of the router's agents following
 * every change (in place, rolled back, by another process).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "desk_fixture.h"

#include "core/crypto.h"
#include "desk/actions.h"
#include "desk/analyze.h"
#include "desk/inboxes.h"
#include "desk/ingest.h"
#include "desk/router.h"
#include "desk/users.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static agent_row_t agent(int64_t id, const char *av, int64_t load, int64_t cap, int64_t last)
{
    return (agent_row_t){
        .user_id = id, .availability = av, .load = load, .capacity = cap, .last_assigned_at = last};
}

static void test_round_robin_is_fair(void **state)
{
    agent_row_t a[10];
    int got[10] = {0};
    for (int i = 0; i < 10; i++) a[i] = agent(i + 1, "online", 0, 1000000, 0);
    for (int round = 1; round <= 10000; round++) {
        int64_t pick = router_pick(POLICY_ROUND_ROBIN, a, 10, 0);
        assert_true(pick >= 1 && pick <= 10);
        got[pick - 1]++;
        a[pick - 1].last_assigned_at = round;
        a[pick - 1].load++;
    }
    for (int i = 0; i < 10; i++) assert_int_equal(got[i], 1000);
}

static void test_least_loaded_balances(void **state)
{
    agent_row_t a[5];
    int64_t loads[5] = {7, 0, 3, 3, 1};
    for (int i = 0; i < 5; i++) a[i] = agent(i + 1, "online", loads[i], 1000000, 0);
    for (int round = 1; round <= 10000; round++) {
        int64_t pick = router_pick(POLICY_LEAST_LOADED, a, 5, 0);
        a[pick - 1].load++;
        a[pick - 1].last_assigned_at = round;
        /* customers finish at random: a random agent with work resolves one */
        int r = rand() % 5;
        if (a[r].load > 0 && round % 2) a[r].load--;
        int64_t min = a[0].load, max = a[0].load;
        for (int i = 1; i < 5; i++) {
            if (a[i].load < min) min = a[i].load;
            if (a[i].load > max) max = a[i].load;
        }
        if (round > 100) assert_true(max - min <= 2);
    }
}

static void test_capacity_and_availability(void **state)
{
    agent_row_t a[4] = {agent(1, "online", 3, 3, 0), agent(2, "away", 0, 9, 0),
                        agent(3, "offline", 0, 9, 0), agent(4, "online", 1, 2, 50)};
    assert_int_equal(router_pick(POLICY_ROUND_ROBIN, a, 4, 0), 4);
    a[3].load = 2; /* full */
    assert_int_equal(router_pick(POLICY_ROUND_ROBIN, a, 4, 0), 0);
    assert_int_equal(router_pick(POLICY_LEAST_LOADED, a, 4, 0), 0);
    assert_int_equal(router_pick(POLICY_MANUAL, a, 4, 0), 0);
    assert_int_equal(router_pick(POLICY_ROUND_ROBIN, a, 0, 0), 0);
}

static void test_sticky(void **state)
{
    agent_row_t a[3] = {agent(1, "online", 0, 5, 0), agent(2, "online", 4, 5, 99),
                        agent(3, "online", 5, 5, 0)};
    /* the agent who served the customer last wins while eligible ... */
    assert_int_equal(router_pick(POLICY_LEAST_LOADED, a, 3, 2), 2);
    /* ... but not when full or away: the policy decides */
    assert_int_equal(router_pick(POLICY_LEAST_LOADED, a, 3, 3), 1);
    a[1].availability = "away";
    assert_int_equal(router_pick(POLICY_ROUND_ROBIN, a, 3, 2), 1);
    assert_int_equal(router_pick(POLICY_ROUND_ROBIN, a, 3, 77), 1);
}

/* ---- against a real store ------------------------------------------------ */

static desk_fixture_t fx;
static app_t app;
static config_t cfg;
static inbox_row_t inbox;
static int64_t users[3];

static int setup_db(void **state)
{
    int64_t account;
    fixture_open(&fx, &app, &cfg, "assign", 1800000000000, true, &account);
    parley_err_t err = {0};
    char gen[40];
    actor_t by = {.account_id = account, .kind = "cli", .user_id = 1};
    json_t *off = json_pack("{s:s}", "availability", "offline");
    assert_int_equal(user_update(&app, &by, 1, off, &err), 0);
    json_decref(off);
    for (int i = 0; i < 3; i++) {
        char email[64];
        snprintf(email, sizeof email, "agent%d@acme.test", i);
        user_new_t u = {
            .email = email, .role = "agent", .password = "agent-password-1", .capacity = 2};
        assert_int_equal(user_create(&app, &by, account, &u, gen, &users[i], &err), 0);
    }
    json_t *body =
        json_pack("{s:s, s:s, s:{s:s}, s:s}", "name", "API", "channel", "api", "settings",
                  "hmac_secret", "secret-secret-secret", "policy", "round_robin");
    fixture_inbox(&app, &by, body, &inbox);
    return 0;
}

static int teardown_db(void **state)
{
    (void)state;
    fixture_close(&fx, &app);
    return 0;
}

static int64_t ingest(const char *ext, const char *author, const char *body)
{
    ch_item_t it = {.kind = CH_ITEM_MESSAGE, .external_id = ext, .body = body};
    it.author.external_id = author;
    it.author.followers = -1;
    ingest_result_t res;
    parley_err_t err = {0};
    assert_int_equal(desk_ingest(&app, &inbox, &it, &res, &err), 0);
    app.clock.fixed_ms += 1000;
    return res.conversation_id;
}

static void set_online(int i, const char *av)
{
    actor_t by = {
        .account_id = inbox.account_id, .kind = "user", .id = users[i], .user_id = users[i]};
    json_t *p = json_pack("{s:s}", "availability", av);
    parley_err_t err = {0};
    assert_int_equal(user_update(&app, &by, users[i], p, &err), 0);
    json_decref(p);
}

static int64_t assignee_of(int64_t conv)
{
    arena_t a;
    arena_init(&a, 0);
    conv_row_t cv;
    assert_int_equal(app.store->ops->desk->conv_get(app.store->ops->reader(app.store),
                                                    inbox.account_id, conv, &a, &cv),
                     0);
    arena_free(&a);
    return cv.assignee_id;
}

static void test_queue_drains_by_priority_then_age(void **state)
{
    /* nobody online: everything queues */
    int64_t old_low = ingest("q1", "u1", "a question about my plan?");
    int64_t urgent = ingest("q2", "u2", "I will sue you, my lawyer is calling, this is a scam!");
    int64_t newer_low = ingest("q3", "u3", "another small question?");
    assert_int_equal(assignee_of(old_low), 0);
    /* agent 0 comes online with capacity 2: the urgent one first, then the oldest */
    set_online(0, "online");
    assert_int_equal(assignee_of(urgent), users[0]);
    assert_int_equal(assignee_of(old_low), users[0]);
    assert_int_equal(assignee_of(newer_low), 0);
    set_online(1, "online");
    assert_int_equal(assignee_of(newer_low), users[1]);
}

/* The counters must equal a recount of the rows after any mix of changes. */
static void test_counters_match_recount(void **state)
{
    set_online(2, "online");
    srand(7);
    actor_t sup = {.account_id = inbox.account_id, .kind = "user", .id = 1, .user_id = 1};
    parley_err_t err = {0};
    int64_t convs[40];
    int n = 0;
    for (int step = 0; step < 300; step++) {
        int op = rand() % 5;
        if (op == 0 || n == 0) {
            char ext[32], who[32];
            snprintf(ext, sizeof ext, "c%d", step);
            snprintf(who, sizeof who, "cust%d", rand() % 30);
            int64_t c = ingest(ext, who, "hello, any news on my order?");
            if (n < 40) convs[n++] = c;
        } else {
            int64_t c = convs[rand() % n];
            const char *statuses[] = {"open", "pending", "resolved"};
            json_t *p;
            if (op == 1) {
                p = json_pack("{s:s}", "status", statuses[rand() % 3]);
                desk_update_conversation(&app, &sup, c, p, &err);
                json_decref(p);
            } else if (op == 2) {
                desk_assign(&app, &sup, ROLE_SUPERVISOR, c, rand() % 2 ? users[rand() % 3] : 0,
                            false, &err);
            } else if (op == 3) {
                set_online(rand() % 3, rand() % 2 ? "online" : "away");
            } else {
                char ext[32];
                snprintf(ext, sizeof ext, "again%d", step);
                ingest(ext, "cust1", "me again");
            }
        }
        app.clock.fixed_ms += 500;
    }
    sqlite3 *db;
    assert_int_equal(sqlite3_open(fx.dbpath, &db), SQLITE_OK);
    sqlite3_stmt *st;
    const char *sql =
        "SELECT k.key, k.value, (SELECT count(*) FROM conversations c WHERE c.status ="
        "   substr(k.key, length(rtrim(k.key, 'abcdefghijklmnopqrstuvwxyz')) + 1)"
        "   AND CASE WHEN k.key LIKE 'all:%' THEN 1"
        "            WHEN k.key LIKE 'unassigned:%' THEN c.assignee_id IS NULL"
        "            ELSE c.assignee_id = CAST(substr(k.key, 6) AS INTEGER) END)"
        " FROM counters k";
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    int rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        rows++;
        if (sqlite3_column_int64(st, 1) != sqlite3_column_int64(st, 2))
            fail_msg("counter %s is %lld, recount %lld", sqlite3_column_text(st, 0),
                     (long long)sqlite3_column_int64(st, 1),
                     (long long)sqlite3_column_int64(st, 2));
    }
    sqlite3_finalize(st);
    /* every non-empty group has a counter */
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT count(*) FROM (SELECT status FROM conversations"
                                        " GROUP BY status) s WHERE NOT EXISTS (SELECT 1 FROM"
                                        " counters WHERE key = 'all:' || s.status)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    assert_true(rows > 5);
}

/* WhatsApp lets a business answer freely only within 24 hours of the
 * customer's last message; after that only a template may go out. */
static void test_whatsapp_window(void **state)
{
    parley_err_t err = {0};
    actor_t admin = {.account_id = inbox.account_id, .kind = "user", .id = 1, .user_id = 1};
    json_t *body =
        json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s}}", "name", "WA", "channel", "whatsapp",
                  "settings", "phone_number_id", "106540352242922", "app_secret", "app-secret",
                  "verify_token", "vt", "access_token", "token");
    int64_t id;
    assert_int_equal(inbox_create(&app, &admin, body, &id, &err), 0);
    json_decref(body);
    arena_t a;
    arena_init(&a, 0);
    inbox_row_t wa;
    assert_int_equal(app.store->ops->desk->inbox_get(app.store->ops->reader(app.store),
                                                     inbox.account_id, id, &a, &wa),
                     0);
    ch_item_t it = {.kind = CH_ITEM_MESSAGE, .external_id = "wamid.1", .body = "hello?"};
    it.author.external_id = "16505551234";
    it.author.followers = -1;
    ingest_result_t res;
    assert_int_equal(desk_ingest(&app, &wa, &it, &res, &err), 0);
    arena_free(&a);
    post_in_t in = {.body = "Thanks, we are on it.", .takeover = true};
    post_out_t out;
    app.clock.fixed_ms += 23LL * 3600 * 1000;
    assert_int_equal(desk_post_message(&app, &admin, res.conversation_id, &in, &out, &err), 0);
    app.clock.fixed_ms += 2LL * 3600 * 1000; /* 25 h after the customer wrote */
    assert_int_equal(desk_post_message(&app, &admin, res.conversation_id, &in, &out, &err),
                     PARLEY_EINVAL);
    assert_non_null(strstr(err.msg, "24 hours"));
    assert_string_equal(err.field, "/body");
}

/* ---- the writer's cache of agents_for (store/sqlite_desk.c) ---------------- */

typedef struct {
    int64_t user, delta, at;
    bool fail, all_online;
    agent_row_t rows[16]; /* availability not kept: the job's arena is gone */
    int n;
} cache_job_t;

/* In the writer's transaction: a counter move and/or an assignment stamp, then
 * the router's view (cached); fails after both when asked. */
static int cache_tx(store_conn_t *c, void *p)
{
    cache_job_t *j = p;
    const store_desk_ops_t *ops = app.store->ops->desk;
    char key[64];
    snprintf(key, sizeof key, "user:%lld:open", (long long)j->user);
    int rc = j->delta ? ops->counter_add(c, inbox.account_id, key, j->delta) : 0;
    if (!rc && j->at) rc = ops->agent_assigned(c, inbox.account_id, j->user, j->at);
    arena_t a;
    arena_init(&a, 0);
    agent_row_t *rows;
    if (!rc) rc = ops->agents_for(c, inbox.account_id, 0, &a, &rows, &j->n);
    if (!rc) memcpy(j->rows, rows, sizeof *rows * (size_t)(j->n < 16 ? j->n : 16));
    j->all_online = true;
    for (int i = 0; !rc && i < j->n; i++) {
        j->all_online = j->all_online && !strcmp(rows[i].availability, "online");
        j->rows[i].availability = NULL;
    }
    arena_free(&a);
    return rc ? rc : j->fail ? PARLEY_EINVAL : 0;
}

/* The writer's (cached) view after job j equals a fresh query on a reader. */
static void check_cache(cache_job_t j)
{
    j.fail = false;
    j.delta = 0, j.at = 0;
    assert_int_equal(app.store->ops->write(app.store, cache_tx, &j), 0);
    assert_true(j.all_online);
    arena_t a;
    arena_init(&a, 0);
    agent_row_t *fresh;
    int n;
    assert_int_equal(app.store->ops->desk->agents_for(app.store->ops->reader(app.store),
                                                      inbox.account_id, 0, &a, &fresh, &n),
                     0);
    assert_int_equal(j.n, n);
    for (int i = 0; i < n; i++) {
        assert_int_equal(j.rows[i].user_id, fresh[i].user_id);
        assert_int_equal(j.rows[i].load, fresh[i].load);
        assert_int_equal(j.rows[i].capacity, fresh[i].capacity);
        assert_int_equal(j.rows[i].last_assigned_at, fresh[i].last_assigned_at);
    }
    arena_free(&a);
}

static int64_t load_of(const cache_job_t *j, int64_t user)
{
    for (int i = 0; i < j->n; i++)
        if (j->rows[i].user_id == user) return j->rows[i].load;
    return -1;
}

static void external(const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(fx.dbpath, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void test_router_cache_follows_every_change(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++) set_online(i, "online");
    cache_job_t j = {.user = users[0]};
    assert_int_equal(app.store->ops->write(app.store, cache_tx, &j), 0); /* fills the cache */
    int64_t before = load_of(&j, users[0]);
    assert_true(before >= 0 && j.n == 3);
    check_cache(j);
    /* moved in place: the same job sees it, and so does the next one */
    j = (cache_job_t){.user = users[0], .delta = 3};
    assert_int_equal(app.store->ops->write(app.store, cache_tx, &j), 0);
    assert_int_equal(load_of(&j, users[0]), before + 3);
    check_cache(j);
    /* a failing job's move is rolled back, in the cache too */
    j = (cache_job_t){.user = users[0], .delta = 5, .at = 777, .fail = true};
    assert_int_equal(app.store->ops->write(app.store, cache_tx, &j), PARLEY_EINVAL);
    assert_int_equal(load_of(&j, users[0]), before + 8); /* seen inside the job */
    check_cache(j);
    j.fail = false;
    assert_int_equal(app.store->ops->write(app.store, cache_tx, &j), 0);
    assert_int_equal(load_of(&j, users[0]), before + 8);
    check_cache(j);
    /* the assignment stamp */
    j = (cache_job_t){.user = users[1], .at = 1800000123456};
    assert_int_equal(app.store->ops->write(app.store, cache_tx, &j), 0);
    check_cache(j);
    /* another process: an agent goes offline, a counter is rewritten */
    char sql[160];
    snprintf(sql, sizeof sql, "UPDATE users SET availability = 'offline' WHERE id = %lld",
             (long long)users[2]);
    external(sql);
    j = (cache_job_t){.user = users[0]};
    check_cache(j);
    snprintf(sql, sizeof sql,
             "UPDATE counters SET value = 42 WHERE account_id = %lld AND key = 'user:%lld:open'",
             (long long)inbox.account_id, (long long)users[0]);
    external(sql);
    check_cache(j);
    /* through the desk: availability */
    set_online(1, "away");
    check_cache(j);
    set_online(1, "online");
    set_online(2, "online");
    check_cache(j);
}

/* ---- conv_update: the assignee-only statement and the full one ------------ */

typedef struct {
    int64_t conv;
    int field; /* which other field changes with the assignee, -1 none */
    int64_t user;
    conv_row_t after;
} upd_ctx_t;

static int upd_tx(store_conn_t *c, void *p)
{
    upd_ctx_t *x = p;
    const store_desk_ops_t *ops = app.store->ops->desk;
    arena_t a;
    arena_init(&a, 0);
    conv_row_t before, in;
    int rc = ops->conv_get(c, inbox.account_id, x->conv, &a, &before);
    if (rc) goto done;
    in = before;
    in.assignee_id = x->user;
    in.updated_at = before.updated_at + 1;
    switch (x->field) {
    case 0: in.status = strcmp(before.status, "pending") ? "pending" : "open"; break;
    case 1: in.priority = (before.priority + 1) % 4; break;
    case 2: in.subject = "a new subject"; break;
    case 3: in.waiting_since = before.waiting_since + 7; break;
    case 4: in.last_message_at = before.last_message_at + 9; break;
    case 5: in.first_reply_at = before.first_reply_at + 11; break;
    case 6: in.snoozed_until = before.snoozed_until + 13; break;
    case 7: in.resolved_at = before.resolved_at + 17; break;
    case 8: in.opened_at = before.opened_at + 19; break;
    default: break;
    }
    if ((rc = ops->conv_update(c, &before, &in))) goto done;
    rc = ops->conv_get(c, inbox.account_id, x->conv, &a, &x->after);
    if (!rc) { /* copy the strings out of the arena */
        static char status[16], subject[128];
        snprintf(status, sizeof status, "%s", x->after.status);
        snprintf(subject, sizeof subject, "%s", x->after.subject);
        x->after.status = status;
        x->after.subject = subject;
        assert_int_equal(x->after.version, before.version + 1);
        assert_int_equal(x->after.updated_at, in.updated_at);
        assert_int_equal(x->after.assignee_id, in.assignee_id);
        assert_string_equal(x->after.status, in.status);
        assert_int_equal(x->after.priority, in.priority);
        assert_string_equal(x->after.subject, in.subject);
        assert_int_equal(x->after.waiting_since, in.waiting_since);
        assert_int_equal(x->after.last_message_at, in.last_message_at);
        assert_int_equal(x->after.first_reply_at, in.first_reply_at);
        assert_int_equal(x->after.snoozed_until, in.snoozed_until);
        assert_int_equal(x->after.resolved_at, in.resolved_at);
        assert_int_equal(x->after.opened_at, in.opened_at);
    }
done:
    arena_free(&a);
    return rc;
}

/* A change of the assignee alone takes the short statement; the same change
 * with any other field takes the full one: every field lands either way. */
static void test_conv_update_keeps_every_field(void **state)
{
    (void)state;
    int64_t conv = ingest("upd-1", "upd-customer", "update me please");
    for (int field = -1; field <= 8; field++) {
        for (int k = 0; k < 2; k++) {
            upd_ctx_t x = {.conv = conv, .field = field, .user = k ? 0 : users[(field + 3) % 3]};
            assert_int_equal(app.store->ops->write(app.store, upd_tx, &x), 0);
        }
    }
}

int main(void)
{
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_round_robin_is_fair),
        cmocka_unit_test(test_least_loaded_balances),
        cmocka_unit_test(test_capacity_and_availability),
        cmocka_unit_test(test_sticky),
    };
    const struct CMUnitTest db[] = {
        cmocka_unit_test(test_queue_drains_by_priority_then_age),
        cmocka_unit_test(test_counters_match_recount),
        cmocka_unit_test(test_whatsapp_window),
        cmocka_unit_test(test_router_cache_follows_every_change),
        cmocka_unit_test(test_conv_update_keeps_every_field),
    };
    int rc = cmocka_run_group_tests(pure, NULL, NULL);
    return rc | cmocka_run_group_tests(db, setup_db, teardown_db);
}
