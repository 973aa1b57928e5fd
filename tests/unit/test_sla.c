/*
 * test_sla.c - SLA clocks (src/desk/sla.c, sla_policy.c): the arithmetic by
 * hand-computed cases (around the clock, business hours over a weekend and
 * overnight, pause and resume, retargeting on a priority change, the order
 * of warning / breach / published breach, a late finish), policies per
 * priority with their fallbacks, and, against a real database with the
 * injected clock, the hooks: inbound starts clocks, pending pauses them, a
 * reply meets them, a resolve ends them, a reopen starts a new cycle, and a
 * breach fires its escalation rule.
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
#include "desk/inboxes.h"
#include "desk/ingest.h"
#include "desk/sla.h"
#include "desk/users.h"
#include "desk/webhooks.h"
#include "store/store_digest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEC_MS  1000LL
#define MIN_MS  60000LL
#define HOUR_MS 3600000LL

static int64_t utc(int y, int mo, int d, int h, int mi)
{
    return (tz_days_from_civil(y, mo, d) * 1440 + h * 60 + mi) * MIN_MS;
}

static bh_calendar_t *paris_office(void)
{
    const char *j = "{\"timezone\":\"Europe/Paris\",\"weekly\":{\"mon\":[[\"08:00\",\"20:00\"]],"
                    "\"tue\":[[\"08:00\",\"20:00\"]],\"wed\":[[\"08:00\",\"20:00\"]],"
                    "\"thu\":[[\"08:00\",\"20:00\"]],\"fri\":[[\"08:00\",\"20:00\"]]}}";
    bh_calendar_t *c = bh_calendar_parse(j, strlen(j), NULL);
    assert_non_null(c);
    return c;
}

static sla_clock_row_t clock_of(int64_t target, int64_t published, bool business)
{
    return (sla_clock_row_t){.kind = "first_response",
                             .business = business,
                             .target_ms = target,
                             .published_ms = published,
                             .warning_ms = target * 80 / 100};
}

/* ---- arithmetic ------------------------------------------------------------ */

static void test_around_the_clock(void **state)
{
    (void)state;
    int64_t t = utc(2026, 3, 6, 18, 30);
    sla_clock_row_t k = clock_of(30 * MIN_MS, 60 * MIN_MS, false);
    sla_clock_start(&k, NULL, t);
    assert_string_equal(k.status, "running");
    assert_int_equal(k.due_at, t + 30 * MIN_MS);
    assert_int_equal(k.warning_at, t + 24 * MIN_MS);
    assert_int_equal(k.published_due_at, t + 60 * MIN_MS);
    assert_int_equal(k.next_at, k.warning_at);
    /* business = false ignores any calendar */
    bh_calendar_t *c = paris_office();
    sla_clock_row_t k2 = clock_of(30 * MIN_MS, 60 * MIN_MS, false);
    sla_clock_start(&k2, c, t);
    assert_int_equal(k2.due_at, t + 30 * MIN_MS);
    bh_calendar_free(c);
}

static void test_business_hours_over_a_weekend(void **state)
{
    (void)state;
    bh_calendar_t *c = paris_office();
    /* Friday 2026-03-06 19:30 Paris (UTC+1): 30 minutes left that day, the
     * rest from Monday 08:00: due Monday 08:30 local = 07:30Z */
    int64_t fri = utc(2026, 3, 6, 18, 30);
    sla_clock_row_t k = clock_of(60 * MIN_MS, 120 * MIN_MS, true);
    sla_clock_start(&k, c, fri);
    assert_int_equal(k.due_at, utc(2026, 3, 9, 7, 30));
    assert_int_equal(k.warning_at, utc(2026, 3, 9, 7, 18)); /* 48 min counted */
    assert_int_equal(k.published_due_at, utc(2026, 3, 9, 8, 30));
    assert_int_equal(sla_clock_elapsed(&k, c, utc(2026, 3, 8, 12, 0)), 30 * MIN_MS);
    /* received Saturday: the clock counts from Monday 08:00 */
    sla_clock_row_t s = clock_of(60 * MIN_MS, 60 * MIN_MS, true);
    sla_clock_start(&s, c, utc(2026, 3, 7, 10, 0));
    assert_int_equal(s.due_at, utc(2026, 3, 9, 8, 0));
    bh_calendar_free(c);
}

