/*
 * reports.c - care metrics from the rollups: summary, series, breakdowns,
 * CSV, the weekly digest; and the replay that verifies the rollups.
 *
 * Owns the arithmetic of DOMAIN.md's metric table over summed rollup rows
 * and histograms. Percentiles come from the histogram: the rank's bucket,
 * valued at the mean of the samples in it (exact when they are equal).
 */
#include "desk/reports.h"

#include "core/tzfile.h"
#include "desk/digest.h"
#include "desk/rollups.h"
#include "desk/sla.h"
#include "store/store_catalog.h"
#include "store/store_desk.h"
#include "store/store_sla.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HOUR_MS 3600000LL
#define DAY_MS  (24 * HOUR_MS)

typedef report_agg_t agg_t;

static const struct store_reports_ops *rops(const app_t *app)
{
    return app->store->ops->reports;
}

static store_conn_t *reader(const app_t *app)
{
    return app->store->ops->reader(app->store);
}

/* ---- filters ------------------------------------------------------------------ */

static int64_t id_param(json_check_t *c, const char *v, const char *ptr)
{
    long long n;
    if (!v) return 0;
    if (!str_to_i64(str_from(v), &n) || n <= 0) {
        json_check_fail(c, ptr, "must be a positive integer id");
        return 0;
    }
    return n;
}

void report_query_parse(app_t *app, int64_t account_id,
                        const char *(*get)(void *ctx, const char *k), void *ctx, int64_t now,
                        report_query_t *q, json_check_t *c)
{
    memset(q, 0, sizeof *q);
    q->f.account_id = account_id;
    q->f.priority = -1;
    if (rops(app) && rops(app)->stale_get(reader(app), &q->stale_since)) q->stale_since = 0;
    const char *since = get(ctx, "since"), *until = get(ctx, "until");
    q->f.until = now;
    if (until && clock_parse_iso(until, &q->f.until))
        json_check_fail(c, "/until", "expected an RFC 3339 time such as 2026-11-24T09:00:00Z");
    q->f.since = q->f.until - REPORT_DEFAULT_DAYS * DAY_MS;
    if (since && clock_parse_iso(since, &q->f.since))
        json_check_fail(c, "/since", "expected an RFC 3339 time such as 2026-11-17T09:00:00Z");
    if (json_check_ok(c) && q->f.since >= q->f.until)
        json_check_fail(c, "/since", "since must be before until");
    q->f.inbox_id = id_param(c, get(ctx, "inbox"), "/inbox");
    q->f.team_id = id_param(c, get(ctx, "team"), "/team");
    q->f.agent_id = id_param(c, get(ctx, "agent"), "/agent");
    const char *ch = get(ctx, "channel");
    if (ch) {
        bool ok = *ch && strlen(ch) < 32;
        for (const char *p = ch; ok && *p; p++) ok = (*p >= 'a' && *p <= 'z') || *p == '_';
        if (!ok)
            json_check_fail(c, "/channel", "a channel name such as whatsapp or api");
        else
            q->f.channel = ch;
    }
    const char *pr = get(ctx, "priority");
    if (pr) {
        static const char *const names[] = {"low", "medium", "high", "critical"};
        for (int i = 0; i < 4; i++)
            if (!strcmp(pr, names[i])) q->f.priority = i;
        if (q->f.priority < 0)
            json_check_fail(c, "/priority", "priority is low, medium, high or critical");
    }
    const char *bh = get(ctx, "business_hours");
    if (bh) {
        if (!strcmp(bh, "true") || !strcmp(bh, "1"))
            q->business = true;
        else if (strcmp(bh, "false") && strcmp(bh, "0"))
            json_check_fail(c, "/business_hours", "business_hours is true or false");
    }
    const char *label = get(ctx, "label");
    if (label) {
        q->label = label;
        const struct store_desk_ops *d = app->store->ops->desk;
        if (!*label || d->label_find(reader(app), account_id, label, &q->f.label_id))
            json_check_fail(c, "/label", "no label with this name");
    }
}

/* ---- aggregation ------------------------------------------------------------------ */

/* Sums and histograms of q grouped by g into *aggs (malloc'd, *n groups). */
static int collect(app_t *app, const report_query_t *q, report_group_t g, agg_t **aggs, int *n)
{
    *aggs = NULL;
    *n = 0;
    return rops(app)->aggregate(reader(app), &q->f, g, aggs, n);
}

/* ---- metrics ------------------------------------------------------------------ */

/* Report answers are written as text (a year by day is 365 objects of 60
 * values: building them as jansson trees and dumping them took most of a
 * series' time), keys in reading order (volume, times, rates, surveys, SLA,
 * handling: the CSV columns follow it), and decimals printed as the rounded
 * decimal they are (46582.95, not the double's 46582.949999999997). */

/* Literal text then an integer (no printf: a year of points is 20,000 numbers). */
static void put_int(buf_t *b, const char *lit, int64_t v)
{
    buf_puts(b, lit);
    buf_put_int(b, v);
}

/* v / 10^decimals as a JSON number: trailing zeros dropped, one digit kept. */
static void put_fixed(buf_t *b, int64_t v, int decimals)
{
    static const int64_t pow10[] = {1, 10, 100, 1000, 10000};
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, d = (uint64_t)pow10[decimals];
    char frac[8];
    uint64_t f = u % d;
    for (int i = decimals - 1; i >= 0; i--, f /= 10) frac[i] = (char)('0' + f % 10);
    int n = decimals;
    while (n > 1 && frac[n - 1] == '0') n--;
    if (v < 0) buf_putc(b, '-');
    put_int(b, "", (int64_t)(u / d));
    buf_putc(b, '.');
    buf_append(b, frac, (size_t)n);
}

