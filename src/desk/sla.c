/*
 * sla.c - service-level clocks for conversations.
 *
 * Owns the deadlines (first response, next response, resolution) of every
 * open conversation and the business-hours arithmetic behind them. A clock
 * counts time (business ms when its policy says so, else calendar ms) while
 * it runs; elapsed_ms holds what was counted before running_since, so a
 * pause keeps its count and a resume plans the deadline from the remainder.
 * Never sends anything itself: a warning or breach becomes an event, and the
 * policy's escalation rules act in the same transaction (a `webhook` rule
 * queues a delivery of that event to the account's subscription with the
 * rule's URL; an `email` rule queues notices in desk/mailer.c: both are rows
 * their workers send after the commit).
 */
#include "desk/sla.h"

#include "core/log.h"
#include "desk/hours.h"
#include "desk/mailer.h"
#include "desk/router.h"
#include "desk/scheduler.h"
#include "desk/users.h"
#include "store/store_catalog.h"
#include "store/store_webhooks.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int kind_index(const char *kind)
{
    for (int i = 0; sla_kinds[i]; i++)
        if (!strcmp(sla_kinds[i], kind)) return i;
    return -1;
}

/* ---- the arithmetic ---------------------------------------------------------- */

/* The next warning or breach still to announce, 0 when none. Warning comes
 * before the internal deadline, which comes before the published one. */
static int64_t next_milestone(const sla_clock_row_t *k)
{
    if (strcmp(k->status, "running") != 0) return 0;
    if (!k->warned_at && !k->breached_at) return k->warning_at;
    if (!k->breached_at) return k->due_at;
    if (!k->published_breached_at) return k->published_due_at;
    return 0;
}

static void plan(sla_clock_row_t *k, const bh_calendar_t *cal)
{
    if (strcmp(k->status, "running") != 0) {
        k->due_at = k->warning_at = k->published_due_at = k->next_at = 0;
        return;
    }
    int64_t t = k->running_since;
    k->due_at = bh_add_business_ms(cal, t, k->target_ms - k->elapsed_ms);
    k->warning_at = bh_add_business_ms(cal, t, k->warning_ms - k->elapsed_ms);
    k->published_due_at = bh_add_business_ms(cal, t, k->published_ms - k->elapsed_ms);
    k->next_at = next_milestone(k);
}

static const bh_calendar_t *cal_of(const sla_clock_row_t *k, const bh_calendar_t *cal)
{
    return k->business ? cal : NULL;
}

int64_t sla_clock_elapsed(const sla_clock_row_t *k, const bh_calendar_t *cal, int64_t now)
{
    int64_t e = k->elapsed_ms;
    if (!strcmp(k->status, "running") && now > k->running_since)
        e += bh_business_ms(cal_of(k, cal), k->running_since, now);
    return e;
}

void sla_clock_start(sla_clock_row_t *k, const bh_calendar_t *cal, int64_t now)
{
    k->status = "running";
    k->state = "ok";
    k->started_at = k->running_since = now;
    k->elapsed_ms = k->paused_ms = k->paused_at = 0;
    k->warned_at = k->breached_at = k->published_breached_at = k->met_at = k->stopped_at = 0;
    plan(k, cal_of(k, cal));
}

void sla_clock_pause(sla_clock_row_t *k, const bh_calendar_t *cal, int64_t now)
{
    if (strcmp(k->status, "running") != 0) return;
    k->elapsed_ms = sla_clock_elapsed(k, cal, now);
    k->running_since = 0;
    k->paused_at = now;
    k->status = "paused";
    plan(k, cal_of(k, cal));
}

void sla_clock_resume(sla_clock_row_t *k, const bh_calendar_t *cal, int64_t now)
{
    if (strcmp(k->status, "paused") != 0) return;
    if (now > k->paused_at) k->paused_ms += now - k->paused_at;
    k->paused_at = 0;
    k->running_since = now;
    k->status = "running";
    plan(k, cal_of(k, cal));
}

void sla_clock_retarget(sla_clock_row_t *k, const bh_calendar_t *cal, const sla_target_t *tg,
                        int warning_percent, int64_t now)
{
    if (!strcmp(k->status, "running")) {
        k->elapsed_ms = sla_clock_elapsed(k, cal, now);
        k->running_since = now;
    }
    k->target_ms = tg->internal_ms;
    k->published_ms = tg->published_ms;
    k->warning_ms = tg->internal_ms * warning_percent / 100;
    plan(k, cal_of(k, cal));
}