static void test_pause_and_resume(void **state)
{
    (void)state;
    int64_t t = utc(2026, 3, 10, 9, 0);
    sla_clock_row_t k = clock_of(60 * SEC_MS, 120 * SEC_MS, false);
    sla_clock_start(&k, NULL, t);
    sla_clock_pause(&k, NULL, t + 10 * SEC_MS);
    assert_string_equal(k.status, "paused");
    assert_int_equal(k.elapsed_ms, 10 * SEC_MS);
    assert_int_equal(k.due_at, 0);
    assert_int_equal(k.next_at, 0);
    assert_null(sla_clock_fire(&k, t + 5 * HOUR_MS, &(const char *){NULL}));
    sla_clock_resume(&k, NULL, t + HOUR_MS);
    assert_string_equal(k.status, "running");
    assert_int_equal(k.paused_ms, HOUR_MS - 10 * SEC_MS);
    assert_int_equal(k.due_at, t + HOUR_MS + 50 * SEC_MS);
    assert_int_equal(k.published_due_at, t + HOUR_MS + 110 * SEC_MS);
    /* pausing twice and resuming twice are no-ops */
    sla_clock_resume(&k, NULL, t + 2 * HOUR_MS);
    assert_int_equal(k.due_at, t + HOUR_MS + 50 * SEC_MS);

    /* in business hours: Monday 10:00-10:20 counted, paused until Tuesday
     * 19:50, 10 more minutes Tuesday, 30 on Wednesday from 08:00 */
    bh_calendar_t *c = paris_office();
    sla_clock_row_t b = clock_of(60 * MIN_MS, 60 * MIN_MS, true);
    sla_clock_start(&b, c, utc(2026, 3, 9, 9, 0));
    sla_clock_pause(&b, c, utc(2026, 3, 9, 9, 20));
    assert_int_equal(b.elapsed_ms, 20 * MIN_MS);
    sla_clock_resume(&b, c, utc(2026, 3, 10, 18, 50));
    assert_int_equal(b.due_at, utc(2026, 3, 11, 7, 30));
    bh_calendar_free(c);
}

static void test_retarget_keeps_counted_time(void **state)
{
    (void)state;
    int64_t t = utc(2026, 3, 10, 9, 0);
    sla_clock_row_t k = clock_of(HOUR_MS, 2 * HOUR_MS, false);
    sla_clock_start(&k, NULL, t);
    sla_target_t critical = {.internal_ms = 15 * MIN_MS, .published_ms = 30 * MIN_MS};
    sla_clock_retarget(&k, NULL, &critical, 50, t + 10 * MIN_MS);
    assert_int_equal(k.elapsed_ms, 10 * MIN_MS);
    assert_int_equal(k.due_at, t + 15 * MIN_MS);
    assert_int_equal(k.warning_at, t + 10 * MIN_MS); /* passed: due at once */
    assert_int_equal(k.published_due_at, t + 30 * MIN_MS);
    /* paused while retargeted: no deadline until resumed */
    sla_clock_pause(&k, NULL, t + 11 * MIN_MS);
    sla_clock_retarget(&k, NULL, &critical, 50, t + 20 * MIN_MS);
    assert_int_equal(k.due_at, 0);
    sla_clock_resume(&k, NULL, t + 30 * MIN_MS);
    assert_int_equal(k.due_at, t + 34 * MIN_MS);
}

