/*
 * server.c - libmicrohttpd glue: accept, read within limits, dispatch, log.
 *
 * Owns the request lifecycle: the first callback creates the req_t (arena,
 * request id, early limit checks), body chunks accumulate up to max-body,
 * the last callback runs the rate limit, the router, auth and the handler,
 * and the completion callback writes the access-log line and frees it all.
 */
#include "http/server.h"

#include "core/crypto.h"
#include "core/log.h"
#include "core/mem.h"
#include "http/auth.h"
#include "http/router.h"
#include "http/stream.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static bool request_id_ok(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (n >= 64 || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
            return false;
    }
    return n > 0;
}

static void client_address(struct MHD_Connection *conn, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, cap, "unknown");
    if (!ci || !ci->client_addr) return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)cap);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)cap);
}

static req_t *req_new(server_t *s, struct MHD_Connection *conn, const char *url, const char *method)
{
    req_t *r = xcalloc(1, sizeof *r);
    r->srv = s;
    r->app = s->app;
    r->conn = conn;
    r->t0_ns = clock_mono_ns();
    r->route_index = -1;
    arena_init(&r->arena, 4096);
    r->method = arena_strdup(&r->arena, method);
    r->url = arena_strdup(&r->arena, url);
    buf_init(&r->body, (size_t)s->app->cfg->max_body);
    const char *rid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
    if (rid && request_id_ok(rid))
        snprintf(r->request_id, sizeof r->request_id, "%s", rid);
    else
        crypto_random_token(12, r->request_id, sizeof r->request_id);
    client_address(conn, r->client_ip, sizeof r->client_ip);
    return r;
}

static int sum_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    size_t *n = cls;
    *n += strlen(key) + (value ? strlen(value) : 0) + 4;
    return MHD_YES;
}

static void dispatch(req_t *r)
{
    server_t *s = r->srv;
    const config_t *cfg = s->app->cfg;

    if (cfg->rate_per_ip > 0 && !throttle_rate_allow(s->throttle, r->client_ip, cfg->rate_per_ip,
                                                     cfg->rate_burst, app_now(s->app))) {
        http_problem(r, 429, "rate-limited", "Too many requests",
                     "this address sends requests faster than allowed; slow down", NULL);
        http_add_header(r, "Retry-After", "1");
        return;
    }
    size_t head = 0;
    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, (MHD_KeyValueIterator)sum_header, &head);
    if (head > (size_t)cfg->max_header) {
        http_problem(r, 431, "headers-too-large", "Request headers too large",
                     arena_sprintf(&r->arena, "request headers are limited to %lld bytes",
                                   (long long)cfg->max_header),
                     NULL);
        return;
    }
    size_t path_len = strlen(r->url);
    route_result_t rr = router_match(http_routes, http_routes_count, r->method, r->url, path_len, r,
                                     &r->route_index);
    if (rr == ROUTE_NO_PATH) {
        http_problem(r, 404, "not-found", "Not found",
                     arena_sprintf(&r->arena, "nothing is served at %s", r->url), NULL);
        return;
    }
    if (rr == ROUTE_NO_METHOD) {
        char allow[128];
        router_allowed(http_routes, http_routes_count, r->url, path_len, allow, sizeof allow);
        http_problem(r, 405, "method-not-allowed", "Method not allowed",
                     arena_sprintf(&r->arena, "%s is not allowed here; use %s", r->method, allow),
                     NULL);
        http_add_header(r, "Allow", allow);
        return;
    }
    r->route = &http_routes[r->route_index];
    if (r->body_too_large) {
        http_problem(
            r, 413, "too-large", "Request body too large",
            arena_sprintf(&r->arena, "the body is limited to %lld bytes", (long long)cfg->max_body),
            NULL);
        return;
    }
    if (!auth_check(r, r->route->perm)) return;
    r->route->handler(r);
    if (!r->resp)
        http_problem(r, 500, "internal", "Internal error", "the handler gave no answer", NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    server_t *s = cls;
    req_t *r = *con_cls;
    if (!r) {
        r = req_new(s, conn, url, method);
        *con_cls = r;
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        long long n;
        if (cl && str_to_i64(str_from(cl), &n) && n > s->app->cfg->max_body) {
            /* Refuse before reading a byte of an announced oversized body. */
            r->body_too_large = true;
            http_problem(r, 413, "too-large", "Request body too large",
                         arena_sprintf(&r->arena, "the body is limited to %lld bytes",
                                       (long long)s->app->cfg->max_body),
                         NULL);
            return MHD_queue_response(conn, (unsigned)r->status, r->resp);
        }
        return MHD_YES;
    }
    if (*upload_size) {
        if (!r->body_too_large) {
            buf_append(&r->body, upload_data, *upload_size);
            if (r->body.overflow) r->body_too_large = true;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->resp) return MHD_YES; /* already answered early */
    dispatch(r);
    return MHD_queue_response(conn, (unsigned)r->status, r->resp);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    server_t *s = cls;
    req_t *r = *con_cls;
    if (!r) return;
    int64_t ns = clock_mono_ns() - r->t0_ns;
    metrics_observe(s->metrics, r->route_index, r->status, ns);
    if (log_enabled(LOG_INFO)) {
        log_line_t l;
        log_begin(&l, LOG_INFO, "http.request", r->request_id);
        log_str(&l, "method", r->method);
        log_str(&l, "path", r->url);
        log_int(&l, "status", r->status);
        log_dbl(&l, "ms", (double)ns / 1e6);
        log_str(&l, "client", r->client_ip);
        if (r->auth.ok) log_int(&l, "user_id", r->auth.actor.user_id);
        if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK) log_int(&l, "aborted", (int64_t)toe);
        log_end(&l);
    }
    if (r->resp) MHD_destroy_response(r->resp);
    buf_free(&r->body);
    arena_free(&r->arena);
    free(r);
    *con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n')) msg[--n] = '\0';
    log_msg(LOG_WARN, "http.mhd", msg);
}

