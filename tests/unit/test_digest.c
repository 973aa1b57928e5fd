/*
 * test_digest.c - the weekly digest (src/desk/digest.c): Monday 08:00 in the
 * account's zone across DST changes, worked out by hand; the local week's
 * bounds and ISO names (a 53-week year); the settings' validation; and the
 * scheduler's job with the injected clock: not before 08:00, once at 08:00
 * (a second run, as after a restart, sends nothing), the owed digest of a
 * server that was down, nothing owed before the account existed, and off.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "desk_fixture.h"

#include "core/crypto.h"
#include "core/tzfile.h"
#include "desk/analyze.h"
#include "desk/digest.h"
#include "desk/inboxes.h"
#include "desk/users.h"
#include "desk/webhooks.h"

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

static tz_zone_t *zone(const char *name)
{
    tz_zone_t *z;
    parley_err_t err = {0};
    assert_int_equal(tz_zone_load(name, &z, &err), 0);
    return z;
}

/* ---- local time ------------------------------------------------------------- */

static void test_local_to_utc(void **state)
{
    (void)state;
    tz_zone_t *paris = zone("Europe/Paris");
    /* an ordinary winter and summer time */
    assert_int_equal(digest_local_to_utc(paris, utc(2026, 1, 5, 8, 0) / 1000) * 1000,
                     utc(2026, 1, 5, 7, 0));
    assert_int_equal(digest_local_to_utc(paris, utc(2026, 7, 6, 8, 0) / 1000) * 1000,
                     utc(2026, 7, 6, 6, 0));
    /* 29 March 2026: 02:00 CET jumps to 03:00 CEST (01:00 UTC); 02:30 is taken as 03:30 */
    assert_int_equal(digest_local_to_utc(paris, utc(2026, 3, 29, 2, 30) / 1000) * 1000,
                     utc(2026, 3, 29, 1, 30));
    /* 25 October 2026: 03:00 CEST falls back to 02:00 CET (01:00 UTC); 02:30 is shown
     * twice, the first time (CEST) is taken */
    assert_int_equal(digest_local_to_utc(paris, utc(2026, 10, 25, 2, 30) / 1000) * 1000,
                     utc(2026, 10, 25, 0, 30));
    tz_zone_free(paris);
}

static void test_monday_0800_across_dst(void **state)
{
    (void)state;
    tz_zone_t *paris = zone("Europe/Paris"), *ny = zone("America/New_York"), *utcz = zone("UTC"),
              *kolkata = zone("Asia/Kolkata");
    /* Wed 25 March: the next Monday is after the spring change (CEST): 06:00 UTC;
     * the last one before it (CET): 07:00 UTC */
    int64_t wed = utc(2026, 3, 25, 12, 0);
    assert_int_equal(digest_due_after(paris, wed), utc(2026, 3, 30, 6, 0));
    assert_int_equal(digest_due_at_or_before(paris, wed), utc(2026, 3, 23, 7, 0));
    /* Sat 24 October, the day before the autumn change: Monday is CET again */
    assert_int_equal(digest_due_after(paris, utc(2026, 10, 24, 12, 0)), utc(2026, 10, 26, 7, 0));
    /* exactly at the time: due now, the next one a week on */
    int64_t due = utc(2026, 11, 30, 7, 0);
    assert_int_equal(digest_due_at_or_before(paris, due), due);
    assert_int_equal(digest_due_after(paris, due), utc(2026, 12, 7, 7, 0));
    assert_int_equal(digest_due_after(paris, due - 1), due);
    assert_int_equal(digest_due_at_or_before(paris, due - 1), utc(2026, 11, 23, 7, 0));
    /* Sunday evening in Paris is still last week; 23:30 UTC Sunday is Monday 00:30 Paris */
    assert_int_equal(digest_due_after(paris, utc(2026, 11, 29, 23, 30)), due);
    /* New York changes on 8 March: Monday 9 March 08:00 EDT = 12:00 UTC, 2 March EST = 13:00 */
    assert_int_equal(digest_due_after(ny, utc(2026, 3, 4, 0, 0)), utc(2026, 3, 9, 12, 0));
    assert_int_equal(digest_due_at_or_before(ny, utc(2026, 3, 4, 0, 0)), utc(2026, 3, 2, 13, 0));
    /* UTC and a half-hour zone (UTC+5:30, no DST) */
    assert_int_equal(digest_due_after(utcz, utc(2026, 11, 26, 14, 0)), utc(2026, 11, 30, 8, 0));
    assert_int_equal(digest_due_after(kolkata, utc(2026, 11, 26, 14, 0)), utc(2026, 11, 30, 2, 30));
    tz_zone_free(paris);
    tz_zone_free(ny);
    tz_zone_free(utcz);
    tz_zone_free(kolkata);
}

