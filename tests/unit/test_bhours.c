/*
 * test_bhours.c - unit tests for business-hours calendars (src/core/bhours.c)
 * and the TZif reader under them (src/core/tzfile.c).
 *
 * Three kinds of checks: hand-computed cases (DST days in Paris and New York,
 * overnight shifts, holidays, leap days, year ends, odd zones, parse errors),
 * properties over thousands of random cases (bh_business_ms of the deadline
 * from bh_add_business_ms is exactly the ms asked for), and an independent
 * oracle: random calendars evaluated minute by minute with glibc's localtime_r
 * (this test is single-threaded, so setenv("TZ") is fine here) and compared
 * with every function of the module.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/bhours.h"
#include "core/tzfile.h"

#define MIN_MS  60000LL
#define HOUR_MS 3600000LL
#define DAY_MS  86400000LL

/* ---- helpers ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int64_t rnd_range(int64_t lo, int64_t hi) /* [lo, hi] */
{
    return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

/* UTC instant of a civil date and time, in ms. */
static int64_t utc(int y, int mo, int d, int h, int mi)
{
    return (tz_days_from_civil(y, mo, d) * 1440 + h * 60 + mi) * MIN_MS;
}

static bh_calendar_t *cal(const char *json)
{
    parley_err_t err = {0};
    bh_calendar_t *c = bh_calendar_parse(json, strlen(json), &err);
    if (!c) fail_msg("calendar did not parse: %s at '%s' (%s)", err.msg, err.field, json);
    return c;
}

static void expect_error(const char *json, int code, const char *field)
{
    parley_err_t err = {0};
    bh_calendar_t *c = bh_calendar_parse(json, strlen(json), &err);
    if (c) {
        bh_calendar_free(c);
        fail_msg("expected an error at '%s' for %s", field, json);
    }
    if (err.code != code || strcmp(err.field, field) != 0)
        fail_msg("for %s: expected %d at '%s', got %d at '%s' (%s)", json, code, field, err.code,
                 err.field, err.msg);
    assert_true(err.msg[0] != '\0');
}

/* ---- parsing ---- */

static void test_parse_ok(void **state)
{
    (void)state;
    bh_calendar_t *c = cal("{\"timezone\":\"Europe/Paris\","
                           "\"weekly\":{\"mon\":[[\"08:00\",\"20:00\"]],"
                           "\"tue\":[[\"13:00\",\"20:00\"],[\"08:00\",\"12:00\"]],"
                           "\"wed\":[], \"thu\":null, \"fri\":[[\"22:00\",\"06:00\"]],"
                           "\"sat\":[[\"09:00\",\"24:00\"]]},"
                           "\"holidays\":[{\"date\":\"2026-12-25\",\"name\":\"Christmas\"},"
                           "{\"date\":\"2026-12-24\",\"hours\":[[\"08:00\",\"12:00\"]]},"
                           "{\"date\":\"2028-02-29\",\"hours\":null}]}");
    bh_calendar_free(c);
    bh_calendar_free(NULL);
    /* touching intervals, overnight tail ending exactly at the next start */
    c = cal(
        "{\"timezone\":\"UTC\",\"weekly\":{\"mon\":[[\"08:00\",\"12:00\"],[\"12:00\",\"13:00\"],"
        "[\"22:00\",\"09:00\"]],\"tue\":[[\"09:00\",\"10:00\"]],"
        "\"sun\":[[\"20:00\",\"00:00\"]]}}");
    bh_calendar_free(c);
}

static void test_parse_errors(void **state)
{
    (void)state;
    const char *w = "\"weekly\":{}";
    char json[512];
    expect_error("", PARLEY_EINVAL, "");
    expect_error("{", PARLEY_EINVAL, "");
    expect_error("[]", PARLEY_EINVAL, "");
    expect_error("{\"weekly\":{}}", PARLEY_EINVAL, "/timezone");
    expect_error("{\"timezone\":\"UTC\"}", PARLEY_EINVAL, "/weekly");
    expect_error("{\"timezone\":\"UTC\",\"weekly\":{},\"foo\":1}", PARLEY_EINVAL, "/foo");
    expect_error("{\"timezone\":\"UTC\",\"weekly\":{},\"a/b~\":1}", PARLEY_EINVAL, "/a~1b~0");
    const char *bad_zone[][2] = {
        {"\"Mars/Olympus_Mons\"", "404"},
        {"\"Europe\"", "404"},
        {"\"../../etc/passwd\"", "422"},
        {"\"/etc/passwd\"", "422"},
        {"\"\"", "422"},
        {"42", "422"},
        {"\"zone.tab\"", "422"},
        {"\"right/UTC\"", "422"},
        {"\"Europe/Paris/\"", "422"},
        {"\"localtime\"", "422"},
        {"\"Europe//Paris\"", "422"},
    };
    for (size_t i = 0; i < sizeof bad_zone / sizeof bad_zone[0]; i++) {
        snprintf(json, sizeof json, "{\"timezone\":%s,%s}", bad_zone[i][0], w);
        expect_error(json,
                     bad_zone[i][1][0] == '4' && bad_zone[i][1][1] == '0' ? PARLEY_ENOENT
                                                                          : PARLEY_EINVAL,
                     "/timezone");
    }
    static const struct {
        const char *weekly, *field;
    } bad_weekly[] = {
        {"[]", "/weekly"},
        {"{\"monday\":[]}", "/weekly/monday"},
        {"{\"mon\":{}}", "/weekly/mon"},
        {"{\"mon\":[[\"08:00\"]]}", "/weekly/mon/0"},
        {"{\"mon\":[\"08:00\",\"09:00\"]}", "/weekly/mon/0"},
        {"{\"mon\":[[\"08:00\",\"09:00\",\"10:00\"]]}", "/weekly/mon/0"},
        {"{\"mon\":[[\"25:00\",\"26:00\"]]}", "/weekly/mon/0/0"},
        {"{\"mon\":[[\"24:00\",\"06:00\"]]}", "/weekly/mon/0/0"},
        {"{\"mon\":[[\"8:00\",\"09:00\"]]}", "/weekly/mon/0/0"},
        {"{\"mon\":[[\"08:60\",\"09:00\"]]}", "/weekly/mon/0/0"},
        {"{\"mon\":[[\"08h00\",\"09:00\"]]}", "/weekly/mon/0/0"},
        {"{\"mon\":[[800,900]]}", "/weekly/mon/0/0"},
        {"{\"tue\":[[\"08:00\",\"24:01\"]]}", "/weekly/tue/0/1"},
        {"{\"tue\":[[\"08:00\",\"9:00\"]]}", "/weekly/tue/0/1"},
        {"{\"tue\":[[\"08:00\",\" 9:00\"]]}", "/weekly/tue/0/1"},
        {"{\"tue\":[[\"08:00\",\"12:00\"],[\"11:00\",\"20:00\"]]}", "/weekly/tue/1"},
        {"{\"tue\":[[\"11:00\",\"20:00\"],[\"08:00\",\"12:00\"]]}", "/weekly/tue/1"},
        {"{\"tue\":[[\"08:00\",\"12:00\"],[\"08:00\",\"12:00\"]]}", "/weekly/tue/1"},
        {"{\"tue\":[[\"22:00\",\"23:00\"],[\"21:00\",\"02:00\"]]}", "/weekly/tue/1"},
        {"{\"fri\":[[\"22:00\",\"06:00\"]],\"sat\":[[\"05:00\",\"12:00\"]]}", "/weekly/sat/0"},
        {"{\"sun\":[[\"22:00\",\"06:00\"]],\"mon\":[[\"12:00\",\"13:00\"],[\"05:59\",\"07:00\"]]}",
         "/weekly/mon/1"},
        {"{\"wed\":[[\"08:00\",\"08:00\"]],\"thu\":[[\"07:00\",\"09:00\"]]}", "/weekly/thu/0"},
    };
    for (size_t i = 0; i < sizeof bad_weekly / sizeof bad_weekly[0]; i++) {
        snprintf(json, sizeof json, "{\"timezone\":\"UTC\",\"weekly\":%s}", bad_weekly[i].weekly);
        expect_error(json, PARLEY_EINVAL, bad_weekly[i].field);
    }
    /* more intervals than a day may hold */
    char many[1024] = "{\"timezone\":\"UTC\",\"weekly\":{\"mon\":[";
    for (int i = 0; i <= BH_MAX_PER_DAY; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "%s[\"%02d:00\",\"%02d:30\"]",
                 i ? "," : "", i, i);
    strcat(many, "]}}");
    expect_error(many, PARLEY_EINVAL, "/weekly/mon");

    static const struct {
        const char *holidays, *field;
    } bad_hol[] = {
        {"{}", "/holidays"},
        {"[\"2026-12-25\"]", "/holidays/0"},
        {"[{}]", "/holidays/0/date"},
        {"[{\"date\":\"2026-12-25\"},{\"date\":\"2026-02-30\"}]", "/holidays/1/date"},
        {"[{\"date\":\"2026-13-01\"}]", "/holidays/0/date"},
        {"[{\"date\":\"2027-02-29\"}]", "/holidays/0/date"},
        {"[{\"date\":\"2026-1-01\"}]", "/holidays/0/date"},
        {"[{\"date\":\"0000-01-01\"}]", "/holidays/0/date"},
        {"[{\"date\":\"2026/12/25\"}]", "/holidays/0/date"},
        {"[{\"date\":20261225}]", "/holidays/0/date"},
        {"[{\"date\":\"2026-12-25\",\"when\":1}]", "/holidays/0/when"},
        {"[{\"date\":\"2026-12-25\",\"name\":7}]", "/holidays/0/name"},
        {"[{\"date\":\"2026-12-25\",\"hours\":[[\"08:00\",\"x\"]]}]", "/holidays/0/hours/0/1"},
        {"[{\"date\":\"2026-12-25\",\"hours\":\"closed\"}]", "/holidays/0/hours"},
        {"[{\"date\":\"2026-12-24\"},{\"date\":\"2026-12-25\"},{\"date\":\"2026-12-24\"}]",
         "/holidays/2/date"},
        /* 2026-12-24 is a Thursday; its tail would overlap Friday's 08:00 */
        {"[{\"date\":\"2026-12-24\",\"hours\":[[\"01:00\",\"02:00\"],[\"20:00\",\"09:00\"]]}]",
         "/holidays/0/hours/1"},
    };
    for (size_t i = 0; i < sizeof bad_hol / sizeof bad_hol[0]; i++) {
        snprintf(json, sizeof json,
                 "{\"timezone\":\"UTC\",\"weekly\":{\"fri\":[[\"08:00\",\"12:00\"]]},"
                 "\"holidays\":%s}",
                 bad_hol[i].holidays);
        expect_error(json, PARLEY_EINVAL, bad_hol[i].field);
    }
    /* the same tail is fine when the next day is a holiday too (it is clipped) */
    bh_calendar_free(
        cal("{\"timezone\":\"UTC\",\"weekly\":{\"fri\":[[\"08:00\",\"12:00\"]]},"
            "\"holidays\":[{\"date\":\"2026-12-24\",\"hours\":[[\"20:00\",\"09:00\"]]},"
            "{\"date\":\"2026-12-25\"}]}"));
    /* NUL inside the zone name: jansson refuses it already */
    const char nul[] = "{\"timezone\":\"UTC\\u0000x\",\"weekly\":{}}";
    expect_error(nul, PARLEY_EINVAL, "");
    /* NULL err is allowed */
    assert_null(bh_calendar_parse("{}", 2, NULL));
}

/* ---- hand-computed cases ---- */

static void test_null_calendar(void **state)
{
    (void)state;
    int64_t t = utc(2026, 5, 1, 12, 0);
    assert_true(bh_is_open(NULL, t));
    assert_int_equal(bh_next_open(NULL, t), t);
    assert_int_equal(bh_business_ms(NULL, t, t + 5000), 5000);
    assert_int_equal(bh_business_ms(NULL, t, t), 0);
    assert_int_equal(bh_business_ms(NULL, t + 1, t), 0);
    assert_int_equal(bh_business_ms(NULL, INT64_MIN, INT64_MAX), INT64_MAX);
    assert_int_equal(bh_add_business_ms(NULL, t, 7), t + 7);
    assert_int_equal(bh_add_business_ms(NULL, t, -7), t);
    assert_int_equal(bh_add_business_ms(NULL, INT64_MAX - 3, 7), INT64_MAX);
    char buf[16];
    assert_int_equal(bh_describe(NULL, buf, sizeof buf), 4);
    assert_string_equal(buf, "24/7");
}

static void test_paris_weekdays(void **state)
{
    (void)state;
    bh_calendar_t *c = cal("{\"timezone\":\"Europe/Paris\",\"weekly\":{"
                           "\"mon\":[[\"09:00\",\"17:00\"]],\"tue\":[[\"09:00\",\"17:00\"]],"
                           "\"wed\":[[\"09:00\",\"17:00\"]],\"thu\":[[\"09:00\",\"17:00\"]],"
                           "\"fri\":[[\"09:00\",\"17:00\"]]}}");
    /* winter: UTC+1 (Fri 2026-03-27), summer: UTC+2 (Mon 2026-03-30) */
    assert_false(bh_is_open(c, utc(2026, 3, 27, 7, 59)));
    assert_true(bh_is_open(c, utc(2026, 3, 27, 8, 0)));
    assert_true(bh_is_open(c, utc(2026, 3, 27, 15, 59)));
    assert_false(bh_is_open(c, utc(2026, 3, 27, 16, 0)));
    assert_false(bh_is_open(c, utc(2026, 3, 30, 6, 59)));
    assert_true(bh_is_open(c, utc(2026, 3, 30, 7, 0)));
    assert_false(bh_is_open(c, utc(2026, 3, 30, 15, 0)));
    assert_true(bh_is_open(c, utc(2026, 3, 30, 15, 0) - 1));
    /* Friday 16:00 local through the DST weekend to Monday 09:00 local */
    assert_int_equal(bh_next_open(c, utc(2026, 3, 27, 16, 0)), utc(2026, 3, 30, 7, 0));
    assert_int_equal(bh_next_open(c, utc(2026, 3, 27, 8, 30)), utc(2026, 3, 27, 8, 30));
    assert_int_equal(bh_business_ms(c, utc(2026, 3, 23, 0, 0), utc(2026, 3, 30, 0, 0)),
                     5 * 8 * HOUR_MS);
    /* one hour before Friday's close, 30 minutes: Friday 15:30 local; 90 minutes:
     * Monday 09:30 local (07:30Z) */
    assert_int_equal(bh_add_business_ms(c, utc(2026, 3, 27, 15, 0), 30 * MIN_MS),
                     utc(2026, 3, 27, 15, 30));
    assert_int_equal(bh_add_business_ms(c, utc(2026, 3, 27, 15, 0), 60 * MIN_MS),
                     utc(2026, 3, 27, 16, 0));
    assert_int_equal(bh_add_business_ms(c, utc(2026, 3, 27, 15, 0), 90 * MIN_MS),
                     utc(2026, 3, 30, 7, 30));
    /* started on Saturday: the clock starts on Monday */
    assert_int_equal(bh_add_business_ms(c, utc(2026, 3, 28, 10, 0), 8 * HOUR_MS),
                     utc(2026, 3, 30, 15, 0));
    assert_int_equal(bh_add_business_ms(c, utc(2026, 3, 28, 10, 0), 0), utc(2026, 3, 28, 10, 0));
    bh_calendar_free(c);
}

static void test_dst_days_24h(void **state)
{
    (void)state;
    static const char *const zones[] = {"Europe/Paris", "America/New_York"};
    for (int z = 0; z < 2; z++) {
        char json[256];
        snprintf(json, sizeof json,
                 "{\"timezone\":\"%s\",\"weekly\":{\"sun\":[[\"00:00\",\"24:00\"]]}}", zones[z]);
        bh_calendar_t *c = cal(json);
        /* the whole local Sunday: 23 hours in spring, 25 in autumn */
        int64_t spring = z == 0 ? utc(2026, 3, 29, 0, 0) - HOUR_MS : utc(2026, 3, 8, 5, 0);
        int64_t autumn = z == 0 ? utc(2026, 10, 25, 0, 0) - 2 * HOUR_MS : utc(2026, 11, 1, 4, 0);
        assert_int_equal(bh_business_ms(c, spring - DAY_MS, spring + 2 * DAY_MS), 23 * HOUR_MS);
        assert_int_equal(bh_business_ms(c, autumn - DAY_MS, autumn + 2 * DAY_MS), 25 * HOUR_MS);
        assert_true(bh_is_open(c, spring));
        assert_false(bh_is_open(c, spring - 1));
        assert_true(bh_is_open(c, spring + 23 * HOUR_MS - 1));
        assert_false(bh_is_open(c, spring + 23 * HOUR_MS));
        assert_true(bh_is_open(c, autumn + 25 * HOUR_MS - 1));
        assert_false(bh_is_open(c, autumn + 25 * HOUR_MS));
        assert_int_equal(bh_add_business_ms(c, spring, 23 * HOUR_MS), spring + 23 * HOUR_MS);
        assert_int_equal(bh_add_business_ms(c, autumn, 25 * HOUR_MS), autumn + 25 * HOUR_MS);
        /* one ms more: the next Sunday's local midnight, an hour earlier in UTC (summer) */
        assert_int_equal(bh_add_business_ms(c, spring, 23 * HOUR_MS + 1),
                         spring + 7 * DAY_MS - HOUR_MS + 1);
        bh_calendar_free(c);
    }
}

static void test_dst_gap_and_repeat(void **state)
{
    (void)state;
    /* Paris: 2026-03-29 02:00 -> 03:00 (01:00Z), 2026-10-25 03:00 -> 02:00 (01:00Z) */
    bh_calendar_t *c =
        cal("{\"timezone\":\"Europe/Paris\",\"weekly\":{\"sun\":[[\"02:00\",\"03:00\"]]}}");
    assert_int_equal(bh_business_ms(c, utc(2026, 3, 28, 0, 0), utc(2026, 3, 30, 0, 0)), 0);
    assert_int_equal(bh_business_ms(c, utc(2026, 10, 24, 0, 0), utc(2026, 10, 26, 0, 0)),
                     2 * HOUR_MS);
    /* both occurrences of 02:00-03:00: 00:00Z-01:00Z (CEST) and 01:00Z-02:00Z (CET) */
    assert_false(bh_is_open(c, utc(2026, 10, 24, 23, 59)));
    assert_true(bh_is_open(c, utc(2026, 10, 25, 0, 0)));
    assert_true(bh_is_open(c, utc(2026, 10, 25, 1, 30)));
    assert_false(bh_is_open(c, utc(2026, 10, 25, 2, 0)));
    /* the spring Sunday has no 02:00-03:00: the next opening is a week later */
    assert_int_equal(bh_next_open(c, utc(2026, 3, 28, 0, 0)), utc(2026, 4, 5, 0, 0));
    assert_int_equal(bh_next_open(c, utc(2026, 3, 22, 0, 0)), utc(2026, 3, 22, 1, 0));
    bh_calendar_free(c);

    c = cal("{\"timezone\":\"Europe/Paris\",\"weekly\":{\"sun\":[[\"01:30\",\"02:30\"]]}}");
    assert_int_equal(bh_business_ms(c, utc(2026, 3, 28, 0, 0), utc(2026, 3, 30, 0, 0)),
                     30 * MIN_MS);
    assert_int_equal(bh_add_business_ms(c, utc(2026, 3, 28, 0, 0), 30 * MIN_MS),
                     utc(2026, 3, 29, 1, 0));
    bh_calendar_free(c);

    /* New York: 2026-03-08 02:00 -> 03:00 (07:00Z), 2026-11-01 02:00 -> 01:00 (06:00Z) */
    c = cal("{\"timezone\":\"America/New_York\",\"weekly\":{\"sun\":[[\"01:00\",\"02:00\"],"
            "[\"02:00\",\"03:00\"],[\"09:00\",\"17:00\"]]}}");
    int64_t mar = utc(2026, 3, 8, 5, 0), nov = utc(2026, 11, 1, 4, 0); /* local midnights */
    assert_int_equal(bh_business_ms(c, mar, mar + DAY_MS), 1 * HOUR_MS + 8 * HOUR_MS);
    assert_int_equal(bh_business_ms(c, nov, nov + DAY_MS), 3 * HOUR_MS + 8 * HOUR_MS);
    /* 01:00 EDT = 05:00Z to 02:00 EST = 07:00Z */
    assert_int_equal(bh_business_ms(c, utc(2026, 11, 1, 5, 0), utc(2026, 11, 1, 7, 0)),
                     2 * HOUR_MS);
    assert_true(bh_is_open(c, utc(2026, 11, 1, 5, 59)));
    assert_true(bh_is_open(c, utc(2026, 11, 1, 6, 0)));
    assert_true(bh_is_open(c, utc(2026, 11, 1, 7, 59)));
    assert_false(bh_is_open(c, utc(2026, 11, 1, 8, 0)));
    /* 09:00 EST is 14:00Z; 09:00 EDT (March) is 13:00Z */
    assert_false(bh_is_open(c, utc(2026, 11, 1, 13, 59)));
    assert_true(bh_is_open(c, utc(2026, 11, 1, 14, 0)));
    assert_true(bh_is_open(c, utc(2026, 3, 8, 13, 0)));
    assert_false(bh_is_open(c, utc(2026, 3, 8, 12, 59)));
    bh_calendar_free(c);
}

static void test_shift_across_dst(void **state)
{
    (void)state;
    /* Saturday night shift 22:00-06:00 */
    bh_calendar_t *c =
        cal("{\"timezone\":\"Europe/Paris\",\"weekly\":{\"sat\":[[\"22:00\",\"06:00\"]]}}");
    /* Sat 2026-03-28 22:00 CET = 21:00Z to Sun 06:00 CEST = 04:00Z: 7 hours */
    assert_int_equal(bh_business_ms(c, utc(2026, 3, 28, 0, 0), utc(2026, 3, 30, 0, 0)),
                     7 * HOUR_MS);
    assert_int_equal(bh_next_open(c, utc(2026, 3, 28, 12, 0)), utc(2026, 3, 28, 21, 0));
    assert_int_equal(bh_add_business_ms(c, utc(2026, 3, 28, 12, 0), 7 * HOUR_MS),
                     utc(2026, 3, 29, 4, 0));
    /* four hours from 22:00 CET: 02:00 CET never comes, it is 03:00 CEST (01:00Z) */
    assert_int_equal(bh_add_business_ms(c, utc(2026, 3, 28, 12, 0), 4 * HOUR_MS),
                     utc(2026, 3, 29, 1, 0));
    assert_int_equal(bh_add_business_ms(c, utc(2026, 3, 28, 12, 0), 5 * HOUR_MS),
                     utc(2026, 3, 29, 2, 0));
    /* Sat 2026-10-24 22:00 CEST = 20:00Z to Sun 06:00 CET = 05:00Z: 9 hours */
    assert_int_equal(bh_business_ms(c, utc(2026, 10, 24, 0, 0), utc(2026, 10, 26, 0, 0)),
                     9 * HOUR_MS);
    assert_true(bh_is_open(c, utc(2026, 10, 25, 4, 59)));
    assert_false(bh_is_open(c, utc(2026, 10, 25, 5, 0)));
    bh_calendar_free(c);
}

static void test_overnight(void **state)
{
    (void)state;
    /* 2026-05-01 is a Friday */
    bh_calendar_t *c = cal("{\"timezone\":\"UTC\",\"weekly\":{\"fri\":[[\"22:00\",\"06:00\"]],"
                           "\"sat\":[[\"06:00\",\"07:00\"],[\"09:00\",\"13:00\"]]}}");
    assert_false(bh_is_open(c, utc(2026, 5, 1, 21, 59)));
    assert_true(bh_is_open(c, utc(2026, 5, 1, 22, 0)));
    assert_true(bh_is_open(c, utc(2026, 5, 2, 0, 0)));
    assert_true(bh_is_open(c, utc(2026, 5, 2, 6, 59)));
    assert_false(bh_is_open(c, utc(2026, 5, 2, 7, 0)));
    assert_int_equal(bh_next_open(c, utc(2026, 5, 2, 7, 0)), utc(2026, 5, 2, 9, 0));
    assert_int_equal(bh_next_open(c, utc(2026, 5, 2, 13, 0)), utc(2026, 5, 8, 22, 0));
    assert_int_equal(bh_business_ms(c, utc(2026, 4, 27, 0, 0), utc(2026, 5, 4, 0, 0)),
                     13 * HOUR_MS);
    /* a week starting in the middle of the shift */
    assert_int_equal(bh_business_ms(c, utc(2026, 5, 2, 3, 0), utc(2026, 5, 9, 3, 0)), 13 * HOUR_MS);
    /* 22:00-07:00 is one stretch of 9 hours, then 09:00-13:00 */
    assert_int_equal(bh_add_business_ms(c, utc(2026, 5, 1, 12, 0), 9 * HOUR_MS),
                     utc(2026, 5, 2, 7, 0));
    assert_int_equal(bh_add_business_ms(c, utc(2026, 5, 1, 12, 0), 10 * HOUR_MS),
                     utc(2026, 5, 2, 10, 0));
    bh_calendar_free(c);

    /* a shift of exactly 24 hours from 08:00 to 08:00, and Sunday night into Monday */
    c = cal("{\"timezone\":\"UTC\",\"weekly\":{\"wed\":[[\"08:00\",\"08:00\"]],"
            "\"sun\":[[\"23:00\",\"01:00\"]],\"mon\":[[\"01:00\",\"02:00\"]]}}");
    assert_int_equal(bh_business_ms(c, utc(2026, 5, 4, 0, 0), utc(2026, 5, 11, 0, 0)),
                     24 * HOUR_MS + 1 * HOUR_MS + 1 * HOUR_MS + 1 * HOUR_MS);
    assert_true(bh_is_open(c, utc(2026, 5, 7, 7, 59)));
    assert_false(bh_is_open(c, utc(2026, 5, 7, 8, 0)));
    assert_true(bh_is_open(c, utc(2026, 5, 11, 0, 30)));
    assert_true(bh_is_open(c, utc(2026, 5, 11, 1, 30)));
    /* contiguous 23:00 Sun -> 02:00 Mon counts as one stretch */
    assert_int_equal(bh_add_business_ms(c, utc(2026, 5, 10, 23, 0), 3 * HOUR_MS),
                     utc(2026, 5, 11, 2, 0));
    bh_calendar_free(c);
}

static void test_holidays(void **state)
{
    (void)state;
    /* 2026-12-24 Thursday, 25 Friday, 31 Thursday; 2027-01-01 Friday */
    bh_calendar_t *c = cal(
        "{\"timezone\":\"Europe/Paris\",\"weekly\":{"
        "\"mon\":[[\"08:00\",\"20:00\"]],\"tue\":[[\"08:00\",\"20:00\"]],"
        "\"wed\":[[\"08:00\",\"20:00\"]],\"thu\":[[\"08:00\",\"20:00\"],[\"22:00\",\"06:00\"]],"
        "\"fri\":[[\"08:00\",\"20:00\"]]},"
        "\"holidays\":[{\"date\":\"2026-12-25\"},{\"date\":\"2026-12-24\",\"hours\":[[\"08:00\","
        "\"12:00\"]]},{\"date\":\"2026-12-31\",\"hours\":[[\"22:00\",\"02:00\"]]},"
        "{\"date\":\"2027-01-01\",\"hours\":[]}]}");
    /* partial: the 24th 08:00-12:00 only (UTC+1) */
    assert_true(bh_is_open(c, utc(2026, 12, 24, 10, 59)));
    assert_false(bh_is_open(c, utc(2026, 12, 24, 11, 0)));
    assert_false(bh_is_open(c, utc(2026, 12, 24, 22, 0))); /* no Thursday night shift */
    assert_int_equal(bh_business_ms(c, utc(2026, 12, 24, 0, 0), utc(2026, 12, 26, 0, 0)),
                     4 * HOUR_MS);
    /* full: nothing on the 25th; next opening Monday the 28th 08:00 */
    assert_int_equal(bh_next_open(c, utc(2026, 12, 24, 11, 0)), utc(2026, 12, 28, 7, 0));
    assert_int_equal(bh_add_business_ms(c, utc(2026, 12, 24, 10, 0), 2 * HOUR_MS),
                     utc(2026, 12, 28, 8, 0));
    /* the Wednesday 30th is regular, the 31st's own night runs to the 1st, a holiday: clipped */
    assert_int_equal(bh_business_ms(c, utc(2026, 12, 30, 0, 0), utc(2027, 1, 3, 0, 0)),
                     12 * HOUR_MS + 2 * HOUR_MS);
    assert_true(bh_is_open(c, utc(2026, 12, 31, 22, 59)));
    assert_false(bh_is_open(c, utc(2026, 12, 31, 23, 0)));
    /* a regular Thursday night shift runs into Friday */
    assert_true(bh_is_open(c, utc(2026, 12, 18, 4, 0)));
    bh_calendar_free(c);

    /* a holiday's overnight tail runs into a regular next day */
    c = cal("{\"timezone\":\"UTC\",\"weekly\":{\"fri\":[[\"08:00\",\"12:00\"]]},"
            "\"holidays\":[{\"date\":\"2026-12-24\",\"hours\":[[\"20:00\",\"08:00\"]]}]}");
    assert_int_equal(bh_business_ms(c, utc(2026, 12, 24, 0, 0), utc(2026, 12, 26, 0, 0)),
                     16 * HOUR_MS);
    assert_int_equal(bh_add_business_ms(c, utc(2026, 12, 24, 0, 0), 14 * HOUR_MS),
                     utc(2026, 12, 25, 10, 0));
    bh_calendar_free(c);
}

static void test_leap_day_and_year_end(void **state)
{
    (void)state;
    bh_calendar_t *c = cal("{\"timezone\":\"UTC\",\"weekly\":{"
                           "\"mon\":[[\"00:00\",\"24:00\"]],\"tue\":[[\"00:00\",\"24:00\"]],"
                           "\"wed\":[[\"00:00\",\"24:00\"]],\"thu\":[[\"00:00\",\"24:00\"]],"
                           "\"fri\":[[\"00:00\",\"24:00\"]],\"sat\":[[\"00:00\",\"24:00\"]],"
                           "\"sun\":[[\"00:00\",\"24:00\"]]},"
                           "\"holidays\":[{\"date\":\"2028-02-29\"}]}");
    assert_int_equal(bh_business_ms(c, utc(2028, 2, 1, 0, 0), utc(2028, 3, 1, 0, 0)), 28 * DAY_MS);
    assert_int_equal(bh_business_ms(c, utc(2027, 2, 1, 0, 0), utc(2027, 3, 1, 0, 0)), 28 * DAY_MS);
    assert_int_equal(bh_next_open(c, utc(2028, 2, 29, 0, 0)), utc(2028, 3, 1, 0, 0));
    assert_false(bh_is_open(c, utc(2028, 2, 29, 23, 59)));
    assert_true(bh_is_open(c, utc(2028, 2, 28, 23, 59)));
    assert_int_equal(bh_add_business_ms(c, utc(2028, 2, 28, 12, 0), DAY_MS),
                     utc(2028, 3, 1, 12, 0));
    /* 2028 has 366 days, one of them a holiday */
    assert_int_equal(bh_business_ms(c, utc(2028, 1, 1, 0, 0), utc(2029, 1, 1, 0, 0)), 365 * DAY_MS);
    bh_calendar_free(c);

    /* leap day as an ordinary Tuesday, in Sydney (UTC+11 then) */
    c = cal("{\"timezone\":\"Australia/Sydney\",\"weekly\":{\"tue\":[[\"09:00\",\"17:00\"]]}}");
    assert_true(bh_is_open(c, utc(2028, 2, 28, 22, 0))); /* Tue 29th 09:00 AEDT */
    assert_int_equal(bh_next_open(c, utc(2028, 2, 23, 0, 0)), utc(2028, 2, 28, 22, 0));
    bh_calendar_free(c);

    /* year end: Thursday 2026-12-31 night into Friday 2027-01-01, in New York */
    c = cal("{\"timezone\":\"America/New_York\",\"weekly\":{\"thu\":[[\"22:00\",\"06:00\"]],"
            "\"fri\":[[\"09:00\",\"10:00\"]]}}");
    assert_true(bh_is_open(c, utc(2027, 1, 1, 4, 59)));  /* 23:59 local on the 31st */
    assert_true(bh_is_open(c, utc(2027, 1, 1, 5, 0)));   /* midnight local */
    assert_false(bh_is_open(c, utc(2027, 1, 1, 11, 0))); /* 06:00 local */
    assert_int_equal(bh_business_ms(c, utc(2026, 12, 31, 5, 0), utc(2027, 1, 2, 5, 0)),
                     9 * HOUR_MS);
    assert_int_equal(bh_add_business_ms(c, utc(2026, 12, 31, 20, 0), 8 * HOUR_MS + 30 * MIN_MS),
                     utc(2027, 1, 1, 14, 30));
    bh_calendar_free(c);
}

static void test_always_and_never(void **state)
{
    (void)state;
    static const char *const zones[] = {"UTC",          "Europe/Paris", "America/New_York",
                                        "Asia/Kolkata", "Pacific/Apia", "Australia/Sydney"};
    for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
        char json[512];
        snprintf(json, sizeof json,
                 "{\"timezone\":\"%s\",\"weekly\":{\"mon\":[[\"00:00\",\"00:00\"]],"
                 "\"tue\":[[\"00:00\",\"24:00\"]],\"wed\":[[\"00:00\",\"24:00\"]],"
                 "\"thu\":[[\"00:00\",\"24:00\"]],\"fri\":[[\"00:00\",\"24:00\"]],"
                 "\"sat\":[[\"00:00\",\"24:00\"]],\"sun\":[[\"00:00\",\"24:00\"]]}}",
                 zones[z]);
        bh_calendar_t *c = cal(json);
        for (int i = 0; i < 300; i++) {
            int64_t a = rnd_range(utc(2000, 1, 1, 0, 0), utc(2060, 1, 1, 0, 0));
            int64_t b = a + rnd_range(0, 400 * DAY_MS);
            assert_true(bh_is_open(c, a));
            assert_int_equal(bh_next_open(c, a), a);
            assert_int_equal(bh_business_ms(c, a, b), b - a);
            assert_int_equal(bh_add_business_ms(c, a, b - a), b);
        }
        char buf[64];
        bh_describe(c, buf, sizeof buf);
        char want[64];
        snprintf(want, sizeof want, "24/7 (%s)", zones[z]);
        assert_string_equal(buf, want);
        bh_calendar_free(c);
    }

    bh_calendar_t *c = cal("{\"timezone\":\"UTC\",\"weekly\":{\"mon\":[]}}");
    int64_t t = utc(2026, 6, 1, 0, 0);
    assert_false(bh_is_open(c, t));
    assert_int_equal(bh_next_open(c, t), INT64_MAX);
    assert_int_equal(bh_business_ms(c, t, t + 1000 * DAY_MS), 0);
    assert_int_equal(bh_add_business_ms(c, t, 1), INT64_MAX);
    assert_int_equal(bh_add_business_ms(c, t, 0), t);
    char buf[64];
    bh_describe(c, buf, sizeof buf);
    assert_string_equal(buf, "Closed (UTC)");
    bh_calendar_free(c);

    /* open one morning, far away: beyond the 400-day search from today */
    c = cal("{\"timezone\":\"UTC\",\"weekly\":{},"
            "\"holidays\":[{\"date\":\"2028-06-01\",\"hours\":[[\"09:00\",\"10:00\"]]}]}");
    assert_int_equal(bh_next_open(c, t), INT64_MAX);
    assert_int_equal(bh_next_open(c, utc(2027, 6, 1, 0, 0)), utc(2028, 6, 1, 9, 0));
    assert_int_equal(bh_business_ms(c, t, utc(2029, 1, 1, 0, 0)), HOUR_MS);
    assert_int_equal(bh_add_business_ms(c, utc(2027, 6, 1, 0, 0), 30 * MIN_MS),
                     utc(2028, 6, 1, 9, 30));
    assert_int_equal(bh_add_business_ms(c, utc(2027, 6, 1, 0, 0), 2 * HOUR_MS), INT64_MAX);
    bh_calendar_free(c);
}

