/*
 * store_webhooks.h - the store's part for outbound webhooks: subscriptions
 * (with their sealed secret and their cursor in the event log) and one
 * delivery row per (subscription, event) with its attempts.
 *
 * Operations a person calls are scoped by account_id (another account's row
 * is PARLEY_ENOENT). The worker's operations (behind, due, next_due) span
 * every account: the worker serves them all. Rules belong to desk/webhooks.c.
 */
#ifndef PARLEY_STORE_STORE_WEBHOOKS_H
#define PARLEY_STORE_STORE_WEBHOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

typedef struct {
    int64_t id, account_id;
    const char *name, *url;
    const char *events; /* JSON array of patterns, compact */
    const char *format; /* json | slack */
    const void *secret; /* sealed blob (desk opens it) */
    size_t secret_len;
    bool active;
    int64_t last_event_id; /* the dispatcher's cursor */
    int64_t created_at, updated_at;
} webhook_row_t;

typedef struct {
    int64_t id, account_id, subscription_id, event_id;
    const char *event_type;
    const char *status; /* pending | sent | failed (will retry) | dead */
    int64_t attempts;
    int64_t next_attempt_at, last_attempt_at; /* ms, 0 = none */
    int64_t last_status;                      /* HTTP status, 0 = no answer */
    const char *last_error;                   /* NULL = none */
    int64_t created_at;
} webhook_delivery_row_t;

typedef struct store_webhooks_ops {
    /* ---- subscriptions ---- */
    int (*create)(store_conn_t *c, const webhook_row_t *w, int64_t *id);
    int (*get)(store_conn_t *c, int64_t account_id, int64_t id, arena_t *a, webhook_row_t *out);
    int (*list)(store_conn_t *c, const page_t *p, arena_t *a, webhook_row_t **out, int *n);
    int (*count)(store_conn_t *c, int64_t account_id, int64_t *n);
    /* Writes name, url, events, format, secret, active, last_event_id, updated_at. */
    int (*update)(store_conn_t *c, const webhook_row_t *w);
    /* Deletes the subscription and its deliveries. */
    int (*remove)(store_conn_t *c, int64_t account_id, int64_t id);
    /* Active subscriptions (every account) whose cursor is below head, by id. */
    int (*behind)(store_conn_t *c, int64_t head, int limit, arena_t *a, webhook_row_t **out,
                  int *n);
    /* Moves the cursor from `from` to `to`; PARLEY_ECONFLICT when it was not at `from`. */
    int (*advance)(store_conn_t *c, int64_t id, int64_t from, int64_t to);

    /* ---- deliveries ---- */
    /* Inserts a pending delivery due at next_attempt_at; *id = 0 when the
     * (subscription, event) pair already has one (never a second). */
    int (*delivery_create)(store_conn_t *c, const webhook_delivery_row_t *d, int64_t *id);
    int (*delivery_get)(store_conn_t *c, int64_t id, arena_t *a, webhook_delivery_row_t *out);
    /* Writes status, attempts, next_attempt_at, last_attempt_at, last_status, last_error. */
    int (*delivery_update)(store_conn_t *c, const webhook_delivery_row_t *d);
    /* Pending or failed deliveries due at or before now, of active
     * subscriptions (webhook.test ones whatever the state), oldest first. */
    int (*delivery_due)(store_conn_t *c, int64_t now, int limit, arena_t *a,
                        webhook_delivery_row_t **out, int *n);
    /* The earliest next_attempt_at among those (0 = none). */
    int (*delivery_next_due)(store_conn_t *c, int64_t *at);
    /* Newest first: p->after_id = 0 starts at the newest, else rows with id <
     * after_id. status NULL = all. */
    int (*delivery_list)(store_conn_t *c, const page_t *p, int64_t subscription_id,
                         const char *status, arena_t *a, webhook_delivery_row_t **out, int *n);

    /* ---- the log, as the dispatcher reads it ---- */
    /* Events of account after after_id, by id, up to limit. */
    int (*events_after)(store_conn_t *c, int64_t account_id, int64_t after_id, int limit,
                        arena_t *a, event_row_t **out, int *n);
    int (*event_get)(store_conn_t *c, int64_t account_id, int64_t id, arena_t *a, event_row_t *out);
} store_webhooks_ops_t;

#endif
