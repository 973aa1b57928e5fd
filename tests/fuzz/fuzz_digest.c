/*
 * fuzz_digest.c - libFuzzer target for the weekly digest's calendar.
 *
 * The first 8 bytes are an instant (ms, little-endian, folded into years
 * 1900-2200); the rest is TZif data for tz_zone_parse. A zone that parses
 * must keep the calendar's invariants at that instant and around it: the
 * next Monday 08:00 is after t, the last one at or before t (so the
 * scheduler never spins on a past due time), each within a week plus what
 * two offsets can shift it (a zone may jump by up to 2 x 26 h: regression
 * seed regress_offset_jump_29h, a fuzzed zone whose Mondays were 8.2 days
 * apart), the week named by a due time is an
 * ISO week "YYYY-Www" whose bounds are ordered and about a week apart, and a
 * local wall time maps back within the zone's offset bound. Any violation
 * aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "desk/digest.h"

#define DAY_MS 86400000LL
#define REACH  (7 * DAY_MS + 2 * TZ_UTOFF_MAX * 1000LL + DAY_MS)

static void check(const tz_zone_t *z, int64_t t)
{
    int64_t after = digest_due_after(z, t), before = digest_due_at_or_before(z, t);
    if (after <= t || after - t > REACH) abort();
    if (before > t || t - before > REACH) abort();
    char name[16];
    int64_t mon, since, until;
    digest_week_of(z, after, &mon, name, &since, &until);
    if (strlen(name) != 8 || name[4] != '-' || name[5] != 'W') abort();
    int week = (name[6] - '0') * 10 + (name[7] - '0');
    if (week < 1 || week > 53) abort();
    if (until <= since || until - since > REACH) abort();
    int64_t local = t / 1000;
    int64_t back = digest_local_to_utc(z, local);
    if (back - local > 2 * TZ_UTOFF_MAX || local - back > 2 * TZ_UTOFF_MAX) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8) return 0;
    uint64_t raw = 0;
    for (int i = 0; i < 8; i++) raw |= (uint64_t)data[i] << (8 * i);
    /* 1900-01-01 .. 2200-01-01 */
    const int64_t lo = -2208988800000LL, span = 9467280000000LL;
    int64_t t = lo + (int64_t)(raw % (uint64_t)span);
    tz_zone_t *z;
    parley_err_t err = {0};
    if (tz_zone_parse(data + 8, size - 8, &z, &err)) return 0;
    check(z, t);
    check(z, t + 3 * DAY_MS + 12345);
    check(z, digest_due_after(z, t));
    tz_zone_free(z);
    return 0;
}