static void test_odd_zones(void **state)
{
    (void)state;
    /* Kolkata, UTC+05:30 all year; 2026-06-01 is a Monday */
    bh_calendar_t *c =
        cal("{\"timezone\":\"Asia/Kolkata\",\"weekly\":{\"mon\":[[\"09:00\",\"18:00\"]]}}");
    assert_false(bh_is_open(c, utc(2026, 6, 1, 3, 29)));
    assert_true(bh_is_open(c, utc(2026, 6, 1, 3, 30)));
    assert_true(bh_is_open(c, utc(2026, 6, 1, 12, 29)));
    assert_false(bh_is_open(c, utc(2026, 6, 1, 12, 30)));
    assert_int_equal(bh_next_open(c, utc(2026, 6, 1, 12, 30)), utc(2026, 6, 8, 3, 30));
    bh_calendar_free(c);

    /* Tongatapu and Apia, UTC+13: Monday 09:00 local is Sunday 20:00Z */
    static const char *const plus13[] = {"Pacific/Tongatapu", "Pacific/Apia"};
    for (int z = 0; z < 2; z++) {
        char json[256];
        snprintf(json, sizeof json,
                 "{\"timezone\":\"%s\",\"weekly\":{\"mon\":[[\"09:00\",\"17:00\"]]}}", plus13[z]);
        c = cal(json);
        assert_false(bh_is_open(c, utc(2026, 5, 31, 19, 59)));
        assert_true(bh_is_open(c, utc(2026, 5, 31, 20, 0)));
        assert_false(bh_is_open(c, utc(2026, 6, 1, 4, 0)));
        assert_int_equal(bh_business_ms(c, utc(2026, 5, 25, 0, 0), utc(2026, 6, 8, 0, 0)),
                         16 * HOUR_MS);
        bh_calendar_free(c);
    }
    /* Apia skipped Friday 2011-12-30 entirely (UTC-10 -> UTC+14): no Friday that week */
    c = cal("{\"timezone\":\"Pacific/Apia\",\"weekly\":{\"fri\":[[\"00:00\",\"24:00\"]]}}");
    assert_int_equal(bh_business_ms(c, utc(2011, 12, 25, 0, 0), utc(2012, 1, 2, 0, 0)), 0);
    assert_int_equal(bh_next_open(c, utc(2011, 12, 25, 0, 0)), utc(2012, 1, 5, 10, 0));
    bh_calendar_free(c);
    /* Chile changes at 24:00 local; Sydney is southern (DST over the new year) */
    c = cal("{\"timezone\":\"America/Santiago\",\"weekly\":{\"sun\":[[\"00:00\",\"24:00\"]]}}");
    /* 2026-09-06 (first Sunday of September): 24:00 Saturday -> 01:00 Sunday, 23 h */
    assert_int_equal(bh_business_ms(c, utc(2026, 9, 4, 0, 0), utc(2026, 9, 9, 0, 0)), 23 * HOUR_MS);
    bh_calendar_free(c);
}

