/*
 * stream.h - live updates: GET /api/v1/stream, server-sent events read from the
 * event log, resumable with Last-Event-ID.
 *
 * Owns the stream hub: every open stream, the per-user stream limit, and the
 * one thread that resumes suspended streams when events commit and on every
 * heartbeat. A stream never blocks an HTTP worker and no stream polls the
 * database on a timer of its own: it reads only when the hub wakes it.
 */
#ifndef PARLEY_HTTP_STREAM_H
#define PARLEY_HTTP_STREAM_H

#include "desk/app.h"
#include "http/http.h"
#include "http/router.h"

/* Concurrent streams one user may hold open (the next one is a 429). */
#define STREAM_MAX_PER_USER 10
/* Events read from the log per query while replaying. */
#define STREAM_PAGE 200

typedef struct stream_hub stream_hub_t;

/* Creates the hub, starts its thread and hooks it to the store's commits.
 * Create it before the daemon accepts connections (MHD_ALLOW_SUSPEND_RESUME
 * must be among the daemon's flags). */
stream_hub_t *stream_hub_new(app_t *app);
/* Ends every stream: no stream suspends again, every suspended one is resumed
 * (to end at once), the hub thread joins and the commit hook is removed.
 * Call before MHD_stop_daemon, which refuses suspended connections. */
void stream_hub_close(stream_hub_t *h);
/* Frees the hub; call after MHD_stop_daemon (every stream is gone by then). */
void stream_hub_free(stream_hub_t *h);

/* GET /api/v1/stream */
void h_stream(req_t *r);

/* A stream whose content comes from elsewhere (the website widget's visitor
 * streams, h_widget.c): the hub parks and wakes it like an event stream (on
 * every commit and heartbeat); the source decides what a wake-up writes. */
typedef struct {
    /* Appends what is new since its last call to out: 0, or an error (ends the stream). */
    int (*read)(void *ctx, buf_t *out);
    /* Asked on every heartbeat: false ends the stream. */
    bool (*still_allowed)(void *ctx);
    /* Frees ctx when the stream ends, or at once when it cannot open. */
    void (*free)(void *ctx);
    void *ctx;
    /* Open streams with the same key may number at most max_per_key (then 429). */
    int64_t key;
    int max_per_key;
} stream_source_t;

/* Answers r with a live stream fed by src; takes ctx in every case. */
void stream_open_source(req_t *r, const stream_source_t *src);

/* The module's routes, listed in routes.c. */
extern const route_table_t stream_route_table;

#endif
