/*
 * whatsapp.c - the WhatsApp Cloud API adapter (always private).
 *
 * Owns the `object: whatsapp_business_account` webhook: changes[].value with
 * messages[] (text, media by id, location, reactions, button and list
 * answers), contacts[] (the customer's profile name) and statuses[] (receipts
 * for our sends). Media arrive as Cloud API media ids, not URLs: an
 * attachment's url is "wa-media:<id>", resolved by GET /{media-id}. Outbound: a
 * text message through POST /{phone-number-id}/messages.
 */
#include <stdio.h>
#include <string.h>

#include "channels/adapters.h"
#include "channels/channel.h"
#include "channels/common.h"
#include "channels/meta.h"

static const ch_setting_t settings_spec[] = {
    {"phone_number_id", true, false}, {"app_secret", true, false},   {"verify_token", true, false},
    {"access_token", true, false},    {"api_base_url", false, true}, {NULL, false, false},
};

static int validate_settings(const json_t *settings, parley_err_t *err)
{
    return ch__validate(settings, settings_spec, err);
}

/* The profile name of wa_id among value.contacts[], or NULL. */
static const char *contact_name(ch_rd_t *r, json_t *contacts, const char *ptr, const char *wa_id)
{
    for (size_t i = 0; i < json_array_size(contacts) && !r->rc; i++) {
        const char *p = ch__ptr_i(r, ptr, i);
        json_t *c = ch__elem_obj(r, contacts, ptr, i);
        const char *id = ch__str(r, c, p, "wa_id", false);
        json_t *profile = ch__obj(r, c, p, "profile", false);
        const char *name = ch__str(r, profile, ch__ptr(r, p, "profile"), "name", false);
        if (id && strcmp(id, wa_id) == 0) return name;
    }
    return NULL;
}

static void media(ch_rd_t *r, json_t *m, const char *ptr, const char *type, ch_item_t *it)
{
    json_t *o = ch__obj(r, m, ptr, type, true);
    const char *op = ch__ptr(r, ptr, type);
    const char *id = ch__str(r, o, op, "id", true);
    const char *mime = ch__str(r, o, op, "mime_type", false);
    const char *caption = ch__str(r, o, op, "caption", false);
    if (r->rc) return;
    if (caption) it->body = caption;
    ch__attach(it, strcmp(type, "document") == 0 ? "file" : type,
               arena_sprintf(r->a, "wa-media:%s", id), mime);
}

static void location(ch_rd_t *r, json_t *m, const char *ptr, ch_item_t *it)
{
    json_t *o = ch__obj(r, m, ptr, "location", true);
    const char *op = ch__ptr(r, ptr, "location");
    json_t *lat = json_object_get(o, "latitude"), *lon = json_object_get(o, "longitude");
    if (r->rc) return;
    if (!json_is_number(lat) || !json_is_number(lon)) {
        ch__fail(r, op, "needs numeric latitude and longitude");
        return;
    }
    const char *name = ch__str(r, o, op, "name", false);
    if (name) it->body = name;
    ch__attach(it, "location",
               arena_sprintf(r->a, "geo:%.6f,%.6f", json_number_value(lat), json_number_value(lon)),
               NULL);
}

/* The text of a button or interactive (button/list) answer. */
static const char *answer_text(ch_rd_t *r, json_t *m, const char *ptr, const char *type)
{
    json_t *o = ch__obj(r, m, ptr, type, true);
    const char *op = ch__ptr(r, ptr, type);
    if (strcmp(type, "button") == 0) return ch__str(r, o, op, "text", true);
    json_t *reply = ch__obj(r, o, op, "button_reply", false);
    const char *rp = ch__ptr(r, op, "button_reply");
    if (!reply) {
        reply = ch__obj(r, o, op, "list_reply", false);
        rp = ch__ptr(r, op, "list_reply");
    }
    if (!reply) return ch__fail(r, op, "has neither button_reply nor list_reply");
    return ch__str(r, reply, rp, "title", true);
}

