/*
 * meta.c - Graph webhook handshake, signature, messaging[] events and answers.
 */
#include "channels/meta.h"

#include <ctype.h>
#include <string.h>

#include "core/crypto.h"

#define MAX_CHALLENGE 256

int meta_handshake(const json_t *settings, const ch_request_t *req, arena_t *a, const char **reply,
                   const char **content_type, parley_err_t *err)
{
    const char *mode = req->query ? req->query(req->ctx, "hub.mode") : NULL;
    if (!mode) return PARLEY_ENOENT;
    const char *token = req->query(req->ctx, "hub.verify_token");
    const char *challenge = req->query(req->ctx, "hub.challenge");
    if (strcmp(mode, "subscribe") != 0 || !challenge)
        return parley_errf(err, PARLEY_EINVAL, "", "not a subscription handshake");
    const char *want = ch__setting(settings, "verify_token");
    if (!want || !token || !crypto_equal(want, strlen(want), token, strlen(token)))
        return parley_errf(err, PARLEY_EAUTH, "", "the verify token does not match");
    /* The challenge is echoed back: keep it to what Meta sends (digits, in
     * practice) so the endpoint cannot be used to reflect content. */
    size_t n = strlen(challenge);
    if (n == 0 || n > MAX_CHALLENGE)
        return parley_errf(err, PARLEY_EINVAL, "", "the challenge is empty or too long");
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)challenge[i]) && challenge[i] != '-' && challenge[i] != '_')
            return parley_errf(err, PARLEY_EINVAL, "", "the challenge has unexpected characters");
    *reply = arena_strdup(a, challenge);
    *content_type = "text/plain";
    return 0;
}

int meta_verify(const json_t *settings, const ch_request_t *req, parley_err_t *err)
{
    const char *secret = ch__setting(settings, "app_secret");
    const char *sig = req->header ? req->header(req->ctx, "X-Hub-Signature-256") : NULL;
    if (!secret || !*secret)
        return parley_errf(err, PARLEY_EAUTH, "", "the inbox has no app secret");
    if (!sig) return parley_errf(err, PARLEY_EAUTH, "", "X-Hub-Signature-256 is missing");
    if (strncmp(sig, "sha256=", 7) != 0)
        return parley_errf(err, PARLEY_EAUTH, "", "X-Hub-Signature-256 is not sha256=<hex>");
    if (!ch__hmac_sha256_matches(secret, req->body, sig + 7, true))
        return parley_errf(err, PARLEY_EAUTH, "", "X-Hub-Signature-256 does not match the body");
    return 0;
}

int meta_envelope(const ch_request_t *req, arena_t *a, const char *object, json_t **entries,
                  parley_err_t *err)
{
    json_t *root;
    int rc = ch__parse_json(req, a, &root, err);
    if (rc) return rc;
    ch_rd_t r = {a, err, 0};
    const char *obj = ch__str(&r, root, "", "object", true);
    *entries = ch__arr(&r, root, "", "entry", true);
    if (r.rc) return r.rc;
    if (strcmp(obj, object) != 0)
        return parley_errf(err, PARLEY_EINVAL, "/object", "/object is \"%s\", expected \"%s\"", obj,
                           object);
    return 0;
}

int meta_parse_entries(const json_t *settings, const ch_request_t *req, arena_t *a,
                       const char *object, const char *id_setting, meta_entry_fn on_entry,
                       ch_batch_t *out, parley_err_t *err)
{
    json_t *entries;
    out->n = out->unhandled = 0;
    int rc = meta_envelope(req, a, object, &entries, err);
    if (rc) return rc;
    const char *id = ch__setting(settings, id_setting);
    ch_rd_t r = {a, err, 0};
    for (size_t i = 0; i < json_array_size(entries) && !r.rc; i++)
        on_entry(&r, ch__elem_obj(&r, entries, "/entry", i), ch__ptr_i(&r, "/entry", i),
                 id ? id : "", out);
    if (r.rc) out->n = 0;
    return r.rc;
}

/* ---- messaging[] ---- */

static const char *attachment_type(const char *t, json_t *payload)
{
    if (json_object_get(payload, "sticker_id")) return "sticker";
    if (!t) return "file";
    if (!strcmp(t, "image") || !strcmp(t, "video") || !strcmp(t, "audio") || !strcmp(t, "location"))
        return t;
    return "file"; /* file, share, story_mention, reel, ig_reel, template, fallback */
}

