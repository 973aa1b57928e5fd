/*
 * bhours.c - business-hours calendars: parsing, open/closed arithmetic, summary.
 *
 * Owns the calendar representation and every computation on it; the zone's
 * offsets come from core/tzfile (the TZif file of the zone, read once when the
 * calendar is parsed), never from setenv("TZ")/localtime, so the functions are
 * pure, thread-safe and independent of the process's own zone.
 *
 * Design. Two time axes: UTC instants u, and "local instants" L = u + offset(u),
 * ms since 1970-01-01T00:00 of the local wall clock. The schedule is a set of
 * disjoint local intervals, generated day by day (a day's spans, clipped at the
 * next midnight when the next day is a holiday). The UTC axis is cut into
 * segments of constant offset ([u, next transition)); inside a segment the map
 * u -> L is a translation, so "is open", "first open", "measure" and "consume
 * n ms" are computed on the local axis and translated back. A local time in a
 * spring-forward gap belongs to no segment (never open); a repeated local time
 * belongs to two segments (open twice). The cost is one step per local day and
 * one per offset change: 30 days of bh_business_ms take a few microseconds.
 */
#include "core/bhours.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/mem.h"
#include "core/tzfile.h"

#define MIN_MS     60000LL
#define DAY_MS     86400000LL
#define DAY_MIN    1440
#define PTR_MAX    96 /* sizeof parley_err_t.field */
#define NAME_BYTES 100

typedef struct {
    int16_t start, end; /* minutes after the day's midnight; start < end < 2880 */
    uint8_t orig;       /* index in the input array, for error pointers */
} span_t;

typedef struct {
    uint8_t n;
    span_t s[BH_MAX_PER_DAY]; /* ascending, disjoint; only the last may pass 1440 */
} day_hours_t;

typedef struct {
    int64_t day; /* days since 1970-01-01 of the local date */
    uint32_t orig;
    day_hours_t h;
} holiday_t;

struct bh_calendar {
    tz_zone_t *zone;
    char zone_name[TZ_NAME_MAX];
    day_hours_t weekly[7]; /* 0 = Monday */
    size_t nholidays;
    holiday_t *holidays; /* ascending by day, unique */
};

static const char *const day_keys[8] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun", NULL};
static const char *const day_names[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

/* ---- small arithmetic ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static int weekday(int64_t day) /* 0 = Monday; 1970-01-01 was a Thursday */
{
    return (int)(((day + 3) % 7 + 7) % 7);
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

/* ---- parsing ---- */

/* base + "/" + key (RFC 6901-escaped) into out. */
static void ptr_key(char *out, const char *base, const char *key)
{
    size_t o = (size_t)snprintf(out, PTR_MAX, "%s/", base);
    for (const char *k = key; *k && o + 3 < PTR_MAX; k++) {
        if (*k == '~' || *k == '/') {
            out[o++] = '~';
            out[o++] = *k == '~' ? '0' : '1';
        } else
            out[o++] = *k;
    }
    out[o < PTR_MAX ? o : PTR_MAX - 1] = '\0';
}

static void ptr_idx(char *out, const char *base, size_t i)
{
    /* Checked so gcc -O2 does not flag the (harmless, cut) truncation. */
    if (snprintf(out, PTR_MAX, "%s/%zu", base, i) >= PTR_MAX) out[PTR_MAX - 1] = '\0';
}

static int check_known(json_t *obj, const char *base, const char *const *allowed, parley_err_t *err)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        bool ok = false;
        for (int i = 0; allowed[i] && !ok; i++) ok = strcmp(k, allowed[i]) == 0;
        if (!ok) {
            char ptr[PTR_MAX];
            ptr_key(ptr, base, k);
            return parley_errf(err, PARLEY_EINVAL, ptr, "unknown field");
        }
    }
    return 0;
}

