/*
 * h_conversations.c - the inbox list, counters, a conversation with the
 * customer's whole timeline, messages, assignment, status and presence.
 */
#include "http/handlers.h"
#include "http/router.h"

#include "desk/actions.h"
#include "desk/contacts.h"
#include "store/store_catalog.h"
#include "text/bm25.h"

#include <stdio.h>
#include <string.h>

static const char *const statuses[] = {"open", "pending", "snoozed", "resolved", NULL};
static const char *const visibilities[] = {"public", "private", NULL};

static int index_of(const char *const *list, const char *s)
{
    for (int i = 0; s && list[i]; i++)
        if (!strcmp(list[i], s)) return i;
    return -1;
}

static void bad_query(req_t *r, const char *name, const char *detail)
{
    json_t *e = json_pack("[{s:s, s:s}]", "pointer", arena_sprintf(&r->arena, "/%s", name),
                          "detail", detail);
    http_problem(r, 400, "bad-query", "Invalid query parameter", detail, e);
}

static bool id_query(req_t *r, const char *name, int64_t *out)
{
    const char *v = http_query(r, name);
    long long n;
    *out = 0;
    if (!v) return true;
    if (!str_to_i64(str_from(v), &n) || n <= 0) {
        bad_query(r, name, arena_sprintf(&r->arena, "%s must be a positive id", name));
        return false;
    }
    *out = n;
    return true;
}

/* Reads the list filters shared by GET /conversations and GET /search. */
bool http_conv_filter(req_t *r, conv_filter_t *f, bool status_required)
{
    memset(f, 0, sizeof *f);
    f->account_id = r->auth.actor.account_id;
    f->priority = -1;
    const char *s = http_query(r, "status");
    if (s && index_of(statuses, s) < 0) {
        bad_query(r, "status", "status must be open, pending, snoozed or resolved");
        return false;
    }
    f->status = s ? s : status_required ? "open" : NULL;
    const char *a = http_query(r, "assignee");
    if (!a || !strcmp(a, "any")) {
        f->assignee = ASSIGNEE_ANY;
    } else if (!strcmp(a, "me")) {
        f->assignee = ASSIGNEE_USER;
        f->assignee_id = r->auth.actor.user_id;
    } else if (!strcmp(a, "none")) {
        f->assignee = ASSIGNEE_NONE;
    } else {
        long long n;
        if (!str_to_i64(str_from(a), &n) || n <= 0) {
            bad_query(r, "assignee", "assignee must be me, none, any or a user id");
            return false;
        }
        f->assignee = ASSIGNEE_USER;
        f->assignee_id = n;
    }
    if (!id_query(r, "inbox", &f->inbox_id) || !id_query(r, "team", &f->team_id)) return false;
    const char *p = http_query(r, "priority");
    if (p && (f->priority = index_of(conv_priorities, p)) < 0) {
        bad_query(r, "priority", "priority must be low, medium, high or critical");
        return false;
    }
    const char *v = http_query(r, "visibility");
    if (v && index_of(visibilities, v) < 0) {
        bad_query(r, "visibility", "visibility must be public or private");
        return false;
    }
    f->visibility = v;
    const char *label = http_query(r, "label");
    if (label) {
        store_t *st = r->app->store;
        if (st->ops->desk->label_find(st->ops->reader(st), f->account_id, label, &f->label_id)) {
            bad_query(r, "label", arena_sprintf(&r->arena, "no label named \"%s\"", label));
            return false;
        }
    }
    return true;
}

