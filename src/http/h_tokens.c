/*
 * h_tokens.c - API tokens: created by a user, acting with that user's role.
 * Admins see and revoke every token of the account; others only their own.
 */
#include "http/auth.h"
#include "http/handlers.h"

#include "desk/credentials.h"

static json_t *token_to_json(const token_row_t *t)
{
    char created[32], used[32], revoked[32];
    clock_format_iso(t->created_at, created);
    clock_format_iso(t->last_used_at, used);
    clock_format_iso(t->revoked_at, revoked);
    return json_pack("{s:I, s:s, s:I, s:s, s:s?, s:s?}", "id", (json_int_t)t->id, "name", t->name,
                     "user_id", (json_int_t)t->user_id, "created_at", created, "last_used_at",
                     t->last_used_at ? used : NULL, "revoked_at", t->revoked_at ? revoked : NULL);
}

void h_tokens_list(req_t *r)
{
    int limit;
    int64_t after;
    if (!http_page(r, &limit, &after)) return;
    store_t *st = r->app->store;
    bool all = r->auth.role == ROLE_ADMIN;
    json_t *data = json_array();
    json_t *next = json_null();
    page_t p = {.account_id = r->auth.actor.account_id, .after_id = after, .limit = 100};
    int64_t last_shown = 0;
    /* Non-admins see their own tokens: filter while paging through the account's. */
    for (;;) {
        token_row_t *rows;
        int n;
        if (st->ops->token_list(st->ops->reader(st), &p, &r->arena, &rows, &n)) {
            json_decref(data);
            http_problem(r, 500, "internal", "Internal error", "tokens could not be read", NULL);
            return;
        }
        for (int i = 0; i < n; i++) {
            if (!all && rows[i].user_id != r->auth.actor.user_id) continue;
            if ((int)json_array_size(data) == limit) {
                json_decref(next);
                next = json_sprintf("%lld", (long long)last_shown);
                goto done;
            }
            json_array_append_new(data, token_to_json(&rows[i]));
            last_shown = rows[i].id;
        }
        if (n < p.limit) break;
        p.after_id = rows[n - 1].id;
    }
done:
    http_reply_json(r, 200, json_pack("{s:o, s:o}", "data", data, "next", next));
}

void h_tokens_create(req_t *r)
{
    static const char *const allowed[] = {"name", NULL};
    json_t *body = http_body_json(r);
    if (!body) return;
    json_check_t c = {0};
    json_check_known(&c, body, allowed);
    const char *name = json_get_string(&c, body, "name", true, 1, 100);
    if (http_check_failed(r, &c)) return;
    char token[64];
    int64_t id;
    if (token_issue(r->app, &r->auth.actor, r->auth.actor.user_id, name, token, &id)) {
        http_problem(r, 500, "internal", "Internal error", "the token could not be stored", NULL);
        return;
    }
    http_reply_json(r, 201,
                    json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)id, "name", name, "token",
                              token, "note", "store this token now: it is never shown again"));
}

void h_tokens_revoke(req_t *r)
{
    int64_t id;
    if (!http_param_id(r, "id", &id)) return;
    store_t *st = r->app->store;
    /* Find it among the account's tokens to check ownership. */
    page_t p = {.account_id = r->auth.actor.account_id, .after_id = id - 1, .limit = 1};
    token_row_t *rows;
    int n = 0;
    st->ops->token_list(st->ops->reader(st), &p, &r->arena, &rows, &n);
    if (n == 0 || rows[0].id != id ||
        (r->auth.role != ROLE_ADMIN && rows[0].user_id != r->auth.actor.user_id)) {
        http_problem(r, 404, "not-found", "Not found", "no token with this id", NULL);
        return;
    }
    int rc = token_revoke(r->app, &r->auth.actor, id);
    if (rc == PARLEY_ENOENT) {
        http_problem(r, 404, "not-found", "Not found", "the token is already revoked", NULL);
        return;
    }
    if (rc) {
        http_problem(r, 500, "internal", "Internal error", "the token could not be revoked", NULL);
        return;
    }
    http_reply_empty(r);
}