static void on_message(ch_rd_t *r, json_t *m, const char *ptr, const char *name, ch_batch_t *out)
{
    const char *from = ch__str(r, m, ptr, "from", true);
    const char *id = ch__str(r, m, ptr, "id", true);
    const char *type = ch__str(r, m, ptr, "type", true);
    int64_t at = ch__ms(ch__int(r, m, ptr, "timestamp", false, 0));
    json_t *context = ch__obj(r, m, ptr, "context", false);
    const char *reply_to = ch__str(r, context, ch__ptr(r, ptr, "context"), "id", false);
    if (r->rc) return;
    static const char *const media_types[] = {"image",    "audio",   "video",
                                              "document", "sticker", NULL};
    bool is_media = false;
    for (int i = 0; media_types[i]; i++) is_media |= strcmp(type, media_types[i]) == 0;
    bool known = is_media || !strcmp(type, "text") || !strcmp(type, "location") ||
                 !strcmp(type, "reaction") || !strcmp(type, "button") ||
                 !strcmp(type, "interactive");
    if (!known) {
        out->unhandled++; /* unsupported, system, order, contacts, ... */
        return;
    }
    bool reaction = strcmp(type, "reaction") == 0;
    ch_item_t *it = ch__push(r, out, reaction ? CH_ITEM_REACTION : CH_ITEM_MESSAGE);
    if (!it) return;
    it->external_id = id;
    it->thread_id = from;
    it->in_reply_to = reply_to;
    it->at_ms = at;
    it->author.external_id = from;
    it->author.handle = arena_sprintf(r->a, "+%s", from);
    it->author.name = name;
    if (!strcmp(type, "text")) {
        it->body =
            ch__str(r, ch__obj(r, m, ptr, "text", true), ch__ptr(r, ptr, "text"), "body", true);
    } else if (is_media) {
        media(r, m, ptr, type, it);
    } else if (!strcmp(type, "location")) {
        location(r, m, ptr, it);
    } else if (reaction) {
        json_t *o = ch__obj(r, m, ptr, "reaction", true);
        const char *op = ch__ptr(r, ptr, "reaction");
        it->in_reply_to = ch__str(r, o, op, "message_id", true);
        const char *emoji = ch__str(r, o, op, "emoji", false);
        it->reaction = emoji ? emoji : ""; /* no emoji: the reaction was removed */
    } else {
        it->body = answer_text(r, m, ptr, type);
    }
    if (!it->body) it->body = "";
}

static void on_status(ch_rd_t *r, json_t *s, const char *ptr, ch_batch_t *out)
{
    const char *id = ch__str(r, s, ptr, "id", true);
    const char *status = ch__str(r, s, ptr, "status", true);
    const char *recipient = ch__str(r, s, ptr, "recipient_id", false);
    int64_t at = ch__ms(ch__int(r, s, ptr, "timestamp", false, 0));
    if (r->rc) return;
    static const char *const known[] = {"sent", "delivered", "read", "failed", NULL};
    int k = 0;
    while (known[k] && strcmp(known[k], status) != 0) k++;
    if (!known[k]) {
        out->unhandled++; /* deleted, warning, ... */
        return;
    }
    ch_item_t *it = ch__push(r, out, CH_ITEM_RECEIPT);
    if (!it) return;
    it->external_id = arena_sprintf(r->a, "%s:%s", known[k], id);
    it->receipt_status = known[k];
    it->receipt_for = id;
    it->thread_id = recipient;
    it->at_ms = at;
}

