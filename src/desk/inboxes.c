/*
 * inboxes.c - creating and changing inboxes; their settings are validated by
 * the channel's adapter and sealed with the app key before they are stored.
 */
#include "desk/inboxes.h"

#include "core/crypto.h"
#include "desk/delivery.h"
#include "desk/router.h"
#include "desk/sla.h"
#include "desk/users.h"
#include "store/store_catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *inbox_settings(const app_t *app, const inbox_row_t *in)
{
    if (in->settings_len < CRYPTO_SEAL_OVERHEAD) return NULL;
    size_t n = in->settings_len - CRYPTO_SEAL_OVERHEAD;
    char *plain = malloc(n + 1);
    if (!plain) return NULL;
    json_t *v = NULL;
    if (crypto_open(app->key, in->settings, in->settings_len, plain) == 0) {
        plain[n] = '\0';
        v = json_loadb(plain, n, 0, NULL);
    }
    memset(plain, 0, n);
    free(plain);
    return v;
}

static bool is_secret_key(const char *k)
{
    return strstr(k, "secret") || strstr(k, "token") || strstr(k, "password");
}

json_t *inbox_to_json(const app_t *app, const inbox_row_t *in)
{
    json_t *settings = inbox_settings(app, in);
    json_t *shown = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(settings, k, v)
    {
        json_object_set_new(shown, k, is_secret_key(k) ? json_string("********") : json_incref(v));
    }
    json_decref(settings);
    char created[32];
    clock_format_iso(in->created_at, created);
    char hook[64];
    snprintf(hook, sizeof hook, "/webhooks/%lld", (long long)in->id);
    json_t *o = json_pack("{s:I, s:s, s:s, s:o, s:s, s:b, s:o, s:I, s:s, s:s}", "id",
                          (json_int_t)in->id, "name", in->name, "channel", in->channel, "settings",
                          shown, "policy", in->policy, "sticky", in->sticky, "team_id",
                          in->team_id ? json_integer(in->team_id) : json_null(), "reopen_days",
                          (json_int_t)in->reopen_days, "webhook_path", hook, "created_at", created);
    sla_inbox_json(app, in->id, o); /* business_hours_id, sla_policy_id */
    return o;
}

/* Seals settings JSON into a blob allocated in a. */
static void seal(const app_t *app, json_t *settings, arena_t *a, const void **blob, size_t *len)
{
    char *text = json_dumps(settings, JSON_COMPACT | JSON_SORT_KEYS);
    size_t n = strlen(text);
    uint8_t *out = arena_alloc(a, n + CRYPTO_SEAL_OVERHEAD);
    crypto_seal(app->key, text, n, out);
    memset(text, 0, n);
    free(text);
    *blob = out;
    *len = n + CRYPTO_SEAL_OVERHEAD;
}

static int check_fields(json_t *body, bool creating, parley_err_t *err)
{
    static const char *const allowed[] = {
        "name",    "channel",     "settings",          "policy",        "sticky",
        "team_id", "reopen_days", "business_hours_id", "sla_policy_id", NULL};
    static const char *const policies[] = {"manual", "round_robin", "least_loaded", NULL};
    json_check_t c = {0};
    json_check_known(&c, body, allowed);
    json_get_string(&c, body, "name", creating, 1, 100);
    if (creating) json_get_string(&c, body, "channel", true, 1, 32);
    json_t *s = json_object_get(body, "settings");
    if ((creating && !s) || (s && !json_is_object(s)))
        json_check_fail(&c, "/settings", "settings must be an object");
    json_get_enum(&c, body, "policy", false, policies);
    json_get_bool(&c, body, "sticky", true);
    json_get_int(&c, body, "team_id", false, 1, INT64_MAX, 0);
    json_get_int(&c, body, "reopen_days", false, 0, 3650, 7);
    return json_check_to_err(&c, err);
}

typedef struct {
    inbox_row_t row;
    int64_t id;
    json_t *body;
    parley_err_t *err;
    bool deleting;
} inbox_ctx_t;

static int team_ok(dtx_t *t, int64_t team_id, parley_err_t *err)
{
    if (!team_id) return 0;
    team_row_t team;
    if (t->app->store->ops->catalog->team_get(t->c, t->by->account_id, team_id, t->arena, &team))
        return parley_errf(err, PARLEY_EINVAL, "/team_id", "no team with id %lld",
                           (long long)team_id);
    return 0;
}

static void apply_common(inbox_row_t *row, json_t *body)
{
    json_t *v;
    if ((v = json_object_get(body, "name"))) row->name = json_string_value(v);
    if ((v = json_object_get(body, "policy"))) row->policy = json_string_value(v);
    if ((v = json_object_get(body, "sticky"))) row->sticky = json_is_true(v);
    if ((v = json_object_get(body, "team_id")))
        row->team_id = json_is_integer(v) ? json_integer_value(v) : 0;
    if ((v = json_object_get(body, "reopen_days"))) row->reopen_days = json_integer_value(v);
}

