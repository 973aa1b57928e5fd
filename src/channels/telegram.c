/*
 * telegram.c - the Telegram Bot API adapter.
 *
 * Owns Telegram's Update objects: message and edited_message (private and
 * group chats), message_reaction, and channel posts (ignored: a bot's channel
 * is ours, not a customer's). Message ids are unique per chat only, so an
 * item's external id is "<chat_id>:<message_id>" and the thread is the chat.
 * Files arrive as Bot API file ids: an attachment's url is "tg-file:<file_id>",
 * resolved by getFile. Verification is the secret token Telegram echoes.
 */
#include <stdio.h>
#include <string.h>

#include "channels/adapters.h"
#include "channels/channel.h"
#include "channels/common.h"
#include "core/crypto.h"

#define TELEGRAM_API_URL "https://api.telegram.org"

static const ch_setting_t settings_spec[] = {
    {"bot_token", true, false},
    {"secret_token", true, false},
    {"api_base_url", false, true},
    {NULL, false, false},
};

static int validate_settings(const json_t *settings, parley_err_t *err)
{
    return ch__validate(settings, settings_spec, err);
}

static int verify(const json_t *settings, const ch_request_t *req, parley_err_t *err)
{
    const char *want = ch__setting(settings, "secret_token");
    const char *got = req->header ? req->header(req->ctx, "X-Telegram-Bot-Api-Secret-Token") : NULL;
    if (!want || !*want) return parley_errf(err, PARLEY_EAUTH, "", "the inbox has no secret token");
    if (!got)
        return parley_errf(err, PARLEY_EAUTH, "", "X-Telegram-Bot-Api-Secret-Token is missing");
    if (!crypto_equal(want, strlen(want), got, strlen(got)))
        return parley_errf(err, PARLEY_EAUTH, "", "X-Telegram-Bot-Api-Secret-Token is wrong");
    return 0;
}

static void author(ch_rd_t *r, json_t *from, const char *ptr, ch_item_t *it)
{
    if (!from) return;
    it->author.external_id = ch__id(r, from, ptr, "id", true);
    const char *first = ch__str(r, from, ptr, "first_name", false);
    const char *last = ch__str(r, from, ptr, "last_name", false);
    const char *user = ch__str(r, from, ptr, "username", false);
    if (first && last)
        it->author.name = arena_sprintf(r->a, "%s %s", first, last);
    else
        it->author.name = first ? first : last;
    if (user) it->author.handle = arena_sprintf(r->a, "@%s", user);
}

/* Adds the message's file (the largest photo size, or one of the single-file
 * kinds) as an attachment. */
static void files(ch_rd_t *r, json_t *m, const char *ptr, ch_item_t *it)
{
    static const struct {
        const char *key, *type;
    } kinds[] = {{"document", "file"},  {"audio", "audio"},      {"voice", "audio"},
                 {"video", "video"},    {"video_note", "video"}, {"animation", "video"},
                 {"sticker", "sticker"}};
    json_t *photo = ch__arr(r, m, ptr, "photo", false);
    size_t n = json_array_size(photo);
    if (n > 0) {
        const char *pp = ch__ptr(r, ptr, "photo");
        const char *id =
            ch__str(r, ch__elem_obj(r, photo, pp, n - 1), ch__ptr_i(r, pp, n - 1), "file_id", true);
        if (id) ch__attach(it, "image", arena_sprintf(r->a, "tg-file:%s", id), NULL);
    }
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        json_t *o = ch__obj(r, m, ptr, kinds[k].key, false);
        if (!o) continue;
        const char *op = ch__ptr(r, ptr, kinds[k].key);
        const char *id = ch__str(r, o, op, "file_id", true);
        const char *mime = ch__str(r, o, op, "mime_type", false);
        if (id) ch__attach(it, kinds[k].type, arena_sprintf(r->a, "tg-file:%s", id), mime);
    }
    json_t *loc = ch__obj(r, m, ptr, "location", false);
    if (loc) {
        json_t *lat = json_object_get(loc, "latitude"), *lon = json_object_get(loc, "longitude");
        if (!json_is_number(lat) || !json_is_number(lon)) {
            ch__fail(r, ch__ptr(r, ptr, "location"), "needs numeric latitude and longitude");
            return;
        }
        ch__attach(
            it, "location",
            arena_sprintf(r->a, "geo:%.6f,%.6f", json_number_value(lat), json_number_value(lon)),
            NULL);
    }
}

