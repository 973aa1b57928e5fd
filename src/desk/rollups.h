/*
 * rollups.h - report rollups maintained from the event stream.
 *
 * Owns the translation of desk events (conversation.*, message.created,
 * sla.met / sla.breached, survey.answered, presence.*) into rollup rows, histogram
 * samples and per-conversation report state, written in the transaction of
 * the event itself (desk_event calls rollup_on_event). Never reads the
 * conversation or message tables: the event payloads and the report state
 * are everything, so a replay of the event log gives the same rows
 * (`parley reports verify`). The metric definitions are DOMAIN.md's.
 */
#ifndef PARLEY_DESK_ROLLUPS_H
#define PARLEY_DESK_ROLLUPS_H

#include <jansson.h>

#include "desk/app.h"
#include "store/store_reports.h"

/* Presence beats of one agent at most this far apart count as active
 * handling time (the console beats every 30 s while it is focused). */
#define ROLLUP_IDLE_MS 90000

/* Where the rollups are written and where inboxes and calendars are read
 * (the same connection live; the source database in a verification replay). */
typedef struct {
    const app_t *app;     /* inbox channels and calendars are read through its store */
    store_conn_t *lookup; /* connection for those reads */
    store_conn_t *c;      /* connection written */
    const struct store_reports_ops *ops;
} rollup_ctx_t;

/* Applies one event (type, at, payload) of account to the report tables. */
int rollup_apply(const rollup_ctx_t *x, int64_t account_id, const char *type, int64_t at,
                 json_t *payload);

/* The hook of desk_event: the event e about to be appended at `at`, inside
 * the writer transaction c. A no-op for events reports do not read. */
int rollup_on_event(store_conn_t *c, const app_t *app, const event_new_t *e, int64_t at);

/* At start: with the `rollups` setting off, stamps the report tables stale
 * (report_state) and warns; with it on, warns when they are still stale from
 * an earlier run. `parley reports rebuild` clears the stamp. */
int rollup_start(app_t *app);

#endif