static void h_list(req_t *r)
{
    conv_filter_t f;
    if (!http_conv_filter(r, &f, true)) return;
    const char *l = http_query(r, "limit"), *after = http_query(r, "after");
    long long lim = 25;
    if (l && (!str_to_i64(str_from(l), &lim) || lim < 1 || lim > 100)) {
        bad_query(r, "limit", "limit must be an integer from 1 to 100");
        return;
    }
    if (after) {
        long long pr, w, id;
        char tail;
        if (sscanf(after, "%lld.%lld.%lld%c", &pr, &w, &id, &tail) != 3 || pr < 0 || pr > 3) {
            bad_query(r, "after", "after must be a cursor from a previous page");
            return;
        }
        f.has_cursor = true;
        f.cur_priority = (int)pr;
        f.cur_wait = w;
        f.cur_id = id;
    }
    f.limit = (int)lim + 1;
    store_t *st = r->app->store;
    conv_row_t *rows;
    int n;
    if (st->ops->desk->conv_list(st->ops->reader(st), &f, &r->arena, &rows, &n)) {
        http_problem(r, 500, "internal", "Internal error", "conversations could not be read", NULL);
        return;
    }
    int shown = n > lim ? (int)lim : n;
    buf_t b;
    buf_init(&b, 0);
    buf_puts(&b, "{\"data\":[");
    for (int i = 0; i < shown; i++) {
        if (i) buf_putc(&b, ',');
        conv_json_to(&b, &rows[i]);
    }
    buf_puts(&b, "],\"next\":");
    if (n > lim) {
        const conv_row_t *last = &rows[shown - 1];
        long long w = last->waiting_since ? last->waiting_since : 9007199254740991LL;
        buf_printf(&b, "\"%d.%lld.%lld\"", last->priority, w, (long long)last->id);
    } else {
        buf_puts(&b, "null");
    }
    buf_puts(&b, "}\n");
    http_reply_raw(r, 200, "application/json", buf_cstr(&b), b.len);
    buf_free(&b);
}

static void h_counts(req_t *r)
{
    store_t *st = r->app->store;
    store_conn_t *c = st->ops->reader(st);
    json_t *out = json_object();
    const char *groups[] = {"mine", "unassigned", "all"};
    for (int g = 0; g < 3; g++) {
        json_t *by = json_object();
        for (int s = 0; statuses[s]; s++) {
            char key[64];
            if (g == 0)
                snprintf(key, sizeof key, "user:%lld:%s", (long long)r->auth.actor.user_id,
                         statuses[s]);
            else
                snprintf(key, sizeof key, "%s:%s", g == 1 ? "unassigned" : "all", statuses[s]);
            int64_t v = 0;
            st->ops->desk->counter_get(c, r->auth.actor.account_id, key, &v);
            json_object_set_new(by, statuses[s], json_integer(v));
        }
        json_object_set_new(out, groups[g], by);
    }
    http_reply_json(r, 200, out);
}

static bool load(req_t *r, int64_t *id, conv_row_t *cv)
{
    if (!http_param_id(r, "id", id)) return false;
    store_t *st = r->app->store;
    if (st->ops->desk->conv_get(st->ops->reader(st), r->auth.actor.account_id, *id, &r->arena,
                                cv)) {
        http_problem(r, 404, "not-found", "Not found", "no conversation with this id", NULL);
        return false;
    }
    return true;
}

static void h_get(req_t *r)
{
    int64_t id;
    conv_row_t cv;
    if (!load(r, &id, &cv)) return;
    store_t *st = r->app->store;
    const store_desk_ops_t *ops = st->ops->desk;
    store_conn_t *c = st->ops->reader(st);
    json_t *out = conv_to_json(&cv);
    const char **labels;
    int nl = 0;
    ops->conv_labels(c, cv.id, &r->arena, &labels, &nl);
    json_t *lj = json_array();
    for (int i = 0; i < nl; i++) json_array_append_new(lj, json_string(labels[i]));
    json_object_set_new(out, "labels", lj);
    contact_row_t ct;
    if (ops->contact_get(c, cv.account_id, cv.contact_id, &r->arena, &ct) == 0) {
        identity_row_t *ids;
        int ni = 0;
        ops->identity_list(c, ct.id, &r->arena, &ids, &ni);
        json_object_set_new(out, "contact", contact_to_json(&ct, ids, ni));
    }
    /* The customer's whole history, across every channel and conversation. */
    conv_row_t *convs;
    int nc = 0;
    ops->conv_of_contact(c, cv.contact_id, 50, &r->arena, &convs, &nc);
    json_t *cj = json_array();
    for (int i = 0; i < nc; i++) json_array_append_new(cj, conv_to_json(&convs[i]));
    json_object_set_new(out, "contact_conversations", cj);
    message_row_t *msgs;
    int nm = 0;
    ops->message_timeline(c, cv.contact_id, 200, &r->arena, &msgs, &nm);
    /* The timeline (up to 200 messages) is written straight into the answer,
     * after the rest of the object: see message_json_to. */
    buf_t b;
    buf_init(&b, 0);
    json_dump_to(&b, out);
    json_decref(out);
    if (b.len < 2 || b.ptr[b.len - 1] != '}') {
        buf_free(&b);
        http_problem(r, 500, "internal", "Internal error", "the conversation could not be encoded",
                     NULL);
        return;
    }
    b.len--; /* the object's closing brace */
    buf_puts(&b, ",\"timeline\":[");
    bool see = r->auth.role >= ROLE_AGENT;
    for (int i = 0; i < nm; i++) {
        if (i) buf_putc(&b, ',');
        message_json_to(&b, &msgs[i], see);
    }
    buf_puts(&b, "]}\n");
    http_reply_raw(r, 200, "application/json", buf_cstr(&b), b.len);
    buf_free(&b);
}

