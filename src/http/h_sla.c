/*
 * h_sla.c - business-hours calendars (admins write), SLA policies with their
 * escalation rules (supervisors and admins write), and what an inbox
 * publishes about its service (public: hours and promised window only).
 *
 * Thin: parse, call desk/hours.c and desk/sla_policy.c, render. Rows of
 * another account are simply not found.
 */
#include "http/handlers.h"
#include "http/router.h"

#include "desk/hours.h"
#include "desk/sla.h"

static const store_sla_ops_t *sla_ops(req_t *r)
{
    return r->app->store->ops->sla;
}

static store_conn_t *reader(req_t *r)
{
    return r->app->store->ops->reader(r->app->store);
}

static void not_found(req_t *r, const char *what)
{
    http_problem(r, 404, "not-found", "Not found",
                 arena_sprintf(&r->arena, "no %s with this id", what), NULL);
}

static void read_failed(req_t *r, const char *what)
{
    http_problem(r, 500, "internal", "Internal error",
                 arena_sprintf(&r->arena, "%s could not be read", what), NULL);
}

static void reply_with(req_t *r, int status, json_t *v, const char *collection, int64_t id)
{
    http_reply_json(r, status, v);
    if (status == 201)
        http_add_header(r, "Location",
                        arena_sprintf(&r->arena, "/api/v1/%s/%lld", collection, (long long)id));
}

/* ---- business hours ------------------------------------------------------- */

static void bh_list(req_t *r)
{
    int limit;
    int64_t after;
    if (!http_page(r, &limit, &after)) return;
    page_t p = {.account_id = r->auth.actor.account_id, .after_id = after, .limit = limit + 1};
    bh_row_t *rows;
    int n;
    if (sla_ops(r)->bh_list(reader(r), &p, &r->arena, &rows, &n)) {
        read_failed(r, "calendars");
        return;
    }
    json_t *data = json_array();
    int shown = n > limit ? limit : n;
    for (int i = 0; i < shown; i++) json_array_append_new(data, hours_to_json(&rows[i]));
    json_t *next = n > limit ? json_sprintf("%lld", (long long)rows[shown - 1].id) : json_null();
    http_reply_json(r, 200, json_pack("{s:o, s:o}", "data", data, "next", next));
}

static void bh_reply(req_t *r, int status, int64_t id)
{
    bh_row_t row;
    int rc = sla_ops(r)->bh_get(reader(r), r->auth.actor.account_id, id, &r->arena, &row);
    if (rc == PARLEY_ENOENT) {
        not_found(r, "business-hours calendar");
        return;
    }
    if (rc) {
        read_failed(r, "the calendar");
        return;
    }
    reply_with(r, status, hours_to_json(&row), "business-hours", id);
}

static void bh_get(req_t *r)
{
    int64_t id;
    if (http_param_id(r, "id", &id)) bh_reply(r, 200, id);
}

static void bh_create(req_t *r)
{
    json_t *body = http_body_json(r);
    if (!body) return;
    parley_err_t err = {0};
    int64_t id;
    if (hours_create(r->app, &r->auth.actor, body, &id, &err)) {
        http_problem_err(r, &err);
        return;
    }
    bh_reply(r, 201, id);
}

static void bh_patch(req_t *r)
{
    int64_t id;
    if (!http_param_id(r, "id", &id)) return;
    json_t *body = http_body_json(r);
    if (!body) return;
    parley_err_t err = {0};
    if (hours_update(r->app, &r->auth.actor, id, body, &err)) {
        http_problem_err(r, &err);
        return;
    }
    bh_reply(r, 200, id);
}

static void bh_delete(req_t *r)
{
    int64_t id;
    if (!http_param_id(r, "id", &id)) return;
    parley_err_t err = {0};
    if (hours_delete(r->app, &r->auth.actor, id, &err)) {
        http_problem_err(r, &err);
        return;
    }
    http_reply_empty(r);
}

/* ---- SLA policies --------------------------------------------------------- */

static json_t *policy_json(req_t *r, const sla_policy_row_t *row)
{
    esc_rule_row_t *rules = NULL;
    int n = 0;
    if (sla_ops(r)->rules_list(reader(r), row->account_id, row->id, &r->arena, &rules, &n)) n = 0;
    return sla_policy_to_json(row, rules, n);
}

