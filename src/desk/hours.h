/*
 * hours.h - business-hours calendars of an account (admins write, everyone
 * reads), their assignment to inboxes, and what an inbox publishes about its
 * service: hours and promised response window.
 *
 * The arithmetic is core/bhours; this module owns the stored calendars and
 * their rules (unique names, valid calendars, no deleting one in use).
 */
#ifndef PARLEY_DESK_HOURS_H
#define PARLEY_DESK_HOURS_H

#include "core/bhours.h"
#include "desk/desk.h"
#include "store/store_sla.h"

#define HOURS_NAME_MAX 100 /* bytes */

/* Creates a calendar from {"name", "timezone", "weekly", "holidays"}; field
 * errors carry the JSON pointer of the body (e.g. "/weekly/tue/1/0"). */
int hours_create(app_t *app, const actor_t *by, json_t *body, int64_t *id, parley_err_t *err);
/* Applies {"name"} and/or a whole new calendar ("timezone" and "weekly"
 * together, "holidays" optional). */
int hours_update(app_t *app, const actor_t *by, int64_t id, json_t *body, parley_err_t *err);
/* Refused (PARLEY_ECONFLICT) while a live inbox uses it. */
int hours_delete(app_t *app, const actor_t *by, int64_t id, parley_err_t *err);
json_t *hours_to_json(const bh_row_t *r);

/* The parsed calendar of an inbox (NULL: around the clock, or none stored);
 * free with bh_calendar_free. */
bh_calendar_t *hours_of_inbox(const app_t *app, store_conn_t *c, int64_t account_id,
                              int64_t inbox_id, arena_t *a);

/* What GET /inboxes/{id}/service-hours answers for the inbox (any account:
 * it is public); PARLEY_ENOENT when there is no such live inbox. */
int hours_service_json(app_t *app, int64_t inbox_id, json_t **out);

#endif
