/*
 * store.h - the database interface every layer above talks to.
 *
 * A store_t is a back end (SQLite today; PostgreSQL is the same table of
 * function pointers) chosen at open time. Reads run on a connection owned by
 * the calling thread; writes run inside store_write(), which serialises them
 * on the one writer connection and wraps them in a transaction: the callback's
 * changes and the events it appends commit together or not at all.
 *
 * The store knows no HTTP and no channel. Rows are returned as plain structs
 * whose strings live in the caller's arena.
 */
#ifndef PARLEY_STORE_STORE_H
#define PARLEY_STORE_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"

typedef struct store store_t;
typedef struct store_conn store_conn_t;

/* ---- rows ---------------------------------------------------------------- */

typedef struct {
    int64_t id;
    const char *name;
    int64_t created_at;
} account_row_t;

typedef struct {
    int64_t id, account_id;
    const char *email, *name, *role, *status, *availability, *password_hash;
    bool must_change_password;
    int64_t capacity, created_at, updated_at;
} user_row_t;

typedef struct {
    const char *token_hash;
    int64_t account_id, user_id, created_at, last_seen_at;
} session_row_t;

typedef struct {
    int64_t id, account_id, user_id;
    const char *name;
    int64_t created_at, last_used_at, revoked_at; /* 0 = never */
} token_row_t;

typedef struct {
    int64_t id, account_id, at;
    const char *actor_kind;
    int64_t actor_id;
    const char *type, *subject_kind;
    int64_t subject_id;
    const char *payload; /* compact JSON, sorted keys */
    const char *prev_hash, *hash;
} event_row_t;

/* What an event is about, given by the writer; id, hashes and `at` are filled in. */
typedef struct {
    int64_t account_id;
    const char *actor_kind; /* "user", "token", "system", "cli" */
    int64_t actor_id;
    const char *type; /* "user.created", ... */
    const char *subject_kind;
    int64_t subject_id;
    json_t *payload; /* borrowed; NULL = {} */
} event_new_t;

typedef struct {
    int64_t account_id;
    const char *type;         /* exact type or prefix ending in '.', NULL = all */
    const char *subject_kind; /* NULL = all */
    int64_t subject_id;       /* 0 = all */
    int64_t after_id;         /* cursor */
    int64_t since, until;     /* ms, 0 = open */
    int limit;
} event_filter_t;

typedef struct {
    int64_t account_id;
    int64_t after_id;
    int limit;
} page_t;

/* ---- the back-end table -------------------------------------------------- */

struct store_desk_ops;    /* store_desk.h: inboxes, contacts, conversations, messages */
struct store_catalog_ops; /* store_catalog.h: teams, labels, canned responses */

typedef struct store_ops {
    const char *name;
    void (*close)(store_t *st);
    int (*ping)(store_t *st);
    int (*schema_version)(store_t *st, int *version);
    /* The calling thread's read connection (opened on first use). */
    store_conn_t *(*reader)(store_t *st);
    /* Runs fn on the writer inside one transaction; commits when fn returns 0. */
    int (*write)(store_t *st, int (*fn)(store_conn_t *c, void *ctx), void *ctx);

    int (*account_create)(store_conn_t *c, const char *name, int64_t now, int64_t *id);
    int (*account_get)(store_conn_t *c, int64_t id, arena_t *a, account_row_t *out);

    int (*user_create)(store_conn_t *c, const user_row_t *u, int64_t *id);
    int (*user_get)(store_conn_t *c, int64_t account_id, int64_t id, arena_t *a, user_row_t *out);
    int (*user_get_by_email)(store_conn_t *c, const char *email, arena_t *a, user_row_t *out);
    int (*user_list)(store_conn_t *c, const page_t *p, arena_t *a, user_row_t **out, int *n);
    /* Writes every column but id/account_id/created_at from u. */
    int (*user_update)(store_conn_t *c, const user_row_t *u);
    int (*user_count)(store_conn_t *c, int64_t *n);

    int (*session_create)(store_conn_t *c, const session_row_t *s);
    int (*session_get)(store_conn_t *c, const char *token_hash, arena_t *a, session_row_t *out);
    int (*session_touch)(store_conn_t *c, const char *token_hash, int64_t now);
    int (*session_delete)(store_conn_t *c, const char *token_hash);
    int (*session_delete_user)(store_conn_t *c, int64_t user_id);

    int (*token_create)(store_conn_t *c, const token_row_t *t, const char *token_hash, int64_t *id);
    int (*token_get_by_hash)(store_conn_t *c, const char *token_hash, arena_t *a, token_row_t *out);
    int (*token_list)(store_conn_t *c, const page_t *p, arena_t *a, token_row_t **out, int *n);
    int (*token_revoke)(store_conn_t *c, int64_t account_id, int64_t id, int64_t now);
    int (*token_touch)(store_conn_t *c, int64_t id, int64_t now);

    /* Appends to the hash chain; at is the event time. */
    int (*event_append)(store_conn_t *c, const event_new_t *e, int64_t at, int64_t *id);
    int (*event_list)(store_conn_t *c, const event_filter_t *f, arena_t *a, event_row_t **out,
                      int *n);
    /* Calls fn for every event in id order until it returns non-zero. */
    int (*event_walk)(store_conn_t *c, int (*fn)(const event_row_t *e, void *ctx), void *ctx);
    /* The id of the newest event (0 when none). */
    int (*event_last_id)(store_conn_t *c, int64_t *id);

    const struct store_desk_ops *desk;
    const struct store_catalog_ops *catalog;
    const struct store_sla_ops *sla;           /* store_sla.h: calendars, SLA policies and clocks */
    const struct store_widget_ops *widget;     /* store_widget.h: website chat visitors */
    const struct store_reports_ops *reports;   /* store_reports.h: rollups, report state */
    const struct store_webhooks_ops *webhooks; /* store_webhooks.h: outbound webhooks */
    const struct store_digest_ops *digest;     /* store_digest.h: account settings, digests, mail */
} store_ops_t;

struct store {
    const store_ops_t *ops;
};

/* Opens (creating if needed) and migrates the SQLite database at path.
 * A database written by a newer Parley is refused with PARLEY_EVERSION. */
int store_open_sqlite(const char *path, store_t **out, parley_err_t *err);
/* Called after every commit that appended events (from the committing
 * thread; keep it short: wake readers, do not write). */
void store_set_commit_hook(store_t *st, void (*fn)(void *arg), void *arg);
/* Several readers (live stream, outbound webhooks, ...) each add their own
 * hook; arg identifies it for removal. PARLEY_ELIMIT when all slots are used. */
#define STORE_MAX_HOOKS 8
int store_add_commit_hook(store_t *st, void (*fn)(void *arg), void *arg);
void store_remove_commit_hook(store_t *st, void *arg);
/* The highest migration this binary knows. */
int store_latest_version(void);

static inline void store_close(store_t *st)
{
    if (st) st->ops->close(st);
}

/* The canonical text an event's hash covers (compact JSON array), into buf. */
#include "core/str.h"
void store_event_canonical(const event_row_t *e, buf_t *out);
/* hash = SHA-256(prev_hash || canonical) in hex. */
void store_event_hash(const event_row_t *e, char out[65]);

#endif