/* "HH:MM" into minutes; "24:00" only when allow_24. */
static bool parse_hhmm(json_t *v, bool allow_24, int *out)
{
    if (!json_is_string(v) || json_string_length(v) != 5) return false;
    const char *s = json_string_value(v);
    for (int i = 0; i < 5; i++)
        if (i == 2 ? s[i] != ':' : (s[i] < '0' || s[i] > '9')) return false;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (m > 59 || h > 24 || (h == 24 && (m != 0 || !allow_24))) return false;
    *out = h * 60 + m;
    return true;
}

static int cmp_span(const void *a, const void *b)
{
    const span_t *x = a, *y = b;
    return (x->start > y->start) - (x->start < y->start);
}

/* An array of ["HH:MM","HH:MM"] pairs at pointer base into out, sorted. */
static int parse_hours(json_t *arr, const char *base, day_hours_t *out, parley_err_t *err)
{
    char ptr[PTR_MAX];
    memset(out, 0, sizeof *out);
    if (!json_is_array(arr))
        return parley_errf(err, PARLEY_EINVAL, base, "must be an array of [\"HH:MM\",\"HH:MM\"]");
    if (json_array_size(arr) > BH_MAX_PER_DAY)
        return parley_errf(err, PARLEY_EINVAL, base, "at most %d intervals per day",
                           BH_MAX_PER_DAY);
    size_t i;
    json_t *pair;
    json_array_foreach(arr, i, pair)
    {
        ptr_idx(ptr, base, i);
        if (!json_is_array(pair) || json_array_size(pair) != 2)
            return parley_errf(err, PARLEY_EINVAL, ptr, "an interval is [\"HH:MM\",\"HH:MM\"]");
        int start, end;
        char sub[PTR_MAX];
        ptr_idx(sub, ptr, 0);
        if (!parse_hhmm(json_array_get(pair, 0), false, &start))
            return parley_errf(err, PARLEY_EINVAL, sub,
                               "a start time is \"HH:MM\", 00:00 to 23:59");
        ptr_idx(sub, ptr, 1);
        if (!parse_hhmm(json_array_get(pair, 1), true, &end))
            return parley_errf(err, PARLEY_EINVAL, sub, "an end time is \"HH:MM\", 00:00 to 24:00");
        if (end <= start) end += DAY_MIN; /* runs past midnight */
        out->s[out->n++] = (span_t){(int16_t)start, (int16_t)end, (uint8_t)i};
    }
    qsort(out->s, out->n, sizeof out->s[0], cmp_span);
    for (int k = 1; k < out->n; k++) {
        if (out->s[k - 1].end > out->s[k].start) {
            int later = out->s[k].orig > out->s[k - 1].orig ? k : k - 1;
            ptr_idx(ptr, base, out->s[later].orig);
            return parley_errf(err, PARLEY_EINVAL, ptr, "intervals of one day overlap");
        }
    }
    return 0;
}

/* The overnight tail (minutes past the next midnight) of a day's hours. */
static int tail_of(const day_hours_t *h)
{
    return h->n && h->s[h->n - 1].end > DAY_MIN ? h->s[h->n - 1].end - DAY_MIN : 0;
}

static int parse_weekly(bh_calendar_t *c, json_t *weekly, parley_err_t *err)
{
    char ptr[PTR_MAX];
    if (!json_is_object(weekly))
        return parley_errf(err, PARLEY_EINVAL, "/weekly", "weekly must be an object of weekdays");
    int rc = check_known(weekly, "/weekly", day_keys, err);
    for (int d = 0; d < 7 && rc == 0; d++) {
        json_t *v = json_object_get(weekly, day_keys[d]);
        ptr_key(ptr, "/weekly", day_keys[d]);
        if (v && !json_is_null(v)) rc = parse_hours(v, ptr, &c->weekly[d], err);
    }
    for (int d = 0; d < 7 && rc == 0; d++) {
        const day_hours_t *next = &c->weekly[(d + 1) % 7];
        if (next->n && next->s[0].start < tail_of(&c->weekly[d])) {
            char sub[PTR_MAX];
            ptr_key(ptr, "/weekly", day_keys[(d + 1) % 7]);
            ptr_idx(sub, ptr, next->s[0].orig);
            rc = parley_errf(err, PARLEY_EINVAL, sub, "overlaps the overnight hours of %s",
                             day_keys[d]);
        }
    }
    return rc;
}

