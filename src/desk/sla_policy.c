/*
 * sla_policy.c - SLA policies: reading and checking their targets and
 * escalation rules, storing them, and the inbox settings that select a
 * policy and a business-hours calendar.
 *
 * A policy is stored as normalised JSON text (every priority expanded, times
 * in ms); its escalation rules are rows of escalation_rules. The clocks that
 * apply a policy live in sla.c.
 */
#include "desk/sla.h"

#include "desk/users.h"
#include "store/store_catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const sla_kinds[] = {"first_response", "next_response", "resolution", NULL};
static const char *const prio_keys[] = {"low", "medium", "high", "critical", "default", NULL};
static const char *const rule_events[] = {"sla.warning", "sla.breached", NULL};
static const char *const rule_actions[] = {"raise_priority", "assign_team", "notify",
                                           "webhook",        "email",       NULL};

static int index_of(const char *const *list, const char *s)
{
    for (int i = 0; s && list[i]; i++)
        if (!strcmp(list[i], s)) return i;
    return -1;
}

/* ---- reading targets ------------------------------------------------------ */

/* obj[unit_key] as ms, or -1 when absent; errors into c at base/key. */
static int64_t read_time(json_check_t *c, json_t *obj, const char *base, const char *which,
                         bool *bad)
{
    char kmin[32], ksec[32];
    snprintf(kmin, sizeof kmin, "%s_minutes", which);
    snprintf(ksec, sizeof ksec, "%s_seconds", which);
    json_t *m = json_object_get(obj, kmin), *s = json_object_get(obj, ksec);
    if (m && s) {
        json_check_fail(c, base, "give %s or %s, not both", kmin, ksec);
        *bad = true;
        return -1;
    }
    json_t *v = m ? m : s;
    if (!v) return -1;
    int64_t unit = m ? 60000 : 1000;
    const char *key = m ? kmin : ksec;
    if (!json_is_integer(v) || json_integer_value(v) < 1 ||
        json_integer_value(v) > SLA_TARGET_MAX_MS / unit) {
        char ptr[160];
        snprintf(ptr, sizeof ptr, "%s/%s", base, key);
        json_check_fail(c, ptr, "%s must be a positive whole number of %s, at most a year", key,
                        m ? "minutes" : "seconds");
        *bad = true;
        return -1;
    }
    return json_integer_value(v) * unit;
}

/* One {"internal_*", "published_*"} object into tg. */
static void read_target(json_check_t *c, json_t *v, const char *base, sla_target_t *tg)
{
    static const char *const allowed[] = {"internal_minutes", "internal_seconds",
                                          "published_minutes", "published_seconds", NULL};
    if (!json_is_object(v)) {
        json_check_fail(c, base,
                        "a target is an object with internal_minutes (or "
                        "internal_seconds) and optionally published_minutes");
        return;
    }
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x)
    {
        if (index_of(allowed, k) < 0) json_check_fail(c, base, "unknown member \"%s\"", k);
    }
    bool bad = false;
    int64_t in = read_time(c, v, base, "internal", &bad);
    int64_t pub = read_time(c, v, base, "published", &bad);
    if (bad) return;
    if (in < 0) {
        char ptr[160];
        snprintf(ptr, sizeof ptr, "%s/internal_minutes", base);
        json_check_fail(c, ptr, "internal_minutes (or internal_seconds) is required");
        return;
    }
    if (pub >= 0 && pub < in) {
        char ptr[160];
        snprintf(ptr, sizeof ptr, "%s/%s", base,
                 json_object_get(v, "published_minutes") ? "published_minutes"
                                                         : "published_seconds");
        json_check_fail(c, ptr, "the published target cannot be shorter than the internal one");
        return;
    }
    tg->internal_ms = in;
    tg->published_ms = pub >= 0 ? pub : in;
}

/* targets: {"default"|priority: {kind: target|null}}; a priority's kind falls
 * back to default's. */