static void test_describe(void **state)
{
    (void)state;
    bh_calendar_t *c = cal("{\"timezone\":\"Europe/Paris\",\"weekly\":{"
                           "\"mon\":[[\"08:00\",\"20:00\"]],\"tue\":[[\"08:00\",\"20:00\"]],"
                           "\"wed\":[[\"08:00\",\"20:00\"]],\"thu\":[[\"08:00\",\"20:00\"]],"
                           "\"fri\":[[\"08:00\",\"20:00\"]],\"sat\":[[\"09:00\",\"13:00\"]]}}");
    char buf[256];
    const char *want = "Mon-Fri 08:00-20:00, Sat 09:00-13:00 (Europe/Paris)";
    assert_int_equal(bh_describe(c, buf, sizeof buf), strlen(want));
    assert_string_equal(buf, want);
    /* snprintf contract */
    char small[8];
    assert_int_equal(bh_describe(c, small, sizeof small), strlen(want));
    assert_string_equal(small, "Mon-Fri");
    assert_int_equal(bh_describe(c, NULL, 0), strlen(want));
    bh_calendar_free(c);

    c = cal(
        "{\"timezone\":\"UTC\",\"weekly\":{\"tue\":[[\"13:00\",\"20:00\"],[\"08:00\",\"12:00\"]],"
        "\"fri\":[[\"22:00\",\"06:00\"]],\"sun\":[[\"10:00\",\"24:00\"]]},"
        "\"holidays\":[{\"date\":\"2026-12-25\"},{\"date\":\"2026-12-24\",\"hours\":"
        "[[\"08:00\",\"12:00\"]]}]}");
    bh_describe(c, buf, sizeof buf);
    assert_string_equal(buf, "Tue 08:00-12:00 & 13:00-20:00, Fri 22:00-06:00, Sun 10:00-24:00 "
                             "(UTC); 2026-12-24 08:00-12:00; closed 2026-12-25");
    bh_calendar_free(c);

    c = cal("{\"timezone\":\"Asia/Kolkata\",\"weekly\":{\"mon\":[[\"09:00\",\"18:00\"]],"
            "\"tue\":[[\"09:00\",\"18:00\"]],\"wed\":[[\"09:00\",\"18:00\"]],"
            "\"thu\":[[\"09:00\",\"18:00\"]],\"fri\":[[\"09:00\",\"18:00\"]],"
            "\"sat\":[[\"09:00\",\"18:00\"]],\"sun\":[[\"09:00\",\"18:00\"]]}}");
    bh_describe(c, buf, sizeof buf);
    assert_string_equal(buf, "Daily 09:00-18:00 (Asia/Kolkata)");
    bh_calendar_free(c);
}

