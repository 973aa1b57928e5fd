/*
 * hours.c - stored business-hours calendars and what inboxes publish.
 *
 * A calendar is kept as the JSON core/bhours parses (timezone, weekly,
 * holidays), normalised by jansson; every write parses it first, so what is
 * stored always parses. Deleting a calendar a live inbox uses is refused.
 */
#include "desk/hours.h"

#include "desk/sla.h"
#include "desk/users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const store_sla_ops_t *sla_store(const app_t *app)
{
    return app->store->ops->sla;
}

/* The calendar members of body as JSON text (malloc'd), checked by bhours;
 * errors point into the body. */
static char *calendar_text(json_t *body, parley_err_t *err)
{
    json_t *cal = json_object();
    static const char *const keys[] = {"timezone", "weekly", "holidays", NULL};
    for (int i = 0; keys[i]; i++) {
        json_t *v = json_object_get(body, keys[i]);
        if (v) json_object_set(cal, keys[i], v);
    }
    char *text = json_dumps(cal, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(cal);
    bh_calendar_t *c = bh_calendar_parse(text, strlen(text), err);
    if (!c) {
        free(text);
        if (err && err->code == PARLEY_ENOENT) { /* unknown zone: invalid input here */
            err->code = PARLEY_EINVAL;
            if (!err->field[0]) snprintf(err->field, sizeof err->field, "/timezone");
        }
        if (err && !err->field[0]) snprintf(err->field, sizeof err->field, "/weekly");
        return NULL;
    }
    bh_calendar_free(c);
    return text;
}

static int check_body(json_t *body, bool creating, parley_err_t *err)
{
    static const char *const allowed[] = {"name", "timezone", "weekly", "holidays", NULL};
    json_check_t c = {0};
    json_check_known(&c, body, allowed);
    json_get_string(&c, body, "name", creating, 1, HOURS_NAME_MAX);
    bool any = json_object_get(body, "timezone") || json_object_get(body, "weekly") ||
               json_object_get(body, "holidays");
    if (!creating && any &&
        (!json_object_get(body, "timezone") || !json_object_get(body, "weekly")))
        json_check_fail(&c, json_object_get(body, "timezone") ? "/weekly" : "/timezone",
                        "a calendar is replaced whole: send timezone and weekly together");
    return json_check_to_err(&c, err);
}

typedef struct {
    bh_row_t row;
    int64_t id;
    json_t *body;
    bool deleting;
    parley_err_t *err;
} hours_ctx_t;

static int taken(parley_err_t *err, const char *name)
{
    return parley_errf(err, PARLEY_EEXIST, "/name", "a calendar named \"%s\" exists", name);
}

static int create_tx(dtx_t *t, void *p)
{
    hours_ctx_t *x = p;
    int rc = sla_store(t->app)->bh_create(t->c, &x->row, &x->id);
    if (rc == PARLEY_EEXIST) return taken(x->err, x->row.name);
    if (rc) return rc;
    return desk_event(t->c, t->app, t->by, "business_hours.created", "business_hours", x->id,
                      json_pack("{s:s}", "name", x->row.name));
}

int hours_create(app_t *app, const actor_t *by, json_t *body, int64_t *id, parley_err_t *err)
{
    int rc = check_body(body, true, err);
    if (rc) return rc;
    char *text = calendar_text(body, err);
    if (!text) return err->code ? err->code : PARLEY_EINVAL;
    int64_t now = app_now(app);
    hours_ctx_t x = {.err = err,
                     .row = {.account_id = by->account_id,
                             .name = json_string_value(json_object_get(body, "name")),
                             .calendar = text,
                             .created_at = now,
                             .updated_at = now}};
    err->code = 0;
    rc = desk_write(app, by, create_tx, &x);
    free(text);
    if (rc && !err->code) parley_errf(err, rc, "", "the calendar could not be stored");
    if (!rc) *id = x.id;
    return rc;
}

static int change_tx(dtx_t *t, void *p)
{
    hours_ctx_t *x = p;
    const store_sla_ops_t *ops = sla_store(t->app);
    bh_row_t row;
    int rc = ops->bh_get(t->c, t->by->account_id, x->id, t->arena, &row);
    if (rc) return parley_errf(x->err, rc, "", "no business-hours calendar with this id");
    if (x->deleting) {
        int64_t n;
        if ((rc = ops->bh_in_use(t->c, row.account_id, row.id, &n))) return rc;
        if (n)
            return parley_errf(x->err, PARLEY_ECONFLICT, "",
                               "%lld inbox(es) use this calendar; assign them another first",
                               (long long)n);
        if ((rc = ops->bh_delete(t->c, row.account_id, row.id))) return rc;
        return desk_event(t->c, t->app, t->by, "business_hours.deleted", "business_hours", row.id,
                          json_pack("{s:s}", "name", row.name));
    }
    json_t *v;
    if ((v = json_object_get(x->body, "name"))) row.name = json_string_value(v);
    if (x->row.calendar) row.calendar = x->row.calendar;
    row.updated_at = t->now;
    rc = ops->bh_update(t->c, &row);
    if (rc == PARLEY_EEXIST) return taken(x->err, row.name);
    if (rc) return rc;
    return desk_event(
        t->c, t->app, t->by, "business_hours.updated", "business_hours", row.id,
        json_pack("{s:s, s:b}", "name", row.name, "calendar_changed", x->row.calendar != NULL));
}

int hours_update(app_t *app, const actor_t *by, int64_t id, json_t *body, parley_err_t *err)
{
    int rc = check_body(body, false, err);
    if (rc) return rc;
    char *text = NULL;
    if (json_object_get(body, "timezone") && !(text = calendar_text(body, err)))
        return err->code ? err->code : PARLEY_EINVAL;
    hours_ctx_t x = {.id = id, .body = body, .err = err, .row = {.calendar = text}};
    err->code = 0;
    rc = desk_write(app, by, change_tx, &x);
    free(text);
    if (rc && !err->code) parley_errf(err, rc, "", "the calendar could not be changed");
    return rc;
}

int hours_delete(app_t *app, const actor_t *by, int64_t id, parley_err_t *err)
{
    hours_ctx_t x = {.id = id, .err = err, .deleting = true};
    err->code = 0;
    int rc = desk_write(app, by, change_tx, &x);
    if (rc && !err->code) parley_errf(err, rc, "", "the calendar could not be deleted");
    return rc;
}

json_t *hours_to_json(const bh_row_t *r)
{
    json_t *o = json_loads(r->calendar, 0, NULL);
    if (!o) o = json_object();
    bh_calendar_t *c = bh_calendar_parse(r->calendar, strlen(r->calendar), NULL);
    char desc[1024];
    bh_describe(c, desc, sizeof desc);
    bh_calendar_free(c);
    char b1[32], b2[32];
    clock_format_iso(r->created_at, b1);
    clock_format_iso(r->updated_at, b2);
    json_object_set_new(o, "id", json_integer(r->id));
    json_object_set_new(o, "name", json_string(r->name));
    json_object_set_new(o, "description", json_string(desc));
    json_object_set_new(o, "created_at", json_string(b1));
    json_object_set_new(o, "updated_at", json_string(b2));
    if (!json_object_get(o, "holidays")) json_object_set_new(o, "holidays", json_array());
    return o;
}

bh_calendar_t *hours_of_inbox(const app_t *app, store_conn_t *c, int64_t account_id,
                              int64_t inbox_id, arena_t *a)
{
    const store_sla_ops_t *ops = sla_store(app);
    inbox_sla_t in;
    bh_row_t row;
    if (ops->inbox_sla_get(c, inbox_id, &in) || !in.business_hours_id ||
        ops->bh_get(c, account_id, in.business_hours_id, a, &row))
        return NULL;
    return bh_calendar_parse(row.calendar, strlen(row.calendar), NULL);
}

static const char *iso_or_null(int64_t ms, char buf[32])
{
    if (ms <= 0 || ms >= BH_T_MAX) return NULL;
    clock_format_iso(ms, buf);
    return buf;
}

int hours_service_json(app_t *app, int64_t inbox_id, json_t **out)
{
    store_t *st = app->store;
    store_conn_t *c = st->ops->reader(st);
    const store_sla_ops_t *ops = sla_store(app);
    arena_t a;
    arena_init(&a, 0);
    inbox_row_t inbox;
    inbox_sla_t in = {0};
    int rc = st->ops->desk->inbox_get_any(c, inbox_id, &a, &inbox);
    if (!rc && inbox.deleted_at) rc = PARLEY_ENOENT;
    if (!rc) rc = ops->inbox_sla_get(c, inbox_id, &in);
    if (rc) goto done;
    bh_row_t row;
    bh_calendar_t *cal = NULL;
    const char *zone = NULL;
    if (in.business_hours_id &&
        ops->bh_get(c, inbox.account_id, in.business_hours_id, &a, &row) == 0) {
        cal = bh_calendar_parse(row.calendar, strlen(row.calendar), NULL);
        json_t *j = json_loads(row.calendar, 0, NULL);
        zone = arena_strdup(&a, json_string_value(json_object_get(j, "timezone")));
        json_decref(j);
    }
    /* The promise shown to customers: the published first-response target at
     * the default priority (medium), per priority as well. */
    sla_policy_row_t prow;
    sla_policy_t pol;
    bool has_policy = in.sla_policy_id &&
                      ops->policy_get(c, inbox.account_id, in.sla_policy_id, &a, &prow) == 0 &&
                      sla_policy_from_text(prow.policy, &pol) == 0;
    json_t *window = json_null(), *by_priority = json_object();
    if (has_policy) {
        for (int p = 0; p < 4; p++) {
            const sla_target_t *tg = &pol.targets[p][SLA_FIRST_RESPONSE];
            json_object_set_new(by_priority, conv_priorities[p],
                                tg->internal_ms ? json_integer((tg->published_ms + 59999) / 60000)
                                                : json_null());
        }
        const sla_target_t *tg = &pol.targets[1][SLA_FIRST_RESPONSE];
        if (tg->internal_ms) {
            json_decref(window);
            window = json_integer((tg->published_ms + 59999) / 60000);
        }
    }
    int64_t now = app_now(app);
    char desc[1024], when[32], msg[1200];
    bh_describe(cal, desc, sizeof desc);
    int64_t next = bh_next_open(cal, now);
    if (json_is_integer(window))
        snprintf(msg, sizeof msg, "We answer within %lld minutes, %s.",
                 (long long)json_integer_value(window), desc);
    else
        snprintf(msg, sizeof msg, "Our hours: %s.", desc);
    *out = json_pack("{s:I, s:s?, s:s, s:b, s:s?, s:o, s:o, s:b, s:s}", "inbox_id",
                     (json_int_t)inbox_id, "timezone", zone, "description", desc, "open_now",
                     bh_is_open(cal, now), "next_open", iso_or_null(next, when),
                     "published_first_response_minutes", window,
                     "published_first_response_minutes_by_priority", by_priority,
                     "business_hours_only", has_policy && pol.business_hours, "message", msg);
    bh_calendar_free(cal);
done:
    arena_free(&a);
    return rc;
}
