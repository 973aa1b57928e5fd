/*
 * routes.c - the route table: every path Parley answers and who may call it.
 */
#include "http/handlers.h"
#include "http/router.h"

const route_t http_routes[] = {
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

const size_t http_routes_count = sizeof http_routes / sizeof http_routes[0];
