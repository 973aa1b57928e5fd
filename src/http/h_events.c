/*
 * h_events.c - the audit trail (the event log, filtered and paginated) and
 * the account record.
 */
#include "http/handlers.h"

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
    if (st->ops->account_get(st->ops->reader(st), r->auth.actor.account_id, &r->arena, &a)) {
        http_problem(r, 404, "not-found", "Not found", "the account no longer exists", NULL);
        return;
    }
    char created[32];
    clock_format_iso(a.created_at, created);
    http_reply_json(r, 200,
                    json_pack("{s:I, s:s, s:s, s:{s:I, s:I}}", "id", (json_int_t)a.id, "name",
                              a.name, "created_at", created, "security", "session_idle_seconds",
                              (json_int_t)r->app->cfg->session_idle, "session_max_seconds",
                              (json_int_t)r->app->cfg->session_max));
}
