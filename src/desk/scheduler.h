/*
 * scheduler.h - the desk's clock-driven work: waking snoozed conversations
 * at their time (and, later, SLA deadlines and digests).
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
void scheduler_stop(scheduler_t *s);

#endif
