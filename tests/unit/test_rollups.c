/*
 * test_rollups.c - report rollups (src/desk/rollups.c, reports.c) against a
 * real database with the injected clock. Every expected value is worked out
 * by hand below from the Paris office calendar (Mon-Fri 08:00-20:00,
 * Europe/Paris = UTC+1 in March 2026, holiday Thursday 2026-03-12):
 * a conversation opened before hours, one answered after the holiday, one
 * paused while pending, one reopened, one transferred, one answered by a bot
 * first and one handled by the bot alone. Then the summary and the
 * verification replay of the event log.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "desk_fixture.h"

#include "core/crypto.h"
#include "core/tzfile.h"
#include "desk/actions.h"
#include "desk/analyze.h"
#include "desk/hours.h"
#include "desk/inboxes.h"
#include "desk/ingest.h"
#include "desk/reports.h"
#include "desk/rollups.h"
#include "desk/users.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIN_MS  60000LL
#define HOUR_MS 3600000LL

static int64_t utc(int y, int mo, int d, int h, int mi)
{
    return (tz_days_from_civil(y, mo, d) * 1440 + h * 60 + mi) * MIN_MS;
}

static desk_fixture_t fx;
static app_t app;
static config_t cfg;
static inbox_row_t inbox;
static int64_t account, alice, bob, sup;

static actor_t as(int64_t id, const char *role)
{
    return (actor_t){.account_id = account, .kind = "user", .id = id, .user_id = id, .role = role};
}

static int setup_db(void **state)
{
    (void)state;
    fixture_open(&fx, &app, &cfg, "rollups", utc(2026, 3, 2, 9, 0), true, &account);
    parley_err_t err = {0};
    char gen[40];
    actor_t by = {.account_id = account, .kind = "cli", .user_id = 1};
    user_new_t u = {.email = "alice@acme.test", .role = "agent", .password = "agent-password-1"};
    assert_int_equal(user_create(&app, &by, account, &u, gen, &alice, &err), 0);
    u.email = "bob@acme.test";
    assert_int_equal(user_create(&app, &by, account, &u, gen, &bob, &err), 0);
    u.email = "sue@acme.test";
    u.role = "supervisor";
    assert_int_equal(user_create(&app, &by, account, &u, gen, &sup, &err), 0);
    const char *cal = "{\"name\":\"Paris office\",\"timezone\":\"Europe/Paris\",\"weekly\":{"
                      "\"mon\":[[\"08:00\",\"20:00\"]],\"tue\":[[\"08:00\",\"20:00\"]],"
                      "\"wed\":[[\"08:00\",\"20:00\"]],\"thu\":[[\"08:00\",\"20:00\"]],"
                      "\"fri\":[[\"08:00\",\"20:00\"]]},\"holidays\":[{\"date\":\"2026-03-12\"}]}";
    json_t *cj = json_loads(cal, 0, NULL);
    int64_t bh_id;
    assert_int_equal(hours_create(&app, &by, cj, &bh_id, &err), 0);
    json_decref(cj);
    json_t *body = json_pack("{s:s, s:s, s:{s:s}, s:s, s:I}", "name", "API", "channel", "api",
                             "settings", "hmac_secret", "secret-secret-secret", "policy", "manual",
                             "business_hours_id", (json_int_t)bh_id);
    fixture_inbox(&app, &by, body, &inbox);
    return 0;
}

static int teardown_db(void **state)
{
    (void)state;
    fixture_close(&fx, &app);
    return 0;
}

static int64_t at(int64_t t)
{
    app.clock.fixed_ms = t;
    return t;
}

static int seq;

static int64_t customer(const char *who, const char *body)
{
    char ext[32];
    snprintf(ext, sizeof ext, "m%d", ++seq);
    ch_item_t it = {.kind = CH_ITEM_MESSAGE, .external_id = ext, .body = body};
    it.author.external_id = who;
    it.author.followers = -1;
    ingest_result_t res;
    parley_err_t err = {0};
    assert_int_equal(desk_ingest(&app, &inbox, &it, &res, &err), 0);
    return res.conversation_id;
}

static void reply(int64_t conv, int64_t agent, bool note)
{
    actor_t by = as(agent, "agent");
    post_in_t in = {
        .body = note ? "a note" : "Thanks, we are on it.", .note = note, .takeover = true};
    post_out_t out;
    parley_err_t err = {0};
    assert_int_equal(desk_post_message(&app, &by, conv, &in, &out, &err), 0);
}

static void set_status(int64_t conv, const char *status)
{
    actor_t by = as(sup, "supervisor");
    json_t *patch = json_pack("{s:s}", "status", status);
    parley_err_t err = {0};
    assert_int_equal(desk_update_conversation(&app, &by, conv, patch, &err), 0);
    json_decref(patch);
}

static void assign(int64_t conv, int64_t user)
{
    actor_t by = as(sup, "supervisor");
    parley_err_t err = {0};
    assert_int_equal(desk_assign(&app, &by, ROLE_SUPERVISOR, conv, user, false, &err), 0);
}

/* A bot answer: there is no bot module yet, so its event is written the way
 * one will write it (message.created, kind "bot", author kind "bot"). */
