/*
 * test_router.c - route matching, parameters, 405 detection, and the rule
 * that every registered route is documented in docs/openapi.json.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/auth.h"
#include "http/router.h"
#include "http/server.h"

#include <jansson.h>
#include <string.h>
#include <strings.h>

static const char *openapi_path;

static void noop(req_t *r) {}

static const route_t table[] = {
    {"GET", "/api/v1/users", PERM_READ, noop},
    {"GET", "/api/v1/users/{id}", PERM_READ, noop},
    {"PATCH", "/api/v1/users/{id}", PERM_ADMIN, noop},
    {"GET", "/api/v1/conversations/{id}/messages/{mid}", PERM_READ, noop},
};

static route_result_t match(const char *method, const char *path, req_t *r, int *idx)
{
    return router_match(table, 4, method, path, strlen(path), r, idx);
}

static void test_match(void **state)
{
    req_t r;
    int idx;
    memset(&r, 0, sizeof r);
    assert_int_equal(match("GET", "/api/v1/users", &r, &idx), ROUTE_FOUND);
    assert_int_equal(idx, 0);
    assert_int_equal(match("GET", "/api/v1/users/42", &r, &idx), ROUTE_FOUND);
    assert_int_equal(idx, 1);
    assert_true(str_eq_cstr(http_param(&r, "id"), "42"));
    assert_int_equal(match("GET", "/api/v1/conversations/7/messages/9", &r, &idx), ROUTE_FOUND);
    assert_true(str_eq_cstr(http_param(&r, "id"), "7"));
    assert_true(str_eq_cstr(http_param(&r, "mid"), "9"));
    assert_int_equal(match("HEAD", "/api/v1/users", &r, &idx), ROUTE_FOUND);
    assert_int_equal(match("DELETE", "/api/v1/users/42", &r, &idx), ROUTE_NO_METHOD);
    assert_int_equal(match("GET", "/api/v1/users/", &r, &idx), ROUTE_NO_PATH);
    assert_int_equal(match("GET", "/api/v1/users/42/x", &r, &idx), ROUTE_NO_PATH);
    assert_int_equal(match("GET", "/api/v1", &r, &idx), ROUTE_NO_PATH);
    assert_int_equal(match("GET", "", &r, &idx), ROUTE_NO_PATH);
    assert_int_equal(match("GET", "//", &r, &idx), ROUTE_NO_PATH);
    char allow[64];
    router_allowed(table, 4, "/api/v1/users/1", 15, allow, sizeof allow);
    assert_string_equal(allow, "GET, PATCH");
}

static void test_roles(void **state)
{
    assert_true(auth_role_allows(ROLE_ANALYST, PERM_READ, "GET"));
    assert_false(auth_role_allows(ROLE_ANALYST, PERM_READ, "POST"));
    assert_false(auth_role_allows(ROLE_ANALYST, PERM_WORK, "POST"));
    assert_true(auth_role_allows(ROLE_AGENT, PERM_WORK, "POST"));
    assert_false(auth_role_allows(ROLE_AGENT, PERM_MANAGE, "POST"));
    assert_true(auth_role_allows(ROLE_SUPERVISOR, PERM_MANAGE, "POST"));
    assert_false(auth_role_allows(ROLE_SUPERVISOR, PERM_ADMIN, "POST"));
    assert_true(auth_role_allows(ROLE_ADMIN, PERM_ADMIN, "DELETE"));
    assert_true(auth_role_allows(ROLE_ANALYST, PERM_AUTH, "POST"));
}

/* Every route in the real table must be in the OpenAPI document, and every
 * documented operation must exist: the document can not drift from the code. */
static void test_openapi_matches_routes(void **state)
{
    routes_init();
    json_error_t je;
    json_t *doc = json_load_file(openapi_path, 0, &je);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
    json_t *paths = json_object_get(doc, "paths");
    assert_non_null(paths);
    int missing = 0;
    for (size_t i = 0; i < http_routes_count; i++) {
        char method[16];
        size_t k = 0;
        for (const char *p = http_routes[i].method; *p && k < 15; p++)
            method[k++] = (char)(*p + ('a' - 'A'));
        method[k] = '\0';
        json_t *op = json_object_get(json_object_get(paths, http_routes[i].pattern), method);
        if (!op) {
            print_error("route %s %s is missing from openapi.json\n", http_routes[i].method,
                        http_routes[i].pattern);
            missing++;
        }
    }
    const char *path;
    json_t *item;
    json_object_foreach(paths, path, item)
    {
        const char *m;
        json_t *op;
        json_object_foreach(item, m, op)
        {
            if (!strcmp(m, "parameters")) continue;
            bool found = false;
            for (size_t i = 0; i < http_routes_count && !found; i++)
                found =
                    !strcmp(http_routes[i].pattern, path) && !strcasecmp(http_routes[i].method, m);
            if (!found) {
                print_error("openapi.json documents %s %s, which no route serves\n", m, path);
                missing++;
            }
        }
    }
    json_decref(doc);
    assert_int_equal(missing, 0);
}

/* Which requests leave their connection's I/O thread for the work pool:
 * every write, and the reads that can take long; no other read (they would
 * pay a hand-off for nothing). Checked against the real route table. */
static void test_offloaded_requests(void **state)
{
    (void)state;
    assert_true(server_offloads("POST", "/api/v1/inboxes/3/messages"));
    assert_true(server_offloads("POST", "/webhooks/7"));
    assert_true(server_offloads("PATCH", "/api/v1/conversations/9"));
    assert_true(server_offloads("DELETE", "/api/v1/labels/2"));
    assert_true(server_offloads("PUT", "/api/v1/anything"));
    assert_true(server_offloads("GET", "/api/v1/reports/conversations.csv"));
    assert_true(server_offloads("GET", "/api/v1/reports/agents"));
    assert_true(server_offloads("HEAD", "/api/v1/reports/summary"));
    assert_true(server_offloads("GET", "/api/v1/search"));
    assert_false(server_offloads("GET", "/api/v1/conversations"));
    assert_false(server_offloads("GET", "/api/v1/stream"));
    assert_false(server_offloads("GET", "/webhooks/7"));
    assert_false(server_offloads("GET", "/api/v1/searchable"));
    assert_false(server_offloads("GET", "/api/v1/reports"));
    /* the rule names real routes */
    routes_init();
    int reports = 0, search = 0;
    for (size_t i = 0; i < http_routes_count; i++) {
        if (!strncmp(http_routes[i].pattern, "/api/v1/reports/", 16)) reports++;
        if (!strcmp(http_routes[i].pattern, "/api/v1/search")) search++;
    }
    assert_true(reports >= 10);
    assert_int_equal(search, 1);
}

int main(int argc, char **argv)
{
    openapi_path = argc > 1 ? argv[1] : "docs/openapi.json";
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_openapi_matches_routes),
        cmocka_unit_test(test_offloaded_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