int server_start(app_t *app, server_t **out, parley_err_t *err)
{
    const config_t *cfg = app->cfg;
    routes_init();
    server_t *s = xcalloc(1, sizeof *s);
    s->app = app;
    s->throttle = throttle_new();
    s->metrics = metrics_new(http_routes_count);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    /* A write holds its worker until the group commit returns, so the pool is
     * larger than the core count: concurrent writers are what fills a batch. */
    s->threads = cfg->threads > 0 ? (unsigned)cfg->threads : 8u * (unsigned)(cores > 0 ? cores : 1);

    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cfg->port)};
    if (inet_pton(AF_INET, cfg->listen, &addr.sin_addr) != 1) {
        server_stop(s);
        return parley_errf(err, PARLEY_EINVAL, "listen",
                           "listen must be an IPv4 address, not \"%s\"", cfg->listen);
    }
    /* Suspend/resume: live streams park their connections between events (stream.c). */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
                     MHD_ALLOW_SUSPEND_RESUME;
    size_t mem = (size_t)cfg->max_header * 2 + 32768;
    s->streams = stream_hub_new(app);
    s->daemon = MHD_start_daemon(
        /* The logger first: libmicrohttpd warns about any option before it. */
        flags, (uint16_t)cfg->port, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER,
        on_mhd_log, s, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_THREAD_POOL_SIZE, s->threads,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, mem, MHD_OPTION_CONNECTION_TIMEOUT, 60u,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
        MHD_OPTION_END);
    if (!s->daemon) {
        server_stop(s);
        return parley_errf(err, PARLEY_EIO, "port", "cannot listen on %s:%lld (in use?)",
                           cfg->listen, (long long)cfg->port);
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : (uint16_t)cfg->port;
    *out = s;
    return 0;
}

void server_stop(server_t *s)
{
    if (!s) return;
    stream_hub_close(s->streams); /* MHD refuses to stop with suspended connections */
    if (s->daemon) MHD_stop_daemon(s->daemon);
    stream_hub_free(s->streams);
    throttle_free(s->throttle);
    metrics_free(s->metrics);
    free(s);
}