typedef struct {
    int64_t conv;
} bot_ctx_t;

static int bot_tx(store_conn_t *c, void *p)
{
    bot_ctx_t *x = p;
    actor_t sys = {.account_id = account, .kind = "system"};
    char now[32];
    clock_format_iso(app_now(&app), now);
    return desk_event(c, &app, &sys, "message.created", "message", 0,
                      json_pack("{s:{s:I, s:s, s:s, s:s, s:{s:s, s:I}, s:s}}", "message",
                                "conversation_id", (json_int_t)x->conv, "direction", "out", "kind",
                                "bot", "visibility", "private", "author", "kind", "bot", "id",
                                (json_int_t)0, "created_at", now));
}

static void bot(int64_t conv)
{
    bot_ctx_t x = {.conv = conv};
    assert_int_equal(app.store->ops->write(app.store, bot_tx, &x), 0);
}

static rconv_t facts(int64_t conv)
{
    rconv_t r;
    assert_int_equal(app.store->ops->reports->conv_get(app.store->ops->reader(app.store), conv, &r),
                     0);
    return r;
}

/* ---- the cases ---------------------------------------------------------------- */

/* Tue 2026-03-10 06:00 UTC is 07:00 in Paris, an hour before opening. */
static void test_opened_before_hours(void **state)
{
    (void)state;
    int64_t t0 = at(utc(2026, 3, 10, 6, 0));
    int64_t c = customer("early", "Hello, my order is late");
    at(t0 + 90 * MIN_MS); /* 08:30 Paris */
    reply(c, alice, false);
    at(t0 + 120 * MIN_MS); /* 09:00 Paris */
    set_status(c, "resolved");
    rconv_t r = facts(c);
    assert_int_equal(r.frt_ms, 90 * MIN_MS);    /* 06:00 -> 07:30 UTC */
    assert_int_equal(r.frt_bh_ms, 30 * MIN_MS); /* 08:00 -> 08:30 Paris */
    assert_int_equal(r.res_ms, 120 * MIN_MS);
    assert_int_equal(r.res_bh_ms, 60 * MIN_MS); /* 08:00 -> 09:00 Paris */
    assert_int_equal(r.rt_n, 1);                /* the first run is a response too */
    assert_int_equal(r.rt_ms, 90 * MIN_MS);
    assert_int_equal(r.msgs_in, 1);
    assert_int_equal(r.replies_out, 1);
}

/* Wed 2026-03-11 18:30 UTC = 19:30 Paris; Thursday is a holiday; the reply
 * comes Fri 07:15 UTC = 08:15 Paris. Business time: 30 min Wednesday
 * evening + 15 min Friday morning. */
static void test_answered_after_a_holiday(void **state)
{
    (void)state;
    int64_t t0 = at(utc(2026, 3, 11, 18, 30));
    int64_t c = customer("holiday", "Is anyone there?");
    int64_t t1 = at(utc(2026, 3, 13, 7, 15));
    reply(c, alice, false);
    rconv_t r = facts(c);
    assert_int_equal(r.frt_ms, t1 - t0);
    assert_int_equal(r.frt_ms, (36 * 60 + 45) * MIN_MS);
    assert_int_equal(r.frt_bh_ms, 45 * MIN_MS);
}

/* Pending does not pause the metrics (it pauses SLA clocks): each run of
 * customer messages is timed from its first message. Mon 2026-03-16 10:00 UTC. */
