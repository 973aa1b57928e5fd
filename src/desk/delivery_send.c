/*
 * delivery_send.c - one reply to one platform: reads its rows, asks the
 * channel adapter for the platform call, builds the libcurl easy handle
 * (HTTP, or SMTP when the adapter says so) and reads the platform's answer
 * into an outcome; for a resend after a crash on a platform that lists our
 * sends (Twilio), the handle first asks that list. Also the per-inbox send
 * limits and the delivery's inbox settings. Owns no thread and no queue:
 * delivery.c runs the handles.
 */
#include "desk/delivery.h"
#include "desk/delivery_internal.h"

#include "core/crypto.h"
#include "core/log.h"
#include "core/mem.h"
#include "desk/desk.h"
#include "desk/inboxes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Bytes of a platform answer kept: ids and error texts are short. */
#define RESPONSE_LIMIT (1 << 20)

static size_t on_write(char *p, size_t size, size_t n, void *ud)
{
    delivery__transfer_t *t = ud;
    buf_append(&t->resp, p, size * n);
    return size * n;
}

static size_t on_read(char *out, size_t size, size_t n, void *ud)
{
    delivery__transfer_t *t = ud;
    size_t left = t->up_len - t->up_off;
    size_t k = size * n < left ? size * n : left;
    memcpy(out, t->call_body + t->up_off, k);
    t->up_off += k;
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

static void decide(delivery__transfer_t *t, const char *job_status, const char *msg_status,
                   const char *error)
{
    t->out.job.status = job_status;
    t->out.status = msg_status;
    t->out.error = error;
}

static void build_easy(delivery__transfer_t *t, const json_t *settings, const ch_http_call_t *call,
                       int64_t timeout_ms)
{
    CURL *c = t->easy;
    curl_easy_setopt(c, CURLOPT_URL, call->url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(timeout_ms < 10000 ? timeout_ms : 10000));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(c, CURLOPT_PRIVATE, t);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,smtp,smtps");
    t->call_body = call->body ? call->body : "";
    t->up_len = strlen(t->call_body);
    t->smtp = !strcmp(call->method, "SMTP");
    if (t->smtp) {
        /* The e-mail adapter names the envelope in two header lines. */
        const char *from = call_header(call, "MAIL FROM");
        const char *to = call_header(call, "RCPT TO");
        curl_easy_setopt(c, CURLOPT_MAIL_FROM, from ? from : "");
        if (to) t->rcpt = curl_slist_append(t->rcpt, to);
        curl_easy_setopt(c, CURLOPT_MAIL_RCPT, t->rcpt);
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, t);
        const char *user = json_string_value(json_object_get(settings, "smtp_username"));
        const char *pass = json_string_value(json_object_get(settings, "smtp_password"));
        if (user) curl_easy_setopt(c, CURLOPT_USERNAME, user);
        if (pass) curl_easy_setopt(c, CURLOPT_PASSWORD, pass);
        /* Credentials never cross the network in clear: with a login, TLS is required. */
        if (!strncmp(call->url, "smtp://", 7))
            curl_easy_setopt(c, CURLOPT_USE_SSL, user ? CURLUSESSL_ALL : CURLUSESSL_TRY);
        return;
    }
    for (int i = 0; i < call->n_headers; i++)
        t->hdrs = curl_slist_append(t->hdrs, call->headers[i]);
    if (call->content_type) {
        char ct[128];
        snprintf(ct, sizeof ct, "Content-Type: %s", call->content_type);
        t->hdrs = curl_slist_append(t->hdrs, ct);
    }
    t->hdrs = curl_slist_append(t->hdrs, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, t->hdrs);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, call->method);
    if (call->body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, t->call_body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)t->up_len);
    }
}

