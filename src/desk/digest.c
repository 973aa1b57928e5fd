/*
 * digest.c - account time zone and settings, the weekly digest's calendar
 * and its sending (see digest.h).
 *
 * Owns the Monday-08:00-local arithmetic, the idempotent send (the
 * digest_runs record, the report.digest event and the queued e-mails commit
 * in one transaction), and the account settings. Never renders HTTP and
 * never talks SMTP (desk/mailer.c does).
 */
#include "desk/digest.h"

#include "core/log.h"
#include "desk/desk.h"
#include "desk/mailer.h"
#include "desk/reports.h"
#include "desk/scheduler.h"
#include "desk/users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_S 86400LL

/* ---- local time ---------------------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

int64_t digest_local_to_utc(const tz_zone_t *z, int64_t local_s)
{
    /* Zones change offset at most once within a day of any instant: the
     * offsets a day before and a day after are the only candidates. */
    int32_t before = tz_zone_offset(z, local_s - DAY_S, NULL);
    int32_t after = tz_zone_offset(z, local_s + DAY_S, NULL);
    int64_t t1 = local_s - before, t2 = local_s - after;
    bool ok1 = t1 + tz_zone_offset(z, t1, NULL) == local_s;
    bool ok2 = t2 + tz_zone_offset(z, t2, NULL) == local_s;
    if (ok1 && ok2) return t1 < t2 ? t1 : t2; /* shown twice: the first time */
    if (ok1) return t1;
    if (ok2) return t2;
    return t1; /* skipped: read with the old offset, it falls just after the change */
}

static int64_t local_day_of(const tz_zone_t *z, int64_t t_ms)
{
    int64_t t = floor_div(t_ms, 1000);
    return floor_div(t + tz_zone_offset(z, t, NULL), DAY_S);
}

static int weekday(int64_t day) /* 0 = Monday */
{
    return (int)(((day + 3) % 7 + 7) % 7);
}

static int64_t due_of_monday(const tz_zone_t *z, int64_t monday_day)
{
    return digest_local_to_utc(z, monday_day * DAY_S + DIGEST_HOUR * 3600) * 1000;
}

/* The loops are for zones with odd data (offsets near the 26-hour bound,
 * several changes a day): whatever the zone, the answer lies on the right
 * side of t, so the scheduler can never spin on a due time in the past. */
int64_t digest_due_at_or_before(const tz_zone_t *z, int64_t t_ms)
{
    int64_t day = local_day_of(z, t_ms);
    int64_t mon = day - weekday(day) + DIGEST_WEEKDAY;
    int64_t due = due_of_monday(z, mon);
    for (int i = 0; i < 4 && due > t_ms; i++) due = due_of_monday(z, mon -= 7);
    return due <= t_ms ? due : t_ms;
}

int64_t digest_due_after(const tz_zone_t *z, int64_t t_ms)
{
    int64_t day = local_day_of(z, t_ms);
    int64_t mon = day - weekday(day) + DIGEST_WEEKDAY;
    int64_t due = due_of_monday(z, mon);
    for (int i = 0; i < 4 && due <= t_ms; i++) due = due_of_monday(z, mon += 7);
    return due > t_ms ? due : t_ms + 7 * DAY_S * 1000;
}

void digest_week_bounds(const tz_zone_t *z, int64_t monday_day, int64_t *since_ms,
                        int64_t *until_ms)
{
    *since_ms = digest_local_to_utc(z, monday_day * DAY_S) * 1000;
    *until_ms = digest_local_to_utc(z, (monday_day + 7) * DAY_S) * 1000;
}

static void week_name(int64_t monday_day, char out[16])
{
    int64_t y;
    int m, d;
    tz_civil_from_days(monday_day + 3, &y, &m, &d); /* the week's Thursday names its year */
    int64_t jan4 = tz_days_from_civil(y, 1, 4);
    int64_t w1 = jan4 - weekday(jan4);
    int week = (int)((monday_day - w1) / 7 + 1);
    int year = (int)(y < 0 ? 0 : y > 9999 ? 9999 : y);
    snprintf(out, 16, "%04d-W%02d", year, week < 0 ? 0 : week > 53 ? 53 : week);
}

void digest_week_of(const tz_zone_t *z, int64_t due_ms, int64_t *monday_day, char name[16],
                    int64_t *since_ms, int64_t *until_ms)
{
    int64_t day = local_day_of(z, due_ms);
    int64_t mon = day - weekday(day) - 7;
    if (monday_day) *monday_day = mon;
    if (name) week_name(mon, name);
    int64_t s, u;
    digest_week_bounds(z, mon, &s, &u);
    if (since_ms) *since_ms = s;
    if (until_ms) *until_ms = u;
}

