/*
 * conversations.c - saving a conversation keeps its counters and events true.
 *
 * Every change of status or assignee goes through conv_save, which moves the
 * maintained counters (all/unassigned/user x status) in the same transaction,
 * so GET /conversations/counts never counts rows.
 */
#include "desk/desk.h"

#include "core/json.h"
#include "core/log.h"
#include "desk/router.h"
#include "desk/sla.h"
#include "desk/users.h"

#include "text/pii.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const conv_statuses[] = {"open", "pending", "snoozed", "resolved", NULL};
const char *const conv_priorities[] = {"low", "medium", "high", "critical", NULL};

static int move_counters(dtx_t *t, int64_t account, const char *status, int64_t assignee,
                         int64_t delta)
{
    const store_desk_ops_t *ops = dtx_ops(t);
    char key[64];
    int rc;
    snprintf(key, sizeof key, "all:%s", status);
    if ((rc = ops->counter_add(t->c, account, key, delta))) return rc;
    if (assignee)
        snprintf(key, sizeof key, "user:%lld:%s", (long long)assignee, status);
    else
        snprintf(key, sizeof key, "unassigned:%s", status);
    return ops->counter_add(t->c, account, key, delta);
}

int conv_save(dtx_t *t, const conv_row_t *before, conv_row_t *cv, const char *event,
              json_t *payload)
{
    const store_desk_ops_t *ops = dtx_ops(t);
    int rc;
    cv->updated_at = t->now;
    if (!before) {
        cv->created_at = t->now;
        if ((rc = ops->conv_create(t->c, cv, &cv->id))) goto fail;
        cv->version = 1;
        rc = move_counters(t, cv->account_id, cv->status, cv->assignee_id, 1);
    } else {
        if ((rc = ops->conv_update(t->c, before, cv))) goto fail;
        cv->version++;
        if (strcmp(before->status, cv->status) != 0 || before->assignee_id != cv->assignee_id) {
            if ((rc = move_counters(t, cv->account_id, before->status, before->assignee_id, -1)))
                goto fail;
            rc = move_counters(t, cv->account_id, cv->status, cv->assignee_id, 1);
        }
    }
    if (!rc) rc = sla_on_status(t, before, cv); /* SLA clocks move with the conversation */
    if (rc) goto fail;
    if (event) {
        if (!payload) payload = json_object();
        json_t *conv = conv_to_json(cv);
        json_object_set_new(conv, "sla", sla_conv_json(t->app, t->c, cv)); /* as of this change */
        json_object_set_new(payload, "conversation", conv);
        return desk_event(t->c, t->app, t->by, event, "conversation", cv->id, payload);
    }
    json_decref(payload);
    return 0;
fail:
    json_decref(payload);
    return rc;
}

int conv_assign(dtx_t *t, conv_row_t *cv, int64_t user_id, const char *reason)
{
    if (cv->assignee_id == user_id) return 0;
    conv_row_t before = *cv;
    cv->assignee_id = user_id;
    const store_desk_ops_t *ops = dtx_ops(t);
    int rc;
    if (user_id) {
        if ((rc = ops->agent_assigned(t->c, cv->account_id, user_id, t->now))) return rc;
        /* Sticky routing remembers who served this customer last. */
        contact_row_t ct;
        if (ops->contact_get(t->c, cv->account_id, cv->contact_id, t->arena, &ct) == 0 &&
            ct.last_agent_id != user_id) {
            ct.last_agent_id = user_id;
            ct.updated_at = t->now;
            if ((rc = ops->contact_update(t->c, &ct))) return rc;
        }
    }
    json_t *payload = json_pack("{s:I, s:I, s:s}", "from", (json_int_t)before.assignee_id, "to",
                                (json_int_t)user_id, "reason", reason);
    rc = conv_save(t, &before, cv, user_id ? "conversation.assigned" : "conversation.unassigned",
                   payload);
    if (rc) return rc;
    /* The previous assignee has room for queued work now. */
    if (before.assignee_id && !strcmp(before.status, "open"))
        return router_drain(t, cv->account_id, before.assignee_id);
    return 0;
}