static void test_week_of(void **state)
{
    (void)state;
    tz_zone_t *paris = zone("Europe/Paris");
    char name[16];
    int64_t mon, since, until;
    /* due Monday 30 March (CEST): the week of Monday 23 March, ISO 2026-W13, from
     * Monday 00:00 CET (23:00 UTC Sunday) to Monday 00:00 CEST (22:00 UTC Sunday):
     * a week one hour short */
    digest_week_of(paris, utc(2026, 3, 30, 6, 0), &mon, name, &since, &until);
    assert_int_equal(mon, tz_days_from_civil(2026, 3, 23));
    assert_string_equal(name, "2026-W13");
    assert_int_equal(since, utc(2026, 3, 22, 23, 0));
    assert_int_equal(until, utc(2026, 3, 29, 22, 0));
    assert_int_equal(until - since, 7 * 24 * HOUR_MS - HOUR_MS);
    /* 2026 has 53 ISO weeks (1 January is a Thursday): the digest of Monday 4 January
     * 2027 is 2026-W53; the next is 2027-W01 */
    digest_week_of(paris, utc(2027, 1, 4, 7, 0), NULL, name, NULL, NULL);
    assert_string_equal(name, "2026-W53");
    digest_week_of(paris, utc(2027, 1, 11, 7, 0), NULL, name, NULL, NULL);
    assert_string_equal(name, "2027-W01");
    tz_zone_free(paris);
}

/* ---- with a database ------------------------------------------------------------ */

static desk_fixture_t fx;
static app_t app;
static config_t cfg;
static int64_t account, sup, agent, mail_inbox;

static int setup_db(void **state)
{
    (void)state;
    /* a Friday: the account is born */
    fixture_open(&fx, &app, &cfg, "digest", utc(2026, 11, 20, 10, 0), false, &account);
    parley_err_t err = {0};
    char gen[40];
    actor_t by = {.account_id = account, .kind = "cli", .user_id = 1};
    user_new_t u = {.email = "sue@acme.test", .role = "supervisor", .password = "sup-password-1"};
    assert_int_equal(user_create(&app, &by, account, &u, gen, &sup, &err), 0);
    u.email = "al@acme.test";
    u.role = "agent";
    assert_int_equal(user_create(&app, &by, account, &u, gen, &agent, &err), 0);
    json_t *body =
        json_pack("{s:s, s:s, s:{s:s, s:s}}", "name", "Mail", "channel", "email", "settings",
                  "address", "support@acme.test", "smtp_url", "smtp://127.0.0.1:9");
    assert_int_equal(inbox_create(&app, &by, body, &mail_inbox, &err), 0);
    json_decref(body);
    return 0;
}

static int teardown_db(void **state)
{
    (void)state;
    fixture_close(&fx, &app);
    return 0;
}

static actor_t admin(void)
{
    return (actor_t){.account_id = account, .kind = "user", .id = 1, .user_id = 1, .role = "admin"};
}

