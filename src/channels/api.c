/*
 * api.c - Parley's own API channel: any system POSTs messages, signed.
 *
 * Owns the inbound message format (strict: typed fields, unknown fields
 * refused, errors named by JSON pointer), the X-Parley-Signature check
 * (sha256=<hex HMAC-SHA256(hmac_secret, raw body)>) and the outbound webhook,
 * signed the same way, to the inbox's optional outbound_url.
 */
#include <string.h>

#include "channels/adapters.h"
#include "channels/channel.h"
#include "channels/common.h"
#include "core/crypto.h"

#define API_MAX_ID   256
#define API_MAX_NAME 256

static const ch_setting_t settings_spec[] = {
    {"hmac_secret", true, false},
    {"outbound_url", false, true},
    {NULL, false, false},
};

static int validate_settings(const json_t *settings, parley_err_t *err)
{
    return ch__validate(settings, settings_spec, err);
}

static int verify(const json_t *settings, const ch_request_t *req, parley_err_t *err)
{
    const char *secret = ch__setting(settings, "hmac_secret");
    const char *sig = req->header ? req->header(req->ctx, "X-Parley-Signature") : NULL;
    if (!secret || !*secret)
        return parley_errf(err, PARLEY_EAUTH, "", "the inbox has no HMAC secret");
    if (!sig) return parley_errf(err, PARLEY_EAUTH, "", "X-Parley-Signature is missing");
    if (strncmp(sig, "sha256=", 7) != 0 ||
        !ch__hmac_sha256_matches(secret, req->body, sig + 7, true))
        return parley_errf(err, PARLEY_EAUTH, "", "X-Parley-Signature does not match the body");
    return 0;
}

/* Refuses members of obj outside allowed (typos must not pass silently). */
static void known_only(ch_rd_t *r, json_t *obj, const char *ptr, const char *const *allowed)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        int i = 0;
        while (allowed[i] && strcmp(allowed[i], k) != 0) i++;
        if (!allowed[i]) ch__fail(r, ch__ptr(r, ptr, k), "is not a known field");
    }
}

/* A string member of 1..max bytes (max 0: any length, may be empty). */
static const char *text(ch_rd_t *r, json_t *obj, const char *ptr, const char *key, bool required,
                        size_t max)
{
    const char *s = ch__str(r, obj, ptr, key, required);
    if (s && max && (!*s || strlen(s) > max))
        return ch__fail(r, ch__ptr(r, ptr, key), "must be 1 to 256 bytes");
    return s;
}

static int parse(const json_t *settings, const ch_request_t *req, arena_t *a, ch_batch_t *out,
                 parley_err_t *err)
{
    static const char *const top[] = {"id", "contact", "body", "visibility", "thread_id", NULL};
    static const char *const contact_fields[] = {"id", "name", "handle", "followers", NULL};
    json_t *root;
    out->n = out->unhandled = 0;
    int rc = ch__parse_json(req, a, &root, err);
    if (rc) return rc;
    ch_rd_t r = {a, err, 0};
    known_only(&r, root, "", top);
    const char *id = text(&r, root, "", "id", true, API_MAX_ID);
    json_t *contact = ch__obj(&r, root, "", "contact", true);
    known_only(&r, contact, "/contact", contact_fields);
    const char *cid = text(&r, contact, "/contact", "id", true, API_MAX_ID);
    const char *name = text(&r, contact, "/contact", "name", false, API_MAX_NAME);
    const char *handle = text(&r, contact, "/contact", "handle", false, API_MAX_NAME);
    json_t *followers = json_object_get(contact, "followers");
    if (followers && !json_is_null(followers) &&
        (!json_is_integer(followers) || json_integer_value(followers) < 0))
        ch__fail(&r, "/contact/followers", "must be a non-negative integer");
    const char *body = text(&r, root, "", "body", true, 0);
    const char *vis = text(&r, root, "", "visibility", false, API_MAX_ID);
    const char *thread = text(&r, root, "", "thread_id", false, API_MAX_ID);
    if (vis && strcmp(vis, "private") != 0 && strcmp(vis, "public") != 0)
        ch__fail(&r, "/visibility", "must be \"private\" or \"public\"");
    if (r.rc) return r.rc;
    bool pub = vis && strcmp(vis, "public") == 0;
    ch_item_t *it = ch__push(&r, out, CH_ITEM_MESSAGE);
    it->external_id = id;
    /* without a thread, a private message joins the contact's conversation and
     * a public one starts its own */
    it->thread_id = thread ? thread : pub ? id : cid;
    it->is_public = pub;
    it->body = body;
    it->author.external_id = cid;
    it->author.name = name;
    it->author.handle = handle;
    if (json_is_integer(followers)) it->author.followers = json_integer_value(followers);
    return 0;
}

static int format_send(const json_t *settings, const ch_outbound_t *msg, arena_t *a,
                       ch_http_call_t *call, parley_err_t *err)
{
    const char *url = ch__setting(settings, "outbound_url");
    const char *secret = ch__setting(settings, "hmac_secret");
    if (!url) return PARLEY_ENOENT; /* the system reads replies some other way */
    if (!secret) return parley_errf(err, PARLEY_EINVAL, "/settings/hmac_secret", "no HMAC secret");
    memset(call, 0, sizeof *call);
    call->method = "POST";
    call->url = arena_strdup(a, url);
    call->content_type = "application/json";
    call->body = ch__dump(
        a, json_pack("{s:s*, s:s*, s:s*, s:s, s:s, s:s*}", "recipient_id", msg->recipient_id,
                     "thread_id", msg->thread_id, "reply_to_id", msg->reply_to_id, "visibility",
                     msg->is_public ? "public" : "private", "body", msg->body ? msg->body : "",
                     "attachment_url", msg->attachment_url));
    if (!call->body) return ch__bad_text(err);
    uint8_t mac[32];
    char hex[65];
    crypto_hmac_sha256(secret, strlen(secret), call->body, strlen(call->body), mac);
    crypto_hex(mac, sizeof mac, hex);
    ch__header(call, a, "X-Parley-Signature", arena_sprintf(a, "sha256=%s", hex));
    return 0;
}

/* 2xx: the system's id for the message from {"id": ...} when it sends one,
 * else "" (the system need not name it). */
static int parse_send_result(long status, const char *body, size_t len, char *ext_id, size_t cap,
                             bool *retry, parley_err_t *err)
{
    json_t *v = ch__load_result(body, len);
    int rc = 0;
    *retry = false;
    if (status >= 200 && status < 300) {
        json_t *id = json_object_get(v, "id");
        if (json_is_string(id))
            rc = ch__set_ext_id(ext_id, cap, json_string_value(id), err);
        else if (cap)
            ext_id[0] = '\0';
    } else {
        json_t *detail = json_object_get(v, "error");
        if (!json_is_string(detail)) detail = json_object_get(v, "message");
        if (!json_is_string(detail)) detail = json_object_get(v, "detail");
        *retry = ch__retryable(status);
        rc = json_is_string(detail)
                 ? parley_errf(err, PARLEY_EIO, "", "the outbound webhook failed (HTTP %ld): %s",
                               status, json_string_value(detail))
                 : parley_errf(err, PARLEY_EIO, "", "the outbound webhook answered HTTP %ld",
                               status);
    }
    json_decref(v);
    return rc;
}

const channel_ops_t channel_api = {
    .name = "api",
    .validate_settings = validate_settings,
    .handshake = NULL,
    .verify = verify,
    .parse = parse,
    .format_send = format_send,
    .parse_send_result = parse_send_result,
};
