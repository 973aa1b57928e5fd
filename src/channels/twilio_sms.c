/*
 * twilio_sms.c - the Twilio Programmable Messaging adapter (SMS and MMS).
 *
 * Owns Twilio's form-encoded webhooks: inbound messages (MessageSid, From,
 * To, Body, NumMedia, MediaUrlN, MediaContentTypeN) and status callbacks
 * (MessageStatus) that become receipts, the X-Twilio-Signature check (HMAC-SHA1
 * through OpenSSL, the only use of libcrypto in Parley) and the Messages
 * resource for outbound texts. Always private; the thread is the customer's
 * number.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "channels/adapters.h"
#include "channels/channel.h"
#include "channels/common.h"
#include "channels/form.h"
#include "core/crypto.h"

#define TWILIO_API_URL   "https://api.twilio.com"
#define TWILIO_MAX_MEDIA 10

static const ch_setting_t settings_spec[] = {
    {"account_sid", true, false}, {"auth_token", true, false},   {"from", true, false},
    {"webhook_url", true, true},  {"api_base_url", false, true}, {NULL, false, false},
};

static int validate_settings(const json_t *settings, parley_err_t *err)
{
    return ch__validate(settings, settings_spec, err);
}

/* ---- signature ---- */

static int pair_cmp(const void *pa, const void *pb)
{
    const form_pair_t *a = pa, *b = pb;
    size_t n = a->name.len < b->name.len ? a->name.len : b->name.len;
    int c = n ? memcmp(a->name.ptr, b->name.ptr, n) : 0;
    if (c || a->name.len != b->name.len) return c ? c : a->name.len < b->name.len ? -1 : 1;
    n = a->value.len < b->value.len ? a->value.len : b->value.len;
    c = n ? memcmp(a->value.ptr, b->value.ptr, n) : 0;
    if (c || a->value.len != b->value.len) return c ? c : a->value.len < b->value.len ? -1 : 1;
    return 0;
}

/* base64(HMAC-SHA1(token, url + name1 + value1 + ... sorted by name)) into out. */
static void twilio_signature(const char *token, const char *url, form_t *f, char *out, size_t cap)
{
    qsort(f->pairs, f->n, sizeof *f->pairs, pair_cmp);
    buf_t b;
    buf_init(&b, 0);
    buf_puts(&b, url);
    for (size_t i = 0; i < f->n; i++) {
        buf_append(&b, f->pairs[i].name.ptr, f->pairs[i].name.len);
        buf_append(&b, f->pairs[i].value.ptr, f->pairs[i].value.len);
    }
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (!HMAC(EVP_sha1(), token, (int)strlen(token), (const unsigned char *)buf_cstr(&b), b.len,
              mac, &mac_len))
        mac_len = 0;
    buf_free(&b);
    out[0] = '\0';
    if (mac_len) crypto_base64(mac, mac_len, out, cap);
}

static int verify(const json_t *settings, const ch_request_t *req, parley_err_t *err)
{
    const char *token = ch__setting(settings, "auth_token");
    const char *url = ch__setting(settings, "webhook_url");
    const char *sig = req->header ? req->header(req->ctx, "X-Twilio-Signature") : NULL;
    if (!url) url = req->url;
    if (!token || !*token || !url)
        return parley_errf(err, PARLEY_EAUTH, "", "the inbox has no auth token or webhook URL");
    if (!sig) return parley_errf(err, PARLEY_EAUTH, "", "X-Twilio-Signature is missing");
    arena_t a;
    arena_init(&a, 0);
    form_t f;
    int rc = form_parse(req->body, &a, &f, NULL);
    if (rc == 0) {
        char want[64];
        twilio_signature(token, url, &f, want, sizeof want);
        rc = *want && crypto_equal(want, strlen(want), sig, strlen(sig)) ? 0 : PARLEY_EAUTH;
    }
    arena_free(&a);
    if (rc) return parley_errf(err, PARLEY_EAUTH, "", "X-Twilio-Signature does not match the body");
    return 0;
}

/* ---- inbound ---- */

/* A form value without NUL bytes, or NULL (with an error when present but bad,
 * or missing and required). */
static const char *field(const form_t *f, const char *name, bool required, int *rc,
                         parley_err_t *err)
{
    if (*rc) return NULL;
    size_t nl = strlen(name);
    for (size_t i = 0; i < f->n; i++) {
        const form_pair_t *p = &f->pairs[i];
        if (p->name.len != nl || memcmp(p->name.ptr, name, nl) != 0) continue;
        if (memchr(p->value.ptr, '\0', p->value.len)) {
            *rc = parley_errf(err, PARLEY_EINVAL, "", "%s contains a NUL byte", name);
            return NULL;
        }
        return p->value.ptr;
    }
    if (required) *rc = parley_errf(err, PARLEY_EINVAL, "", "%s is required", name);
    return NULL;
}

