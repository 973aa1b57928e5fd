/*
 * bhours.h - business-hours calendars and the arithmetic on them.
 *
 * Owns the calendar (weekly opening intervals in an IANA time zone, holidays,
 * overnight and split shifts) and the pure functions the SLA clocks and the
 * business-hours metrics are built on: is it open, when does it open, how much
 * open time lies between two instants, when has a given amount elapsed. Never
 * reads the clock, the database or the network; a parsed calendar is immutable
 * and may be shared by any number of threads.
 *
 * Semantics, in local wall-clock time of the calendar's zone:
 *  - An instant is open when its local date and time fall inside an interval
 *    of the schedule. Intervals are [start, end) at minute precision; an end at
 *    or before the start ("22:00"-"06:00", "08:00"-"08:00") runs into the next
 *    day, "24:00" is allowed as an end.
 *  - A local day's intervals are its holiday hours when the date is a holiday,
 *    the weekly hours of its weekday otherwise. A holiday date is closed for
 *    the whole date except its own hours: an overnight shift from the day
 *    before stops at midnight when the next day is a holiday.
 *  - Daylight-saving changes follow from the first rule: local times skipped
 *    by a spring-forward change are never open (02:00-03:00 on such a day is
 *    empty, 01:30-02:30 lasts 30 minutes in Paris); local times that happen
 *    twice at a fall-back change are open both times (01:00-02:00 lasts two
 *    hours in New York on 2026-11-01, 00:00-24:00 lasts 25 hours).
 *  - Instants are ms since the epoch (UTC). Calendars are defined for the
 *    years 0001 to 9999 (BH_T_MIN..BH_T_MAX); outside them a calendar is
 *    closed. A NULL calendar is open around the clock, at every instant.
 */
#ifndef PARLEY_CORE_BHOURS_H
#define PARLEY_CORE_BHOURS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define BH_MAX_PER_DAY  12                  /* intervals per weekday or holiday */
#define BH_MAX_HOLIDAYS 4096                /* holiday dates per calendar */
#define BH_JSON_MAX     (1024 * 1024)       /* longest calendar text accepted */
#define BH_SEARCH_MS    (400LL * 86400000)  /* how far bh_next_open looks */
#define BH_T_MIN        (-62135596800000LL) /* 0001-01-01T00:00:00Z */
#define BH_T_MAX        (253402300799999LL) /* 9999-12-31T23:59:59.999Z */

typedef struct bh_calendar bh_calendar_t;

/* Parses a calendar from JSON text such as
 *   {"timezone": "Europe/Paris",
 *    "weekly": {"mon": [["08:00","20:00"]],
 *               "tue": [["08:00","12:00"], ["13:00","20:00"]],
 *               "fri": [["22:00","06:00"]]},
 *    "holidays": [{"date": "2026-12-25"},
 *                 {"date": "2026-12-24", "hours": [["08:00","12:00"]]}]}
 * "timezone" (a zone of the system tz database) and "weekly" are required;
 * weekdays are "mon".."sun", a missing or empty weekday is closed; "holidays"
 * is optional, its dates unique, a holiday without "hours" closed all day
 * (an optional "name" string of up to 100 bytes labels it and is ignored).
 * Times are "HH:MM". Intervals of one day must not overlap each other nor the
 * overnight tail of the day before. Unknown members are refused.
 * Returns NULL on invalid input, with err (when not NULL) holding
 * PARLEY_EINVAL (PARLEY_ENOENT for an unknown zone, PARLEY_ELIMIT for too much
 * input) and the JSON pointer of the offending member in err->field, e.g.
 * "/weekly/tue/1/0" or "/holidays/0/date". */
bh_calendar_t *bh_calendar_parse(const char *json, size_t len, parley_err_t *err);

void bh_calendar_free(bh_calendar_t *c);

/* Whether instant t is inside open hours. A NULL calendar is always open. */
bool bh_is_open(const bh_calendar_t *c, int64_t t);

/* The first moment at or after t that lies inside open hours: t itself when
 * open, INT64_MAX when the calendar is not open within BH_SEARCH_MS (400 days)
 * after t. A NULL calendar returns t. */
int64_t bh_next_open(const bh_calendar_t *c, int64_t t);

/* Business milliseconds between a and b: the length of [a, b) that lies inside
 * open hours; 0 when a >= b. A NULL calendar counts every millisecond
 * (saturating at INT64_MAX). */
int64_t bh_business_ms(const bh_calendar_t *c, int64_t a, int64_t b);

/* The SLA deadline: the earliest moment d >= t with bh_business_ms(c, t, d) ==
 * ms. Returns t when ms <= 0; INT64_MAX when the calendar stays closed for 400
 * days on the way, or the deadline would fall after BH_T_MAX. The deadline of a
 * positive ms is always the end of an open stretch or inside one, never the
 * start of the next (60 minutes from 19:30 with 08:00-20:00 hours is 08:30 the
 * next open day, not 20:00). Costs one step per local day up to the deadline:
 * a long deadline on a sparse calendar (one hour a week) walks many days. */
int64_t bh_add_business_ms(const bh_calendar_t *c, int64_t t, int64_t ms);

/* Writes a human summary for publishing, e.g.
 * "Mon-Fri 08:00-20:00, Sat 09:00-13:00 (Europe/Paris)", a split day as
 * "Tue 08:00-12:00 & 13:00-20:00", then the holidays in date order
 * ("; closed 2026-12-25; 2026-12-24 08:00-12:00"). Seven identical days read
 * "Daily ...", all day every day "24/7", no weekly hours "Closed". Like
 * snprintf: writes at most cap bytes including the NUL (buf may be NULL when
 * cap is 0) and returns the length the full summary needs. */
size_t bh_describe(const bh_calendar_t *c, char *buf, size_t cap);

#endif