static void test_extremes(void **state)
{
    (void)state;
    bh_calendar_t *c =
        cal("{\"timezone\":\"Europe/Paris\",\"weekly\":{\"mon\":[[\"09:00\",\"17:00\"]]}}");
    assert_false(bh_is_open(c, INT64_MIN));
    assert_false(bh_is_open(c, INT64_MAX));
    assert_int_equal(bh_next_open(c, INT64_MAX), INT64_MAX);
    int64_t first = bh_next_open(c, INT64_MIN);
    assert_true(first >= BH_T_MIN && first < BH_T_MIN + 8 * DAY_MS);
    assert_true(bh_is_open(c, first));
    assert_int_equal(bh_business_ms(c, INT64_MAX - 10, INT64_MAX), 0);
    assert_true(bh_business_ms(c, INT64_MIN, INT64_MIN + 10) == 0);
    assert_int_equal(bh_business_ms(c, 5, 4), 0);
    assert_int_equal(bh_add_business_ms(c, INT64_MAX - 10, 5), INT64_MAX);
    assert_int_equal(bh_add_business_ms(c, BH_T_MAX - DAY_MS, 2 * DAY_MS), INT64_MAX);
    assert_int_equal(bh_add_business_ms(c, INT64_MIN, 1), first + 1);
    /* whole millennia, far past the last transition of the file (footer rule) */
    int64_t a = utc(2500, 1, 1, 0, 0), b = utc(2501, 1, 1, 0, 0);
    int64_t ms = bh_business_ms(c, a, b);
    assert_true(ms == 52 * 8 * HOUR_MS || ms == 53 * 8 * HOUR_MS);
    assert_int_equal(bh_business_ms(c, a, bh_add_business_ms(c, a, ms)), ms);
    bh_calendar_free(c);
}