static void test_milestones_fire_in_order(void **state)
{
    (void)state;
    int64_t t = utc(2026, 3, 10, 9, 0);
    sla_clock_row_t k = clock_of(10 * SEC_MS, 20 * SEC_MS, false);
    sla_clock_start(&k, NULL, t);
    const char *level = NULL;
    assert_null(sla_clock_fire(&k, t + 7 * SEC_MS, &level));
    assert_string_equal(sla_clock_fire(&k, t + 8 * SEC_MS, &level), "sla.warning");
    assert_string_equal(k.state, "warning");
    assert_int_equal(k.next_at, t + 10 * SEC_MS);
    assert_null(sla_clock_fire(&k, t + 9 * SEC_MS, &level));
    /* a scheduler that wakes late announces everything due, in order */
    assert_string_equal(sla_clock_fire(&k, t + HOUR_MS, &level), "sla.breached");
    assert_string_equal(level, "internal");
    assert_string_equal(k.state, "breached");
    assert_int_equal(k.breached_at, t + 10 * SEC_MS);
    assert_string_equal(sla_clock_fire(&k, t + HOUR_MS, &level), "sla.breached");
    assert_string_equal(level, "published");
    assert_int_equal(k.next_at, 0);
    assert_null(sla_clock_fire(&k, t + HOUR_MS, &level));
    /* met after the breach: stays breached */
    sla_clock_finish(&k, NULL, true, t + 2 * HOUR_MS);
    assert_string_equal(k.status, "met");
    assert_string_equal(k.state, "breached");
}

static void test_finish_late_without_fire_is_a_breach(void **state)
{
    (void)state;
    int64_t t = utc(2026, 3, 10, 9, 0);
    sla_clock_row_t k = clock_of(10 * SEC_MS, 20 * SEC_MS, false);
    sla_clock_start(&k, NULL, t);
    sla_clock_finish(&k, NULL, true, t + 11 * SEC_MS);
    assert_string_equal(k.state, "breached");
    assert_int_equal(k.breached_at, t + 10 * SEC_MS);
    assert_int_equal(k.met_at, t + 11 * SEC_MS);
    sla_clock_row_t ok = clock_of(10 * SEC_MS, 20 * SEC_MS, false);
    sla_clock_start(&ok, NULL, t);
    sla_clock_finish(&ok, NULL, false, t + 9 * SEC_MS);
    assert_string_equal(ok.status, "stopped");
    assert_string_equal(ok.state, "ok");
}

static void test_policy_per_priority(void **state)
{
    (void)state;
    json_error_t je;
    json_t *body = json_loads(
        "{\"warning_percent\": 75, \"business_hours\": false, \"targets\": {"
        " \"default\": {\"first_response\": {\"internal_minutes\": 30, \"published_minutes\": 60},"
        "               \"resolution\": {\"internal_minutes\": 1440}},"
        " \"critical\": {\"first_response\": {\"internal_seconds\": 300}, \"resolution\": null},"
        " \"low\": {\"next_response\": {\"internal_minutes\": 120}}}}",
        0, &je);
    assert_non_null(body);
    sla_policy_t p = {.business_hours = true, .warning_percent = 80};
    json_check_t c = {0};
    sla_policy_read(&c, body, &p);
    assert_true(json_check_ok(&c));
    assert_false(p.business_hours);
    assert_int_equal(p.warning_percent, 75);
    assert_int_equal(p.targets[1][SLA_FIRST_RESPONSE].internal_ms, 30 * MIN_MS);
    assert_int_equal(p.targets[1][SLA_FIRST_RESPONSE].published_ms, 60 * MIN_MS);
    assert_int_equal(p.targets[0][SLA_FIRST_RESPONSE].internal_ms, 30 * MIN_MS); /* default */
    assert_int_equal(p.targets[0][SLA_NEXT_RESPONSE].internal_ms, 120 * MIN_MS);
    assert_int_equal(p.targets[1][SLA_NEXT_RESPONSE].internal_ms, 0);
    assert_int_equal(p.targets[3][SLA_FIRST_RESPONSE].internal_ms, 300 * SEC_MS);
    assert_int_equal(p.targets[3][SLA_FIRST_RESPONSE].published_ms, 300 * SEC_MS);
    assert_int_equal(p.targets[3][SLA_RESOLUTION].internal_ms, 0); /* null: none */
    assert_int_equal(p.targets[2][SLA_RESOLUTION].internal_ms, 1440 * MIN_MS);
    char *text = sla_policy_text(&p);
    sla_policy_t back;
    assert_int_equal(sla_policy_from_text(text, &back), 0);
    assert_int_equal(back.business_hours, p.business_hours);
    assert_int_equal(back.warning_percent, p.warning_percent);
    assert_memory_equal(back.targets, p.targets, sizeof p.targets);
    free(text);
    json_decref(body);

    /* every bad field is reported with its pointer */
    body = json_loads("{\"warning_percent\": 0, \"targets\": {\"high\": {\"resolution\":"
                      " {\"internal_minutes\": -1}, \"first_response\": {\"internal_minutes\": 5,"
                      " \"internal_seconds\": 5}}, \"soon\": {}}}",
                      0, &je);
    json_check_t bad = {0};
    sla_policy_read(&bad, body, &p);
    assert_false(json_check_ok(&bad));
    char *errs = json_dumps(bad.errors, JSON_COMPACT);
    assert_non_null(strstr(errs, "/warning_percent"));
    assert_non_null(strstr(errs, "/targets/high/resolution/internal_minutes"));
    assert_non_null(strstr(errs, "/targets/high/first_response"));
    assert_non_null(strstr(errs, "/targets/soon"));
    free(errs);
    json_check_free(&bad);
    json_decref(body);
}