/* A duration in ms as seconds, rounded to the ms. */
static void put_seconds(buf_t *b, double ms)
{
    put_fixed(b, llround(ms), 3);
}

/* The bucket mean at rank ceil(p x total) of a histogram, or null. */
static void put_percentile(buf_t *b, const int64_t *hn, const int64_t *hs, int64_t total, double p)
{
    int64_t rank = (int64_t)ceil(p * (double)total), seen = 0;
    if (rank < 1) rank = 1;
    for (int k = 0; total && k < REPORT_BUCKETS; k++) {
        seen += hn[k];
        if (seen >= rank) {
            put_seconds(b, (double)hs[k] / (double)hn[k]);
            return;
        }
    }
    buf_puts(b, "null");
}

static void put_time_stat(buf_t *b, const char *key, const agg_t *g, int metric, int col_n,
                          bool business)
{
    int64_t n = g->v[col_n], sum = g->v[col_n + (business ? 2 : 1)];
    int m = metric + (business ? 1 : 0);
    buf_puts(b, ",\"");
    buf_puts(b, key);
    put_int(b, "\":{\"count\":", n);
    buf_puts(b, ",\"mean_seconds\":");
    if (n)
        put_seconds(b, (double)sum / (double)n);
    else
        buf_puts(b, "null");
    int64_t total = 0;
    for (int k = 0; k < REPORT_BUCKETS; k++) total += g->hn[m][k];
    buf_puts(b, ",\"median_seconds\":");
    put_percentile(b, g->hn[m], g->hs[m], total, 0.5);
    buf_puts(b, ",\"p90_seconds\":");
    put_percentile(b, g->hn[m], g->hs[m], total, 0.9);
    buf_putc(b, '}');
}

/* a / b to four decimals, or null when b is 0. */
static void put_ratio(buf_t *b, int64_t x, int64_t y)
{
    if (y)
        put_fixed(b, llround((double)x / (double)y * 10000.0), 4);
    else
        buf_puts(b, "null");
}

static void put_sla_kind(buf_t *b, const char *key, int64_t met, int64_t breached)
{
    buf_putc(b, '"');
    buf_puts(b, key);
    put_int(b, "\":{\"met\":", met);
    put_int(b, ",\"breached\":", breached);
    buf_puts(b, ",\"compliance\":");
    put_ratio(b, met, met + breached);
    buf_putc(b, '}');
}

/* A key of the answer's own (an id, a name, the point's start) with its
 * value already written as JSON, after the metrics. */
typedef struct {
    const char *key, *json;
} extra_t;

/* Every metric of one aggregate, then the extras; backlog < 0: not shown
 * (it is not a period sum). */
static void metrics_to(buf_t *b, const agg_t *g, bool business, int64_t backlog,
                       const extra_t *extras, int nx)
{
    const int64_t *v = g->v;
    put_int(b, "{\"volume\":{\"received\":", v[RC_received]);
    put_int(b, ",\"reopened\":", v[RC_reopened]);
    put_int(b, ",\"resolved\":", v[RC_resolved]);
    put_int(b, ",\"assigned\":", v[RC_assigned]);
    put_int(b, ",\"customer_messages\":", v[RC_msgs_in]);
    put_int(b, ",\"human_replies\":", v[RC_replies_out]);
    put_int(b, ",\"notes\":", v[RC_notes]);
    put_int(b, ",\"bot_messages\":", v[RC_bot_out]);
    put_int(b, ",\"automated_messages\":", v[RC_auto_out]);
    if (backlog >= 0) put_int(b, ",\"backlog\":", backlog);
    buf_putc(b, '}');
    put_time_stat(b, "first_response_time", g, HM_FRT, RC_frt_n, business);
    put_time_stat(b, "response_time", g, HM_RT, RC_rt_n, business);
    put_time_stat(b, "resolution_time", g, HM_RES, RC_res_n, business);
    buf_puts(b, ",\"resolution_rate\":");
    put_ratio(b, v[RC_resolved], v[RC_received]);
    buf_puts(b, ",\"response_rate\":");
    put_ratio(b, v[RC_responded], v[RC_received]);
    put_int(b, ",\"messages_to_resolution\":{\"count\":", v[RC_mtr_n]);
    buf_puts(b, ",\"mean\":");
    put_ratio(b, v[RC_mtr_sum], v[RC_mtr_n]);
    put_int(b, "},\"sentiment_shift\":{\"count\":", v[RC_shift_n]);
    buf_puts(b, ",\"mean\":");
    if (v[RC_shift_n])
        put_fixed(b, llround((double)v[RC_shift_sum] / (double)v[RC_shift_n]), 4);
    else
        buf_puts(b, "null");
    put_int(b, "},\"csat\":{\"count\":", v[RC_csat_n]);
    buf_puts(b, ",\"mean\":");
    put_ratio(b, v[RC_csat_sum], v[RC_csat_n]);
    buf_puts(b, ",\"satisfied_share\":");
    put_ratio(b, v[RC_csat_good], v[RC_csat_n]);
    put_int(b, "},\"nps\":{\"count\":", v[RC_nps_n]);
    buf_puts(b, ",\"score\":");
    if (v[RC_nps_n])
        put_fixed(b,
                  llround((double)(v[RC_nps_promoters] - v[RC_nps_detractors]) * 1000.0 /
                          (double)v[RC_nps_n]),
                  1);
    else
        buf_puts(b, "null");
    buf_puts(b, "},\"sla\":{");
    put_sla_kind(b, "first_response", v[RC_sla_fr_met], v[RC_sla_fr_breached]);
    buf_putc(b, ',');
    put_sla_kind(b, "next_response", v[RC_sla_nr_met], v[RC_sla_nr_breached]);
    buf_putc(b, ',');
    put_sla_kind(b, "resolution", v[RC_sla_res_met], v[RC_sla_res_breached]);
    put_int(b, "},\"bot_handled\":{\"resolved\":", v[RC_resolved_bot]);
    put_int(b, ",\"bot_messages\":", v[RC_bot_out]);
    put_int(b, "},\"human_handled\":{\"resolved\":", v[RC_resolved] - v[RC_resolved_bot]);
    put_int(b, ",\"human_replies\":", v[RC_replies_out]);
    buf_putc(b, '}');
    /* agents' active console time per resolved conversation (rollups.c on_presence) */
    put_time_stat(b, "average_handling_time", g, HM_AHT, RC_aht_n, business);
    for (int i = 0; i < nx; i++) {
        buf_puts(b, ",\"");
        buf_puts(b, extras[i].key);
        buf_puts(b, "\":");
        buf_puts(b, extras[i].json);
    }
    buf_putc(b, '}');
}