static void policy_list(req_t *r)
{
    int limit;
    int64_t after;
    if (!http_page(r, &limit, &after)) return;
    page_t p = {.account_id = r->auth.actor.account_id, .after_id = after, .limit = limit + 1};
    sla_policy_row_t *rows;
    int n;
    if (sla_ops(r)->policy_list(reader(r), &p, &r->arena, &rows, &n)) {
        read_failed(r, "SLA policies");
        return;
    }
    json_t *data = json_array();
    int shown = n > limit ? limit : n;
    for (int i = 0; i < shown; i++) json_array_append_new(data, policy_json(r, &rows[i]));
    json_t *next = n > limit ? json_sprintf("%lld", (long long)rows[shown - 1].id) : json_null();
    http_reply_json(r, 200, json_pack("{s:o, s:o}", "data", data, "next", next));
}

static void policy_reply(req_t *r, int status, int64_t id)
{
    sla_policy_row_t row;
    int rc = sla_ops(r)->policy_get(reader(r), r->auth.actor.account_id, id, &r->arena, &row);
    if (rc == PARLEY_ENOENT) {
        not_found(r, "SLA policy");
        return;
    }
    if (rc) {
        read_failed(r, "the policy");
        return;
    }
    reply_with(r, status, policy_json(r, &row), "sla-policies", id);
}

static void policy_get(req_t *r)
{
    int64_t id;
    if (http_param_id(r, "id", &id)) policy_reply(r, 200, id);
}

static void policy_create(req_t *r)
{
    json_t *body = http_body_json(r);
    if (!body) return;
    parley_err_t err = {0};
    int64_t id;
    if (sla_policy_create(r->app, &r->auth.actor, body, &id, &err)) {
        http_problem_err(r, &err);
        return;
    }
    policy_reply(r, 201, id);
}

static void policy_patch(req_t *r)
{
    int64_t id;
    if (!http_param_id(r, "id", &id)) return;
    json_t *body = http_body_json(r);
    if (!body) return;
    parley_err_t err = {0};
    if (sla_policy_update(r->app, &r->auth.actor, id, body, &err)) {
        http_problem_err(r, &err);
        return;
    }
    policy_reply(r, 200, id);
}

static void policy_delete(req_t *r)
{
    int64_t id;
    if (!http_param_id(r, "id", &id)) return;
    parley_err_t err = {0};
    if (sla_policy_delete(r->app, &r->auth.actor, id, &err)) {
        http_problem_err(r, &err);
        return;
    }
    http_reply_empty(r);
}

/* ---- what an inbox publishes ------------------------------------------------ */

static void service_hours(req_t *r)
{
    int64_t id;
    if (!http_param_id(r, "id", &id)) return;
    json_t *out;
    int rc = hours_service_json(r->app, id, &out);
    if (rc == PARLEY_ENOENT) {
        not_found(r, "inbox");
        return;
    }
    if (rc) {
        read_failed(r, "the inbox's service hours");
        return;
    }
    http_reply_json(r, 200, out);
}

/* ---- the table (listed in routes.c) ------------------------------------------ */

static const route_t routes[] = {
    {"GET", "/api/v1/business-hours", PERM_READ, bh_list},
    {"POST", "/api/v1/business-hours", PERM_ADMIN, bh_create},
    {"GET", "/api/v1/business-hours/{id}", PERM_READ, bh_get},
    {"PATCH", "/api/v1/business-hours/{id}", PERM_ADMIN, bh_patch},
    {"DELETE", "/api/v1/business-hours/{id}", PERM_ADMIN, bh_delete},

    {"GET", "/api/v1/sla-policies", PERM_READ, policy_list},
    {"POST", "/api/v1/sla-policies", PERM_MANAGE, policy_create},
    {"GET", "/api/v1/sla-policies/{id}", PERM_READ, policy_get},
    {"PATCH", "/api/v1/sla-policies/{id}", PERM_MANAGE, policy_patch},
    {"DELETE", "/api/v1/sla-policies/{id}", PERM_MANAGE, policy_delete},

    {"GET", "/api/v1/inboxes/{id}/service-hours", PERM_PUBLIC, service_hours},
};
const route_table_t sla_route_table = ROUTE_TABLE(routes);
