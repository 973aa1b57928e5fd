/*
 * h_catalog.c - teams (and members), labels and canned responses over HTTP.
 *
 * Everyone reads; supervisors and admins change; agents may render a canned
 * response for a conversation. Handlers check JSON types (every bad field
 * with its pointer), call desk/catalog.c, and render. Rows of another account
 * are simply not found.
 */
#include "http/handlers.h"
#include "http/router.h"

#include "desk/catalog.h"

#include <stdio.h>
#include <string.h>

#define Q_MAX 100 /* bytes of ?q= */

/* ---- shared helpers ----------------------------------------------------- */

static const store_catalog_ops_t *ops_or_500(req_t *r)
{
    const store_catalog_ops_t *cat = catalog_ops(r->app);
    if (!cat)
        http_problem(r, 500, "internal", "Internal error",
                     "this store does not keep teams, labels or canned responses", NULL);
    return cat;
}

static store_conn_t *reader(req_t *r)
{
    return r->app->store->ops->reader(r->app->store);
}

static void read_failed(req_t *r, const char *what)
{
    http_problem(r, 500, "internal", "Internal error",
                 arena_sprintf(&r->arena, "%s could not be read", what), NULL);
}

static void not_found(req_t *r, const char *what)
{
    http_problem(r, 404, "not-found", "Not found",
                 arena_sprintf(&r->arena, "no %s with this id", what), NULL);
}

/* PATCH may leave a field out, but not set it to null. */
static void refuse_null(json_check_t *c, json_t *body, const char *key)
{
    json_t *v = json_object_get(body, key);
    char ptr[64];
    snprintf(ptr, sizeof ptr, "/%s", key);
    if (v && json_is_null(v)) json_check_fail(c, ptr, "%s can not be null", key);
}

/* Answers {"data": [...], "next": ...}; n rows were read for a page of limit
 * (one more than limit means there is a next page, after last_shown). */
static void reply_page(req_t *r, json_t *data, int limit, int64_t last_shown, int n)
{
    json_t *next = n > limit ? json_sprintf("%lld", (long long)last_shown) : json_null();
    http_reply_json(r, 200, json_pack("{s:o, s:o}", "data", data, "next", next));
}

static void created(req_t *r, json_t *v, const char *collection, int64_t id)
{
    http_reply_json(r, 201, v);
    http_add_header(r, "Location",
                    arena_sprintf(&r->arena, "/api/v1/%s/%lld", collection, (long long)id));
}

/* ---- teams -------------------------------------------------------------- */

static void teams_list(req_t *r)
{
    const store_catalog_ops_t *cat = ops_or_500(r);
    int limit;
    int64_t after;
    if (!cat || !http_page(r, &limit, &after)) return;
    page_t p = {.account_id = r->auth.actor.account_id, .after_id = after, .limit = limit + 1};
    team_row_t *rows;
    int n;
    if (cat->team_list(reader(r), &p, &r->arena, &rows, &n)) {
        read_failed(r, "teams");
        return;
    }
    json_t *data = json_array();
    int shown = n > limit ? limit : n;
    for (int i = 0; i < shown; i++) json_array_append_new(data, team_to_json(&rows[i], NULL, 0));
    reply_page(r, data, limit, shown ? rows[shown - 1].id : 0, n);
}

/* Answers the team with its members. */
static void team_reply(req_t *r, int status, int64_t id)
{
    const store_catalog_ops_t *cat = ops_or_500(r);
    if (!cat) return;
    team_row_t t;
    team_member_row_t *m;
    int n;
    int rc = cat->team_get(reader(r), r->auth.actor.account_id, id, &r->arena, &t);
    if (rc == PARLEY_ENOENT) {
        not_found(r, "team");
        return;
    }
    if (rc || cat->team_members_list(reader(r), t.account_id, t.id, &r->arena, &m, &n)) {
        read_failed(r, "the team");
        return;
    }
    json_t *v = team_to_json(&t, m, n);
    if (status == 201)
        created(r, v, "teams", id);
    else
        http_reply_json(r, status, v);
}

static void teams_get(req_t *r)
{
    int64_t id;
    if (http_param_id(r, "id", &id)) team_reply(r, 200, id);
}