static json_t *query_json(const report_query_t *q)
{
    char s[32], u[32], st[32];
    clock_format_iso(q->f.since, s);
    clock_format_iso(q->f.until, u);
    if (q->stale_since) clock_format_iso(q->stale_since, st);
    static const char *const pr[] = {"low", "medium", "high", "critical"};
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:s?, s:s?, s:s?, s:s?}", "since", s,
                     "until", u, "clock", q->business ? "business_hours" : "calendar", "inbox",
                     q->f.inbox_id ? json_integer(q->f.inbox_id) : json_null(), "team",
                     q->f.team_id ? json_integer(q->f.team_id) : json_null(), "agent",
                     q->f.agent_id ? json_integer(q->f.agent_id) : json_null(), "label_id",
                     q->f.label_id ? json_integer(q->f.label_id) : json_null(), "channel",
                     q->f.channel, "priority", q->f.priority >= 0 ? pr[q->f.priority] : NULL,
                     "label", q->label, "rollups_stale_since", q->stale_since ? st : NULL);
}

static void query_to(buf_t *b, const report_query_t *q)
{
    json_t *j = query_json(q);
    json_dump_to(b, j);
    json_decref(j);
}

/* The tree of an answer written as text (CSV and the digest walk trees). */
static int parsed(int rc, buf_t *b, json_t **out)
{
    *out = NULL;
    if (!rc) {
        *out = json_loadb(b->ptr, b->len, 0, NULL);
        if (!*out) rc = PARLEY_EIO;
    }
    buf_free(b);
    return rc;
}

int report_summary_to(app_t *app, const report_query_t *q, buf_t *out, parley_err_t *err)
{
    agg_t *aggs;
    int n;
    int rc = collect(app, q, RG_NONE, &aggs, &n);
    int64_t backlog = 0;
    if (!rc && !q->f.label_id) rc = rops(app)->backlog(reader(app), &q->f, &backlog);
    if (rc) {
        free(aggs);
        return parley_errf(err, rc, "", "the report could not be read");
    }
    static const agg_t zero;
    buf_t qb;
    buf_init(&qb, 0);
    query_to(&qb, q);
    extra_t x[] = {{"query", buf_cstr(&qb)}};
    metrics_to(out, n ? &aggs[0] : &zero, q->business,
               q->f.label_id ? (n ? aggs[0].v[RC_backlog_delta] : 0) : backlog, x, 1);
    buf_free(&qb);
    free(aggs);
    return 0;
}

int report_summary(app_t *app, const report_query_t *q, json_t **out, parley_err_t *err)
{
    buf_t b;
    buf_init(&b, 0);
    return parsed(report_summary_to(app, q, &b, err), &b, out);
}

/* ---- series and breakdowns ---------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* The start (ms) of the point containing instant t, for step "hour", "day", "week". */
static int64_t point_start(int64_t t, const char *by)
{
    if (!strcmp(by, "hour")) return floor_div(t, HOUR_MS) * HOUR_MS;
    int64_t day = floor_div(t, DAY_MS);
    if (!strcmp(by, "day")) return day * DAY_MS;
    return (day - (((day + 3) % 7) + 7) % 7) * DAY_MS; /* Monday (1970-01-01 was a Thursday) */
}

static int64_t point_step(const char *by)
{
    return !strcmp(by, "hour") ? HOUR_MS : !strcmp(by, "day") ? DAY_MS : 7 * DAY_MS;
}