/* ---- the hooks against a real store --------------------------------------- */

static desk_fixture_t fx;
static app_t app;
static config_t cfg;
static inbox_row_t inbox;
static int64_t account, agent_id, sup_id, policy_id;

static int setup_db(void **state)
{
    (void)state;
    fixture_open(&fx, &app, &cfg, "sla", utc(2026, 3, 10, 9, 0) /* a Tuesday */, true, &account);
    parley_err_t err = {0};
    char gen[40];
    actor_t by = {.account_id = account, .kind = "cli", .user_id = 1};
    user_new_t u = {.email = "agent@acme.test",
                    .role = "agent",
                    .password = "agent-password-1",
                    .capacity = 10};
    assert_int_equal(user_create(&app, &by, account, &u, gen, &agent_id, &err), 0);
    user_new_t s = {.email = "sup@acme.test",
                    .role = "supervisor",
                    .password = "sup-password-1",
                    .capacity = 10};
    assert_int_equal(user_create(&app, &by, account, &s, gen, &sup_id, &err), 0);
    json_t *pol =
        json_pack("{s:s, s:b, s:{s:{s:{s:i, s:i}, s:{s:i}, s:{s:i}}},"
                  " s:[{s:s, s:s, s:s, s:s}, {s:s, s:s}]}",
                  "name", "Std", "business_hours", 0, "targets", "default", "first_response",
                  "internal_minutes", 30, "published_minutes", 60, "next_response",
                  "internal_minutes", 20, "resolution", "internal_minutes", 600, "escalations",
                  "on", "sla.breached", "target", "first_response", "action", "raise_priority",
                  "priority", "critical", "on", "sla.warning", "action", "notify");
    assert_int_equal(sla_policy_create(&app, &by, pol, &policy_id, &err), 0);
    json_decref(pol);
    json_t *body = json_pack("{s:s, s:s, s:{s:s}, s:s, s:I}", "name", "API", "channel", "api",
                             "settings", "hmac_secret", "secret-secret-secret", "policy", "manual",
                             "sla_policy_id", (json_int_t)policy_id);
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
    return res.conversation_id;
}

/* The clock of a kind that is running or paused, or status "" when none. */
static sla_clock_row_t active_clock(int64_t conv, const char *kind, arena_t *a)
{
    sla_clock_row_t *rows;
    int n;
    assert_int_equal(
        app.store->ops->sla->clock_active(app.store->ops->reader(app.store), conv, a, &rows, &n),
        0);
    for (int i = 0; i < n; i++)
        if (!strcmp(rows[i].kind, kind)) return rows[i];
    return (sla_clock_row_t){.status = ""};
}

