/*
 * actions.c - replies, notes, assignment, status and presence.
 */
#include "desk/actions.h"

#include "desk/delivery.h"
#include "desk/router.h"
#include "desk/scheduler.h"
#include "desk/sla.h"
#include "desk/users.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- reply / note ---------------------------------------------------------- */

typedef struct {
    int64_t conversation_id;
    const post_in_t *in;
    post_out_t *out;
    parley_err_t *err;
} post_ctx_t;

/* @name in a note mentions the user whose e-mail local part is name. */
static int mentions_of(dtx_t *t, const char *body, json_t *ids)
{
    arena_t *a = t->arena;
    page_t p = {.account_id = t->by->account_id, .after_id = 0, .limit = 1000};
    user_row_t *users;
    int n;
    int rc = t->app->store->ops->user_list(t->c, &p, a, &users, &n);
    if (rc) return rc;
    for (const char *s = body; (s = strchr(s, '@'));) {
        if (s > body && (isalnum((unsigned char)s[-1]) || s[-1] == '.')) {
            s++;
            continue; /* an e-mail address, not a mention */
        }
        s++;
        size_t len = 0;
        while (isalnum((unsigned char)s[len]) || s[len] == '.' || s[len] == '_' || s[len] == '-')
            len++;
        while (len && s[len - 1] == '.') len--;
        for (int i = 0; len && i < n; i++) {
            const char *at = strchr(users[i].email, '@');
            size_t local = at ? (size_t)(at - users[i].email) : 0;
            if (local == len && !strncasecmp(users[i].email, s, len) &&
                !strcmp(users[i].status, "active")) {
                bool dup = false;
                size_t k;
                json_t *v;
                json_array_foreach(ids, k, v) dup |= json_integer_value(v) == users[i].id;
                if (!dup) json_array_append_new(ids, json_integer(users[i].id));
            }
        }
        s += len;
    }
    return 0;
}

static int post_tx(dtx_t *t, void *p)
{
    post_ctx_t *x = p;
    const store_desk_ops_t *ops = dtx_ops(t);
    conv_row_t cv;
    int rc = ops->conv_get(t->c, t->by->account_id, x->conversation_id, t->arena, &cv);
    if (rc) return parley_errf(x->err, rc, "", "no conversation with this id");
    int64_t me = t->by->user_id;
    message_row_t m = {.account_id = cv.account_id,
                       .conversation_id = cv.id,
                       .inbox_id = cv.inbox_id,
                       .direction = "out",
                       .author_kind = "user",
                       .author_id = me,
                       .body = x->in->body,
                       .created_at = t->now};
    json_t *mentioned = json_array();
    char *mentions_json = NULL;
    if (x->in->note) {
        m.kind = "note";
        m.visibility = "internal";
        if ((rc = mentions_of(t, x->in->body, mentioned))) goto done;
        mentions_json = json_dumps(mentioned, JSON_COMPACT);
        m.mentions = mentions_json;
    } else {
        if (!strcmp(cv.status, "resolved")) {
            rc = parley_errf(x->err, PARLEY_ECONFLICT, "/status",
                             "the conversation is resolved; reopen it before replying");
            goto done;
        }
        if (cv.assignee_id && cv.assignee_id != me && !x->in->takeover) {
            rc = parley_errf(x->err, PARLEY_ECONFLICT, "/takeover",
                             "user %lld is handling this conversation; send takeover: true to "
                             "take it over",
                             (long long)cv.assignee_id);
            goto done;
        }
        if (cv.assignee_id != me &&
            (rc = conv_assign(t, &cv, me, cv.assignee_id ? "takeover" : "replied")))
            goto done;
        m.kind = "reply";
        m.visibility = cv.visibility;
        m.delivery_status = "pending";
    }
    if ((rc = ops->message_create(t->c, &m, &m.id))) goto done;
    if (!x->in->note) {
        conv_row_t before = cv;
        if (!cv.first_reply_at) cv.first_reply_at = t->now;
        cv.waiting_since = 0;
        cv.last_message_at = t->now;
        if (x->in->offline) cv.offline_at = t->now;
        if ((rc = conv_save(t, &before, &cv, x->in->offline ? "conversation.taken_offline" : NULL,
                            NULL)))
            goto done;
        if ((rc = sla_on_reply(t, &cv))) goto done; /* a human reply meets response clocks */
        if ((rc = ops->outbox_create(t->c, cv.account_id, m.id, cv.inbox_id, t->now, NULL)))
            goto done;
        delivery_note_outbox(t->app->delivery); /* woken by the commit hook */
    }
    if ((rc = desk_event(t->c, t->app, t->by, "message.created", "message", m.id,
                         json_pack("{s:o, s:I}", "message", message_to_json(&m), "inbox_id",
                                   (json_int_t)cv.inbox_id))))
        goto done;
    size_t i;
    json_t *v;
    json_array_foreach(mentioned, i, v)
    {
        int64_t uid = json_integer_value(v);
        int64_t nid;
        if ((rc = ops->notification_create(t->c, cv.account_id, uid, "mention", cv.id, m.id, t->now,
                                           &nid)))
            goto done;
        if ((rc = desk_event(t->c, t->app, t->by, "notification.mention", "user", uid,
                             json_pack("{s:I, s:I, s:I, s:I}", "user_id", (json_int_t)uid,
                                       "notification_id", (json_int_t)nid, "conversation_id",
                                       (json_int_t)cv.id, "message_id", (json_int_t)m.id))))
            goto done;
    }
    x->out->message_id = m.id;
done:
    json_decref(mentioned);
    free(mentions_json);
    return rc;
}

