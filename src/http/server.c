/*
 * server.c - libmicrohttpd glue: accept, read within limits, dispatch, log.
 *
 * Owns the request lifecycle: the first callback creates the req_t (arena,
 * request id, early limit checks), body chunks accumulate up to max-body,
 * the last callback runs the rate limit, the router, auth and the handler,
 * and the completion callback writes the access-log line and frees it all.
 *
 * Requests that may write (every method but GET and HEAD) and reads that can
 * take long (reports, their CSV exports, search) do not run on the
 * connection's I/O thread: a write waits for its group commit, a year's CSV
 * takes seconds, and an I/O thread of libmicrohttpd's pool serves many
 * connections, so waiting there would stall every other connection it serves
 * (libmicrohttpd's manual: no blocking in callbacks outside
 * thread-per-connection mode). The last callback suspends the connection and
 * queues the request to the work pool; a pool thread runs it (rate limit,
 * router, auth, handler) and resumes the connection; libmicrohttpd then calls
 * again and the answer is queued. Every pool thread can wait in a group
 * commit at once, so a batch gathers the writes of all connections, however
 * they are spread over the I/O threads.
 */
#include "http/server.h"

#include "core/crypto.h"
#include "core/log.h"
#include "core/mem.h"
#include "http/auth.h"
#include "http/router.h"
#include "http/stream.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
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

/* ---- the work pool ------------------------------------------------------- */

typedef struct work_pool {
    pthread_mutex_t lock;
    pthread_cond_t cond;    /* a request was queued, or closing */
    pthread_cond_t settled; /* inflight went down */
    req_t *head, *tail;     /* waiting requests, oldest first */
    unsigned inflight;      /* taken and not yet answered (on_completed) */
    unsigned entering;      /* taken, being suspended, not yet queued */
    bool closing;
    unsigned n_threads;
    pthread_t *threads;
} work_pool_t;

static void *work_worker(void *p)
{
    work_pool_t *w = p;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->head && !(w->closing && !w->entering)) pthread_cond_wait(&w->cond, &w->lock);
        req_t *r = w->head;
        if (!r) break; /* closing, and nothing left to run */
        w->head = r->next_job;
        if (!w->head) w->tail = NULL;
        pthread_mutex_unlock(&w->lock);
        dispatch(r);
        /* The answer is queued when libmicrohttpd calls on_request again. */
        MHD_resume_connection(r->conn);
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static work_pool_t *work_pool_new(unsigned n)
{
    work_pool_t *w = xcalloc(1, sizeof *w);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    pthread_cond_init(&w->settled, NULL);
    w->threads = xcalloc(n, sizeof *w->threads);
    for (unsigned i = 0; i < n; i++) {
        if (pthread_create(&w->threads[i], NULL, work_worker, w) != 0) break;
        w->n_threads++;
    }
    return w;
}

/* Queues r unless the pool cannot take it (no thread, or stopping): the
 * caller then runs it where it is. */
static bool work_pool_offer(work_pool_t *w, req_t *r)
{
    if (!w) return false;
    pthread_mutex_lock(&w->lock);
    bool ok = w->n_threads > 0 && !w->closing;
    if (ok) {
        w->inflight++;
        w->entering++; /* the threads stay until it is queued */
    }
    pthread_mutex_unlock(&w->lock);
    if (!ok) return false;
    r->offloaded = true;
    r->next_job = NULL;
    /* Suspended before a pool thread can see it (it may resume it at once),
     * and outside the pool's lock: on_completed takes that lock from inside
     * libmicrohttpd, so holding it around a libmicrohttpd call could invert. */
    MHD_suspend_connection(r->conn);
    pthread_mutex_lock(&w->lock);
    w->entering--;
    if (w->tail)
        w->tail->next_job = r;
    else
        w->head = r;
    w->tail = r;
    if (w->closing) /* threads that waited for it to queue may leave after it */
        pthread_cond_broadcast(&w->cond);
    else
        pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    return true;
}

/* The answer of an offloaded request left (or its client did). */
static void work_pool_done(work_pool_t *w)
{
    pthread_mutex_lock(&w->lock);
    if (--w->inflight == 0 && w->closing) pthread_cond_broadcast(&w->settled);
    pthread_mutex_unlock(&w->lock);
}

/* Runs what is queued, stops the threads, and gives the answers up to 10 s
 * to leave; later requests run where they arrive. */
static void work_pool_stop(work_pool_t *w)
{
    if (!w) return;
    pthread_mutex_lock(&w->lock);
    w->closing = true;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    for (unsigned i = 0; i < w->n_threads; i++) pthread_join(w->threads[i], NULL);
    pthread_mutex_lock(&w->lock);
    w->n_threads = 0;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    while (w->inflight && pthread_cond_timedwait(&w->settled, &w->lock, &until) == 0) {
    }
    pthread_mutex_unlock(&w->lock);
}

static void work_pool_free(work_pool_t *w)
{
    if (!w) return;
    work_pool_stop(w);
    free(w->threads);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    pthread_cond_destroy(&w->settled);
    free(w);
}

bool server_offloads(const char *method, const char *path)
{
    if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) return true;
    static const char reports[] = "/api/v1/reports/";
    return !strncmp(path, reports, sizeof reports - 1) || !strcmp(path, "/api/v1/search");
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
    if (r->offloaded) /* resumed: the pool ran it */
        return MHD_queue_response(conn, (unsigned)r->status, r->resp);
    if (r->resp) return MHD_YES; /* already answered early */
    if (server_offloads(method, url) && work_pool_offer(s->pool, r)) return MHD_YES;
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
    if (r->offloaded) work_pool_done(s->pool);
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
    s->pool = work_pool_new(s->threads);
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
    /* The pool first: it resumes every connection it holds, and
     * libmicrohttpd refuses to stop with suspended connections. */
    work_pool_stop(s->pool);
    if (s->daemon) MHD_stop_daemon(s->daemon);
    work_pool_free(s->pool);
    stream_hub_free(s->streams);
    throttle_free(s->throttle);
    metrics_free(s->metrics);
    free(s);
}