int report_timeseries_to(app_t *app, const report_query_t *q, const char *by, buf_t *out,
                         parley_err_t *err)
{
    if (!by) by = "day";
    if (strcmp(by, "hour") && strcmp(by, "day") && strcmp(by, "week"))
        return parley_errf(err, PARLEY_EINVAL, "/by", "by is hour, day or week");
    int64_t first = point_start(q->f.since, by), step = point_step(by);
    int64_t points = (q->f.until - first + step - 1) / step;
    if (points > REPORT_MAX_POINTS)
        return parley_errf(err, PARLEY_EINVAL, "/by",
                           "%lld points: narrow the period or use a longer step (at most %d)",
                           (long long)points, REPORT_MAX_POINTS);
    /* grouped by the point's own step: a year by day is 365 groups, not 8,760 */
    report_group_t g = !strcmp(by, "hour") ? RG_HOUR : !strcmp(by, "day") ? RG_DAY : RG_WEEK;
    agg_t *groups;
    int n;
    int rc = collect(app, q, g, &groups, &n);
    if (rc) {
        free(groups);
        return parley_errf(err, rc, "", "the report could not be read");
    }
    /* each group is one point (the same step); points without data are zeros */
    static const agg_t zero;
    const agg_t **at = calloc((size_t)(points > 0 ? points : 1), sizeof *at);
    for (int i = 0; i < n; i++) {
        int64_t start = g == RG_HOUR  ? groups[i].group * HOUR_MS
                        : g == RG_DAY ? groups[i].group * DAY_MS
                                      : (groups[i].group * 7 - 3) * DAY_MS;
        int64_t p = (start - first) / step;
        if (p >= 0 && p < points) at[p] = &groups[i];
    }
    buf_printf(out, "{\"by\":\"%s\",\"points\":[", by);
    for (int64_t p = 0; p < points; p++) {
        char iso[32], start[40];
        clock_format_iso(first + p * step, iso);
        snprintf(start, sizeof start, "\"%s\"", iso);
        extra_t x[] = {{"start", start}};
        if (p) buf_putc(out, ',');
        metrics_to(out, at[p] ? at[p] : &zero, q->business, -1, x, 1);
    }
    buf_puts(out, "],\"query\":");
    query_to(out, q);
    buf_putc(out, '}');
    free(at);
    free(groups);
    return 0;
}

int report_timeseries(app_t *app, const report_query_t *q, const char *by, json_t **out,
                      parley_err_t *err)
{
    buf_t b;
    buf_init(&b, 0);
    return parsed(report_timeseries_to(app, q, by, &b, err), &b, out);
}

int report_breakdown_to(app_t *app, const report_query_t *q, report_group_t g, buf_t *out,
                        parley_err_t *err)
{
    agg_t *aggs;
    int n;
    int rc = collect(app, q, g, &aggs, &n);
    if (rc) {
        free(aggs);
        return parley_errf(err, rc, "", "the report could not be read");
    }
    const char *idname = g == RG_AGENT ? "agent_id" : g == RG_INBOX ? "inbox_id" : "team_id";
    arena_t a;
    arena_init(&a, 0);
    buf_t nb;
    buf_init(&nb, 0);
    buf_puts(out, "{\"rows\":[");
    for (int i = 0; i < n; i++) {
        const char *name = NULL;
        if (g == RG_AGENT && aggs[i].group) {
            user_row_t u;
            if (!app->store->ops->user_get(reader(app), q->f.account_id, aggs[i].group, &a, &u))
                name = u.name;
        } else if (g == RG_INBOX && aggs[i].group) {
            inbox_row_t in;
            if (!app->store->ops->desk->inbox_get(reader(app), q->f.account_id, aggs[i].group, &a,
                                                  &in))
                name = in.name;
        } else if (g == RG_TEAM && aggs[i].group && app->store->ops->catalog) {
            team_row_t t;
            if (!app->store->ops->catalog->team_get(reader(app), q->f.account_id, aggs[i].group, &a,
                                                    &t))
                name = t.name;
        }
        char id[24];
        snprintf(id, sizeof id, "%lld", (long long)aggs[i].group);
        buf_reset(&nb);
        if (name) {
            json_t *s = json_string(name);
            json_dump_to(&nb, s);
            json_decref(s);
        } else {
            buf_puts(&nb, "null");
        }
        extra_t x[] = {{idname, aggs[i].group ? id : "null"}, {"name", buf_cstr(&nb)}};
        if (i) buf_putc(out, ',');
        metrics_to(out, &aggs[i], q->business, -1, x, 2);
    }
    buf_puts(out, "],\"query\":");
    query_to(out, q);
    buf_putc(out, '}');
    buf_free(&nb);
    arena_free(&a);
    free(aggs);
    return 0;
}

int report_breakdown(app_t *app, const report_query_t *q, report_group_t g, json_t **out,
                     parley_err_t *err)
{
    buf_t b;
    buf_init(&b, 0);
    return parsed(report_breakdown_to(app, q, g, &b, err), &b, out);
}

/* ---- CSV ---------------------------------------------------------------------- */

static bool numeric(const char *s)
{
    const char *p = s;
    if (*p == '-') p++;
    if (!*p) return false;
    bool dot = false;
    for (; *p; p++) {
        if (*p == '.' && !dot)
            dot = true;
        else if (*p < '0' || *p > '9')
            return false;
    }
    return p[-1] != '.';
}

void report_csv_cell(buf_t *out, const char *s)
{
    /* a cell a spreadsheet would run as a formula starts with an apostrophe;
     * numbers this module writes (negative ones too) stay numbers */
    bool formula = (*s == '=' || *s == '+' || *s == '-' || *s == '@' || *s == '\t' || *s == '\r') &&
                   !numeric(s);
    bool quote = formula || strpbrk(s, ",\"\r\n") != NULL;
    if (quote) buf_putc(out, '"');
    if (formula) buf_putc(out, '\'');
    for (const char *p = s; *p; p++) {
        if (*p == '"') buf_putc(out, '"');
        buf_putc(out, *p);
    }
    if (quote) buf_putc(out, '"');
}

