/*
 * x.c - the X (Twitter) Account Activity API adapter.
 *
 * Owns the Account Activity payload for one subscribed account (for_user_id):
 * direct_message_events (DMs; ours are echoes), tweet_create_events (public
 * mentions and replies; ours are ignored), direct_message_mark_read_events
 * (read receipts for our DMs); every other *_events array is counted
 * unhandled. Also the CRC handshake and the webhook signature, both
 * base64 HMAC-SHA256 under the consumer secret, and the v2 calls that answer.
 */
#include <stdio.h>
#include <string.h>

#include "channels/adapters.h"
#include "channels/channel.h"
#include "channels/common.h"
#include "core/crypto.h"

#define X_API_URL "https://api.x.com"

static const ch_setting_t settings_spec[] = {
    {"user_id", true, false},      {"consumer_secret", true, false},
    {"access_token", true, false}, {"api_base_url", false, true},
    {NULL, false, false},
};

static int validate_settings(const json_t *settings, parley_err_t *err)
{
    return ch__validate(settings, settings_spec, err);
}

static int handshake(const json_t *settings, const ch_request_t *req, arena_t *a,
                     const char **reply, const char **content_type, parley_err_t *err)
{
    const char *token = req->query ? req->query(req->ctx, "crc_token") : NULL;
    if (!token) return PARLEY_ENOENT;
    const char *secret = ch__setting(settings, "consumer_secret");
    if (!secret || !*secret)
        return parley_errf(err, PARLEY_EAUTH, "", "the inbox has no consumer secret");
    uint8_t mac[32];
    char b64[64];
    crypto_hmac_sha256(secret, strlen(secret), token, strlen(token), mac);
    crypto_base64(mac, sizeof mac, b64, sizeof b64);
    *reply = ch__dump(a, json_pack("{s:s+}", "response_token", "sha256=", b64));
    *content_type = "application/json";
    return 0;
}

static int verify(const json_t *settings, const ch_request_t *req, parley_err_t *err)
{
    const char *secret = ch__setting(settings, "consumer_secret");
    const char *sig = req->header ? req->header(req->ctx, "X-Twitter-Webhooks-Signature") : NULL;
    if (!secret || !*secret)
        return parley_errf(err, PARLEY_EAUTH, "", "the inbox has no consumer secret");
    if (!sig) return parley_errf(err, PARLEY_EAUTH, "", "x-twitter-webhooks-signature is missing");
    if (strncmp(sig, "sha256=", 7) != 0 ||
        !ch__hmac_sha256_matches(secret, req->body, sig + 7, false))
        return parley_errf(err, PARLEY_EAUTH, "",
                           "x-twitter-webhooks-signature does not match the body");
    return 0;
}

/* ---- time ---- */

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* v1.1's "Mon Nov 24 10:00:00 +0000 2026" as milliseconds, 0 when malformed. */
static int64_t parse_created_at(const char *s)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    char wd[4], mon[4], sign;
    int d, hh, mm, ss, off, y, used = 0;
    if (!s ||
        sscanf(s, "%3s %3s %2d %2d:%2d:%2d %c%4d %4d%n", wd, mon, &d, &hh, &mm, &ss, &sign, &off,
               &y, &used) != 9 ||
        s[used] != '\0')
        return 0;
    const char *m = strstr(months, mon);
    if (!m || (m - months) % 3 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60 ||
        (sign != '+' && sign != '-') || y < 1970)
        return 0;
    int64_t t = days_from_civil(y, (int)(m - months) / 3 + 1, d) * 86400 + hh * 3600 + mm * 60 + ss;
    int64_t offs = (off / 100) * 3600 + (off % 100) * 60;
    t -= sign == '+' ? offs : -offs;
    return t * 1000;
}

/* ---- events ---- */

static void user_fields(ch_rd_t *r, json_t *u, const char *ptr, ch_item_t *it)
{
    if (!u) return;
    it->author.name = ch__str(r, u, ptr, "name", false);
    const char *sn = ch__str(r, u, ptr, "screen_name", false);
    if (sn) it->author.handle = arena_sprintf(r->a, "@%s", sn);
    it->author.followers = ch__int(r, u, ptr, "followers_count", false, -1);
    json_t *v = json_object_get(u, "verified");
    it->author.verified = json_is_true(v);
}

