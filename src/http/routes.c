/*
 * routes.c - the route table: every path Parley answers and who may call it.
 */
#include "http/handlers.h"
#include "http/router.h"

#include <pthread.h>
#include <stdlib.h>

static void build(void);

/* The tables of the other modules. */
extern const route_table_t analyze_route_table;
extern const route_table_t stream_route_table;
extern const route_table_t catalog_route_table; /* h_catalog.c */
extern const route_table_t inboxes_route_table;
extern const route_table_t conversations_route_table;
extern const route_table_t contacts_route_table;
extern const route_table_t sla_route_table; /* h_sla.c */
extern const route_table_t web_route_table; /* h_web.c: the console */
extern const route_table_t webhooks_route_table;
extern const route_table_t deliveries_route_table;
extern const route_table_t outbound_route_table; /* h_outbound.c: outbound webhooks */
extern const route_table_t widget_route_table;   /* h_widget.c: the website chat widget */
extern const route_table_t reports_route_table;  /* h_reports.c */

static const route_t core_routes[] = {
    {"GET", "/healthz", PERM_PUBLIC, h_healthz},
    {"GET", "/readyz", PERM_PUBLIC, h_readyz},
    {"GET", "/metrics", PERM_PUBLIC, h_metrics},
    {"GET", "/api/v1/openapi.json", PERM_PUBLIC, h_openapi},

    {"POST", "/api/v1/auth/login", PERM_PUBLIC, h_login},
    {"POST", "/api/v1/auth/logout", PERM_AUTH, h_logout},
    {"GET", "/api/v1/me", PERM_AUTH, h_me_get},
    {"PATCH", "/api/v1/me", PERM_AUTH, h_me_patch},
    {"POST", "/api/v1/me/password", PERM_AUTH, h_me_password},
    {"GET", "/api/v1/account", PERM_READ, h_account_get},
    {"PATCH", "/api/v1/account", PERM_ADMIN, h_account_patch},
    {"GET", "/api/v1/account/notices", PERM_ADMIN, h_account_notices},

    {"GET", "/api/v1/users", PERM_READ, h_users_list},
    {"POST", "/api/v1/users", PERM_ADMIN, h_users_create},
    {"GET", "/api/v1/users/{id}", PERM_READ, h_users_get},
    {"PATCH", "/api/v1/users/{id}", PERM_ADMIN, h_users_patch},
    {"DELETE", "/api/v1/users/{id}", PERM_ADMIN, h_users_disable},

    {"GET", "/api/v1/tokens", PERM_AUTH, h_tokens_list},
    {"POST", "/api/v1/tokens", PERM_AUTH, h_tokens_create},
    {"DELETE", "/api/v1/tokens/{id}", PERM_AUTH, h_tokens_revoke},

    {"GET", "/api/v1/events", PERM_READ, h_events_list},
};

static const route_table_t core_route_table = ROUTE_TABLE(core_routes);

/* Each module's table; a new module adds one line here. */
static const route_table_t *const *tables(size_t *n)
{
    static const route_table_t *const all[] = {
        &core_route_table,     &analyze_route_table,    &stream_route_table,
        &catalog_route_table,  &inboxes_route_table,    &conversations_route_table,
        &contacts_route_table, &sla_route_table,        &web_route_table,
        &webhooks_route_table, &deliveries_route_table, &outbound_route_table,
        &widget_route_table,   &reports_route_table,
    };
    *n = sizeof all / sizeof all[0];
    return all;
}

#define MAX_ROUTES 256
route_t http_routes[MAX_ROUTES];
size_t http_routes_count;

void routes_init(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, build);
}

static void build(void)
{
    size_t n;
    const route_table_t *const *t = tables(&n);
    http_routes_count = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < t[i]->count; j++) {
            if (http_routes_count == MAX_ROUTES) abort(); /* raise MAX_ROUTES */
            http_routes[http_routes_count++] = t[i]->routes[j];
        }
}
