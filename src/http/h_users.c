/*
 * h_users.c - the account's users (admins manage; everyone may read the list,
 * which assignment and mentions need).
 */
#include "http/handlers.h"

#include <string.h>

void h_users_list(req_t *r)
{
    int limit;
    int64_t after;
    if (!http_page(r, &limit, &after)) return;
    store_t *st = r->app->store;
    page_t p = {.account_id = r->auth.actor.account_id, .after_id = after, .limit = limit + 1};
    user_row_t *rows;
    int n;
    if (st->ops->user_list(st->ops->reader(st), &p, &r->arena, &rows, &n)) {
        http_problem(r, 500, "internal", "Internal error", "users could not be read", NULL);
        return;
    }
    json_t *data = json_array();
    int shown = n > limit ? limit : n;
    for (int i = 0; i < shown; i++) json_array_append_new(data, user_to_json(&rows[i]));
    json_t *next = n > limit ? json_sprintf("%lld", (long long)rows[shown - 1].id) : json_null();
    http_reply_json(r, 200, json_pack("{s:o, s:o}", "data", data, "next", next));
}

void h_users_create(req_t *r)
{
    static const char *const allowed[] = {"email", "name", "role", "password", "capacity", NULL};
    static const char *const roles[] = {"admin", "supervisor", "agent", "analyst", NULL};
    json_t *body = http_body_json(r);
    if (!body) return;
    json_check_t c = {0};
    json_check_known(&c, body, allowed);
    user_new_t in = {0};
    in.email = json_get_string(&c, body, "email", true, 3, 254);
    in.name = json_get_string(&c, body, "name", false, 1, 200);
    int role = json_get_enum(&c, body, "role", true, roles);
    in.password =
        json_get_string(&c, body, "password", false, USER_PASSWORD_MIN, USER_PASSWORD_MAX);
    in.capacity = json_get_int(&c, body, "capacity", false, 1, 1000, 10);
    if (in.email && !user_email_valid(in.email))
        json_check_fail(&c, "/email", "email is not a valid e-mail address");
    if (http_check_failed(r, &c)) return;
    in.role = roles[role];
    in.must_change_password = in.password == NULL;
    char generated[40] = "";
    int64_t id;
    parley_err_t err = {0};
    if (user_create(r->app, &r->auth.actor, r->auth.actor.account_id, &in, generated, &id, &err)) {
        http_problem_err(r, &err);
        return;
    }
    store_t *st = r->app->store;
    user_row_t u;
    st->ops->user_get(st->ops->reader(st), r->auth.actor.account_id, id, &r->arena, &u);
    json_t *out = user_to_json(&u);
    if (generated[0]) json_object_set_new(out, "password", json_string(generated));
    http_reply_json(r, 201, out);
    http_add_header(r, "Location", arena_sprintf(&r->arena, "/api/v1/users/%lld", (long long)id));
}

void h_users_get(req_t *r)
{
    int64_t id;
    if (!http_param_id(r, "id", &id)) return;
    store_t *st = r->app->store;
    user_row_t u;
    if (st->ops->user_get(st->ops->reader(st), r->auth.actor.account_id, id, &r->arena, &u)) {
        http_problem(r, 404, "not-found", "Not found", "no user with this id", NULL);
        return;
    }
    http_reply_json(r, 200, user_to_json(&u));
}

void h_users_patch(req_t *r)
{
    static const char *const allowed[] = {"name",     "role",         "status",
                                          "capacity", "availability", NULL};
    static const char *const roles[] = {"admin", "supervisor", "agent", "analyst", NULL};
    static const char *const statuses[] = {"active", "disabled", NULL};
    static const char *const av[] = {"online", "away", "offline", NULL};
    int64_t id;
    if (!http_param_id(r, "id", &id)) return;
    json_t *body = http_body_json(r);
    if (!body) return;
    json_check_t c = {0};
    json_check_known(&c, body, allowed);
    json_get_string(&c, body, "name", false, 1, 200);
    json_get_enum(&c, body, "role", false, roles);
    json_get_enum(&c, body, "status", false, statuses);
    json_get_enum(&c, body, "availability", false, av);
    json_get_int(&c, body, "capacity", false, 1, 1000, 0);
    if (http_check_failed(r, &c)) return;
    parley_err_t err = {0};
    if (user_update(r->app, &r->auth.actor, id, body, &err)) {
        http_problem_err(r, &err);
        return;
    }
    h_users_get(r);
}

void h_users_disable(req_t *r)
{
    int64_t id;
    if (!http_param_id(r, "id", &id)) return;
    json_t *patch = json_pack("{s:s}", "status", "disabled");
    parley_err_t err = {0};
    int rc = user_update(r->app, &r->auth.actor, id, patch, &err);
    json_decref(patch);
    if (rc) {
        http_problem_err(r, &err);
        return;
    }
    http_reply_empty(r);
}