static void on_dm(ch_rd_t *r, json_t *ev, const char *ptr, const char *me, json_t *users,
                  ch_batch_t *out)
{
    const char *type = ch__str(r, ev, ptr, "type", true);
    if (r->rc) return;
    if (strcmp(type, "message_create") != 0) {
        out->unhandled++;
        return;
    }
    const char *id = ch__str(r, ev, ptr, "id", true);
    int64_t at = ch__ms(ch__int(r, ev, ptr, "created_timestamp", false, 0));
    json_t *mc = ch__obj(r, ev, ptr, "message_create", true);
    const char *mp = ch__ptr(r, ptr, "message_create");
    const char *sender = ch__str(r, mc, mp, "sender_id", true);
    const char *recipient = ch__str(r, ch__obj(r, mc, mp, "target", true), ch__ptr(r, mp, "target"),
                                    "recipient_id", true);
    json_t *data = ch__obj(r, mc, mp, "message_data", true);
    const char *dp = ch__ptr(r, mp, "message_data");
    const char *text = ch__str(r, data, dp, "text", false);
    json_t *att = ch__obj(r, data, dp, "attachment", false);
    const char *ap = ch__ptr(r, dp, "attachment");
    json_t *media = ch__obj(r, att, ap, "media", false);
    const char *media_url = ch__str(r, media, ch__ptr(r, ap, "media"), "media_url_https", false);
    const char *media_type = ch__str(r, media, ch__ptr(r, ap, "media"), "type", false);
    if (r->rc) return;
    bool echo = strcmp(sender, me) == 0;
    ch_item_t *it = ch__push(r, out, echo ? CH_ITEM_IGNORED : CH_ITEM_MESSAGE);
    if (!it) return;
    it->external_id = id;
    it->thread_id = echo ? recipient : sender; /* the other participant names the conversation */
    it->body = text ? text : "";
    it->at_ms = at;
    it->author.external_id = sender;
    json_t *u = json_object_get(users, sender);
    if (json_is_object(u)) user_fields(r, u, ch__ptr(r, "/users", sender), it);
    if (media_url)
        ch__attach(it, media_type && !strcmp(media_type, "photo") ? "image" : "video", media_url,
                   NULL);
}

static void tweet_media(ch_rd_t *r, json_t *tw, const char *ptr, ch_item_t *it)
{
    json_t *ext = ch__obj(r, tw, ptr, "extended_entities", false);
    const char *ep = ch__ptr(r, ptr, "extended_entities");
    json_t *media = ch__arr(r, ext, ep, "media", false);
    const char *mp = ch__ptr(r, ep, "media");
    for (size_t i = 0; i < json_array_size(media) && !r->rc; i++) {
        const char *p = ch__ptr_i(r, mp, i);
        json_t *m = ch__elem_obj(r, media, mp, i);
        const char *url = ch__str(r, m, p, "media_url_https", false);
        const char *type = ch__str(r, m, p, "type", false);
        if (url) ch__attach(it, type && !strcmp(type, "photo") ? "image" : "video", url, NULL);
    }
}

static void on_tweet(ch_rd_t *r, json_t *tw, const char *ptr, const char *me, ch_batch_t *out)
{
    const char *id = ch__str(r, tw, ptr, "id_str", true);
    const char *text = ch__str(r, tw, ptr, "text", false);
    json_t *ext = ch__obj(r, tw, ptr, "extended_tweet", false);
    const char *full = ch__str(r, ext, ch__ptr(r, ptr, "extended_tweet"), "full_text", false);
    const char *parent = ch__str(r, tw, ptr, "in_reply_to_status_id_str", false);
    int64_t at = ch__int(r, tw, ptr, "timestamp_ms", false, 0);
    const char *created = ch__str(r, tw, ptr, "created_at", false);
    json_t *user = ch__obj(r, tw, ptr, "user", true);
    const char *up = ch__ptr(r, ptr, "user");
    const char *uid = ch__str(r, user, up, "id_str", true);
    if (r->rc) return;
    /* our own tweets and retweets of anything are not customer messages */
    bool skip = strcmp(uid, me) == 0 || json_object_get(tw, "retweeted_status");
    ch_item_t *it = ch__push(r, out, skip ? CH_ITEM_IGNORED : CH_ITEM_MESSAGE);
    if (!it) return;
    it->external_id = id;
    /* v1.1 payloads name only the parent: a reply joins the parent's thread */
    it->thread_id = parent ? parent : id;
    it->in_reply_to = parent;
    it->is_public = true;
    it->body = full ? full : text ? text : "";
    it->at_ms = at > 0 ? at : parse_created_at(created);
    it->author.external_id = uid;
    user_fields(r, user, up, it);
    tweet_media(r, tw, ptr, it);
}

static void on_mark_read(ch_rd_t *r, json_t *ev, const char *ptr, const char *me, ch_batch_t *out)
{
    const char *sender = ch__str(r, ev, ptr, "sender_id", true);
    const char *last = ch__str(r, ev, ptr, "last_read_event_id", true);
    int64_t at = ch__ms(ch__int(r, ev, ptr, "created_timestamp", false, 0));
    if (r->rc) return;
    bool ours = strcmp(sender, me) == 0; /* we read theirs: nothing for the desk */
    ch_item_t *it = ch__push(r, out, ours ? CH_ITEM_IGNORED : CH_ITEM_RECEIPT);
    if (!it) return;
    it->external_id = arena_sprintf(r->a, "read:%s:%s", last, sender);
    it->thread_id = sender;
    it->at_ms = at;
    it->receipt_status = ours ? NULL : "read";
    it->receipt_for = ours ? NULL : last;
}

