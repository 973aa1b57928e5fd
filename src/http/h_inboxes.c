/*
 * h_inboxes.c - inboxes (admins configure, everyone reads) and the API
 * channel's signed message intake.
 */
#include "http/handlers.h"
#include "http/router.h"
#include "http/server.h"

#include "core/log.h"
#include "desk/inboxes.h"
#include "desk/ingest.h"

#include <string.h>

static bool load(req_t *r, int64_t id, inbox_row_t *in)
{
    store_t *st = r->app->store;
    if (st->ops->desk->inbox_get(st->ops->reader(st), r->auth.actor.account_id, id, &r->arena,
                                 in)) {
        http_problem(r, 404, "not-found", "Not found", "no inbox with this id", NULL);
        return false;
    }
    return true;
}

static void h_list(req_t *r)
{
    int limit;
    int64_t after;
    if (!http_page(r, &limit, &after)) return;
    store_t *st = r->app->store;
    page_t p = {.account_id = r->auth.actor.account_id, .after_id = after, .limit = limit + 1};
    inbox_row_t *rows;
    int n;
    if (st->ops->desk->inbox_list(st->ops->reader(st), &p, &r->arena, &rows, &n)) {
        http_problem(r, 500, "internal", "Internal error", "inboxes could not be read", NULL);
        return;
    }
    json_t *data = json_array();
    int shown = n > limit ? limit : n;
    for (int i = 0; i < shown; i++) json_array_append_new(data, inbox_to_json(r->app, &rows[i]));
    json_t *next = n > limit ? json_sprintf("%lld", (long long)rows[shown - 1].id) : json_null();
    http_reply_json(r, 200, json_pack("{s:o, s:o}", "data", data, "next", next));
}

static void h_get(req_t *r)
{
    int64_t id;
    inbox_row_t in;
    if (!http_param_id(r, "id", &id) || !load(r, id, &in)) return;
    http_reply_json(r, 200, inbox_to_json(r->app, &in));
}

static void h_create(req_t *r)
{
    json_t *body = http_body_json(r);
    if (!body) return;
    parley_err_t err = {0};
    int64_t id;
    if (inbox_create(r->app, &r->auth.actor, body, &id, &err)) {
        http_problem_err(r, &err);
        return;
    }
    inbox_row_t in;
    if (!load(r, id, &in)) return;
    http_reply_json(r, 201, inbox_to_json(r->app, &in));
    http_add_header(r, "Location", arena_sprintf(&r->arena, "/api/v1/inboxes/%lld", (long long)id));
}

static void h_patch(req_t *r)
{
    int64_t id;
    if (!http_param_id(r, "id", &id)) return;
    json_t *body = http_body_json(r);
    if (!body) return;
    parley_err_t err = {0};
    if (inbox_update(r->app, &r->auth.actor, id, body, &err)) {
        http_problem_err(r, &err);
        return;
    }
    h_get(r);
}

static void h_delete(req_t *r)
{
    int64_t id;
    if (!http_param_id(r, "id", &id)) return;
    parley_err_t err = {0};
    if (inbox_delete(r->app, &r->auth.actor, id, &err)) {
        http_problem_err(r, &err);
        return;
    }
    http_reply_empty(r);
}

/* ---- the API channel ------------------------------------------------------ */

static const char *req_header(void *ctx, const char *name)
{
    return http_header(ctx, name);
}

static const char *req_query(void *ctx, const char *name)
{
    return http_query(ctx, name);
}

ch_request_t http_channel_request(req_t *r)
{
    return (ch_request_t){.method = r->method,
                          .url = arena_sprintf(&r->arena, "%s%s", r->app->cfg->public_url, r->url),
                          .body = {r->body.ptr ? r->body.ptr : "", r->body.len},
                          .header = req_header,
                          .query = req_query,
                          .ctx = r};
}

json_t *http_ingest_result(const ingest_result_t *res)
{
    return json_pack("{s:I, s:I, s:I, s:b, s:b, s:b}", "message_id", (json_int_t)res->message_id,
                     "conversation_id", (json_int_t)res->conversation_id, "contact_id",
                     (json_int_t)res->contact_id, "duplicate", res->duplicate, "new_conversation",
                     res->new_conversation, "reopened", res->reopened);
}

static void h_api_message(req_t *r)
{
    int64_t id;
    if (!http_param_id(r, "id", &id)) return;
    store_t *st = r->app->store;
    inbox_row_t in;
    if (st->ops->desk->inbox_get_any(st->ops->reader(st), id, &r->arena, &in) ||
        strcmp(in.channel, "api") != 0) {
        http_problem(r, 404, "not-found", "Not found", "no API inbox with this id", NULL);
        return;
    }
    const channel_ops_t *ch = channel_find("api");
    json_t *settings = inbox_settings(r->app, &in);
    ch_request_t creq = http_channel_request(r);
    parley_err_t err = {0};
    ch_batch_t *batch = arena_calloc(&r->arena, sizeof *batch);
    if (!settings || ch->verify(settings, &creq, &err)) {
        json_decref(settings);
        metrics_count(r->srv->metrics, "webhook_rejected");
        log_line_t l;
        log_begin(&l, LOG_WARN, "webhook.rejected", r->request_id);
        log_int(&l, "inbox_id", id);
        log_str(&l, "reason", err.msg);
        log_end(&l);
        http_problem(r, 401, "bad-signature", "Signature check failed",
                     "X-Parley-Signature must be sha256=<hex HMAC-SHA256 of the raw body>", NULL);
        return;
    }
    int rc = ch->parse(settings, &creq, &r->arena, batch, &err);
    json_decref(settings);
    if (rc || batch->n != 1) {
        if (!rc) parley_errf(&err, PARLEY_EINVAL, "", "expected one message");
        http_problem_err(r, &err);
        return;
    }
    ingest_result_t res;
    if (desk_ingest(r->app, &in, &batch->items[0], &res, &err)) {
        http_problem_err(r, &err);
        return;
    }
    /* Answered only now: the message is committed. */
    http_reply_json(r, res.duplicate ? 200 : 201, http_ingest_result(&res));
}

static const route_t routes[] = {
    {"GET", "/api/v1/inboxes", PERM_READ, h_list},
    {"POST", "/api/v1/inboxes", PERM_ADMIN, h_create},
    {"GET", "/api/v1/inboxes/{id}", PERM_READ, h_get},
    {"PATCH", "/api/v1/inboxes/{id}", PERM_ADMIN, h_patch},
    {"DELETE", "/api/v1/inboxes/{id}", PERM_ADMIN, h_delete},
    {"POST", "/api/v1/inboxes/{id}/messages", PERM_PUBLIC, h_api_message},
};
const route_table_t inboxes_route_table = ROUTE_TABLE(routes);
