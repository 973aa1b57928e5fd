/*
 * stream.c - live updates as server-sent events (text/event-stream).
 *
 * Owns the hub and every stream in it. The pattern suits libmicrohttpd's
 * internal epoll thread pool, where a callback must never wait:
 *
 *  - h_stream answers with a response from MHD_create_response_from_callback
 *    (size unknown, so chunked). Its content reader runs on the worker that
 *    serves the connection and writes every visible event after the stream's
 *    cursor, read with that worker's own store reader connection.
 *  - With nothing to write, the reader calls MHD_suspend_connection and
 *    returns 0. microhttpd.h allows a reader to return 0 only together with a
 *    suspension (otherwise the worker spins) and names the content reader as
 *    one of the two places where suspending is safe. A suspended connection
 *    holds no thread and does not time out.
 *  - The hub thread resumes the suspended streams when the store's commit hook
 *    reports new events and every `stream-heartbeat` seconds (the reader then
 *    sends ": ping" and re-checks the credentials). MHD cannot see a client
 *    leave while its connection is suspended: the next write after a wake-up
 *    is how a dead stream is found and freed.
 *
 * No lost wake-up: the reader notes the hub's commit generation before it
 * reads, and suspends (under the hub lock) only if no commit came since.
 * No double resume: `suspended` changes only under the hub lock, set together
 * with MHD_suspend_connection and cleared by whoever will resume; a connection
 * cannot be freed while suspended, so the resume may happen after unlocking.
 * Lock order: hub lock, then MHD's internal locks (suspend); MHD_resume_connection
 * is called without the hub lock, so no order can invert through MHD.
 *
 * Never writes to the store; never shows another account's events, nor a
 * `notification.*` event to anyone but the user its payload names.
 */
#include "http/stream.h"

#include "core/crypto.h"
#include "core/log.h"
#include "core/mem.h"
#include "http/server.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct stream stream_t;

struct stream {
    stream_hub_t *hub;
    struct MHD_Connection *conn;
    stream_t *prev, *next; /* hub list, under the hub lock */
    int64_t account_id, user_id;
    bool via_token;
    char cred_hash[65]; /* SHA-256 of the session or token secret */
    int64_t cursor;     /* id of the last event looked at */
    uint64_t seen_beat; /* the heartbeat last answered */
    bool suspended;     /* under the hub lock */
    bool started;
    buf_t out; /* produced, not yet handed to MHD */
    size_t out_off;
    char request_id[48];
    bool has_src; /* fed by src (stream_open_source), not the event log */
    stream_source_t src;
};

struct stream_hub {
    app_t *app;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t thread;
    bool thread_started;
    bool closing;
    uint64_t gen;  /* commits that appended events */
    uint64_t beat; /* heartbeats so far */
    stream_t *head;
    size_t count;
};

/* ---- the hub ------------------------------------------------------------- */

/* Resumes every suspended stream. Called and returns with h->lock held, but
 * drops it around the MHD calls (see the lock order above). */
static void resume_suspended(stream_hub_t *h)
{
    if (!h->count) return;
    struct MHD_Connection **conns = xmalloc(h->count * sizeof *conns);
    size_t n = 0;
    for (stream_t *s = h->head; s; s = s->next)
        if (s->suspended) {
            s->suspended = false;
            conns[n++] = s->conn;
        }
    pthread_mutex_unlock(&h->lock);
    for (size_t i = 0; i < n; i++) MHD_resume_connection(conns[i]);
    free(conns);
    pthread_mutex_lock(&h->lock);
}

static void timespec_add_s(struct timespec *t, int64_t s)
{
    t->tv_sec += (time_t)s;
}

static bool timespec_reached(const struct timespec *now, const struct timespec *t)
{
    return now->tv_sec > t->tv_sec || (now->tv_sec == t->tv_sec && now->tv_nsec >= t->tv_nsec);
}