static void h_patch(req_t *r)
{
    static const char *const allowed[] = {"status",     "snoozed_until", "priority", "team_id",
                                          "labels_add", "labels_remove", "version",  NULL};
    int64_t id;
    if (!http_param_id(r, "id", &id)) return;
    json_t *body = http_body_json(r);
    if (!body) return;
    json_check_t c = {0};
    json_check_known(&c, body, allowed);
    json_get_enum(&c, body, "status", false, statuses);
    json_get_string(&c, body, "snoozed_until", false, 10, 40);
    json_get_enum(&c, body, "priority", false, conv_priorities);
    json_get_int(&c, body, "version", false, 1, INT64_MAX, 0);
    json_t *team = json_object_get(body, "team_id");
    if (team && !json_is_null(team) && (!json_is_integer(team) || json_integer_value(team) < 1))
        json_check_fail(&c, "/team_id", "team_id must be a team id or null");
    for (int k = 0; k < 2; k++) {
        const char *key = k ? "labels_remove" : "labels_add";
        json_t *v = json_object_get(body, key);
        if (v && (!json_is_array(v) || json_array_size(v) > 50))
            json_check_fail(&c, arena_sprintf(&r->arena, "/%s", key),
                            "%s must be an array of label names", key);
    }
    const char *ifm = http_header(r, "If-Match");
    if (ifm) {
        long long v;
        str_t s = str_trim(str_from(ifm));
        if (s.len >= 2 && s.ptr[0] == '"') s = (str_t){s.ptr + 1, s.len - 2};
        if (!str_to_i64(s, &v))
            json_check_fail(&c, "/version", "If-Match must hold the conversation's version");
        else
            json_object_set_new(body, "version", json_integer(v));
    }
    if (http_check_failed(r, &c)) return;
    parley_err_t err = {0};
    if (desk_update_conversation(r->app, &r->auth.actor, id, body, &err)) {
        http_problem_err(r, &err);
        return;
    }
    conv_row_t cv;
    if (!load(r, &id, &cv)) return;
    json_t *out = conv_to_json(&cv);
    /* Resolving the private half of an offline pair: the public thread still
     * needs its closing note. */
    store_t *st = r->app->store;
    conv_row_t pub;
    if (!strcmp(cv.status, "resolved") && cv.linked_id && !strcmp(cv.visibility, "private") &&
        st->ops->desk->conv_get(st->ops->reader(st), cv.account_id, cv.linked_id, &r->arena,
                                &pub) == 0 &&
        strcmp(pub.status, "resolved") != 0)
        json_object_set_new(out, "closing_note_due",
                            json_pack("{s:I, s:s}", "conversation_id", (json_int_t)pub.id,
                                      "suggested",
                                      "Glad we could sort this out in private. Thanks for your "
                                      "patience!"));
    http_reply_json(r, 200, out);
}

static void h_offline(req_t *r)
{
    static const char *const allowed[] = {"body", "takeover", NULL};
    int64_t id;
    if (!http_param_id(r, "id", &id)) return;
    json_t *body = http_body_json(r);
    if (!body) return;
    json_check_t c = {0};
    json_check_known(&c, body, allowed);
    const char *text = json_get_string(&c, body, "body", false, 1, 2000);
    bool takeover = json_get_bool(&c, body, "takeover", false);
    if (http_check_failed(r, &c)) return;
    post_in_t in = {.body = text ? text
                                 : "We'd like to help you personally. Please send us a direct "
                                   "message so we can look into this privately.",
                    .takeover = takeover,
                    .offline = true};
    post_out_t *out = arena_calloc(&r->arena, sizeof *out);
    parley_err_t err = {0};
    if (desk_post_message(r->app, &r->auth.actor, id, &in, out, &err)) {
        http_problem_err(r, &err);
        return;
    }
    conv_row_t cv;
    if (!load(r, &id, &cv)) return;
    json_t *o = conv_to_json(&cv);
    json_object_set_new(o, "invitation_message_id", json_integer(out->message_id));
    http_reply_json(r, 201, o);
}