static void read_targets(json_check_t *c, json_t *targets, sla_policy_t *out)
{
    if (!json_is_object(targets)) {
        json_check_fail(c, "/targets", "targets must be an object by priority (or \"default\")");
        return;
    }
    sla_target_t given[5][SLA_KINDS];
    bool named[5][SLA_KINDS];
    memset(given, 0, sizeof given);
    memset(named, 0, sizeof named);
    const char *pk;
    json_t *pv;
    bool any = false;
    json_object_foreach(targets, pk, pv)
    {
        int p = index_of(prio_keys, pk);
        char base[96];
        snprintf(base, sizeof base, "/targets/%s", pk);
        if (p < 0) {
            json_check_fail(c, base,
                            "targets are given per priority: low, medium, high, "
                            "critical or default");
            continue;
        }
        if (!json_is_object(pv)) {
            json_check_fail(c, base, "an object of first_response, next_response, resolution");
            continue;
        }
        const char *kk;
        json_t *kv;
        json_object_foreach(pv, kk, kv)
        {
            int k = index_of(sla_kinds, kk);
            char kb[128];
            snprintf(kb, sizeof kb, "%s/%s", base, kk);
            if (k < 0) {
                json_check_fail(c, kb, "targets are first_response, next_response, resolution");
                continue;
            }
            named[p][k] = true;
            if (json_is_null(kv)) continue; /* explicitly none */
            read_target(c, kv, kb, &given[p][k]);
            any = true;
        }
    }
    if (!any && json_check_ok(c))
        json_check_fail(c, "/targets", "a policy needs at least one target");
    for (int p = 0; p < 4; p++)
        for (int k = 0; k < SLA_KINDS; k++)
            out->targets[p][k] = named[p][k] ? given[p][k] : given[4][k];
}

void sla_policy_read(json_check_t *c, json_t *body, sla_policy_t *out)
{
    json_t *v;
    if ((v = json_object_get(body, "business_hours"))) {
        if (!json_is_boolean(v))
            json_check_fail(c, "/business_hours", "business_hours must be true or false");
        else
            out->business_hours = json_is_true(v);
    }
    if (json_object_get(body, "warning_percent"))
        out->warning_percent =
            (int)json_get_int(c, body, "warning_percent", false, 1, 99, SLA_WARNING_DEFAULT);
    if ((v = json_object_get(body, "targets"))) {
        memset(out->targets, 0, sizeof out->targets);
        read_targets(c, v, out);
    }
}

char *sla_policy_text(const sla_policy_t *p)
{
    json_t *t = json_object();
    for (int i = 0; i < 4; i++) {
        json_t *byk = json_object();
        for (int k = 0; k < SLA_KINDS; k++)
            if (p->targets[i][k].internal_ms)
                json_object_set_new(
                    byk, sla_kinds[k],
                    json_pack("{s:I, s:I}", "internal_ms", (json_int_t)p->targets[i][k].internal_ms,
                              "published_ms", (json_int_t)p->targets[i][k].published_ms));
        json_object_set_new(t, conv_priorities[i], byk);
    }
    json_t *o = json_pack("{s:b, s:i, s:o}", "business_hours", p->business_hours, "warning_percent",
                          p->warning_percent, "targets", t);
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return s;
}

int sla_policy_from_text(const char *text, sla_policy_t *out)
{
    memset(out, 0, sizeof *out);
    json_t *o = text ? json_loads(text, 0, NULL) : NULL;
    if (!o) return PARLEY_EINVAL;
    out->business_hours = json_is_true(json_object_get(o, "business_hours"));
    out->warning_percent = (int)json_integer_value(json_object_get(o, "warning_percent"));
    if (out->warning_percent < 1 || out->warning_percent > 99)
        out->warning_percent = SLA_WARNING_DEFAULT;
    json_t *t = json_object_get(o, "targets");
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < SLA_KINDS; k++) {
            json_t *x = json_object_get(json_object_get(t, conv_priorities[i]), sla_kinds[k]);
            out->targets[i][k].internal_ms = json_integer_value(json_object_get(x, "internal_ms"));
            out->targets[i][k].published_ms =
                json_integer_value(json_object_get(x, "published_ms"));
        }
    json_decref(o);
    return 0;
}

/* ---- escalation rules ------------------------------------------------------- */