static int patch(const char *json, parley_err_t *err)
{
    json_t *p = json_loads(json, 0, NULL);
    assert_non_null(p);
    actor_t by = admin();
    memset(err, 0, sizeof *err);
    int rc = account_settings_update(&app, &by, p, err);
    json_decref(p);
    return rc;
}

static int mails(void)
{
    arena_t a;
    arena_init(&a, 0);
    mail_row_t *rows;
    int n;
    assert_int_equal(app.store->ops->digest->mail_list(app.store->ops->reader(app.store), account,
                                                       100, &a, &rows, &n),
                     0);
    arena_free(&a);
    return n;
}

static int digests(const char *week)
{
    event_filter_t f = {.account_id = account, .limit = 100, .type = "report.digest"};
    arena_t a;
    arena_init(&a, 0);
    event_row_t *rows;
    int n, k = 0;
    assert_int_equal(
        app.store->ops->event_list(app.store->ops->reader(app.store), &f, &a, &rows, &n), 0);
    for (int i = 0; i < n; i++)
        if (strstr(rows[i].payload, week)) k++;
    arena_free(&a);
    return k;
}

static void test_settings_validated(void **state)
{
    (void)state;
    parley_err_t err;
    assert_int_equal(patch("{\"timezone\": \"Mars/Olympus_Mons\"}", &err), PARLEY_EINVAL);
    assert_string_equal(err.field, "/timezone");
    assert_int_equal(patch("{\"timezone\": \"Europe/../UTC\"}", &err), PARLEY_EINVAL);
    assert_string_equal(err.field, "/timezone");
    assert_int_equal(patch("{\"digest\": {\"recipients\": [1, 4242]}}", &err), PARLEY_EINVAL);
    assert_string_equal(err.field, "/digest/recipients/1");
    assert_int_equal(patch("{\"mail_inbox_id\": 4242}", &err), PARLEY_EINVAL);
    assert_string_equal(err.field, "/mail_inbox_id");
    assert_int_equal(patch("{\"timezone\": \"Europe/Paris\"}", &err), 0);
    arena_t a;
    arena_init(&a, 0);
    account_settings_row_t s;
    assert_int_equal(
        app.store->ops->digest->settings_get(app.store->ops->reader(app.store), account, &a, &s),
        0);
    assert_string_equal(s.timezone, "Europe/Paris");
    assert_true(s.digest_enabled && s.digest_email);
    assert_null(s.digest_recipients);
    arena_free(&a);
}