static void collect(void *arg, int64_t next_at, int64_t id)
{
    int64_t *ids = arg;
    if (next_at <= app.clock.fixed_ms && ids[0] < 63) ids[++ids[0]] = id;
}

/* What the scheduler does when it wakes: fire every clock due now. */
static void fire_due(void)
{
    int64_t ids[64] = {0};
    assert_int_equal(sla_load_scheduled(&app, collect, ids), 0);
    assert_int_equal(sla_fire_due(&app, ids + 1, (int)ids[0]), 0);
}

static int count_events(const char *type, int64_t conv)
{
    event_filter_t f = {.account_id = account,
                        .type = type,
                        .subject_kind = conv ? "conversation" : NULL,
                        .subject_id = conv,
                        .limit = 100};
    arena_t a;
    arena_init(&a, 0);
    event_row_t *rows;
    int n;
    assert_int_equal(
        app.store->ops->event_list(app.store->ops->reader(app.store), &f, &a, &rows, &n), 0);
    arena_free(&a);
    return n;
}

static conv_row_t get_conv(int64_t id, arena_t *a)
{
    conv_row_t cv;
    assert_int_equal(
        app.store->ops->desk->conv_get(app.store->ops->reader(app.store), account, id, a, &cv), 0);
    return cv;
}

static void set_status(int64_t conv, const char *status)
{
    actor_t by = {.account_id = account, .kind = "user", .id = agent_id, .user_id = agent_id};
    json_t *p = json_pack("{s:s}", "status", status);
    parley_err_t err = {0};
    assert_int_equal(desk_update_conversation(&app, &by, conv, p, &err), 0);
    json_decref(p);
}

static void reply(int64_t conv)
{
    actor_t by = {.account_id = account,
                  .kind = "user",
                  .id = agent_id,
                  .user_id = agent_id,
                  .role = "agent"};
    post_in_t in = {.body = "Thanks, we are on it.", .takeover = true};
    post_out_t out;
    parley_err_t err = {0};
    assert_int_equal(desk_post_message(&app, &by, conv, &in, &out, &err), 0);
}

static void test_inbound_pending_reply_resolve_reopen(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a, 0);
    int64_t t0 = app.clock.fixed_ms;
    int64_t conv = ingest("h1", "cust1", "Where is my order?");
    sla_clock_row_t fr = active_clock(conv, "first_response", &a);
    assert_string_equal(fr.status, "running");
    assert_int_equal(fr.due_at, t0 + 30 * MIN_MS);
    assert_string_equal(active_clock(conv, "resolution", &a).status, "running");
    assert_string_equal(active_clock(conv, "next_response", &a).status, "");
    /* pending on the customer for an hour pauses both */
    app.clock.fixed_ms += 10 * MIN_MS;
    set_status(conv, "pending");
    assert_string_equal(active_clock(conv, "first_response", &a).status, "paused");
    app.clock.fixed_ms += HOUR_MS;
    fire_due();
    assert_int_equal(count_events("sla.", conv), 0);
    /* the customer answers: open again, 20 minutes left */
    ingest("h2", "cust1", "Here is my order number: 12345");
    fr = active_clock(conv, "first_response", &a);
    assert_string_equal(fr.status, "running");
    assert_int_equal(fr.due_at, app.clock.fixed_ms + 20 * MIN_MS);
    assert_int_equal(fr.paused_ms, HOUR_MS);
    /* a human reply meets it; the next customer message starts next_response */
    app.clock.fixed_ms += 5 * MIN_MS;
    reply(conv);
    assert_string_equal(active_clock(conv, "first_response", &a).status, "");
    app.clock.fixed_ms += MIN_MS;
    ingest("h3", "cust1", "And when will it arrive?");
    sla_clock_row_t nr = active_clock(conv, "next_response", &a);
    assert_string_equal(nr.status, "running");
    assert_int_equal(nr.due_at, app.clock.fixed_ms + 20 * MIN_MS);
    /* a second message in the same run does not restart it */
    app.clock.fixed_ms += MIN_MS;
    ingest("h4", "cust1", "hello?");
    assert_int_equal(active_clock(conv, "next_response", &a).id, nr.id);
    /* resolve: resolution met, next_response stopped, nothing active */
    set_status(conv, "resolved");
    assert_string_equal(active_clock(conv, "resolution", &a).status, "");
    assert_string_equal(active_clock(conv, "next_response", &a).status, "");
    sla_clock_row_t done;
    assert_int_equal(
        app.store->ops->sla->clock_get_any(app.store->ops->reader(app.store), nr.id, &a, &done), 0);
    assert_string_equal(done.status, "stopped");
    /* how each clock ended is in the log: first response and resolution met
     * within target, next response stopped by the resolve */
    assert_int_equal(count_events("sla.met", conv), 2);
    assert_int_equal(count_events("sla.stopped", conv), 1);
    /* the customer writes again: a new cycle with its own first response */
    app.clock.fixed_ms += HOUR_MS;
    assert_int_equal(ingest("h5", "cust1", "It broke again"), conv);
    fr = active_clock(conv, "first_response", &a);
    assert_string_equal(fr.status, "running");
    assert_int_equal(fr.started_at, app.clock.fixed_ms);
    assert_string_equal(active_clock(conv, "resolution", &a).status, "running");
    /* the JSON of the conversation shows the deadline due first */
    conv_row_t cv = get_conv(conv, &a);
    json_t *j = sla_conv_json(&app, app.store->ops->reader(app.store), &cv);
    assert_string_equal(json_string_value(json_object_get(j, "target")), "first_response");
    assert_string_equal(json_string_value(json_object_get(j, "state")), "ok");
    json_decref(j);
    set_status(conv, "resolved");
    arena_free(&a);
}