static void teams_create(req_t *r)
{
    static const char *const allowed[] = {"name", NULL};
    json_t *body = http_body_json(r);
    if (!body) return;
    json_check_t c = {0};
    json_check_known(&c, body, allowed);
    const char *name = json_get_string(&c, body, "name", true, 1, TEAM_NAME_MAX * 4);
    if (http_check_failed(r, &c)) return;
    int64_t id;
    parley_err_t err = {0};
    if (team_create(r->app, &r->auth.actor, name, &id, &err)) {
        http_problem_err(r, &err);
        return;
    }
    team_reply(r, 201, id);
}

static void teams_patch(req_t *r)
{
    static const char *const allowed[] = {"name", NULL};
    int64_t id;
    if (!http_param_id(r, "id", &id)) return;
    json_t *body = http_body_json(r);
    if (!body) return;
    json_check_t c = {0};
    json_check_known(&c, body, allowed);
    refuse_null(&c, body, "name");
    const char *name = json_get_string(&c, body, "name", false, 1, TEAM_NAME_MAX * 4);
    if (http_check_failed(r, &c)) return;
    parley_err_t err = {0};
    if (name && team_rename(r->app, &r->auth.actor, id, name, &err)) {
        http_problem_err(r, &err);
        return;
    }
    team_reply(r, 200, id);
}

static void teams_delete(req_t *r)
{
    int64_t id;
    if (!http_param_id(r, "id", &id)) return;
    parley_err_t err = {0};
    if (team_delete(r->app, &r->auth.actor, id, &err)) {
        http_problem_err(r, &err);
        return;
    }
    http_reply_empty(r);
}

static void teams_put_members(req_t *r)
{
    static const char *const allowed[] = {"user_ids", NULL};
    int64_t id;
    if (!http_param_id(r, "id", &id)) return;
    json_t *body = http_body_json(r);
    if (!body) return;
    json_check_t c = {0};
    json_check_known(&c, body, allowed);
    json_t *list = json_object_get(body, "user_ids");
    size_t n = 0;
    int64_t *ids = NULL;
    if (!list || json_is_null(list)) {
        json_check_fail(&c, "/user_ids", "user_ids is required (an array of user ids)");
    } else if (!json_is_array(list)) {
        json_check_fail(&c, "/user_ids", "user_ids must be an array of user ids");
    } else if ((n = json_array_size(list)) > TEAM_MEMBERS_MAX) {
        json_check_fail(&c, "/user_ids", "a team has at most %d members", TEAM_MEMBERS_MAX);
    } else {
        ids = arena_alloc(&r->arena, sizeof *ids * (n ? n : 1));
        for (size_t i = 0; i < n; i++) {
            json_t *v = json_array_get(list, i);
            if (!json_is_integer(v) || json_integer_value(v) <= 0)
                json_check_fail(&c, arena_sprintf(&r->arena, "/user_ids/%zu", i),
                                "user_ids[%zu] must be a positive integer user id", i);
            else
                ids[i] = json_integer_value(v);
        }
    }
    if (http_check_failed(r, &c)) return;
    parley_err_t err = {0};
    if (team_set_members(r->app, &r->auth.actor, id, ids, n, &err)) {
        http_problem_err(r, &err);
        return;
    }
    team_reply(r, 200, id);
}

/* ---- labels ------------------------------------------------------------- */

static void labels_list(req_t *r)
{
    const store_catalog_ops_t *cat = ops_or_500(r);
    int limit;
    int64_t after;
    if (!cat || !http_page(r, &limit, &after)) return;
    page_t p = {.account_id = r->auth.actor.account_id, .after_id = after, .limit = limit + 1};
    label_row_t *rows;
    int n;
    if (cat->label_list(reader(r), &p, &r->arena, &rows, &n)) {
        read_failed(r, "labels");
        return;
    }
    json_t *data = json_array();
    int shown = n > limit ? limit : n;
    for (int i = 0; i < shown; i++) json_array_append_new(data, label_to_json(&rows[i]));
    reply_page(r, data, limit, shown ? rows[shown - 1].id : 0, n);
}

static void label_reply(req_t *r, int status, int64_t id)
{
    const store_catalog_ops_t *cat = ops_or_500(r);
    if (!cat) return;
    label_row_t l;
    int rc = cat->label_get(reader(r), r->auth.actor.account_id, id, &r->arena, &l);
    if (rc == PARLEY_ENOENT) {
        not_found(r, "label");
        return;
    }
    if (rc) {
        read_failed(r, "the label");
        return;
    }
    if (status == 201)
        created(r, label_to_json(&l), "labels", id);
    else
        http_reply_json(r, status, label_to_json(&l));
}

