/*
 * store_catalog.h - the store's part for the desk's catalog: teams and their
 * members, labels, canned responses, and the context a canned response is
 * rendered against.
 *
 * Every operation is scoped by account_id: a row of another account is
 * PARLEY_ENOENT, never visible. Rows are plain structs whose strings live in
 * the caller's arena. Rules (who may, what is valid) belong to desk/catalog.c.
 */
#ifndef PARLEY_STORE_STORE_CATALOG_H
#define PARLEY_STORE_STORE_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

typedef struct {
    int64_t id, account_id;
    const char *name;
    int64_t member_count; /* filled by get/list */
    int64_t created_at;
} team_row_t;

typedef struct {
    int64_t user_id;
    const char *name, *email, *availability, *status;
} team_member_row_t;

typedef struct {
    int64_t id, account_id;
    const char *name, *color; /* color: "#rrggbb" */
    int64_t created_at;
} label_row_t;

typedef struct {
    int64_t id, account_id;
    const char *title, *short_code, *body;
    int64_t created_by; /* user id, 0 = unknown */
    int64_t created_at, updated_at;
} canned_row_t;

/* What a canned response is rendered against: one conversation of the account. */
typedef struct {
    int64_t conversation_id;
    const char *contact_name; /* "" when the contact has none */
    const char *inbox_name;
} canned_context_t;

typedef struct store_catalog_ops {
    /* ---- teams ---- */
    int (*team_create)(store_conn_t *c, const team_row_t *t, int64_t *id);
    int (*team_get)(store_conn_t *c, int64_t account_id, int64_t id, arena_t *a, team_row_t *out);
    int (*team_list)(store_conn_t *c, const page_t *p, arena_t *a, team_row_t **out, int *n);
    /* Writes name; PARLEY_ENOENT when no such team, PARLEY_EEXIST when taken. */
    int (*team_update)(store_conn_t *c, const team_row_t *t);
    /* Live (not deleted) inboxes routing to the team. */
    int (*team_inbox_count)(store_conn_t *c, int64_t account_id, int64_t id, int64_t *n);
    /* Deletes the team and its memberships. Conversations and deleted inboxes
     * that pointed at it lose their team (conversations get a new version);
     * *detached counts the conversations. PARLEY_ENOENT when no such team. */
    int (*team_delete)(store_conn_t *c, int64_t account_id, int64_t id, int64_t now,
                       int64_t *detached);
    /* Every member (active or not), by user id; *out in a. */
    int (*team_members_list)(store_conn_t *c, int64_t account_id, int64_t team_id, arena_t *a,
                             team_member_row_t **out, int *n);
    /* Replaces the member list with user_ids[0..n) (checked by the caller). */
    int (*team_members_replace)(store_conn_t *c, int64_t account_id, int64_t team_id,
                                const int64_t *user_ids, size_t n);

    /* ---- labels ---- */
    int (*label_create)(store_conn_t *c, const label_row_t *l, int64_t *id);
    int (*label_get)(store_conn_t *c, int64_t account_id, int64_t id, arena_t *a, label_row_t *out);
    int (*label_list)(store_conn_t *c, const page_t *p, arena_t *a, label_row_t **out, int *n);
    /* Writes name and color. */
    int (*label_update)(store_conn_t *c, const label_row_t *l);
    /* Deletes the label (conversation_labels follow by ON DELETE CASCADE);
     * *conversations counts the conversations it is removed from. */
    int (*label_delete)(store_conn_t *c, int64_t account_id, int64_t id, int64_t *conversations);

    /* ---- canned responses ---- */
    int (*canned_create)(store_conn_t *c, const canned_row_t *r, int64_t *id);
    int (*canned_get)(store_conn_t *c, int64_t account_id, int64_t id, arena_t *a,
                      canned_row_t *out);
    /* q (NULL = all) keeps rows whose short_code starts with q or whose title
     * contains it (ASCII case-insensitive). */
    int (*canned_list)(store_conn_t *c, const page_t *p, const char *q, arena_t *a,
                       canned_row_t **out, int *n);
    /* Writes title, short_code, body and updated_at. */
    int (*canned_update)(store_conn_t *c, const canned_row_t *r);
    int (*canned_delete)(store_conn_t *c, int64_t account_id, int64_t id);
    /* The conversation (of the account) with its contact and inbox. */
    int (*canned_context)(store_conn_t *c, int64_t account_id, int64_t conversation_id, arena_t *a,
                          canned_context_t *out);
} store_catalog_ops_t;

#endif