void sla_clock_finish(sla_clock_row_t *k, const bh_calendar_t *cal, bool met, int64_t now)
{
    bool running = !strcmp(k->status, "running");
    if (running) k->elapsed_ms = sla_clock_elapsed(k, cal, now);
    if (!running && k->paused_at && now > k->paused_at) k->paused_ms += now - k->paused_at;
    /* A deadline that passed before the scheduler looked is still a breach. */
    if (!k->breached_at && k->elapsed_ms >= k->target_ms) {
        k->breached_at = running && k->due_at ? k->due_at : now;
        k->state = "breached";
    }
    k->running_since = k->paused_at = 0;
    k->next_at = 0;
    k->status = met ? "met" : "stopped";
    if (met)
        k->met_at = now;
    else
        k->stopped_at = now;
}

const char *sla_clock_fire(sla_clock_row_t *k, int64_t now, const char **level)
{
    if (strcmp(k->status, "running") != 0 || !k->next_at || k->next_at > now) return NULL;
    const char *ev;
    *level = "internal";
    if (!k->warned_at && !k->breached_at) {
        k->warned_at = k->warning_at;
        if (!strcmp(k->state, "ok")) k->state = "warning";
        ev = "sla.warning";
    } else if (!k->breached_at) {
        k->breached_at = k->due_at;
        k->state = "breached";
        ev = "sla.breached";
    } else {
        k->published_breached_at = k->published_due_at;
        *level = "published";
        ev = "sla.breached";
    }
    k->next_at = next_milestone(k);
    return ev;
}

/* ---- the hooks ------------------------------------------------------------------- */

/* What a hook learns about the conversation's inbox, loaded on first need. */
typedef struct {
    dtx_t *t;
    const conv_row_t *cv;
    bool loaded, has_policy, cal_loaded;
    int64_t policy_id;
    sla_policy_t pol;
    bh_calendar_t *cal;
} sctx_t;

static const store_sla_ops_t *sla_ops(const dtx_t *t)
{
    return t->app->store->ops->sla;
}

static int load_policy(sctx_t *s)
{
    if (s->loaded) return 0;
    s->loaded = true;
    inbox_sla_t in;
    int rc = sla_ops(s->t)->inbox_sla_get(s->t->c, s->cv->inbox_id, &in);
    if (rc) return rc == PARLEY_ENOENT ? 0 : rc;
    if (!in.sla_policy_id) return 0;
    sla_policy_row_t row;
    rc = sla_ops(s->t)->policy_get(s->t->c, s->cv->account_id, in.sla_policy_id, s->t->arena, &row);
    if (rc) return rc == PARLEY_ENOENT ? 0 : rc;
    if (sla_policy_from_text(row.policy, &s->pol)) return 0;
    s->has_policy = true;
    s->policy_id = row.id;
    return 0;
}

static const bh_calendar_t *calendar(sctx_t *s)
{
    if (!s->cal_loaded) {
        s->cal_loaded = true;
        s->cal =
            hours_of_inbox(s->t->app, s->t->c, s->cv->account_id, s->cv->inbox_id, s->t->arena);
    }
    return s->cal;
}

static void sctx_done(sctx_t *s)
{
    bh_calendar_free(s->cal);
}

static void push(dtx_t *t, const sla_clock_row_t *k)
{
    if (k->next_at > 0) scheduler_sla_push(t->app->scheduler, k->next_at, k->id);
}

static int save(sctx_t *s, sla_clock_row_t *k)
{
    int rc = sla_ops(s->t)->clock_update(s->t->c, k);
    if (!rc) push(s->t, k);
    return rc;
}

static const char *iso_or_null(int64_t ms, char buf[32]);

/* Ends a clock and records how it ended (sla.met / sla.stopped, with
 * within_target) for compliance reports, in the same transaction. */