/* "YYYY-MM-DD", years 0001 to 9999, into days since the epoch. */
static bool parse_date(json_t *v, int64_t *day)
{
    if (!json_is_string(v) || json_string_length(v) != 10) return false;
    const char *s = json_string_value(v);
    int f[3] = {0, 0, 0}, k = 0;
    for (int i = 0; i < 10; i++) {
        if (i == 4 || i == 7) {
            if (s[i] != '-') return false;
            k++;
        } else if (s[i] < '0' || s[i] > '9')
            return false;
        else
            f[k] = f[k] * 10 + (s[i] - '0');
    }
    if (f[0] < 1 || f[1] < 1 || f[1] > 12 || f[2] < 1) return false;
    int64_t d = tz_days_from_civil(f[0], f[1], f[2]);
    int64_t y;
    int m, dd;
    tz_civil_from_days(d, &y, &m, &dd);
    if (m != f[1] || dd != f[2]) return false; /* 2026-02-30 and the like */
    *day = d;
    return true;
}

static int cmp_holiday(const void *a, const void *b)
{
    const holiday_t *x = a, *y = b;
    if (x->day != y->day) return (x->day > y->day) - (x->day < y->day);
    return (x->orig > y->orig) - (x->orig < y->orig);
}

static const holiday_t *find_holiday(const bh_calendar_t *c, int64_t day)
{
    size_t lo = 0, hi = c->nholidays;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->holidays[mid].day < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->nholidays && c->holidays[lo].day == day ? &c->holidays[lo] : NULL;
}

static int parse_holiday(json_t *h, const char *base, holiday_t *out, parley_err_t *err)
{
    static const char *const keys[] = {"date", "hours", "name", NULL};
    char ptr[PTR_MAX];
    if (!json_is_object(h))
        return parley_errf(err, PARLEY_EINVAL, base, "a holiday is an object with a date");
    int rc = check_known(h, base, keys, err);
    if (rc) return rc;
    ptr_key(ptr, base, "date");
    if (!parse_date(json_object_get(h, "date"), &out->day))
        return parley_errf(err, PARLEY_EINVAL, ptr, "a date is \"YYYY-MM-DD\"");
    json_t *name = json_object_get(h, "name");
    ptr_key(ptr, base, "name");
    if (name && !(json_is_string(name) && json_string_length(name) <= NAME_BYTES))
        return parley_errf(err, PARLEY_EINVAL, ptr, "a name is a string of at most %d bytes",
                           NAME_BYTES);
    json_t *hours = json_object_get(h, "hours");
    ptr_key(ptr, base, "hours");
    memset(&out->h, 0, sizeof out->h);
    return hours && !json_is_null(hours) ? parse_hours(hours, ptr, &out->h, err) : 0;
}

