/*
 * ingest.c - inbound items into contacts, conversations and messages.
 */
#include "desk/ingest.h"

#include "desk/analyze.h"
#include "desk/router.h"
#include "desk/sla.h"
#include "desk/users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS (24LL * 3600 * 1000)

typedef struct {
    const inbox_row_t *inbox;
    const ch_item_t *item;
    const analysis_t *an;
    const char *analysis_json;
    json_t *analysis; /* the tree analysis_json was written from */
    const char *attachments_json;
    ingest_result_t *out;
    bool new_contact; /* find_contact created it (it has no other conversation) */
} ingest_ctx_t;

/* The contact behind the item's author, created on first sight; identity
 * details (handle, reach, verified) follow what the platform says now. */
static int find_contact(dtx_t *t, ingest_ctx_t *x, int64_t *contact_id)
{
    const store_desk_ops_t *ops = dtx_ops(t);
    const ch_item_t *it = x->item;
    int64_t account = x->inbox->account_id;
    const char *ext = it->author.external_id;
    identity_row_t idn;
    int rc = ops->identity_find(t->c, account, x->inbox->channel, ext, t->arena, &idn);
    if (rc == 0) {
        int64_t followers = it->author.followers >= 0 ? it->author.followers : idn.followers;
        const char *handle =
            it->author.handle && *it->author.handle ? it->author.handle : idn.handle;
        if (followers != idn.followers || strcmp(handle, idn.handle) != 0 ||
            it->author.verified != idn.verified) {
            idn.followers = followers;
            idn.handle = handle;
            idn.verified = it->author.verified;
            if ((rc = ops->identity_update(t->c, &idn))) return rc;
        }
        *contact_id = idn.contact_id;
        return 0;
    }
    if (rc != PARLEY_ENOENT) return rc;
    const char *name = it->author.name && *it->author.name       ? it->author.name
                       : it->author.handle && *it->author.handle ? it->author.handle
                                                                 : ext;
    contact_row_t ct = {.account_id = account,
                        .name = name,
                        .phone = !strcmp(x->inbox->channel, "whatsapp") ||
                                         !strcmp(x->inbox->channel, "twilio_sms")
                                     ? it->author.handle
                                     : NULL,
                        .email = !strcmp(x->inbox->channel, "email") ? ext : NULL,
                        .created_at = t->now,
                        .updated_at = t->now};
    if ((rc = ops->contact_create(t->c, &ct, contact_id))) return rc;
    x->new_contact = true;
    identity_row_t ni = {.account_id = account,
                         .contact_id = *contact_id,
                         .channel = x->inbox->channel,
                         .external_id = ext,
                         .handle = it->author.handle,
                         .followers = it->author.followers,
                         .verified = it->author.verified,
                         .created_at = t->now};
    int64_t iid;
    if ((rc = ops->identity_create(t->c, &ni, &iid))) return rc;
    if ((rc = ops->contact_index(t->c, *contact_id))) return rc;
    return desk_event(t->c, t->app, t->by, "contact.created", "contact", *contact_id,
                      json_pack("{s:s, s:s, s:s}", "name", name, "channel", x->inbox->channel,
                                "external_id", ext));
}

static void subject_of(const char *body, char *out, size_t cap)
{
    /* The first line, cut at a UTF-8 boundary. */
    size_t n = strcspn(body, "\r\n");
    if (n >= cap) {
        n = cap - 1;
        while (n && ((unsigned char)body[n] & 0xC0) == 0x80) n--;
    }
    memcpy(out, body, n);
    out[n] = '\0';
}

