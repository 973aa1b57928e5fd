/*
 * delivery.c - the outbox worker's loop: one thread drives a libcurl multi
 * handle with up to delivery-concurrency transfers, woken by the store's
 * commit hook (curl_multi_wakeup) and by the next due time, never by a
 * polling period. Owns the per-inbox token buckets, the durable in-flight
 * mark and the resume of interrupted sends, and writes every outcome (many
 * per transaction). delivery_send.c builds and reads the transfers.
 */
#include "desk/delivery.h"
#include "desk/delivery_internal.h"

#include "core/crypto.h"
#include "core/log.h"
#include "core/mem.h"
#include "desk/desk.h"
#include "desk/inboxes.h"
#include "desk/users.h"

#include <curl/curl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Longest sleep with nothing due: a bound, not a poll (any change wakes us). */
#define IDLE_WAIT_MS 600000
/* How long a stopping server lets in-flight sends finish. */
#define STOP_GRACE_MS 3000

/* A token bucket per inbox; hold_until > now while it has no token. */
typedef struct {
    int64_t inbox_id;
    double tokens;
    int64_t at_ms, hold_until;
} bucket_t;

struct delivery {
    app_t *app;
    pthread_t thread;
    CURLM *multi;
    atomic_bool stop, fresh, noted;
    int max_inflight, active;
    int64_t timeout_ms, backoff_ms;
    bucket_t *buckets;
    int n_buckets, cap_buckets;
    delivery__transfer_t **live; /* the active transfers, active of them */
    /* for /metrics (read by HTTP threads) */
    atomic_long m_inflight, m_sent, m_retry, m_dead, m_held, m_resumed, m_dedup;
    atomic_llong m_transfer_ns, m_transfers;
    delivery__transfer_t **done; /* finished transfers waiting to be recorded */
};

static void live_remove(delivery_t *d, delivery__transfer_t *t)
{
    for (int i = 0; i < d->active; i++)
        if (d->live[i] == t) {
            d->live[i] = d->live[--d->active];
            return;
        }
}

/* ---- rate limits --------------------------------------------------------------- */

static bucket_t *bucket_for(delivery_t *d, int64_t inbox_id, double burst, int64_t now)
{
    for (int i = 0; i < d->n_buckets; i++)
        if (d->buckets[i].inbox_id == inbox_id) return &d->buckets[i];
    if (d->n_buckets == d->cap_buckets) {
        d->cap_buckets = d->cap_buckets ? d->cap_buckets * 2 : 16;
        d->buckets = xrealloc(d->buckets, sizeof *d->buckets * (size_t)d->cap_buckets);
    }
    bucket_t *b = &d->buckets[d->n_buckets++];
    *b = (bucket_t){.inbox_id = inbox_id, .tokens = burst, .at_ms = now};
    return b;
}

/* Takes a token, or holds the inbox until its next token and says no. */
static bool take_token(delivery_t *d, int64_t inbox_id, double rate, double burst, int64_t now)
{
    if (rate <= 0) return true;
    bucket_t *b = bucket_for(d, inbox_id, burst, now);
    if (now > b->at_ms) {
        b->tokens += (double)(now - b->at_ms) * rate / 1000.0;
        b->at_ms = now;
    }
    if (b->tokens > burst) b->tokens = burst;
    if (b->tokens >= 1) {
        b->tokens -= 1;
        return true;
    }
    b->hold_until = now + (int64_t)ceil((1 - b->tokens) * 1000.0 / rate);
    return false;
}

/* The held inboxes as a JSON array text (for the store's skip list), or NULL;
 * *until gets the earliest end of a hold. */
static char *held_inboxes(delivery_t *d, int64_t now, int64_t *until)
{
    buf_t b;
    buf_init(&b, 0);
    int n = 0;
    for (int i = 0; i < d->n_buckets; i++) {
        if (d->buckets[i].hold_until <= now) continue;
        buf_printf(&b, "%s%lld", n++ ? "," : "[", (long long)d->buckets[i].inbox_id);
        if (d->buckets[i].hold_until < *until) *until = d->buckets[i].hold_until;
    }
    if (n) buf_putc(&b, ']');
    char *out = n ? xstrdup(buf_cstr(&b)) : NULL;
    buf_free(&b);
    return out;
}