/* ---- settings -------------------------------------------------------------------------- */

static const store_digest_ops_t *dops(const app_t *app)
{
    return app->store->ops->digest;
}

tz_zone_t *digest_account_zone(app_t *app, store_conn_t *c, int64_t account_id)
{
    arena_t a;
    arena_init(&a, 0);
    account_settings_row_t s;
    tz_zone_t *z = NULL;
    parley_err_t err = {0};
    if (!dops(app) || dops(app)->settings_get(c, account_id, &a, &s) ||
        tz_zone_load(s.timezone, &z, &err))
        z = NULL;
    arena_free(&a);
    if (!z && tz_zone_load("UTC", &z, &err)) z = NULL;
    if (!z) log_msg(LOG_ERROR, "digest.zone", "no UTC zone file: is tzdata installed?");
    return z;
}

json_t *account_settings_json(const account_settings_row_t *s)
{
    json_t *rcpts = s->digest_recipients ? json_loads(s->digest_recipients, 0, NULL) : NULL;
    return json_pack("{s:s, s:{s:b, s:b, s:o, s:s, s:s}, s:o}", "timezone", s->timezone, "digest",
                     "enabled", s->digest_enabled, "email", s->digest_email, "recipients",
                     rcpts ? rcpts : json_null(), "schedule", "Mondays 08:00 local time", "webhook",
                     "subscribe an outbound webhook to report.digest", "mail_inbox_id",
                     s->mail_inbox_id ? json_integer(s->mail_inbox_id) : json_null());
}

typedef struct {
    json_t *patch;
    parley_err_t *err;
    int64_t account_id;
} settings_ctx_t;

static int check_recipients(dtx_t *t, json_t *v, int64_t account_id, parley_err_t *err,
                            const char **out)
{
    *out = NULL;
    if (json_is_null(v)) return 0;
    if (!json_is_array(v) || json_array_size(v) > DIGEST_MAX_RCPTS)
        return parley_errf(err, PARLEY_EINVAL, "/digest/recipients",
                           "recipients is an array of up to %d user ids, or null for every "
                           "supervisor and admin",
                           DIGEST_MAX_RCPTS);
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x)
    {
        user_row_t u;
        if (!json_is_integer(x) || json_integer_value(x) <= 0 ||
            t->app->store->ops->user_get(t->c, account_id, json_integer_value(x), t->arena, &u))
            return parley_errf(err, PARLEY_EINVAL,
                               arena_sprintf(t->arena, "/digest/recipients/%zu", i),
                               "not a user of this account");
    }
    char *s = json_dumps(v, JSON_COMPACT);
    *out = arena_strdup(t->arena, s);
    free(s);
    return 0;
}

static int settings_tx(dtx_t *t, void *p)
{
    settings_ctx_t *x = p;
    account_settings_row_t s;
    int rc = dops(t->app)->settings_get(t->c, x->account_id, t->arena, &s);
    if (rc) return rc;
    json_t *changed = json_object();
    json_t *v = json_object_get(x->patch, "timezone");
    if (v) {
        const char *name = json_string_value(v);
        tz_zone_t *z = NULL;
        parley_err_t zerr = {0};
        if (!name || tz_zone_load(name, &z, &zerr)) {
            rc = parley_errf(x->err, PARLEY_EINVAL, "/timezone",
                             "timezone is an IANA time zone name such as Europe/Paris");
            goto fail;
        }
        tz_zone_free(z);
        s.timezone = arena_strdup(t->arena, name);
        json_object_set(changed, "timezone", v);
    }
    json_t *d = json_object_get(x->patch, "digest");
    if (d) {
        if ((v = json_object_get(d, "enabled"))) s.digest_enabled = json_is_true(v);
        if ((v = json_object_get(d, "email"))) s.digest_email = json_is_true(v);
        if ((v = json_object_get(d, "recipients")) &&
            (rc = check_recipients(t, v, x->account_id, x->err, &s.digest_recipients)))
            goto fail;
        json_object_set(changed, "digest", d);
    }
    if ((v = json_object_get(x->patch, "mail_inbox_id"))) {
        inbox_row_t in;
        if (json_is_null(v)) {
            s.mail_inbox_id = 0;
        } else if (!json_is_integer(v) ||
                   dtx_ops(t)->inbox_get(t->c, x->account_id, json_integer_value(v), t->arena,
                                         &in) ||
                   strcmp(in.channel, "email") != 0 || in.deleted_at) {
            rc = parley_errf(x->err, PARLEY_EINVAL, "/mail_inbox_id",
                             "mail_inbox_id is an e-mail inbox of this account, or null");
            goto fail;
        } else {
            s.mail_inbox_id = in.id;
        }
        json_object_set(changed, "mail_inbox_id", v);
    }
    s.updated_at = t->now;
    if ((rc = dops(t->app)->settings_put(t->c, &s))) goto fail;
    return desk_event(t->c, t->app, t->by, "account.updated", "account", x->account_id,
                      json_pack("{s:o}", "changed", changed));
fail:
    json_decref(changed);
    return rc;
}

