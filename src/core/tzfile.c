/*
 * tzfile.c - TZif reader and POSIX TZ rule evaluator.
 *
 * Owns the transition table of one zone and the footer rule that extends it
 * past its last transition. Reads only the 64-bit (version 2+) data block when
 * there is one, the 32-bit block of a version 1 file otherwise. Never calls
 * tzset/localtime: the result is a plain table any thread may read.
 */
#include "core/tzfile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

#define SECS_PER_DAY 86400

/* One end of a daylight-saving period in a POSIX TZ rule: a date kind
 * ('J' = Julian 1..365 without Feb 29, 'N' = zero-based day 0..365, 'M' =
 * month.week.weekday) and the local time of day (may be negative or past 24h). */
typedef struct {
    char kind;
    int n, m, w, d;
    int32_t secs;
} rule_date_t;

typedef struct {
    bool present;             /* the file carried a non-empty footer */
    bool has_dst;             /* the rule has a daylight-saving period */
    int32_t std_off, dst_off; /* east positive */
    rule_date_t start, end;   /* std -> dst, dst -> std */
} posix_rule_t;

struct tz_zone {
    size_t n;           /* transitions */
    int64_t *at;        /* ascending transition instants */
    int32_t *off_after; /* offset in force from at[i] */
    int32_t off_before; /* offset before at[0] (time type 0) */
    posix_rule_t rule;
};

/* ---- calendar arithmetic ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

int64_t tz_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void tz_civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
    int64_t z = days + 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

/* ---- POSIX TZ footer ---- */

