/*
 * router.h - table-driven routing: method + path pattern with {params}.
 *
 * The table (routes.c) is the single list of what Parley answers; the
 * OpenAPI document is checked against it by a test.
 */
#ifndef PARLEY_HTTP_ROUTER_H
#define PARLEY_HTTP_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "http/http.h"

/* Every route, gathered from each module's table by routes_init(). */
extern route_t http_routes[];
extern size_t http_routes_count;

/* Builds http_routes from the module tables (idempotent; call before serving). */
void routes_init(void);

/* A module's routes: each h_*.c that serves paths exports one, e.g.
 *   static const route_t routes[] = {...};
 *   const route_table_t analyze_route_table = ROUTE_TABLE(routes);
 * and routes.c lists it. */
typedef struct {
    const route_t *routes;
    size_t count;
} route_table_t;
#define ROUTE_TABLE(t)                                                                             \
    {                                                                                              \
        t, sizeof t / sizeof t[0]                                                                  \
    }

typedef enum { ROUTE_FOUND, ROUTE_NO_PATH, ROUTE_NO_METHOD } route_result_t;

/* Finds the route for method and path (no query string) in routes[0..n),
 * filling r's params (views into path). HEAD matches GET routes. */
route_result_t router_match(const route_t *routes, size_t n, const char *method, const char *path,
                            size_t path_len, req_t *r, int *index);
/* The methods allowed on path, comma separated, into out (for Allow). */
void router_allowed(const route_t *routes, size_t n, const char *path, size_t path_len, char *out,
                    size_t cap);

#endif