static void read_rules(json_check_t *c, json_t *list, arena_t *a, esc_rule_row_t **out, int *n)
{
    static const char *const allowed[] = {"on",      "target", "action", "priority", "team_id",
                                          "user_id", "url",    "to",     NULL};
    *n = 0;
    if (!json_is_array(list)) {
        json_check_fail(c, "/escalations", "escalations must be an array of rules");
        return;
    }
    if (json_array_size(list) > SLA_RULES_MAX) {
        json_check_fail(c, "/escalations", "at most %d escalation rules", SLA_RULES_MAX);
        return;
    }
    *out = arena_alloc(a, sizeof **out * (json_array_size(list) + 1));
    size_t i;
    json_t *r;
    json_array_foreach(list, i, r)
    {
        char base[48], ptr[96];
        snprintf(base, sizeof base, "/escalations/%zu", i);
        esc_rule_row_t *e = &(*out)[*n];
        memset(e, 0, sizeof *e);
        e->priority = -1;
        if (!json_is_object(r)) {
            json_check_fail(c, base, "a rule is an object with on and action");
            continue;
        }
        const char *k;
        json_t *x;
        json_object_foreach(r, k, x)
        {
            if (index_of(allowed, k) < 0) {
                snprintf(ptr, sizeof ptr, "%s/%s", base, k);
                json_check_fail(c, ptr, "unknown member \"%s\"", k);
            }
        }
        const char *on = json_string_value(json_object_get(r, "on"));
        const char *action = json_string_value(json_object_get(r, "action"));
        json_t *target = json_object_get(r, "target");
        int ei = index_of(rule_events, on), ai = index_of(rule_actions, action);
        bool ok = true;
        if (ei < 0) {
            snprintf(ptr, sizeof ptr, "%s/on", base);
            json_check_fail(c, ptr, "on must be sla.warning or sla.breached");
            ok = false;
        }
        if (ai < 0) {
            snprintf(ptr, sizeof ptr, "%s/action", base);
            json_check_fail(c, ptr,
                            "action must be raise_priority, assign_team, notify, "
                            "webhook or email");
            ok = false;
        }
        if (target && !json_is_null(target) && index_of(sla_kinds, json_string_value(target)) < 0) {
            snprintf(ptr, sizeof ptr, "%s/target", base);
            json_check_fail(c, ptr,
                            "target must be first_response, next_response, resolution "
                            "or null (any)");
            ok = false;
        }
        if (!ok) continue;
        e->on_event = rule_events[ei];
        e->action = rule_actions[ai];
        e->target = json_is_string(target)
                        ? sla_kinds[index_of(sla_kinds, json_string_value(target))]
                        : NULL;
        json_t *v;
        if (!strcmp(e->action, "raise_priority")) {
            e->priority =
                index_of(conv_priorities, json_string_value(json_object_get(r, "priority")));
            if (e->priority < 0) {
                snprintf(ptr, sizeof ptr, "%s/priority", base);
                json_check_fail(c, ptr,
                                "raise_priority needs priority: low, medium, high or "
                                "critical");
            }
        } else if (!strcmp(e->action, "assign_team")) {
            v = json_object_get(r, "team_id");
            if (!json_is_integer(v) || json_integer_value(v) < 1) {
                snprintf(ptr, sizeof ptr, "%s/team_id", base);
                json_check_fail(c, ptr, "assign_team needs team_id, a team of the account");
            } else {
                e->team_id = json_integer_value(v);
            }
        } else if (!strcmp(e->action, "notify") ||
                   (!strcmp(e->action, "email") && !json_object_get(r, "to"))) {
            /* notify, or e-mail without `to`: one user, or every supervisor */
            v = json_object_get(r, "user_id");
            if (v && !json_is_null(v) && (!json_is_integer(v) || json_integer_value(v) < 1)) {
                snprintf(ptr, sizeof ptr, "%s/user_id", base);
                json_check_fail(c, ptr,
                                "user_id is a user of the account, or null for every "
                                "supervisor");
            } else if (v) {
                e->user_id = json_integer_value(v);
            }
        } else {
            const char *key = !strcmp(e->action, "webhook") ? "url" : "to";
            v = json_object_get(r, key);
            const char *s = json_string_value(v);
            bool good =
                s && strlen(s) <= 2000 &&
                (!strcmp(key, "url") ? !strncmp(s, "https://", 8) || !strncmp(s, "http://", 7)
                                     : strchr(s, '@') != NULL);
            if (!good) {
                snprintf(ptr, sizeof ptr, "%s/%s", base, key);
                json_check_fail(c, ptr, "%s",
                                !strcmp(key, "url") ? "webhook needs url, an http(s) URL"
                                                    : "email's to is an e-mail address (or give "
                                                      "user_id, or neither for every supervisor)");
            } else {
                e->url = arena_strdup(a, s);
            }
        }
        (*n)++;
    }
}