int delivery__prepare(app_t *app, const outbox_row_t *job, int64_t timeout_ms, int64_t lookup_since,
                      delivery__transfer_t *t)
{
    store_t *st = app->store;
    const store_desk_ops_t *ops = st->ops->desk;
    store_conn_t *c = st->ops->reader(st);
    arena_init(&t->a, 0);
    buf_init(&t->resp, RESPONSE_LIMIT);
    t->out.job = *job;
    message_row_t m, last_in;
    conv_row_t cv;
    inbox_row_t in;
    if (!c || ops->message_get(c, job->account_id, job->message_id, &t->a, &m) ||
        ops->conv_get(c, job->account_id, m.conversation_id, &t->a, &cv) ||
        ops->inbox_get(c, job->account_id, job->inbox_id, &t->a, &in)) {
        decide(t, "dead", "failed", "the message, conversation or inbox no longer exists");
        return 1;
    }
    t->ch = channel_find(in.channel);
    json_t *settings = inbox_settings(app, &in);
    delivery__limit(in.channel, settings, &t->rate, &t->burst);
    identity_row_t *ids;
    int ni = 0;
    ops->identity_list(c, cv.contact_id, &t->a, &ids, &ni);
    const char *recipient = NULL;
    for (int i = 0; i < ni && !recipient; i++)
        if (!strcmp(ids[i].channel, in.channel)) recipient = ids[i].external_id;
    bool have_in = ops->message_latest_inbound(c, cv.id, &t->a, &last_in) == 0;
    ch_outbound_t out = {.recipient_id = recipient,
                         .thread_id = cv.external_thread_id,
                         .reply_to_id = have_in ? last_in.external_id : NULL,
                         .is_public = !strcmp(cv.visibility, "public"),
                         .body = m.body,
                         .subject = cv.subject,
                         .idempotency_key = job->idem_key};
    ch_http_call_t call;
    parley_err_t err = {0};
    int rc = t->ch && settings && recipient ? t->ch->format_send(settings, &out, &t->a, &call, &err)
                                            : PARLEY_EINVAL;
    int ret = 1;
    if (rc == PARLEY_ENOENT) {
        /* The channel has nothing to send (the client reads replies itself). */
        decide(t, "sent", "sent", NULL);
    } else if (rc) {
        decide(t, "dead", "failed",
               err.msg[0] ? arena_strdup(&t->a, err.msg) : "the reply cannot be addressed");
    } else if (!(t->easy = curl_easy_init())) {
        decide(t, "pending", NULL, "no libcurl handle");
        t->out.job.next_attempt_at = job->attempt_started_at + 1000; /* a second from now */
    } else {
        ret = 0;
        ch_http_call_t look;
        if (lookup_since && t->ch->format_lookup && t->ch->parse_lookup &&
            t->ch->format_lookup(settings, &out, &t->a, &look, &err) == 0) {
            /* Ask the platform first; the send waits in t until the answer says so. */
            t->lookup = true;
            t->lookup_since = lookup_since;
            t->msg = out;
            t->send_call = call;
            t->settings = json_incref(settings);
            t->timeout_ms = timeout_ms;
            build_easy(t, settings, &look, timeout_ms);
        } else {
            build_easy(t, settings, &call, timeout_ms);
        }
    }
    json_decref(settings);
    return ret;
}

int delivery__finish_lookup(delivery__transfer_t *t, CURLcode cc)
{
    long status = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    char ext[256] = "";
    parley_err_t err = {0};
    int rc = cc == CURLE_OK ? t->ch->parse_lookup(status, buf_cstr(&t->resp), t->resp.len, &t->msg,
                                                  t->lookup_since, ext, sizeof ext, &err)
                            : PARLEY_EIO;
    t->lookup = false;
    if (rc == 0) {
        /* It was created before the crash: record it, never send it again. */
        decide(t, "sent", "sent", NULL);
        t->out.ext_id = arena_strdup(&t->a, ext);
        t->out.job.last_error = NULL;
        t->out.job.possible_duplicate = false;
        return 1;
    }
    /* Not there (or the list could not be read): send it now. Only a known
     * absence clears the possible duplicate. */
    if (rc == PARLEY_ENOENT) t->out.job.possible_duplicate = false;
    curl_easy_reset(t->easy);
    curl_slist_free_all(t->hdrs);
    curl_slist_free_all(t->rcpt);
    t->hdrs = t->rcpt = NULL;
    t->errbuf[0] = 0;
    t->up_off = 0;
    buf_reset(&t->resp);
    build_easy(t, t->settings, &t->send_call, t->timeout_ms);
    return 0;
}