/* What each platform refuses, checked before anything is stored so the agent
 * hears it now rather than as a failed delivery later. */
static int channel_rules(app_t *app, store_t *st, const conv_row_t *cv, const char *body,
                         size_t len, arena_t *a, parley_err_t *err)
{
    const store_desk_ops_t *ops = st->ops->desk;
    store_conn_t *c = st->ops->reader(st);
    inbox_row_t in;
    if (ops->inbox_get(c, cv->account_id, cv->inbox_id, a, &in)) return 0;
    if (!strcmp(in.channel, "x") && !strcmp(cv->visibility, "public")) {
        size_t chars = voice_count_chars(body, len);
        if (chars > 280)
            return parley_errf(err, PARLEY_EINVAL, "/body",
                               "X allows 280 characters in a public reply; this one has %zu",
                               chars);
    }
    if (!strcmp(in.channel, "twilio_sms")) {
        size_t segments = voice_sms_segments(body, len);
        if (segments > 10)
            return parley_errf(err, PARLEY_EINVAL, "/body",
                               "this SMS would need %zu segments; keep it within 10", segments);
    }
    if (!strcmp(in.channel, "whatsapp")) {
        message_row_t last;
        int64_t now = app_now(app);
        if (ops->message_latest_inbound(c, cv->id, a, &last) != 0 ||
            now - last.created_at > 24LL * 3600 * 1000)
            return parley_errf(err, PARLEY_EINVAL, "/body",
                               "the customer last wrote more than 24 hours ago: outside WhatsApp's "
                               "customer-service window only an approved template message may be "
                               "sent");
    }
    return 0;
}