/* Team and user references must be of the account. */
static int rules_check_refs(dtx_t *t, const esc_rule_row_t *rules, int n, parley_err_t *err)
{
    for (int i = 0; i < n; i++) {
        if (rules[i].team_id) {
            team_row_t team;
            if (t->app->store->ops->catalog->team_get(t->c, t->by->account_id, rules[i].team_id,
                                                      t->arena, &team))
                return parley_errf(err, PARLEY_EINVAL, "", "no team with id %lld",
                                   (long long)rules[i].team_id);
        }
        if (rules[i].user_id) {
            user_row_t u;
            if (t->app->store->ops->user_get(t->c, t->by->account_id, rules[i].user_id, t->arena,
                                             &u))
                return parley_errf(err, PARLEY_EINVAL, "", "no user with id %lld",
                                   (long long)rules[i].user_id);
        }
        if (err->code) break;
    }
    return 0;
}

/* ---- storing policies ------------------------------------------------------- */

typedef struct {
    int64_t id;
    json_t *body;
    bool deleting;
    parley_err_t *err;
} policy_ctx_t;

static int check_body(json_t *body, bool creating, sla_policy_t *pol, esc_rule_row_t **rules,
                      int *n_rules, arena_t *a, parley_err_t *err)
{
    static const char *const allowed[] = {"name",    "business_hours", "warning_percent",
                                          "targets", "escalations",    NULL};
    json_check_t c = {0};
    json_check_known(&c, body, allowed);
    json_get_string(&c, body, "name", creating, 1, SLA_NAME_MAX);
    if (creating && !json_object_get(body, "targets"))
        json_check_fail(&c, "/targets", "targets are required");
    sla_policy_read(&c, body, pol);
    json_t *esc = json_object_get(body, "escalations");
    *n_rules = -1;
    if (esc) read_rules(&c, esc, a, rules, n_rules);
    return json_check_to_err(&c, err);
}

/* Replaces rules with their team/user references checked; fixes error pointers. */
static int store_rules(dtx_t *t, int64_t policy_id, const esc_rule_row_t *rules, int n,
                       parley_err_t *err)
{
    int rc = rules_check_refs(t, rules, n, err);
    if (!rc && err->code) rc = err->code;
    if (rc) {
        if (!err->field[0]) snprintf(err->field, sizeof err->field, "/escalations");
        return rc;
    }
    return t->app->store->ops->sla->rules_replace(t->c, t->by->account_id, policy_id, rules, n);
}

typedef struct {
    policy_ctx_t base;
    sla_policy_row_t row;
    esc_rule_row_t *rules;
    int n_rules;
    json_t *patch;
} policy_write_t;

static int create_tx(dtx_t *t, void *p)
{
    policy_write_t *x = p;
    const store_sla_ops_t *ops = t->app->store->ops->sla;
    int rc = ops->policy_create(t->c, &x->row, &x->base.id);
    if (rc == PARLEY_EEXIST)
        return parley_errf(x->base.err, rc, "/name", "a policy named \"%s\" exists", x->row.name);
    if (rc) return rc;
    if (x->n_rules >= 0 && (rc = store_rules(t, x->base.id, x->rules, x->n_rules, x->base.err)))
        return rc;
    return desk_event(t->c, t->app, t->by, "sla_policy.created", "sla_policy", x->base.id,
                      json_pack("{s:s}", "name", x->row.name));
}

