/*
 * store_desk.h - the desk's tables behind store_ops_t.desk: inboxes, contacts
 * and identities, conversations (with labels and counters), messages, search,
 * notifications, the outbox, and what the router needs to know of agents.
 *
 * Writes take the writer connection handed to a store_write() callback;
 * reads any connection. Strings of returned rows live in the caller's arena.
 */
#ifndef PARLEY_STORE_STORE_DESK_H
#define PARLEY_STORE_STORE_DESK_H

#include "store/store.h"

typedef struct {
    int64_t id, account_id;
    const char *name, *channel;
    const void *settings; /* sealed blob (desk decrypts) */
    size_t settings_len;
    const char *policy; /* manual | round_robin | least_loaded */
    bool sticky;
    int64_t team_id; /* 0 = none */
    int64_t reopen_days;
    const char *hours; /* calendar JSON or NULL */
    int64_t created_at, updated_at, deleted_at;
} inbox_row_t;

typedef struct {
    int64_t id, account_id;
    const char *name, *email, *phone, *notes, *attributes;
    int64_t merged_into, last_agent_id, created_at, updated_at;
} contact_row_t;

typedef struct {
    int64_t id, account_id, contact_id;
    const char *channel, *external_id, *handle;
    int64_t followers;
    bool verified;
    int64_t created_at;
} identity_row_t;

typedef struct {
    int64_t id, account_id, inbox_id, contact_id;
    const char *status; /* open | pending | snoozed | resolved */
    int64_t snoozed_until;
    int priority; /* 0 low .. 3 critical */
    int64_t assignee_id, team_id;
    const char *visibility; /* public | private */
    const char *external_thread_id, *subject;
    int64_t opened_at, first_reply_at, waiting_since, resolved_at, last_message_at;
    int64_t version, created_at, updated_at;
    int64_t linked_id;  /* the public/private counterpart after "take it offline", 0 = none */
    int64_t offline_at; /* when a public conversation was taken offline, 0 = never */
} conv_row_t;

typedef struct {
    int64_t id, account_id, conversation_id, inbox_id;
    const char *direction;  /* in | out */
    const char *kind;       /* message | reply | note | bot | auto | survey */
    const char *visibility; /* public | private | internal */
    const char *author_kind;
    int64_t author_id;
    const char *body, *external_id, *attachments, *mentions, *analysis, *delivery_status;
    int64_t created_at;
} message_row_t;

/* GET /conversations filters; zero/NULL = not filtered. */
typedef struct {
    int64_t account_id;
    const char *status;
    enum { ASSIGNEE_ANY, ASSIGNEE_NONE, ASSIGNEE_USER } assignee;
    int64_t assignee_id;
    int64_t inbox_id, team_id, label_id;
    int priority; /* -1 = any */
    const char *visibility;
    /* cursor: the last row of the previous page */
    bool has_cursor;
    int cur_priority;
    int64_t cur_wait, cur_id;
    int limit;
} conv_filter_t;

/* An agent as the router sees one. */
typedef struct {
    int64_t user_id;
    const char *availability;
    int64_t capacity, load, last_assigned_at;
} agent_row_t;

typedef struct {
    int64_t message_id, conversation_id;
    const char *body;    /* from the store */
    const char *snippet; /* filled by the desk's ranking (desk/search.h) */
    double rank;         /* idem: BM25 score, higher is better */
} search_hit_t;

typedef struct {
    int64_t id, account_id, message_id, inbox_id;
    const char *status; /* pending | sending | sent | failed | dead */
    int64_t attempts, next_attempt_at;
    const char *last_error;
    int64_t attempt_started_at; /* when the newest attempt began (0 = never) */
    const char *idem_key;       /* fixed on the first attempt, reused by every resend */
    bool possible_duplicate;    /* resent after an interruption the platform cannot see */
} outbox_row_t;