static int parse_holidays(bh_calendar_t *c, json_t *arr, parley_err_t *err)
{
    char ptr[PTR_MAX], sub[PTR_MAX];
    if (!arr || json_is_null(arr)) return 0;
    if (!json_is_array(arr))
        return parley_errf(err, PARLEY_EINVAL, "/holidays", "holidays must be an array");
    if (json_array_size(arr) > BH_MAX_HOLIDAYS)
        return parley_errf(err, PARLEY_ELIMIT, "/holidays", "at most %d holidays", BH_MAX_HOLIDAYS);
    c->holidays = xcalloc(json_array_size(arr) + 1, sizeof *c->holidays);
    size_t i;
    json_t *h;
    json_array_foreach(arr, i, h)
    {
        ptr_idx(ptr, "/holidays", i);
        int rc = parse_holiday(h, ptr, &c->holidays[i], err);
        if (rc) return rc;
        c->holidays[i].orig = (uint32_t)i;
        c->nholidays++;
    }
    qsort(c->holidays, c->nholidays, sizeof *c->holidays, cmp_holiday);
    for (size_t k = 1; k < c->nholidays; k++) {
        if (c->holidays[k].day == c->holidays[k - 1].day) {
            ptr_idx(ptr, "/holidays", c->holidays[k].orig);
            ptr_key(sub, ptr, "date");
            return parley_errf(err, PARLEY_EINVAL, sub, "the date is already a holiday");
        }
    }
    /* A holiday's overnight tail runs into the next day unless that is a holiday too. */
    for (size_t k = 0; k < c->nholidays; k++) {
        const holiday_t *hd = &c->holidays[k];
        int tail = tail_of(&hd->h);
        const day_hours_t *next = &c->weekly[weekday(hd->day + 1)];
        if (tail && !find_holiday(c, hd->day + 1) && next->n && next->s[0].start < tail) {
            ptr_idx(ptr, "/holidays", hd->orig);
            ptr_key(sub, ptr, "hours");
            ptr_idx(ptr, sub, hd->h.s[hd->h.n - 1].orig);
            return parley_errf(err, PARLEY_EINVAL, ptr, "overlaps the hours of the next day");
        }
    }
    return 0;
}

bh_calendar_t *bh_calendar_parse(const char *json, size_t len, parley_err_t *err)
{
    static const char *const keys[] = {"timezone", "weekly", "holidays", NULL};
    json_t *root = NULL;
    bh_calendar_t *c = NULL;
    if (len > BH_JSON_MAX) {
        parley_errf(err, PARLEY_ELIMIT, "", "a calendar is at most %d bytes", BH_JSON_MAX);
        goto fail;
    }
    if (json_parse_limited(json, len, NULL, &root, err) != 0) goto fail;
    if (check_known(root, "", keys, err)) goto fail;
    c = xcalloc(1, sizeof *c);
    json_t *tz = json_object_get(root, "timezone");
    if (!json_is_string(tz) || json_string_length(tz) == 0 ||
        json_string_length(tz) >= TZ_NAME_MAX ||
        strlen(json_string_value(tz)) != json_string_length(tz)) {
        parley_errf(err, PARLEY_EINVAL, "/timezone", "timezone is required: an IANA zone name");
        goto fail;
    }
    int rc = tz_zone_load(json_string_value(tz), &c->zone, err);
    if (rc) {
        if (err) snprintf(err->field, sizeof err->field, "/timezone");
        goto fail;
    }
    snprintf(c->zone_name, sizeof c->zone_name, "%s", json_string_value(tz));
    json_t *weekly = json_object_get(root, "weekly");
    if (!weekly) {
        parley_errf(err, PARLEY_EINVAL, "/weekly", "weekly is required");
        goto fail;
    }
    if (parse_weekly(c, weekly, err) || parse_holidays(c, json_object_get(root, "holidays"), err))
        goto fail;
    json_decref(root);
    return c;
fail:
    json_decref(root);
    bh_calendar_free(c);
    return NULL;
}

void bh_calendar_free(bh_calendar_t *c)
{
    if (!c) return;
    tz_zone_free(c->zone);
    free(c->holidays);
    free(c);
}

/* ---- the local axis ---- */

/* Walks the open spans of the local axis in order, one local day at a time,
 * starting with the day before the one of the first point asked about (its
 * overnight tail may reach into it). */
typedef struct {
    const bh_calendar_t *c;
    int64_t day;
    int64_t s[BH_MAX_PER_DAY], e[BH_MAX_PER_DAY];
    int n, i;
} walk_t;

static void load_day(walk_t *w)
{
    const holiday_t *hol = find_holiday(w->c, w->day);
    const day_hours_t *h = hol ? &hol->h : &w->c->weekly[weekday(w->day)];
    int64_t base = w->day * DAY_MS, cut = base + DAY_MS;
    bool clip = h->n && h->s[h->n - 1].end > DAY_MIN && find_holiday(w->c, w->day + 1);
    for (int k = 0; k < h->n; k++) {
        w->s[k] = base + h->s[k].start * MIN_MS;
        w->e[k] = base + h->s[k].end * MIN_MS;
        if (clip && w->e[k] > cut) w->e[k] = cut;
    }
    w->n = h->n;
    w->i = 0;
}

