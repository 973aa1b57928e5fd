/*
 * desk.h - the shared vocabulary of the desk modules: a write transaction's
 * context, and the conversation save that keeps counters and events true.
 */
#ifndef PARLEY_DESK_DESK_H
#define PARLEY_DESK_DESK_H

#include <jansson.h>

#include "core/json.h"

#include "desk/app.h"
#include "store/store_desk.h"

/* Everything a change inside one write transaction needs. */
typedef struct {
    app_t *app;
    store_conn_t *c;
    const actor_t *by;
    int64_t now;
    arena_t *arena;
} dtx_t;

static inline const store_desk_ops_t *dtx_ops(const dtx_t *t)
{
    return t->app->store->ops->desk;
}

extern const char *const conv_statuses[];   /* open, pending, snoozed, resolved, NULL */
extern const char *const conv_priorities[]; /* low, medium, high, critical, NULL */

/* Writes cv (created when before is NULL, else updated from before), moves
 * the status/assignee counters, and appends `event` (may be NULL) with
 * payload (stolen). */
int conv_save(dtx_t *t, const conv_row_t *before, conv_row_t *cv, const char *event,
              json_t *payload);
/* Assigns cv to user_id (0 = back to the queue), with its event; frees the
 * previous assignee's capacity for queued work. */
int conv_assign(dtx_t *t, conv_row_t *cv, int64_t user_id, const char *reason);
/* Returns every unresolved conversation of user to the queue and re-routes it
 * (an agent removed or disabled). */
int conv_release_user(dtx_t *t, int64_t account_id, int64_t user_id);

json_t *conv_to_json(const conv_row_t *cv);
/* Appends the JSON text of conv_to_json(cv) to b without building it (lists:
 * building and printing 25 objects was most of an inbox page's time). */
void conv_json_to(buf_t *b, const conv_row_t *cv);
json_t *message_to_json(const message_row_t *m);
/* The same with the analysis tree already at hand (borrowed; NULL: parsed
 * from m->analysis): the ingest path built it, parsing its text back cost a
 * tenth of the writer's time per message. */
json_t *message_to_json_with(const message_row_t *m, json_t *analysis);
/* The same, for a reader who may not see sensitive data (analysts): a public
 * customer message's card numbers, IBANs, e-mails, phones and ids are masked
 * in "body" (and "redacted": true is set). */
json_t *message_to_json_for(const message_row_t *m, bool may_see_pii);
/* Appends the JSON text of message_to_json_for(m, may_see_pii) to b without
 * building it: the stored JSON columns (analysis, attachments, mentions) are
 * copied as written. For long timelines, where parsing and re-printing every
 * message's analysis was most of the answer's time. */
void message_json_to(buf_t *b, const message_row_t *m, bool may_see_pii);
/* Runs fn(t, ctx) in one write transaction with a fresh arena. */
int desk_write(app_t *app, const actor_t *by, int (*fn)(dtx_t *t, void *ctx), void *ctx);

#endif
