/*
 * h_outbound.c - outbound webhook subscriptions over HTTP: CRUD, the
 * deliveries log operators debug receivers with, and a test send.
 *
 * Admins only (the routes say PERM_ADMIN). Handlers check JSON types (every
 * bad field with its pointer), call desk/webhooks.c, and render. The secret
 * is shown once, in the answer that created (or rotated) it.
 */
#include "http/handlers.h"
#include "http/router.h"

#include "desk/webhooks.h"

#include <stdio.h>
#include <string.h>

static const store_webhooks_ops_t *ops_or_500(req_t *r)
{
    const store_webhooks_ops_t *ops = webhooks_ops(r->app);
    if (!ops)
        http_problem(r, 500, "internal", "Internal error", "this store does not keep webhooks",
                     NULL);
    return ops;
}

static store_conn_t *reader(req_t *r)
{
    return r->app->store->ops->reader(r->app->store);
}

/* Answers the subscription (secret masked unless shown). */
static void webhook_reply(req_t *r, int status, int64_t id, const char *secret_shown)
{
    const store_webhooks_ops_t *ops = ops_or_500(r);
    if (!ops) return;
    webhook_row_t w;
    int rc = ops->get(reader(r), r->auth.actor.account_id, id, &r->arena, &w);
    if (rc == PARLEY_ENOENT) {
        http_problem(r, 404, "not-found", "Not found", "no webhook with this id", NULL);
        return;
    }
    if (rc) {
        http_problem(r, 500, "internal", "Internal error", "the webhook could not be read", NULL);
        return;
    }
    http_reply_json(r, status, webhook_to_json(&w, secret_shown));
    if (status == 201)
        http_add_header(r, "Location",
                        arena_sprintf(&r->arena, "/api/v1/webhooks/%lld", (long long)id));
}

/* Reads the body's fields by type; create requires url and events. */
static bool read_fields(req_t *r, json_t *body, bool create, webhook_fields_t *in)
{
    static const char *const allowed_create[] = {"name",   "url",    "events", "format",
                                                 "secret", "active", NULL};
    static const char *const allowed_patch[] = {"name",   "url",    "events",        "format",
                                                "secret", "active", "rotate_secret", NULL};
    static const char *const formats[] = {"json", "slack", NULL};
    json_check_t c = {0};
    json_check_known(&c, body, create ? allowed_create : allowed_patch);
    const char *keys[] = {"name", "url", "events", "format", "secret", "active", NULL};
    for (int i = 0; !create && keys[i]; i++)
        if (json_is_null(json_object_get(body, keys[i])))
            json_check_fail(&c, arena_sprintf(&r->arena, "/%s", keys[i]), "%s can not be null",
                            keys[i]);
    *in = (webhook_fields_t){.active = -1};
    in->name = json_get_string(&c, body, "name", false, 0, WEBHOOK_NAME_MAX * 4);
    in->url = json_get_string(&c, body, "url", create, 1, WEBHOOK_URL_MAX);
    json_t *events = json_object_get(body, "events");
    if (events && !json_is_null(events) && !json_is_array(events))
        json_check_fail(&c, "/events", "events must be an array of event types or patterns");
    else if (create && (!events || json_is_null(events)))
        json_check_fail(&c, "/events",
                        "events is required (an array such as [\"message.created\"])");
    else if (json_is_array(events))
        in->events = events;
    int f = json_get_enum(&c, body, "format", false, formats);
    in->format = f >= 0 ? formats[f] : NULL;
    in->secret = json_get_string(&c, body, "secret", false, 1, WEBHOOK_SECRET_MAX);
    json_t *active = json_object_get(body, "active");
    if (active && !json_is_null(active)) in->active = json_get_bool(&c, body, "active", true);
    in->rotate_secret = !create && json_get_bool(&c, body, "rotate_secret", false);
    return !http_check_failed(r, &c);
}

static void webhooks_list(req_t *r)
{
    const store_webhooks_ops_t *ops = ops_or_500(r);
    int limit;
    int64_t after;
    if (!ops || !http_page(r, &limit, &after)) return;
    page_t p = {.account_id = r->auth.actor.account_id, .after_id = after, .limit = limit + 1};
    webhook_row_t *rows;
    int n;
    if (ops->list(reader(r), &p, &r->arena, &rows, &n)) {
        http_problem(r, 500, "internal", "Internal error", "webhooks could not be read", NULL);
        return;
    }
    json_t *data = json_array();
    int shown = n > limit ? limit : n;
    for (int i = 0; i < shown; i++) json_array_append_new(data, webhook_to_json(&rows[i], NULL));
    json_t *next = n > limit ? json_sprintf("%lld", (long long)rows[shown - 1].id) : json_null();
    http_reply_json(r, 200, json_pack("{s:o, s:o}", "data", data, "next", next));
}

static void webhooks_create(req_t *r)
{
    json_t *body = http_body_json(r);
    webhook_fields_t in;
    if (!body || !read_fields(r, body, true, &in)) return;
    char secret[WEBHOOK_SECRET_MAX + 1];
    int64_t id;
    parley_err_t err = {0};
    if (webhook_create(r->app, &r->auth.actor, &in, &id, secret, &err)) {
        http_problem_err(r, &err);
        return;
    }
    webhook_reply(r, 201, id, arena_strdup(&r->arena, secret));
    explicit_bzero(secret, sizeof secret);
}