static int finish(sctx_t *s, sla_clock_row_t *k, bool met)
{
    sla_clock_finish(k, calendar(s), met, s->t->now);
    int rc = save(s, k);
    if (rc) return rc;
    char due[32];
    return desk_event(
        s->t->c, s->t->app, s->t->by, met ? "sla.met" : "sla.stopped", "conversation",
        k->conversation_id,
        json_pack("{s:I, s:I, s:s, s:b, s:I, s:I, s:s?, s:b}", "conversation_id",
                  (json_int_t)k->conversation_id, "clock_id", (json_int_t)k->id, "target", k->kind,
                  "within_target", strcmp(k->state, "breached") != 0, "counted_ms",
                  (json_int_t)k->elapsed_ms, "paused_ms", (json_int_t)k->paused_ms, "due_at",
                  iso_or_null(k->due_at, due), "business_hours", k->business));
}

static int start(sctx_t *s, int kind)
{
    const sla_target_t *tg = &s->pol.targets[s->cv->priority & 3][kind];
    if (!s->has_policy || !tg->internal_ms) return 0;
    sla_clock_row_t k = {.account_id = s->cv->account_id,
                         .conversation_id = s->cv->id,
                         .policy_id = s->policy_id,
                         .kind = sla_kinds[kind],
                         .business = s->pol.business_hours,
                         .target_ms = tg->internal_ms,
                         .published_ms = tg->published_ms,
                         .warning_ms = tg->internal_ms * s->pol.warning_percent / 100};
    sla_clock_start(&k, calendar(s), s->t->now);
    if (!strcmp(s->cv->status, "pending")) sla_clock_pause(&k, calendar(s), s->t->now);
    int rc = sla_ops(s->t)->clock_create(s->t->c, &k, &k.id);
    if (!rc) push(s->t, &k);
    return rc;
}

static int active(sctx_t *s, sla_clock_row_t **rows, int *n)
{
    return sla_ops(s->t)->clock_active(s->t->c, s->cv->id, s->t->arena, rows, n);
}

static bool has_kind(const sla_clock_row_t *rows, int n, int kind)
{
    for (int i = 0; i < n; i++)
        if (kind_index(rows[i].kind) == kind) return true;
    return false;
}

/* New targets after a priority change: from the policy the clock started
 * under (the inbox's current one when it is the same). */
static int retarget(sctx_t *s, sla_clock_row_t *k)
{
    if (!strcmp(k->state, "breached")) return 0; /* a breach is a fact; keep its deadline */
    sla_policy_t other, *pol = &s->pol;
    if (!s->has_policy || k->policy_id != s->policy_id) {
        sla_policy_row_t row;
        if (sla_ops(s->t)->policy_get(s->t->c, k->account_id, k->policy_id, s->t->arena, &row) ||
            sla_policy_from_text(row.policy, &other))
            return 0; /* the policy is gone: the clock keeps its targets */
        pol = &other;
    }
    const sla_target_t *tg = &pol->targets[s->cv->priority & 3][kind_index(k->kind)];
    if (!tg->internal_ms) return finish(s, k, false); /* no target at the new priority */
    sla_clock_retarget(k, calendar(s), tg, pol->warning_percent, s->t->now);
    return save(s, k);
}

int sla_on_status(dtx_t *t, const conv_row_t *before, const conv_row_t *cv)
{
    if (!before || !t->app->store->ops->sla) return 0;
    bool status = strcmp(before->status, cv->status) != 0;
    bool prio = before->priority != cv->priority;
    if (!status && !prio) return 0;
    sctx_t s = {.t = t, .cv = cv};
    sla_clock_row_t *rows;
    int n, rc;
    if ((rc = active(&s, &rows, &n))) return rc;
    bool resolved = !strcmp(cv->status, "resolved");
    for (int i = 0; i < n && !rc; i++) {
        sla_clock_row_t *k = &rows[i];
        if (status && resolved) {
            /* a resolve meets the resolution target and ends the response clocks */
            rc = finish(&s, k, kind_index(k->kind) == SLA_RESOLUTION);
            continue;
        }
        bool changed = false;
        if (status && !strcmp(cv->status, "pending")) {
            sla_clock_pause(k, calendar(&s), t->now);
            changed = true;
        } else if (status && !strcmp(before->status, "pending")) {
            sla_clock_resume(k, calendar(&s), t->now);
            changed = true;
        }
        if (prio && !resolved) {
            if ((rc = load_policy(&s))) break;
            rc = retarget(&s, k);
        } else if (changed) {
            rc = save(&s, k);
        }
    }
    /* a reopen starts a new cycle: its resolution clock (the customer's next
     * message starts the first-response clock) */
    if (!rc && status && !strcmp(before->status, "resolved") && !resolved &&
        !has_kind(rows, n, SLA_RESOLUTION) && !(rc = load_policy(&s)))
        rc = start(&s, SLA_RESOLUTION);
    sctx_done(&s);
    return rc;
}