static void labels_get(req_t *r)
{
    int64_t id;
    if (http_param_id(r, "id", &id)) label_reply(r, 200, id);
}

/* Reads {"name","color"}; on create name is required. */
static bool label_body(req_t *r, json_t *body, bool create, label_fields_t *in)
{
    static const char *const allowed[] = {"name", "color", NULL};
    json_check_t c = {0};
    json_check_known(&c, body, allowed);
    if (!create) {
        refuse_null(&c, body, "name");
        refuse_null(&c, body, "color");
    }
    in->name = json_get_string(&c, body, "name", create, 1, LABEL_NAME_MAX * 4);
    in->color = json_get_string(&c, body, "color", false, 1, 16);
    return !http_check_failed(r, &c);
}

static void labels_create(req_t *r)
{
    json_t *body = http_body_json(r);
    label_fields_t in;
    if (!body || !label_body(r, body, true, &in)) return;
    int64_t id;
    parley_err_t err = {0};
    if (label_create(r->app, &r->auth.actor, &in, &id, &err)) {
        http_problem_err(r, &err);
        return;
    }
    label_reply(r, 201, id);
}

static void labels_patch(req_t *r)
{
    int64_t id;
    if (!http_param_id(r, "id", &id)) return;
    json_t *body = http_body_json(r);
    label_fields_t in;
    if (!body || !label_body(r, body, false, &in)) return;
    parley_err_t err = {0};
    if (label_update(r->app, &r->auth.actor, id, &in, &err)) {
        http_problem_err(r, &err);
        return;
    }
    label_reply(r, 200, id);
}

static void labels_delete(req_t *r)
{
    int64_t id;
    if (!http_param_id(r, "id", &id)) return;
    parley_err_t err = {0};
    if (label_delete(r->app, &r->auth.actor, id, &err)) {
        http_problem_err(r, &err);
        return;
    }
    http_reply_empty(r);
}

/* ---- canned responses --------------------------------------------------- */

static void canned_list(req_t *r)
{
    const store_catalog_ops_t *cat = ops_or_500(r);
    int limit;
    int64_t after;
    if (!cat || !http_page(r, &limit, &after)) return;
    const char *query = http_query(r, "q");
    if (query && strlen(query) > Q_MAX) {
        json_t *e = json_pack("[{s:s, s:s}]", "pointer", "/q", "detail", "q is at most 100 bytes");
        http_problem(r, 400, "bad-query", "Invalid query parameter", "q is at most 100 bytes", e);
        return;
    }
    if (query && !*query) query = NULL;
    page_t p = {.account_id = r->auth.actor.account_id, .after_id = after, .limit = limit + 1};
    canned_row_t *rows;
    int n;
    if (cat->canned_list(reader(r), &p, query, &r->arena, &rows, &n)) {
        read_failed(r, "canned responses");
        return;
    }
    json_t *data = json_array();
    int shown = n > limit ? limit : n;
    for (int i = 0; i < shown; i++) json_array_append_new(data, canned_response_to_json(&rows[i]));
    reply_page(r, data, limit, shown ? rows[shown - 1].id : 0, n);
}

static void canned_reply(req_t *r, int status, int64_t id)
{
    const store_catalog_ops_t *cat = ops_or_500(r);
    if (!cat) return;
    canned_row_t row;
    int rc = cat->canned_get(reader(r), r->auth.actor.account_id, id, &r->arena, &row);
    if (rc == PARLEY_ENOENT) {
        not_found(r, "canned response");
        return;
    }
    if (rc) {
        read_failed(r, "the canned response");
        return;
    }
    if (status == 201)
        created(r, canned_response_to_json(&row), "canned-responses", id);
    else
        http_reply_json(r, status, canned_response_to_json(&row));
}

static void canned_get(req_t *r)
{
    int64_t id;
    if (http_param_id(r, "id", &id)) canned_reply(r, 200, id);
}

/* Reads {"title","short_code","body"}; on create all are required. */
static bool canned_body(req_t *r, json_t *body, bool create, canned_fields_t *in)
{
    static const char *const allowed[] = {"title", "short_code", "body", NULL};
    json_check_t c = {0};
    json_check_known(&c, body, allowed);
    if (!create) {
        refuse_null(&c, body, "title");
        refuse_null(&c, body, "short_code");
        refuse_null(&c, body, "body");
    }
    in->title = json_get_string(&c, body, "title", create, 1, CANNED_TITLE_MAX * 4);
    in->short_code = json_get_string(&c, body, "short_code", create, 1, CANNED_CODE_MAX);
    in->body = json_get_string(&c, body, "body", create, 1, CANNED_BODY_MAX * 4);
    return !http_check_failed(r, &c);
}