int account_settings_update(app_t *app, const actor_t *by, json_t *patch, parley_err_t *err)
{
    if (!dops(app)) return parley_errf(err, PARLEY_EIO, "", "the store has no account settings");
    settings_ctx_t x = {.patch = patch, .err = err, .account_id = by->account_id};
    err->code = 0;
    int rc = desk_write(app, by, settings_tx, &x);
    if (rc) {
        if (!err->code) parley_errf(err, rc, "", "the settings could not be saved");
        return rc;
    }
    if (app->scheduler)
        scheduler_digest_plan(app->scheduler, by->account_id,
                              digest_next_due(app, app->store->ops->reader(app->store),
                                              by->account_id, app_now(app)));
    return 0;
}

/* ---- the summary and the text e-mail ------------------------------------------------ */

static json_t *at(const json_t *o, const char *a, const char *b)
{
    json_t *v = json_object_get(o, a);
    return b ? json_object_get(v, b) : v;
}

static json_t *copy_or_null(json_t *v)
{
    return v ? json_deep_copy(v) : json_null();
}

static json_t *week_summary(const json_t *w)
{
    json_t *sla = json_object_get(w, "sla");
    return json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "received",
        copy_or_null(at(w, "volume", "received")), "resolved",
        copy_or_null(at(w, "volume", "resolved")), "backlog",
        copy_or_null(at(w, "volume", "backlog")), "first_response_median_seconds",
        copy_or_null(at(w, "first_response_time", "median_seconds")), "resolution_rate",
        copy_or_null(at(w, "resolution_rate", NULL)), "sla_first_response_compliance",
        copy_or_null(at(json_object_get(sla, "first_response"), "compliance", NULL)),
        "csat_satisfied_share", copy_or_null(at(w, "csat", "satisfied_share")),
        "average_handling_seconds", copy_or_null(at(w, "average_handling_time", "mean_seconds")));
}

json_t *digest_summary(const json_t *d)
{
    json_t *tg = json_object_get(d, "targets");
    return json_pack(
        "{s:o, s:o, s:o}", "this_week", week_summary(json_object_get(d, "this_week")), "last_week",
        week_summary(json_object_get(d, "last_week")), "first_response_target_seconds",
        copy_or_null(json_is_object(tg) ? json_object_get(tg, "first_response_seconds") : NULL));
}

static void text_value(buf_t *b, json_t *v, int kind)
{
    if (!json_is_number(v))
        buf_puts(b, "-");
    else if (kind == 1)
        buf_printf(b, "%.1f min", json_number_value(v) / 60.0);
    else if (kind == 2)
        buf_printf(b, "%.0f%%", json_number_value(v) * 100.0);
    else
        buf_printf(b, "%lld", (long long)json_number_value(v));
}

/* The plain-text alternative of the digest e-mail. */
static char *digest_text(const json_t *d, const json_t *sum, const char *url)
{
    static const struct {
        const char *label, *key;
        int kind; /* 0 count, 1 minutes, 2 share */
    } rows[] = {
        {"Conversations received", "received", 0},
        {"Resolved", "resolved", 0},
        {"Backlog at the end of the week", "backlog", 0},
        {"First response time (median)", "first_response_median_seconds", 1},
        {"Resolution rate", "resolution_rate", 2},
        {"SLA first response compliance", "sla_first_response_compliance", 2},
        {"CSAT (share 4-5)", "csat_satisfied_share", 2},
        {"Average handling time", "average_handling_seconds", 1},
    };
    buf_t b;
    buf_init(&b, 0);
    buf_printf(&b, "Weekly digest %s (%s)\n\n", json_string_value(json_object_get(d, "week")),
               json_string_value(json_object_get(d, "timezone")));
    json_t *tw = json_object_get(sum, "this_week"), *lw = json_object_get(sum, "last_week");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        buf_printf(&b, "%s: ", rows[i].label);
        text_value(&b, json_object_get(tw, rows[i].key), rows[i].kind);
        buf_puts(&b, " (previous week ");
        text_value(&b, json_object_get(lw, rows[i].key), rows[i].kind);
        buf_puts(&b, ")\n");
    }
    json_t *target = json_object_get(sum, "first_response_target_seconds");
    if (json_is_number(target)) {
        buf_puts(&b, "First response target: ");
        text_value(&b, target, 1);
        buf_puts(&b, "\n");
    }
    buf_printf(&b, "\nThe whole digest: %s\n", url);
    char *s = strdup(buf_cstr(&b));
    buf_free(&b);
    return s;
}