int sla_on_inbound(dtx_t *t, const conv_row_t *cv)
{
    if (!t->app->store->ops->sla) return 0;
    sctx_t s = {.t = t, .cv = cv};
    sla_clock_row_t *rows;
    int n;
    int rc = load_policy(&s);
    if (rc || !s.has_policy) goto done;
    if ((rc = active(&s, &rows, &n))) goto done;
    if (!has_kind(rows, n, SLA_RESOLUTION) && (rc = start(&s, SLA_RESOLUTION))) goto done;
    if (!cv->first_reply_at) {
        if (!has_kind(rows, n, SLA_FIRST_RESPONSE)) rc = start(&s, SLA_FIRST_RESPONSE);
    } else if (!has_kind(rows, n, SLA_NEXT_RESPONSE) && !has_kind(rows, n, SLA_FIRST_RESPONSE)) {
        rc = start(&s, SLA_NEXT_RESPONSE); /* the first unanswered message of a run */
    }
done:
    sctx_done(&s);
    return rc;
}

int sla_on_reply(dtx_t *t, const conv_row_t *cv)
{
    if (!t->app->store->ops->sla) return 0;
    sctx_t s = {.t = t, .cv = cv};
    sla_clock_row_t *rows;
    int n;
    int rc = active(&s, &rows, &n);
    for (int i = 0; i < n && !rc; i++) {
        int kind = kind_index(rows[i].kind);
        if (kind != SLA_FIRST_RESPONSE && kind != SLA_NEXT_RESPONSE) continue;
        rc = finish(&s, &rows[i], true);
    }
    sctx_done(&s);
    return rc;
}

/* ---- firing and escalation ------------------------------------------------------- */

static const char *iso_or_null(int64_t ms, char buf[32])
{
    if (ms <= 0 || ms >= BH_T_MAX) return NULL;
    clock_format_iso(ms, buf);
    return buf;
}

static int notify(dtx_t *t, const conv_row_t *cv, int64_t user_id, const sla_clock_row_t *k,
                  const char *event)
{
    int64_t nid;
    int rc = dtx_ops(t)->notification_create(t->c, cv->account_id, user_id, "sla", cv->id, 0,
                                             t->now, &nid);
    if (rc) return rc;
    return desk_event(t->c, t->app, t->by, "notification.sla", "user", user_id,
                      json_pack("{s:I, s:I, s:I, s:s, s:s}", "user_id", (json_int_t)user_id,
                                "notification_id", (json_int_t)nid, "conversation_id",
                                (json_int_t)cv->id, "target", k->kind, "event", event));
}

/* Every active supervisor of the account (the rule named nobody). */
static int notify_supervisors(dtx_t *t, const conv_row_t *cv, const sla_clock_row_t *k,
                              const char *event)
{
    page_t p = {.account_id = cv->account_id, .after_id = 0, .limit = 1000};
    user_row_t *users;
    int n;
    int rc = t->app->store->ops->user_list(t->c, &p, t->arena, &users, &n);
    for (int i = 0; i < n && !rc; i++)
        if (!strcmp(users[i].role, "supervisor") && !strcmp(users[i].status, "active"))
            rc = notify(t, cv, users[i].id, k, event);
    return rc;
}

/* A `webhook` rule: the SLA event goes to the account's active subscription
 * whose URL is the rule's (signed with its secret, in its format, with its
 * retries), whether or not that subscription follows sla.* itself; one
 * delivery per (subscription, event) however many rules name it. */