/* ---- records ----------------------------------------------------------------- */

typedef struct {
    delivery__outcome_t **outs;
    int n;
} record_ctx_t;

static int record_one(dtx_t *t, delivery__outcome_t *x)
{
    const store_desk_ops_t *ops = dtx_ops(t);
    int rc = ops->outbox_update(t->c, &x->job);
    if (rc || !x->status) return rc; /* a retry or an in-flight mark: nothing changes yet */
    rc = ops->message_set_delivery(t->c, x->job.message_id, x->status, x->ext_id);
    if (rc == PARLEY_EEXIST) {
        /* The platform reused an id we already hold: keep the status, drop the id. */
        log_msg(LOG_WARN, "delivery.duplicate_external_id", x->ext_id);
        x->ext_id = NULL;
        rc = ops->message_set_delivery(t->c, x->job.message_id, x->status, NULL);
    }
    if (rc) return rc;
    actor_t sys = {.account_id = x->job.account_id, .kind = "system"};
    json_t *payload =
        json_pack("{s:s, s:s?, s:s?, s:I}", "status", x->status, "external_id", x->ext_id, "error",
                  x->error, "attempts", (json_int_t)x->job.attempts);
    if (x->job.possible_duplicate) json_object_set_new(payload, "possible_duplicate", json_true());
    return desk_event(t->c, t->app, &sys, "message.delivery", "message", x->job.message_id,
                      payload);
}

static int record_tx(dtx_t *t, void *p)
{
    record_ctx_t *x = p;
    for (int i = 0; i < x->n; i++) {
        int rc = record_one(t, x->outs[i]);
        if (rc) return rc;
    }
    return 0;
}

/* Counts a recorded outcome for /metrics. */
static void count_outcome(delivery_t *d, const delivery__outcome_t *o)
{
    if (!strcmp(o->job.status, "sent"))
        atomic_fetch_add(&d->m_sent, 1);
    else if (!strcmp(o->job.status, "dead"))
        atomic_fetch_add(&d->m_dead, 1);
    else if (!strcmp(o->job.status, "pending"))
        atomic_fetch_add(&d->m_retry, 1);
}

static void log_outcome(const delivery__outcome_t *o)
{
    log_line_t l;
    bool ok =
        o->job.status && (!strcmp(o->job.status, "sent") || !strcmp(o->job.status, "sending"));
    log_begin(&l, ok ? LOG_INFO : LOG_WARN, "delivery.attempt", NULL);
    log_int(&l, "message_id", o->job.message_id);
    log_int(&l, "attempt", o->job.attempts);
    log_str(&l, "outcome", o->job.status);
    if (o->job.possible_duplicate) log_str(&l, "possible_duplicate", "true");
    if (o->error) log_str(&l, "error", o->error);
    log_end(&l);
}

/* Writes rows in one transaction (all or none). */
static int write_all(delivery_t *d, delivery__outcome_t **outs, int n)
{
    if (n == 0) return 0;
    actor_t sys = {.account_id = outs[0]->job.account_id, .kind = "system"};
    record_ctx_t x = {.outs = outs, .n = n};
    return desk_write(d->app, &sys, record_tx, &x);
}

/* Writes outcomes in one transaction; when that fails, one by one, and a row
 * whose outcome cannot be written is parked dead for a person (never looped). */
static void record(delivery_t *d, delivery__outcome_t **outs, int n)
{
    if (write_all(d, outs, n) == 0) return;
    for (int i = 0; i < n; i++) {
        if (write_all(d, &outs[i], 1) == 0) continue;
        actor_t sys = {.account_id = outs[i]->job.account_id, .kind = "system"};
        record_ctx_t x;
        log_msg(LOG_ERROR, "delivery.record_failed", "the outcome could not be stored");
        delivery__outcome_t dead = {.job = outs[i]->job};
        dead.job.status = "dead";
        dead.job.last_error = "the delivery outcome could not be recorded";
        delivery__outcome_t *p = &dead;
        x = (record_ctx_t){.outs = &p, .n = 1};
        desk_write(d->app, &sys, record_tx, &x);
    }
}

/* ---- the loop ------------------------------------------------------------------ */

