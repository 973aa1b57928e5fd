/*
 * h_contacts.c - contacts: list and search, create, read with identities and
 * conversations, change, merge; and the search over everything.
 */
#include "http/handlers.h"
#include "http/router.h"

#include "desk/contacts.h"
#include "desk/search.h"

#include <string.h>

bool http_conv_filter(req_t *r, conv_filter_t *f, bool status_required);

static void h_list(req_t *r)
{
    int limit;
    int64_t after;
    if (!http_page(r, &limit, &after)) return;
    store_t *st = r->app->store;
    store_conn_t *c = st->ops->reader(st);
    const store_desk_ops_t *ops = st->ops->desk;
    const char *qtext = http_query(r, "q");
    contact_row_t *rows;
    int n;
    json_t *next = json_null();
    if (qtext) {
        char *fq = fts_query_from(&r->arena, qtext, true);
        n = 0;
        if (fq &&
            ops->contact_search(c, r->auth.actor.account_id, fq, limit, &r->arena, &rows, &n)) {
            http_problem(r, 500, "internal", "Internal error", "the search failed", NULL);
            return;
        }
    } else {
        page_t p = {.account_id = r->auth.actor.account_id, .after_id = after, .limit = limit + 1};
        if (ops->contact_list(c, &p, &r->arena, &rows, &n)) {
            http_problem(r, 500, "internal", "Internal error", "contacts could not be read", NULL);
            return;
        }
        if (n > limit) {
            n = limit;
            next = json_sprintf("%lld", (long long)rows[n - 1].id);
        }
    }
    json_t *data = json_array();
    for (int i = 0; i < n; i++) {
        identity_row_t *ids;
        int ni = 0;
        ops->identity_list(c, rows[i].id, &r->arena, &ids, &ni);
        json_array_append_new(data, contact_to_json(&rows[i], ids, ni));
    }
    http_reply_json(r, 200, json_pack("{s:o, s:o}", "data", data, "next", next));
}

static void reply_contact(req_t *r, int status, int64_t id)
{
    store_t *st = r->app->store;
    store_conn_t *c = st->ops->reader(st);
    const store_desk_ops_t *ops = st->ops->desk;
    contact_row_t ct;
    if (ops->contact_get(c, r->auth.actor.account_id, id, &r->arena, &ct)) {
        http_problem(r, 404, "not-found", "Not found", "no contact with this id", NULL);
        return;
    }
    identity_row_t *ids;
    int ni = 0;
    ops->identity_list(c, ct.id, &r->arena, &ids, &ni);
    json_t *out = contact_to_json(&ct, ids, ni);
    conv_row_t *convs;
    int nc = 0;
    ops->conv_of_contact(c, ct.id, 50, &r->arena, &convs, &nc);
    json_t *cj = json_array();
    for (int i = 0; i < nc; i++) json_array_append_new(cj, conv_to_json(&convs[i]));
    json_object_set_new(out, "conversations", cj);
    http_reply_json(r, status, out);
}

static void h_get(req_t *r)
{
    int64_t id;
    if (http_param_id(r, "id", &id)) reply_contact(r, 200, id);
}

static void h_create(req_t *r)
{
    json_t *body = http_body_json(r);
    if (!body) return;
    parley_err_t err = {0};
    int64_t id;
    if (contact_create(r->app, &r->auth.actor, body, &id, &err)) {
        http_problem_err(r, &err);
        return;
    }
    reply_contact(r, 201, id);
}

static void h_patch(req_t *r)
{
    int64_t id;
    if (!http_param_id(r, "id", &id)) return;
    json_t *body = http_body_json(r);
    if (!body) return;
    parley_err_t err = {0};
    if (contact_update(r->app, &r->auth.actor, id, body, &err)) {
        http_problem_err(r, &err);
        return;
    }
    reply_contact(r, 200, id);
}

static void h_merge(req_t *r)
{
    static const char *const allowed[] = {"from", NULL};
    int64_t id;
    if (!http_param_id(r, "id", &id)) return;
    json_t *body = http_body_json(r);
    if (!body) return;
    json_check_t c = {0};
    json_check_known(&c, body, allowed);
    int64_t from = json_get_int(&c, body, "from", true, 1, INT64_MAX, 0);
    if (http_check_failed(r, &c)) return;
    parley_err_t err = {0};
    if (contact_merge(r->app, &r->auth.actor, id, from, &err)) {
        http_problem_err(r, &err);
        return;
    }
    reply_contact(r, 200, id);
}

static void h_search(req_t *r)
{
    const char *qtext = http_query(r, "q");
    if (!qtext || !*qtext) {
        json_t *e = json_pack("[{s:s, s:s}]", "pointer", "/q", "detail", "q is required");
        http_problem(r, 400, "bad-query", "Invalid query parameter", "q is required", e);
        return;
    }
    conv_filter_t f;
    if (!http_conv_filter(r, &f, false)) return;
    const char *l = http_query(r, "limit");
    long long lim = 20;
    if (l && (!str_to_i64(str_from(l), &lim) || lim < 1 || lim > 100)) {
        json_t *e = json_pack("[{s:s, s:s}]", "pointer", "/limit", "detail",
                              "limit must be an integer from 1 to 100");
        http_problem(r, 400, "bad-query", "Invalid query parameter",
                     "limit must be an integer from 1 to 100", e);
        return;
    }
    char *fq_names = fts_query_from(&r->arena, qtext, true);
    store_t *st = r->app->store;
    store_conn_t *c = st->ops->reader(st);
    const store_desk_ops_t *ops = st->ops->desk;
    json_t *messages = json_array(), *contacts = json_array();
    if (fq_names) {
        search_hit_t *hits;
        int n = 0;
        if (search_messages(c, ops, r->auth.actor.account_id, qtext, &f, (int)lim, &r->arena, &hits,
                            &n)) {
            json_decref(messages);
            json_decref(contacts);
            http_problem(r, 500, "internal", "Internal error", "the search failed", NULL);
            return;
        }
        for (int i = 0; i < n; i++)
            json_array_append_new(messages,
                                  json_pack("{s:I, s:I, s:s, s:f}", "message_id",
                                            (json_int_t)hits[i].message_id, "conversation_id",
                                            (json_int_t)hits[i].conversation_id, "snippet",
                                            hits[i].snippet, "rank", hits[i].rank));
        contact_row_t *rows;
        int nc = 0;
        ops->contact_search(c, r->auth.actor.account_id, fq_names, 10, &r->arena, &rows, &nc);
        for (int i = 0; i < nc; i++)
            json_array_append_new(contacts, contact_to_json(&rows[i], NULL, 0));
    }
    http_reply_json(
        r, 200,
        json_pack("{s:s, s:o, s:o}", "q", qtext, "messages", messages, "contacts", contacts));
}

static const route_t routes[] = {
    {"GET", "/api/v1/contacts", PERM_READ, h_list},
    {"POST", "/api/v1/contacts", PERM_WORK, h_create},
    {"GET", "/api/v1/contacts/{id}", PERM_READ, h_get},
    {"PATCH", "/api/v1/contacts/{id}", PERM_WORK, h_patch},
    {"POST", "/api/v1/contacts/{id}/merge", PERM_WORK, h_merge},
    {"GET", "/api/v1/search", PERM_READ, h_search},
};
const route_table_t contacts_route_table = ROUTE_TABLE(routes);
