/*
 * h_events.c - the audit trail (the event log, filtered and paginated) and
 * the account record with its settings (time zone, weekly digest).
 */
#include "http/handlers.h"

#include "core/tzfile.h"
#include "desk/digest.h"

#include <string.h>

static json_t *event_to_json(const event_row_t *e)
{
    char at[32];
    clock_format_iso(e->at, at);
    json_t *payload = json_loads(e->payload, 0, NULL);
    return json_pack("{s:I, s:s, s:{s:s, s:I}, s:s, s:{s:s, s:I}, s:o, s:s}", "id",
                     (json_int_t)e->id, "at", at, "actor", "kind", e->actor_kind, "id",
                     (json_int_t)e->actor_id, "type", e->type, "subject", "kind", e->subject_kind,
                     "id", (json_int_t)e->subject_id, "payload", payload ? payload : json_object(),
                     "hash", e->hash);
}

static bool time_param(req_t *r, const char *name, int64_t *out)
{
    const char *v = http_query(r, name);
    *out = 0;
    if (!v) return true;
    if (clock_parse_iso(v, out) == 0) return true;
    json_t *e = json_pack("[{s:s, s:s}]", "pointer", arena_sprintf(&r->arena, "/%s", name),
                          "detail", "expected an RFC 3339 time such as 2026-11-24T09:00:00Z");
    http_problem(r, 400, "bad-query", "Invalid query parameter",
                 arena_sprintf(&r->arena, "%s must be an RFC 3339 time", name), e);
    return false;
}

void h_events_list(req_t *r)
{
    int limit;
    int64_t after;
    if (!http_page(r, &limit, &after)) return;
    event_filter_t f = {.account_id = r->auth.actor.account_id,
                        .after_id = after,
                        .limit = limit + 1,
                        .type = http_query(r, "type"),
                        .subject_kind = http_query(r, "subject_kind")};
    const char *sid = http_query(r, "subject_id");
    if (sid) {
        long long v;
        if (!str_to_i64(str_from(sid), &v) || v <= 0) {
            http_problem(r, 400, "bad-query", "Invalid query parameter",
                         "subject_id must be a positive integer", NULL);
            return;
        }
        f.subject_id = v;
    }
    if (!time_param(r, "since", &f.since) || !time_param(r, "until", &f.until)) return;
    store_t *st = r->app->store;
    event_row_t *rows;
    int n;
    if (st->ops->event_list(st->ops->reader(st), &f, &r->arena, &rows, &n)) {
        http_problem(r, 500, "internal", "Internal error", "events could not be read", NULL);
        return;
    }
    json_t *data = json_array();
    int shown = n > limit ? limit : n;
    for (int i = 0; i < shown; i++) json_array_append_new(data, event_to_json(&rows[i]));
    json_t *next = n > limit ? json_sprintf("%lld", (long long)rows[shown - 1].id) : json_null();
    http_reply_json(r, 200, json_pack("{s:o, s:o}", "data", data, "next", next));
}

void h_account_get(req_t *r)
{
    store_t *st = r->app->store;
    account_row_t a;
    store_conn_t *c = st->ops->reader(st);
    if (st->ops->account_get(c, r->auth.actor.account_id, &r->arena, &a)) {
        http_problem(r, 404, "not-found", "Not found", "the account no longer exists", NULL);
        return;
    }
    char created[32];
    clock_format_iso(a.created_at, created);
    json_t *o = json_pack("{s:I, s:s, s:s, s:{s:I, s:I}}", "id", (json_int_t)a.id, "name", a.name,
                          "created_at", created, "security", "session_idle_seconds",
                          (json_int_t)r->app->cfg->session_idle, "session_max_seconds",
                          (json_int_t)r->app->cfg->session_max);
    account_settings_row_t s;
    if (st->ops->digest && !st->ops->digest->settings_get(c, a.id, &r->arena, &s)) {
        json_t *set = account_settings_json(&s);
        json_object_update(o, set);
        json_decref(set);
    }
    http_reply_json(r, 200, o);
}

/* PATCH /api/v1/account: the time zone and the weekly digest's settings (admins). */
void h_account_patch(req_t *r)
{
    static const char *const allowed[] = {"timezone", "digest", "mail_inbox_id", NULL};
    static const char *const digest_allowed[] = {"enabled", "email", "recipients", NULL};
    json_t *body = http_body_json(r);
    if (!body) return;
    json_check_t c = {0};
    json_check_known(&c, body, allowed);
    json_get_string(&c, body, "timezone", false, 1, TZ_NAME_MAX - 1);
    json_t *d = json_object_get(body, "digest");
    if (d && !json_is_object(d)) {
        json_check_fail(&c, "/digest", "digest is an object: enabled, email, recipients");
    } else if (d) {
        const char *k;
        json_t *v;
        json_object_foreach(d, k, v)
        {
            int i = 0;
            while (digest_allowed[i] && strcmp(digest_allowed[i], k) != 0) i++;
            if (!digest_allowed[i])
                json_check_fail(&c, "/digest", "digest takes enabled, email and recipients");
            else if (i < 2 && !json_is_boolean(v))
                json_check_fail(&c, i ? "/digest/email" : "/digest/enabled",
                                "%s must be true or false", k);
        }
    }
    json_t *mi = json_object_get(body, "mail_inbox_id");
    if (mi && !json_is_null(mi) && !json_is_integer(mi))
        json_check_fail(&c, "/mail_inbox_id", "mail_inbox_id is an inbox id or null");
    if (http_check_failed(r, &c)) return;
    parley_err_t err = {0};
    if (account_settings_update(r->app, &r->auth.actor, body, &err)) {
        http_problem_err(r, &err);
        return;
    }
    h_account_get(r);
}

static json_t *iso_or_null(int64_t ms)
{
    if (!ms) return json_null();
    char b[32];
    clock_format_iso(ms, b);
    return json_string(b);
}

/* GET /api/v1/account/notices: the e-mails Parley sent the account's people
 * (weekly digests, SLA escalations), newest first, with their delivery state. */
void h_account_notices(req_t *r)
{
    store_t *st = r->app->store;
    int limit;
    int64_t after;
    if (!http_page(r, &limit, &after)) return;
    if (!st->ops->digest) {
        http_reply_json(r, 200, json_pack("{s:[], s:n}", "data", "next"));
        return;
    }
    mail_row_t *rows;
    int n;
    if (st->ops->digest->mail_list(st->ops->reader(st), r->auth.actor.account_id, limit, &r->arena,
                                   &rows, &n)) {
        http_problem(r, 500, "internal", "Internal error", "notices could not be read", NULL);
        return;
    }
    json_t *data = json_array();
    for (int i = 0; i < n; i++) {
        const mail_row_t *m = &rows[i];
        json_array_append_new(
            data,
            json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:s?, s:I, s:o, s:o, s:o}", "id",
                      (json_int_t)m->id, "kind", m->kind, "to", m->rcpt, "subject", m->subject,
                      "status", m->status, "attempts", (json_int_t)m->attempts, "last_error",
                      m->last_error, "inbox_id", (json_int_t)m->inbox_id, "created_at",
                      iso_or_null(m->created_at), "sent_at", iso_or_null(m->sent_at),
                      "next_attempt_at", iso_or_null(m->next_attempt_at)));
    }
    http_reply_json(r, 200, json_pack("{s:o, s:n}", "data", data, "next"));
}