/* ---- tzfile against glibc ---- */

static void set_tz(const char *zone)
{
    setenv("TZ", zone, 1);
    tzset();
}

static void test_tz_offsets_match_glibc(void **state)
{
    (void)state;
    static const char *const zones[] = {
        "UTC",
        "Europe/Paris",
        "America/New_York",
        "Asia/Kolkata",
        "Pacific/Apia",
        "Pacific/Tongatapu",
        "Australia/Sydney",
        "America/Santiago",
        "Europe/Dublin",
        "Asia/Tehran",
        "Pacific/Chatham",
        "Australia/Lord_Howe",
        "Africa/Casablanca",
        "America/St_Johns",
        "Europe/London",
        "Pacific/Kiritimati",
    };
    for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
        tz_zone_t *tz = NULL;
        parley_err_t err = {0};
        assert_int_equal(tz_zone_load(zones[z], &tz, &err), 0);
        set_tz(zones[z]);
        for (int i = 0; i < 4000; i++) {
            /* 1900-2100 mostly, some to 2400 (glibc follows the footer there as well) */
            int64_t lo = utc(1900, 1, 1, 0, 0) / 1000;
            int64_t hi = (i % 4 ? utc(2100, 1, 1, 0, 0) : utc(2400, 1, 1, 0, 0)) / 1000;
            int64_t t = rnd_range(lo, hi);
            time_t tt = (time_t)t;
            struct tm tm;
            assert_non_null(localtime_r(&tt, &tm));
            int64_t next = 0;
            int32_t off = tz_zone_offset(tz, t, &next);
            if (off != tm.tm_gmtoff)
                fail_msg("%s at %lld: ours %d, glibc %ld", zones[z], (long long)t, off,
                         tm.tm_gmtoff);
            assert_true(next > t);
            /* constant until next, and next is a real change or the end of the table */
            if (next != INT64_MAX && next < hi) {
                assert_int_equal(tz_zone_offset(tz, next - 1, NULL), off);
                tt = (time_t)next;
                assert_non_null(localtime_r(&tt, &tm));
                assert_int_equal(tz_zone_offset(tz, next, NULL), tm.tm_gmtoff);
            }
        }
        tz_zone_free(tz);
    }
    unsetenv("TZ");
    tzset();
}