static void message_attachments(ch_rd_t *r, json_t *msg, const char *ptr, ch_item_t *it)
{
    json_t *list = ch__arr(r, msg, ptr, "attachments", false);
    if (!list) return;
    const char *lp = ch__ptr(r, ptr, "attachments");
    for (size_t i = 0; i < json_array_size(list); i++) {
        const char *ap = ch__ptr_i(r, lp, i);
        json_t *at = ch__elem_obj(r, list, lp, i);
        const char *type = ch__str(r, at, ap, "type", false);
        json_t *payload = ch__obj(r, at, ap, "payload", false);
        const char *url = ch__str(r, payload, ch__ptr(r, ap, "payload"), "url", false);
        if (r->rc) return;
        if (url) ch__attach(it, attachment_type(type, payload), url, NULL);
    }
}

static void on_message(ch_rd_t *r, json_t *msg, const char *ptr, const char *sender,
                       const char *recipient, int64_t at, ch_batch_t *out)
{
    const char *mid = ch__str(r, msg, ptr, "mid", true);
    bool echo = json_is_true(json_object_get(msg, "is_echo"));
    if (r->rc) return;
    if (json_is_true(json_object_get(msg, "is_deleted")) ||
        json_is_true(json_object_get(msg, "is_unsupported"))) {
        out->unhandled++;
        return;
    }
    ch_item_t *it = ch__push(r, out, echo ? CH_ITEM_IGNORED : CH_ITEM_MESSAGE);
    if (!it) return;
    it->external_id = mid;
    it->thread_id = echo ? recipient : sender; /* the customer's id names the conversation */
    it->at_ms = at;
    it->author.external_id = sender;
    const char *text = ch__str(r, msg, ptr, "text", false);
    if (text) it->body = text;
    json_t *reply = ch__obj(r, msg, ptr, "reply_to", false);
    it->in_reply_to = ch__str(r, reply, ch__ptr(r, ptr, "reply_to"), "mid", false);
    message_attachments(r, msg, ptr, it);
}

static void on_edit(ch_rd_t *r, json_t *ed, const char *ptr, const char *sender, int64_t at,
                    ch_batch_t *out)
{
    const char *mid = ch__str(r, ed, ptr, "mid", true);
    const char *text = ch__str(r, ed, ptr, "text", false);
    ch_item_t *it = ch__push(r, out, CH_ITEM_EDIT);
    if (!it) return;
    it->external_id = mid;
    it->thread_id = sender;
    it->author.external_id = sender;
    it->body = text ? text : "";
    it->at_ms = at;
}

static void on_reaction(ch_rd_t *r, json_t *re, const char *ptr, const char *sender, int64_t at,
                        ch_batch_t *out)
{
    const char *mid = ch__str(r, re, ptr, "mid", true);
    const char *action = ch__str(r, re, ptr, "action", false);
    const char *emoji = ch__str(r, re, ptr, "emoji", false);
    const char *name = ch__str(r, re, ptr, "reaction", false);
    ch_item_t *it = ch__push(r, out, CH_ITEM_REACTION);
    if (!it) return;
    bool removed = action && strcmp(action, "unreact") == 0;
    /* a reaction has no id of its own: sender, target and time identify it */
    it->external_id = arena_sprintf(r->a, "%s:%s:%s:%lld", removed ? "unreact" : "react", mid,
                                    sender, (long long)at);
    it->in_reply_to = mid;
    it->thread_id = sender;
    it->author.external_id = sender;
    it->reaction = removed ? "" : emoji ? emoji : name ? name : "";
    it->at_ms = at;
}

static void receipt(ch_rd_t *r, ch_batch_t *out, const char *status, const char *thread,
                    const char *mid, int64_t watermark, int64_t at)
{
    ch_item_t *it = ch__push(r, out, CH_ITEM_RECEIPT);
    if (!it) return;
    it->receipt_status = status;
    it->receipt_for = mid;
    it->receipt_watermark_ms = mid ? 0 : watermark;
    it->thread_id = thread;
    it->at_ms = at;
    it->external_id =
        mid ? arena_sprintf(r->a, "%s:%s", status, mid)
            : arena_sprintf(r->a, "%s:%s:wm:%lld", status, thread, (long long)watermark);
}