int desk_post_message(app_t *app, const actor_t *by, int64_t conversation_id, const post_in_t *in,
                      post_out_t *out, parley_err_t *err)
{
    memset(out, 0, sizeof *out);
    size_t len = strlen(in->body);
    if (len == 0 || len > 20000)
        return parley_errf(err, PARLEY_EINVAL, "/body", "body must be 1 to 20000 bytes");
    if (!in->note) {
        /* Brand voice and sensitive data are checked before anything is written.
         * Whether the reply is public depends on the conversation: read it. */
        arena_t a;
        arena_init(&a, 0);
        conv_row_t cv;
        store_t *st = app->store;
        int rc =
            st->ops->desk->conv_get(st->ops->reader(st), by->account_id, conversation_id, &a, &cv);
        bool is_public = rc == 0 && !strcmp(cv.visibility, "public");
        if (rc) {
            arena_free(&a);
            return parley_errf(err, PARLEY_ENOENT, "", "no conversation with this id");
        }
        if (in->offline && !is_public) {
            arena_free(&a);
            return parley_errf(err, PARLEY_EINVAL, "/offline",
                               "only a public conversation can be taken offline");
        }
        rc = channel_rules(app, st, &cv, in->body, len, &a, err);
        arena_free(&a);
        if (rc) return rc;
        out->n_findings = analyze_draft(in->body, len, is_public, out->findings, ANALYSIS_MAX_VOICE,
                                        &out->blocked);
        if (out->blocked)
            return parley_errf(err, PARLEY_EINVAL, "/body",
                               "the reply breaks a rule that blocks sending; see errors");
    }
    post_ctx_t x = {.conversation_id = conversation_id, .in = in, .out = out, .err = err};
    err->code = 0;
    int rc = desk_write(app, by, post_tx, &x);
    if (rc && !err->code) parley_errf(err, rc, "", "the message could not be stored");
    return rc;
}

/* ---- conversation changes ---------------------------------------------------- */

typedef struct {
    int64_t id;
    json_t *patch;
    parley_err_t *err;
    role_t role;
    int64_t user_id;
    const char *state;
} change_ctx_t;

static int label_id_of(dtx_t *t, json_t *name, int64_t *id, parley_err_t *err, const char *ptr)
{
    if (!json_is_string(name))
        return parley_errf(err, PARLEY_EINVAL, ptr, "labels are given by name");
    int rc = dtx_ops(t)->label_find(t->c, t->by->account_id, json_string_value(name), id);
    if (rc == PARLEY_ENOENT)
        return parley_errf(err, PARLEY_EINVAL, ptr, "no label named \"%s\"",
                           json_string_value(name));
    return rc;
}