int conv_release_user(dtx_t *t, int64_t account_id, int64_t user_id)
{
    const store_desk_ops_t *ops = dtx_ops(t);
    for (;;) {
        conv_row_t *rows;
        int n, rc;
        if ((rc = ops->conv_assigned_to(t->c, account_id, user_id, 100, t->arena, &rows, &n)))
            return rc;
        if (n == 0) return 0;
        for (int i = 0; i < n; i++) {
            conv_row_t before = rows[i];
            rows[i].assignee_id = 0;
            json_t *payload = json_pack("{s:I, s:I, s:s}", "from", (json_int_t)user_id, "to",
                                        (json_int_t)0, "reason", "agent_removed");
            if ((rc = conv_save(t, &before, &rows[i], "conversation.unassigned", payload)))
                return rc;
        }
        /* Now that they are all back in the queue, route them to others. */
        for (int i = 0; i < n; i++)
            if ((rc = router_route(t, &rows[i]))) return rc;
        if (n < 100) return 0;
    }
}

static const char *iso_or_null(int64_t ms, char buf[32])
{
    if (!ms) return NULL;
    clock_format_iso(ms, buf);
    return buf;
}

json_t *conv_to_json(const conv_row_t *cv)
{
    char b1[32], b2[32], b3[32], b4[32], b5[32], b6[32], b7[32];
    json_t *o = json_pack(
        "{s:I, s:I, s:I, s:s, s:s, s:s?, s:o, s:o, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?,"
        " s:s?, s:I, s:s?}",
        "id", (json_int_t)cv->id, "inbox_id", (json_int_t)cv->inbox_id, "contact_id",
        (json_int_t)cv->contact_id, "status", cv->status, "priority",
        conv_priorities[cv->priority & 3], "snoozed_until", iso_or_null(cv->snoozed_until, b1),
        "assignee_id", cv->assignee_id ? json_integer(cv->assignee_id) : json_null(), "team_id",
        cv->team_id ? json_integer(cv->team_id) : json_null(), "visibility", cv->visibility,
        "external_thread_id", cv->external_thread_id ? cv->external_thread_id : "", "subject",
        cv->subject ? cv->subject : "", "opened_at", iso_or_null(cv->opened_at, b2),
        "first_reply_at", iso_or_null(cv->first_reply_at, b3), "waiting_since",
        iso_or_null(cv->waiting_since, b4), "resolved_at", iso_or_null(cv->resolved_at, b5),
        "last_message_at", iso_or_null(cv->last_message_at, b6), "version", (json_int_t)cv->version,
        "updated_at", iso_or_null(cv->updated_at, b7));
    json_object_set_new(o, "sla", sla_conv_json_current(cv)); /* next deadline and state */
    char b8[32];
    json_object_set_new(o, "linked_conversation_id",
                        cv->linked_id ? json_integer(cv->linked_id) : json_null());
    json_object_set_new(o, "taken_offline_at",
                        cv->offline_at ? json_string(iso_or_null(cv->offline_at, b8))
                                       : json_null());
    return o;
}

/* An ISO time or null. */
static void iso_to(buf_t *b, int64_t ms)
{
    char at[32];
    if (!ms) {
        buf_puts(b, "null");
        return;
    }
    clock_format_iso(ms, at);
    buf_printf(b, "\"%s\"", at);
}

static void id_or_null(buf_t *b, int64_t id)
{
    if (id)
        buf_printf(b, "%lld", (long long)id);
    else
        buf_puts(b, "null");
}

static void str_to(buf_t *b, const char *s)
{
    json_escape_to(b, s ? s : "", s ? strlen(s) : 0);
}

