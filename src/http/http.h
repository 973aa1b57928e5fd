/*
 * http.h - what every handler sees: the request, its identity, the replies.
 *
 * A request owns an arena that dies when the response is sent. Handlers
 * parse, call the desk, and answer with exactly one http_reply_* call; the
 * server queues that reply. Errors are always application/problem+json.
 */
#ifndef PARLEY_HTTP_HTTP_H
#define PARLEY_HTTP_HTTP_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/json.h"
#include "core/str.h"
#include "desk/app.h"
#include "desk/users.h"

struct server;

/* What a route demands before its handler may run. */
typedef enum {
    PERM_PUBLIC, /* no identity needed */
    PERM_AUTH,   /* any signed-in user, acting on themselves (incl. analysts) */
    PERM_READ,   /* any role may read */
    PERM_WORK,   /* agents and up: answer customers */
    PERM_MANAGE, /* supervisors and up: teams, queues, work of others */
    PERM_ADMIN,  /* admins: users, channels, security settings */
} perm_t;

#define HTTP_MAX_PARAMS 6

typedef struct req req_t;
typedef void (*handler_fn)(req_t *r);

typedef struct {
    const char *method;
    const char *pattern; /* "/api/v1/users/{id}" */
    perm_t perm;
    handler_fn handler;
} route_t;

typedef struct {
    bool ok;
    actor_t actor;
    role_t role;
    const char *via; /* "session", "token" */
    char session_hash[65];
} auth_t;

struct req {
    struct server *srv;
    app_t *app;
    struct MHD_Connection *conn;
    arena_t arena;
    const char *method;
    const char *url; /* path, without the query */
    int route_index; /* -1 = none matched */
    const route_t *route;
    str_t param_names[HTTP_MAX_PARAMS];
    str_t params[HTTP_MAX_PARAMS];
    int n_params;
    buf_t body;
    bool body_too_large;
    char request_id[48];
    char client_ip[64];
    int64_t t0_ns;
    auth_t auth;
    /* the reply */
    int status;
    struct MHD_Response *resp;
    bool offloaded;  /* run by the work pool while its connection is suspended */
    req_t *next_job; /* the work pool's queue */
};

/* ---- replies (exactly one per request) ---------------------------------- */

/* Sends v (stolen) as JSON with status. */
void http_reply_json(req_t *r, int status, json_t *v);
/* Sends raw bytes (copied). */
void http_reply_raw(req_t *r, int status, const char *content_type, const char *body, size_t len);
/* Sends 204 No Content. */
void http_reply_empty(req_t *r);
/* RFC 9457 problem: slug names the type (/problems/<slug>); errors (stolen) may be NULL. */
void http_problem(req_t *r, int status, const char *slug, const char *title, const char *detail,
                  json_t *errors);
/* Maps a parley_err_t from the desk to the right problem. */
void http_problem_err(req_t *r, const parley_err_t *err);
/* Adds a header to the pending reply (call after the reply was built). */
void http_add_header(req_t *r, const char *name, const char *value);

/* ---- request helpers --------------------------------------------------- */

/* The path parameter called name, or a null view. */
str_t http_param(const req_t *r, const char *name);
/* Parses the path parameter as a positive id; answers 404 and returns false when it is not one. */
bool http_param_id(req_t *r, const char *name, int64_t *id);
const char *http_query(req_t *r, const char *key);
const char *http_header(req_t *r, const char *name);
/* Parses the body as a JSON object within the configured limits; on failure
 * answers the problem itself and returns NULL. The value dies with the request. */
json_t *http_body_json(req_t *r);
/* Answers 422 with the collected field errors when c is not ok; returns true then. */
bool http_check_failed(req_t *r, json_check_t *c);
/* Reads ?limit= (1..100, default 50) and ?after= (cursor id); answers 400 on bad values. */
bool http_page(req_t *r, int *limit, int64_t *after);

#endif
