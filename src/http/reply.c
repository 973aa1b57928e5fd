/*
 * reply.c - building responses: JSON, raw bytes, RFC 9457 problems; and the
 * small request readers handlers share (params, query, body, paging).
 */
#include "http/http.h"
#include "http/server.h"

#include "core/log.h"

#include <stdlib.h>
#include <strings.h>
#include <string.h>

static void set_response(req_t *r, int status, struct MHD_Response *resp, const char *type)
{
    if (r->resp) {
        /* A second reply is a bug in a handler: keep the first, say so. */
        MHD_destroy_response(resp);
        log_line_t l;
        log_begin(&l, LOG_ERROR, "http.double_reply", r->request_id);
        log_str(&l, "path", r->url);
        log_end(&l);
        return;
    }
    r->status = status;
    r->resp = resp;
    MHD_add_response_header(resp, "Content-Type", type);
    MHD_add_response_header(resp, "X-Request-Id", r->request_id);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
}

void http_reply_raw(req_t *r, int status, const char *content_type, const char *body, size_t len)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    set_response(r, status, resp, content_type);
}

void http_reply_json(req_t *r, int status, json_t *v)
{
    buf_t b;
    buf_init(&b, 0);
    json_dump_to(&b, v);
    buf_putc(&b, '\n');
    json_decref(v);
    size_t len;
    char *p = buf_detach(&b, &len);
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, p, MHD_RESPMEM_MUST_FREE);
    set_response(r, status, resp, "application/json");
}

void http_reply_empty(req_t *r)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    set_response(r, 204, resp, "application/json");
}

void http_add_header(req_t *r, const char *name, const char *value)
{
    if (r->resp) MHD_add_response_header(r->resp, name, value);
}

void http_problem(req_t *r, int status, const char *slug, const char *title, const char *detail,
                  json_t *errors)
{
    json_t *p =
        json_pack("{s:s, s:s, s:i, s:s, s:s}", "type",
                  arena_sprintf(&r->arena, "/problems/%s", slug), "title", title, "status", status,
                  "detail", detail ? detail : title, "instance", r->url ? r->url : "/");
    json_object_set_new(p, "request_id", json_string(r->request_id));
    json_object_set_new(p, "errors", errors ? errors : json_array());
    buf_t b;
    buf_init(&b, 0);
    json_dump_to(&b, p);
    buf_putc(&b, '\n');
    json_decref(p);
    size_t len;
    char *body = buf_detach(&b, &len);
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    set_response(r, status, resp, "application/problem+json");
}

void http_problem_err(req_t *r, const parley_err_t *err)
{
    json_t *errors = NULL;
    if (err->field[0] == '/') {
        errors = json_array();
        json_array_append_new(errors,
                              json_pack("{s:s, s:s}", "pointer", err->field, "detail", err->msg));
    }
    switch (err->code) {
    case PARLEY_EINVAL:
        http_problem(r, 422, "validation", "Invalid request", err->msg, errors);
        break;
    case PARLEY_ENOENT: http_problem(r, 404, "not-found", "Not found", err->msg, errors); break;
    case PARLEY_EEXIST: http_problem(r, 409, "conflict", "Already exists", err->msg, errors); break;
    case PARLEY_ECONFLICT: http_problem(r, 409, "conflict", "Conflict", err->msg, errors); break;
    case PARLEY_EPERM: http_problem(r, 403, "forbidden", "Forbidden", err->msg, errors); break;
    case PARLEY_EAUTH: http_problem(r, 403, "forbidden", "Not allowed", err->msg, errors); break;
    case PARLEY_ELIMIT: http_problem(r, 413, "too-large", "Too large", err->msg, errors); break;
    case PARLEY_EBUSY:
        /* 503 + Retry-After: platforms redeliver a webhook answered so (a 409
         * told some of them to give up), and clients know to retry. */
        json_decref(errors);
        http_problem(r, 503, "busy", "Service busy",
                     "the database is locked by another process (a backup or maintenance);"
                     " nothing was changed; retry shortly",
                     NULL);
        http_add_header(r, "Retry-After", "2");
        break;
    default:
        json_decref(errors);
        http_problem(r, 500, "internal", "Internal error",
                     "the request could not be completed; nothing was changed", NULL);
    }
}

str_t http_param(const req_t *r, const char *name)
{
    for (int i = 0; i < r->n_params; i++)
        if (str_eq_cstr(r->param_names[i], name)) return r->params[i];
    return STR_NULL;
}

bool http_param_id(req_t *r, const char *name, int64_t *id)
{
    long long v;
    if (!str_to_i64(http_param(r, name), &v) || v <= 0) {
        http_problem(r, 404, "not-found", "Not found",
                     arena_sprintf(&r->arena, "%s must be a positive integer id", name), NULL);
        return false;
    }
    *id = v;
    return true;
}

const char *http_query(req_t *r, const char *key)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *http_header(req_t *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

static void free_json(void *p)
{
    json_decref(p);
}

json_t *http_body_json(req_t *r)
{
    if (r->body_too_large) {
        http_problem(r, 413, "too-large", "Request body too large",
                     arena_sprintf(&r->arena, "the body is limited to %lld bytes",
                                   (long long)r->app->cfg->max_body),
                     NULL);
        return NULL;
    }
    const char *ct = http_header(r, "Content-Type");
    if (ct && strncasecmp(ct, "application/json", 16) != 0 &&
        strncasecmp(ct, "application/merge-patch+json", 28) != 0) {
        http_problem(r, 415, "unsupported-media-type", "Unsupported media type",
                     "send the body as application/json", NULL);
        return NULL;
    }
    json_limits_t lim = {.max_depth = (int)r->app->cfg->max_json_depth,
                         .max_string = (size_t)r->app->cfg->max_string};
    parley_err_t err = {0};
    json_t *v;
    int rc = json_parse_limited(r->body.ptr ? r->body.ptr : "", r->body.len, &lim, &v, &err);
    if (rc == PARLEY_ELIMIT) {
        http_problem(r, 413, "too-large", "Request too large", err.msg, NULL);
        return NULL;
    }
    if (rc) {
        http_problem(r, 400, "malformed-json", "Malformed JSON", err.msg, NULL);
        return NULL;
    }
    arena_defer(&r->arena, free_json, v);
    return v;
}

bool http_check_failed(req_t *r, json_check_t *c)
{
    if (json_check_ok(c)) return false;
    json_t *errors = c->errors;
    c->errors = NULL;
    const char *detail = json_string_value(json_object_get(json_array_get(errors, 0), "detail"));
    http_problem(r, 422, "validation", "Invalid request", detail, errors);
    return true;
}

bool http_page(req_t *r, int *limit, int64_t *after)
{
    const char *l = http_query(r, "limit"), *a = http_query(r, "after");
    long long v;
    *limit = 50;
    *after = 0;
    if (l) {
        if (!str_to_i64(str_from(l), &v) || v < 1 || v > 100) {
            json_t *e = json_pack("[{s:s, s:s}]", "pointer", "/limit", "detail",
                                  "limit must be an integer from 1 to 100");
            http_problem(r, 400, "bad-query", "Invalid query parameter",
                         "limit must be an integer from 1 to 100", e);
            return false;
        }
        *limit = (int)v;
    }
    if (a) {
        if (!str_to_i64(str_from(a), &v) || v < 0) {
            json_t *e = json_pack("[{s:s, s:s}]", "pointer", "/after", "detail",
                                  "after must be a cursor from a previous page");
            http_problem(r, 400, "bad-query", "Invalid query parameter",
                         "after must be a cursor from a previous page", e);
            return false;
        }
        *after = v;
    }
    return true;
}