static void *hub_main(void *arg)
{
    stream_hub_t *h = arg;
    int64_t period = h->app->cfg->stream_heartbeat > 0 ? h->app->cfg->stream_heartbeat : 15;
    struct timespec next, now;
    clock_gettime(CLOCK_MONOTONIC, &next);
    timespec_add_s(&next, period);
    pthread_mutex_lock(&h->lock);
    uint64_t woken_gen = h->gen;
    while (!h->closing) {
        if (h->gen == woken_gen) pthread_cond_timedwait(&h->cond, &h->lock, &next);
        if (h->closing) break;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (timespec_reached(&now, &next)) {
            h->beat++;
            next = now;
            timespec_add_s(&next, period);
        } else if (h->gen == woken_gen) {
            continue; /* spurious */
        }
        woken_gen = h->gen;
        resume_suspended(h);
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

/* The store's commit hook: runs on the committing thread, so it only counts
 * and signals; the hub thread does the resuming. */
static void on_commit(void *arg)
{
    stream_hub_t *h = arg;
    pthread_mutex_lock(&h->lock);
    h->gen++;
    pthread_cond_signal(&h->cond);
    pthread_mutex_unlock(&h->lock);
}

stream_hub_t *stream_hub_new(app_t *app)
{
    stream_hub_t *h = xcalloc(1, sizeof *h);
    h->app = app;
    pthread_mutex_init(&h->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&h->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&h->thread, NULL, hub_main, h) == 0)
        h->thread_started = true;
    else
        log_msg(LOG_ERROR, "stream.hub", "cannot start the stream hub thread; streams stay idle");
    store_add_commit_hook(app->store, on_commit, h);
    return h;
}

void stream_hub_close(stream_hub_t *h)
{
    if (!h) return;
    pthread_mutex_lock(&h->lock);
    bool was_closing = h->closing;
    h->closing = true;
    pthread_cond_signal(&h->cond);
    pthread_mutex_unlock(&h->lock);
    if (was_closing) return;
    if (h->thread_started) pthread_join(h->thread, NULL);
    store_remove_commit_hook(h->app->store, h);
    /* From here no reader suspends (it sees `closing` under the lock), so after
     * this every stream is live and ends at its next read. Give them a moment
     * to send their last chunk and close (a stream's response carries
     * Connection: close, so a finished stream frees itself); a client that
     * does not read is cut by the daemon's stop instead. */
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    timespec_add_s(&deadline, 2);
    pthread_mutex_lock(&h->lock);
    resume_suspended(h);
    while (h->count > 0)
        if (pthread_cond_timedwait(&h->cond, &h->lock, &deadline) != 0) break;
    pthread_mutex_unlock(&h->lock);
}

void stream_hub_free(stream_hub_t *h)
{
    if (!h) return;
    stream_hub_close(h);
    if (h->count) {
        /* MHD_stop_daemon frees every response; a stream left here is a bug. */
        log_msg(LOG_ERROR, "stream.hub", "streams outlived the HTTP daemon");
        abort();
    }
    pthread_cond_destroy(&h->cond);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

typedef enum { ADD_OK, ADD_CLOSING, ADD_LIMIT } add_result_t;

static add_result_t hub_add(stream_hub_t *h, stream_t *s)
{
    add_result_t res = ADD_OK;
    pthread_mutex_lock(&h->lock);
    int mine = 0;
    for (stream_t *o = h->head; o; o = o->next)
        if (o->has_src == s->has_src &&
            (s->has_src ? o->src.key == s->src.key
                        : o->user_id == s->user_id && o->account_id == s->account_id))
            mine++;
    if (h->closing)
        res = ADD_CLOSING;
    else if (mine >= (s->has_src ? s->src.max_per_key : STREAM_MAX_PER_USER))
        res = ADD_LIMIT;
    else {
        s->hub = h;
        s->seen_beat = h->beat;
        s->next = h->head;
        if (h->head) h->head->prev = s;
        h->head = s;
        h->count++;
    }
    pthread_mutex_unlock(&h->lock);
    return res;
}

static void hub_remove(stream_hub_t *h, stream_t *s)
{
    pthread_mutex_lock(&h->lock);
    /* A suspended connection is never freed, so a stream leaving is live. */
    if (s->suspended) abort();
    if (s->prev)
        s->prev->next = s->next;
    else
        h->head = s->next;
    if (s->next) s->next->prev = s->prev;
    h->count--;
    pthread_cond_broadcast(&h->cond);
    pthread_mutex_unlock(&h->lock);
}

/* ---- one stream ---------------------------------------------------------- */

/* Account scoping is the query's; this adds the personal events rule (only
 * notification.* payloads are parsed for it). */
static bool visible(const stream_t *s, const event_row_t *e)
{
    if (strncmp(e->type, "notification.", 13) != 0) return true;
    json_t *payload = json_loads(e->payload ? e->payload : "{}", 0, NULL);
    json_t *uid = json_object_get(payload, "user_id");
    bool mine = json_is_integer(uid) && json_integer_value(uid) == s->user_id;
    json_decref(payload);
    return mine;
}

static void put_str(buf_t *b, const char *v)
{
    json_escape_to(b, v ? v : "", v ? strlen(v) : 0);
}

/* The object GET /api/v1/events gives for e (h_events.c: keep in step),
 * written the way json_dump_to would (compact, keys sorted) without building
 * it: the stored payload is already compact JSON with sorted keys, spliced
 * in as it is. With 50 agents streaming, parsing and dumping each event per
 * stream was the stream's whole cost (14% of a busy server with one). */
static void put_event(stream_t *s, const event_row_t *e)
{
    buf_t *b = &s->out;
    buf_printf(b, "id: %lld\nevent: ", (long long)e->id);
    for (const char *p = e->type; *p; p++)
        if (*p != '\n' && *p != '\r') buf_putc(b, *p); /* a newline would end the field */
    char at[32];
    clock_format_iso(e->at, at);
    buf_printf(b, "\ndata: {\"actor\":{\"id\":%lld,\"kind\":", (long long)e->actor_id);
    put_str(b, e->actor_kind);
    buf_puts(b, "},\"at\":");
    put_str(b, at);
    buf_puts(b, ",\"hash\":");
    put_str(b, e->hash);
    buf_printf(b, ",\"id\":%lld,\"payload\":", (long long)e->id);
    const char *p = e->payload && *e->payload ? e->payload : "{}";
    if (strpbrk(p, "\r\n")) { /* never written so; a data line must stay one line */
        json_t *v = json_loads(p, 0, NULL);
        if (v)
            json_dump_to(b, v);
        else
            buf_puts(b, "{}");
        json_decref(v);
    } else {
        buf_puts(b, p);
    }
    buf_printf(b, ",\"subject\":{\"id\":%lld,\"kind\":", (long long)e->subject_id);
    put_str(b, e->subject_kind);
    buf_puts(b, "},\"type\":");
    put_str(b, e->type);
    buf_puts(b, "}\n\n");
}

/* Appends the visible events of one page after the cursor; *more when the
 * page was full. */
static int read_events(stream_t *s, bool *more)
{
    store_t *st = s->hub->app->store;
    store_conn_t *c = st->ops->reader(st);
    *more = false;
    if (!c) return PARLEY_EIO;
    arena_t a;
    arena_init(&a, 16384);
    event_filter_t f = {.account_id = s->account_id, .after_id = s->cursor, .limit = STREAM_PAGE};
    event_row_t *rows;
    int n;
    int rc = st->ops->event_list(c, &f, &a, &rows, &n);
    for (int i = 0; rc == 0 && i < n; i++) {
        if (visible(s, &rows[i])) put_event(s, &rows[i]);
        s->cursor = rows[i].id;
    }
    if (rc == 0) *more = n == STREAM_PAGE;
    arena_free(&a);
    return rc;
}

/* Whether the identity that opened the stream still holds: the user active,
 * the session alive (same limits as auth.c) or the token unrevoked. */
static bool still_allowed(stream_t *s)
{
    app_t *app = s->hub->app;
    store_t *st = app->store;
    store_conn_t *c = st->ops->reader(st);
    if (!c) return true; /* a passing store fault does not end the stream */
    arena_t a;
    arena_init(&a, 4096);
    bool ok = false;
    user_row_t u;
    if (st->ops->user_get(c, s->account_id, s->user_id, &a, &u) != 0 ||
        strcmp(u.status, "active") != 0)
        goto done;
    if (s->via_token) {
        token_row_t t;
        ok = st->ops->token_get_by_hash(c, s->cred_hash, &a, &t) == 0 && t.revoked_at == 0;
    } else {
        session_row_t ss;
        int64_t now = app_now(app);
        ok = st->ops->session_get(c, s->cred_hash, &a, &ss) == 0 &&
             now - ss.last_seen_at <= app->cfg->session_idle * 1000 &&
             now - ss.created_at <= app->cfg->session_max * 1000;
    }
done:
    arena_free(&a);
    if (!ok) {
        log_line_t l;
        log_begin(&l, LOG_INFO, "stream.ended", s->request_id);
        log_int(&l, "user_id", s->user_id);
        log_str(&l, "reason", "credentials no longer valid");
        log_end(&l);
    }
    return ok;
}

enum { PRODUCED = 1 };

/* Fills s->out, or suspends the connection (0), or ends the stream (MHD's
 * end codes). */
static ssize_t produce(stream_t *s)
{
    stream_hub_t *h = s->hub;
    for (;;) {
        pthread_mutex_lock(&h->lock);
        bool closing = h->closing;
        uint64_t gen = h->gen, beat = h->beat;
        pthread_mutex_unlock(&h->lock);
        if (closing) return MHD_CONTENT_READER_END_OF_STREAM;
        if (!s->started) {
            /* Sent at once so the client sees the stream open; sets EventSource's delay. */
            s->started = true;
            buf_puts(&s->out, "retry: 3000\n\n");
        }
        if (beat != s->seen_beat) {
            s->seen_beat = beat;
            if (!(s->has_src ? s->src.still_allowed(s->src.ctx) : still_allowed(s)))
                return MHD_CONTENT_READER_END_OF_STREAM;
            buf_puts(&s->out, ": ping\n\n");
        }
        bool more = false;
        if (s->has_src ? s->src.read(s->src.ctx, &s->out) != 0 : read_events(s, &more) != 0)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        if (s->out.len) return PRODUCED;
        if (more) continue; /* a full page of events this user may not see */
        pthread_mutex_lock(&h->lock);
        if (!h->closing && h->gen == gen && h->beat == s->seen_beat) {
            s->suspended = true;
            MHD_suspend_connection(s->conn);
            pthread_mutex_unlock(&h->lock);
            return 0;
        }
        pthread_mutex_unlock(&h->lock);
    }
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    stream_t *s = cls;
    (void)pos;
    if (s->out_off == s->out.len) {
        buf_reset(&s->out);
        s->out_off = 0;
        ssize_t rc = produce(s);
        if (rc != PRODUCED) return rc;
    }
    size_t n = s->out.len - s->out_off;
    if (n > max) n = max;
    memcpy(buf, s->out.ptr + s->out_off, n);
    s->out_off += n;
    return (ssize_t)n;
}

static void stream_destroy(stream_t *s)
{
    if (s->has_src && s->src.free) s->src.free(s->src.ctx);
    buf_free(&s->out);
    free(s);
}

/* MHD frees the response when the connection is done (client gone, stream
 * ended, or the daemon stopping). */
static void stream_free(void *cls)
{
    stream_t *s = cls;
    hub_remove(s->hub, s);
    stream_destroy(s);
}

/* ---- the handler --------------------------------------------------------- */

/* Last-Event-ID (header, or ?last_event_id= for EventSource polyfills), else
 * the newest event so that only new ones follow. */
static bool start_cursor(req_t *r, int64_t *cursor)
{
    const char *v = http_header(r, "Last-Event-ID");
    if (!v || !*v) v = http_query(r, "last_event_id");
    if (v && *v) {
        long long n;
        if (!str_to_i64(str_trim(str_from(v)), &n) || n < 0) {
            json_t *e = json_pack("[{s:s, s:s}]", "pointer", "/last_event_id", "detail",
                                  "expected the id of an event, a non-negative integer");
            http_problem(r, 400, "bad-query", "Invalid Last-Event-ID",
                         "Last-Event-ID must be the id of an event", e);
            return false;
        }
        *cursor = n;
        return true;
    }
    store_t *st = r->app->store;
    store_conn_t *c = st->ops->reader(st);
    if (!c || st->ops->event_last_id(c, cursor) != 0) {
        http_problem(r, 500, "internal", "Internal error", "the event log could not be read", NULL);
        return false;
    }
    return true;
}

/* The hash of the credential the request came with, to re-check it later. */
static void remember_credential(req_t *r, stream_t *s)
{
    s->via_token = r->auth.via && !strcmp(r->auth.via, "token");
    if (!s->via_token) {
        memcpy(s->cred_hash, r->auth.session_hash, sizeof s->cred_hash);
        return;
    }
    const char *authz = http_header(r, "Authorization");
    const char *secret = authz && strlen(authz) > 7 ? authz + 7 : "";
    crypto_sha256_hex(secret, strlen(secret), s->cred_hash);
}

/* Adds s to the hub and answers r with its response (or the problem). */
static void open_stream(req_t *r, stream_t *s, int limit)
{
    stream_hub_t *h = r->srv->streams;
    add_result_t added = h ? hub_add(h, s) : ADD_CLOSING;
    if (added != ADD_OK) {
        stream_destroy(s);
        if (added == ADD_LIMIT) {
            http_problem(r, 429, "too-many-streams", "Too many streams",
                         arena_sprintf(&r->arena,
                                       "at most %d live streams may be open at once; close one "
                                       "first",
                                       limit),
                         NULL);
            http_add_header(r, "Retry-After", "5");
        } else {
            http_problem(r, 503, "unavailable", "Shutting down",
                         "the server is stopping; reconnect in a moment", NULL);
            http_add_header(r, "Retry-After", "3");
        }
        return;
    }
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_read, s, stream_free);
    if (!resp) {
        hub_remove(h, s);
        stream_destroy(s);
        http_problem(r, 500, "internal", "Internal error", "the stream could not be opened", NULL);
        return;
    }
    r->status = 200;
    r->resp = resp;
    MHD_add_response_header(resp, "Content-Type", "text/event-stream");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    /* A stream never shares its connection: when it ends, MHD closes it, which
     * frees the stream (and lets stream_hub_close see every stream gone). */
    MHD_add_response_header(resp, "Connection", "close");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no"); /* proxies: do not buffer */
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Request-Id", r->request_id);
}

void h_stream(req_t *r)
{
    int64_t cursor;
    if (!start_cursor(r, &cursor)) return;
    stream_t *s = xcalloc(1, sizeof *s);
    s->conn = r->conn;
    s->account_id = r->auth.actor.account_id;
    s->user_id = r->auth.actor.user_id;
    s->cursor = cursor;
    buf_init(&s->out, 0);
    snprintf(s->request_id, sizeof s->request_id, "%s", r->request_id);
    remember_credential(r, s);
    open_stream(r, s, STREAM_MAX_PER_USER);
}

void stream_open_source(req_t *r, const stream_source_t *src)
{
    stream_t *s = xcalloc(1, sizeof *s);
    s->conn = r->conn;
    s->has_src = true;
    s->src = *src;
    buf_init(&s->out, 0);
    snprintf(s->request_id, sizeof s->request_id, "%s", r->request_id);
    open_stream(r, s, src->max_per_key);
}

static const route_t routes[] = {
    {"GET", "/api/v1/stream", PERM_READ, h_stream},
};
const route_table_t stream_route_table = ROUTE_TABLE(routes);