static void on_value(ch_rd_t *r, json_t *v, const char *ptr, const char *phone_id, ch_batch_t *out)
{
    json_t *meta = ch__obj(r, v, ptr, "metadata", true);
    const char *pid = ch__str(r, meta, ch__ptr(r, ptr, "metadata"), "phone_number_id", true);
    json_t *contacts = ch__arr(r, v, ptr, "contacts", false);
    json_t *messages = ch__arr(r, v, ptr, "messages", false);
    json_t *statuses = ch__arr(r, v, ptr, "statuses", false);
    if (r->rc) return;
    if (strcmp(pid, phone_id) != 0) {
        out->unhandled++; /* another number of the same business account */
        return;
    }
    const char *cp = ch__ptr(r, ptr, "contacts"), *mp = ch__ptr(r, ptr, "messages");
    for (size_t i = 0; i < json_array_size(messages) && !r->rc; i++) {
        const char *p = ch__ptr_i(r, mp, i);
        json_t *m = ch__elem_obj(r, messages, mp, i);
        const char *from = ch__str(r, m, p, "from", true);
        if (r->rc) return;
        on_message(r, m, p, contact_name(r, contacts, cp, from), out);
    }
    const char *sp = ch__ptr(r, ptr, "statuses");
    for (size_t i = 0; i < json_array_size(statuses) && !r->rc; i++)
        on_status(r, ch__elem_obj(r, statuses, sp, i), ch__ptr_i(r, sp, i), out);
}

static int parse(const json_t *settings, const ch_request_t *req, arena_t *a, ch_batch_t *out,
                 parley_err_t *err)
{
    json_t *entries;
    out->n = out->unhandled = 0;
    int rc = meta_envelope(req, a, "whatsapp_business_account", &entries, err);
    if (rc) return rc;
    const char *phone_id = ch__setting(settings, "phone_number_id");
    ch_rd_t r = {a, err, 0};
    for (size_t i = 0; i < json_array_size(entries) && !r.rc; i++) {
        const char *ep = ch__ptr_i(&r, "/entry", i);
        json_t *changes = ch__arr(&r, ch__elem_obj(&r, entries, "/entry", i), ep, "changes", true);
        const char *cp = ch__ptr(&r, ep, "changes");
        for (size_t j = 0; j < json_array_size(changes) && !r.rc; j++) {
            const char *p = ch__ptr_i(&r, cp, j);
            json_t *ch = ch__elem_obj(&r, changes, cp, j);
            const char *field = ch__str(&r, ch, p, "field", true);
            json_t *value = ch__obj(&r, ch, p, "value", true);
            if (r.rc) break;
            if (strcmp(field, "messages") == 0)
                on_value(&r, value, ch__ptr(&r, p, "value"), phone_id ? phone_id : "", out);
            else
                out->unhandled++; /* account_update, message_template_status_update, ... */
        }
    }
    if (r.rc) out->n = 0;
    return r.rc;
}

static int format_send(const json_t *settings, const ch_outbound_t *msg, arena_t *a,
                       ch_http_call_t *call, parley_err_t *err)
{
    const char *base = ch__base_url(settings, "api_base_url", META_GRAPH_URL, a);
    const char *token = ch__setting(settings, "access_token");
    const char *phone_id = ch__setting(settings, "phone_number_id");
    const char *to = msg->recipient_id ? msg->recipient_id : msg->thread_id;
    if (!token || !phone_id)
        return parley_errf(err, PARLEY_EINVAL, "/settings",
                           "the inbox lacks phone_number_id or access_token");
    if (!to) return parley_errf(err, PARLEY_EINVAL, "/recipient_id", "a message needs a recipient");
    memset(call, 0, sizeof *call);
    call->method = "POST";
    call->url =
        arena_sprintf(a, "%s/" META_GRAPH_VERSION "/%s/messages", base, ch__pct(a, phone_id));
    call->content_type = "application/json";
    ch__header(call, a, "Authorization", arena_sprintf(a, "Bearer %s", token));
    call->body =
        ch__dump(a, json_pack("{s:s, s:s, s:s, s:{s:s}}", "messaging_product", "whatsapp", "to", to,
                              "type", "text", "text", "body", ch__text_with_url(a, msg)));
    return call->body ? 0 : ch__bad_text(err);
}

const channel_ops_t channel_whatsapp = {
    .name = "whatsapp",
    .validate_settings = validate_settings,
    .handshake = meta_handshake,
    .verify = meta_verify,
    .parse = parse,
    .format_send = format_send,
    .parse_send_result = meta_parse_result,
};