static void test_breach_escalates(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a, 0);
    int64_t conv = ingest("b1", "cust2", "hello, question about my bill");
    assert_true(get_conv(conv, &a).priority < 3);
    int notes = count_events("notification.sla", 0);
    /* 80% of the 30-minute first response: a warning, and the warning rule
     * notifies every supervisor */
    app.clock.fixed_ms += 24 * MIN_MS - 1;
    fire_due();
    assert_int_equal(count_events("sla.warning", conv), 0);
    app.clock.fixed_ms += 1;
    fire_due();
    assert_int_equal(count_events("sla.warning", conv), 1);
    assert_int_equal(count_events("notification.sla", 0), notes + 1);
    assert_true(get_conv(conv, &a).priority < 3);
    /* the internal deadline: breached, raised to critical by the rule */
    app.clock.fixed_ms += 6 * MIN_MS;
    fire_due();
    assert_int_equal(count_events("sla.breached", conv), 1);
    assert_int_equal(get_conv(conv, &a).priority, 3);
    assert_int_equal(count_events("sla.escalated", conv), 2);
    assert_string_equal(active_clock(conv, "first_response", &a).state, "breached");
    /* firing again changes nothing; the published deadline is its own event */
    fire_due();
    assert_int_equal(count_events("sla.breached", conv), 1);
    app.clock.fixed_ms += 30 * MIN_MS;
    fire_due();
    assert_int_equal(count_events("sla.breached", conv), 2);
    assert_int_equal(count_events("sla.escalated", conv), 2); /* rules act on internal only */
    /* the resolved conversation of the other test never fires */
    assert_int_equal(count_events("sla.warning", 0), count_events("sla.warning", conv));
    assert_int_equal(count_events("sla.breached", 0), count_events("sla.breached", conv));
    arena_free(&a);
}

/* The `webhook` and `email` rules deliver: a breach queues one signed delivery
 * of the sla.breached event to the account's subscription with the rule's URL
 * (although it follows only conversation.resolved), none for a URL no
 * subscription has, and one e-mail each to the supervisors and to the rule's
 * address through the account's e-mail inbox; the published breach later
 * adds nothing (rules act on the internal target). */
