/*
 * delivery.h - the outbox worker: sends agents' replies to the platforms.
 *
 * A reply is stored with an outbox row in the agent's transaction; the
 * store's commit hook wakes this worker (one thread, one libcurl multi
 * handle, up to delivery-concurrency transfers in flight, never sweeping on
 * a period). For each due row it asks the channel adapter for the platform
 * call, takes a token from the inbox's rate limit (or leaves the row waiting
 * for the next token), records the attempt durably ('sending') and only then
 * starts the transfer. Outcomes: the platform's message id and "sent", a
 * retry with exponential backoff (timeouts, 5xx, 429 with Retry-After), or
 * "failed" with the platform's reason. Rows found 'sending' at start-up were
 * interrupted by a crash and are sent again: with the same idempotency key
 * (e-mail Message-ID) where the platform recognises a repeat, otherwise
 * marked as a possible duplicate. Receipts later move the message to
 * delivered / read (desk_receipt).
 */
#ifndef PARLEY_DESK_DELIVERY_H
#define PARLEY_DESK_DELIVERY_H

#include "channels/channel.h"
#include "core/str.h"
#include "desk/app.h"

#define DELIVERY_MAX_ATTEMPTS 6

typedef struct delivery delivery_t;

delivery_t *delivery_start(app_t *app);
/* Look at the outbox now (callable from any thread, after a commit). */
void delivery_poke(delivery_t *d);
/* Called inside a write transaction that created or re-queued an outbox row:
 * the worker is woken by the commit hook once that transaction committed. */
void delivery_note_outbox(delivery_t *d);
/* Lets in-flight sends finish (briefly), then stops the worker. */
void delivery_stop(delivery_t *d);

/* Appends the worker's figures to a Prometheus text page (/metrics). */
void delivery_render_metrics(delivery_t *d, buf_t *out);

/* Validates an inbox's settings: the delivery's own (rate_per_second,
 * rate_burst) here, the rest by the channel adapter. */
int delivery_validate_settings(const channel_ops_t *ch, const json_t *settings, parley_err_t *err);

/* Applies a receipt item (delivered / read / failed) to our outbound message. */
int desk_receipt(app_t *app, int64_t inbox_id, int64_t account_id, const ch_item_t *item);

#endif
