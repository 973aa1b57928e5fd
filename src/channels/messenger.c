/*
 * messenger.c - the Facebook page adapter: Messenger DMs and page comments.
 *
 * Owns the `object: page` webhook: entry[].messaging[] (DMs, edits, reactions,
 * delivery and read receipts, echoes of our own sends) and entry[].changes[]
 * with field "feed" (comments on the page's posts, public; the page's own
 * comments are ignored). Outbound: the Send API for DMs and a reply comment
 * for public answers.
 */
#include <string.h>

#include "channels/adapters.h"
#include "channels/channel.h"
#include "channels/common.h"
#include "channels/meta.h"

static const ch_setting_t settings_spec[] = {
    {"page_id", true, false},      {"app_secret", true, false},
    {"verify_token", true, false}, {"page_access_token", true, false},
    {"api_base_url", false, true}, {NULL, false, false},
};

static int validate_settings(const json_t *settings, parley_err_t *err)
{
    return ch__validate(settings, settings_spec, err);
}

static void on_comment(ch_rd_t *r, json_t *v, const char *ptr, const char *page_id, ch_batch_t *out)
{
    const char *item = ch__str(r, v, ptr, "item", true);
    const char *verb = ch__str(r, v, ptr, "verb", true);
    if (r->rc) return;
    bool add = strcmp(verb, "add") == 0, edited = strcmp(verb, "edited") == 0;
    if (strcmp(item, "comment") != 0 || (!add && !edited)) {
        out->unhandled++; /* posts, likes, reactions, removals, hides ... */
        return;
    }
    const char *comment_id = ch__str(r, v, ptr, "comment_id", true);
    const char *post_id = ch__str(r, v, ptr, "post_id", true);
    const char *parent_id = ch__str(r, v, ptr, "parent_id", false);
    json_t *from = ch__obj(r, v, ptr, "from", false);
    const char *fp = ch__ptr(r, ptr, "from");
    const char *from_id = ch__str(r, from, fp, "id", false);
    const char *from_name = ch__str(r, from, fp, "name", false);
    const char *text = ch__str(r, v, ptr, "message", false);
    const char *photo = ch__str(r, v, ptr, "photo", false);
    const char *video = ch__str(r, v, ptr, "video", false);
    int64_t at = ch__ms(ch__int(r, v, ptr, "created_time", false, 0));
    if (r->rc) return;
    bool ours = from_id && strcmp(from_id, page_id) == 0;
    ch_item_t *it = ch__push(r, out, ours ? CH_ITEM_IGNORED : add ? CH_ITEM_MESSAGE : CH_ITEM_EDIT);
    if (!it) return;
    it->external_id = comment_id;
    it->thread_id = post_id;
    it->in_reply_to = parent_id;
    it->is_public = true;
    it->body = text ? text : "";
    it->at_ms = at;
    it->author.external_id = from_id;
    it->author.name = from_name;
    if (photo) ch__attach(it, "image", photo, NULL);
    if (video) ch__attach(it, "video", video, NULL);
}

static void on_entry(ch_rd_t *r, json_t *e, const char *ptr, const char *page_id, ch_batch_t *out)
{
    const char *id = ch__str(r, e, ptr, "id", true);
    json_t *messaging = ch__arr(r, e, ptr, "messaging", false);
    json_t *changes = ch__arr(r, e, ptr, "changes", false);
    json_t *standby = ch__arr(r, e, ptr, "standby", false);
    if (r->rc) return;
    if (strcmp(id, page_id) != 0) {
        out->unhandled++; /* another page subscribed to the same app */
        return;
    }
    out->unhandled += (int)json_array_size(standby); /* handover protocol: another app's turn */
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
        if (strcmp(field, "feed") == 0)
            on_comment(r, value, ch__ptr(r, p, "value"), page_id, out);
        else
            out->unhandled++;
    }
}

static int parse(const json_t *settings, const ch_request_t *req, arena_t *a, ch_batch_t *out,
                 parley_err_t *err)
{
    return meta_parse_entries(settings, req, a, "page", "page_id", on_entry, out, err);
}

static int format_send(const json_t *settings, const ch_outbound_t *msg, arena_t *a,
                       ch_http_call_t *call, parley_err_t *err)
{
    const char *base = ch__base_url(settings, "api_base_url", META_GRAPH_URL, a);
    const char *token = ch__setting(settings, "page_access_token");
    if (!token)
        return parley_errf(err, PARLEY_EINVAL, "/settings/page_access_token",
                           "the inbox has no page access token");
    memset(call, 0, sizeof *call);
    call->method = "POST";
    call->content_type = "application/json";
    const char *text = ch__text_with_url(a, msg);
    if (msg->is_public) {
        /* answer the customer's comment; without one, comment on the post */
        const char *target = msg->reply_to_id ? msg->reply_to_id : msg->thread_id;
        if (!target)
            return parley_errf(err, PARLEY_EINVAL, "/reply_to_id",
                               "a comment reply needs the "
                               "comment it answers");
        call->url = arena_sprintf(a, "%s/" META_GRAPH_VERSION "/%s/comments?access_token=%s", base,
                                  ch__pct(a, target), ch__pct(a, token));
        call->body = ch__dump(a, json_pack("{s:s}", "message", text));
    } else {
        if (!msg->recipient_id)
            return parley_errf(err, PARLEY_EINVAL, "/recipient_id", "a DM needs a recipient");
        call->url = arena_sprintf(a, "%s/" META_GRAPH_VERSION "/me/messages?access_token=%s", base,
                                  ch__pct(a, token));
        call->body =
            ch__dump(a, json_pack("{s:{s:s}, s:s, s:{s:s}}", "recipient", "id", msg->recipient_id,
                                  "messaging_type", "RESPONSE", "message", "text", text));
    }
    return call->body ? 0 : ch__bad_text(err);
}

const channel_ops_t channel_messenger = {
    .name = "messenger",
    .validate_settings = validate_settings,
    .handshake = meta_handshake,
    .verify = meta_verify,
    .parse = parse,
    .format_send = format_send,
    .parse_send_result = meta_parse_result,
};