static void canned_create(req_t *r)
{
    json_t *body = http_body_json(r);
    canned_fields_t in;
    if (!body || !canned_body(r, body, true, &in)) return;
    int64_t id;
    parley_err_t err = {0};
    if (canned_response_create(r->app, &r->auth.actor, &in, &id, &err)) {
        http_problem_err(r, &err);
        return;
    }
    canned_reply(r, 201, id);
}

static void canned_patch(req_t *r)
{
    int64_t id;
    if (!http_param_id(r, "id", &id)) return;
    json_t *body = http_body_json(r);
    canned_fields_t in;
    if (!body || !canned_body(r, body, false, &in)) return;
    parley_err_t err = {0};
    if (canned_response_update(r->app, &r->auth.actor, id, &in, &err)) {
        http_problem_err(r, &err);
        return;
    }
    canned_reply(r, 200, id);
}

static void canned_delete(req_t *r)
{
    int64_t id;
    if (!http_param_id(r, "id", &id)) return;
    parley_err_t err = {0};
    if (canned_response_delete(r->app, &r->auth.actor, id, &err)) {
        http_problem_err(r, &err);
        return;
    }
    http_reply_empty(r);
}

static void free_buf(void *p)
{
    buf_free(p);
}

static void canned_render_for(req_t *r)
{
    static const char *const allowed[] = {"conversation_id", NULL};
    int64_t id;
    if (!http_param_id(r, "id", &id)) return;
    json_t *body = http_body_json(r);
    if (!body) return;
    json_check_t c = {0};
    json_check_known(&c, body, allowed);
    int64_t conversation_id = json_get_int(&c, body, "conversation_id", true, 1, INT64_MAX, 0);
    if (http_check_failed(r, &c)) return;
    buf_t *out = arena_alloc(&r->arena, sizeof *out);
    buf_init(out, 0);
    arena_defer(&r->arena, free_buf, out);
    parley_err_t err = {0};
    if (canned_response_render(r->app, &r->auth.actor, id, conversation_id, out, &err)) {
        http_problem_err(r, &err);
        return;
    }
    json_t *text = json_stringn(out->ptr ? out->ptr : "", out->len);
    if (!text) {
        http_problem(r, 500, "internal", "Internal error", "the rendered text is not valid UTF-8",
                     NULL);
        return;
    }
    http_reply_json(r, 200, json_pack("{s:o}", "text", text));
}

/* ---- the table (listed in routes.c) ------------------------------------- */

static const route_t routes[] = {
    {"GET", "/api/v1/teams", PERM_READ, teams_list},
    {"POST", "/api/v1/teams", PERM_MANAGE, teams_create},
    {"GET", "/api/v1/teams/{id}", PERM_READ, teams_get},
    {"PATCH", "/api/v1/teams/{id}", PERM_MANAGE, teams_patch},
    {"DELETE", "/api/v1/teams/{id}", PERM_MANAGE, teams_delete},
    {"PUT", "/api/v1/teams/{id}/members", PERM_MANAGE, teams_put_members},

    {"GET", "/api/v1/labels", PERM_READ, labels_list},
    {"POST", "/api/v1/labels", PERM_MANAGE, labels_create},
    {"GET", "/api/v1/labels/{id}", PERM_READ, labels_get},
    {"PATCH", "/api/v1/labels/{id}", PERM_MANAGE, labels_patch},
    {"DELETE", "/api/v1/labels/{id}", PERM_MANAGE, labels_delete},

    {"GET", "/api/v1/canned-responses", PERM_READ, canned_list},
    {"POST", "/api/v1/canned-responses", PERM_MANAGE, canned_create},
    {"GET", "/api/v1/canned-responses/{id}", PERM_READ, canned_get},
    {"PATCH", "/api/v1/canned-responses/{id}", PERM_MANAGE, canned_patch},
    {"DELETE", "/api/v1/canned-responses/{id}", PERM_MANAGE, canned_delete},
    {"POST", "/api/v1/canned-responses/{id}/render", PERM_WORK, canned_render_for},
};
const route_table_t catalog_route_table = ROUTE_TABLE(routes);