/* Flattens an object into (dotted name, text) pairs. */
static void flatten(json_t *v, const char *prefix, json_t *names, json_t *values)
{
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x)
    {
        char name[128];
        snprintf(name, sizeof name, "%s%s%s", prefix, *prefix ? "." : "", k);
        if (json_is_object(x)) {
            flatten(x, name, names, values);
            continue;
        }
        char text[64] = "";
        const char *s = text;
        if (json_is_string(x))
            s = json_string_value(x);
        else if (json_is_integer(x))
            snprintf(text, sizeof text, "%lld", (long long)json_integer_value(x));
        else if (json_is_real(x))
            snprintf(text, sizeof text, "%.4f", json_real_value(x));
        else if (json_is_boolean(x))
            s = json_is_true(x) ? "true" : "false";
        json_array_append_new(names, json_string(name));
        json_array_append_new(values, json_string(s));
    }
}

static void csv_row(buf_t *out, json_t *cells)
{
    size_t i;
    json_t *c;
    json_array_foreach(cells, i, c)
    {
        if (i) buf_putc(out, ',');
        report_csv_cell(out, json_string_value(c));
    }
    buf_puts(out, "\r\n");
}

/* Rows (objects) as CSV: the header is the first row's flattened names. */
static void csv_objects(buf_t *out, json_t *rows, const char *const *drop)
{
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        for (int d = 0; drop && drop[d]; d++) json_object_del(row, drop[d]);
        json_t *names = json_array(), *values = json_array();
        flatten(row, "", names, values);
        if (i == 0) csv_row(out, names);
        csv_row(out, values);
        json_decref(names);
        json_decref(values);
    }
}

static void iso_cell(buf_t *out, int64_t ms)
{
    if (ms > 0) {
        char b[32];
        clock_format_iso(ms, b);
        buf_puts(out, b);
    }
}

static void ms_cell(buf_t *out, int64_t ms)
{
    if (ms >= 0) buf_printf(out, "%.3f", (double)ms / 1000.0);
}

static int conversations_csv(app_t *app, const report_query_t *q, buf_t *out,
                             void (*progress)(void *, int64_t, int64_t), void *pctx)
{
    static const char *const pr[] = {"low", "medium", "high", "critical"};
    int64_t total = 0, done = 0;
    rconv_cursor_t after = {0};
    int rc = rops(app)->conv_count(reader(app), &q->f, &total);
    if (rc) return rc;
    buf_puts(out, "conversation_id,inbox_id,channel,team_id,assignee_id,priority,status,"
                  "created_at,first_reply_at,resolved_at,first_response_seconds,"
                  "first_response_business_seconds,average_response_seconds,"
                  "resolution_seconds,resolution_business_seconds,customer_messages,"
                  "human_replies,reopens,resolutions,sentiment_first,sentiment_last,"
                  "sentiment_shift\r\n");
    for (bool first = true;; first = false) {
        arena_t a;
        arena_init(&a, 0);
        rconv_t *rows;
        int k;
        rc = rops(app)->conv_list(reader(app), &q->f, first ? NULL : &after, 500, &a, &rows, &k);
        for (int i = 0; !rc && i < k; i++) {
            const rconv_t *r = &rows[i];
            buf_printf(out, "%lld,%lld,", (long long)r->conversation_id, (long long)r->inbox_id);
            report_csv_cell(out, r->channel);
            buf_printf(out, ",%lld,%lld,%s,", (long long)r->team_id, (long long)r->assignee_id,
                       pr[r->priority & 3]);
            report_csv_cell(out, r->status);
            buf_putc(out, ',');
            iso_cell(out, r->created_at);
            buf_putc(out, ',');
            iso_cell(out, r->first_reply_at);
            buf_putc(out, ',');
            iso_cell(out, r->resolved_at);
            buf_putc(out, ',');
            ms_cell(out, r->frt_ms);
            buf_putc(out, ',');
            ms_cell(out, r->frt_bh_ms);
            buf_putc(out, ',');
            ms_cell(out, r->rt_n ? r->rt_ms / r->rt_n : -1);
            buf_putc(out, ',');
            ms_cell(out, r->res_ms);
            buf_putc(out, ',');
            ms_cell(out, r->res_bh_ms);
            buf_printf(out, ",%lld,%lld,%lld,%lld,", (long long)r->msgs_in,
                       (long long)r->replies_out, (long long)r->reopens, (long long)r->resolutions);
            if (r->sent_n) {
                int64_t nl = r->sent_n < 3 ? r->sent_n : 3, last = 0;
                for (int64_t j = 0; j < nl; j++) last += r->sent_last[j];
                double f = (double)r->sent_first_sum / (double)r->sent_first_n / 10000.0;
                double l = (double)last / (double)nl / 10000.0;
                buf_printf(out, "%.4f,%.4f,%.4f", f, l, l - f);
            } else {
                buf_puts(out, ",,");
            }
            buf_puts(out, "\r\n");
        }
        done += k;
        if (k) after = (rconv_cursor_t){rows[k - 1].created_at, rows[k - 1].conversation_id};
        arena_free(&a);
        if (progress) progress(pctx, done, total);
        if (rc || k < 500) return rc;
    }
}