static void new_idem_key(arena_t *a, const char **key)
{
    uint8_t r[16];
    crypto_random_bytes(r, sizeof r);
    r[6] = (uint8_t)((r[6] & 0x0F) | 0x40); /* a version 4 UUID, as e-mail uses it */
    r[8] = (uint8_t)((r[8] & 0x3F) | 0x80);
    char hex[33];
    crypto_hex(r, sizeof r, hex);
    *key = arena_strdup(a, hex);
}

/* Takes the finished transfers off the multi handle into d->done, each with
 * its outcome decided. */
static int collect(delivery_t *d, int64_t now)
{
    int n = 0, left;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(d->multi, &left))) {
        if (msg->msg != CURLMSG_DONE) continue;
        delivery__transfer_t *t = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        CURLcode cc = msg->data.result;
        curl_multi_remove_handle(d->multi, msg->easy_handle);
        if (t->lookup) {
            int found = delivery__finish_lookup(t, cc);
            log_line_t l;
            log_begin(&l, LOG_WARN, found ? "delivery.deduplicated" : "delivery.lookup", NULL);
            log_int(&l, "message_id", t->out.job.message_id);
            log_str(&l, "outcome", found ? "already sent: not sent again" : "not found: sending");
            log_end(&l);
            if (found) atomic_fetch_add(&d->m_dedup, 1);
            if (!found) {
                curl_multi_add_handle(d->multi, t->easy); /* the send, in the same slot */
                continue;
            }
        } else {
            delivery__finish(d->app, t, cc, now, d->backoff_ms);
        }
        live_remove(d, t);
        atomic_store(&d->m_inflight, d->active);
        d->done[n++] = t;
    }
    return n;
}

/* Prepares up to free_slots due rows: those that can start (a token taken,
 * marked 'sending') and those decided without a call go to ready and outs.
 * Returns true when as many rows came as were asked for (more may wait). */
static bool take_due(delivery_t *d, int64_t now, int free_slots, delivery__transfer_t **ready,
                     int *n_ready, delivery__outcome_t **outs, int *n_outs, int64_t *retry_at)
{
    store_t *st = d->app->store;
    int64_t until = INT64_MAX;
    char *skip = held_inboxes(d, now, &until);
    arena_t a;
    arena_init(&a, 0);
    outbox_row_t *jobs;
    int n = 0;
    int rc = st->ops->desk->outbox_due(st->ops->reader(st), now, skip, free_slots, &a, &jobs, &n);
    free(skip);
    if (rc) *retry_at = now + 1000;
    for (int i = 0; !rc && i < n; i++) {
        outbox_row_t job = jobs[i];
        /* a resend after a crash looks first for what the crash may have sent */
        int64_t since = job.possible_duplicate ? job.attempt_started_at : 0;
        job.status = "sending";
        job.attempts++;
        job.attempt_started_at = now;
        job.last_error = NULL;
        if (!job.idem_key) new_idem_key(&a, &job.idem_key);
        delivery__transfer_t *t = xcalloc(1, sizeof *t);
        int decided = delivery__prepare(d->app, &job, d->timeout_ms, since, t);
        if (!decided && !take_token(d, job.inbox_id, t->rate, t->burst, now)) {
            atomic_fetch_add(&d->m_held, 1);
            delivery__transfer_free(t); /* stays pending until the inbox's next token */
            continue;
        }
        /* strings the row keeps must outlive a: the transfer's arena */
        t->out.job.idem_key = arena_strdup(&t->a, job.idem_key);
        ready[(*n_ready)++] = t;
        outs[(*n_outs)++] = &t->out;
    }
    arena_free(&a);
    return !rc && n == free_slots;
}

/* One turn of the loop. The outcomes of finished transfers and, when look is
 * set, the 'sending' marks of the due rows about to start are written in ONE
 * transaction: one commit per turn, however many transfers it covers. The
 * mark is durable before any byte of its transfer leaves, so a crash from
 * then on finds the row 'sending' and resumes it. Returns true when the free
 * slots ran out with rows possibly left (or none were free), so the next turn
 * looks again; *wrote when anything was written. */
