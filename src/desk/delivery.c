/*
 * delivery.c - outbox to platform, with retries and receipts.
 */
#include "desk/delivery.h"

#include "core/crypto.h"
#include "core/log.h"
#include "core/mem.h"
#include "desk/desk.h"
#include "desk/inboxes.h"
#include "desk/users.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <time.h>

struct delivery {
    app_t *app;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop, poked;
    CURL *curl;
};

/* ---- one attempt ------------------------------------------------------------ */

typedef struct {
    buf_t body;
} response_t;

static size_t on_write(char *p, size_t size, size_t n, void *ud)
{
    response_t *r = ud;
    buf_append(&r->body, p, size * n);
    return size * n;
}

typedef struct {
    const char *p;
    size_t left;
} upload_t;

static size_t on_read(char *out, size_t size, size_t n, void *ud)
{
    upload_t *u = ud;
    size_t k = size * n < u->left ? size * n : u->left;
    memcpy(out, u->p, k);
    u->p += k;
    u->left -= k;
    return k;
}

/* "Name: value" header lines of the call whose name is name, value trimmed. */
static const char *call_header(const ch_http_call_t *call, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < call->n_headers; i++)
        if (!strncasecmp(call->headers[i], name, n) && call->headers[i][n] == ':') {
            const char *v = call->headers[i] + n + 1;
            while (*v == ' ') v++;
            return v;
        }
    return NULL;
}

/* Performs the call; fills status and response body. 0 or PARLEY_EIO (network). */
static int perform(delivery_t *d, const json_t *settings, const ch_http_call_t *call, long *status,
                   buf_t *out, char *errbuf, int64_t *retry_after_s)
{
    CURL *c = d->curl;
    curl_easy_reset(c);
    response_t resp = {.body = *out};
    struct curl_slist *hdrs = NULL, *rcpt = NULL;
    upload_t up = {.p = call->body ? call->body : "", .left = call->body ? strlen(call->body) : 0};
    curl_easy_setopt(c, CURLOPT_URL, call->url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,smtp,smtps");
    bool smtp = !strcmp(call->method, "SMTP");
    if (smtp) {
        /* The e-mail adapter names the envelope in two header lines. */
        const char *from = call_header(call, "MAIL FROM");
        const char *to = call_header(call, "RCPT TO");
        curl_easy_setopt(c, CURLOPT_MAIL_FROM, from ? from : "");
        if (to) rcpt = curl_slist_append(rcpt, to);
        curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, &up);
        const char *user = json_string_value(json_object_get(settings, "smtp_username"));
        const char *pass = json_string_value(json_object_get(settings, "smtp_password"));
        if (user) curl_easy_setopt(c, CURLOPT_USERNAME, user);
        if (pass) curl_easy_setopt(c, CURLOPT_PASSWORD, pass);
        /* Credentials never cross the network in clear: with a login, TLS is required. */
        if (!strncmp(call->url, "smtp://", 7))
            curl_easy_setopt(c, CURLOPT_USE_SSL, user ? CURLUSESSL_ALL : CURLUSESSL_TRY);
    } else {
        for (int i = 0; i < call->n_headers; i++) hdrs = curl_slist_append(hdrs, call->headers[i]);
        if (call->content_type) {
            char ct[128];
            snprintf(ct, sizeof ct, "Content-Type: %s", call->content_type);
            hdrs = curl_slist_append(hdrs, ct);
        }
        hdrs = curl_slist_append(hdrs, "Expect:");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, call->method);
        if (call->body) {
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, call->body);
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(call->body));
        }
    }
    CURLcode cc = curl_easy_perform(c);
    curl_slist_free_all(hdrs);
    curl_slist_free_all(rcpt);
    *out = resp.body;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_off_t ra = 0;
    if (curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
        *retry_after_s = (int64_t)ra;
    if (cc != CURLE_OK) {
        if (!errbuf[0]) snprintf(errbuf, CURL_ERROR_SIZE, "%s", curl_easy_strerror(cc));
        /* An SMTP server that answered with a code has told us whether to retry
         * (4xx) or not (5xx): let the adapter read it. */
        if (smtp && *status >= 400) {
            buf_puts(out, errbuf);
            return 0;
        }
        return PARLEY_EIO;
    }
    if (smtp && *status == 250 && out->len == 0) {
        /* SMTP has no body to return: the Message-ID we wrote is the id. */
        const char *id = strstr(call->body ? call->body : "", "Message-ID:");
        if (id) {
            id += 11;
            while (*id == ' ') id++;
            buf_append(out, id, strcspn(id, "\r\n"));
        }
    }
    return 0;
}