static const char *parse_abbr(const char *p)
{
    if (*p == '<') {
        const char *q = ++p;
        while (*q && *q != '>') {
            if (!(*q == '+' || *q == '-' || (*q >= '0' && *q <= '9') || (*q >= 'A' && *q <= 'Z') ||
                  (*q >= 'a' && *q <= 'z')))
                return NULL;
            q++;
        }
        return *q == '>' && q - p >= 3 ? q + 1 : NULL;
    }
    const char *q = p;
    while ((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z')) q++;
    return q - p >= 3 ? q : NULL;
}

static const char *parse_num(const char *p, int lo, int hi, int *out)
{
    int v = 0, digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 4) v = v * 10 + (*p++ - '0'), digits++;
    if (digits == 0 || v < lo || v > hi) return NULL;
    *out = v;
    return p;
}

/* [+-]hh[:mm[:ss]] with hours up to max_h; the value in seconds. */
static const char *parse_hms(const char *p, int max_h, int32_t *out)
{
    int sign = 1, h, m = 0, s = 0;
    if (*p == '+' || *p == '-') sign = *p++ == '-' ? -1 : 1;
    if (!(p = parse_num(p, 0, max_h, &h))) return NULL;
    if (*p == ':') {
        if (!(p = parse_num(p + 1, 0, 59, &m))) return NULL;
        if (*p == ':' && !(p = parse_num(p + 1, 0, 59, &s))) return NULL;
    }
    *out = sign * (h * 3600 + m * 60 + s);
    return p;
}

static const char *parse_rule_date(const char *p, rule_date_t *r)
{
    memset(r, 0, sizeof *r);
    if (*p == 'J') {
        r->kind = 'J';
        p = parse_num(p + 1, 1, 365, &r->n);
    } else if (*p == 'M') {
        r->kind = 'M';
        if (!(p = parse_num(p + 1, 1, 12, &r->m)) || *p != '.') return NULL;
        if (!(p = parse_num(p + 1, 1, 5, &r->w)) || *p != '.') return NULL;
        p = parse_num(p + 1, 0, 6, &r->d);
    } else {
        r->kind = 'N';
        p = parse_num(p, 0, 365, &r->n);
    }
    if (!p) return NULL;
    r->secs = 7200;
    if (*p == '/') p = parse_hms(p + 1, 167, &r->secs);
    return p;
}

/* Parses a footer such as "CET-1CEST,M3.5.0,M10.5.0/3" or "<+13>-13". */
static bool parse_posix(const char *p, posix_rule_t *r)
{
    memset(r, 0, sizeof *r);
    int32_t west;
    if (!(p = parse_abbr(p)) || !(p = parse_hms(p, 24, &west))) return false;
    r->std_off = -west;
    r->present = true;
    if (*p == '\0') return true;
    if (!(p = parse_abbr(p))) return false;
    r->has_dst = true;
    r->dst_off = r->std_off + 3600;
    if (*p && *p != ',') {
        if (!(p = parse_hms(p, 24, &west))) return false;
        r->dst_off = -west;
    }
    if (*p == '\0') { /* POSIX default: the US rules */
        r->start = (rule_date_t){'M', 0, 3, 2, 0, 7200};
        r->end = (rule_date_t){'M', 0, 11, 1, 0, 7200};
        return true;
    }
    if (*p != ',' || !(p = parse_rule_date(p + 1, &r->start))) return false;
    if (*p != ',' || !(p = parse_rule_date(p + 1, &r->end))) return false;
    return *p == '\0';
}

/* Days since the epoch of a rule date in year y. */
static int64_t rule_day(const rule_date_t *r, int64_t y)
{
    int64_t jan1 = tz_days_from_civil(y, 1, 1);
    if (r->kind == 'J') return jan1 + r->n - 1 + (is_leap(y) && r->n >= 60);
    if (r->kind == 'N') return jan1 + r->n;
    int64_t first = tz_days_from_civil(y, r->m, 1);
    int wd_first = (int)((first % 7 + 7 + 4) % 7); /* 1970-01-01 was a Thursday (4) */
    int64_t day = first + (r->d - wd_first + 7) % 7 + 7 * (r->w - 1);
    while (day - first >= month_days(y, r->m)) day -= 7;
    return day;
}

typedef struct {
    int64_t at;
    int32_t off;
} change_t;

static int64_t posix_offset(const posix_rule_t *r, int64_t t, int64_t *next)
{
    if (!r->has_dst) {
        if (next) *next = INT64_MAX;
        return r->std_off;
    }
    const int64_t lim = (int64_t)1 << 60; /* keeps the date arithmetic far from overflow */
    bool beyond = t > lim;
    if (beyond) t = lim;
    if (t < -lim) t = -lim;
    int64_t y;
    int m, d;
    tz_civil_from_days(floor_div(t + r->std_off, SECS_PER_DAY), &y, &m, &d);
    /* The changes of the neighbouring years, in time order, decide both the
     * offset now (the last change at or before t) and the next change. */
    change_t ch[6];
    for (int i = 0; i < 3; i++) {
        int64_t yy = y - 1 + i;
        ch[2 * i] = (change_t){rule_day(&r->start, yy) * SECS_PER_DAY + r->start.secs - r->std_off,
                               r->dst_off};
        ch[2 * i + 1] =
            (change_t){rule_day(&r->end, yy) * SECS_PER_DAY + r->end.secs - r->dst_off, r->std_off};
    }
    for (int i = 1; i < 6; i++) /* insertion sort of six */
        for (int j = i; j > 0 && ch[j].at < ch[j - 1].at; j--) {
            change_t tmp = ch[j];
            ch[j] = ch[j - 1];
            ch[j - 1] = tmp;
        }
    int32_t off = r->std_off;
    int64_t nx = INT64_MAX;
    for (int i = 0; i < 6; i++) {
        if (ch[i].at <= t)
            off = ch[i].off;
        else {
            nx = ch[i].at;
            break;
        }
    }
    if (next) *next = beyond ? INT64_MAX : nx;
    return off;
}

/* ---- TZif ---- */

typedef struct {
    uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
} tzif_counts_t;

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const uint8_t *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static bool read_header(const uint8_t *p, size_t len, char *version, tzif_counts_t *c)
{
    if (len < 44 || memcmp(p, "TZif", 4) != 0) return false;
    *version = (char)p[4];
    c->isutcnt = be32(p + 20);
    c->isstdcnt = be32(p + 24);
    c->leapcnt = be32(p + 28);
    c->timecnt = be32(p + 32);
    c->typecnt = be32(p + 36);
    c->charcnt = be32(p + 40);
    return true;
}

/* Bytes of the data block after a header, or 0 when the counts are absurd. */
static size_t block_size(const tzif_counts_t *c, size_t tsize)
{
    if (c->timecnt > 100000 || c->typecnt == 0 || c->typecnt > 256 || c->charcnt == 0 ||
        c->charcnt > 100000 || c->leapcnt > 100000 || (c->isutcnt && c->isutcnt != c->typecnt) ||
        (c->isstdcnt && c->isstdcnt != c->typecnt))
        return 0;
    return (size_t)c->timecnt * tsize + c->timecnt + (size_t)c->typecnt * 6 + c->charcnt +
           (size_t)c->leapcnt * (tsize + 4) + c->isstdcnt + c->isutcnt;
}

static int invalid(parley_err_t *err, const char *why)
{
    return parley_errf(err, PARLEY_EINVAL, "", "the time zone file is not valid TZif data: %s",
                       why);
}

int tz_zone_parse(const uint8_t *data, size_t len, tz_zone_t **out, parley_err_t *err)
{
    *out = NULL;
    tzif_counts_t c;
    char version;
    if (!read_header(data, len, &version, &c)) return invalid(err, "bad magic");
    size_t tsize = 4, size = block_size(&c, 4);
    const uint8_t *p = data + 44;
    if (size == 0 || size > len - 44) return invalid(err, "bad counts");
    if (version != 0) { /* skip the 32-bit block; the 64-bit one follows */
        size_t rest = len - 44 - size;
        if (!read_header(p + size, rest, &version, &c)) return invalid(err, "no second header");
        p += size + 44;
        tsize = 8;
        size = block_size(&c, 8);
        if (size == 0 || size > rest - 44) return invalid(err, "bad counts");
    }
    if (c.leapcnt != 0) return invalid(err, "leap-second zones are not supported");
    const uint8_t *times = p, *idx = p + (size_t)c.timecnt * tsize;
    const uint8_t *types = idx + c.timecnt, *end = p + size;

    int32_t utoff[256];
    for (uint32_t i = 0; i < c.typecnt; i++) {
        int32_t o = (int32_t)be32(types + 6 * i);
        if (o < -TZ_UTOFF_MAX || o > TZ_UTOFF_MAX) return invalid(err, "offset out of range");
        utoff[i] = o;
    }
    posix_rule_t rule = {0};
    if (version != 0) {
        size_t rest = (size_t)(data + len - end);
        if (rest < 2 || end[0] != '\n') return invalid(err, "missing footer");
        const uint8_t *nl = memchr(end + 1, '\n', rest - 1);
        if (!nl || nl - end - 1 >= 128) return invalid(err, "bad footer");
        char footer[128];
        memcpy(footer, end + 1, (size_t)(nl - end - 1));
        footer[nl - end - 1] = '\0';
        if (footer[0] && !parse_posix(footer, &rule)) return invalid(err, "bad footer rule");
        if (rule.present && (rule.std_off < -TZ_UTOFF_MAX || rule.std_off > TZ_UTOFF_MAX ||
                             rule.dst_off < -TZ_UTOFF_MAX || rule.dst_off > TZ_UTOFF_MAX))
            return invalid(err, "footer offset out of range");
    }

    tz_zone_t *z = xcalloc(1, sizeof *z);
    z->n = c.timecnt;
    z->at = xmalloc((c.timecnt ? c.timecnt : 1) * sizeof *z->at);
    z->off_after = xmalloc((c.timecnt ? c.timecnt : 1) * sizeof *z->off_after);
    z->off_before = utoff[0];
    z->rule = rule;
    for (uint32_t i = 0; i < c.timecnt; i++) {
        z->at[i] = tsize == 8 ? be64(times + 8 * i) : (int32_t)be32(times + 4 * i);
        if (idx[i] >= c.typecnt || (i > 0 && z->at[i] <= z->at[i - 1])) {
            tz_zone_free(z);
            return invalid(err, "bad transition");
        }
        z->off_after[i] = utoff[idx[i]];
    }
    *out = z;
    return 0;
}

void tz_zone_free(tz_zone_t *z)
{
    if (!z) return;
    free(z->at);
    free(z->off_after);
    free(z);
}

int32_t tz_zone_offset(const tz_zone_t *z, int64_t t, int64_t *next)
{
    if (z->n == 0 || t >= z->at[z->n - 1]) {
        if (z->rule.present) return (int32_t)posix_offset(&z->rule, t, next);
        if (next) *next = INT64_MAX;
        return z->n ? z->off_after[z->n - 1] : z->off_before;
    }
    if (t < z->at[0]) {
        if (next) *next = z->at[0];
        return z->off_before;
    }
    size_t lo = 0, hi = z->n - 1; /* at[lo] <= t < at[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->at[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    if (next) *next = z->at[hi];
    return z->off_after[lo];
}

static bool valid_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= TZ_NAME_MAX || name[0] == '/' || name[n - 1] == '/') return false;
    /* the host's own zone and tzcode's template are no zone a calendar should name */
    if (strcmp(name, "localtime") == 0 || strcmp(name, "posixrules") == 0) return false;
    const char *comp = name;
    for (const char *p = name;; p++) {
        if (*p == '/' || *p == '\0') {
            size_t clen = (size_t)(p - comp);
            if (clen == 0 || comp[0] == '.' || comp[0] == '-') return false;
            if (*p == '\0') return true;
            comp = p + 1;
            continue;
        }
        char ch = *p;
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '+' || ch == '-' || ch == '.'))
            return false;
    }
}

int tz_zone_load(const char *name, tz_zone_t **out, parley_err_t *err)
{
    *out = NULL;
    if (!valid_name(name)) return parley_errf(err, PARLEY_EINVAL, "", "not a time zone name");
    char path[sizeof TZ_DIR + TZ_NAME_MAX + 1];
    snprintf(path, sizeof path, "%s/%s", TZ_DIR, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT || errno == ENOTDIR)
            return parley_errf(err, PARLEY_ENOENT, "", "unknown time zone \"%s\"", name);
        return parley_errf(err, PARLEY_EIO, "", "cannot read time zone \"%s\"", name);
    }
    uint8_t *data = xmalloc(TZ_FILE_MAX);
    size_t len = fread(data, 1, TZ_FILE_MAX, f);
    int rc;
    if (ferror(f)) /* a directory ("Europe") reads as an error */
        rc = parley_errf(err, PARLEY_ENOENT, "", "unknown time zone \"%s\"", name);
    else if (len == TZ_FILE_MAX)
        rc = invalid(err, "file too large");
    else
        rc = tz_zone_parse(data, len, out, err);
    fclose(f);
    free(data);
    return rc;
}