void delivery__finish(app_t *app, delivery__transfer_t *t, CURLcode cc, int64_t now,
                      int64_t backoff_ms)
{
    (void)app;
    long status = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_off_t ra = 0;
    int64_t retry_after_s = 0;
    if (curl_easy_getinfo(t->easy, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
        retry_after_s = (int64_t)ra;
    bool retry = true;
    int rc = 0;
    if (cc != CURLE_OK) {
        if (!t->errbuf[0]) snprintf(t->errbuf, CURL_ERROR_SIZE, "%s", curl_easy_strerror(cc));
        /* An SMTP server that answered with a code has told us whether to retry
         * (4xx) or not (5xx): let the adapter read it. */
        if (t->smtp && status >= 400) {
            buf_reset(&t->resp);
            buf_puts(&t->resp, t->errbuf);
        } else {
            rc = PARLEY_EIO;
            t->out.error = arena_strdup(&t->a, t->errbuf);
        }
    } else if (t->smtp && status == 250 && t->resp.len == 0) {
        /* SMTP has no body to return: the Message-ID we wrote is the id. */
        const char *id = strstr(t->call_body, "Message-ID:");
        if (id) {
            id += 11;
            while (*id == ' ') id++;
            buf_append(&t->resp, id, strcspn(id, "\r\n"));
        }
    }
    if (rc == 0) {
        char ext[256] = "";
        parley_err_t err = {0};
        rc = t->ch->parse_send_result(status, buf_cstr(&t->resp), t->resp.len, ext, sizeof ext,
                                      &retry, &err);
        if (rc == 0) {
            decide(t, "sent", "sent", NULL);
            t->out.ext_id = ext[0] ? arena_strdup(&t->a, ext) : NULL;
            t->out.job.last_error = NULL;
            return;
        }
        t->out.error = arena_strdup(&t->a, err.msg[0] ? err.msg : "the platform refused the reply");
    }
    if (retry && t->out.job.attempts < DELIVERY_MAX_ATTEMPTS) {
        /* base, x4, x16, ... with up to 20% jitter so a platform that came back
         * is not hit by every waiting reply at once; a Retry-After (429, 503)
         * is honoured when it asks for longer. */
        int64_t backoff = backoff_ms << (2 * (t->out.job.attempts - 1));
        uint32_t jitter;
        crypto_random_bytes(&jitter, sizeof jitter);
        backoff += (int64_t)(jitter % (uint32_t)(backoff / 5 + 1));
        if (retry_after_s * 1000 > backoff) backoff = retry_after_s * 1000;
        t->out.job.status = "pending";
        t->out.status = NULL;
        t->out.job.next_attempt_at = now + backoff;
    } else {
        t->out.job.status = "dead";
        t->out.status = "failed";
    }
    t->out.job.last_error = t->out.error;
}

void delivery__transfer_free(delivery__transfer_t *t)
{
    if (!t) return;
    if (t->easy) curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->hdrs);
    curl_slist_free_all(t->rcpt);
    buf_free(&t->resp);
    json_decref(t->settings);
    arena_free(&t->a);
    free(t);
}

/* ---- per-inbox send limits --------------------------------------------------- */

/* Defaults from each platform's published limits (docs/ARCHITECTURE.md cites
 * them); an inbox's rate_per_second / rate_burst settings override them. */
static const struct {
    const char *channel;
    double rate, burst;
} defaults[] = {
    {"messenger", 100, 100}, /* Send API: 100 calls/s per page for text */
    {"instagram", 100, 100}, /* Instagram Send API: 100 calls/s per account for text */
    {"whatsapp", 80, 80},    /* Cloud API: 80 messages/s per business number */
    {"twilio_sms", 10, 20},  /* Twilio queues past the sender's MPS; keep its queue short */
    {"telegram", 30, 30},    /* Bot API: about 30 messages/s per bot */
    {"x", 0.2, 20},          /* X API v2: 200 DMs / posts per 15 min per user */
    {"email", 10, 20},       /* relays throttle bursts; a polite default */
};

void delivery__limit(const char *channel, const json_t *settings, double *rate, double *burst)
{
    *rate = 0;
    *burst = 1;
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
        if (channel && !strcmp(channel, defaults[i].channel)) {
            *rate = defaults[i].rate;
            *burst = defaults[i].burst;
        }
    json_t *r = json_object_get(settings, "rate_per_second");
    json_t *b = json_object_get(settings, "rate_burst");
    if (json_is_number(r)) {
        *rate = json_number_value(r);
        *burst = *rate < 1 ? 1 : *rate;
    }
    if (json_is_number(b)) *burst = json_number_value(b);
    if (*burst < 1) *burst = 1;
}

int delivery_validate_settings(const channel_ops_t *ch, const json_t *settings, parley_err_t *err)
{
    if (!json_is_object(settings))
        return parley_errf(err, PARLEY_EINVAL, "/settings", "settings must be an object");
    json_t *r = json_object_get(settings, "rate_per_second");
    json_t *b = json_object_get(settings, "rate_burst");
    if (r && (!json_is_number(r) || json_number_value(r) < 0.001 || json_number_value(r) > 100000))
        return parley_errf(err, PARLEY_EINVAL, "/settings/rate_per_second",
                           "rate_per_second must be a number from 0.001 to 100000");
    if (b && (!json_is_integer(b) || json_integer_value(b) < 1 || json_integer_value(b) > 100000))
        return parley_errf(err, PARLEY_EINVAL, "/settings/rate_burst",
                           "rate_burst must be an integer from 1 to 100000");
    if (!r && !b) return ch->validate_settings(settings, err);
    /* The adapter knows only its own settings: it checks a copy without ours. */
    json_t *rest = json_copy((json_t *)settings);
    json_object_del(rest, "rate_per_second");
    json_object_del(rest, "rate_burst");
    int rc = ch->validate_settings(rest, err);
    json_decref(rest);
    return rc;
}