static const char *receipt_status(const char *st)
{
    if (!strcmp(st, "sent") || !strcmp(st, "delivered") || !strcmp(st, "read")) return st;
    if (!strcmp(st, "failed") || !strcmp(st, "undelivered")) return "failed";
    return NULL; /* queued, accepted, scheduled, sending, canceled */
}

static int on_status(const form_t *f, const char *sid, const char *st, ch_batch_t *out, ch_rd_t *r)
{
    const char *to = field(f, "To", false, &r->rc, r->err);
    const char *status = receipt_status(st);
    ch_item_t *it = ch__push(r, out, status ? CH_ITEM_RECEIPT : CH_ITEM_IGNORED);
    if (!it) return r->rc;
    it->external_id = arena_sprintf(r->a, "%s:%s", st, sid);
    it->thread_id = to;
    it->receipt_status = status;
    it->receipt_for = status ? sid : NULL;
    return r->rc;
}

static int on_message(const form_t *f, const char *sid, ch_batch_t *out, ch_rd_t *r)
{
    const char *from = field(f, "From", true, &r->rc, r->err);
    const char *body = field(f, "Body", false, &r->rc, r->err);
    const char *num = field(f, "NumMedia", false, &r->rc, r->err);
    long long n_media = 0;
    if (num && (!str_to_i64(str_from(num), &n_media) || n_media < 0 || n_media > TWILIO_MAX_MEDIA))
        return parley_errf(r->err, PARLEY_EINVAL, "", "NumMedia must be 0..%d", TWILIO_MAX_MEDIA);
    ch_item_t *it = ch__push(r, out, CH_ITEM_MESSAGE);
    if (!it) return r->rc;
    it->external_id = sid;
    it->thread_id = from;
    it->body = body ? body : "";
    it->author.external_id = from;
    it->author.handle = from;
    for (int i = 0; i < (int)n_media && !r->rc; i++) {
        char url_key[48], type_key[48];
        snprintf(url_key, sizeof url_key, "MediaUrl%d", i);
        snprintf(type_key, sizeof type_key, "MediaContentType%d", i);
        const char *url = field(f, url_key, true, &r->rc, r->err);
        const char *mime = field(f, type_key, false, &r->rc, r->err);
        if (url) ch__attach(it, ch__type_from_mime(mime), url, mime);
    }
    return r->rc;
}

static int parse(const json_t *settings, const ch_request_t *req, arena_t *a, ch_batch_t *out,
                 parley_err_t *err)
{
    out->n = out->unhandled = 0;
    int rc;
    form_t f;
    if (form_parse(req->body, a, &f, err) != 0)
        return parley_errf(err, PARLEY_EINVAL, "", "the body is not a well-formed form: %s",
                           err ? err->msg : "");
    ch_rd_t r = {a, err, 0};
    const char *sid = field(&f, "MessageSid", false, &r.rc, err);
    if (!sid) sid = field(&f, "SmsSid", true, &r.rc, err);
    const char *st = field(&f, "MessageStatus", false, &r.rc, err);
    if (!st) st = field(&f, "SmsStatus", false, &r.rc, err);
    if (r.rc) return r.rc;
    if (st && strcmp(st, "received") != 0 && strcmp(st, "receiving") != 0)
        rc = on_status(&f, sid, st, out, &r);
    else
        rc = on_message(&f, sid, out, &r);
    if (rc) out->n = 0;
    return rc;
}

/* ---- outbound ---- */

static void form_field(buf_t *b, const char *name, const char *value)
{
    if (b->len) buf_putc(b, '&');
    buf_puts(b, name);
    buf_putc(b, '=');
    ch__pct_encode(b, value, strlen(value));
}

static int format_send(const json_t *settings, const ch_outbound_t *msg, arena_t *a,
                       ch_http_call_t *call, parley_err_t *err)
{
    const char *base = ch__base_url(settings, "api_base_url", TWILIO_API_URL, a);
    const char *sid = ch__setting(settings, "account_sid");
    const char *token = ch__setting(settings, "auth_token");
    const char *from = ch__setting(settings, "from");
    const char *to = msg->recipient_id ? msg->recipient_id : msg->thread_id;
    if (!sid || !token || !from)
        return parley_errf(err, PARLEY_EINVAL, "/settings",
                           "the inbox lacks account_sid, auth_token or from");
    if (!to) return parley_errf(err, PARLEY_EINVAL, "/recipient_id", "a message needs a recipient");
    memset(call, 0, sizeof *call);
    call->method = "POST";
    call->url = arena_sprintf(a, "%s/2010-04-01/Accounts/%s/Messages.json", base, ch__pct(a, sid));
    call->content_type = "application/x-www-form-urlencoded";

    char *cred = arena_sprintf(a, "%s:%s", sid, token);
    size_t cap = 4 * ((strlen(cred) + 2) / 3) + 1;
    char *b64 = arena_alloc(a, cap);
    crypto_base64((const uint8_t *)cred, strlen(cred), b64, cap);
    ch__header(call, a, "Authorization", arena_sprintf(a, "Basic %s", b64));

    buf_t b;
    buf_init(&b, 0);
    form_field(&b, "To", to);
    /* a Messaging Service sid (MG...) sends from its pool instead of one number */
    form_field(&b, strncmp(from, "MG", 2) == 0 ? "MessagingServiceSid" : "From", from);
    form_field(&b, "Body", msg->body ? msg->body : "");
    if (msg->attachment_url && *msg->attachment_url)
        form_field(&b, "MediaUrl", msg->attachment_url);
    call->body = arena_strdup(a, buf_cstr(&b));
    buf_free(&b);
    return 0;
}