static void on_message(ch_rd_t *r, json_t *m, const char *ptr, ch_item_kind_t kind, ch_batch_t *out)
{
    const char *mid = ch__id(r, m, ptr, "message_id", true);
    json_t *chat = ch__obj(r, m, ptr, "chat", true);
    const char *chat_id = ch__id(r, chat, ch__ptr(r, ptr, "chat"), "id", true);
    json_t *from = ch__obj(r, m, ptr, "from", false);
    int64_t date = ch__int(r, m, ptr, "date", false, 0);
    int64_t edit_date = ch__int(r, m, ptr, "edit_date", false, 0);
    const char *text = ch__str(r, m, ptr, "text", false);
    const char *caption = ch__str(r, m, ptr, "caption", false);
    json_t *reply = ch__obj(r, m, ptr, "reply_to_message", false);
    const char *reply_id =
        ch__id(r, reply, ch__ptr(r, ptr, "reply_to_message"), "message_id", reply != NULL);
    if (r->rc) return;
    ch_item_t *it = ch__push(r, out, kind);
    if (!it) return;
    it->external_id = arena_sprintf(r->a, "%s:%s", chat_id, mid);
    it->thread_id = chat_id;
    if (reply_id) it->in_reply_to = arena_sprintf(r->a, "%s:%s", chat_id, reply_id);
    it->body = text ? text : caption ? caption : "";
    it->at_ms = ch__ms(kind == CH_ITEM_EDIT && edit_date ? edit_date : date);
    author(r, from, ch__ptr(r, ptr, "from"), it);
    files(r, m, ptr, it);
    if (!r->rc && kind == CH_ITEM_MESSAGE && !*it->body && it->n_attachments == 0) {
        /* a service message (members joined, pinned, ...) or a kind we do not map */
        out->n--;
        out->unhandled++;
    }
}

static void on_reaction(ch_rd_t *r, json_t *re, const char *ptr, ch_batch_t *out)
{
    json_t *chat = ch__obj(r, re, ptr, "chat", true);
    const char *chat_id = ch__id(r, chat, ch__ptr(r, ptr, "chat"), "id", true);
    const char *mid = ch__id(r, re, ptr, "message_id", true);
    json_t *user = ch__obj(r, re, ptr, "user", false);
    int64_t date = ch__int(r, re, ptr, "date", false, 0);
    json_t *now = ch__arr(r, re, ptr, "new_reaction", true);
    if (r->rc) return;
    const char *np = ch__ptr(r, ptr, "new_reaction");
    const char *emoji = "";
    for (size_t i = 0; i < json_array_size(now) && !r->rc; i++) {
        const char *p = ch__ptr_i(r, np, i);
        json_t *rt = ch__elem_obj(r, now, np, i);
        const char *type = ch__str(r, rt, p, "type", true);
        if (type && strcmp(type, "emoji") == 0) {
            emoji = ch__str(r, rt, p, "emoji", true);
            break;
        }
        if (type && strcmp(type, "custom_emoji") == 0)
            emoji = ch__str(r, rt, p, "custom_emoji_id", true);
    }
    ch_item_t *it = ch__push(r, out, CH_ITEM_REACTION);
    if (!it) return;
    it->in_reply_to = arena_sprintf(r->a, "%s:%s", chat_id, mid);
    it->thread_id = chat_id;
    it->reaction = emoji ? emoji : "";
    it->at_ms = ch__ms(date);
    author(r, user, ch__ptr(r, ptr, "user"), it);
    it->external_id = arena_sprintf(r->a, "%s:%s:reaction:%s:%lld", chat_id, mid,
                                    it->author.external_id ? it->author.external_id : "anonymous",
                                    (long long)date);
}