static bool step(delivery_t *d, bool look, int64_t *retry_at, bool *wrote)
{
    int64_t now = app_now(d->app);
    int n_done = collect(d, now);
    int free_slots = look ? d->max_inflight - d->active : 0;
    if (look && free_slots == 0) look = false; /* still more to look at, when a slot frees */
    delivery__outcome_t **outs = xcalloc((size_t)(n_done + free_slots + 1), sizeof *outs);
    delivery__transfer_t **ready = xcalloc((size_t)(free_slots + 1), sizeof *ready);
    int n_outs = 0, n_ready = 0;
    for (int i = 0; i < n_done; i++) outs[n_outs++] = &d->done[i]->out;
    bool more =
        free_slots > 0 && take_due(d, now, free_slots, ready, &n_ready, outs, &n_outs, retry_at);
    int failed = n_outs ? write_all(d, outs, n_outs) : 0;
    if (failed && n_done) record(d, outs, n_done); /* outcomes one by one; no mark stands */
    for (int i = 0; i < n_done; i++) {
        delivery__transfer_t *t = d->done[i];
        log_outcome(&t->out);
        count_outcome(d, &t->out);
        if (t->easy) {
            atomic_fetch_add(&d->m_transfer_ns, (long long)(clock_mono_ns() - t->started_mono_ns));
            atomic_fetch_add(&d->m_transfers, 1);
        }
        delivery__transfer_free(t);
    }
    for (int i = 0; i < n_ready; i++) {
        delivery__transfer_t *t = ready[i];
        if (strcmp(t->out.job.status, "sending") != 0) {
            if (!failed) { /* decided without a call */
                log_outcome(&t->out);
                count_outcome(d, &t->out);
            }
            delivery__transfer_free(t);
        } else if (failed) {
            delivery__transfer_free(t); /* not marked: left due, looked at again soon */
            *retry_at = now + 1000;
        } else {
            t->started_mono_ns = clock_mono_ns();
            curl_multi_add_handle(d->multi, t->easy);
            d->live[d->active++] = t;
            atomic_store(&d->m_inflight, d->active);
        }
    }
    free(outs);
    free(ready);
    *wrote = n_outs > 0;
    return look ? more && !failed : true;
}

/* When to look at the outbox next: the earliest due row outside held
 * inboxes, or the end of the earliest hold. */
static int64_t next_check(delivery_t *d, int64_t now)
{
    int64_t until = INT64_MAX, at = 0;
    char *skip = held_inboxes(d, now, &until);
    store_t *st = d->app->store;
    if (st->ops->desk->outbox_next_due(st->ops->reader(st), skip, &at) != 0) at = now + 1000;
    free(skip);
    if (at && at < until) until = at;
    return until;
}

/* Rows left 'sending' by a previous run were interrupted between the start
 * of the transfer and its record: they go back to pending, and where the
 * platform cannot recognise a repeat the resend is marked possible_duplicate. */
static void resume_interrupted(delivery_t *d)
{
    store_t *st = d->app->store;
    const store_desk_ops_t *ops = st->ops->desk;
    for (;;) {
        arena_t a;
        arena_init(&a, 0);
        outbox_row_t *rows;
        int n = 0;
        if (ops->outbox_sending(st->ops->reader(st), 200, &a, &rows, &n) || n == 0) {
            arena_free(&a);
            return;
        }
        delivery__outcome_t *outs = arena_alloc(&a, sizeof *outs * (size_t)n);
        delivery__outcome_t **ptrs = arena_alloc(&a, sizeof *ptrs * (size_t)n);
        int64_t now = app_now(d->app);
        for (int i = 0; i < n; i++) {
            inbox_row_t in;
            const channel_ops_t *ch =
                ops->inbox_get(st->ops->reader(st), rows[i].account_id, rows[i].inbox_id, &a, &in)
                    ? NULL
                    : channel_find(in.channel);
            outs[i] = (delivery__outcome_t){.job = rows[i]};
            outs[i].job.status = "pending";
            outs[i].job.next_attempt_at = now;
            outs[i].job.possible_duplicate =
                rows[i].possible_duplicate || !(ch && ch->resend_recognised);
            outs[i].job.last_error = "interrupted before the platform's answer was recorded";
            ptrs[i] = &outs[i];
            atomic_fetch_add(&d->m_resumed, 1);
            log_line_t l;
            log_begin(&l, LOG_WARN, "delivery.resumed", NULL);
            log_int(&l, "message_id", rows[i].message_id);
            log_int(&l, "attempts", rows[i].attempts);
            log_str(&l, "possible_duplicate", outs[i].job.possible_duplicate ? "true" : "false");
            log_str(&l, "idempotency_key", rows[i].idem_key);
            log_end(&l);
        }
        int failed = write_all(d, ptrs, n);
        arena_free(&a);
        if (failed) return;
    }
}