static void test_paused_while_pending(void **state)
{
    (void)state;
    int64_t t0 = at(utc(2026, 3, 16, 10, 0));
    int64_t c = customer("pending", "My card was charged twice");
    at(t0 + 2 * MIN_MS);
    customer("pending", "and again today"); /* same run: still from t0 */
    at(t0 + 10 * MIN_MS);
    reply(c, alice, false); /* FRT 10 min, response 10 min */
    at(t0 + 11 * MIN_MS);
    reply(c, alice, true); /* a note: never a reply */
    at(t0 + 15 * MIN_MS);
    set_status(c, "pending");
    at(t0 + 75 * MIN_MS);
    customer("pending", "here is the receipt"); /* back to open: same cycle, new run */
    at(t0 + 80 * MIN_MS);
    reply(c, alice, false); /* response 5 min */
    rconv_t r = facts(c);
    assert_int_equal(r.frt_ms, 10 * MIN_MS);
    assert_int_equal(r.rt_n, 2);
    assert_int_equal(r.rt_ms, 15 * MIN_MS);
    assert_int_equal(r.rt_bh_ms, 15 * MIN_MS); /* all inside hours */
    assert_int_equal(r.reopens, 0);
    assert_int_equal(r.msgs_in, 3);
    assert_int_equal(r.replies_out, 2);
    at(t0 + 90 * MIN_MS);
    set_status(c, "resolved"); /* resolution 90 min, 5 messages to resolution */
    r = facts(c);
    assert_int_equal(r.res_ms, 90 * MIN_MS);
}

/* A reopen starts a new cycle: its FRT runs from the reopening message. */
static void test_reopened(void **state)
{
    (void)state;
    int64_t t0 = at(utc(2026, 3, 17, 9, 0));
    int64_t c = customer("reopen", "Where is my refund?");
    at(t0 + 4 * MIN_MS);
    reply(c, bob, false);
    at(t0 + 20 * MIN_MS);
    set_status(c, "resolved");
    at(t0 + 120 * MIN_MS);
    assert_int_equal(customer("reopen", "Still no refund"), c);
    at(t0 + 130 * MIN_MS);
    reply(c, bob, false);
    at(t0 + 150 * MIN_MS);
    set_status(c, "resolved");
    rconv_t r = facts(c);
    assert_int_equal(r.reopens, 1);
    assert_int_equal(r.resolutions, 2);
    assert_int_equal(r.frt_ms, 4 * MIN_MS);  /* the first cycle's */
    assert_int_equal(r.res_ms, 30 * MIN_MS); /* the last cycle: 120 -> 150 */
}

/* Transferred from alice to bob before anyone answered: bob's reply is bob's FRT. */
static void test_transferred(void **state)
{
    (void)state;
    int64_t t0 = at(utc(2026, 3, 18, 9, 0));
    int64_t c = customer("transfer", "I need to change my address");
    at(t0 + MIN_MS);
    assign(c, alice);
    at(t0 + 6 * MIN_MS);
    assign(c, bob);
    at(t0 + 8 * MIN_MS);
    reply(c, bob, false);
    assert_int_equal(facts(c).frt_ms, 8 * MIN_MS);
    assert_int_equal(facts(c).assignee_id, bob);
}

/* A bot answers first; the customer asks for a human 3 minutes in (the
 * hand-off); the human answers 10 minutes in: FRT 7 minutes. */
static void test_answered_by_a_bot_first(void **state)
{
    (void)state;
    int64_t t0 = at(utc(2026, 3, 19, 9, 0));
    int64_t c = customer("botfirst", "opening hours?");
    at(t0 + MIN_MS);
    bot(c);
    at(t0 + 3 * MIN_MS);
    customer("botfirst", "talk to a human please");
    at(t0 + 10 * MIN_MS);
    reply(c, alice, false);
    rconv_t r = facts(c);
    assert_int_equal(r.frt_ms, 7 * MIN_MS);
    assert_int_equal(r.rt_n, 1);
    assert_int_equal(r.rt_ms, 7 * MIN_MS);
    /* and one the bot handled alone: resolved, but in no human time */
    at(t0 + 20 * MIN_MS);
    int64_t c2 = customer("botonly", "what is your address?");
    at(t0 + 21 * MIN_MS);
    bot(c2);
    at(t0 + 22 * MIN_MS);
    set_status(c2, "resolved");
    r = facts(c2);
    assert_int_equal(r.frt_ms, -1);
    assert_int_equal(r.res_ms, -1);
    assert_int_equal(r.replies_out, 0);
}

static void beat(int64_t conv, int64_t agent, const char *state)
{
    actor_t by = as(agent, "agent");
    parley_err_t err = {0};
    assert_int_equal(desk_presence(&app, &by, conv, state, &err), 0);
}

/* Average handling time from the console's presence beats (April, outside the
 * March summary). Thu 2026-04-02 17:58 UTC = 19:58 Paris (CEST), two minutes
 * before closing. Gaps of one agent's beats up to ROLLUP_IDLE_MS (90 s) are
 * active time:
 *   +0 viewing, +30 s viewing, +50 s typing        50 s (in hours)
 *   +90 s viewing                                  40 s (19:59:30, in hours)
 *   +300 s viewing (20:03)                          gap 210 s: away, nothing
 *   +360 s viewing                                  60 s (after hours: 0 business)
 *   +450 s viewing                                  90 s exactly: counted (0 business)
 *   +460 s left                                     10 s
 *   +470 s viewing                                  a new stretch: nothing
 * = 250 s calendar, 90 s business; sampled at the resolve; beats on the
 * resolved conversation count for nothing. */