typedef struct store_desk_ops {
    int (*inbox_create)(store_conn_t *c, const inbox_row_t *in, int64_t *id);
    int (*inbox_get)(store_conn_t *c, int64_t account_id, int64_t id, arena_t *a, inbox_row_t *out);
    /* By id alone (webhooks arrive before any account is known). */
    int (*inbox_get_any)(store_conn_t *c, int64_t id, arena_t *a, inbox_row_t *out);
    int (*inbox_list)(store_conn_t *c, const page_t *p, arena_t *a, inbox_row_t **out, int *n);
    int (*inbox_update)(store_conn_t *c, const inbox_row_t *in);

    int (*contact_create)(store_conn_t *c, const contact_row_t *in, int64_t *id);
    int (*contact_get)(store_conn_t *c, int64_t account_id, int64_t id, arena_t *a,
                       contact_row_t *out);
    int (*contact_list)(store_conn_t *c, const page_t *p, arena_t *a, contact_row_t **out, int *n);
    int (*contact_update)(store_conn_t *c, const contact_row_t *in);
    /* Rewrites the contact's search document (name, email, phone, handles). */
    int (*contact_index)(store_conn_t *c, int64_t id);
    int (*contact_search)(store_conn_t *c, int64_t account_id, const char *fts_query, int limit,
                          arena_t *a, contact_row_t **out, int *n);
    /* Moves identities and conversations of `from` to `into`, marks `from` merged. */
    int (*contact_merge)(store_conn_t *c, int64_t account_id, int64_t into, int64_t from,
                         int64_t now);

    int (*identity_find)(store_conn_t *c, int64_t account_id, const char *channel,
                         const char *external_id, arena_t *a, identity_row_t *out);
    int (*identity_create)(store_conn_t *c, const identity_row_t *in, int64_t *id);
    int (*identity_update)(store_conn_t *c, const identity_row_t *in);
    int (*identity_list)(store_conn_t *c, int64_t contact_id, arena_t *a, identity_row_t **out,
                         int *n);

    int (*conv_create)(store_conn_t *c, const conv_row_t *in, int64_t *id);
    int (*conv_get)(store_conn_t *c, int64_t account_id, int64_t id, arena_t *a, conv_row_t *out);
    /* The newest conversation of contact in inbox with this visibility and thread. */
    int (*conv_find_thread)(store_conn_t *c, int64_t inbox_id, int64_t contact_id,
                            const char *visibility, const char *thread, arena_t *a,
                            conv_row_t *out);
    /* Writes every mutable column and bumps version. */
    /* Writes in over the row as it was read (before; NULL: not known, every
     * column is written). */
    int (*conv_update)(store_conn_t *c, const conv_row_t *before, const conv_row_t *in);
    int (*conv_list)(store_conn_t *c, const conv_filter_t *f, arena_t *a, conv_row_t **out, int *n);
    int (*conv_of_contact)(store_conn_t *c, int64_t contact_id, int limit, arena_t *a,
                           conv_row_t **out, int *n);
    /* The oldest highest-priority unassigned open conversations an agent may take. */
    int (*conv_queue_for)(store_conn_t *c, int64_t account_id, int64_t user_id, int limit,
                          arena_t *a, conv_row_t **out, int *n);
    /* Open or pending conversations assigned to user (to hand back on removal). */
    int (*conv_assigned_to)(store_conn_t *c, int64_t account_id, int64_t user_id, int limit,
                            arena_t *a, conv_row_t **out, int *n);
    int (*conv_snoozed)(store_conn_t *c, int limit, arena_t *a, conv_row_t **out, int *n);
    /* The contact's newest public conversation taken offline and not yet linked. */
    int (*conv_offline_unlinked)(store_conn_t *c, int64_t contact_id, arena_t *a, conv_row_t *out);
    /* Deliveries of the account by status (NULL = any), newest first, after a cursor. */
    int (*outbox_list)(store_conn_t *c, int64_t account_id, const char *status, int64_t before_id,
                       int limit, arena_t *a, outbox_row_t **out, int *n);
    int (*outbox_get)(store_conn_t *c, int64_t account_id, int64_t id, arena_t *a,
                      outbox_row_t *out);
    int (*conv_labels)(store_conn_t *c, int64_t conversation_id, arena_t *a, const char ***names,
                       int *n);
    int (*conv_label_add)(store_conn_t *c, int64_t account_id, int64_t conversation_id,
                          int64_t label_id);
    int (*conv_label_remove)(store_conn_t *c, int64_t conversation_id, int64_t label_id);
    int (*label_find)(store_conn_t *c, int64_t account_id, const char *name, int64_t *id);

    int (*message_create)(store_conn_t *c, const message_row_t *in, int64_t *id);
    int (*message_get)(store_conn_t *c, int64_t account_id, int64_t id, arena_t *a,
                       message_row_t *out);
    int (*message_by_external)(store_conn_t *c, int64_t inbox_id, const char *external_id,
                               arena_t *a, message_row_t *out);
    int (*message_list)(store_conn_t *c, int64_t conversation_id, int64_t after_id, int limit,
                        arena_t *a, message_row_t **out, int *n);
    /* The newest `limit` messages of every conversation of the contact, oldest first. */
    int (*message_timeline)(store_conn_t *c, int64_t contact_id, int limit, arena_t *a,
                            message_row_t **out, int *n);
    int (*message_set_delivery)(store_conn_t *c, int64_t id, const char *status,
                                const char *external_id);
    /* The newest messages (at most limit, newest first) matching fts_query
     * (FTS5 syntax) whose conversation passes f: the candidates the desk ranks. */
    int (*message_search)(store_conn_t *c, int64_t account_id, const char *fts_query,
                          const conv_filter_t *f, int limit, arena_t *a, search_hit_t **out,
                          int *n);

    int (*counter_add)(store_conn_t *c, int64_t account_id, const char *key, int64_t delta);
    int (*counter_get)(store_conn_t *c, int64_t account_id, const char *key, int64_t *value);
    /* Every counter of the account whose key starts with prefix. */
    int (*counter_list)(store_conn_t *c, int64_t account_id, const char *prefix, arena_t *a,
                        const char ***keys, int64_t **values, int *n);

    /* Active, online agents of the account (of team_id when non-zero) with their
     * load: the ones the router may pick. */
    int (*agents_for)(store_conn_t *c, int64_t account_id, int64_t team_id, arena_t *a,
                      agent_row_t **out, int *n);
    int (*agent_assigned)(store_conn_t *c, int64_t account_id, int64_t user_id, int64_t now);

    int (*notification_create)(store_conn_t *c, int64_t account_id, int64_t user_id,
                               const char *kind, int64_t conversation_id, int64_t message_id,
                               int64_t now, int64_t *id);
    int (*outbox_create)(store_conn_t *c, int64_t account_id, int64_t message_id, int64_t inbox_id,
                         int64_t now, int64_t *id);
    /* Pending deliveries due at now, oldest first, leaving out the inboxes whose
     * ids are in skip_inboxes (a JSON array text; NULL = none). */
    int (*outbox_due)(store_conn_t *c, int64_t now, const char *skip_inboxes, int limit, arena_t *a,
                      outbox_row_t **out, int *n);
    /* The earliest next_attempt_at of a pending delivery outside skip_inboxes, 0 when none. */
    int (*outbox_next_due)(store_conn_t *c, const char *skip_inboxes, int64_t *at);
    /* Deliveries of every account in status 'sending' (interrupted when read at start-up). */
    int (*outbox_sending)(store_conn_t *c, int limit, arena_t *a, outbox_row_t **out, int *n);
    int (*outbox_update)(store_conn_t *c, const outbox_row_t *in);
    /* The newest inbound message of a conversation (what a reply answers). */
    int (*message_latest_inbound)(store_conn_t *c, int64_t conversation_id, arena_t *a,
                                  message_row_t *out);
} store_desk_ops_t;

#endif
