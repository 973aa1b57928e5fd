/*
 * h_reports.c - the report endpoints: summary, time series, breakdowns by
 * agent / inbox / team, their CSV forms, conversations.csv and the weekly
 * digest (JSON and HTML). Every role reads them (analysts included).
 *
 * Thin: parse the filters, call desk/reports.c, render.
 */
#include "http/handlers.h"
#include "http/router.h"

#include "desk/digest.h"
#include "desk/reports.h"

#include <stdlib.h>
#include <string.h>

static const char *query_get(void *ctx, const char *k)
{
    return http_query(ctx, k);
}

/* Reads the filters; answers 400 with pointers and returns false when bad. */
static bool read_query(req_t *r, report_query_t *q)
{
    json_check_t c = {0};
    report_query_parse(r->app, r->auth.actor.account_id, query_get, r, app_now(r->app), q, &c);
    if (json_check_ok(&c)) return true;
    http_problem(r, 400, "bad-query", "Invalid query parameter",
                 "a report filter is not valid; see errors", json_incref(c.errors));
    json_check_free(&c);
    return false;
}

static void answer(req_t *r, int rc, json_t *v, parley_err_t *err)
{
    if (rc) {
        if (err->code == PARLEY_EINVAL)
            http_problem(r, 400, "bad-query", "Invalid query parameter", err->msg,
                         json_pack("[{s:s, s:s}]", "pointer", err->field, "detail", err->msg));
        else
            http_problem_err(r, err);
        return;
    }
    http_reply_json(r, 200, v);
}

/* A report written as text (reports.c *_to), or its problem. */
static void answer_text(req_t *r, int rc, buf_t *b, parley_err_t *err)
{
    if (rc) {
        buf_free(b);
        answer(r, rc, NULL, err);
        return;
    }
    buf_putc(b, '\n');
    http_reply_raw(r, 200, "application/json", buf_cstr(b), b->len);
    buf_free(b);
}

static void h_summary(req_t *r)
{
    report_query_t q;
    if (!read_query(r, &q)) return;
    buf_t b;
    buf_init(&b, 0);
    parley_err_t err = {0};
    int rc = report_summary_to(r->app, &q, &b, &err);
    answer_text(r, rc, &b, &err);
}

static void h_timeseries(req_t *r)
{
    report_query_t q;
    if (!read_query(r, &q)) return;
    buf_t b;
    buf_init(&b, 0);
    parley_err_t err = {0};
    int rc = report_timeseries_to(r->app, &q, http_query(r, "by"), &b, &err);
    answer_text(r, rc, &b, &err);
}

static void breakdown(req_t *r, report_group_t g)
{
    report_query_t q;
    if (!read_query(r, &q)) return;
    buf_t b;
    buf_init(&b, 0);
    parley_err_t err = {0};
    int rc = report_breakdown_to(r->app, &q, g, &b, &err);
    answer_text(r, rc, &b, &err);
}

static void h_agents(req_t *r)
{
    breakdown(r, RG_AGENT);
}

static void h_inboxes(req_t *r)
{
    breakdown(r, RG_INBOX);
}

static void h_teams(req_t *r)
{
    breakdown(r, RG_TEAM);
}

static void csv(req_t *r, const char *name)
{
    report_query_t q;
    if (!read_query(r, &q)) return;
    const char *bom = http_query(r, "bom");
    buf_t b;
    buf_init(&b, 0);
    parley_err_t err = {0};
    int rc = report_csv(r->app, &q, name, http_query(r, "by"),
                        bom && (!strcmp(bom, "1") || !strcmp(bom, "true")), &b, NULL, NULL, &err);
    if (rc) {
        buf_free(&b);
        answer(r, rc, NULL, &err);
        return;
    }
    http_reply_raw(r, 200, "text/csv; charset=utf-8; header=present", b.ptr ? b.ptr : "", b.len);
    http_add_header(r, "Content-Disposition",
                    arena_sprintf(&r->arena, "attachment; filename=\"%s.csv\"", name));
    buf_free(&b);
}

static void h_summary_csv(req_t *r)
{
    csv(r, "summary");
}

static void h_timeseries_csv(req_t *r)
{
    csv(r, "timeseries");
}

static void h_agents_csv(req_t *r)
{
    csv(r, "agents");
}

static void h_inboxes_csv(req_t *r)
{
    csv(r, "inboxes");
}

static void h_teams_csv(req_t *r)
{
    csv(r, "teams");
}

static void h_conversations_csv(req_t *r)
{
    csv(r, "conversations");
}

static bool digest(req_t *r, json_t **out)
{
    parley_err_t err = {0};
    int rc = report_digest(r->app, r->auth.actor.account_id, http_query(r, "week"), app_now(r->app),
                           out, &err);
    if (rc) answer(r, rc, NULL, &err);
    return rc == 0;
}

static void h_digest(req_t *r)
{
    json_t *v;
    if (digest(r, &v)) http_reply_json(r, 200, v);
}

static void h_digest_html(req_t *r)
{
    json_t *v;
    if (!digest(r, &v)) return;
    char *html = report_digest_html(v);
    json_decref(v);
    http_reply_raw(r, 200, "text/html; charset=utf-8", html, strlen(html));
    free(html);
}

/* POST /api/v1/reports/digest/send {"week"}: send a week's digest now (admins),
 * once per week like the Monday one: 409 when it went already. */
static void h_digest_send(req_t *r)
{
    static const char *const allowed[] = {"week", NULL};
    json_t *body = http_body_json(r);
    if (!body) return;
    json_check_t c = {0};
    json_check_known(&c, body, allowed);
    const char *week = json_get_string(&c, body, "week", false, 8, 8);
    if (http_check_failed(r, &c)) return;
    parley_err_t err = {0};
    digest_result_t res;
    int rc = digest_send(r->app, r->auth.actor.account_id, week, &res, &err);
    if (rc == PARLEY_ECONFLICT) {
        http_problem(r, 409, "conflict", "Already sent", err.msg, NULL);
        return;
    }
    if (rc) {
        http_problem_err(r, &err);
        return;
    }
    http_reply_json(r, 200,
                    json_pack("{s:s, s:I, s:s?}", "week", res.week, "emails",
                              (json_int_t)res.emails, "email_skipped", res.why));
}

static const route_t routes[] = {
    {"GET", "/api/v1/reports/summary", PERM_READ, h_summary},
    {"GET", "/api/v1/reports/timeseries", PERM_READ, h_timeseries},
    {"GET", "/api/v1/reports/agents", PERM_READ, h_agents},
    {"GET", "/api/v1/reports/inboxes", PERM_READ, h_inboxes},
    {"GET", "/api/v1/reports/teams", PERM_READ, h_teams},
    {"GET", "/api/v1/reports/summary.csv", PERM_READ, h_summary_csv},
    {"GET", "/api/v1/reports/timeseries.csv", PERM_READ, h_timeseries_csv},
    {"GET", "/api/v1/reports/agents.csv", PERM_READ, h_agents_csv},
    {"GET", "/api/v1/reports/inboxes.csv", PERM_READ, h_inboxes_csv},
    {"GET", "/api/v1/reports/teams.csv", PERM_READ, h_teams_csv},
    {"GET", "/api/v1/reports/conversations.csv", PERM_READ, h_conversations_csv},
    {"GET", "/api/v1/reports/digest", PERM_READ, h_digest},
    {"GET", "/api/v1/reports/digest.html", PERM_READ, h_digest_html},
    {"POST", "/api/v1/reports/digest/send", PERM_ADMIN, h_digest_send},
};

const route_table_t reports_route_table = ROUTE_TABLE(routes);