static int create_tx(dtx_t *t, void *p)
{
    inbox_ctx_t *x = p;
    int rc = team_ok(t, x->row.team_id, x->err);
    if (rc) return rc;
    if ((rc = dtx_ops(t)->inbox_create(t->c, &x->row, &x->id))) return rc;
    if ((rc = sla_inbox_apply(t, x->id, x->body, x->err))) return rc;
    return desk_event(t->c, t->app, t->by, "inbox.created", "inbox", x->id,
                      json_pack("{s:s, s:s}", "name", x->row.name, "channel", x->row.channel));
}

int inbox_create(app_t *app, const actor_t *by, json_t *body, int64_t *id, parley_err_t *err)
{
    int rc = check_fields(body, true, err);
    if (rc) return rc;
    const char *channel = json_string_value(json_object_get(body, "channel"));
    const channel_ops_t *ch = channel_find(channel);
    if (!ch)
        return parley_errf(err, PARLEY_EINVAL, "/channel",
                           "unknown channel \"%s\" (messenger, instagram, whatsapp, twilio_sms, "
                           "telegram, x, email, web, api)",
                           channel);
    json_t *settings = json_object_get(body, "settings");
    if ((rc = delivery_validate_settings(ch, settings, err))) return rc;
    arena_t a;
    arena_init(&a, 0);
    inbox_ctx_t x = {.err = err,
                     .body = body,
                     .row = {.account_id = by->account_id,
                             .channel = ch->name,
                             .policy = "round_robin",
                             .sticky = true,
                             .reopen_days = 7,
                             .created_at = app_now(app),
                             .updated_at = app_now(app)}};
    apply_common(&x.row, body);
    seal(app, settings, &a, &x.row.settings, &x.row.settings_len);
    err->code = 0;
    rc = desk_write(app, by, create_tx, &x);
    arena_free(&a);
    if (rc && !err->code) parley_errf(err, rc, "", "the inbox could not be stored");
    if (!rc) *id = x.id;
    return rc;
}

static int update_tx(dtx_t *t, void *p)
{
    inbox_ctx_t *x = p;
    const store_desk_ops_t *ops = dtx_ops(t);
    inbox_row_t row;
    int rc = ops->inbox_get(t->c, t->by->account_id, x->id, t->arena, &row);
    if (rc) return parley_errf(x->err, rc, "", "no inbox with this id");
    if (x->deleting) {
        row.deleted_at = t->now;
    } else {
        apply_common(&row, x->body);
        if ((rc = team_ok(t, row.team_id, x->err))) return rc;
        json_t *settings = json_object_get(x->body, "settings");
        if (settings) {
            /* A partial settings object keeps the stored values it does not name. */
            json_t *merged = inbox_settings(t->app, &row);
            if (!merged) merged = json_object();
            json_object_update(merged, settings);
            const channel_ops_t *ch = channel_find(row.channel);
            if (ch && (rc = delivery_validate_settings(ch, merged, x->err))) {
                json_decref(merged);
                return rc;
            }
            seal(t->app, merged, t->arena, &row.settings, &row.settings_len);
            json_decref(merged);
        }
    }
    row.updated_at = t->now;
    if ((rc = ops->inbox_update(t->c, &row))) return rc;
    if (!x->deleting && (rc = sla_inbox_apply(t, x->id, x->body, x->err))) return rc;
    json_t *changes = x->deleting ? json_object() : json_deep_copy(x->body);
    if (json_object_get(changes, "settings"))
        json_object_set_new(changes, "settings", json_string("(changed)"));
    return desk_event(t->c, t->app, t->by, x->deleting ? "inbox.deleted" : "inbox.updated", "inbox",
                      x->id, changes);
}

int inbox_update(app_t *app, const actor_t *by, int64_t id, json_t *patch, parley_err_t *err)
{
    int rc = check_fields(patch, false, err);
    if (rc) return rc;
    if (json_object_get(patch, "channel"))
        return parley_errf(err, PARLEY_EINVAL, "/channel", "an inbox cannot change channel");
    inbox_ctx_t x = {.id = id, .body = patch, .err = err};
    err->code = 0;
    rc = desk_write(app, by, update_tx, &x);
    if (rc && !err->code) parley_errf(err, rc, "", "the inbox could not be updated");
    return rc;
}

int inbox_delete(app_t *app, const actor_t *by, int64_t id, parley_err_t *err)
{
    inbox_ctx_t x = {.id = id, .err = err, .deleting = true};
    err->code = 0;
    int rc = desk_write(app, by, update_tx, &x);
    if (rc && !err->code) parley_errf(err, rc, "", "the inbox could not be deleted");
    return rc;
}