static void *run(void *p)
{
    delivery_t *d = p;
    resume_interrupted(d);
    int64_t check_at = 0;
    bool more = false;
    while (!atomic_load(&d->stop)) {
        int64_t now = app_now(d->app);
        bool fresh = atomic_exchange(&d->fresh, false);
        bool look = fresh || more || now >= check_at;
        int running = 0;
        curl_multi_perform(d->multi, &running);
        int64_t retry_at = INT64_MAX;
        bool wrote = false;
        bool m = step(d, look, &retry_at, &wrote);
        if (look) more = m;
        if (look || wrote) {
            check_at = next_check(d, app_now(d->app));
            if (retry_at < check_at) check_at = retry_at;
        }
        now = app_now(d->app);
        int wait = IDLE_WAIT_MS;
        if (d->active < d->max_inflight && (more || check_at <= now))
            wait = 0;
        else if (d->active < d->max_inflight && check_at - now < IDLE_WAIT_MS)
            wait = (int)(check_at - now);
        if (wait > 0 && !atomic_load(&d->fresh)) curl_multi_poll(d->multi, NULL, 0, wait, NULL);
    }
    /* Let what is in flight finish briefly; the rest stays 'sending' and is
     * resumed (as an interrupted send) by the next start. */
    int64_t end = clock_mono_ns() + (int64_t)STOP_GRACE_MS * 1000000;
    while (d->active > 0 && clock_mono_ns() < end) {
        int running = 0;
        curl_multi_perform(d->multi, &running);
        int64_t retry_at;
        bool wrote;
        step(d, false, &retry_at, &wrote);
        if (d->active > 0) curl_multi_poll(d->multi, NULL, 0, 100, NULL);
    }
    return NULL;
}

/* The store's commit hook: on the committing thread, so it only signals. */
static void on_commit(void *arg)
{
    delivery_t *d = arg;
    if (atomic_exchange(&d->noted, false)) {
        atomic_store(&d->fresh, true);
        curl_multi_wakeup(d->multi);
    }
}

delivery_t *delivery_start(app_t *app)
{
    delivery_t *d = xcalloc(1, sizeof *d);
    d->app = app;
    d->max_inflight = app->cfg ? (int)app->cfg->delivery_concurrency : 32;
    d->timeout_ms = app->cfg ? app->cfg->delivery_timeout_ms : 20000;
    d->backoff_ms = app->cfg ? app->cfg->delivery_backoff_ms : 1000;
    if (d->max_inflight < 1) d->max_inflight = 32;
    if (d->timeout_ms < 100) d->timeout_ms = 20000;
    if (d->backoff_ms < 1) d->backoff_ms = 1000;
    d->done = xcalloc((size_t)d->max_inflight, sizeof *d->done);
    d->live = xcalloc((size_t)d->max_inflight, sizeof *d->live);
    d->multi = curl_multi_init();
    if (!d->multi || pthread_create(&d->thread, NULL, run, d) != 0) {
        if (d->multi) curl_multi_cleanup(d->multi);
        free(d->done);
        free(d->live);
        free(d);
        log_msg(LOG_ERROR, "delivery.worker", "the delivery worker could not start");
        return NULL;
    }
    if (store_add_commit_hook(app->store, on_commit, d))
        log_msg(LOG_ERROR, "delivery.worker", "no commit hook slot: replies wait for a poke");
    return d;
}

void delivery_note_outbox(delivery_t *d)
{
    if (d) atomic_store(&d->noted, true);
}

void delivery_poke(delivery_t *d)
{
    if (!d) return;
    atomic_store(&d->fresh, true);
    curl_multi_wakeup(d->multi);
}

void delivery_stop(delivery_t *d)
{
    if (!d) return;
    store_remove_commit_hook(d->app->store, d);
    atomic_store(&d->stop, true);
    curl_multi_wakeup(d->multi);
    pthread_join(d->thread, NULL);
    /* transfers cut off by the grace period: their rows stay 'sending' */
    for (int i = 0; i < d->active; i++) {
        curl_multi_remove_handle(d->multi, d->live[i]->easy);
        delivery__transfer_free(d->live[i]);
    }
    curl_multi_cleanup(d->multi);
    free(d->buckets);
    free(d->live);
    free(d->done);
    free(d);
}

