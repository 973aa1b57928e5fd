/*
 * mailer.h - notices Parley e-mails itself: weekly digests and SLA
 * escalations, to the account's own people.
 *
 * Owns a durable queue (mail_outbox: one row per notice and recipient, its
 * whole RFC 5322 message built once when queued, a dedupe key that makes
 * queuing idempotent) and one worker thread that sends due rows over SMTP
 * with libcurl through an e-mail inbox's relay (the account's chosen
 * `mail_inbox_id`, else its first e-mail inbox: the relay, login and From
 * address customers' replies already use). Failures retry after 1 s, 4 s,
 * 16 s ... (MAILER_MAX_ATTEMPTS), then the row is dead; a 5xx answer is
 * dead at once. Never touches the customer outbox (desk/delivery.c).
 */
#ifndef PARLEY_DESK_MAILER_H
#define PARLEY_DESK_MAILER_H

#include <stdbool.h>

#include "desk/app.h"
#include "desk/desk.h"

#define MAILER_MAX_ATTEMPTS 6

typedef struct mailer mailer_t;

/* Starts the worker (and its commit hook); NULL when it cannot. */
mailer_t *mailer_start(app_t *app);
/* New mail may be due: look now. */
void mailer_poke(mailer_t *m);
/* Stops and joins the worker (before the store closes). NULL is fine. */
void mailer_stop(mailer_t *m);

/* The e-mail inbox that sends account's notices (its settings choice, else
 * its first e-mail inbox): 0 with *inbox_id, or PARLEY_ENOENT when it has none. */
int mailer_inbox(dtx_t *t, int64_t account_id, int64_t *inbox_id);

/* Queues one notice inside t's transaction: the message (text, optional
 * HTML alternative) is formatted now from the sending inbox's address.
 * *queued is false when dedupe already had a row (nothing is added).
 * PARLEY_ENOENT: the account has no e-mail inbox to send with;
 * PARLEY_EINVAL: `to` is no address. */
int mailer_queue(dtx_t *t, int64_t account_id, const char *kind, const char *dedupe, const char *to,
                 const char *subject, const char *text, const char *html, bool *queued);

#endif