static void walk_init(walk_t *w, const bh_calendar_t *c, int64_t from)
{
    w->c = c;
    w->day = floor_div(from, DAY_MS) - 1;
    load_day(w);
}

/* The next span starting before limit, or false. */
static bool walk_next(walk_t *w, int64_t limit, int64_t *s, int64_t *e)
{
    while (w->i >= w->n) {
        w->day++;
        if (w->day * DAY_MS >= limit) return false;
        load_day(w);
    }
    if (w->s[w->i] >= limit) return false;
    *s = w->s[w->i];
    *e = w->e[w->i];
    w->i++;
    return true;
}

/* Open length of local [a, b). */
static int64_t local_measure(const bh_calendar_t *c, int64_t a, int64_t b)
{
    walk_t w;
    int64_t s, e, sum = 0;
    walk_init(&w, c, a);
    while (walk_next(&w, b, &s, &e))
        if (e > a) sum += min64(e, b) - max64(s, a);
    return sum;
}

/* The first open local point in [a, b). */
static bool local_first_open(const bh_calendar_t *c, int64_t a, int64_t b, int64_t *at)
{
    walk_t w;
    int64_t s, e;
    walk_init(&w, c, a);
    while (walk_next(&w, b, &s, &e)) {
        if (e > a) {
            *at = max64(s, a);
            return true;
        }
    }
    return false;
}

/* The earliest local point x in (a, b] with *need ms open in [a, x); when [a, b)
 * holds less, subtracts what it holds from *need and returns false. */
static bool local_consume(const bh_calendar_t *c, int64_t a, int64_t b, int64_t *need, int64_t *at)
{
    walk_t w;
    int64_t s, e;
    walk_init(&w, c, a);
    while (walk_next(&w, b, &s, &e)) {
        if (e <= a) continue;
        int64_t x = max64(s, a), y = min64(e, b);
        if (y - x >= *need) {
            *at = x + *need;
            return true;
        }
        *need -= y - x;
    }
    return false;
}

/* ---- the UTC axis ---- */

/* The offset (ms) at u, and the end of the constant-offset segment from u. */
static int64_t segment(const bh_calendar_t *c, int64_t u, int64_t *end)
{
    int64_t next;
    int64_t off = tz_zone_offset(c->zone, floor_div(u, 1000), &next);
    *end = next > BH_T_MAX / 1000 ? BH_T_MAX + 1 : next * 1000;
    return off * 1000;
}

bool bh_is_open(const bh_calendar_t *c, int64_t t)
{
    if (!c) return true;
    if (t < BH_T_MIN || t > BH_T_MAX) return false;
    int64_t end, at;
    int64_t off = segment(c, t, &end);
    return local_first_open(c, t + off, t + off + 1, &at);
}

int64_t bh_next_open(const bh_calendar_t *c, int64_t t)
{
    if (!c) return t;
    int64_t u = max64(t, BH_T_MIN);
    if (u > BH_T_MAX) return INT64_MAX;
    int64_t limit = min64(u + BH_SEARCH_MS, BH_T_MAX + 1);
    while (u < limit) {
        int64_t end, at;
        int64_t off = segment(c, u, &end);
        end = min64(end, limit);
        if (local_first_open(c, u + off, end + off, &at)) return at - off;
        u = end;
    }
    return INT64_MAX;
}

