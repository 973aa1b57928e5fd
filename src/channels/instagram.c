/*
 * instagram.c - the Instagram professional account adapter: DMs and comments.
 *
 * Owns the `object: instagram` webhook: entry[].messaging[] (DMs in the
 * Messenger format, see meta.c) and entry[].changes[] with field "comments"
 * (public comments on our media; our own replies are ignored) and "mentions"
 * (our account tagged in a comment or caption: only ids arrive, no text).
 * Outbound: the Instagram Messaging API for DMs, a comment reply for public.
 */
#include <string.h>

#include "channels/adapters.h"
#include "channels/channel.h"
#include "channels/common.h"
#include "channels/meta.h"

static const ch_setting_t settings_spec[] = {
    {"ig_id", true, false},        {"app_secret", true, false},   {"verify_token", true, false},
    {"access_token", true, false}, {"api_base_url", false, true}, {NULL, false, false},
};

static int validate_settings(const json_t *settings, parley_err_t *err)
{
    return ch__validate(settings, settings_spec, err);
}

static void on_comment(ch_rd_t *r, json_t *v, const char *ptr, const char *ig_id, int64_t at,
                       ch_batch_t *out)
{
    const char *id = ch__str(r, v, ptr, "id", true);
    json_t *from = ch__obj(r, v, ptr, "from", false);
    const char *fp = ch__ptr(r, ptr, "from");
    const char *from_id = ch__str(r, from, fp, "id", false);
    const char *username = ch__str(r, from, fp, "username", false);
    const char *media_id =
        ch__str(r, ch__obj(r, v, ptr, "media", true), ch__ptr(r, ptr, "media"), "id", true);
    const char *parent_id = ch__str(r, v, ptr, "parent_id", false);
    const char *text = ch__str(r, v, ptr, "text", false);
    if (r->rc) return;
    bool ours = from_id && strcmp(from_id, ig_id) == 0;
    ch_item_t *it = ch__push(r, out, ours ? CH_ITEM_IGNORED : CH_ITEM_MESSAGE);
    if (!it) return;
    it->external_id = id;
    it->thread_id = media_id;
    it->in_reply_to = parent_id;
    it->is_public = true;
    it->body = text ? text : "";
    it->at_ms = at;
    it->author.external_id = from_id;
    if (username) it->author.handle = arena_sprintf(r->a, "@%s", username);
}

static void on_mention(ch_rd_t *r, json_t *v, const char *ptr, int64_t at, ch_batch_t *out)
{
    const char *media_id = ch__str(r, v, ptr, "media_id", true);
    const char *comment_id = ch__str(r, v, ptr, "comment_id", false);
    ch_item_t *it = ch__push(r, out, CH_ITEM_MESSAGE);
    if (!it) return;
    /* the webhook carries only ids: the desk fetches text and author if it wants them */
    it->external_id = comment_id ? comment_id : media_id;
    it->thread_id = media_id;
    it->is_public = true;
    it->at_ms = at;
}

static void on_entry(ch_rd_t *r, json_t *e, const char *ptr, const char *ig_id, ch_batch_t *out)
{
    const char *id = ch__str(r, e, ptr, "id", true);
    int64_t at = ch__ms(ch__int(r, e, ptr, "time", false, 0));
    json_t *messaging = ch__arr(r, e, ptr, "messaging", false);
    json_t *changes = ch__arr(r, e, ptr, "changes", false);
    if (r->rc) return;
    if (strcmp(id, ig_id) != 0) {
        out->unhandled++; /* another account subscribed to the same app */
        return;
    }
    const char *mp = ch__ptr(r, ptr, "messaging");
    for (size_t i = 0; i < json_array_size(messaging) && !r->rc; i++)
        meta_parse_messaging(r, ch__elem_obj(r, messaging, mp, i), ch__ptr_i(r, mp, i), out);
    const char *cp = ch__ptr(r, ptr, "changes");
    for (size_t i = 0; i < json_array_size(changes) && !r->rc; i++) {
        const char *p = ch__ptr_i(r, cp, i);
        json_t *ch = ch__elem_obj(r, changes, cp, i);
        const char *field = ch__str(r, ch, p, "field", true);
        json_t *value = ch__obj(r, ch, p, "value", true);
        if (r->rc) return;
        const char *vp = ch__ptr(r, p, "value");
        if (strcmp(field, "comments") == 0)
            on_comment(r, value, vp, ig_id, at, out);
        else if (strcmp(field, "mentions") == 0)
            on_mention(r, value, vp, at, out);
        else
            out->unhandled++;
    }
}

static int parse(const json_t *settings, const ch_request_t *req, arena_t *a, ch_batch_t *out,
                 parley_err_t *err)
{
    return meta_parse_entries(settings, req, a, "instagram", "ig_id", on_entry, out, err);
}

static int format_send(const json_t *settings, const ch_outbound_t *msg, arena_t *a,
                       ch_http_call_t *call, parley_err_t *err)
{
    const char *base = ch__base_url(settings, "api_base_url", META_GRAPH_URL, a);
    const char *token = ch__setting(settings, "access_token");
    const char *ig_id = ch__setting(settings, "ig_id");
    if (!token || !ig_id)
        return parley_errf(err, PARLEY_EINVAL, "/settings",
                           "the inbox lacks ig_id or access_token");
    memset(call, 0, sizeof *call);
    call->method = "POST";
    call->content_type = "application/json";
    ch__header(call, a, "Authorization", arena_sprintf(a, "Bearer %s", token));
    const char *text = ch__text_with_url(a, msg);
    if (msg->is_public) {
        if (msg->reply_to_id) {
            call->url = arena_sprintf(a, "%s/" META_GRAPH_VERSION "/%s/replies", base,
                                      ch__pct(a, msg->reply_to_id));
        } else if (msg->thread_id) { /* no comment to answer: comment on the media */
            call->url = arena_sprintf(a, "%s/" META_GRAPH_VERSION "/%s/comments", base,
                                      ch__pct(a, msg->thread_id));
        } else {
            return parley_errf(err, PARLEY_EINVAL, "/reply_to_id",
                               "a comment reply needs the comment it answers");
        }
        call->body = ch__dump(a, json_pack("{s:s}", "message", text));
    } else {
        if (!msg->recipient_id)
            return parley_errf(err, PARLEY_EINVAL, "/recipient_id", "a DM needs a recipient");
        call->url =
            arena_sprintf(a, "%s/" META_GRAPH_VERSION "/%s/messages", base, ch__pct(a, ig_id));
        call->body = ch__dump(a, json_pack("{s:{s:s}, s:{s:s}}", "recipient", "id",
                                           msg->recipient_id, "message", "text", text));
    }
    return call->body ? 0 : ch__bad_text(err);
}

const channel_ops_t channel_instagram = {
    .name = "instagram",
    .validate_settings = validate_settings,
    .handshake = meta_handshake,
    .verify = meta_verify,
    .parse = parse,
    .format_send = format_send,
    .parse_send_result = meta_parse_result,
};
