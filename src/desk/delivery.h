/*
 * delivery.h - the outbox worker: sends agents' replies to the platforms.
 *
 * A reply is stored with an outbox row in the agent's transaction; this
 * worker (one thread, woken on new work and at the next retry time, never
 * sweeping on a period) asks the channel adapter to describe the platform
 * call, performs it with libcurl (HTTP, or SMTP for e-mail), and records the
 * outcome: the platform's message id and "sent", a retry with exponential
 * backoff, or "failed" after the last attempt. Receipts from the platform
 * later move the message to delivered / read (desk_receipt).
 */
#ifndef PARLEY_DESK_DELIVERY_H
#define PARLEY_DESK_DELIVERY_H

#include "channels/channel.h"
#include "desk/app.h"

#define DELIVERY_MAX_ATTEMPTS 6

typedef struct delivery delivery_t;

delivery_t *delivery_start(app_t *app);
/* New work was committed: look at the outbox now. */
void delivery_poke(delivery_t *d);
void delivery_stop(delivery_t *d);

/* Applies a receipt item (delivered / read / failed) to our outbound message. */
int desk_receipt(app_t *app, int64_t inbox_id, int64_t account_id, const ch_item_t *item);

#endif
