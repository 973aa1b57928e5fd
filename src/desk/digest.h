/*
 * digest.h - the account's time zone and the weekly digest's sending.
 *
 * Owns the account settings (IANA time zone, digest on/off, e-mail on/off,
 * recipients, the e-mail inbox that sends notices), the calendar of digests
 * (Monday 08:00 in the account's zone, DST correct: the local wall time is
 * found again after each change of offset), and sending one: the report of
 * the previous local week (desk/reports.c) becomes a `report.digest` event
 * (which outbound webhooks subscribed to it deliver; the Slack format makes
 * it one line) and, when e-mail is on, one message per recipient through
 * desk/mailer.c with the HTML page as its body. A digest is sent once per
 * (account, ISO week): the record and the event commit together, so a
 * restart at 08:00 never sends twice. The scheduler (desk/scheduler.c) keeps
 * the due times; this module never sleeps.
 */
#ifndef PARLEY_DESK_DIGEST_H
#define PARLEY_DESK_DIGEST_H

#include <jansson.h>
#include <stdint.h>

#include "core/tzfile.h"
#include "desk/app.h"
#include "store/store_digest.h"

#define DIGEST_WEEKDAY   0 /* Monday (0 = Monday .. 6 = Sunday) */
#define DIGEST_HOUR      8 /* 08:00 local */
#define DIGEST_RETRY_MS  60000
#define DIGEST_MAX_RCPTS 200

/* ---- local time (pure, unit tested) ---------------------------------------- */

/* The instant (s) at which the wall clock of z shows local_s (seconds since
 * 1970-01-01 00:00 local). A time skipped by a forward change is taken after
 * the change (02:30 on a spring-forward night is 03:30); a time shown twice
 * (autumn) is its first occurrence. */
int64_t digest_local_to_utc(const tz_zone_t *z, int64_t local_s);
/* The first Monday 08:00 of z strictly after t (ms); and the last at or before t. */
int64_t digest_due_after(const tz_zone_t *z, int64_t t_ms);
int64_t digest_due_at_or_before(const tz_zone_t *z, int64_t t_ms);
/* The local week that ends at the Monday of due (ms): its Monday as local
 * days since 1970, its name "YYYY-Www", and its bounds [since, until) in ms. */
void digest_week_of(const tz_zone_t *z, int64_t due_ms, int64_t *monday_day, char name[16],
                    int64_t *since_ms, int64_t *until_ms);
/* The bounds [since, until) in ms of the local week starting at monday_day. */
void digest_week_bounds(const tz_zone_t *z, int64_t monday_day, int64_t *since_ms,
                        int64_t *until_ms);

/* ---- settings ----------------------------------------------------------------- */

/* The account settings as the API shows them. */
json_t *account_settings_json(const account_settings_row_t *s);
/* Applies {"timezone", "digest": {"enabled","email","recipients"}, "mail_inbox_id"}
 * (already shape-checked by the handler); field errors in err with pointers.
 * An account.updated event records the change; the digest is re-planned. */
int account_settings_update(app_t *app, const actor_t *by, json_t *patch, parley_err_t *err);
/* The zone of the account (UTC when unset or unreadable); caller frees. */
tz_zone_t *digest_account_zone(app_t *app, store_conn_t *c, int64_t account_id);

/* ---- sending -------------------------------------------------------------------- */

typedef struct {
    char week[16];
    int64_t emails;  /* messages queued */
    bool already;    /* the week's digest had been sent: nothing was done */
    const char *why; /* why no e-mail went (static), or NULL */
} digest_result_t;

/* Sends account's digest of `week` ("YYYY-Www" local; NULL = the last
 * complete local week before now) now, once: PARLEY_ECONFLICT with
 * r->already when it was sent before. */
int digest_send(app_t *app, int64_t account_id, const char *week, digest_result_t *r,
                parley_err_t *err);

/* When account's next digest is due (ms): the last Monday 08:00 when that
 * week's digest is still owed (the server was down then; never before the
 * account existed), else the next one; 0 when the digest is off. */
int64_t digest_next_due(app_t *app, store_conn_t *c, int64_t account_id, int64_t now);
/* The scheduler's job for account at due: sends what is owed and returns
 * the next due time (0 = off; a failure retries after DIGEST_RETRY_MS). */
int64_t digest_fire(app_t *app, int64_t account_id, int64_t now);
/* Calls cb for every account with its next due time (at start). */
int digest_load_plan(app_t *app, void (*cb)(void *arg, int64_t due, int64_t account_id), void *arg);

/* The short summary carried by the report.digest event (and its Slack line). */
json_t *digest_summary(const json_t *digest);

#endif
