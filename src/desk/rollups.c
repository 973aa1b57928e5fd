/*
 * rollups.c - desk events into report rollups, in the event's transaction.
 *
 * Owns the per-conversation report state machine: the cycle (created or
 * reopened from resolved, ended by a resolve), the run of unanswered
 * customer messages, whether a human or a bot answered, the sentiment
 * window. Every human reply, resolve, SLA outcome or survey answer becomes
 * counters and time samples on the row of its hour x inbox x channel x agent
 * x team x priority. Bot, automated and survey messages and notes are
 * counted apart and never as replies. Presence beats from the console add up
 * the cycle's handling time (AHT), sampled when the cycle resolves.
 */
#include "desk/rollups.h"

#include "core/bhours.h"
#include "core/log.h"
#include "desk/hours.h"
#include "store/store_desk.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#define HOUR_MS     3600000LL
#define MAX_PENDING 4

/* ---- one event's changes ------------------------------------------------------ */

typedef struct {
    const rollup_ctx_t *x;
    int64_t account_id, at;
    rconv_t *st;
    struct {
        rollup_key_t k;
        int64_t v[RC_COUNT];
    } rows[MAX_PENDING];
    int n_rows;
    bh_calendar_t *cal;
    bool cal_loaded;
    arena_t *arena;
    int rc;
} step_t;

static int64_t hour_of(int64_t ms)
{
    return ms >= 0 ? ms / HOUR_MS : -((-ms + HOUR_MS - 1) / HOUR_MS);
}

/* The row of the current dimensions at `hour`, with agent. */
static rollup_key_t key_of(const step_t *s, int64_t hour, int64_t agent)
{
    return (rollup_key_t){.account_id = s->account_id,
                          .hour = hour,
                          .inbox_id = s->st->inbox_id,
                          .channel = s->st->channel,
                          .agent_id = agent,
                          .team_id = s->st->team_id,
                          .priority = s->st->priority};
}

static bool key_eq(const rollup_key_t *a, const rollup_key_t *b)
{
    return a->hour == b->hour && a->inbox_id == b->inbox_id && a->agent_id == b->agent_id &&
           a->team_id == b->team_id && a->priority == b->priority &&
           strcmp(a->channel, b->channel) == 0;
}

static void add(step_t *s, const rollup_key_t *k, int col, int64_t delta)
{
    int i;
    for (i = 0; i < s->n_rows; i++)
        if (key_eq(&s->rows[i].k, k)) break;
    if (i == s->n_rows) {
        assert(s->n_rows < MAX_PENDING);
        memset(&s->rows[i], 0, sizeof s->rows[i]);
        s->rows[i].k = *k;
        s->n_rows++;
    }
    s->rows[i].v[col] += delta;
}

static void add_now(step_t *s, int64_t agent, int col, int64_t delta)
{
    rollup_key_t k = key_of(s, hour_of(s->at), agent);
    add(s, &k, col, delta);
}

static const bh_calendar_t *calendar(step_t *s)
{
    if (!s->cal_loaded) {
        s->cal_loaded = true;
        const app_t *app = s->x->app;
        if (app && app->store->ops->sla)
            s->cal = hours_of_inbox(app, s->x->lookup, s->account_id, s->st->inbox_id, s->arena);
    }
    return s->cal;
}

/* A duration sample [from, at) of metric (calendar; metric+1 is its business
 * variant) on agent's row; adds n/ms/bh_ms columns. */
static void sample(step_t *s, int64_t agent, int metric, int col_n, int64_t from, int64_t *ms_out,
                   int64_t *bh_out)
{
    int64_t ms = s->at - from;
    if (ms < 0) ms = 0;
    int64_t bh = bh_business_ms(calendar(s), from, s->at);
    rollup_key_t k = key_of(s, hour_of(s->at), agent);
    add(s, &k, col_n, 1);
    add(s, &k, col_n + 1, ms);
    add(s, &k, col_n + 2, bh);
    if (!s->rc) s->rc = s->x->ops->hist_add(s->x->c, &k, metric, report_bucket(ms), ms);
    if (!s->rc) s->rc = s->x->ops->hist_add(s->x->c, &k, metric + 1, report_bucket(bh), bh);
    if (ms_out) *ms_out = ms;
    if (bh_out) *bh_out = bh;
}