void conv_json_to(buf_t *b, const conv_row_t *cv)
{
    /* Keys in the order json_dump_to's JSON_SORT_KEYS gives conv_to_json. */
    buf_puts(b, "{\"assignee_id\":");
    id_or_null(b, cv->assignee_id);
    buf_printf(b, ",\"contact_id\":%lld,\"external_thread_id\":", (long long)cv->contact_id);
    str_to(b, cv->external_thread_id);
    buf_puts(b, ",\"first_reply_at\":");
    iso_to(b, cv->first_reply_at);
    buf_printf(b, ",\"id\":%lld,\"inbox_id\":%lld,\"last_message_at\":", (long long)cv->id,
               (long long)cv->inbox_id);
    iso_to(b, cv->last_message_at);
    buf_puts(b, ",\"linked_conversation_id\":");
    id_or_null(b, cv->linked_id);
    buf_puts(b, ",\"opened_at\":");
    iso_to(b, cv->opened_at);
    buf_printf(b, ",\"priority\":\"%s\",\"resolved_at\":", conv_priorities[cv->priority & 3]);
    iso_to(b, cv->resolved_at);
    buf_puts(b, ",\"sla\":");
    json_t *sla = sla_conv_json_current(cv);
    json_dump_to(b, sla);
    json_decref(sla);
    buf_puts(b, ",\"snoozed_until\":");
    iso_to(b, cv->snoozed_until);
    buf_puts(b, ",\"status\":");
    str_to(b, cv->status);
    buf_puts(b, ",\"subject\":");
    str_to(b, cv->subject);
    buf_puts(b, ",\"taken_offline_at\":");
    iso_to(b, cv->offline_at);
    buf_puts(b, ",\"team_id\":");
    id_or_null(b, cv->team_id);
    buf_puts(b, ",\"updated_at\":");
    iso_to(b, cv->updated_at);
    buf_printf(b, ",\"version\":%lld,\"visibility\":", (long long)cv->version);
    str_to(b, cv->visibility);
    buf_puts(b, ",\"waiting_since\":");
    iso_to(b, cv->waiting_since);
    buf_putc(b, '}');
}

json_t *message_to_json(const message_row_t *m)
{
    return message_to_json_with(m, NULL);
}

/* A stored JSON array column: the common empty one without the parser. */
static json_t *array_of(const char *text)
{
    return !text || !strcmp(text, "[]") ? json_array() : json_loads(text, 0, NULL);
}

json_t *message_to_json_with(const message_row_t *m, json_t *analysis)
{
    char at[32];
    clock_format_iso(m->created_at, at);
    json_t *att = array_of(m->attachments);
    json_t *men = array_of(m->mentions);
    json_t *an =
        analysis ? json_incref(analysis) : json_loads(m->analysis ? m->analysis : "{}", 0, NULL);
    return json_pack("{s:I, s:I, s:s, s:s, s:s, s:{s:s, s:I}, s:s, s:s?, s:o, s:o, s:o, s:s?,"
                     " s:s}",
                     "id", (json_int_t)m->id, "conversation_id", (json_int_t)m->conversation_id,
                     "direction", m->direction, "kind", m->kind, "visibility", m->visibility,
                     "author", "kind", m->author_kind, "id", (json_int_t)m->author_id, "body",
                     m->body, "external_id", m->external_id, "attachments",
                     att ? att : json_array(), "mentions", men ? men : json_array(), "analysis",
                     an ? an : json_object(), "delivery_status", m->delivery_status, "created_at",
                     at);
}

/* A stored JSON column as written, or fallback when it is not a JSON object
 * or array (the store only holds what json_dumps wrote; this keeps a damaged
 * row from breaking the whole answer). */
static void raw_json(buf_t *b, const char *text, char open, const char *fallback)
{
    size_t n = text ? strlen(text) : 0;
    if (n >= 2 && text[0] == open && text[n - 1] == (open == '{' ? '}' : ']'))
        buf_append(b, text, n);
    else
        buf_puts(b, fallback);
}

static void str_or_null(buf_t *b, const char *s)
{
    if (s)
        json_escape_to(b, s, strlen(s));
    else
        buf_puts(b, "null");
}

static bool needs_redaction(const message_row_t *m, bool may_see_pii)
{
    return !may_see_pii && !strcmp(m->visibility, "public") && !strcmp(m->direction, "in") &&
           m->analysis && !strstr(m->analysis, "\"pii\":[]");
}