static int update_tx(dtx_t *t, void *p)
{
    change_ctx_t *x = p;
    const store_desk_ops_t *ops = dtx_ops(t);
    conv_row_t cv;
    int rc = ops->conv_get(t->c, t->by->account_id, x->id, t->arena, &cv);
    if (rc) return parley_errf(x->err, rc, "", "no conversation with this id");
    json_t *v;
    if ((v = json_object_get(x->patch, "version")) && json_integer_value(v) != cv.version)
        return parley_errf(x->err, PARLEY_ECONFLICT, "/version",
                           "the conversation changed since version %lld (now %lld); reload it",
                           (long long)json_integer_value(v), (long long)cv.version);
    conv_row_t before = cv;
    const char *event = "conversation.updated";
    if ((v = json_object_get(x->patch, "status"))) {
        const char *s = json_string_value(v);
        if (strcmp(s, cv.status) != 0) {
            if (!strcmp(s, "resolved") && cv.offline_at &&
                !json_is_true(json_object_get(x->patch, "skip_closing_note"))) {
                /* The world saw the complaint: it must see it closed. */
                message_row_t *msgs;
                int n = 0;
                ops->message_list(t->c, cv.id, 0, 1000, t->arena, &msgs, &n);
                bool closed = false;
                for (int i = 0; i < n; i++)
                    closed |= !strcmp(msgs[i].kind, "reply") &&
                              !strcmp(msgs[i].visibility, "public") &&
                              msgs[i].created_at > cv.offline_at;
                if (!closed)
                    return parley_errf(x->err, PARLEY_ECONFLICT, "/status",
                                       "this public conversation was taken offline: post a short "
                                       "public closing note (e.g. \"Glad we could sort this out "
                                       "in private, thanks for your patience!\") before resolving");
            }
            if (!strcmp(s, "resolved")) {
                cv.resolved_at = t->now;
                cv.snoozed_until = 0;
                event = "conversation.resolved";
            } else if (!strcmp(s, "snoozed")) {
                const char *until = json_string_value(json_object_get(x->patch, "snoozed_until"));
                int64_t ms = 0;
                if (!until || clock_parse_iso(until, &ms) || ms <= t->now)
                    return parley_errf(x->err, PARLEY_EINVAL, "/snoozed_until",
                                       "snoozing needs snoozed_until, a future RFC 3339 time");
                cv.snoozed_until = ms;
                event = "conversation.snoozed";
            } else if (!strcmp(s, "open")) {
                if (!strcmp(cv.status, "resolved")) {
                    cv.opened_at = t->now;
                    cv.first_reply_at = 0;
                    event = "conversation.reopened";
                } else {
                    event = "conversation.opened";
                }
                cv.snoozed_until = 0;
            } else {
                cv.snoozed_until = 0;
                event = "conversation.pending";
            }
            cv.status = s;
        }
    }
    if ((v = json_object_get(x->patch, "priority"))) {
        for (int i = 0; conv_priorities[i]; i++)
            if (!strcmp(json_string_value(v), conv_priorities[i])) cv.priority = i;
        if (cv.priority != before.priority && !strcmp(event, "conversation.updated"))
            event = "conversation.priority_changed";
    }
    if ((v = json_object_get(x->patch, "team_id")))
        cv.team_id = json_is_integer(v) ? json_integer_value(v) : 0;
    json_t *added = json_object_get(x->patch, "labels_add");
    json_t *removed = json_object_get(x->patch, "labels_remove");
    size_t i;
    json_t *name;
    json_array_foreach(added, i, name)
    {
        int64_t lid;
        char ptr[48];
        snprintf(ptr, sizeof ptr, "/labels_add/%zu", i);
        if ((rc = label_id_of(t, name, &lid, x->err, ptr))) return rc;
        if ((rc = ops->conv_label_add(t->c, cv.account_id, cv.id, lid))) return rc;
    }
    json_array_foreach(removed, i, name)
    {
        int64_t lid;
        char ptr[48];
        snprintf(ptr, sizeof ptr, "/labels_remove/%zu", i);
        if ((rc = label_id_of(t, name, &lid, x->err, ptr))) return rc;
        if ((rc = ops->conv_label_remove(t->c, cv.id, lid))) return rc;
    }
    json_t *payload = json_deep_copy(x->patch);
    json_object_del(payload, "version");
    if ((rc = conv_save(t, &before, &cv, event, payload))) return rc;
    /* A resolve (or leaving "open" otherwise) frees the assignee for queued work;
     * a conversation back in "open" without an assignee is routed. */
    if (strcmp(before.status, cv.status) != 0) {
        if (!strcmp(before.status, "open") && cv.assignee_id)
            return router_drain(t, cv.account_id, cv.assignee_id);
        if (!strcmp(cv.status, "open")) return router_route(t, &cv);
    }
    return 0;
}

int desk_update_conversation(app_t *app, const actor_t *by, int64_t conversation_id, json_t *patch,
                             parley_err_t *err)
{
    change_ctx_t x = {.id = conversation_id, .patch = patch, .err = err};
    err->code = 0;
    int rc = desk_write(app, by, update_tx, &x);
    if (rc && !err->code) parley_errf(err, rc, "", "the conversation could not be updated");
    if (!rc && json_object_get(patch, "status")) scheduler_poke(app->scheduler);
    return rc;
}