static int parse(const json_t *settings, const ch_request_t *req, arena_t *a, ch_batch_t *out,
                 parley_err_t *err)
{
    json_t *root;
    out->n = out->unhandled = 0;
    int rc = ch__parse_json(req, a, &root, err);
    if (rc) return rc;
    ch_rd_t r = {a, err, 0};
    const char *me = ch__str(&r, root, "", "for_user_id", true);
    json_t *users = ch__obj(&r, root, "", "users", false);
    const char *want = ch__setting(settings, "user_id");
    if (r.rc) return r.rc;
    if (want && strcmp(want, me) != 0) {
        out->unhandled++; /* another account subscribed to the same webhook */
        return 0;
    }
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v)
    {
        size_t kl = strlen(k);
        if (kl < 7 || strcmp(k + kl - 7, "_events") != 0) continue;
        const char *p = ch__ptr(&r, "", k);
        if (!json_is_array(v)) {
            ch__fail(&r, p, "must be an array");
            break;
        }
        void (*one)(ch_rd_t *, json_t *, const char *, const char *, ch_batch_t *) = NULL;
        if (strcmp(k, "tweet_create_events") == 0) one = on_tweet;
        if (strcmp(k, "direct_message_mark_read_events") == 0) one = on_mark_read;
        bool dm = strcmp(k, "direct_message_events") == 0;
        if (!one && !dm) {
            out->unhandled += (int)json_array_size(v); /* favorites, follows, deletes, ... */
            continue;
        }
        for (size_t i = 0; i < json_array_size(v) && !r.rc; i++) {
            json_t *ev = ch__elem_obj(&r, v, p, i);
            if (dm)
                on_dm(&r, ev, ch__ptr_i(&r, p, i), me, users, out);
            else
                one(&r, ev, ch__ptr_i(&r, p, i), me, out);
        }
        if (r.rc) break;
    }
    if (!r.rc && json_object_get(root, "user_event")) out->unhandled++; /* revocation */
    if (r.rc) out->n = 0;
    return r.rc;
}

static int format_send(const json_t *settings, const ch_outbound_t *msg, arena_t *a,
                       ch_http_call_t *call, parley_err_t *err)
{
    const char *base = ch__base_url(settings, "api_base_url", X_API_URL, a);
    const char *token = ch__setting(settings, "access_token");
    if (!token) return parley_errf(err, PARLEY_EINVAL, "/settings/access_token", "no access token");
    memset(call, 0, sizeof *call);
    call->method = "POST";
    call->content_type = "application/json";
    ch__header(call, a, "Authorization", arena_sprintf(a, "Bearer %s", token));
    const char *text = ch__text_with_url(a, msg);
    if (msg->is_public) {
        const char *parent = msg->reply_to_id ? msg->reply_to_id : msg->thread_id;
        if (!parent)
            return parley_errf(err, PARLEY_EINVAL, "/reply_to_id", "a reply needs its tweet");
        call->url = arena_sprintf(a, "%s/2/tweets", base);
        call->body = ch__dump(
            a, json_pack("{s:s, s:{s:s}}", "text", text, "reply", "in_reply_to_tweet_id", parent));
    } else {
        const char *to = msg->recipient_id ? msg->recipient_id : msg->thread_id;
        if (!to) return parley_errf(err, PARLEY_EINVAL, "/recipient_id", "a DM needs a recipient");
        call->url =
            arena_sprintf(a, "%s/2/dm_conversations/with/%s/messages", base, ch__pct(a, to));
        call->body = ch__dump(a, json_pack("{s:s}", "text", text));
    }
    return call->body ? 0 : ch__bad_text(err);
}

static int parse_send_result(long status, const char *body, size_t len, char *ext_id, size_t cap,
                             bool *retry, parley_err_t *err)
{
    json_t *v = ch__load_result(body, len);
    int rc;
    *retry = false;
    if (status >= 200 && status < 300) {
        json_t *data = json_object_get(v, "data");
        json_t *id = json_object_get(data, "dm_event_id");
        if (!id) id = json_object_get(data, "id");
        rc = ch__set_ext_id(ext_id, cap, json_is_string(id) ? json_string_value(id) : NULL, err);
    } else {
        json_t *detail = json_object_get(v, "detail");
        if (!json_is_string(detail)) detail = json_object_get(v, "title");
        if (!json_is_string(detail))
            detail = json_object_get(json_array_get(json_object_get(v, "errors"), 0), "message");
        *retry = ch__retryable(status);
        rc = json_is_string(detail)
                 ? parley_errf(err, PARLEY_EIO, "", "X error (HTTP %ld): %s", status,
                               json_string_value(detail))
                 : parley_errf(err, PARLEY_EIO, "", "X answered HTTP %ld", status);
    }
    json_decref(v);
    return rc;
}

const channel_ops_t channel_x = {
    .name = "x",
    .validate_settings = validate_settings,
    .handshake = handshake,
    .verify = verify,
    .parse = parse,
    .format_send = format_send,
    .parse_send_result = parse_send_result,
};
