/*
 * delivery_internal.h - what the two halves of the delivery worker share:
 * delivery.c (the loop: libcurl multi, rate limits, crash resume, records)
 * and delivery_send.c (one reply: from outbox row to a ready easy handle,
 * and from the platform's answer to an outcome). Nothing outside src/desk/
 * includes this.
 */
#ifndef PARLEY_DESK_DELIVERY_INTERNAL_H
#define PARLEY_DESK_DELIVERY_INTERNAL_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>

#include "channels/channel.h"
#include "core/arena.h"
#include "core/str.h"
#include "desk/app.h"
#include "store/store_desk.h"

/* The row as it will be written, and what the agent sees change. */
typedef struct {
    outbox_row_t job;
    const char *status; /* message delivery status to record; NULL = unchanged (a retry) */
    const char *ext_id; /* the platform's id for the sent message */
    const char *error;
} delivery__outcome_t;

/* One reply on its way: everything lives until its outcome is recorded. */
typedef struct delivery__transfer {
    arena_t a; /* the rows, the call, the outcome's strings */
    delivery__outcome_t out;
    const channel_ops_t *ch;
    CURL *easy;
    struct curl_slist *hdrs, *rcpt;
    bool smtp;
    const char *call_body; /* what is uploaded (SMTP) or posted */
    size_t up_off, up_len;
    buf_t resp;
    char errbuf[CURL_ERROR_SIZE];
    double rate, burst; /* this inbox's limit (rate 0 = none) */
    int64_t started_mono_ns;
    /* A resend after a crash, on a platform that lists what we sent: the
     * easy handle first asks the list; the send waits here. */
    bool lookup;
    int64_t lookup_since, timeout_ms;
    ch_outbound_t msg;
    ch_http_call_t send_call;
    json_t *settings;
} delivery__transfer_t;

/* Reads the reply's rows, asks the adapter for the call and builds the easy
 * handle (not yet added to a multi). 0: ready to start. 1: decided without a
 * network call (t->out holds the outcome: dead, sent when the channel has
 * nothing to send, or pending a second later when no handle could be made).
 * job must carry its 'sending' fields (attempts, attempt_started_at, idem_key).
 * lookup_since (ms) is the start of an interrupted attempt: where the
 * platform lists our sends, the handle first looks for the message there. */
int delivery__prepare(app_t *app, const outbox_row_t *job, int64_t timeout_ms, int64_t lookup_since,
                      delivery__transfer_t *t);
/* The answer to a lookup (t->lookup, see prepare's lookup_since): 1 when the
 * message was already created (t->out says sent, with its id), 0 when the
 * easy handle now holds the send and goes back into the multi. */
int delivery__finish_lookup(delivery__transfer_t *t, CURLcode cc);
/* Turns the finished transfer into its outcome (sent, retry at a backoff,
 * or dead with the platform's reason). */
void delivery__finish(app_t *app, delivery__transfer_t *t, CURLcode cc, int64_t now,
                      int64_t backoff_ms);
void delivery__transfer_free(delivery__transfer_t *t);
/* The inbox's send limit: its settings' rate_per_second / rate_burst, else
 * the platform's default. rate 0 means unlimited. */
void delivery__limit(const char *channel, const json_t *settings, double *rate, double *burst);

#endif
