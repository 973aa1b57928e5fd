/*
 * reports.h - the care metrics read from the rollups: summary, time series,
 * breakdowns by agent / inbox / team, CSV exports, the weekly digest, and
 * the verification of the rollups against the event log.
 *
 * Owns the metric arithmetic (means, medians and p90s from the histograms,
 * rates, SLA compliance, CSAT / NPS) with DOMAIN.md's definitions. Reads
 * only report tables (desk/rollups.c writes them); never scans messages.
 */
#ifndef PARLEY_DESK_REPORTS_H
#define PARLEY_DESK_REPORTS_H

#include <stdio.h>

#include "core/json.h"
#include "core/str.h"
#include "desk/app.h"
#include "store/store_reports.h"

#define REPORT_DEFAULT_DAYS 7
#define REPORT_MAX_POINTS   1000 /* time-series points per answer */

typedef struct {
    report_filter_t f;
    bool business; /* times in the inbox calendars' business hours */
    const char *label;
    int64_t stale_since; /* the rollups lag the events since then (rollups = off); 0 = current */
} report_query_t;

/* Reads the filters (since, until, inbox, channel, team, agent, priority,
 * label, business_hours) through get(ctx, name); defaults to the last 7 days
 * before now. Errors go to c with pointers "/since", "/priority", ... */
void report_query_parse(app_t *app, int64_t account_id,
                        const char *(*get)(void *ctx, const char *k), void *ctx, int64_t now,
                        report_query_t *q, json_check_t *c);

int report_summary(app_t *app, const report_query_t *q, json_t **out, parley_err_t *err);
/* The _to variants append the same answer as JSON text to out (what the HTTP
 * handlers send: no tree is built); the others parse that text. */
int report_summary_to(app_t *app, const report_query_t *q, buf_t *out, parley_err_t *err);
int report_timeseries_to(app_t *app, const report_query_t *q, const char *by, buf_t *out,
                         parley_err_t *err);
int report_breakdown_to(app_t *app, const report_query_t *q, report_group_t g, buf_t *out,
                        parley_err_t *err);
/* by: "hour", "day" or "week" (UTC; weeks start on Monday). */
int report_timeseries(app_t *app, const report_query_t *q, const char *by, json_t **out,
                      parley_err_t *err);
/* g: RG_AGENT, RG_INBOX or RG_TEAM. */
int report_breakdown(app_t *app, const report_query_t *q, report_group_t g, json_t **out,
                     parley_err_t *err);

/* CSV (RFC 4180, CRLF, UTF-8, optional BOM, ISO 8601 times, cells that a
 * spreadsheet would read as a formula prefixed with an apostrophe) of the
 * report named summary, timeseries (by), agents, inboxes, teams or
 * conversations. progress(ctx, done, total) is called while rows are written
 * (conversations) and may be NULL. */
int report_csv(app_t *app, const report_query_t *q, const char *name, const char *by, bool bom,
               buf_t *out, void (*progress)(void *ctx, int64_t done, int64_t total), void *pctx,
               parley_err_t *err);
/* One CSV cell, quoted and neutralised as report_csv does. */
void report_csv_cell(buf_t *out, const char *s);

/* The weekly digest of account: week "YYYY-Www" (ISO; NULL = the last
 * complete week before now) against the week before and the SLA targets. */
int report_digest(app_t *app, int64_t account_id, const char *week, int64_t now, json_t **out,
                  parley_err_t *err);
/* The same digest as a self-contained HTML page (malloc'd). */
char *report_digest_html(const json_t *digest);

/* Replays the whole event log into a scratch database and compares its
 * report tables with app's, printing up to max_print differences to out.
 * *ndiff = 0 when they agree. */
int reports_verify(app_t *app, FILE *out, int max_print, int64_t *ndiff);
/* Recomputes app's report tables from the event log in one transaction
 * (for databases that have events older than the reports). */
int reports_rebuild(app_t *app);

#endif
