/*
 * h_webhooks.c - GET|POST /webhooks/{inbox_id}: the platforms' door.
 *
 * The inbox's channel type picks the adapter. GET answers the platform's
 * handshake. POST is verified over the raw bytes first (a failure is 401,
 * logged with the inbox and reason, counted, and stores nothing), then
 * parsed, and every item goes through desk_ingest / desk_receipt; the
 * platform gets its 200 only after those commits, so an acknowledged message
 * is never lost and a redelivered one is never stored twice.
 */
#include "http/handlers.h"
#include "http/router.h"
#include "http/server.h"

#include "core/log.h"
#include "desk/delivery.h"
#include "desk/inboxes.h"
#include "desk/ingest.h"

#include <string.h>

static bool load_inbox(req_t *r, inbox_row_t *in, const channel_ops_t **ch, json_t **settings)
{
    int64_t id;
    if (!http_param_id(r, "inbox_id", &id)) return false;
    store_t *st = r->app->store;
    if (st->ops->desk->inbox_get_any(st->ops->reader(st), id, &r->arena, in) ||
        !(*ch = channel_find(in->channel)) || !(*settings = inbox_settings(r->app, in))) {
        http_problem(r, 404, "not-found", "Not found", "no inbox at this address", NULL);
        return false;
    }
    return true;
}

static void rejected(req_t *r, const inbox_row_t *in, int status, const char *reason)
{
    metrics_count(r->srv->metrics, "webhook_rejected");
    log_line_t l;
    log_begin(&l, LOG_WARN, "webhook.rejected", r->request_id);
    log_int(&l, "inbox_id", in->id);
    log_str(&l, "channel", in->channel);
    log_str(&l, "reason", reason);
    log_str(&l, "client", r->client_ip);
    log_end(&l);
    http_problem(r, status, status == 401 ? "bad-signature" : "forbidden",
                 status == 401 ? "Signature check failed" : "Handshake refused", reason, NULL);
}

static void h_get(req_t *r)
{
    inbox_row_t in;
    const channel_ops_t *ch;
    json_t *settings;
    if (!load_inbox(r, &in, &ch, &settings)) return;
    ch_request_t creq = http_channel_request(r);
    const char *reply = NULL, *ctype = NULL;
    parley_err_t err = {0};
    int rc = ch->handshake ? ch->handshake(settings, &creq, &r->arena, &reply, &ctype, &err)
                           : PARLEY_ENOENT;
    json_decref(settings);
    if (rc == PARLEY_ENOENT) {
        http_problem(r, 404, "not-found", "Not found",
                     "this is a webhook address; platforms POST here", NULL);
    } else if (rc) {
        rejected(r, &in, 403, err.msg[0] ? err.msg : "the verification token does not match");
    } else {
        http_reply_raw(r, 200, ctype ? ctype : "text/plain", reply, strlen(reply));
    }
}

static void h_post(req_t *r)
{
    inbox_row_t in;
    const channel_ops_t *ch;
    json_t *settings;
    if (!load_inbox(r, &in, &ch, &settings)) return;
    if (r->body_too_large) {
        json_decref(settings);
        http_problem(r, 413, "too-large", "Request body too large", "the payload is too large",
                     NULL);
        return;
    }
    ch_request_t creq = http_channel_request(r);
    parley_err_t err = {0};
    if (ch->verify(settings, &creq, &err)) {
        json_decref(settings);
        rejected(r, &in, 401, err.msg[0] ? err.msg : "the signature does not match");
        return;
    }
    ch_batch_t *batch = arena_calloc(&r->arena, sizeof *batch);
    int rc = ch->parse(settings, &creq, &r->arena, batch, &err);
    json_decref(settings);
    if (rc) {
        metrics_count(r->srv->metrics, "webhook_malformed");
        http_problem_err(r, &err);
        return;
    }
    json_t *results = json_array();
    for (int i = 0; i < batch->n; i++) {
        const ch_item_t *it = &batch->items[i];
        if (it->kind == CH_ITEM_MESSAGE) {
            ingest_result_t res;
            if (desk_ingest(r->app, &in, it, &res, &err)) {
                json_decref(results);
                /* Not acknowledged: the platform will redeliver, and ingest is idempotent. */
                http_problem_err(r, &err);
                return;
            }
            json_array_append_new(results, http_ingest_result(&res));
        } else if (it->kind == CH_ITEM_RECEIPT) {
            if (desk_receipt(r->app, in.id, in.account_id, it)) {
                json_decref(results);
                http_problem(r, 500, "internal", "Internal error",
                             "the receipt could not be stored; retry", NULL);
                return;
            }
        } else if (it->kind != CH_ITEM_IGNORED) {
            /* Edits and reactions are acknowledged and counted; the desk does not act on
             * them yet. */
            metrics_count(r->srv->metrics, "webhook_unhandled");
        }
    }
    for (int i = 0; i < batch->unhandled; i++) metrics_count(r->srv->metrics, "webhook_unhandled");
    if (!strcmp(in.channel, "twilio_sms")) {
        json_decref(results);
        static const char twiml[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>";
        http_reply_raw(r, 200, "text/xml", twiml, sizeof twiml - 1);
        return;
    }
    http_reply_json(r, 200, json_pack("{s:b, s:o}", "ok", 1, "items", results));
}

static const route_t routes[] = {
    {"GET", "/webhooks/{inbox_id}", PERM_PUBLIC, h_get},
    {"POST", "/webhooks/{inbox_id}", PERM_PUBLIC, h_post},
};
const route_table_t webhooks_route_table = ROUTE_TABLE(routes);