int sla_policy_create(app_t *app, const actor_t *by, json_t *body, int64_t *id, parley_err_t *err)
{
    arena_t a;
    arena_init(&a, 0);
    policy_write_t x = {.base = {.err = err}};
    sla_policy_t pol = {.business_hours = true, .warning_percent = SLA_WARNING_DEFAULT};
    int rc = check_body(body, true, &pol, &x.rules, &x.n_rules, &a, err);
    char *text = NULL;
    if (rc) goto done;
    text = sla_policy_text(&pol);
    int64_t now = app_now(app);
    x.row = (sla_policy_row_t){.account_id = by->account_id,
                               .name = json_string_value(json_object_get(body, "name")),
                               .policy = text,
                               .created_at = now,
                               .updated_at = now};
    err->code = 0;
    rc = desk_write(app, by, create_tx, &x);
    if (rc && !err->code) parley_errf(err, rc, "", "the policy could not be stored");
    if (!rc) *id = x.base.id;
done:
    free(text);
    arena_free(&a);
    return rc;
}

static int change_tx(dtx_t *t, void *p)
{
    policy_write_t *x = p;
    const store_sla_ops_t *ops = t->app->store->ops->sla;
    sla_policy_row_t row;
    int rc = ops->policy_get(t->c, t->by->account_id, x->base.id, t->arena, &row);
    if (rc) return parley_errf(x->base.err, rc, "", "no SLA policy with this id");
    if (x->base.deleting) {
        int64_t n;
        if ((rc = ops->policy_in_use(t->c, row.account_id, row.id, &n))) return rc;
        if (n)
            return parley_errf(x->base.err, PARLEY_ECONFLICT, "",
                               "%lld inbox(es) use this policy; assign them another first",
                               (long long)n);
        if ((rc = ops->policy_delete(t->c, row.account_id, row.id))) return rc;
        return desk_event(t->c, t->app, t->by, "sla_policy.deleted", "sla_policy", row.id,
                          json_pack("{s:s}", "name", row.name));
    }
    sla_policy_t pol;
    if (sla_policy_from_text(row.policy, &pol)) return PARLEY_EIO;
    json_check_t c = {0};
    sla_policy_read(&c, x->patch, &pol);
    if ((rc = json_check_to_err(&c, x->base.err))) return rc;
    json_t *v;
    if ((v = json_object_get(x->patch, "name"))) row.name = json_string_value(v);
    char *text = sla_policy_text(&pol);
    row.policy = arena_strdup(t->arena, text);
    free(text);
    row.updated_at = t->now;
    rc = ops->policy_update(t->c, &row);
    if (rc == PARLEY_EEXIST)
        return parley_errf(x->base.err, rc, "/name", "a policy named \"%s\" exists", row.name);
    if (rc) return rc;
    if (x->n_rules >= 0 && (rc = store_rules(t, row.id, x->rules, x->n_rules, x->base.err)))
        return rc;
    json_t *changes = json_deep_copy(x->patch);
    return desk_event(t->c, t->app, t->by, "sla_policy.updated", "sla_policy", row.id, changes);
}

int sla_policy_update(app_t *app, const actor_t *by, int64_t id, json_t *body, parley_err_t *err)
{
    arena_t a;
    arena_init(&a, 0);
    policy_write_t x = {.base = {.id = id, .err = err}, .patch = body};
    sla_policy_t scratch = {.warning_percent = SLA_WARNING_DEFAULT};
    int rc = check_body(body, false, &scratch, &x.rules, &x.n_rules, &a, err);
    if (!rc) {
        err->code = 0;
        rc = desk_write(app, by, change_tx, &x);
        if (rc && !err->code) parley_errf(err, rc, "", "the policy could not be changed");
    }
    arena_free(&a);
    return rc;
}

int sla_policy_delete(app_t *app, const actor_t *by, int64_t id, parley_err_t *err)
{
    policy_write_t x = {.base = {.id = id, .err = err, .deleting = true}, .n_rules = -1};
    err->code = 0;
    int rc = desk_write(app, by, change_tx, &x);
    if (rc && !err->code) parley_errf(err, rc, "", "the policy could not be deleted");
    return rc;
}