static int assign_tx(dtx_t *t, void *p)
{
    change_ctx_t *x = p;
    const store_desk_ops_t *ops = dtx_ops(t);
    conv_row_t cv;
    int rc = ops->conv_get(t->c, t->by->account_id, x->id, t->arena, &cv);
    if (rc) return parley_errf(x->err, rc, "", "no conversation with this id");
    int64_t me = t->by->user_id;
    if (x->role < ROLE_SUPERVISOR) {
        bool taking = x->user_id == me, releasing = x->user_id == 0 && cv.assignee_id == me;
        if (!taking && !releasing)
            return parley_errf(x->err, PARLEY_EPERM, "/assignee_id",
                               "agents may take a conversation or release their own; "
                               "ask a supervisor to assign others");
        if (taking && cv.assignee_id && cv.assignee_id != me &&
            !json_is_true(json_object_get(x->patch, "takeover")))
            return parley_errf(x->err, PARLEY_ECONFLICT, "/takeover",
                               "user %lld is handling this conversation; send takeover: true",
                               (long long)cv.assignee_id);
    }
    if (x->user_id) {
        user_row_t u;
        if (t->app->store->ops->user_get(t->c, t->by->account_id, x->user_id, t->arena, &u) ||
            strcmp(u.status, "active") || !strcmp(u.role, "analyst"))
            return parley_errf(x->err, PARLEY_EINVAL, "/assignee_id",
                               "user %lld is not an active agent of this account",
                               (long long)x->user_id);
    }
    const char *reason = x->role >= ROLE_SUPERVISOR && x->user_id != me ? "manual" : "self";
    rc = conv_assign(t, &cv, x->user_id, reason);
    if (rc || x->user_id) return rc;
    return router_route(t, &cv); /* released: let the policy place it */
}

int desk_assign(app_t *app, const actor_t *by, role_t role, int64_t conversation_id,
                int64_t user_id, bool takeover, parley_err_t *err)
{
    json_t *patch = json_pack("{s:b}", "takeover", takeover);
    change_ctx_t x = {
        .id = conversation_id, .patch = patch, .err = err, .role = role, .user_id = user_id};
    err->code = 0;
    int rc = desk_write(app, by, assign_tx, &x);
    json_decref(patch);
    if (rc && !err->code) parley_errf(err, rc, "", "the conversation could not be assigned");
    return rc;
}

static int presence_tx(dtx_t *t, void *p)
{
    change_ctx_t *x = p;
    conv_row_t cv;
    int rc = dtx_ops(t)->conv_get(t->c, t->by->account_id, x->id, t->arena, &cv);
    if (rc) return parley_errf(x->err, rc, "", "no conversation with this id");
    char type[32];
    snprintf(type, sizeof type, "presence.%s", x->state);
    return desk_event(t->c, t->app, t->by, type, "conversation", cv.id,
                      json_pack("{s:I, s:I, s:s}", "user_id", (json_int_t)t->by->user_id,
                                "conversation_id", (json_int_t)cv.id, "state", x->state));
}

int desk_presence(app_t *app, const actor_t *by, int64_t conversation_id, const char *state,
                  parley_err_t *err)
{
    change_ctx_t x = {.id = conversation_id, .err = err, .state = state};
    err->code = 0;
    int rc = desk_write(app, by, presence_tx, &x);
    if (rc && !err->code) parley_errf(err, rc, "", "presence could not be recorded");
    return rc;
}

/* ---- snoozes -------------------------------------------------------------- */

typedef struct {
    int64_t next_due;
    int woken;
} wake_ctx_t;

static int wake_tx(dtx_t *t, void *p)
{
    wake_ctx_t *x = p;
    conv_row_t *rows;
    int n;
    int rc = dtx_ops(t)->conv_snoozed(t->c, 200, t->arena, &rows, &n);
    if (rc) return rc;
    x->next_due = 0;
    for (int i = 0; i < n; i++) {
        if (rows[i].snoozed_until > t->now) {
            x->next_due = rows[i].snoozed_until;
            break;
        }
        conv_row_t before = rows[i];
        rows[i].status = "open";
        rows[i].snoozed_until = 0;
        actor_t sys = {.account_id = rows[i].account_id, .kind = "system"};
        dtx_t tt = *t;
        tt.by = &sys;
        if ((rc = conv_save(&tt, &before, &rows[i], "conversation.woke", NULL))) return rc;
        if ((rc = router_route(&tt, &rows[i]))) return rc;
        x->woken++;
    }
    return 0;
}

int desk_wake_due(app_t *app, int64_t *next_due)
{
    actor_t sys = {.kind = "system"};
    wake_ctx_t x = {0};
    int rc = desk_write(app, &sys, wake_tx, &x);
    *next_due = x.next_due;
    return rc;
}