static int rule_webhook(dtx_t *t, const esc_rule_row_t *r, const conv_row_t *cv, int64_t event_id,
                        bool *delivered, const char **note)
{
    const store_webhooks_ops_t *ops = t->app->store->ops->webhooks;
    *delivered = false;
    *note = "no active outbound webhook (/api/v1/webhooks) of the account has this url";
    if (!ops || !r->url || !event_id) return 0;
    page_t p = {.account_id = cv->account_id, .after_id = 0, .limit = 100};
    webhook_row_t *subs;
    int n;
    int rc = ops->list(t->c, &p, t->arena, &subs, &n);
    for (int i = 0; i < n && !rc; i++) {
        if (!subs[i].active || strcmp(subs[i].url, r->url) != 0) continue;
        webhook_delivery_row_t d = {.account_id = cv->account_id,
                                    .subscription_id = subs[i].id,
                                    .event_id = event_id,
                                    .event_type = "sla",
                                    .next_attempt_at = t->now,
                                    .created_at = t->now};
        event_row_t e;
        if (!ops->event_get(t->c, cv->account_id, event_id, t->arena, &e)) d.event_type = e.type;
        int64_t id;
        rc = ops->delivery_create(t->c, &d, &id);
        *delivered = true;
        *note = NULL;
    }
    return rc;
}

/* An `email` rule: one notice to `to`, else to the named user, else to
 * every active supervisor, through the account's e-mail inbox. */
static int rule_email(dtx_t *t, const esc_rule_row_t *r, const conv_row_t *cv,
                      const sla_clock_row_t *k, const char *event, int64_t event_id,
                      bool *delivered, const char **note)
{
    const char *to[64];
    int n = 0;
    if (r->url) {
        to[n++] = r->url;
    } else {
        page_t p = {.account_id = cv->account_id, .after_id = 0, .limit = 1000};
        user_row_t *users;
        int nu;
        int rc = t->app->store->ops->user_list(t->c, &p, t->arena, &users, &nu);
        if (rc) return rc;
        for (int i = 0; i < nu && n < 64; i++)
            if (!strcmp(users[i].status, "active") &&
                (r->user_id ? users[i].id == r->user_id : !strcmp(users[i].role, "supervisor")))
                to[n++] = users[i].email;
    }
    *delivered = false;
    *note = n ? NULL : "nobody to e-mail";
    bool breach = !strcmp(event, "sla.breached");
    const char *what = !strcmp(k->kind, "first_response")  ? "first response"
                       : !strcmp(k->kind, "next_response") ? "next response"
                                                           : "resolution";
    const char *subject = arena_sprintf(t->arena, "%s: conversation #%lld (%s, %s)",
                                        breach ? "SLA breached" : "SLA warning", (long long)cv->id,
                                        what, conv_priorities[cv->priority & 3]);
    char due[32];
    clock_format_iso(k->due_at ? k->due_at : t->now, due);
    const char *base = t->app->cfg && t->app->cfg->public_url ? t->app->cfg->public_url : "";
    const char *text = arena_sprintf(
        t->arena,
        "%s on conversation #%lld.\n\nTarget: %s (internal)\nDue: %s\nPriority: %s\n"
        "Assignee: %s\n\nOpen the desk: %s/\n",
        breach ? "The SLA target was breached" : "The SLA target is close to breach",
        (long long)cv->id, what, due, conv_priorities[cv->priority & 3],
        cv->assignee_id ? arena_sprintf(t->arena, "user %lld", (long long)cv->assignee_id)
                        : "nobody (queued)",
        base);
    for (int i = 0; i < n; i++) {
        bool queued;
        const char *key = arena_sprintf(t->arena, "sla:%lld:%lld:%s", (long long)event_id,
                                        (long long)r->id, to[i]);
        int rc = mailer_queue(t, cv->account_id, "sla", key, to[i], subject, text, NULL, &queued);
        if (rc == PARLEY_ENOENT) {
            *note = "the account has no e-mail inbox to send with";
            return 0;
        }
        if (rc == PARLEY_EINVAL) continue;
        if (rc) return rc;
        *delivered = true;
    }
    if (n && !*delivered) *note = "no valid address";
    return 0;
}