static void test_breach_webhook_and_email(void **state)
{
    (void)state;
    actor_t by = {.account_id = account, .kind = "cli", .user_id = 1, .role = "admin"};
    parley_err_t err = {0};
    json_t *body =
        json_pack("{s:s, s:s, s:{s:s, s:s}}", "name", "Mail", "channel", "email", "settings",
                  "address", "support@acme.test", "smtp_url", "smtp://127.0.0.1:9");
    int64_t mail_inbox;
    assert_int_equal(inbox_create(&app, &by, body, &mail_inbox, &err), 0);
    json_decref(body);
    json_t *events = json_pack("[s]", "conversation.resolved");
    webhook_fields_t wf = {.url = "https://hooks.acme.test/pager", .events = events, .active = -1};
    int64_t hook;
    char secret[WEBHOOK_SECRET_MAX + 1];
    assert_int_equal(webhook_create(&app, &by, &wf, &hook, secret, &err), 0);
    json_decref(events);
    json_t *pol =
        json_pack("{s:s, s:{s:{s:{s:i, s:i}}}, s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s},"
                  " {s:s, s:s, s:s}]}",
                  "name", "Pager", "targets", "default", "first_response", "internal_minutes", 30,
                  "published_minutes", 60, "escalations", "on", "sla.breached", "action", "webhook",
                  "url", "https://hooks.acme.test/pager", "on", "sla.breached", "action", "webhook",
                  "url", "https://hooks.acme.test/other", "on", "sla.breached", "action", "email",
                  "on", "sla.breached", "action", "email", "to", "oncall@acme.test");
    int64_t pager;
    assert_int_equal(sla_policy_create(&app, &by, pol, &pager, &err), 0);
    json_decref(pol);
    body = json_pack("{s:s, s:s, s:{s:s}, s:s, s:I}", "name", "Paged", "channel", "api", "settings",
                     "hmac_secret", "secret-secret-secret", "policy", "manual", "sla_policy_id",
                     (json_int_t)pager);
    int64_t paged_id;
    assert_int_equal(inbox_create(&app, &by, body, &paged_id, &err), 0);
    json_decref(body);
    arena_t a;
    arena_init(&a, 0);
    store_conn_t *c = app.store->ops->reader(app.store);
    inbox_row_t paged;
    assert_int_equal(app.store->ops->desk->inbox_get(c, account, paged_id, &a, &paged), 0);
    ch_item_t it = {.kind = CH_ITEM_MESSAGE, .external_id = "p1", .body = "refund please"};
    it.author.external_id = "cust-paged";
    it.author.followers = -1;
    ingest_result_t res;
    assert_int_equal(desk_ingest(&app, &paged, &it, &res, &err), 0);
    int64_t conv = res.conversation_id;

    app.clock.fixed_ms += 30 * MIN_MS;
    fire_due();
    assert_int_equal(count_events("sla.breached", conv), 1);
    page_t p = {.account_id = account, .limit = 10};
    webhook_delivery_row_t *d;
    int n;
    assert_int_equal(app.store->ops->webhooks->delivery_list(c, &p, hook, NULL, &a, &d, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(d[0].event_type, "sla.breached");
    assert_string_equal(d[0].status, "pending");
    mail_row_t *m;
    assert_int_equal(app.store->ops->digest->mail_list(c, account, 10, &a, &m, &n), 0);
    assert_int_equal(n, 2); /* newest first */
    assert_string_equal(m[0].rcpt, "oncall@acme.test");
    assert_string_equal(m[1].rcpt, "sup@acme.test");
    for (int i = 0; i < 2; i++) {
        assert_string_equal(m[i].kind, "sla");
        assert_int_equal(m[i].inbox_id, mail_inbox);
        assert_non_null(strstr(m[i].message, "Subject: SLA breached: conversation #"));
        assert_non_null(strstr(m[i].message, "From: Parley <support@acme.test>"));
    }
    /* the escalation records: delivered, except the URL no subscription has */
    event_filter_t f = {.account_id = account,
                        .type = "sla.escalated",
                        .subject_kind = "conversation",
                        .subject_id = conv,
                        .limit = 10};
    event_row_t *ev;
    assert_int_equal(app.store->ops->event_list(c, &f, &a, &ev, &n), 0);
    assert_int_equal(n, 4);
    int delivered = 0;
    for (int i = 0; i < n; i++) delivered += strstr(ev[i].payload, "\"delivered\":true") != NULL;
    assert_int_equal(delivered, 3);
    /* the published breach: recorded, no rule acts again */
    app.clock.fixed_ms += 30 * MIN_MS;
    fire_due();
    assert_int_equal(count_events("sla.breached", conv), 2);
    assert_int_equal(app.store->ops->webhooks->delivery_list(c, &p, hook, NULL, &a, &d, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(app.store->ops->digest->mail_list(c, account, 10, &a, &m, &n), 0);
    assert_int_equal(n, 2);
    arena_free(&a);
}

/* Regression: the start-up walk of scheduled clocks (sla_load_scheduled, by
 * (next_at, id) pages of 1,000) rescanned the index from its start on every
 * page, so 1M deadlines took 50 s to load (bench_scheduler). It must still
 * return every clock once, in order, when many share a next_at across page
 * boundaries. */
typedef struct {
    int64_t n, last_next, last_id, first, count;
    bool ordered;
} walk_t;

static void walk_one(void *arg, int64_t next_at, int64_t id)
{
    walk_t *w = arg;
    if (id < w->first) return; /* clocks of the other tests */
    if (w->count && (next_at < w->last_next || (next_at == w->last_next && id <= w->last_id)))
        w->ordered = false;
    w->last_next = next_at;
    w->last_id = id;
    w->count++;
}

typedef struct {
    int64_t conv, first;
} ties_t;

static int make_ties(store_conn_t *c, void *p)
{
    ties_t *t = p;
    for (int i = 0; i < 2500; i++) {
        int64_t at = 4000000000000LL + (i % 3) * 1000, id; /* 3 values, 833 clocks each */
        sla_clock_row_t k = {.account_id = account,
                             .conversation_id = t->conv,
                             .policy_id = policy_id,
                             .kind = "resolution",
                             .status = "running",
                             .state = "ok",
                             .target_ms = HOUR_MS,
                             .published_ms = HOUR_MS,
                             .warning_ms = HOUR_MS,
                             .started_at = at - HOUR_MS,
                             .running_since = at - HOUR_MS,
                             .due_at = at,
                             .published_due_at = at,
                             .next_at = at};
        int rc = app.store->ops->sla->clock_create(c, &k, &id);
        if (rc) return rc;
        if (!t->first) t->first = id;
    }
    return 0;
}

static void test_scheduled_walk_pages_through_ties(void **state)
{
    (void)state;
    ties_t t = {.conv = ingest("w1", "walker", "Hello")};
    assert_int_equal(app.store->ops->write(app.store, make_ties, &t), 0);
    walk_t w = {.first = t.first, .ordered = true};
    assert_int_equal(sla_load_scheduled(&app, walk_one, &w), 0);
    assert_int_equal(w.count, 2500);
    assert_true(w.ordered);
}

int main(void)
{
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_around_the_clock),
        cmocka_unit_test(test_business_hours_over_a_weekend),
        cmocka_unit_test(test_pause_and_resume),
        cmocka_unit_test(test_retarget_keeps_counted_time),
        cmocka_unit_test(test_milestones_fire_in_order),
        cmocka_unit_test(test_finish_late_without_fire_is_a_breach),
        cmocka_unit_test(test_policy_per_priority),
    };
    const struct CMUnitTest db[] = {
        cmocka_unit_test(test_inbound_pending_reply_resolve_reopen),
        cmocka_unit_test(test_breach_escalates),
        cmocka_unit_test(test_breach_webhook_and_email),
        cmocka_unit_test(test_scheduled_walk_pages_through_ties),
    };
    int rc = cmocka_run_group_tests_name("sla arithmetic", pure, NULL, NULL);
    return rc | cmocka_run_group_tests_name("sla hooks", db, setup_db, teardown_db);
}