void delivery_render_metrics(delivery_t *d, buf_t *out)
{
    if (!d) return;
    buf_printf(out,
               "# HELP parley_deliveries_in_flight Replies being sent to the platforms now.\n"
               "# TYPE parley_deliveries_in_flight gauge\nparley_deliveries_in_flight %ld\n"
               "# HELP parley_deliveries_total Recorded delivery attempts by outcome.\n"
               "# TYPE parley_deliveries_total counter\n"
               "parley_deliveries_total{outcome=\"sent\"} %ld\n"
               "parley_deliveries_total{outcome=\"retry\"} %ld\n"
               "parley_deliveries_total{outcome=\"dead\"} %ld\n"
               "# HELP parley_delivery_rate_limited_total Replies held for their inbox's next"
               " token.\n# TYPE parley_delivery_rate_limited_total counter\n"
               "parley_delivery_rate_limited_total %ld\n"
               "# HELP parley_deliveries_resumed_total Sends found interrupted at start-up.\n"
               "# TYPE parley_deliveries_resumed_total counter\n"
               "parley_deliveries_resumed_total %ld\n"
               "# HELP parley_deliveries_deduplicated_total Interrupted sends the platform"
               " already had (not sent again).\n"
               "# TYPE parley_deliveries_deduplicated_total counter\n"
               "parley_deliveries_deduplicated_total %ld\n"
               "# HELP parley_delivery_transfer_seconds Platform calls, start to answer.\n"
               "# TYPE parley_delivery_transfer_seconds summary\n"
               "parley_delivery_transfer_seconds_sum %.6f\n"
               "parley_delivery_transfer_seconds_count %lld\n",
               atomic_load(&d->m_inflight), atomic_load(&d->m_sent), atomic_load(&d->m_retry),
               atomic_load(&d->m_dead), atomic_load(&d->m_held), atomic_load(&d->m_resumed),
               atomic_load(&d->m_dedup), (double)atomic_load(&d->m_transfer_ns) / 1e9,
               atomic_load(&d->m_transfers));
}

/* ---- receipts ---------------------------------------------------------------- */

static int rank(const char *s)
{
    static const char *const order[] = {"pending", "sent", "delivered", "read"};
    for (int i = 0; i < 4; i++)
        if (s && !strcmp(s, order[i])) return i;
    return -1;
}

typedef struct {
    int64_t inbox_id;
    const ch_item_t *item;
} receipt_ctx_t;

static int receipt_tx(dtx_t *t, void *p)
{
    receipt_ctx_t *x = p;
    const store_desk_ops_t *ops = dtx_ops(t);
    if (!x->item->receipt_for) return 0; /* watermark-only receipts: nothing precise to move */
    message_row_t m;
    if (ops->message_by_external(t->c, x->inbox_id, x->item->receipt_for, t->arena, &m))
        return 0; /* not one of ours (or not yet recorded): acknowledged, ignored */
    const char *status = x->item->receipt_status;
    bool failed = status && !strcmp(status, "failed");
    /* Receipts arrive out of order: a status only moves forward (or to failed). */
    if (!failed && rank(status) <= rank(m.delivery_status)) return 0;
    int rc = ops->message_set_delivery(t->c, m.id, failed ? "failed" : status, NULL);
    if (rc) return rc;
    return desk_event(t->c, t->app, t->by, "message.delivery", "message", m.id,
                      json_pack("{s:s, s:I}", "status", failed ? "failed" : status,
                                "conversation_id", (json_int_t)m.conversation_id));
}

int desk_receipt(app_t *app, int64_t inbox_id, int64_t account_id, const ch_item_t *item)
{
    if (rank(item->receipt_status) < 0 &&
        !(item->receipt_status && !strcmp(item->receipt_status, "failed")))
        return 0;
    actor_t sys = {.account_id = account_id, .kind = "system"};
    receipt_ctx_t x = {.inbox_id = inbox_id, .item = item};
    return desk_write(app, &sys, receipt_tx, &x);
}