static void test_handling_time(void **state)
{
    (void)state;
    int64_t t0 = at(utc(2026, 4, 2, 17, 58));
    int64_t c = customer("handled", "Where is my refund?");
    assign(c, alice);
    static const struct {
        int s;
        const char *state;
    } beats[] = {{0, "viewing"},   {30, "viewing"},  {50, "typing"},
                 {90, "viewing"},  {300, "viewing"}, {360, "viewing"},
                 {450, "viewing"}, {460, "left"},    {470, "viewing"}};
    for (size_t i = 0; i < sizeof beats / sizeof beats[0]; i++) {
        at(t0 + beats[i].s * 1000LL);
        beat(c, alice, beats[i].state);
    }
    rconv_t r = facts(c);
    assert_int_equal(r.handle_ms, 250000);
    assert_int_equal(r.handle_bh_ms, 90000);
    at(t0 + 6 * MIN_MS);
    reply(c, alice, false);
    at(t0 + 7 * MIN_MS);
    set_status(c, "resolved");
    at(t0 + 7 * MIN_MS + 10000);
    beat(c, alice, "viewing");
    at(t0 + 7 * MIN_MS + 20000);
    beat(c, alice, "viewing");
    r = facts(c);
    assert_int_equal(r.handle_ms, 0); /* sampled and reset at the resolve */
    report_query_t q = {.f = {.account_id = account,
                              .since = utc(2026, 4, 1, 0, 0),
                              .until = utc(2026, 5, 1, 0, 0),
                              .priority = -1}};
    json_t *s;
    parley_err_t err = {0};
    assert_int_equal(report_summary(&app, &q, &s, &err), 0);
    json_t *aht = json_object_get(s, "average_handling_time");
    assert_int_equal(json_integer_value(json_object_get(aht, "count")), 1);
    assert_true(fabs(json_real_value(json_object_get(aht, "mean_seconds")) - 250) < 0.001);
    json_decref(s);
    q.business = true;
    assert_int_equal(report_summary(&app, &q, &s, &err), 0);
    aht = json_object_get(s, "average_handling_time");
    assert_true(fabs(json_real_value(json_object_get(aht, "mean_seconds")) - 90) < 0.001);
    json_decref(s);
    /* attributed like the resolution: to the assignee */
    q.business = false;
    q.f.agent_id = bob;
    assert_int_equal(report_summary(&app, &q, &s, &err), 0);
    aht = json_object_get(s, "average_handling_time");
    assert_int_equal(json_integer_value(json_object_get(aht, "count")), 0);
    assert_true(json_is_null(json_object_get(aht, "mean_seconds")));
    json_decref(s);
}

/* The summary of the whole month, by hand from the cases above:
 * received 7; resolved 4 + 1 by the bot (the reopened one twice: 6 in all);
 * FRT samples: 90, 36h45, 10, 4, 10 (second cycle), 8, 7 minutes. */
