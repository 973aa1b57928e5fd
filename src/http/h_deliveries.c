/*
 * h_deliveries.c - the outbox seen by supervisors: failed (and other)
 * deliveries with the platform's reason, sends in flight, interrupted sends
 * resumed as possible duplicates, and a retry.
 */
#include "http/handlers.h"
#include "http/router.h"

#include "desk/delivery.h"
#include "desk/desk.h"

#include <string.h>

static json_t *outbox_to_json(const outbox_row_t *o)
{
    char next[32];
    clock_format_iso(o->next_attempt_at, next);
    char started[32];
    clock_format_iso(o->attempt_started_at, started);
    return json_pack("{s:I, s:I, s:I, s:s, s:I, s:s, s:s?, s:s?, s:b}", "id", (json_int_t)o->id,
                     "message_id", (json_int_t)o->message_id, "inbox_id", (json_int_t)o->inbox_id,
                     "status", o->status, "attempts", (json_int_t)o->attempts, "next_attempt_at",
                     next, "last_error", o->last_error, "attempt_started_at",
                     o->attempt_started_at ? started : NULL, "possible_duplicate",
                     o->possible_duplicate);
}

static void h_list(req_t *r)
{
    static const char *const statuses[] = {"pending", "sending", "sent", "failed", "dead", NULL};
    const char *status = http_query(r, "status");
    bool ok = !status;
    for (int i = 0; status && statuses[i]; i++) ok |= !strcmp(status, statuses[i]);
    if (!ok) {
        json_t *e = json_pack("[{s:s, s:s}]", "pointer", "/status", "detail",
                              "status must be pending, sending, sent, failed or dead");
        http_problem(r, 400, "bad-query", "Invalid query parameter",
                     "status must be pending, sending, sent, failed or dead", e);
        return;
    }
    int limit;
    int64_t after;
    if (!http_page(r, &limit, &after)) return;
    store_t *st = r->app->store;
    outbox_row_t *rows;
    int n;
    if (st->ops->desk->outbox_list(st->ops->reader(st), r->auth.actor.account_id, status, after,
                                   limit + 1, &r->arena, &rows, &n)) {
        http_problem(r, 500, "internal", "Internal error", "deliveries could not be read", NULL);
        return;
    }
    json_t *data = json_array();
    int shown = n > limit ? limit : n;
    for (int i = 0; i < shown; i++) json_array_append_new(data, outbox_to_json(&rows[i]));
    /* Newest first: the cursor is the last id shown, and the next page is older. */
    json_t *next = n > limit ? json_sprintf("%lld", (long long)rows[shown - 1].id) : json_null();
    http_reply_json(r, 200, json_pack("{s:o, s:o}", "data", data, "next", next));
}

typedef struct {
    int64_t id;
    parley_err_t *err;
} retry_ctx_t;

static int retry_tx(dtx_t *t, void *p)
{
    retry_ctx_t *x = p;
    const store_desk_ops_t *ops = dtx_ops(t);
    outbox_row_t o;
    if (ops->outbox_get(t->c, t->by->account_id, x->id, t->arena, &o))
        return parley_errf(x->err, PARLEY_ENOENT, "", "no delivery with this id");
    if (strcmp(o.status, "dead") && strcmp(o.status, "failed"))
        return parley_errf(x->err, PARLEY_ECONFLICT, "/status",
                           "only failed deliveries can be retried (this one is %s)", o.status);
    o.status = "pending";
    o.attempts = 0;
    o.next_attempt_at = t->now;
    o.possible_duplicate = false;
    int rc = ops->outbox_update(t->c, &o);
    delivery_note_outbox(t->app->delivery);
    if (!rc) rc = ops->message_set_delivery(t->c, o.message_id, "pending", NULL);
    if (!rc)
        rc = desk_event(t->c, t->app, t->by, "message.delivery", "message", o.message_id,
                        json_pack("{s:s, s:b}", "status", "pending", "retried", 1));
    return rc;
}

static void h_retry(req_t *r)
{
    int64_t id;
    if (!http_param_id(r, "id", &id)) return;
    parley_err_t err = {0};
    retry_ctx_t x = {.id = id, .err = &err};
    int rc = desk_write(r->app, &r->auth.actor, retry_tx, &x);
    if (rc) {
        if (!err.code) parley_errf(&err, rc, "", "the retry could not be stored");
        http_problem_err(r, &err);
        return;
    }
    delivery_poke(r->app->delivery);
    store_t *st = r->app->store;
    outbox_row_t o;
    st->ops->desk->outbox_get(st->ops->reader(st), r->auth.actor.account_id, id, &r->arena, &o);
    http_reply_json(r, 202, outbox_to_json(&o));
}

static const route_t routes[] = {
    {"GET", "/api/v1/deliveries", PERM_MANAGE, h_list},
    {"POST", "/api/v1/deliveries/{id}/retry", PERM_MANAGE, h_retry},
};
const route_table_t deliveries_route_table = ROUTE_TABLE(routes);