int report_csv(app_t *app, const report_query_t *q, const char *name, const char *by, bool bom,
               buf_t *out, void (*progress)(void *ctx, int64_t done, int64_t total), void *pctx,
               parley_err_t *err)
{
    if (bom) buf_puts(out, "\xEF\xBB\xBF");
    static const char *const drop_query[] = {"query", NULL};
    json_t *j = NULL;
    int rc;
    if (!strcmp(name, "conversations")) {
        rc = conversations_csv(app, q, out, progress, pctx);
        if (rc) return parley_errf(err, rc, "", "the conversations could not be read");
        return 0;
    }
    if (!strcmp(name, "summary")) {
        if ((rc = report_summary(app, q, &j, err))) return rc;
        json_t *rows = json_pack("[o]", j);
        csv_objects(out, rows, drop_query);
        json_decref(rows);
    } else if (!strcmp(name, "timeseries")) {
        if ((rc = report_timeseries(app, q, by, &j, err))) return rc;
        json_t *pts = json_object_get(j, "points");
        /* start first: move it to the front of each point */
        size_t i;
        json_t *p;
        json_t *rows = json_array();
        json_array_foreach(pts, i, p)
        {
            json_t *r = json_pack("{s:O}", "start", json_object_get(p, "start"));
            json_object_del(p, "start");
            json_object_update(r, p);
            json_array_append_new(rows, r);
        }
        csv_objects(out, rows, NULL);
        json_decref(rows);
        json_decref(j);
    } else {
        report_group_t g = !strcmp(name, "agents")    ? RG_AGENT
                           : !strcmp(name, "inboxes") ? RG_INBOX
                           : !strcmp(name, "teams")   ? RG_TEAM
                                                      : RG_NONE;
        if (g == RG_NONE) return parley_errf(err, PARLEY_ENOENT, "", "no report named %s", name);
        if ((rc = report_breakdown(app, q, g, &j, err))) return rc;
        json_t *rows = json_array();
        size_t i;
        json_t *p;
        const char *idname = g == RG_AGENT ? "agent_id" : g == RG_INBOX ? "inbox_id" : "team_id";
        json_array_foreach(json_object_get(j, "rows"), i, p)
        {
            json_t *r = json_pack("{s:O, s:O}", idname, json_object_get(p, idname), "name",
                                  json_object_get(p, "name"));
            json_object_del(p, idname);
            json_object_del(p, "name");
            json_object_update(r, p);
            json_array_append_new(rows, r);
        }
        csv_objects(out, rows, NULL);
        json_decref(rows);
        json_decref(j);
    }
    if (progress) progress(pctx, 1, 1);
    return 0;
}

/* ---- weekly digest ---------------------------------------------------------------- */

static int parse_week(const char *w, int64_t *monday_day)
{
    int y, n;
    char tail;
    if (!w || sscanf(w, "%4d-W%2d%c", &y, &n, &tail) != 2 || strlen(w) != 8 || y < 1970 ||
        y > 9999 || n < 1 || n > 53)
        return PARLEY_EINVAL;
    int64_t jan4 = tz_days_from_civil(y, 1, 4);
    int64_t wd = ((jan4 + 3) % 7 + 7) % 7; /* 0 = Monday */
    int64_t mon = jan4 - wd + (int64_t)(n - 1) * 7;
    if (n == 53) { /* only years whose week 53 exists */
        int64_t next = tz_days_from_civil(y + 1, 1, 4);
        if (mon >= next - (((next + 3) % 7 + 7) % 7)) return PARLEY_EINVAL;
    }
    *monday_day = mon;
    return 0;
}

static void week_name(int64_t monday_day, char out[16])
{
    int64_t thu = monday_day + 3, y;
    int m, d;
    tz_civil_from_days(thu, &y, &m, &d);
    int64_t jan4 = tz_days_from_civil(y, 1, 4);
    int64_t w1 = jan4 - (((jan4 + 3) % 7 + 7) % 7);
    int week = (int)((monday_day - w1) / 7 + 1);
    int year = (int)(y < 0 ? 0 : y > 9999 ? 9999 : y);
    snprintf(out, 16, "%04d-W%02d", year, week < 0 ? 0 : week > 53 ? 53 : week);
}

static json_t *targets_json(app_t *app, int64_t account_id)
{
    const store_sla_ops_t *ops = app->store->ops->sla;
    if (!ops) return json_null();
    arena_t a;
    arena_init(&a, 0);
    page_t p = {.account_id = account_id, .limit = 1};
    sla_policy_row_t *rows;
    int n;
    json_t *out = json_null();
    sla_policy_t pol;
    if (!ops->policy_list(reader(app), &p, &a, &rows, &n) && n > 0 &&
        !sla_policy_from_text(rows[0].policy, &pol)) {
        const sla_target_t *t = pol.targets[1]; /* medium */
        out = json_pack(
            "{s:s, s:b, s:o, s:o, s:o}", "policy", rows[0].name, "business_hours",
            pol.business_hours, "first_response_seconds",
            t[SLA_FIRST_RESPONSE].internal_ms
                ? json_integer(t[SLA_FIRST_RESPONSE].internal_ms / 1000)
                : json_null(),
            "next_response_seconds",
            t[SLA_NEXT_RESPONSE].internal_ms ? json_integer(t[SLA_NEXT_RESPONSE].internal_ms / 1000)
                                             : json_null(),
            "resolution_seconds",
            t[SLA_RESOLUTION].internal_ms ? json_integer(t[SLA_RESOLUTION].internal_ms / 1000)
                                          : json_null());
    }
    arena_free(&a);
    return out;
}