/* Twilio's list of our messages to one customer from this sender, newest
 * first: after a crash between a send and its record, the worker asks it
 * whether the message was created before sending it again. */
static int format_lookup(const json_t *settings, const ch_outbound_t *msg, arena_t *a,
                         ch_http_call_t *call, parley_err_t *err)
{
    int rc = format_send(settings, msg, a, call, err);
    if (rc) return rc;
    const char *base = ch__base_url(settings, "api_base_url", TWILIO_API_URL, a);
    const char *sid = ch__setting(settings, "account_sid");
    const char *from = ch__setting(settings, "from");
    const char *to = msg->recipient_id ? msg->recipient_id : msg->thread_id;
    call->method = "GET";
    call->content_type = NULL;
    call->body = NULL;
    call->url = arena_sprintf(a, "%s/2010-04-01/Accounts/%s/Messages.json?To=%s&%s=%s&PageSize=50",
                              base, ch__pct(a, sid), ch__pct(a, to),
                              strncmp(from, "MG", 2) == 0 ? "MessagingServiceSid" : "From",
                              ch__pct(a, from));
    return 0;
}

/* "Wed, 26 Nov 2026 14:00:00 +0000" (RFC 2822, GMT as Twilio writes it) to ms. */
static int64_t rfc2822_ms(const char *s)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    char mon[4] = "";
    struct tm tm = {0};
    if (!s || sscanf(s, "%*3s, %d %3s %d %d:%d:%d", &tm.tm_mday, mon, &tm.tm_year, &tm.tm_hour,
                     &tm.tm_min, &tm.tm_sec) != 6)
        return -1;
    const char *m = strstr(months, mon);
    if (!m || strlen(mon) != 3 || (m - months) % 3) return -1;
    tm.tm_mon = (int)(m - months) / 3;
    tm.tm_year -= 1900;
    return (int64_t)timegm(&tm) * 1000;
}

static int parse_lookup(long status, const char *body, size_t len, const ch_outbound_t *msg,
                        int64_t since_ms, char *ext_id, size_t cap, parley_err_t *err)
{
    json_t *v = ch__load_result(body, len);
    json_t *list = json_object_get(v, "messages");
    int rc = PARLEY_ENOENT;
    if (status != 200 || !json_is_array(list)) {
        rc = parley_errf(err, PARLEY_EIO, "", "Twilio's message list could not be read");
        goto done;
    }
    size_t i;
    json_t *m;
    json_array_foreach(list, i, m)
    {
        const char *text = json_string_value(json_object_get(m, "body"));
        const char *dir = json_string_value(json_object_get(m, "direction"));
        const char *sid = json_string_value(json_object_get(m, "sid"));
        /* one second of slack: Twilio's dates have whole seconds */
        int64_t at = rfc2822_ms(json_string_value(json_object_get(m, "date_created")));
        if (text && sid && dir && !strncmp(dir, "outbound", 8) && at >= since_ms - 1000 &&
            !strcmp(text, msg->body ? msg->body : "")) {
            rc = ch__set_ext_id(ext_id, cap, sid, err);
            break;
        }
    }
done:
    json_decref(v);
    return rc;
}

static int parse_send_result(long status, const char *body, size_t len, char *ext_id, size_t cap,
                             bool *retry, parley_err_t *err)
{
    json_t *v = ch__load_result(body, len);
    int rc;
    *retry = false;
    if (status >= 200 && status < 300) {
        json_t *id = json_object_get(v, "sid");
        rc = ch__set_ext_id(ext_id, cap, json_is_string(id) ? json_string_value(id) : NULL, err);
    } else {
        json_t *msg = json_object_get(v, "message"), *code = json_object_get(v, "code");
        *retry = ch__retryable(status);
        rc = json_is_string(msg)
                 ? parley_errf(err, PARLEY_EIO, "", "Twilio error %lld (HTTP %ld): %s",
                               json_is_integer(code) ? (long long)json_integer_value(code) : 0LL,
                               status, json_string_value(msg))
                 : parley_errf(err, PARLEY_EIO, "", "Twilio answered HTTP %ld", status);
    }
    json_decref(v);
    return rc;
}

const channel_ops_t channel_twilio_sms = {
    .name = "twilio_sms",
    .validate_settings = validate_settings,
    .handshake = NULL,
    .verify = verify,
    .parse = parse,
    .format_send = format_send,
    .parse_send_result = parse_send_result,
    .format_lookup = format_lookup,
    .parse_lookup = parse_lookup,
};