static void on_status(ch_rd_t *r, json_t *st, const char *ptr, const char *status,
                      const char *sender, int64_t at, ch_batch_t *out)
{
    json_t *mids = ch__arr(r, st, ptr, "mids", false);
    const char *mid = ch__str(r, st, ptr, "mid", false); /* Instagram's read */
    int64_t wm = ch__int(r, st, ptr, "watermark", false, 0);
    if (r->rc) return;
    if (mid) {
        receipt(r, out, status, sender, mid, 0, at);
    } else if (json_array_size(mids) > 0) {
        const char *mp = ch__ptr(r, ptr, "mids");
        for (size_t i = 0; i < json_array_size(mids) && !r->rc; i++) {
            json_t *m = json_array_get(mids, i);
            if (!json_is_string(m)) {
                ch__fail(r, ch__ptr_i(r, mp, i), "must be a string");
                return;
            }
            receipt(r, out, status, sender, json_string_value(m), 0, at);
        }
    } else if (wm > 0) {
        receipt(r, out, status, sender, NULL, wm, at);
    } else {
        ch__fail(r, ptr, "names neither messages nor a watermark");
    }
}

void meta_parse_messaging(ch_rd_t *r, json_t *ev, const char *ptr, ch_batch_t *out)
{
    const char *sender =
        ch__str(r, ch__obj(r, ev, ptr, "sender", true), ch__ptr(r, ptr, "sender"), "id", true);
    const char *recipient = ch__str(r, ch__obj(r, ev, ptr, "recipient", true),
                                    ch__ptr(r, ptr, "recipient"), "id", true);
    int64_t at = ch__ms(ch__int(r, ev, ptr, "timestamp", false, 0));
    if (r->rc) return;
    json_t *v;
    if ((v = ch__obj(r, ev, ptr, "message", false)))
        on_message(r, v, ch__ptr(r, ptr, "message"), sender, recipient, at, out);
    else if ((v = ch__obj(r, ev, ptr, "message_edit", false)))
        on_edit(r, v, ch__ptr(r, ptr, "message_edit"), sender, at, out);
    else if ((v = ch__obj(r, ev, ptr, "reaction", false)))
        on_reaction(r, v, ch__ptr(r, ptr, "reaction"), sender, at, out);
    else if ((v = ch__obj(r, ev, ptr, "delivery", false)))
        on_status(r, v, ch__ptr(r, ptr, "delivery"), "delivered", sender, at, out);
    else if ((v = ch__obj(r, ev, ptr, "read", false)))
        on_status(r, v, ch__ptr(r, ptr, "read"), "read", sender, at, out);
    else if (!r->rc)
        out->unhandled++; /* postback, referral, optin, handover, ... */
}

/* ---- answers ---- */

static bool transient_code(json_int_t code)
{
    /* 1 unknown, 2 service, 4 app rate limit, 17 user rate limit, 32 page rate
     * limit, 341 application limit, 613 calls rate limit */
    return code == 1 || code == 2 || code == 4 || code == 17 || code == 32 || code == 341 ||
           code == 613;
}

int meta_parse_result(long status, const char *body, size_t len, char *ext_id, size_t cap,
                      bool *retry, parley_err_t *err)
{
    json_t *v = ch__load_result(body, len);
    int rc;
    *retry = false;
    if (status >= 200 && status < 300) {
        json_t *id = json_object_get(v, "message_id");
        if (!id) id = json_object_get(v, "id");
        if (!id) id = json_object_get(json_array_get(json_object_get(v, "messages"), 0), "id");
        rc = ch__set_ext_id(ext_id, cap, json_is_string(id) ? json_string_value(id) : NULL, err);
        goto done;
    }
    json_t *e = json_object_get(v, "error");
    json_t *msg = json_object_get(e, "message");
    json_t *code = json_object_get(e, "code");
    *retry = ch__retryable(status) || json_is_true(json_object_get(e, "is_transient")) ||
             (json_is_integer(code) && transient_code(json_integer_value(code)));
    if (json_is_string(msg))
        rc = parley_errf(err, PARLEY_EIO, "", "Graph API error %lld (HTTP %ld): %s",
                         json_is_integer(code) ? (long long)json_integer_value(code) : 0LL, status,
                         json_string_value(msg));
    else
        rc = parley_errf(err, PARLEY_EIO, "", "Graph API answered HTTP %ld", status);
done:
    json_decref(v);
    return rc;
}