static int apply_rule(dtx_t *t, const esc_rule_row_t *r, conv_row_t *cv, const sla_clock_row_t *k,
                      const char *event, int64_t event_id)
{
    int rc = 0;
    bool delivered = true;
    const char *note = NULL;
    if (!strcmp(r->action, "raise_priority")) {
        if (r->priority > cv->priority && strcmp(cv->status, "resolved") != 0) {
            conv_row_t before = *cv;
            cv->priority = r->priority;
            rc = conv_save(t, &before, cv, "conversation.priority_changed",
                           json_pack("{s:s, s:s, s:I}", "priority", conv_priorities[r->priority],
                                     "reason", "sla_escalation", "rule_id", (json_int_t)r->id));
        } else {
            note = "already at or above that priority";
        }
    } else if (!strcmp(r->action, "assign_team")) {
        team_row_t team;
        if (t->app->store->ops->catalog->team_get(t->c, cv->account_id, r->team_id, t->arena,
                                                  &team)) {
            delivered = false;
            note = "the team no longer exists";
        } else if (cv->team_id != r->team_id) {
            if (cv->assignee_id && (rc = conv_assign(t, cv, 0, "sla_escalation"))) return rc;
            conv_row_t before = *cv;
            cv->team_id = r->team_id;
            rc = conv_save(t, &before, cv, "conversation.updated",
                           json_pack("{s:I, s:s, s:I}", "team_id", (json_int_t)r->team_id, "reason",
                                     "sla_escalation", "rule_id", (json_int_t)r->id));
            if (!rc && !strcmp(cv->status, "open")) rc = router_route(t, cv);
        }
    } else if (!strcmp(r->action, "notify")) {
        rc = r->user_id ? notify(t, cv, r->user_id, k, event) : notify_supervisors(t, cv, k, event);
    } else if (!strcmp(r->action, "webhook")) {
        rc = rule_webhook(t, r, cv, event_id, &delivered, &note);
    } else if (!strcmp(r->action, "email")) {
        rc = rule_email(t, r, cv, k, event, event_id, &delivered, &note);
    }
    if (rc) return rc;
    return desk_event(t->c, t->app, t->by, "sla.escalated", "conversation", cv->id,
                      json_pack("{s:I, s:I, s:s, s:s, s:s, s:s?, s:b, s:s?}", "rule_id",
                                (json_int_t)r->id, "conversation_id", (json_int_t)cv->id, "action",
                                r->action, "event", event, "target", k->kind, "to", r->url,
                                "delivered", delivered, "note", note));
}

static int escalate(dtx_t *t, const sla_clock_row_t *k, conv_row_t *cv, const char *event,
                    int64_t event_id)
{
    esc_rule_row_t *rules;
    int n;
    int rc = sla_ops(t)->rules_list(t->c, k->account_id, k->policy_id, t->arena, &rules, &n);
    for (int i = 0; i < n && !rc; i++) {
        if (strcmp(rules[i].on_event, event) != 0) continue;
        if (rules[i].target && strcmp(rules[i].target, k->kind) != 0) continue;
        rc = apply_rule(t, &rules[i], cv, k, event, event_id);
    }
    return rc;
}

typedef struct {
    const int64_t *ids;
    int n;
} fire_ctx_t;

static int fire_one(dtx_t *t, int64_t id)
{
    sla_clock_row_t k;
    int rc = sla_ops(t)->clock_get_any(t->c, id, t->arena, &k);
    if (rc) return rc == PARLEY_ENOENT ? 0 : rc; /* a clock of a rolled-back change */
    const char *events[3], *levels[3];
    int n = 0;
    while (n < 3 && (events[n] = sla_clock_fire(&k, t->now, &levels[n]))) n++;
    if (!n) return 0; /* stale: the clock moved on, its new time is queued too */
    if ((rc = sla_ops(t)->clock_update(t->c, &k))) return rc;
    push(t, &k);
    conv_row_t cv;
    if ((rc = dtx_ops(t)->conv_get(t->c, k.account_id, k.conversation_id, t->arena, &cv)))
        return rc == PARLEY_ENOENT ? 0 : rc;
    actor_t sys = {.account_id = k.account_id, .kind = "system"};
    dtx_t tt = *t;
    tt.by = &sys;
    for (int i = 0; i < n && !rc; i++) {
        char due[32], warn[32], pub[32];
        rc = desk_event(
            t->c, t->app, &sys, events[i], "conversation", cv.id,
            json_pack("{s:I, s:I, s:s, s:s, s:s?, s:s?, s:s?, s:s, s:I, s:o}", "conversation_id",
                      (json_int_t)cv.id, "clock_id", (json_int_t)k.id, "target", k.kind, "level",
                      levels[i], "due_at", iso_or_null(k.due_at, due), "warning_at",
                      iso_or_null(k.warning_at, warn), "published_due_at",
                      iso_or_null(k.published_due_at, pub), "priority",
                      conv_priorities[cv.priority & 3], "inbox_id", (json_int_t)cv.inbox_id,
                      "assignee_id", cv.assignee_id ? json_integer(cv.assignee_id) : json_null()));
        /* Rules act on the internal target; the published breach is recorded. */
        int64_t event_id = 0;
        if (!rc && !strcmp(levels[i], "internal") &&
            !(rc = t->app->store->ops->event_last_id(t->c, &event_id)))
            rc = escalate(&tt, &k, &cv, events[i], event_id);
    }
    return rc;
}

