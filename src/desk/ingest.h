/*
 * ingest.h - desk_ingest: the one door every inbound customer item enters by.
 *
 * Whatever the channel, a verified and parsed item (channels/channel.h)
 * becomes, in one transaction: the contact and identity (found or created),
 * the conversation (found, woken, reopened or started), the message with its
 * analysis (sentiment, sensitive data, triage), the conversation's priority,
 * counters, events, and an assignment by the inbox's policy. Idempotent on
 * (inbox, external id): a redelivered item returns the stored message.
 */
#ifndef PARLEY_DESK_INGEST_H
#define PARLEY_DESK_INGEST_H

#include "channels/channel.h"
#include "desk/desk.h"

typedef struct {
    int64_t message_id, conversation_id, contact_id;
    bool duplicate; /* already stored: nothing changed */
    bool new_conversation, reopened;
} ingest_result_t;

int desk_ingest(app_t *app, const inbox_row_t *inbox, const ch_item_t *item, ingest_result_t *out,
                parley_err_t *err);

#endif