json_t *sla_policy_to_json(const sla_policy_row_t *r, const esc_rule_row_t *rules, int n)
{
    sla_policy_t p;
    sla_policy_from_text(r->policy, &p);
    json_t *targets = json_object();
    for (int i = 0; i < 4; i++) {
        json_t *byk = json_object();
        for (int k = 0; k < SLA_KINDS; k++) {
            const sla_target_t *tg = &p.targets[i][k];
            json_object_set_new(byk, sla_kinds[k],
                                tg->internal_ms ? json_pack("{s:I, s:I}", "internal_seconds",
                                                            (json_int_t)(tg->internal_ms / 1000),
                                                            "published_seconds",
                                                            (json_int_t)(tg->published_ms / 1000))
                                                : json_null());
        }
        json_object_set_new(targets, conv_priorities[i], byk);
    }
    json_t *esc = json_array();
    for (int i = 0; i < n; i++) {
        const esc_rule_row_t *e = &rules[i];
        json_t *o = json_pack("{s:I, s:s, s:s?, s:s}", "id", (json_int_t)e->id, "on", e->on_event,
                              "target", e->target, "action", e->action);
        if (e->priority >= 0 && e->priority < 4)
            json_object_set_new(o, "priority", json_string(conv_priorities[e->priority]));
        if (!strcmp(e->action, "assign_team"))
            json_object_set_new(o, "team_id", json_integer(e->team_id));
        if (!strcmp(e->action, "notify") || (!strcmp(e->action, "email") && !e->url))
            json_object_set_new(o, "user_id", e->user_id ? json_integer(e->user_id) : json_null());
        if (e->url)
            json_object_set_new(o, !strcmp(e->action, "webhook") ? "url" : "to",
                                json_string(e->url));
        json_array_append_new(esc, o);
    }
    char b1[32], b2[32];
    clock_format_iso(r->created_at, b1);
    clock_format_iso(r->updated_at, b2);
    return json_pack("{s:I, s:s, s:b, s:i, s:o, s:o, s:s, s:s}", "id", (json_int_t)r->id, "name",
                     r->name, "business_hours", p.business_hours, "warning_percent",
                     p.warning_percent, "targets", targets, "escalations", esc, "created_at", b1,
                     "updated_at", b2);
}

/* ---- inbox settings --------------------------------------------------------- */

static int ref_of(json_t *body, const char *key, int64_t *out, parley_err_t *err)
{
    json_t *v = json_object_get(body, key);
    if (!v) return 1; /* not given */
    if (json_is_null(v)) {
        *out = 0;
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 1)
        return parley_errf(err, PARLEY_EINVAL,
                           key[0] == 'b' ? "/business_hours_id" : "/sla_policy_id",
                           "%s must be an id or null", key);
    *out = json_integer_value(v);
    return 0;
}

int sla_inbox_apply(dtx_t *t, int64_t inbox_id, json_t *body, parley_err_t *err)
{
    const store_sla_ops_t *ops = t->app->store->ops->sla;
    inbox_sla_t cur = {0};
    int rc = ops->inbox_sla_get(t->c, inbox_id, &cur);
    if (rc) return rc;
    inbox_sla_t next = cur;
    int g1 = ref_of(body, "business_hours_id", &next.business_hours_id, err);
    if (g1 < 0) return g1;
    int g2 = ref_of(body, "sla_policy_id", &next.sla_policy_id, err);
    if (g2 < 0) return g2;
    if (g1 && g2) return 0;
    bh_row_t bh;
    sla_policy_row_t pol;
    if (next.business_hours_id &&
        ops->bh_get(t->c, t->by->account_id, next.business_hours_id, t->arena, &bh))
        return parley_errf(err, PARLEY_EINVAL, "/business_hours_id",
                           "no business-hours calendar with id %lld",
                           (long long)next.business_hours_id);
    if (next.sla_policy_id &&
        ops->policy_get(t->c, t->by->account_id, next.sla_policy_id, t->arena, &pol))
        return parley_errf(err, PARLEY_EINVAL, "/sla_policy_id", "no SLA policy with id %lld",
                           (long long)next.sla_policy_id);
    return ops->inbox_sla_set(t->c, t->by->account_id, inbox_id, &next);
}

void sla_inbox_json(const app_t *app, int64_t inbox_id, json_t *obj)
{
    store_t *st = app->store;
    inbox_sla_t in = {0};
    if (!st->ops->sla || st->ops->sla->inbox_sla_get(st->ops->reader(st), inbox_id, &in)) return;
    json_object_set_new(obj, "business_hours_id",
                        in.business_hours_id ? json_integer(in.business_hours_id) : json_null());
    json_object_set_new(obj, "sla_policy_id",
                        in.sla_policy_id ? json_integer(in.sla_policy_id) : json_null());
}