static void test_summary(void **state)
{
    (void)state;
    report_query_t q = {.f = {.account_id = account,
                              .since = utc(2026, 3, 1, 0, 0),
                              .until = utc(2026, 4, 1, 0, 0),
                              .priority = -1}};
    json_t *s;
    parley_err_t err = {0};
    assert_int_equal(report_summary(&app, &q, &s, &err), 0);
    json_t *vol = json_object_get(s, "volume");
    assert_int_equal(json_integer_value(json_object_get(vol, "received")), 7);
    assert_int_equal(json_integer_value(json_object_get(vol, "reopened")), 1);
    assert_int_equal(json_integer_value(json_object_get(vol, "resolved")), 5);
    assert_int_equal(json_integer_value(json_object_get(vol, "notes")), 1);
    assert_int_equal(json_integer_value(json_object_get(vol, "bot_messages")), 2);
    assert_int_equal(json_integer_value(json_object_get(vol, "backlog")), 3);
    json_t *frt = json_object_get(s, "first_response_time");
    assert_int_equal(json_integer_value(json_object_get(frt, "count")), 7);
    double sum = 90 + (36 * 60 + 45) + 10 + 4 + 10 + 8 + 7; /* minutes */
    assert_true(fabs(json_real_value(json_object_get(frt, "mean_seconds")) - sum * 60 / 7) < 0.001);
    /* median: the 4th of 4, 7, 8, 10, 10, 90, 2205 minutes = 10 minutes exactly
     * (both 10-minute samples share a bucket) */
    assert_true(fabs(json_real_value(json_object_get(frt, "median_seconds")) - 600) < 0.001);
    json_t *bh = json_object_get(s, "bot_handled");
    assert_int_equal(json_integer_value(json_object_get(bh, "resolved")), 1);
    /* response rate: 6 of 7 got a human reply; resolution rate 5 / 7 */
    assert_true(fabs(json_real_value(json_object_get(s, "response_rate")) - 0.8571) < 0.0001);
    /* messages to resolution (human-handled resolutions): before hours 2,
     * pending 5, reopened 2 then 2 -> 11 / 4 */
    json_t *mtr = json_object_get(s, "messages_to_resolution");
    assert_int_equal(json_integer_value(json_object_get(mtr, "count")), 4);
    assert_true(fabs(json_real_value(json_object_get(mtr, "mean")) - 2.75) < 0.0001);
    json_decref(s);
    /* business hours: the before-hours FRT counts 30 min, the holiday one 45 */
    q.business = true;
    assert_int_equal(report_summary(&app, &q, &s, &err), 0);
    frt = json_object_get(s, "first_response_time");
    double bsum = 30 + 45 + 10 + 4 + 10 + 8 + 7;
    assert_true(fabs(json_real_value(json_object_get(frt, "mean_seconds")) - bsum * 60 / 7) <
                0.001);
    json_decref(s);
}

static void test_verify_then_tamper(void **state)
{
    (void)state;
    int64_t ndiff = -1;
    FILE *devnull = fopen("/dev/null", "w");
    assert_int_equal(reports_verify(&app, devnull, 5, &ndiff), 0);
    assert_int_equal(ndiff, 0);
    /* a changed rollup is found */
    rollup_key_t k = {.account_id = account,
                      .hour = utc(2026, 3, 10, 6, 0) / HOUR_MS,
                      .inbox_id = inbox.id,
                      .channel = "api",
                      .priority = 1};
    int64_t v[RC_COUNT] = {0};
    v[RC_received] = 1;
    store_conn_t *rc = app.store->ops->reader(app.store);
    assert_int_equal(app.store->ops->reports->rollup_add(rc, &k, v), 0);
    assert_int_equal(app.store->ops->reports->flush(rc), 0); /* buffered until written */
    assert_int_equal(reports_verify(&app, devnull, 5, &ndiff), 0);
    assert_true(ndiff > 0);
    /* and a rebuild repairs it */
    assert_int_equal(reports_rebuild(&app), 0);
    assert_int_equal(reports_verify(&app, devnull, 5, &ndiff), 0);
    assert_int_equal(ndiff, 0);
    fclose(devnull);
}

static void test_buckets(void **state)
{
    (void)state;
    assert_int_equal(report_bucket(0), 0);
    assert_int_equal(report_bucket(999), 0);
    assert_int_equal(report_bucket(1000), 1);
    for (int b = 1; b < REPORT_BUCKETS; b++) {
        assert_true(report_bucket_floor(b) > report_bucket_floor(b - 1));
        assert_int_equal(report_bucket(report_bucket_floor(b)), b);
        assert_int_equal(report_bucket(report_bucket_floor(b) - 1), b - 1);
    }
}

static void test_csv_cells(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b, 0);
    const char *in[] = {"=SUM(A1)", "+1", "-2", "-2.5", "@x", "\tx", "a,b", "say \"hi\"", "plain"};
    const char *want[] = {"\"'=SUM(A1)\"", "\"'+1\"",  "-2",      "-2.5",
                          "\"'@x\"",       "\"'\tx\"", "\"a,b\"", "\"say \"\"hi\"\"\"",
                          "plain"};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        buf_reset(&b);
        report_csv_cell(&b, in[i]);
        assert_string_equal(buf_cstr(&b), want[i]);
    }
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_buckets),
        cmocka_unit_test(test_csv_cells),
    };
    const struct CMUnitTest db[] = {
        cmocka_unit_test(test_opened_before_hours),
        cmocka_unit_test(test_answered_after_a_holiday),
        cmocka_unit_test(test_paused_while_pending),
        cmocka_unit_test(test_reopened),
        cmocka_unit_test(test_transferred),
        cmocka_unit_test(test_answered_by_a_bot_first),
        cmocka_unit_test(test_handling_time),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_verify_then_tamper),
    };
    int rc = cmocka_run_group_tests_name("rollups pure", pure, NULL, NULL);
    return rc | cmocka_run_group_tests_name("rollups", db, setup_db, teardown_db);
}