void message_json_to(buf_t *b, const message_row_t *m, bool may_see_pii)
{
    if (needs_redaction(m, may_see_pii)) {
        json_t *o = message_to_json_for(m, may_see_pii);
        json_dump_to(b, o);
        json_decref(o);
        return;
    }
    /* Keys in the order json_dump_to's JSON_SORT_KEYS gives message_to_json. */
    char at[32];
    clock_format_iso(m->created_at, at);
    buf_puts(b, "{\"analysis\":");
    raw_json(b, m->analysis, '{', "{}");
    buf_puts(b, ",\"attachments\":");
    raw_json(b, m->attachments, '[', "[]");
    buf_puts(b, ",\"author\":{\"id\":");
    buf_printf(b, "%lld,\"kind\":", (long long)m->author_id);
    json_escape_to(b, m->author_kind, strlen(m->author_kind));
    buf_puts(b, "},\"body\":");
    json_escape_to(b, m->body, strlen(m->body));
    buf_printf(b, ",\"conversation_id\":%lld,\"created_at\":\"%s\",\"delivery_status\":",
               (long long)m->conversation_id, at);
    str_or_null(b, m->delivery_status);
    buf_puts(b, ",\"direction\":");
    json_escape_to(b, m->direction, strlen(m->direction));
    buf_puts(b, ",\"external_id\":");
    str_or_null(b, m->external_id);
    buf_printf(b, ",\"id\":%lld,\"kind\":", (long long)m->id);
    json_escape_to(b, m->kind, strlen(m->kind));
    buf_puts(b, ",\"mentions\":");
    raw_json(b, m->mentions, '[', "[]");
    buf_puts(b, ",\"visibility\":");
    json_escape_to(b, m->visibility, strlen(m->visibility));
    buf_putc(b, '}');
}

json_t *message_to_json_for(const message_row_t *m, bool may_see_pii)
{
    json_t *o = message_to_json(m);
    if (may_see_pii || strcmp(m->visibility, "public") != 0 || strcmp(m->direction, "in") != 0)
        return o;
    json_t *pii = json_object_get(json_object_get(o, "analysis"), "pii");
    size_t n = json_array_size(pii);
    if (n == 0) return o;
    pii_span_t spans[32];
    size_t k = 0, len = strlen(m->body);
    for (size_t i = 0; i < n && k < 32; i++) {
        json_t *sp = json_array_get(pii, i);
        json_int_t start = json_integer_value(json_object_get(sp, "start"));
        json_int_t end = json_integer_value(json_object_get(sp, "end"));
        if (start < 0 || end <= start || (size_t)end > len) continue;
        spans[k++] = (pii_span_t){.kind = PII_CARD, .start = (uint32_t)start, .end = (uint32_t)end};
        /* the kind only shapes the mask's hint; keep the real one */
        const char *kind = json_string_value(json_object_get(sp, "kind"));
        for (int t = 0; t < 6; t++)
            if (kind && !strcmp(kind, pii_kind_name((pii_kind_t)t)))
                spans[k - 1].kind = (pii_kind_t)t;
    }
    size_t need = pii_redact(m->body, len, spans, k, NULL, 0);
    char *buf = malloc(need + 1);
    pii_redact(m->body, len, spans, k, buf, need + 1);
    json_object_set_new(o, "body", json_string(buf));
    json_object_set_new(o, "redacted", json_true());
    json_object_set_new(json_object_get(o, "analysis"), "pii", json_array());
    free(buf);
    return o;
}

typedef struct {
    app_t *app;
    const actor_t *by;
    int (*fn)(dtx_t *t, void *ctx);
    void *ctx;
} write_ctx_t;

static int write_tx(store_conn_t *c, void *p)
{
    write_ctx_t *w = p;
    arena_t a;
    arena_init(&a, 0);
    dtx_t t = {.app = w->app, .c = c, .by = w->by, .now = app_now(w->app), .arena = &a};
    int rc = w->fn(&t, w->ctx);
    arena_free(&a);
    return rc;
}

int desk_write(app_t *app, const actor_t *by, int (*fn)(dtx_t *t, void *ctx), void *ctx)
{
    write_ctx_t w = {.app = app, .by = by, .fn = fn, .ctx = ctx};
    return app->store->ops->write(app->store, write_tx, &w);
}