/* ---- sending ------------------------------------------------------------------------------ */

typedef struct {
    int64_t account_id;
    const json_t *digest;
    json_t *summary;
    const char *html, *text, *url;
    digest_result_t *r;
} send_ctx_t;

/* Users the digest goes to: the chosen ones, else every active supervisor and admin. */
static int recipients(dtx_t *t, const account_settings_row_t *s, int64_t account_id,
                      user_row_t **out, int *n)
{
    *n = 0;
    page_t p = {.account_id = account_id, .after_id = 0, .limit = 1000};
    user_row_t *users;
    int nu;
    int rc = t->app->store->ops->user_list(t->c, &p, t->arena, &users, &nu);
    if (rc) return rc;
    json_t *chosen = s->digest_recipients ? json_loads(s->digest_recipients, 0, NULL) : NULL;
    *out = arena_alloc(t->arena, sizeof **out * (size_t)(nu ? nu : 1));
    for (int i = 0; i < nu; i++) {
        if (strcmp(users[i].status, "active") != 0) continue;
        bool want = false;
        if (chosen) {
            size_t k;
            json_t *x;
            json_array_foreach(chosen, k, x) if (json_integer_value(x) == users[i].id) want = true;
        } else {
            want = !strcmp(users[i].role, "supervisor") || !strcmp(users[i].role, "admin");
        }
        if (want) (*out)[(*n)++] = users[i];
    }
    json_decref(chosen);
    return 0;
}

static int send_tx(dtx_t *t, void *p)
{
    send_ctx_t *x = p;
    const store_digest_ops_t *ops = dops(t->app);
    const char *week = json_string_value(json_object_get(x->digest, "week"));
    int64_t sent_at;
    if (!ops->run_get(t->c, x->account_id, week, &sent_at)) {
        x->r->already = true;
        return PARLEY_ECONFLICT;
    }
    account_settings_row_t s;
    int rc = ops->settings_get(t->c, x->account_id, t->arena, &s);
    if (rc) return rc;
    x->r->emails = 0;
    x->r->why = NULL;
    if (!s.digest_email) {
        x->r->why = "digest e-mail is off";
    } else {
        user_row_t *to;
        int n;
        if ((rc = recipients(t, &s, x->account_id, &to, &n))) return rc;
        if (!n) x->r->why = "no recipients";
        const char *subject = arena_sprintf(t->arena, "Parley weekly digest %s", week);
        for (int i = 0; i < n; i++) {
            bool queued;
            const char *key = arena_sprintf(t->arena, "digest:%lld:%s:%lld",
                                            (long long)x->account_id, week, (long long)to[i].id);
            rc = mailer_queue(t, x->account_id, "digest", key, to[i].email, subject, x->text,
                              x->html, &queued);
            if (rc == PARLEY_ENOENT) {
                x->r->why = "the account has no e-mail inbox to send with";
                rc = 0;
                break;
            }
            if (rc == PARLEY_EINVAL) { /* one bad address does not stop the others */
                rc = 0;
                continue;
            }
            if (rc) return rc;
            x->r->emails += queued;
        }
    }
    if ((rc = ops->run_claim(t->c, x->account_id, week, t->now, x->r->emails))) return rc;
    json_t *d = (json_t *)x->digest;
    json_t *payload =
        json_pack("{s:s, s:o, s:o, s:o, s:o, s:s, s:O, s:I, s:s?}", "week", week, "previous_week",
                  copy_or_null(json_object_get(d, "previous_week")), "since",
                  copy_or_null(json_object_get(d, "since")), "until",
                  copy_or_null(json_object_get(d, "until")), "timezone",
                  copy_or_null(json_object_get(d, "timezone")), "url", x->url, "summary",
                  x->summary, "emails", (json_int_t)x->r->emails, "email_skipped", x->r->why);
    return desk_event(t->c, t->app, t->by, "report.digest", "account", x->account_id, payload);
}