/* A duration sample already measured (ms calendar, bh business) on agent's
 * row at the event's hour. */
static void sample_ms(step_t *s, int64_t agent, int metric, int col_n, int64_t ms, int64_t bh)
{
    rollup_key_t k = key_of(s, hour_of(s->at), agent);
    add(s, &k, col_n, 1);
    add(s, &k, col_n + 1, ms);
    add(s, &k, col_n + 2, bh);
    if (!s->rc) s->rc = s->x->ops->hist_add(s->x->c, &k, metric, report_bucket(ms), ms);
    if (!s->rc) s->rc = s->x->ops->hist_add(s->x->c, &k, metric + 1, report_bucket(bh), bh);
}

static int64_t jint(json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

static const char *jstr(json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "";
}

static int priority_of(json_t *cj)
{
    static const char *const p[] = {"low", "medium", "high", "critical"};
    const char *v = jstr(cj, "priority");
    for (int i = 0; i < 4; i++)
        if (!strcmp(v, p[i])) return i;
    return 1;
}

/* Takes the conversation's current dimensions from its JSON. */
static void dims_from(rconv_t *st, json_t *cj)
{
    st->team_id = jint(cj, "team_id");
    st->assignee_id = jint(cj, "assignee_id");
    st->priority = priority_of(cj);
}

static void new_cycle(rconv_t *st, int64_t at)
{
    st->cycle_opened_at = at;
    st->cycle_replied = st->cycle_bot = st->cycle_msgs = 0;
    st->run_start = st->handoff_at = 0;
}

/* Sentiment shift in 1e-4 units: mean of the last (up to 3) customer
 * messages minus mean of the first (up to 3). */
static int64_t shift_of(const rconv_t *st)
{
    int64_t nl = st->sent_n < 3 ? st->sent_n : 3, last = 0;
    for (int64_t i = 0; i < nl; i++) last += st->sent_last[i];
    /* means in 1e-4 units, rounded half away from zero */
    double d = (double)last / (double)nl - (double)st->sent_first_sum / (double)st->sent_first_n;
    return (int64_t)(d < 0 ? d - 0.5 : d + 0.5);
}

static void on_conversation(step_t *s, const char *type, json_t *cj, bool fresh)
{
    rconv_t *st = s->st;
    bool was_resolved = !strcmp(st->status, "resolved");
    dims_from(st, cj);
    const char *status = jstr(cj, "status");
    if (!strcmp(type, "conversation.created") && fresh) {
        st->created_at = s->at;
        st->c_hour = hour_of(s->at);
        st->c_team = st->team_id;
        st->c_priority = st->priority;
        new_cycle(st, s->at);
        add_now(s, 0, RC_received, 1);
        if (strcmp(status, "resolved")) add_now(s, 0, RC_backlog_delta, 1);
    } else if (!strcmp(type, "conversation.reopened") && was_resolved) {
        new_cycle(st, s->at);
        st->reopens++;
        add_now(s, 0, RC_reopened, 1);
        add_now(s, 0, RC_backlog_delta, 1);
    } else if (!strcmp(type, "conversation.resolved") && !was_resolved) {
        int64_t who = st->assignee_id;
        add_now(s, who, RC_resolved, 1);
        add_now(s, who, RC_backlog_delta, -1);
        if (!st->cycle_replied && st->cycle_bot) {
            add_now(s, who, RC_resolved_bot, 1); /* bot-handled: kept out of human times */
        } else {
            sample(s, who, HM_RES, RC_res_n, st->cycle_opened_at, &st->res_ms, &st->res_bh_ms);
            add_now(s, who, RC_mtr_n, 1);
            add_now(s, who, RC_mtr_sum, st->cycle_msgs);
            if (st->sent_n > 0) {
                add_now(s, who, RC_shift_n, 1);
                add_now(s, who, RC_shift_sum, shift_of(st));
            }
            /* AHT: only cycles the console measured (an API-only resolve has no
             * handling time to average, and a zero would understate it) */
            if (st->handle_ms > 0)
                sample_ms(s, who, HM_AHT, RC_aht_n, st->handle_ms, st->handle_bh_ms);
        }
        st->handle_ms = st->handle_bh_ms = 0;
        st->resolved_at = s->at;
        st->resolutions++;
        st->run_start = 0; /* a resolve ends the wait for a next response */
    } else if (!strcmp(type, "conversation.assigned")) {
        if (st->assignee_id) add_now(s, st->assignee_id, RC_assigned, 1);
    } else if (!strcmp(type, "conversation.handoff") || !strcmp(type, "conversation.handed_off")) {
        if (!st->handoff_at) st->handoff_at = s->at; /* the bot hands over to a human */
    }
    snprintf(st->status, sizeof st->status, "%s", status);
}

static void on_message(step_t *s, json_t *mj)
{
    rconv_t *st = s->st;
    const char *dir = jstr(mj, "direction"), *kind = jstr(mj, "kind");
    json_t *author = json_object_get(mj, "author");
    int64_t who = jint(author, "id");
    if (!strcmp(dir, "in")) {
        add_now(s, st->assignee_id, RC_msgs_in, 1);
        st->msgs_in++;
        st->cycle_msgs++;
        if (!st->run_start) st->run_start = s->at;
        json_t *sent = json_object_get(
            json_object_get(json_object_get(mj, "analysis"), "sentiment"), "compound");
        if (json_is_number(sent)) {
            double d = json_number_value(sent) * 10000.0;
            int64_t v = (int64_t)(d < 0 ? d - 0.5 : d + 0.5);
            if (st->sent_first_n < 3) {
                st->sent_first_sum += v;
                st->sent_first_n++;
            }
            st->sent_last[st->sent_n % 3] = v;
            st->sent_n++;
        }
        return;
    }
    if (!strcmp(kind, "reply") && !strcmp(jstr(author, "kind"), "user")) {
        add_now(s, who, RC_replies_out, 1);
        st->replies_out++;
        st->cycle_msgs++;
        if (!st->cycle_replied) {
            /* from the (re)open, or from the hand-off when a bot went first */
            int64_t from = st->handoff_at                   ? st->handoff_at
                           : st->cycle_bot && st->run_start ? st->run_start
                                                            : st->cycle_opened_at;
            int64_t ms, bh;
            sample(s, who, HM_FRT, RC_frt_n, from, &ms, &bh);
            if (st->frt_ms < 0) {
                st->frt_ms = ms;
                st->frt_bh_ms = bh;
            }
            st->cycle_replied = 1;
        }
        if (st->run_start) {
            int64_t ms, bh;
            sample(s, who, HM_RT, RC_rt_n, st->run_start, &ms, &bh);
            st->rt_n++;
            st->rt_ms += ms;
            st->rt_bh_ms += bh;
            st->run_start = 0;
        }
        if (!st->first_reply_at) st->first_reply_at = s->at;
        if (!st->responded) {
            st->responded = 1; /* response rate: counted with the conversation's arrival */
            rollup_key_t k = {.account_id = s->account_id,
                              .hour = st->c_hour,
                              .inbox_id = st->inbox_id,
                              .channel = st->channel,
                              .team_id = st->c_team,
                              .priority = st->c_priority};
            add(s, &k, RC_responded, 1);
        }
    } else if (!strcmp(kind, "note")) {
        add_now(s, who, RC_notes, 1);
    } else if (!strcmp(kind, "bot")) {
        add_now(s, 0, RC_bot_out, 1);
        st->cycle_bot = 1;
        st->run_start = 0; /* the bot answered this run */
    } else {
        add_now(s, 0, RC_auto_out, 1); /* auto, survey: never a reply */
    }
}

/* A presence beat (viewing, typing) or its end (left) of one agent. The gap
 * since the same agent's previous beat is active time when it is at most
 * ROLLUP_IDLE_MS: the console beats while it is focused, so a longer gap is
 * time away, and the stretch after the last beat is closed by that timeout
 * without credit. Time on a resolved conversation is not handling. */
static void on_presence(step_t *s, json_t *p)
{
    rconv_t *st = s->st;
    int64_t user = jint(p, "user_id");
    if (user <= 0) return;
    if (st->beat_user == user && st->beat_at && s->at >= st->beat_at &&
        s->at - st->beat_at <= ROLLUP_IDLE_MS && strcmp(st->status, "resolved") != 0) {
        st->handle_ms += s->at - st->beat_at;
        st->handle_bh_ms += bh_business_ms(calendar(s), st->beat_at, s->at);
    }
    bool left = !strcmp(jstr(p, "state"), "left");
    st->beat_user = left ? 0 : user;
    st->beat_at = left ? 0 : s->at;
}

static void on_sla(step_t *s, const char *type, json_t *p)
{
    const char *target = jstr(p, "target");
    bool breached = !strcmp(type, "sla.breached");
    if (breached && strcmp(jstr(p, "level"), "internal") != 0 && *jstr(p, "level"))
        return; /* the published promise's breach is the same target, told twice */
    if (!breached && !strcmp(jstr(p, "state"), "breached"))
        return; /* met late: already counted as breached */
    int col = !strcmp(target, "first_response")  ? RC_sla_fr_met
              : !strcmp(target, "next_response") ? RC_sla_nr_met
              : !strcmp(target, "resolution")    ? RC_sla_res_met
                                                 : -1;
    if (col >= 0) add_now(s, s->st->assignee_id, col + (breached ? 1 : 0), 1);
}

static void on_survey(step_t *s, json_t *p)
{
    int64_t score = jint(p, "score");
    int64_t who = s->st->assignee_id;
    if (!strcmp(jstr(p, "kind"), "nps")) {
        add_now(s, who, RC_nps_n, 1);
        if (score >= 9) add_now(s, who, RC_nps_promoters, 1);
        if (score <= 6) add_now(s, who, RC_nps_detractors, 1);
    } else {
        add_now(s, who, RC_csat_n, 1);
        add_now(s, who, RC_csat_sum, score);
        if (score >= 4) add_now(s, who, RC_csat_good, 1);
    }
}

/* Which conversation an event is about, or 0 when reports ignore it. */
static int64_t conversation_of(const char *type, json_t *payload, json_t **cj, json_t **mj)
{
    *cj = *mj = NULL;
    if (!strncmp(type, "conversation.", 13)) {
        *cj = json_object_get(payload, "conversation");
        return jint(*cj, "id");
    }
    if (!strcmp(type, "message.created")) {
        *mj = json_object_get(payload, "message");
        return jint(*mj, "conversation_id");
    }
    if (!strcmp(type, "sla.met") || !strcmp(type, "sla.breached") ||
        !strcmp(type, "survey.answered") || !strncmp(type, "presence.", 9))
        return jint(payload, "conversation_id");
    return 0;
}

static void init_state(const rollup_ctx_t *x, rconv_t *st, int64_t account_id, int64_t id,
                       json_t *cj, int64_t at, arena_t *a)
{
    memset(st, 0, sizeof *st);
    st->conversation_id = id;
    st->account_id = account_id;
    st->inbox_id = jint(cj, "inbox_id");
    inbox_row_t in;
    if (x->app && x->app->store->ops->desk->inbox_get_any(x->lookup, st->inbox_id, a, &in) == 0)
        snprintf(st->channel, sizeof st->channel, "%s", in.channel);
    dims_from(st, cj);
    st->created_at = at;
    st->c_hour = hour_of(at);
    st->c_team = st->team_id;
    st->c_priority = st->priority;
    st->frt_ms = st->frt_bh_ms = st->res_ms = st->res_bh_ms = -1;
    /* a conversation older than the reports: its cycle began when it opened */
    int64_t opened = 0;
    const char *o = json_string_value(json_object_get(cj, "opened_at"));
    if (!o || clock_parse_iso(o, &opened)) opened = at;
    st->cycle_opened_at = opened;
    snprintf(st->status, sizeof st->status, "%s", "open");
}

int rollup_apply(const rollup_ctx_t *x, int64_t account_id, const char *type, int64_t at,
                 json_t *payload)
{
    json_t *cj, *mj;
    int64_t id = conversation_of(type, payload, &cj, &mj);
    if (id <= 0) return 0;
    rconv_t st;
    int rc = x->ops->conv_get(x->c, id, &st);
    bool fresh = false;
    arena_t a;
    arena_init(&a, 0);
    if (rc == PARLEY_ENOENT) {
        if (!cj) { /* a message or outcome of a conversation the reports never saw */
            rc = 0;
            goto done;
        }
        init_state(x, &st, account_id, id, cj, at, &a);
        fresh = true;
        rc = 0;
    }
    if (rc) goto done;
    rconv_t before = st; /* what the conversation's labels hold of it */
    step_t s = {.x = x, .account_id = account_id, .at = at, .st = &st, .arena = &a};
    if (cj)
        on_conversation(&s, type, cj, fresh);
    else if (mj)
        on_message(&s, mj);
    else if (!strcmp(type, "survey.answered"))
        on_survey(&s, payload);
    else if (!strncmp(type, "presence.", 9))
        on_presence(&s, payload);
    else
        on_sla(&s, type, payload);
    rc = s.rc;
    for (int i = 0; !rc && i < s.n_rows; i++)
        rc = x->ops->rollup_add(x->c, &s.rows[i].k, s.rows[i].v);
    if (!rc) rc = x->ops->conv_put(x->c, fresh ? NULL : &before, &st);
    bh_calendar_free(s.cal);
done:
    arena_free(&a);
    return rc;
}

int rollup_on_event(store_conn_t *c, const app_t *app, const event_new_t *e, int64_t at)
{
    const struct store_reports_ops *ops = app->store->ops->reports;
    if (!ops || !e->payload) return 0;
    if (app->cfg && !app->cfg->rollups) return 0; /* bulk import: rollup_start marked them stale */
    const char *t = e->type;
    if (strncmp(t, "conversation.", 13) && strcmp(t, "message.created") && strncmp(t, "sla.", 4) &&
        strcmp(t, "survey.answered") && strncmp(t, "presence.", 9))
        return 0; /* the common case costs one comparison or two */
    rollup_ctx_t x = {.app = app, .lookup = c, .c = c, .ops = ops};
    return rollup_apply(&x, e->account_id, t, at, e->payload);
}

/* ---- the rollups switch --------------------------------------------------------- */

static int mark_stale(store_conn_t *c, void *p)
{
    const app_t *app = p;
    return app->store->ops->reports->stale_set(c, app_now(app));
}

int rollup_start(app_t *app)
{
    const struct store_reports_ops *ops = app->store->ops->reports;
    if (!ops) return 0;
    int rc = 0;
    if (app->cfg && !app->cfg->rollups) {
        rc = app->store->ops->write(app->store, mark_stale, app);
        log_msg(LOG_WARN, "reports.rollups_off",
                "rollups = off: events are not rolled up and the reports are stale until "
                "`parley reports rebuild`");
        return rc;
    }
    int64_t since = 0;
    rc = ops->stale_get(app->store->ops->reader(app->store), &since);
    if (!rc && since) {
        char at[32];
        clock_format_iso(since, at);
        log_line_t l;
        log_begin(&l, LOG_WARN, "reports.stale", NULL);
        log_str(&l, "since", at);
        log_str(&l, "msg",
                "a server ran with rollups = off: run `parley reports rebuild` to bring the "
                "reports up to date");
        log_end(&l);
    }
    return rc;
}