int64_t bh_business_ms(const bh_calendar_t *c, int64_t a, int64_t b)
{
    if (a >= b) return 0;
    if (!c) {
        int64_t d;
        return __builtin_sub_overflow(b, a, &d) ? INT64_MAX : d;
    }
    a = max64(a, BH_T_MIN);
    b = min64(b, BH_T_MAX + 1);
    int64_t sum = 0;
    while (a < b) {
        int64_t end;
        int64_t off = segment(c, a, &end);
        end = min64(end, b);
        sum += local_measure(c, a + off, end + off);
        a = end;
    }
    return sum;
}

int64_t bh_add_business_ms(const bh_calendar_t *c, int64_t t, int64_t ms)
{
    if (ms <= 0) return t;
    if (!c) {
        int64_t d;
        return __builtin_add_overflow(t, ms, &d) ? INT64_MAX : d;
    }
    int64_t u = t, need = ms;
    for (;;) {
        /* Jumping to the next opening bounds every step: a closed stretch of
         * 400 days ends the search instead of walking to the year 9999. */
        u = bh_next_open(c, u);
        if (u == INT64_MAX) return INT64_MAX;
        int64_t end, at;
        int64_t off = segment(c, u, &end);
        end = min64(end, min64(u + BH_SEARCH_MS, BH_T_MAX + 1));
        if (local_consume(c, u + off, end + off, &need, &at)) return at - off;
        if (end > BH_T_MAX) return INT64_MAX;
        u = end;
    }
}

/* ---- summary ---- */

typedef struct {
    char *buf;
    size_t cap, len;
} out_t;

static void outf(out_t *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void outf(out_t *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = o->len < o->cap ? o->cap - o->len : 0;
    int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0) o->len += (size_t)n;
}

static void out_hours(out_t *o, const day_hours_t *h)
{
    for (int k = 0; k < h->n; k++) {
        int s = h->s[k].start, e = h->s[k].end;
        if (e > DAY_MIN) e -= DAY_MIN;
        outf(o, "%s%02d:%02d-%02d:%02d", k ? " & " : "", s / 60, s % 60, e / 60, e % 60);
    }
}

static bool same_hours(const day_hours_t *a, const day_hours_t *b)
{
    if (a->n != b->n) return false;
    for (int k = 0; k < a->n; k++)
        if (a->s[k].start != b->s[k].start || a->s[k].end != b->s[k].end) return false;
    return true;
}

static void out_weekly(out_t *o, const bh_calendar_t *c)
{
    bool all_same = true, first = true;
    for (int d = 1; d < 7; d++) all_same = all_same && same_hours(&c->weekly[0], &c->weekly[d]);
    const day_hours_t *mon = &c->weekly[0];
    if (all_same && mon->n == 1 && mon->s[0].start == 0 && mon->s[0].end == DAY_MIN) {
        outf(o, "24/7");
        return;
    }
    if (all_same) {
        outf(o, mon->n ? "Daily " : "Closed");
        out_hours(o, mon);
        return;
    }
    for (int d = 0; d < 7;) {
        int last = d;
        while (last + 1 < 7 && same_hours(&c->weekly[d], &c->weekly[last + 1])) last++;
        if (c->weekly[d].n) {
            outf(o, "%s%s", first ? "" : ", ", day_names[d]);
            if (last > d) outf(o, "-%s", day_names[last]);
            outf(o, " ");
            out_hours(o, &c->weekly[d]);
            first = false;
        }
        d = last + 1;
    }
}

size_t bh_describe(const bh_calendar_t *c, char *buf, size_t cap)
{
    out_t o = {buf, cap, 0};
    if (cap) buf[0] = '\0';
    if (!c) {
        outf(&o, "24/7");
        return o.len;
    }
    out_weekly(&o, c);
    outf(&o, " (%s)", c->zone_name);
    for (size_t k = 0; k < c->nholidays; k++) {
        const holiday_t *h = &c->holidays[k];
        int64_t y;
        int m, d;
        tz_civil_from_days(h->day, &y, &m, &d);
        outf(&o, "; %s%04d-%02d-%02d%s", h->h.n ? "" : "closed ", (int)y, m, d, h->h.n ? " " : "");
        out_hours(&o, &h->h);
    }
    return o.len;
}