static void test_tz_parse_garbage(void **state)
{
    (void)state;
    FILE *f = fopen("/usr/share/zoneinfo/Europe/Paris", "rb");
    assert_non_null(f);
    static uint8_t data[8192];
    size_t len = fread(data, 1, sizeof data, f);
    fclose(f);
    tz_zone_t *z = NULL;
    assert_int_equal(tz_zone_parse(data, len, &z, NULL), 0);
    tz_zone_free(z);
    /* every truncation is refused or parsed, never read past */
    for (size_t n = 0; n < len; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, data, n);
        if (tz_zone_parse(copy, n, &z, NULL) == 0) tz_zone_free(z);
        free(copy);
    }
    /* a damaged footer */
    uint8_t *copy = malloc(len);
    memcpy(copy, data, len);
    copy[len - 5] = '%';
    assert_int_equal(tz_zone_parse(copy, len, &z, NULL), PARLEY_EINVAL);
    free(copy);
}

/* ---- random properties ---- */

static const char *const prop_calendars[] = {
    "{\"timezone\":\"Europe/Paris\",\"weekly\":{\"mon\":[[\"08:00\",\"12:00\"],[\"13:00\","
    "\"20:00\"]],\"tue\":[[\"08:00\",\"20:00\"]],\"wed\":[[\"08:00\",\"20:00\"]],\"thu\":[["
    "\"08:00\",\"20:00\"]],\"fri\":[[\"08:00\",\"20:00\"],[\"22:00\",\"06:00\"]],\"sat\":[["
    "\"09:00\",\"13:00\"]]},\"holidays\":[{\"date\":\"2026-12-25\"},{\"date\":\"2027-01-01\"},"
    "{\"date\":\"2026-12-24\",\"hours\":[[\"08:00\",\"12:00\"]]}]}",
    "{\"timezone\":\"America/New_York\",\"weekly\":{\"sun\":[[\"01:30\",\"02:30\"]],\"sat\":[["
    "\"23:00\",\"01:00\"]],\"wed\":[[\"00:00\",\"24:00\"]]}}",
    "{\"timezone\":\"Asia/Kolkata\",\"weekly\":{\"mon\":[[\"09:00\",\"18:00\"]],\"thu\":[["
    "\"09:00\",\"18:00\"]]}}",
    "{\"timezone\":\"Pacific/Apia\",\"weekly\":{\"tue\":[[\"07:15\",\"07:16\"]]}}",
    "{\"timezone\":\"UTC\",\"weekly\":{\"mon\":[[\"00:00\",\"24:00\"]],\"tue\":[[\"00:00\","
    "\"24:00\"]]},\"holidays\":[{\"date\":\"2028-02-29\",\"hours\":[[\"12:00\",\"12:01\"]]}]}",
};