int report_digest(app_t *app, int64_t account_id, const char *week, int64_t now, json_t **out,
                  parley_err_t *err)
{
    /* weeks are the account's: Monday 00:00 to Monday 00:00 in its time zone */
    tz_zone_t *z = digest_account_zone(app, reader(app), account_id);
    if (!z) return parley_errf(err, PARLEY_EIO, "", "no time zone data");
    int64_t mon;
    if (week) {
        if (parse_week(week, &mon)) {
            tz_zone_free(z);
            return parley_errf(err, PARLEY_EINVAL, "/week", "week is an ISO week such as 2026-W11");
        }
    } else {
        int64_t t = floor_div(now, 1000);
        int64_t today = floor_div(t + tz_zone_offset(z, t, NULL), DAY_MS / 1000);
        mon = today - ((today + 3) % 7 + 7) % 7 - 7; /* the last complete week */
    }
    report_query_t q = {.f = {.account_id = account_id, .priority = -1}};
    json_t *weeks[2];
    int64_t since = 0, until = 0;
    for (int i = 0; i < 2; i++) {
        int64_t s, u;
        digest_week_bounds(z, mon - 7 * i, &s, &u);
        if (!i) {
            since = s;
            until = u;
        }
        q.f.since = s;
        q.f.until = u;
        int rc = report_summary(app, &q, &weeks[i], err);
        if (rc) {
            if (i) json_decref(weeks[0]);
            tz_zone_free(z);
            return rc;
        }
        json_object_del(weeks[i], "query");
    }
    tz_zone_free(z);
    char name[16], prev[16], s[32], u[32];
    week_name(mon, name);
    week_name(mon - 7, prev);
    clock_format_iso(since, s);
    clock_format_iso(until, u);
    store_conn_t *c = reader(app);
    arena_t a;
    arena_init(&a, 0);
    account_settings_row_t set = {.timezone = "UTC"};
    if (app->store->ops->digest) app->store->ops->digest->settings_get(c, account_id, &a, &set);
    *out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "week", name, "previous_week",
                     prev, "since", s, "until", u, "timezone", set.timezone, "this_week", weeks[0],
                     "last_week", weeks[1], "targets", targets_json(app, account_id));
    arena_free(&a);
    return 0;
}

static void html_text(buf_t *b, const char *s)
{
    for (; *s; s++) switch (*s) {
        case '<': buf_puts(b, "&lt;"); break;
        case '>': buf_puts(b, "&gt;"); break;
        case '&': buf_puts(b, "&amp;"); break;
        case '"': buf_puts(b, "&quot;"); break;
        default: buf_putc(b, *s);
        }
}

static json_t *path(const json_t *o, const char *p)
{
    char part[64];
    json_t *v = (json_t *)o;
    while (v && *p) {
        size_t n = strcspn(p, ".");
        snprintf(part, sizeof part, "%.*s", (int)n, p);
        v = json_object_get(v, part);
        p += n + (p[n] == '.');
    }
    return v;
}

static void html_value(buf_t *b, json_t *v, bool minutes)
{
    if (json_is_integer(v))
        buf_printf(b, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v) && minutes)
        buf_printf(b, "%.1f min", json_real_value(v) / 60.0);
    else if (json_is_real(v))
        buf_printf(b, "%.2f", json_real_value(v));
    else
        buf_puts(b, "&ndash;");
}

char *report_digest_html(const json_t *d)
{
    static const struct {
        const char *label, *path, *target;
        bool minutes;
    } rows[] = {
        {"Conversations received", "volume.received", NULL, false},
        {"Resolved", "volume.resolved", NULL, false},
        {"Backlog at the end of the week", "volume.backlog", NULL, false},
        {"First response time (median)", "first_response_time.median_seconds",
         "first_response_seconds", true},
        {"First response time (mean)", "first_response_time.mean_seconds", NULL, true},
        {"First response time (p90)", "first_response_time.p90_seconds", NULL, true},
        {"Response time (mean)", "response_time.mean_seconds", "next_response_seconds", true},
        {"Resolution time (median)", "resolution_time.median_seconds", "resolution_seconds", true},
        {"Resolution rate", "resolution_rate", NULL, false},
        {"Response rate", "response_rate", NULL, false},
        {"Messages to resolution", "messages_to_resolution.mean", NULL, false},
        {"Sentiment shift", "sentiment_shift.mean", NULL, false},
        {"CSAT (share 4-5)", "csat.satisfied_share", NULL, false},
        {"NPS", "nps.score", NULL, false},
        {"SLA first response compliance", "sla.first_response.compliance", NULL, false},
        {"SLA next response compliance", "sla.next_response.compliance", NULL, false},
        {"SLA resolution compliance", "sla.resolution.compliance", NULL, false},
        {"Average handling time", "average_handling_time.mean_seconds", NULL, true},
        {"Resolved by bots", "bot_handled.resolved", NULL, false},
    };
    buf_t b;
    buf_init(&b, 0);
    const char *week = json_string_value(json_object_get(d, "week"));
    const char *prev = json_string_value(json_object_get(d, "previous_week"));
    buf_puts(&b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                 "<title>Parley weekly digest ");
    html_text(&b, week);
    buf_puts(&b, "</title><style>body{font:14px system-ui,sans-serif;margin:2em}"
                 "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;"
                 "text-align:right}td:first-child,th:first-child{text-align:left}</style></head>"
                 "<body><h1>Weekly digest ");
    html_text(&b, week);
    const char *tz = json_string_value(json_object_get(d, "timezone"));
    if (tz) {
        buf_puts(&b, " <small>(");
        html_text(&b, tz);
        buf_puts(&b, ")</small>");
    }
    buf_puts(&b, "</h1><table><thead><tr><th>Metric</th><th>");
    html_text(&b, week);
    buf_puts(&b, "</th><th>");
    html_text(&b, prev);
    buf_puts(&b, "</th><th>Change</th><th>Target</th></tr></thead><tbody>\n");
    json_t *tw = json_object_get(d, "this_week"), *lw = json_object_get(d, "last_week");
    json_t *tg = json_object_get(d, "targets");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        json_t *a = path(tw, rows[i].path), *p = path(lw, rows[i].path);
        buf_puts(&b, "<tr><td>");
        html_text(&b, rows[i].label);
        buf_puts(&b, "</td><td>");
        html_value(&b, a, rows[i].minutes);
        buf_puts(&b, "</td><td>");
        html_value(&b, p, rows[i].minutes);
        buf_puts(&b, "</td><td>");
        if (json_is_number(a) && json_is_number(p)) {
            double delta = json_number_value(a) - json_number_value(p);
            if (rows[i].minutes)
                buf_printf(&b, "%+.1f min", delta / 60.0);
            else
                buf_printf(&b, "%+.2f", delta);
        } else {
            buf_puts(&b, "&ndash;");
        }
        buf_puts(&b, "</td><td>");
        json_t *t =
            rows[i].target && json_is_object(tg) ? json_object_get(tg, rows[i].target) : NULL;
        if (json_is_integer(t))
            buf_printf(&b, "%.1f min", (double)json_integer_value(t) / 60.0);
        else
            buf_puts(&b, "&ndash;");
        buf_puts(&b, "</td></tr>\n");
    }
    buf_puts(&b, "</tbody></table></body></html>\n");
    return buf_detach(&b, NULL);
}