static void test_scheduled_once(void **state)
{
    (void)state;
    store_conn_t *c = app.store->ops->reader(app.store);
    /* Saturday 21 November: the last Monday (16th) is before the account existed: nothing owed */
    assert_int_equal(digest_next_due(&app, c, account, utc(2026, 11, 21, 12, 0)),
                     utc(2026, 11, 23, 7, 0));
    /* Monday 30 November 07:59 Paris: the 23rd's digest (week 47) is owed from before;
     * send it as a scheduler would have on the 23rd */
    app.clock.fixed_ms = utc(2026, 11, 23, 7, 0);
    assert_int_equal(digest_fire(&app, account, app.clock.fixed_ms), utc(2026, 11, 30, 7, 0));
    assert_int_equal(digests("2026-W47"), 1);
    assert_int_equal(mails(), 2); /* boss (admin) and sue (supervisor), not the agent */
    int64_t t = app.clock.fixed_ms = utc(2026, 11, 30, 6, 59);
    assert_int_equal(digest_next_due(&app, c, account, t), utc(2026, 11, 30, 7, 0));
    /* fired early (a stale heap entry): nothing sent, the plan unchanged */
    assert_int_equal(digest_fire(&app, account, t), utc(2026, 11, 30, 7, 0));
    assert_int_equal(digests("2026-W48"), 0);
    /* 08:00 Paris: sent, and the next is a week on */
    t = app.clock.fixed_ms = utc(2026, 11, 30, 7, 0);
    assert_int_equal(digest_fire(&app, account, t), utc(2026, 12, 7, 7, 0));
    assert_int_equal(digests("2026-W48"), 1);
    assert_int_equal(mails(), 4);
    /* a restart at 08:00:30: the record says sent; nothing again */
    t = app.clock.fixed_ms = utc(2026, 11, 30, 7, 0) + 30000;
    assert_int_equal(digest_next_due(&app, c, account, t), utc(2026, 12, 7, 7, 0));
    assert_int_equal(digest_fire(&app, account, t), utc(2026, 12, 7, 7, 0));
    digest_result_t r;
    parley_err_t err = {0};
    assert_int_equal(digest_send(&app, account, "2026-W48", &r, &err), PARLEY_ECONFLICT);
    assert_true(r.already);
    assert_int_equal(digests("2026-W48"), 1);
    assert_int_equal(mails(), 4);
    /* down at 08:00 on 7 December, up at 10:00: owed, due at once */
    t = app.clock.fixed_ms = utc(2026, 12, 7, 9, 0);
    assert_int_equal(digest_next_due(&app, c, account, t), utc(2026, 12, 7, 7, 0));
    /* chosen recipients only: sue */
    char body[96];
    snprintf(body, sizeof body, "{\"digest\": {\"recipients\": [%lld]}}", (long long)sup);
    assert_int_equal(patch(body, &err), 0);
    assert_int_equal(digest_fire(&app, account, t), utc(2026, 12, 14, 7, 0));
    assert_int_equal(digests("2026-W49"), 1);
    assert_int_equal(mails(), 5);
    /* off: nothing is planned */
    assert_int_equal(patch("{\"digest\": {\"enabled\": false}}", &err), 0);
    assert_int_equal(digest_next_due(&app, c, account, t), 0);
    /* e-mail off: the event alone */
    assert_int_equal(patch("{\"digest\": {\"enabled\": true, \"email\": false}}", &err), 0);
    app.clock.fixed_ms = utc(2026, 12, 14, 7, 0);
    assert_int_equal(digest_send(&app, account, NULL, &r, &err), 0);
    assert_string_equal(r.week, "2026-W50");
    assert_int_equal(r.emails, 0);
    assert_string_equal(r.why, "digest e-mail is off");
    assert_int_equal(mails(), 5);
}

static void test_slack_line(void **state)
{
    (void)state;
    event_row_t e = {
        .type = "report.digest",
        .subject_kind = "account",
        .subject_id = 1,
        .payload = "{\"week\":\"2026-W48\",\"url\":\"https://desk.acme.test/d?week=2026-W48\","
                   "\"summary\":{\"this_week\":{\"received\":42,\"resolved\":40,"
                   "\"first_response_median_seconds\":750.0,"
                   "\"sla_first_response_compliance\":0.95},"
                   "\"last_week\":{\"received\":37},\"first_response_target_seconds\":1800}}"};
    buf_t b;
    buf_init(&b, 0);
    webhook_slack_text(&e, NULL, &b);
    assert_string_equal(buf_cstr(&b),
                        ":bar_chart: Weekly digest 2026-W48: 42 conversations (previous week 37), "
                        "40 resolved, first response median 12.5 min (target 30.0 min), SLA first "
                        "response 95% <https://desk.acme.test/d?week=2026-W48|full digest>");
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_local_to_utc),
        cmocka_unit_test(test_monday_0800_across_dst),
        cmocka_unit_test(test_week_of),
        cmocka_unit_test(test_slack_line),
    };
    const struct CMUnitTest db[] = {
        cmocka_unit_test(test_settings_validated),
        cmocka_unit_test(test_scheduled_once),
    };
    int rc = cmocka_run_group_tests(pure, NULL, NULL);
    return rc | cmocka_run_group_tests(db, setup_db, teardown_db);
}