static int parse(const json_t *settings, const ch_request_t *req, arena_t *a, ch_batch_t *out,
                 parley_err_t *err)
{
    json_t *root, *v;
    out->n = out->unhandled = 0;
    int rc = ch__parse_json(req, a, &root, err);
    if (rc) return rc;
    ch_rd_t r = {a, err, 0};
    ch__int(&r, root, "", "update_id", true, 0);
    if ((v = ch__obj(&r, root, "", "message", false)))
        on_message(&r, v, "/message", CH_ITEM_MESSAGE, out);
    else if ((v = ch__obj(&r, root, "", "edited_message", false)))
        on_message(&r, v, "/edited_message", CH_ITEM_EDIT, out);
    else if ((v = ch__obj(&r, root, "", "channel_post", false)))
        on_message(&r, v, "/channel_post", CH_ITEM_IGNORED, out);
    else if ((v = ch__obj(&r, root, "", "edited_channel_post", false)))
        on_message(&r, v, "/edited_channel_post", CH_ITEM_IGNORED, out);
    else if ((v = ch__obj(&r, root, "", "message_reaction", false)))
        on_reaction(&r, v, "/message_reaction", out);
    else if (!r.rc)
        out->unhandled++; /* callback_query, my_chat_member, business_message, ... */
    if (r.rc) out->n = 0;
    return r.rc;
}

static int format_send(const json_t *settings, const ch_outbound_t *msg, arena_t *a,
                       ch_http_call_t *call, parley_err_t *err)
{
    const char *base = ch__base_url(settings, "api_base_url", TELEGRAM_API_URL, a);
    const char *token = ch__setting(settings, "bot_token");
    const char *chat = msg->thread_id ? msg->thread_id : msg->recipient_id;
    if (!token) return parley_errf(err, PARLEY_EINVAL, "/settings/bot_token", "no bot token");
    if (!chat) return parley_errf(err, PARLEY_EINVAL, "/thread_id", "a message needs a chat");
    memset(call, 0, sizeof *call);
    call->method = "POST";
    call->url = arena_sprintf(a, "%s/bot%s/sendMessage", base, token);
    call->content_type = "application/json";
    long long id;
    json_t *chat_id = str_to_i64(str_from(chat), &id) ? json_integer(id) : json_string(chat);
    if (!chat_id) return ch__bad_text(err);
    call->body = ch__dump(
        a, json_pack("{s:o?, s:s}", "chat_id", chat_id, "text", ch__text_with_url(a, msg)));
    return call->body ? 0 : ch__bad_text(err);
}

static int parse_send_result(long status, const char *body, size_t len, char *ext_id, size_t cap,
                             bool *retry, parley_err_t *err)
{
    json_t *v = ch__load_result(body, len);
    int rc;
    *retry = false;
    json_t *res = json_object_get(v, "result");
    json_t *mid = json_object_get(res, "message_id");
    json_t *chat = json_object_get(json_object_get(res, "chat"), "id");
    if (status >= 200 && status < 300 && json_is_true(json_object_get(v, "ok")) &&
        json_is_integer(mid) && json_is_integer(chat)) {
        char id[64];
        snprintf(id, sizeof id, "%lld:%lld", (long long)json_integer_value(chat),
                 (long long)json_integer_value(mid));
        rc = ch__set_ext_id(ext_id, cap, id, err);
    } else if (status >= 200 && status < 300 && json_is_true(json_object_get(v, "ok"))) {
        rc = parley_errf(err, PARLEY_EIO, "", "Telegram's answer carries no message id");
    } else {
        json_t *desc = json_object_get(v, "description");
        *retry = ch__retryable(status);
        rc = json_is_string(desc)
                 ? parley_errf(err, PARLEY_EIO, "", "Telegram error (HTTP %ld): %s", status,
                               json_string_value(desc))
                 : parley_errf(err, PARLEY_EIO, "", "Telegram answered HTTP %ld", status);
    }
    json_decref(v);
    return rc;
}

const channel_ops_t channel_telegram = {
    .name = "telegram",
    .validate_settings = validate_settings,
    .handshake = NULL,
    .verify = verify,
    .parse = parse,
    .format_send = format_send,
    .parse_send_result = parse_send_result,
};