static void h_assign(req_t *r)
{
    static const char *const allowed[] = {"assignee_id", "takeover", NULL};
    int64_t id;
    if (!http_param_id(r, "id", &id)) return;
    json_t *body = http_body_json(r);
    if (!body) return;
    json_check_t c = {0};
    json_check_known(&c, body, allowed);
    json_t *a = json_object_get(body, "assignee_id");
    if (!a || !(json_is_null(a) || (json_is_integer(a) && json_integer_value(a) > 0)))
        json_check_fail(&c, "/assignee_id", "assignee_id must be a user id or null");
    bool takeover = json_get_bool(&c, body, "takeover", false);
    if (http_check_failed(r, &c)) return;
    parley_err_t err = {0};
    int64_t user = json_is_integer(a) ? json_integer_value(a) : 0;
    if (desk_assign(r->app, &r->auth.actor, r->auth.role, id, user, takeover, &err)) {
        http_problem_err(r, &err);
        return;
    }
    conv_row_t cv;
    if (!load(r, &id, &cv)) return;
    http_reply_json(r, 200, conv_to_json(&cv));
}

static void h_presence(req_t *r)
{
    static const char *const allowed[] = {"state", NULL};
    static const char *const states[] = {"viewing", "typing", "left", NULL};
    int64_t id;
    if (!http_param_id(r, "id", &id)) return;
    json_t *body = http_body_json(r);
    if (!body) return;
    json_check_t c = {0};
    json_check_known(&c, body, allowed);
    int s = json_get_enum(&c, body, "state", true, states);
    if (http_check_failed(r, &c)) return;
    parley_err_t err = {0};
    if (desk_presence(r->app, &r->auth.actor, id, states[s], &err)) {
        http_problem_err(r, &err);
        return;
    }
    http_reply_empty(r);
}

static void h_messages(req_t *r)
{
    int64_t id;
    conv_row_t cv;
    if (!load(r, &id, &cv)) return;
    int limit;
    int64_t after;
    if (!http_page(r, &limit, &after)) return;
    store_t *st = r->app->store;
    message_row_t *rows;
    int n;
    if (st->ops->desk->message_list(st->ops->reader(st), cv.id, after, limit + 1, &r->arena, &rows,
                                    &n)) {
        http_problem(r, 500, "internal", "Internal error", "messages could not be read", NULL);
        return;
    }
    json_t *data = json_array();
    int shown = n > limit ? limit : n;
    bool see = r->auth.role >= ROLE_AGENT;
    for (int i = 0; i < shown; i++) json_array_append_new(data, message_to_json_for(&rows[i], see));
    json_t *next = n > limit ? json_sprintf("%lld", (long long)rows[shown - 1].id) : json_null();
    http_reply_json(r, 200, json_pack("{s:o, s:o}", "data", data, "next", next));
}

