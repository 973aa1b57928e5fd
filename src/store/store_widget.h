/*
 * store_widget.h - the store's part for the website chat widget: visitors of
 * web inboxes (their secret, hashed) and what a visitor may read of their own
 * conversations.
 *
 * Owns the one rule of visitor privacy at the data level: a visitor reads
 * only conversations holding their own messages (external ids starting with
 * their key), only their own inbound messages and our non-internal outbound
 * ones, never notes. The rules above it belong to src/http/h_widget.c.
 */
#ifndef PARLEY_STORE_STORE_WIDGET_H
#define PARLEY_STORE_STORE_WIDGET_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

typedef struct {
    int64_t id, account_id, inbox_id;
    const char *visitor_key; /* the author's external id: web:<id>, web:verified:<id> */
    const char *token_hash;  /* SHA-256 hex of the visitor token */
    bool verified;
    int64_t created_at;
} widget_visitor_row_t;

/* A message as a visitor sees it. */
typedef struct {
    int64_t id, conversation_id;
    const char *direction; /* in | out */
    const char *kind;      /* message | reply | bot | auto | survey */
    const char *author_kind;
    const char *author_name; /* the agent's name for user replies, else NULL */
    const char *body, *attachments;
    int64_t created_at;
} widget_message_row_t;

typedef struct store_widget_ops {
    int (*visitor_get)(store_conn_t *c, int64_t inbox_id, const char *visitor_key, arena_t *a,
                       widget_visitor_row_t *out);
    /* PARLEY_EEXIST when the inbox already has this visitor key. */
    int (*visitor_create)(store_conn_t *c, const widget_visitor_row_t *in, int64_t *id);
    int (*visitor_delete)(store_conn_t *c, int64_t id);
    /* What the visitor whose messages carry external ids starting with
     * `prefix` ("<visitor_key>:") may read in inbox_id after message after_id,
     * oldest first. */
    int (*visitor_messages)(store_conn_t *c, int64_t inbox_id, const char *prefix, int64_t after_id,
                            int limit, arena_t *a, widget_message_row_t **out, int *n);
    /* The ids of the visitor's conversations (at most cap, newest first). */
    int (*visitor_conversations)(store_conn_t *c, int64_t inbox_id, const char *prefix, int cap,
                                 arena_t *a, int64_t **ids, int *n);
} store_widget_ops_t;

#endif
