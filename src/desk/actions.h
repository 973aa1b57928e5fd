/*
 * actions.h - what agents do to conversations: reply, note (with @mentions),
 * assign and take over, change status / priority / labels, snooze, presence.
 *
 * Each action is one transaction with its events; the collision guard and
 * the optimistic version check live here, so every interface (API, console,
 * CLI) gets the same answers.
 */
#ifndef PARLEY_DESK_ACTIONS_H
#define PARLEY_DESK_ACTIONS_H

#include "desk/analyze.h"
#include "desk/desk.h"
#include "desk/users.h"

typedef struct {
    bool note; /* internal note instead of a reply */
    const char *body;
    bool takeover; /* reply although a colleague holds the conversation */
    bool offline;  /* "take it offline": a public invitation to a private channel;
                      the private conversation that follows is linked to this one */
} post_in_t;

typedef struct {
    int64_t message_id;
    voice_finding_t findings[ANALYSIS_MAX_VOICE];
    size_t n_findings;
    bool blocked; /* voice/PII refused the reply: findings say why (422) */
} post_out_t;

/* Posts a reply or a note. PARLEY_ECONFLICT when the conversation is held by
 * someone else (no takeover) or resolved; PARLEY_EINVAL when blocked. */
int desk_post_message(app_t *app, const actor_t *by, int64_t conversation_id, const post_in_t *in,
                      post_out_t *out, parley_err_t *err);

/* Applies {"status","snoozed_until","priority","team_id","labels_add","labels_remove",
 * "version"} to a conversation. A stale version is PARLEY_ECONFLICT. */
int desk_update_conversation(app_t *app, const actor_t *by, int64_t conversation_id, json_t *patch,
                             parley_err_t *err);

/* Assigns to user_id (0 = back to the queue). Agents may only take or release
 * work for themselves; supervisors assign anyone active in the account. */
int desk_assign(app_t *app, const actor_t *by, role_t role, int64_t conversation_id,
                int64_t user_id, bool takeover, parley_err_t *err);

/* Records that by is viewing / typing in / has left a conversation. */
int desk_presence(app_t *app, const actor_t *by, int64_t conversation_id, const char *state,
                  parley_err_t *err);

/* Wakes snoozed conversations whose time has come (the scheduler calls it). */
int desk_wake_due(app_t *app, int64_t *next_due);

#endif