typedef struct {
    outbox_row_t job;
    const char *status; /* message delivery status to record */
    const char *ext_id;
    const char *error;
} result_ctx_t;

static int record_tx(dtx_t *t, void *p)
{
    result_ctx_t *x = p;
    const store_desk_ops_t *ops = dtx_ops(t);
    int rc = ops->outbox_update(t->c, &x->job);
    if (rc) return rc;
    if (!x->status) return 0; /* a retry: nothing changes for the agent yet */
    rc = ops->message_set_delivery(t->c, x->job.message_id, x->status, x->ext_id);
    if (rc == PARLEY_EEXIST) {
        /* The platform reused an id we already hold: keep the status, drop the id. */
        log_msg(LOG_WARN, "delivery.duplicate_external_id", x->ext_id);
        x->ext_id = NULL;
        rc = ops->message_set_delivery(t->c, x->job.message_id, x->status, NULL);
    }
    if (rc) return rc;
    return desk_event(t->c, t->app, t->by, "message.delivery", "message", x->job.message_id,
                      json_pack("{s:s, s:s?, s:s?, s:I}", "status", x->status, "external_id",
                                x->ext_id, "error", x->error, "attempts",
                                (json_int_t)x->job.attempts));
}

static void attempt(delivery_t *d, outbox_row_t job)
{
    app_t *app = d->app;
    store_t *st = app->store;
    const store_desk_ops_t *ops = st->ops->desk;
    store_conn_t *c = st->ops->reader(st);
    arena_t a;
    arena_init(&a, 0);
    result_ctx_t res = {.job = job};
    char errbuf[CURL_ERROR_SIZE] = "";
    json_t *settings = NULL;
    message_row_t m, last_in;
    conv_row_t cv;
    inbox_row_t in;
    int64_t now = app_now(app);
    res.job.attempts++;
    if (ops->message_get(c, job.account_id, job.message_id, &a, &m) ||
        ops->conv_get(c, job.account_id, m.conversation_id, &a, &cv) ||
        ops->inbox_get(c, job.account_id, job.inbox_id, &a, &in)) {
        res.job.status = "dead";
        res.status = "failed";
        res.error = "the message, conversation or inbox no longer exists";
        goto record;
    }
    const channel_ops_t *ch = channel_find(in.channel);
    settings = inbox_settings(app, &in);
    identity_row_t *ids;
    int ni = 0;
    ops->identity_list(c, cv.contact_id, &a, &ids, &ni);
    const char *recipient = NULL;
    for (int i = 0; i < ni && !recipient; i++)
        if (!strcmp(ids[i].channel, in.channel)) recipient = ids[i].external_id;
    bool have_in = ops->message_latest_inbound(c, cv.id, &a, &last_in) == 0;
    ch_outbound_t out = {.recipient_id = recipient,
                         .thread_id = cv.external_thread_id,
                         .reply_to_id = have_in ? last_in.external_id : NULL,
                         .is_public = !strcmp(cv.visibility, "public"),
                         .body = m.body,
                         .subject = cv.subject};
    ch_http_call_t call;
    parley_err_t err = {0};
    int rc = ch && settings && recipient ? ch->format_send(settings, &out, &a, &call, &err)
                                         : PARLEY_EINVAL;
    if (rc == PARLEY_ENOENT) {
        /* The channel has nothing to send (the client reads replies itself). */
        res.job.status = "sent";
        res.status = "sent";
        goto record;
    }
    if (rc) {
        res.job.status = "dead";
        res.status = "failed";
        res.error = err.msg[0] ? arena_strdup(&a, err.msg) : "the reply cannot be addressed";
        goto record;
    }
    long status = 0;
    buf_t body;
    buf_init(&body, 1 << 20);
    bool retry = true;
    int64_t retry_after_s = 0;
    rc = perform(d, settings, &call, &status, &body, errbuf, &retry_after_s);
    if (rc == 0) {
        char ext[256] = "";
        rc =
            ch->parse_send_result(status, buf_cstr(&body), body.len, ext, sizeof ext, &retry, &err);
        if (rc == 0) {
            res.job.status = "sent";
            res.status = "sent";
            res.ext_id = ext[0] ? arena_strdup(&a, ext) : NULL;
        } else {
            res.error = arena_strdup(&a, err.msg[0] ? err.msg : "the platform refused the reply");
        }
    } else {
        res.error = arena_strdup(&a, errbuf);
    }
    buf_free(&body);
    if (rc) {
        if (retry && res.job.attempts < DELIVERY_MAX_ATTEMPTS) {
            res.job.status = "pending";
            /* 1 s, 4 s, 16 s, ... with up to 20% jitter so a platform that came
             * back is not hit by every waiting reply at once; a Retry-After
             * (429, 503) is honoured when it asks for longer. */
            int64_t backoff = 1000LL << (2 * (res.job.attempts - 1));
            uint32_t jitter;
            crypto_random_bytes(&jitter, sizeof jitter);
            backoff += (int64_t)(jitter % (uint32_t)(backoff / 5 + 1));
            if (retry_after_s * 1000 > backoff) backoff = retry_after_s * 1000;
            res.job.next_attempt_at = now + backoff;
            res.job.last_error = res.error;
        } else {
            res.job.status = "dead";
            res.status = "failed";
        }
    }
record:
    if (res.error) res.job.last_error = res.error;
    {
        log_line_t l;
        log_begin(&l, res.status && !strcmp(res.status, "sent") ? LOG_INFO : LOG_WARN,
                  "delivery.attempt", NULL);
        log_int(&l, "message_id", job.message_id);
        log_int(&l, "attempt", res.job.attempts);
        log_str(&l, "outcome", res.job.status);
        if (res.error) log_str(&l, "error", res.error);
        log_end(&l);
    }
    actor_t sys = {.account_id = job.account_id, .kind = "system"};
    if (desk_write(app, &sys, record_tx, &res)) {
        log_msg(LOG_ERROR, "delivery.record_failed", "the outcome could not be stored");
        /* Never loop on a job whose outcome cannot be written: park it for a person. */
        result_ctx_t dead = {.job = res.job};
        dead.job.status = "dead";
        dead.job.last_error = "the delivery outcome could not be recorded";
        desk_write(app, &sys, record_tx, &dead);
    }
    json_decref(settings);
    arena_free(&a);
}

