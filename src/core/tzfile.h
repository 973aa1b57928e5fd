/*
 * tzfile.h - IANA time zones read from the system tz database (TZif files).
 *
 * Owns the reading of one zone's TZif file (RFC 8536, versions 1 to 4) into an
 * immutable table of UTC offsets: the 64-bit transitions plus the POSIX TZ
 * footer that governs every instant after the last transition. A loaded zone is
 * never changed, so any number of threads may query it at once; nothing here
 * touches the process-global TZ / localtime state. Leap-second zones ("right/")
 * are refused: Parley's clocks count POSIX seconds.
 */
#ifndef PARLEY_CORE_TZFILE_H
#define PARLEY_CORE_TZFILE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* Where zone files live; Debian's tzdata package installs them here. */
#ifndef TZ_DIR
#define TZ_DIR "/usr/share/zoneinfo"
#endif

#define TZ_NAME_MAX  64     /* longest zone name accepted, NUL included */
#define TZ_FILE_MAX  262144 /* larger files are not TZif data */
#define TZ_UTOFF_MAX 93599  /* |UTC offset| limit in seconds (RFC 8536: under 26 hours) */

typedef struct tz_zone tz_zone_t;

/* Loads the zone called `name` ("Europe/Paris", "UTC") from TZ_DIR. The name
 * must look like a zone name (letters, digits, '_', '+', '-', '/' between
 * components; no "..", no leading '/'). 0, or PARLEY_EINVAL when the name is
 * malformed or the file is not valid TZif data, PARLEY_ENOENT when there is no
 * such zone; err->field is left "" (the caller knows where the name came from). */
int tz_zone_load(const char *name, tz_zone_t **out, parley_err_t *err);

/* Parses TZif bytes already in memory (what tz_zone_load does after reading). */
int tz_zone_parse(const uint8_t *data, size_t len, tz_zone_t **out, parley_err_t *err);

void tz_zone_free(tz_zone_t *z);

/* The UTC offset in seconds (east positive) in force at instant t (seconds
 * since the epoch). When next is not NULL it receives the first instant after
 * t at which the offset may change (INT64_MAX when it never does again); the
 * offset is constant on [t, *next). Pure and thread-safe. */
int32_t tz_zone_offset(const tz_zone_t *z, int64_t t, int64_t *next);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t tz_days_from_civil(int64_t y, int m, int d);
void tz_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

#endif