static int ingest_tx(dtx_t *t, void *p)
{
    ingest_ctx_t *x = p;
    const store_desk_ops_t *ops = dtx_ops(t);
    const ch_item_t *it = x->item;
    const inbox_row_t *inbox = x->inbox;
    int rc;

    message_row_t existing;
    if (ops->message_by_external(t->c, inbox->id, it->external_id, t->arena, &existing) == 0) {
        x->out->duplicate = true;
        x->out->message_id = existing.id;
        x->out->conversation_id = existing.conversation_id;
        x->out->contact_id = existing.author_id;
        return 0;
    }
    int64_t contact_id;
    x->new_contact = false;
    if ((rc = find_contact(t, x, &contact_id))) return rc;

    const char *visibility = it->is_public ? "public" : "private";
    const char *thread = it->is_public && it->thread_id ? it->thread_id : "";
    int level = (int)x->an->priority.level;
    conv_row_t cv, before;
    const char *event = NULL;
    bool have =
        ops->conv_find_thread(t->c, inbox->id, contact_id, visibility, thread, t->arena, &cv) == 0;
    if (have && !strcmp(cv.status, "resolved") &&
        t->now - cv.resolved_at > inbox->reopen_days * DAY_MS)
        have = false; /* too long ago: a new conversation */
    if (have) {
        before = cv;
        if (!strcmp(cv.status, "resolved")) {
            cv.status = "open";
            cv.opened_at = t->now;
            cv.first_reply_at = 0;
            event = "conversation.reopened";
            x->out->reopened = true;
        } else if (!strcmp(cv.status, "snoozed") || !strcmp(cv.status, "pending")) {
            event = !strcmp(cv.status, "snoozed") ? "conversation.woke" : "conversation.reopened";
            cv.status = "open";
            cv.snoozed_until = 0;
        }
        if (!cv.waiting_since) cv.waiting_since = t->now;
        if (level > cv.priority) {
            cv.priority = level;
            if (!event) event = "conversation.priority_changed";
        }
        cv.last_message_at = t->now;
    } else {
        char subject[121];
        subject_of(it->subject && *it->subject ? it->subject
                   : it->body                  ? it->body
                                               : "",
                   subject, sizeof subject);
        cv = (conv_row_t){.account_id = inbox->account_id,
                          .inbox_id = inbox->id,
                          .contact_id = contact_id,
                          .status = "open",
                          .priority = level,
                          .team_id = inbox->team_id,
                          .visibility = visibility,
                          .external_thread_id = thread,
                          .subject = arena_strdup(t->arena, subject),
                          .opened_at = t->now,
                          .waiting_since = t->now,
                          .last_message_at = t->now};
        event = "conversation.created";
        x->out->new_conversation = true;
    }
    json_t *payload = json_pack("{s:s}", "priority_explanation", x->an->priority.explain);
    if ((rc = conv_save(t, have ? &before : NULL, &cv, event, payload))) return rc;

    message_row_t m = {.account_id = inbox->account_id,
                       .conversation_id = cv.id,
                       .inbox_id = inbox->id,
                       .direction = "in",
                       .kind = "message",
                       .visibility = visibility,
                       .author_kind = "contact",
                       .author_id = contact_id,
                       .body = it->body ? it->body : "",
                       .external_id = it->external_id,
                       .attachments = x->attachments_json,
                       .analysis = x->analysis_json,
                       .created_at = t->now};
    if ((rc = ops->message_create(t->c, &m, &m.id))) return rc;
    if ((rc = desk_event(t->c, t->app, t->by, "message.created", "message", m.id,
                         json_pack("{s:o, s:I}", "message", message_to_json_with(&m, x->analysis),
                                   "inbox_id", (json_int_t)inbox->id))))
        return rc;
    if ((rc = sla_on_inbound(t, &cv))) return rc; /* starts first/next response clocks */
    x->out->message_id = m.id;
    x->out->conversation_id = cv.id;
    x->out->contact_id = contact_id;
    /* The private conversation that follows "take it offline" is linked to the
     * public one, so resolving the pair can close the public thread. */
    conv_row_t pub;
    if (!it->is_public && !cv.linked_id && !x->new_contact &&
        ops->conv_offline_unlinked(t->c, contact_id, t->arena, &pub) == 0) {
        conv_row_t pub_before = pub, priv_before = cv;
        pub.linked_id = cv.id;
        cv.linked_id = pub.id;
        if ((rc = conv_save(t, &pub_before, &pub, "conversation.linked",
                            json_pack("{s:I}", "private_conversation_id", (json_int_t)cv.id))))
            return rc;
        if ((rc = conv_save(t, &priv_before, &cv, NULL, NULL))) return rc;
    }
    return router_route(t, &cv);
}

int desk_ingest(app_t *app, const inbox_row_t *inbox, const ch_item_t *item, ingest_result_t *out,
                parley_err_t *err)
{
    memset(out, 0, sizeof *out);
    if (!item->external_id || !*item->external_id || !item->author.external_id ||
        !*item->author.external_id)
        return parley_errf(err, PARLEY_EINVAL, "/id", "the item has no id or no author id");
    /* Understanding is pure CPU work: done before the write lock is taken. */
    analysis_t an;
    analysis_ctx_t actx = {.is_public = item->is_public,
                           .followers = item->author.followers,
                           .verified = item->author.verified};
    const char *body = item->body ? item->body : "";
    analyze_text(app->analyzer, body, strlen(body), &actx, &an);
    json_t *aj = analysis_to_json(&an, body);
    if (item->auth_results) /* e-mail: SPF/DKIM/DMARC as the receiving MTA judged them */
        json_object_set_new(aj, "auth_results", json_string(item->auth_results));
    buf_t analysis_json;
    buf_init(&analysis_json, 0);
    json_dump_to(&analysis_json, aj);
    json_t *att = json_array();
    for (int i = 0; i < item->n_attachments; i++)
        json_array_append_new(
            att, json_pack("{s:s?, s:s?, s:s?}", "type", item->attachments[i].type, "url",
                           item->attachments[i].url, "mime", item->attachments[i].mime));
    char *att_json = json_dumps(att, JSON_COMPACT);
    json_decref(att);
    actor_t by = {.account_id = inbox->account_id, .kind = "system", .id = 0};
    ingest_ctx_t x = {.inbox = inbox,
                      .item = item,
                      .an = &an,
                      .analysis_json = buf_cstr(&analysis_json),
                      .analysis = aj,
                      .attachments_json = att_json,
                      .out = out};
    int rc = desk_write(app, &by, ingest_tx, &x);
    buf_free(&analysis_json);
    json_decref(aj);
    free(att_json);
    if (rc) return parley_errf(err, rc, "", "the message could not be stored");
    return 0;
}