static void *run(void *p)
{
    delivery_t *d = p;
    store_t *st = d->app->store;
    pthread_mutex_lock(&d->lock);
    while (!d->stop) {
        d->poked = false;
        pthread_mutex_unlock(&d->lock);
        arena_t a;
        arena_init(&a, 0);
        outbox_row_t *jobs;
        int n = 0;
        st->ops->desk->outbox_due(st->ops->reader(st), app_now(d->app), 32, &a, &jobs, &n);
        for (int i = 0; i < n; i++) attempt(d, jobs[i]);
        arena_free(&a);
        int64_t next = 0;
        st->ops->desk->outbox_next_due(st->ops->reader(st), &next);
        pthread_mutex_lock(&d->lock);
        if (d->stop || d->poked || n == 32) continue;
        if (next) {
            int64_t wait_ms = next - app_now(d->app);
            if (wait_ms <= 0) continue;
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            int64_t ns = ts.tv_nsec + (wait_ms % 1000) * 1000000;
            ts.tv_sec += wait_ms / 1000 + ns / 1000000000;
            ts.tv_nsec = ns % 1000000000;
            pthread_cond_timedwait(&d->cond, &d->lock, &ts);
        } else {
            pthread_cond_wait(&d->cond, &d->lock);
        }
    }
    pthread_mutex_unlock(&d->lock);
    return NULL;
}

delivery_t *delivery_start(app_t *app)
{
    delivery_t *d = xcalloc(1, sizeof *d);
    d->app = app;
    d->curl = curl_easy_init();
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->cond, NULL);
    if (!d->curl || pthread_create(&d->thread, NULL, run, d) != 0) {
        if (d->curl) curl_easy_cleanup(d->curl);
        free(d);
        return NULL;
    }
    return d;
}

void delivery_poke(delivery_t *d)
{
    if (!d) return;
    pthread_mutex_lock(&d->lock);
    d->poked = true;
    pthread_cond_signal(&d->cond);
    pthread_mutex_unlock(&d->lock);
}

void delivery_stop(delivery_t *d)
{
    if (!d) return;
    pthread_mutex_lock(&d->lock);
    d->stop = true;
    pthread_cond_signal(&d->cond);
    pthread_mutex_unlock(&d->lock);
    pthread_join(d->thread, NULL);
    curl_easy_cleanup(d->curl);
    pthread_mutex_destroy(&d->lock);
    pthread_cond_destroy(&d->cond);
    free(d);
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
