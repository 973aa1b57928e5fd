/*
 * webhooks.h - outbound webhooks: subscriptions to event types, delivered to
 * an http(s) URL with retries and an HMAC signature, or as a Slack-style
 * incoming-webhook message.
 *
 * Owns the subscription rules (URL, event patterns, format, secret sealed at
 * rest), the signature, the body formats, and one worker thread. The worker
 * follows the event log with a cursor per subscription and writes one
 * delivery row per (subscription, event) in the transaction that advances the
 * cursor, then sends due deliveries with libcurl; a failure is retried with
 * exponential backoff, then the delivery is dead. Every step is a row, so a
 * restart neither loses nor repeats anything. Never renders HTTP responses.
 *
 * Signature: X-Parley-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
 * "<t>.<raw body>")>, the key being the secret's bytes exactly as shown.
 */
#ifndef PARLEY_DESK_WEBHOOKS_H
#define PARLEY_DESK_WEBHOOKS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"
#include "desk/app.h"
#include "store/store_webhooks.h"

#define WEBHOOK_MAX_ATTEMPTS    6    /* then dead: waits of 1, 4, 16, 64, 256 x backoff */
#define WEBHOOK_MAX_PER_ACCOUNT 50   /* subscriptions */
#define WEBHOOK_MAX_PATTERNS    50   /* event patterns per subscription */
#define WEBHOOK_PATTERN_MAX     100  /* bytes of one pattern */
#define WEBHOOK_URL_MAX         2000 /* bytes */
#define WEBHOOK_NAME_MAX        100  /* characters */
#define WEBHOOK_SECRET_MIN      16   /* bytes, printable ASCII */
#define WEBHOOK_SECRET_MAX      200
#define WEBHOOK_PAGE            200 /* events the dispatcher reads per subscription per pass */
#define WEBHOOK_TIMEOUT_S       10  /* one attempt, whole */
#define WEBHOOK_SIG_MAX         96  /* "t=<20 digits>,v1=<64 hex>" and the NUL */

/* ---- pure functions (unit tested, fuzzed) --------------------------------- */

/* Checks one event pattern: `*`, `family.name` or `family.*` (lower-case
 * segments [a-z][a-z0-9_]*, a known family first). 0, or PARLEY_EINVAL with
 * the reason in *why (a static string). */
int webhook_pattern_check(const char *p, size_t len, const char **why);
/* Whether event type matches pattern (checked or not: never reads past NULs). */
bool webhook_pattern_match(const char *pattern, const char *type);
/* Whether a subscription with these patterns (a JSON array) receives an
 * event of this type. `notification.*` (personal) and `webhook.*` (about
 * the webhooks themselves) are never fanned out. */
bool webhook_wants(const json_t *patterns, const char *type);
/* out = "t=<t>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>". */
void webhook_sign(const char *secret, size_t secret_len, int64_t t, const void *body,
                  size_t body_len, char out[WEBHOOK_SIG_MAX]);
/* The Slack-style line for an event (inbox_name may be NULL), into out. */
void webhook_slack_text(const event_row_t *e, const char *inbox_name, buf_t *out);

/* ---- subscriptions ----------------------------------------------------------- */

typedef struct {
    const char *name;   /* NULL = unchanged / "" */
    const char *url;    /* required on create */
    json_t *events;     /* array of patterns; required on create; borrowed */
    const char *format; /* json | slack; NULL = unchanged / json */
    const char *secret; /* NULL = unchanged / generated */
    int active;         /* 1, 0, or -1 = unchanged (create: active) */
    bool rotate_secret; /* update: generate a new secret */
} webhook_fields_t;

/* The store's part, or NULL (logged) when the back end lacks it. */
const store_webhooks_ops_t *webhooks_ops(const app_t *app);

/* Creates a subscription; its cursor starts at the newest event, so it
 * receives what happens from now on. secret_out receives the secret (given or
 * generated) to show once. PARLEY_EINVAL at the field's pointer. */
int webhook_create(app_t *app, const actor_t *by, const webhook_fields_t *in, int64_t *id,
                   char secret_out[WEBHOOK_SECRET_MAX + 1], parley_err_t *err);
/* Changes the given fields; secret_out[0] is set when a new secret was
 * generated (rotate_secret). Re-activating starts from the newest event. */
int webhook_update(app_t *app, const actor_t *by, int64_t id, const webhook_fields_t *in,
                   char secret_out[WEBHOOK_SECRET_MAX + 1], parley_err_t *err);
/* Deletes the subscription and its deliveries. */
int webhook_delete(app_t *app, const actor_t *by, int64_t id, parley_err_t *err);
/* Appends a webhook.test event for this subscription only and queues its
 * delivery now (also when paused); *delivery_id names it. */
int webhook_test(app_t *app, const actor_t *by, int64_t id, int64_t *delivery_id,
                 parley_err_t *err);

/* The subscription as the API shows it: secret masked unless secret_shown. */
json_t *webhook_to_json(const webhook_row_t *w, const char *secret_shown);
json_t *webhook_delivery_to_json(const webhook_delivery_row_t *d);

/* ---- the worker ------------------------------------------------------------- */

typedef struct webhooks webhooks_t;

/* Starts the worker and registers its commit hook; NULL when it cannot. */
webhooks_t *webhooks_start(app_t *app);
/* New events or deliveries: look now. */
void webhooks_poke(webhooks_t *w);
/* Stops and joins the worker (before the store closes). NULL is fine. */
void webhooks_stop(webhooks_t *w);

#endif