static void h_post_message(req_t *r)
{
    static const char *const allowed[] = {"kind", "body", "takeover", NULL};
    static const char *const kinds[] = {"reply", "note", NULL};
    int64_t id;
    if (!http_param_id(r, "id", &id)) return;
    json_t *body = http_body_json(r);
    if (!body) return;
    json_check_t c = {0};
    json_check_known(&c, body, allowed);
    int kind = json_get_enum(&c, body, "kind", true, kinds);
    const char *text = json_get_string(&c, body, "body", true, 1, 20000);
    bool takeover = json_get_bool(&c, body, "takeover", false);
    if (http_check_failed(r, &c)) return;
    post_in_t in = {.note = kind == 1, .body = text, .takeover = takeover};
    post_out_t *out = arena_calloc(&r->arena, sizeof *out);
    parley_err_t err = {0};
    if (desk_post_message(r->app, &r->auth.actor, id, &in, out, &err)) {
        if (out->blocked) {
            json_t *errors = json_array();
            for (size_t i = 0; i < out->n_findings; i++) {
                if (out->findings[i].severity != VOICE_ERROR) continue;
                json_array_append_new(errors, json_pack("{s:s, s:s, s:s, s:I, s:I}", "pointer",
                                                        "/body", "detail", out->findings[i].message,
                                                        "rule", out->findings[i].rule_id, "start",
                                                        (json_int_t)out->findings[i].start, "end",
                                                        (json_int_t)out->findings[i].end));
            }
            http_problem(r, 422, "reply-blocked", "Reply blocked", err.msg, errors);
            return;
        }
        http_problem_err(r, &err);
        return;
    }
    store_t *st = r->app->store;
    message_row_t m;
    st->ops->desk->message_get(st->ops->reader(st), r->auth.actor.account_id, out->message_id,
                               &r->arena, &m);
    json_t *mj = message_to_json(&m);
    json_object_set_new(mj, "voice", voice_findings_to_json(out->findings, out->n_findings));
    http_reply_json(r, 201, mj);
}

static void h_suggestions(req_t *r)
{
    int64_t id;
    conv_row_t cv;
    if (!load(r, &id, &cv)) return;
    store_t *st = r->app->store;
    store_conn_t *c = st->ops->reader(st);
    /* The customer's latest message is the query. */
    message_row_t *msgs;
    int nm = 0;
    st->ops->desk->message_timeline(c, cv.contact_id, 20, &r->arena, &msgs, &nm);
    const char *query = cv.subject;
    for (int i = nm - 1; i >= 0; i--)
        if (!strcmp(msgs[i].direction, "in") && msgs[i].conversation_id == cv.id) {
            query = msgs[i].body;
            break;
        }
    bm25_index_t *ix = bm25_index_new();
    page_t p = {.account_id = cv.account_id, .after_id = 0, .limit = 100};
    canned_row_t *rows;
    int n = 0, total = 0;
    canned_row_t *all = arena_alloc(&r->arena, sizeof *all * 1000);
    while (total < 1000 && st->ops->catalog->canned_list(c, &p, NULL, &r->arena, &rows, &n) == 0 &&
           n > 0) {
        for (int i = 0; i < n && total < 1000; i++) {
            all[total] = rows[i];
            bm25_add_doc(ix, total, rows[i].title, strlen(rows[i].title), rows[i].body,
                         strlen(rows[i].body));
            total++;
        }
        if (n < p.limit) break;
        p.after_id = rows[n - 1].id;
    }
    bm25_finish(ix);
    bm25_result_t res[5];
    int k = bm25_search(ix, query, strlen(query), 5, res);
    json_t *data = json_array();
    for (int i = 0; i < k; i++) {
        const canned_row_t *cr = &all[res[i].doc_id];
        json_array_append_new(data, json_pack("{s:I, s:s, s:s, s:s, s:f}", "id", (json_int_t)cr->id,
                                              "title", cr->title, "short_code", cr->short_code,
                                              "body", cr->body, "score", res[i].score));
    }
    bm25_index_free(ix);
    http_reply_json(r, 200, json_pack("{s:o, s:s}", "data", data, "query", query));
}

static const route_t routes[] = {
    {"GET", "/api/v1/conversations", PERM_READ, h_list},
    {"GET", "/api/v1/conversations/counts", PERM_READ, h_counts},
    {"GET", "/api/v1/conversations/{id}", PERM_READ, h_get},
    {"PATCH", "/api/v1/conversations/{id}", PERM_WORK, h_patch},
    {"POST", "/api/v1/conversations/{id}/assign", PERM_WORK, h_assign},
    {"POST", "/api/v1/conversations/{id}/offline", PERM_WORK, h_offline},
    {"POST", "/api/v1/conversations/{id}/presence", PERM_WORK, h_presence},
    {"GET", "/api/v1/conversations/{id}/messages", PERM_READ, h_messages},
    {"POST", "/api/v1/conversations/{id}/messages", PERM_WORK, h_post_message},
    {"GET", "/api/v1/conversations/{id}/suggestions", PERM_READ, h_suggestions},
};
const route_table_t conversations_route_table = ROUTE_TABLE(routes);
