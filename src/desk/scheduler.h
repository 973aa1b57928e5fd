/*
 * scheduler.h - the desk's clock-driven work: waking snoozed conversations
 * at their time, SLA deadlines, and each account's weekly digest.
 *
 * One thread sleeps until the earliest due time it knows of, or until a
 * change pokes it; it never sweeps on a period. The database index on
 * snoozed_until is its ordered queue, so nothing is lost across restarts.
 */
#ifndef PARLEY_DESK_SCHEDULER_H
#define PARLEY_DESK_SCHEDULER_H

#include "desk/app.h"

typedef struct scheduler scheduler_t;

scheduler_t *scheduler_start(app_t *app);
/* Something due may have changed (a snooze was set): re-read the next due time. */
void scheduler_poke(scheduler_t *s);
/* Account's next digest is due at `due` (ms; 0 = none): replaces its plan. */
void scheduler_digest_plan(scheduler_t *s, int64_t account_id, int64_t due);
void scheduler_stop(scheduler_t *s);

#endif