static void webhooks_get(req_t *r)
{
    int64_t id;
    if (http_param_id(r, "id", &id)) webhook_reply(r, 200, id, NULL);
}

static void webhooks_patch(req_t *r)
{
    int64_t id;
    if (!http_param_id(r, "id", &id)) return;
    json_t *body = http_body_json(r);
    webhook_fields_t in;
    if (!body || !read_fields(r, body, false, &in)) return;
    char secret[WEBHOOK_SECRET_MAX + 1];
    parley_err_t err = {0};
    if (webhook_update(r->app, &r->auth.actor, id, &in, secret, &err)) {
        http_problem_err(r, &err);
        return;
    }
    webhook_reply(r, 200, id, secret[0] ? arena_strdup(&r->arena, secret) : NULL);
    explicit_bzero(secret, sizeof secret);
}

static void webhooks_delete(req_t *r)
{
    int64_t id;
    if (!http_param_id(r, "id", &id)) return;
    parley_err_t err = {0};
    if (webhook_delete(r->app, &r->auth.actor, id, &err)) {
        http_problem_err(r, &err);
        return;
    }
    http_reply_empty(r);
}

static void webhooks_deliveries(req_t *r)
{
    static const char *const statuses[] = {"pending", "sent", "failed", "dead", NULL};
    const store_webhooks_ops_t *ops = ops_or_500(r);
    int64_t id;
    int limit;
    int64_t after;
    if (!ops || !http_param_id(r, "id", &id) || !http_page(r, &limit, &after)) return;
    const char *status = http_query(r, "status");
    bool known = !status;
    for (int i = 0; status && statuses[i]; i++) known = known || !strcmp(status, statuses[i]);
    if (!known) {
        http_problem(r, 400, "bad-query", "Invalid query parameter",
                     "status must be pending, sent, failed or dead",
                     json_pack("[{s:s, s:s}]", "pointer", "/status", "detail",
                               "one of pending, sent, failed, dead"));
        return;
    }
    webhook_row_t w;
    int rc = ops->get(reader(r), r->auth.actor.account_id, id, &r->arena, &w);
    if (rc) {
        if (rc == PARLEY_ENOENT)
            http_problem(r, 404, "not-found", "Not found", "no webhook with this id", NULL);
        else
            http_problem(r, 500, "internal", "Internal error", "the webhook could not be read",
                         NULL);
        return;
    }
    page_t p = {.account_id = r->auth.actor.account_id, .after_id = after, .limit = limit + 1};
    webhook_delivery_row_t *rows;
    int n;
    if (ops->delivery_list(reader(r), &p, id, status, &r->arena, &rows, &n)) {
        http_problem(r, 500, "internal", "Internal error", "deliveries could not be read", NULL);
        return;
    }
    json_t *data = json_array();
    int shown = n > limit ? limit : n;
    for (int i = 0; i < shown; i++) json_array_append_new(data, webhook_delivery_to_json(&rows[i]));
    json_t *next = n > limit ? json_sprintf("%lld", (long long)rows[shown - 1].id) : json_null();
    http_reply_json(r, 200, json_pack("{s:o, s:o}", "data", data, "next", next));
}

static void webhooks_test(req_t *r)
{
    int64_t id, delivery_id = 0;
    if (!http_param_id(r, "id", &id)) return;
    parley_err_t err = {0};
    if (webhook_test(r->app, &r->auth.actor, id, &delivery_id, &err)) {
        http_problem_err(r, &err);
        return;
    }
    webhook_delivery_row_t d;
    const store_webhooks_ops_t *ops = r->app->store->ops->webhooks;
    if (ops->delivery_get(reader(r), delivery_id, &r->arena, &d)) {
        http_problem(r, 500, "internal", "Internal error", "the delivery could not be read", NULL);
        return;
    }
    http_reply_json(r, 202, webhook_delivery_to_json(&d));
    http_add_header(r, "Location",
                    arena_sprintf(&r->arena, "/api/v1/webhooks/%lld/deliveries", (long long)id));
}

/* ---- the table (listed in routes.c) ------------------------------------- */

static const route_t routes[] = {
    {"GET", "/api/v1/webhooks", PERM_ADMIN, webhooks_list},
    {"POST", "/api/v1/webhooks", PERM_ADMIN, webhooks_create},
    {"GET", "/api/v1/webhooks/{id}", PERM_ADMIN, webhooks_get},
    {"PATCH", "/api/v1/webhooks/{id}", PERM_ADMIN, webhooks_patch},
    {"DELETE", "/api/v1/webhooks/{id}", PERM_ADMIN, webhooks_delete},
    {"GET", "/api/v1/webhooks/{id}/deliveries", PERM_ADMIN, webhooks_deliveries},
    {"POST", "/api/v1/webhooks/{id}/test", PERM_ADMIN, webhooks_test},
};
const route_table_t outbound_route_table = ROUTE_TABLE(routes);
