/*
 * fuzz_bhours.c - libFuzzer target for business-hours calendars and TZif data.
 *
 * Input starting with "TZif" goes to tz_zone_parse; a zone that parses must
 * answer offsets within the RFC 8536 bound, constant up to a next change that
 * lies in the future. Anything else goes to bh_calendar_parse; a calendar that
 * parses is run on instants derived from the input and must keep the module's
 * invariants: is_open(t) == (next_open(t) == t), next_open lands on an open
 * instant with no business time before it, business_ms is additive and never
 * more than the wall time, add_business_ms is the exact and earliest inverse
 * of business_ms, describe follows the snprintf contract. Any violation aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/bhours.h"
#include "core/tzfile.h"

#define DAY_MS 86400000LL

static uint64_t mix(uint64_t *h)
{
    *h ^= *h >> 33;
    *h *= 0xff51afd7ed558ccdULL;
    *h ^= *h >> 33;
    *h *= 0xc4ceb9fe1a85ec53ULL;
    *h ^= *h >> 33;
    return *h;
}

static void check_instant(const bh_calendar_t *c, int64_t t, uint64_t *h)
{
    int64_t n = bh_next_open(c, t);
    if (n < t) abort();
    if (bh_is_open(c, t) != (n == t)) abort();
    if (n != INT64_MAX) {
        if (!bh_is_open(c, n) || bh_business_ms(c, t, n) != 0) abort();
        if (n > t && bh_is_open(c, n - 1)) abort();
    }
    int64_t b = t + (int64_t)(mix(h) % (uint64_t)(40 * DAY_MS));
    int64_t ms = bh_business_ms(c, t, b);
    if (ms < 0 || ms > b - t) abort();
    int64_t m = t + (b - t) / 2;
    if (bh_business_ms(c, t, m) + bh_business_ms(c, m, b) != ms) abort();
    if (bh_business_ms(c, b, t) != 0) abort();

    int64_t want = (int64_t)(mix(h) % (uint64_t)(2 * DAY_MS));
    if (mix(h) % 2) want = ms; /* a deadline that must land at or before b */
    int64_t d = bh_add_business_ms(c, t, want);
    if (d == INT64_MAX) return;
    if (d < t || bh_business_ms(c, t, d) != want) abort();
    if (want > 0 && bh_business_ms(c, t, d - 1) != want - 1) abort();
    if (want == ms && d > b) abort();
}

static void check_describe(const bh_calendar_t *c)
{
    size_t need = bh_describe(c, NULL, 0);
    char *full = malloc(need + 1);
    if (!full) abort();
    if (bh_describe(c, full, need + 1) != need || full[need] != '\0' || strlen(full) != need)
        abort();
    size_t cap = need / 2 + 1;
    char *part = malloc(cap);
    if (!part) abort();
    if (bh_describe(c, part, cap) != need) abort();
    if (part[cap - 1] != '\0' || memcmp(part, full, cap - 1) != 0) abort();
    free(part);
    free(full);
}

static void fuzz_tzif(const uint8_t *data, size_t size, uint64_t h)
{
    tz_zone_t *z = NULL;
    if (tz_zone_parse(data, size, &z, NULL) != 0) return;
    for (int i = 0; i < 16; i++) {
        int64_t t = (int64_t)mix(&h);
        if (i % 2) t %= (int64_t)1 << 36; /* mostly within a few thousand years */
        int64_t next;
        int32_t off = tz_zone_offset(z, t, &next);
        if (off < -TZ_UTOFF_MAX || off > TZ_UTOFF_MAX || next <= t) abort();
        if (next != INT64_MAX && tz_zone_offset(z, next - 1, NULL) != off) abort();
    }
    tz_zone_free(z);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < size; i++) h = (h ^ data[i]) * 1099511628211ULL;
    /* an exact-size copy so ASan catches any read past size */
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy) return 0;
    if (size) memcpy(copy, data, size);
    if (size >= 4 && memcmp(copy, "TZif", 4) == 0) {
        fuzz_tzif(copy, size, h);
        free(copy);
        return 0;
    }
    parley_err_t err;
    bh_calendar_t *c = bh_calendar_parse((const char *)copy, size, &err);
    if (!c) {
        if (err.code >= 0 || err.msg[0] == '\0') abort();
    } else {
        const int64_t y2020 = 1577836800000LL, span = 15 * 365 * DAY_MS;
        for (int i = 0; i < 4; i++) check_instant(c, y2020 + (int64_t)(mix(&h) % span), &h);
        /* an instant on a whole hour, where interval ends fall */
        check_instant(c, y2020 + (int64_t)(mix(&h) % span) / 3600000 * 3600000, &h);
        /* the edges of the supported range */
        check_instant(c, BH_T_MIN - 1000, &h);
        check_instant(c, BH_T_MAX - 41 * DAY_MS, &h);
        check_describe(c);
        bh_calendar_free(c);
    }
    free(copy);
    return 0;
}