int digest_send(app_t *app, int64_t account_id, const char *week, digest_result_t *r,
                parley_err_t *err)
{
    memset(r, 0, sizeof *r);
    if (!dops(app)) return parley_errf(err, PARLEY_EIO, "", "the store has no digest record");
    json_t *d;
    int rc = report_digest(app, account_id, week, app_now(app), &d, err);
    if (rc) return rc;
    snprintf(r->week, sizeof r->week, "%s", json_string_value(json_object_get(d, "week")));
    const char *base = app->cfg && app->cfg->public_url ? app->cfg->public_url : "";
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/') bl--;
    char url[512];
    snprintf(url, sizeof url, "%.*s/api/v1/reports/digest.html?week=%s", (int)bl, base, r->week);
    char *html = report_digest_html(d);
    json_t *summary = digest_summary(d);
    char *text = digest_text(d, summary, url);
    actor_t sys = {.account_id = account_id, .kind = "system"};
    send_ctx_t x = {.account_id = account_id,
                    .digest = d,
                    .summary = summary,
                    .html = html,
                    .text = text,
                    .url = url,
                    .r = r};
    rc = desk_write(app, &sys, send_tx, &x);
    if (rc == PARLEY_ECONFLICT)
        parley_errf(err, rc, "/week", "the digest of %s was sent already", r->week);
    else if (rc)
        parley_errf(err, rc, "", "the digest could not be sent");
    else
        log_msg(LOG_INFO, "digest.sent", r->week);
    json_decref(summary);
    json_decref(d);
    free(html);
    free(text);
    return rc;
}

/* ---- the calendar ------------------------------------------------------------------------ */

int64_t digest_next_due(app_t *app, store_conn_t *c, int64_t account_id, int64_t now)
{
    const store_digest_ops_t *ops = dops(app);
    if (!ops) return 0;
    arena_t a;
    arena_init(&a, 0);
    account_settings_row_t s;
    account_row_t acc;
    int64_t due = 0;
    tz_zone_t *z = NULL;
    if (ops->settings_get(c, account_id, &a, &s) || !s.digest_enabled ||
        app->store->ops->account_get(c, account_id, &a, &acc) ||
        !(z = digest_account_zone(app, c, account_id)))
        goto done;
    int64_t last = digest_due_at_or_before(z, now), sent;
    char week[16];
    digest_week_of(z, last, NULL, week, NULL, NULL);
    if (last >= acc.created_at && ops->run_get(c, account_id, week, &sent) == PARLEY_ENOENT)
        due = last; /* owed: the server was down at the time */
    else
        due = digest_due_after(z, now);
done:
    tz_zone_free(z);
    arena_free(&a);
    return due;
}

int64_t digest_fire(app_t *app, int64_t account_id, int64_t now)
{
    store_conn_t *c = app->store->ops->reader(app->store);
    int64_t due = digest_next_due(app, c, account_id, now);
    if (due && due <= now) {
        tz_zone_t *z = digest_account_zone(app, c, account_id);
        if (!z) return now + DIGEST_RETRY_MS;
        char week[16];
        digest_week_of(z, due, NULL, week, NULL, NULL);
        tz_zone_free(z);
        digest_result_t r;
        parley_err_t err = {0};
        int rc = digest_send(app, account_id, week, &r, &err);
        if (rc && rc != PARLEY_ECONFLICT) {
            log_msg(LOG_ERROR, "digest.failed", err.msg);
            return now + DIGEST_RETRY_MS;
        }
        due = digest_next_due(app, c, account_id, now);
    }
    return due;
}

int digest_load_plan(app_t *app, void (*cb)(void *arg, int64_t due, int64_t account_id), void *arg)
{
    const store_digest_ops_t *ops = dops(app);
    if (!ops) return 0;
    store_conn_t *c = app->store->ops->reader(app->store);
    int64_t after = 0, now = app_now(app);
    for (;;) {
        arena_t a;
        arena_init(&a, 0);
        digest_account_t *rows;
        int n;
        int rc = ops->accounts(c, after, 500, &a, &rows, &n);
        for (int i = 0; !rc && i < n; i++) {
            int64_t due = digest_next_due(app, c, rows[i].account_id, now);
            if (due) cb(arg, due, rows[i].account_id);
        }
        if (n) after = rows[n - 1].account_id;
        arena_free(&a);
        if (rc) return rc;
        if (n < 500) return 0;
    }
}