static int fire_tx(dtx_t *t, void *p)
{
    fire_ctx_t *x = p;
    for (int i = 0; i < x->n; i++) {
        int rc = fire_one(t, x->ids[i]);
        if (rc) return rc;
    }
    return 0;
}

int sla_fire_due(app_t *app, const int64_t *ids, int n)
{
    if (!app->store->ops->sla || n <= 0) return 0;
    actor_t sys = {.kind = "system"};
    fire_ctx_t x = {.ids = ids, .n = n};
    return desk_write(app, &sys, fire_tx, &x);
}

int sla_load_scheduled(app_t *app, void (*cb)(void *arg, int64_t next_at, int64_t id), void *arg)
{
    const store_sla_ops_t *ops = app->store->ops->sla;
    if (!ops) return 0;
    store_conn_t *c = app->store->ops->reader(app->store);
    int64_t after_next = INT64_MIN, after_id = 0;
    for (;;) {
        arena_t a;
        arena_init(&a, 0);
        sla_due_t *rows;
        int n;
        int rc = ops->clock_scheduled(c, after_next, after_id, 1000, &a, &rows, &n);
        for (int i = 0; !rc && i < n; i++) cb(arg, rows[i].next_at, rows[i].id);
        if (n) {
            after_next = rows[n - 1].next_at;
            after_id = rows[n - 1].id;
        }
        arena_free(&a);
        if (rc) return rc;
        if (n < 1000) return 0;
    }
}

/* ---- rendering ----------------------------------------------------------------- */

json_t *sla_conv_json(const app_t *app, store_conn_t *c, const conv_row_t *cv)
{
    const store_sla_ops_t *ops = app->store->ops->sla;
    if (!ops || !cv->id) return json_null();
    arena_t a;
    arena_init(&a, 0);
    sla_clock_row_t *rows;
    int n;
    json_t *out = json_null();
    if (ops->clock_active(c, cv->id, &a, &rows, &n) == 0 && n > 0) {
        /* the running clock due first; a paused one only when none runs */
        const sla_clock_row_t *best = NULL;
        for (int i = 0; i < n; i++) {
            const sla_clock_row_t *k = &rows[i];
            bool run = !strcmp(k->status, "running");
            if (!best) {
                best = k;
                continue;
            }
            bool best_run = !strcmp(best->status, "running");
            if ((run && !best_run) || (run == best_run && run && k->due_at < best->due_at))
                best = k;
        }
        char due[32], warn[32], pub[32];
        out = json_pack("{s:s, s:s?, s:s?, s:s?, s:s, s:b, s:I}", "target", best->kind, "due_at",
                        iso_or_null(best->due_at, due), "warning_at",
                        iso_or_null(best->warning_at, warn), "published_due_at",
                        iso_or_null(best->published_due_at, pub), "state", best->state, "paused",
                        !strcmp(best->status, "paused"), "policy_id", (json_int_t)best->policy_id);
    }
    arena_free(&a);
    return out;
}

static const app_t *_Atomic registered;

void sla_register_app(const app_t *app)
{
    atomic_store(&registered, app);
}

json_t *sla_conv_json_current(const conv_row_t *cv)
{
    const app_t *app = atomic_load(&registered);
    if (!app) return json_null();
    return sla_conv_json(app, app->store->ops->reader(app->store), cv);
}
