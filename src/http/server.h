/*
 * server.h - the HTTP server: libmicrohttpd's epoll thread pool, limits,
 * dispatch through the route table, the access log.
 */
#ifndef PARLEY_HTTP_SERVER_H
#define PARLEY_HTTP_SERVER_H

#include <stdint.h>

#include "core/error.h"
#include "desk/app.h"
#include "http/metrics.h"
#include "http/throttle.h"

typedef struct server {
    app_t *app;
    struct MHD_Daemon *daemon;
    throttle_t *throttle;
    metrics_t *metrics;
    struct stream_hub *streams; /* http/stream.h: the live event streams */
    uint16_t port;
    unsigned threads;
    struct work_pool *pool; /* runs writes and long reads (server.c) */
} server_t;

/* Whether a request runs on the work pool rather than its connection's I/O
 * thread: every write (any method but GET and HEAD), and the reads that can
 * take long (reports and their CSV exports, search). */
bool server_offloads(const char *method, const char *path);

/* Starts listening on cfg->listen:cfg->port with cfg->threads workers. */
int server_start(app_t *app, server_t **out, parley_err_t *err);
/* Stops accepting, finishes in-flight requests, frees everything. */
void server_stop(server_t *s);

#endif