/* ---- verification ------------------------------------------------------------------ */

typedef struct {
    rollup_ctx_t x;
    int64_t events;
    int rc;
} replay_t;

static int replay_one(const event_row_t *e, void *p)
{
    replay_t *r = p;
    json_t *payload = json_loads(e->payload ? e->payload : "{}", 0, NULL);
    int rc = rollup_apply(&r->x, e->account_id, e->type, e->at, payload);
    json_decref(payload);
    r->events++;
    if (rc) r->rc = rc;
    return rc ? 1 : 0;
}

static int replay_tx(store_conn_t *c, void *p)
{
    replay_t *r = p;
    r->x.c = c;
    if (!r->x.lookup) r->x.lookup = c; /* a rebuild reads the log it writes beside */
    const app_t *app = r->x.app;
    int rc = r->x.ops->clear(c);
    if (!rc) rc = r->x.ops->stale_set(c, 0); /* replayed from the log: current again */
    if (rc) return rc;
    rc = app->store->ops->event_walk(r->x.lookup, replay_one, r);
    if (r->rc) return r->rc;
    if (rc < 0) return rc;
    return r->x.ops->fold(c); /* a rebuild writes the cube itself */
}

static int fold_tx(store_conn_t *c, void *p)
{
    const store_reports_ops_t *ops = p;
    return ops->fold(c);
}

typedef struct {
    FILE *out;
    int max, shown;
} diff_ctx_t;

static void print_diff(void *p, const char *table, const char *row, const char *col, const char *va,
                       const char *vb)
{
    diff_ctx_t *d = p;
    if (d->shown++ >= d->max) return;
    fprintf(d->out, "DIFF %s [%s] %s: rollup %s, recomputed %s\n", table, row, col, va, vb);
}

typedef struct {
    const store_reports_ops_t *ops;
    diff_ctx_t *d;
    int64_t ndiff;
} label_check_t;

static int label_verify_tx(store_conn_t *c, void *p)
{
    label_check_t *lc = p;
    return lc->ops->label_verify(c, print_diff, lc->d, &lc->ndiff);
}

int reports_verify(app_t *app, FILE *out, int max_print, int64_t *ndiff)
{
    char path[] = "/tmp/parley-verify-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return PARLEY_EIO;
    close(fd);
    unlink(path);
    store_t *scratch = NULL;
    parley_err_t err = {0};
    int rc = store_open_sqlite(path, &scratch, &err);
    if (!rc) {
        replay_t r = {.x = {.app = app, .lookup = reader(app), .ops = rops(app)}};
        /* both sides folded: the recent facts are in the cube's rows */
        rc = app->store->ops->write(app->store, fold_tx, (void *)rops(app));
        if (!rc) rc = scratch->ops->write(scratch, replay_tx, &r);
        diff_ctx_t d = {.out = out, .max = max_print};
        if (!rc)
            rc = rops(app)->compare(reader(app), scratch->ops->reader(scratch), print_diff, &d,
                                    ndiff);
        /* the labels' rows against their sum over the (verified) conversation rows */
        label_check_t lc = {.ops = rops(app), .d = &d};
        if (!rc) rc = app->store->ops->write(app->store, label_verify_tx, &lc);
        if (!rc) *ndiff += lc.ndiff;
        if (!rc)
            fprintf(out, "%lld events replayed; %lld differences\n", (long long)r.events,
                    (long long)*ndiff);
    }
    store_close(scratch);
    char p2[64];
    unlink(path);
    snprintf(p2, sizeof p2, "%s-wal", path);
    unlink(p2);
    snprintf(p2, sizeof p2, "%s-shm", path);
    unlink(p2);
    snprintf(p2, sizeof p2, "%s.key", path);
    unlink(p2);
    return rc;
}

int reports_rebuild(app_t *app)
{
    replay_t r = {.x = {.app = app, .lookup = NULL, .ops = rops(app)}};
    /* inside the writer transaction: lookups read through it too */
    return app->store->ops->write(app->store, replay_tx, &r);
}