static void test_add_inverse(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof prop_calendars / sizeof prop_calendars[0]; k++) {
        bh_calendar_t *c = cal(prop_calendars[k]);
        for (int i = 0; i < 2000; i++) {
            int64_t t = rnd_range(utc(2024, 1, 1, 0, 0), utc(2032, 1, 1, 0, 0));
            /* the one-minute-a-week calendar gets deadlines of up to a few years */
            int64_t big = k == 3 ? 3 * HOUR_MS : 60 * DAY_MS;
            int64_t ms = i % 3 == 0 ? rnd_range(0, 3 * HOUR_MS) : rnd_range(0, big);
            if (i % 7 == 0) ms = ms / MIN_MS * MIN_MS; /* land on boundaries */
            if (i % 11 == 0) t = t / HOUR_MS * HOUR_MS;
            int64_t d = bh_add_business_ms(c, t, ms);
            assert_true(d != INT64_MAX);
            assert_true(d >= t);
            int64_t got = bh_business_ms(c, t, d);
            if (got != ms)
                fail_msg("calendar %zu: add(%lld, %lld) = %lld but business_ms = %lld", k,
                         (long long)t, (long long)ms, (long long)d, (long long)got);
            /* earliest such moment */
            if (ms > 0) {
                assert_int_equal(bh_business_ms(c, t, d - 1), ms - 1);
                assert_true(bh_is_open(c, d - 1));
            }
            /* additivity and next_open consistency */
            int64_t m = rnd_range(t, d);
            assert_int_equal(bh_business_ms(c, t, m) + bh_business_ms(c, m, d), ms);
            int64_t n = bh_next_open(c, t);
            assert_true(n >= t);
            if (n != INT64_MAX) {
                assert_true(bh_is_open(c, n));
                assert_int_equal(bh_business_ms(c, t, n), 0);
                if (n > t) assert_false(bh_is_open(c, n - 1));
            }
            assert_int_equal(bh_is_open(c, t), n == t);
        }
        bh_calendar_free(c);
    }
}

/* ---- the oracle: random calendars minute by minute through glibc ---- */

typedef struct {
    int n;
    int s[4], e[4]; /* minutes; e may pass 1440 */
} ohours_t;

typedef struct {
    const char *zone;
    ohours_t weekly[7]; /* 0 = Monday */
    int nhol;
    int64_t hday[6];
    ohours_t hhours[6];
} ocal_t;

static int oweekday(int64_t day)
{
    return (int)(((day + 3) % 7 + 7) % 7);
}

static const ohours_t *ohol(const ocal_t *o, int64_t day)
{
    for (int i = 0; i < o->nhol; i++)
        if (o->hday[i] == day) return &o->hhours[i];
    return NULL;
}

static const ohours_t *ohours(const ocal_t *o, int64_t day)
{
    const ohours_t *h = ohol(o, day);
    return h ? h : &o->weekly[oweekday(day)];
}

/* The documented rule, written directly: open when the local minute lies in one
 * of the day's intervals (clipped at midnight before a holiday), or in the
 * overnight tail of the day before when this day is not a holiday. */
static bool oracle_open(const ocal_t *o, int64_t day, int minute)
{
    const ohours_t *h = ohours(o, day);
    int cut = ohol(o, day + 1) ? 1440 : 2880;
    for (int i = 0; i < h->n; i++)
        if (minute >= h->s[i] && minute < (h->e[i] < cut ? h->e[i] : cut)) return true;
    if (ohol(o, day)) return false;
    const ohours_t *p = ohours(o, day - 1);
    for (int i = 0; i < p->n; i++)
        if (p->e[i] > 1440 && minute + 1440 < p->e[i]) return true;
    return false;
}

/* Random hours on a 15-minute grid; no overnight interval yet. */
static void random_hours(ohours_t *h)
{
    h->n = 0;
    int cur = 0;
    int want = (int)rnd_range(0, 3);
    for (int i = 0; i < want; i++) {
        int s = cur + (int)rnd_range(0, 8) * 15, e = s + (int)rnd_range(1, 40) * 15;
        if (e > 1440) break;
        h->s[h->n] = s;
        h->e[h->n++] = e;
        cur = e + (rnd() % 2 ? 0 : 15);
    }
}

/* Picks the start of an overnight interval after the last one, or -1. */
static int overnight_start(const ohours_t *h)
{
    int last = h->n ? h->e[h->n - 1] : 0;
    if (rnd() % 3 || h->n == 4 || last >= 1440) return -1;
    return last + (int)rnd_range(0, (1439 - last) / 15) * 15;
}

/* Adds the overnight interval from s, ending by `limit` (the next day's first start). */
static void add_overnight(ohours_t *h, int s, int limit)
{
    if (s < 0) return;
    if (limit > s) limit = s; /* must end at or before its start to cross midnight */
    int e = (int)rnd_range(0, limit / 15) * 15;
    h->s[h->n] = s;
    h->e[h->n++] = e + 1440;
}

static int first_start(const ohours_t *h, int pending)
{
    return h->n ? h->s[0] : pending >= 0 ? pending : 1440;
}

static void hours_json(char *buf, size_t cap, const ohours_t *h)
{
    size_t o = (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < h->n; i++) {
        int e = h->e[i] > 1440 ? h->e[i] - 1440 : h->e[i];
        o += (size_t)snprintf(buf + o, cap - o, "%s[\"%02d:%02d\",\"%02d:%02d\"]", i ? "," : "",
                              h->s[i] / 60, h->s[i] % 60, e / 60, e % 60);
    }
    snprintf(buf + o, cap - o, "]");
}

static void random_calendar(ocal_t *o, const char *zone, int64_t first_day, char *json, size_t cap)
{
    static const char *const keys[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    memset(o, 0, sizeof *o);
    o->zone = zone;
    for (int d = 0; d < 7; d++) random_hours(&o->weekly[d]);
    int pending[7], limit[7];
    for (int d = 0; d < 7; d++) pending[d] = overnight_start(&o->weekly[d]);
    for (int d = 0; d < 7; d++)
        limit[d] = first_start(&o->weekly[(d + 1) % 7], pending[(d + 1) % 7]);
    for (int d = 0; d < 7; d++) add_overnight(&o->weekly[d], pending[d], limit[d]);
    o->nhol = (int)rnd_range(0, 4);
    for (int i = 0; i < o->nhol; i++) {
        int64_t day;
        do day = first_day + rnd_range(-1, 9);
        while (ohol(o, day));
        o->hday[i] = day;
        o->hhours[i].n = 0;
        if (rnd() % 2) {
            random_hours(&o->hhours[i]);
            add_overnight(&o->hhours[i], overnight_start(&o->hhours[i]),
                          first_start(&o->weekly[oweekday(day + 1)], -1));
        }
    }
    size_t n = (size_t)snprintf(json, cap, "{\"timezone\":\"%s\",\"weekly\":{", zone);
    char h[256];
    for (int d = 0; d < 7; d++) {
        hours_json(h, sizeof h, &o->weekly[d]);
        n += (size_t)snprintf(json + n, cap - n, "%s\"%s\":%s", d ? "," : "", keys[d], h);
    }
    n += (size_t)snprintf(json + n, cap - n, "},\"holidays\":[");
    for (int i = 0; i < o->nhol; i++) {
        int64_t y;
        int m, d;
        tz_civil_from_days(o->hday[i], &y, &m, &d);
        n += (size_t)snprintf(json + n, cap - n, "%s{\"date\":\"%04d-%02d-%02d\"", i ? "," : "",
                              (int)y, m, d);
        if (o->hhours[i].n) {
            hours_json(h, sizeof h, &o->hhours[i]);
            n += (size_t)snprintf(json + n, cap - n, ",\"hours\":%s", h);
        }
        n += (size_t)snprintf(json + n, cap - n, "}");
    }
    snprintf(json + n, cap - n, "]}");
}

#define WINDOW_MIN (8 * 1440)

static void check_window(const ocal_t *o, const bh_calendar_t *c, int64_t start, const char *json)
{
    static bool open[WINDOW_MIN];
    static int64_t prefix[WINDOW_MIN + 1];
    prefix[0] = 0;
    for (int i = 0; i < WINDOW_MIN; i++) {
        time_t tt = (time_t)((start + i * MIN_MS) / 1000);
        struct tm tm;
        localtime_r(&tt, &tm);
        int64_t day = tz_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
        open[i] = oracle_open(o, day, tm.tm_hour * 60 + tm.tm_min);
        prefix[i + 1] = prefix[i] + open[i];
        int64_t t = start + i * MIN_MS;
        if (bh_is_open(c, t) != open[i] || bh_is_open(c, t + 59999) != open[i])
            fail_msg("is_open at %lld: want %d in %s", (long long)t, open[i], json);
    }
    for (int k = 0; k < 300; k++) {
        int i = (int)rnd_range(0, WINDOW_MIN), j = (int)rnd_range(i, WINDOW_MIN);
        int64_t want = (prefix[j] - prefix[i]) * MIN_MS;
        int64_t got = bh_business_ms(c, start + i * MIN_MS, start + j * MIN_MS);
        if (got != want)
            fail_msg("business_ms minutes %d..%d: want %lld got %lld in %s", i, j, (long long)want,
                     (long long)got, json);
        /* next_open, when it lies inside the window */
        int f = i;
        while (f < WINDOW_MIN && !open[f]) f++;
        int64_t n = bh_next_open(c, start + i * MIN_MS);
        if (f < WINDOW_MIN)
            assert_int_equal(n, start + f * MIN_MS);
        else
            assert_true(n >= start + WINDOW_MIN * MIN_MS);
        /* add_business_ms of whole minutes: the first minute end reaching the count */
        int64_t need = prefix[j] - prefix[i];
        if (need > 0) {
            int e = i;
            while (prefix[e] - prefix[i] < need) e++;
            assert_int_equal(bh_add_business_ms(c, start + i * MIN_MS, need * MIN_MS),
                             start + e * MIN_MS);
        }
    }
}

static void test_oracle(void **state)
{
    (void)state;
    static const struct {
        const char *zone;
        int y, m, d; /* a day with a change (or any day) */
    } windows[] = {
        {"Europe/Paris", 2026, 3, 29},       {"Europe/Paris", 2026, 10, 25},
        {"America/New_York", 2026, 3, 8},    {"America/New_York", 2026, 11, 1},
        {"Asia/Kolkata", 2026, 6, 1},        {"Pacific/Apia", 2011, 12, 30},
        {"Pacific/Tongatapu", 2026, 1, 1},   {"Australia/Sydney", 2026, 4, 5},
        {"Australia/Sydney", 2026, 10, 4},   {"America/Santiago", 2026, 9, 6},
        {"America/Santiago", 2026, 4, 5},    {"UTC", 2028, 2, 29},
        {"Europe/Paris", 2026, 12, 31},      {"Europe/Dublin", 2027, 3, 28},
        {"Australia/Lord_Howe", 2026, 4, 5}, {"America/New_York", 2070, 11, 2},
    };
    char json[4096];
    for (size_t w = 0; w < sizeof windows / sizeof windows[0]; w++) {
        set_tz(windows[w].zone);
        int64_t day = tz_days_from_civil(windows[w].y, windows[w].m, windows[w].d);
        for (int r = 0; r < 12; r++) {
            ocal_t o;
            random_calendar(&o, windows[w].zone, day - 4, json, sizeof json);
            bh_calendar_t *c = cal(json);
            check_window(&o, c, (day - 4) * DAY_MS - 14 * HOUR_MS, json);
            bh_calendar_free(c);
        }
    }
    unsetenv("TZ");
    tzset();
}

/* ---- speed and threads ---- */

static void test_speed(void **state)
{
    (void)state;
    bh_calendar_t *c = cal(prop_calendars[0]);
    const int n = 20000;
    int64_t sum = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < n; i++) {
        int64_t a = utc(2026, 1, 1, 0, 0) + (int64_t)i * 997 * MIN_MS;
        sum += bh_business_ms(c, a, a + 30 * DAY_MS);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double us = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 1e3;
    printf("bh_business_ms over 30 days: %.2f us per call (%d calls)\n", us / n, n);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < n; i++) {
        int64_t a = utc(2026, 1, 1, 0, 0) + (int64_t)i * 997 * MIN_MS;
        sum += bh_add_business_ms(c, a, 5 * DAY_MS);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double us2 = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 1e3;
    printf("bh_add_business_ms of 5 business days: %.2f us per call\n", us2 / n);
    assert_true(sum > 0);
    assert_true(us / n < 200.0); /* generous: sanitizer builds on slow machines */
    bh_calendar_free(c);
}

typedef struct {
    const bh_calendar_t *c;
    const int64_t *a, *want;
    int n;
    int bad;
} thread_job_t;

static void *thread_run(void *p)
{
    thread_job_t *j = p;
    for (int r = 0; r < 20; r++)
        for (int i = 0; i < j->n; i++)
            if (bh_business_ms(j->c, j->a[i], j->a[i] + 10 * DAY_MS) != j->want[i]) j->bad++;
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    bh_calendar_t *c = cal(prop_calendars[1]);
    enum { N = 500, T = 4 };
    static int64_t a[N], want[N];
    for (int i = 0; i < N; i++) {
        a[i] = rnd_range(utc(2025, 1, 1, 0, 0), utc(2030, 1, 1, 0, 0));
        want[i] = bh_business_ms(c, a[i], a[i] + 10 * DAY_MS);
    }
    pthread_t th[T];
    thread_job_t jobs[T];
    for (int t = 0; t < T; t++) {
        jobs[t] = (thread_job_t){c, a, want, N, 0};
        assert_int_equal(pthread_create(&th[t], NULL, thread_run, &jobs[t]), 0);
    }
    for (int t = 0; t < T; t++) {
        pthread_join(th[t], NULL);
        assert_int_equal(jobs[t].bad, 0);
    }
    bh_calendar_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_null_calendar),
        cmocka_unit_test(test_paris_weekdays),
        cmocka_unit_test(test_dst_days_24h),
        cmocka_unit_test(test_dst_gap_and_repeat),
        cmocka_unit_test(test_shift_across_dst),
        cmocka_unit_test(test_overnight),
        cmocka_unit_test(test_holidays),
        cmocka_unit_test(test_leap_day_and_year_end),
        cmocka_unit_test(test_always_and_never),
        cmocka_unit_test(test_odd_zones),
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_extremes),
        cmocka_unit_test(test_tz_offsets_match_glibc),
        cmocka_unit_test(test_tz_parse_garbage),
        cmocka_unit_test(test_add_inverse),
        cmocka_unit_test(test_oracle),
        cmocka_unit_test(test_speed),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
