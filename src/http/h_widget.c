/*
 * h_widget.c - the website chat widget's public routes: the script
 * (GET /widget.js), a visitor's messages and live replies
 * (/widget/{inbox_id}/...), and the console's demo page.
 *
 * Owns the visitor's side of the security model. Every /widget route
 * needs the inbox's widget token (X-Parley-Widget-Token or ?token=) and, when
 * the browser names an Origin, one of the inbox's allowed_origins (or Parley's
 * own); only such an Origin is echoed in Access-Control-Allow-Origin. The
 * widget token is public (it sits in the brand's page), so it only says
 * "this inbox takes chats from this site": reading a chat needs the visitor's
 * own secret, the visitor token handed out once with the first message and
 * stored hashed (store_widget.h), or for a verified customer the identity
 * HMAC the brand's site computes. A visitor sees their own messages and our
 * replies, never notes, never another visitor's data. Never writes to the
 * desk except through desk_ingest.
 */
#include "http/handlers.h"
#include "http/router.h"
#include "http/server.h"
#include "http/stream.h"

#include "channels/web.h"
#include "core/blob.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/mem.h"
#include "desk/hours.h"
#include "desk/inboxes.h"
#include "desk/ingest.h"
#include "store/store_widget.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

extern const parley_blob_t parley_widget[]; /* web/widget.js, web/widget-demo.html */

#define WIDGET_PAGE                100 /* messages per GET */
#define WIDGET_STREAMS_PER_VISITOR 5
#define WIDGET_MAX_CONVERSATIONS   50 /* a visitor's conversations watched for typing */
#define VISITOR_TOKEN_BYTES        32

typedef struct {
    inbox_row_t in;
    json_t *settings;
    const char *origin; /* the request's Origin when it may read the answer */
} widget_t;

/* A visitor proven by their token or identity hash. */
typedef struct {
    const char *key; /* web:<id> or web:verified:<id> */
    bool verified;
    bool via_token;
    char token_hash[65];
} visitor_t;

static void free_json(void *p)
{
    json_decref(p);
}

static void rejected(req_t *r, const widget_t *w, int status, const char *slug, const char *title,
                     const char *reason)
{
    metrics_count(r->srv->metrics, "widget_rejected");
    log_line_t l;
    log_begin(&l, LOG_INFO, "widget.rejected", r->request_id);
    log_int(&l, "inbox_id", w->in.id);
    log_int(&l, "status", status);
    log_str(&l, "reason", reason);
    log_str(&l, "client", r->client_ip);
    log_end(&l);
    json_t *errors = NULL;
    if (!strcmp(slug, "identity-refused"))
        errors = json_pack("[{s:s, s:s}]", "pointer", "/identity_hash", "detail", reason);
    http_problem(r, status, slug, title, reason, errors);
}

/* ---- the checks every /widget route passes ------------------------------- */

static bool open_inbox(req_t *r, widget_t *w)
{
    int64_t id;
    if (!http_param_id(r, "inbox_id", &id)) return false;
    store_t *st = r->app->store;
    if (st->ops->desk->inbox_get_any(st->ops->reader(st), id, &r->arena, &w->in) ||
        strcmp(w->in.channel, "web") != 0 || !(w->settings = inbox_settings(r->app, &w->in))) {
        http_problem(r, 404, "not-found", "Not found", "no website chat inbox at this address",
                     NULL);
        return false;
    }
    arena_defer(&r->arena, free_json, w->settings);
    return true;
}

/* Parley's own pages (the demo) may always talk to it: public-url's origin,
 * or the scheme and Host of this very request. */
static bool own_origin(req_t *r, const char *origin)
{
    const char *pub = r->app->cfg->public_url;
    size_t n = strlen(origin);
    if (!strncasecmp(pub, origin, n) && (pub[n] == '\0' || pub[n] == '/')) return true;
    const char *host = http_header(r, "Host");
    const char *o = strstr(origin, "://");
    return host && o && !strcasecmp(o + 3, host);
}

static bool check_origin(req_t *r, widget_t *w)
{
    const char *origin = http_header(r, "Origin");
    if (!origin) return true; /* not a cross-origin browser request: CORS has nothing to say */
    if (web_origin_allowed(w->settings, origin) || own_origin(r, origin)) {
        w->origin = origin;
        return true;
    }
    rejected(r, w, 403, "origin-not-allowed", "Origin not allowed",
             arena_sprintf(&r->arena,
                           "this inbox's widget is not allowed on %.200s; add the "
                           "origin to the inbox's allowed_origins",
                           origin));
    return false;
}

static bool check_token(req_t *r, widget_t *w)
{
    const char *token = http_header(r, "X-Parley-Widget-Token");
    if (!token) token = http_query(r, "token");
    if (web_token_ok(w->settings, token)) return true;
    rejected(r, w, 401, "bad-widget-token", "Widget token refused",
             token ? "the widget token does not match this inbox"
                   : "send the inbox's widget token as X-Parley-Widget-Token or ?token=");
    return false;
}

/* Lets the allowed origin read whatever answer the request got. */
static void cors(req_t *r, const widget_t *w)
{
    if (!r->resp) return;
    http_add_header(r, "Vary", "Origin");
    if (w->origin) http_add_header(r, "Access-Control-Allow-Origin", w->origin);
}

static void run(req_t *r, void (*fn)(req_t *r, widget_t *w), bool token)
{
    widget_t w = {0};
    if (open_inbox(r, &w) && check_origin(r, &w) && (!token || check_token(r, &w))) fn(r, &w);
    cors(r, &w);
}

/* ---- visitors ------------------------------------------------------------ */

static const char *visitor_token_given(req_t *r, const char *in_body)
{
    const char *t = http_header(r, "X-Parley-Visitor-Token");
    if (!t) t = http_query(r, "visitor_token");
    return t ? t : in_body;
}

/* Whether token hashes to row's token_hash (constant time). */
static bool token_matches(const widget_visitor_row_t *row, const char *token, char hash[65])
{
    crypto_sha256_hex(token, strlen(token), hash);
    return crypto_equal(hash, 64, row->token_hash, strlen(row->token_hash));
}

static void bad_query(req_t *r, const char *name, const char *detail)
{
    json_t *e = json_pack("[{s:s, s:s}]", "pointer", arena_sprintf(&r->arena, "/%s", name),
                          "detail", detail);
    http_problem(r, 400, "bad-query", "Invalid query parameter", detail, e);
}

/* Who is reading: ?visitor_id= with the visitor token (header or
 * ?visitor_token=), or a valid ?identity_hash= for a verified customer. */
static bool visitor_auth(req_t *r, widget_t *w, visitor_t *v)
{
    memset(v, 0, sizeof *v);
    const char *vid = http_query(r, "visitor_id");
    if (!web_id_ok(vid, WEB_MIN_VISITOR)) {
        bad_query(r, "visitor_id",
                  "visitor_id must be 8 to 128 characters of A-Z a-z 0-9 . _ @ + -");
        return false;
    }
    const char *hash = http_query(r, "identity_hash");
    parley_err_t err = {0};
    if (hash) {
        if (web_identity(w->settings, vid, hash, &v->verified, &err)) {
            rejected(r, w, 403, "identity-refused", "Identity not verified", err.msg);
            return false;
        }
        v->key = web_visitor_key(&r->arena, vid, true);
        return true;
    }
    const char *token = visitor_token_given(r, NULL);
    if (!token) {
        rejected(r, w, 401, "visitor-token", "Visitor token required",
                 "send the visitor_token you received with your first message");
        return false;
    }
    store_t *st = r->app->store;
    for (int verified = 0; verified < 2; verified++) {
        const char *key = web_visitor_key(&r->arena, vid, verified);
        widget_visitor_row_t row;
        if (st->ops->widget->visitor_get(st->ops->reader(st), w->in.id, key, &r->arena, &row) ==
                0 &&
            token_matches(&row, token, v->token_hash)) {
            v->key = key;
            v->verified = verified;
            v->via_token = true;
            return true;
        }
    }
    rejected(r, w, 401, "visitor-token", "Visitor token refused",
             "the visitor token does not belong to this visitor");
    return false;
}

typedef struct {
    const store_widget_ops_t *ops;
    widget_visitor_row_t row;
    int64_t id;
} visitor_write_t;

static int visitor_create_tx(store_conn_t *c, void *p)
{
    visitor_write_t *x = p;
    return x->ops->visitor_create(c, &x->row, &x->id);
}

static int visitor_delete_tx(store_conn_t *c, void *p)
{
    visitor_write_t *x = p;
    return x->ops->visitor_delete(c, x->id);
}

/* The visitor writing m: an existing one proves it with the visitor token
 * (or, verified, with the identity hash); a new one is created here and its
 * token returned once in *new_token. */
static bool visitor_for_post(req_t *r, widget_t *w, const web_message_t *m, visitor_t *v,
                             char *new_token, size_t cap, int64_t *created_id)
{
    memset(v, 0, sizeof *v);
    *created_id = 0;
    new_token[0] = '\0';
    parley_err_t err = {0};
    if (web_identity(w->settings, m->visitor_id, m->identity_hash, &v->verified, &err)) {
        rejected(r, w, 403, "identity-refused", "Identity not verified", err.msg);
        return false;
    }
    v->key = web_visitor_key(&r->arena, m->visitor_id, v->verified);
    store_t *st = r->app->store;
    const store_widget_ops_t *ops = st->ops->widget;
    widget_visitor_row_t row;
    const char *token = visitor_token_given(r, m->visitor_token);
    int rc = ops->visitor_get(st->ops->reader(st), w->in.id, v->key, &r->arena, &row);
    if (rc == 0) {
        if (v->verified) return true; /* the identity hash is the credential */
        if (token && token_matches(&row, token, v->token_hash)) {
            v->via_token = true;
            return true;
        }
        rejected(r, w, 401, "visitor-token", "Visitor token refused",
                 token ? "the visitor token does not belong to this visitor"
                       : "this visitor already exists: send its visitor_token");
        return false;
    }
    if (rc != PARLEY_ENOENT) {
        http_problem(r, 500, "internal", "Internal error", "the visitor could not be read", NULL);
        return false;
    }
    crypto_random_token(VISITOR_TOKEN_BYTES, new_token, cap);
    visitor_write_t x = {.ops = ops,
                         .row = {.account_id = w->in.account_id,
                                 .inbox_id = w->in.id,
                                 .visitor_key = v->key,
                                 .verified = v->verified,
                                 .created_at = app_now(r->app)}};
    crypto_sha256_hex(new_token, strlen(new_token), v->token_hash);
    x.row.token_hash = v->token_hash;
    rc = st->ops->write(st, visitor_create_tx, &x);
    if (rc == PARLEY_EEXIST) {
        /* Another request created this visitor a moment ago; its token is not ours. */
        rejected(r, w, 401, "visitor-token", "Visitor token refused",
                 "this visitor already exists: send its visitor_token");
        return false;
    }
    if (rc) {
        http_problem(r, 500, "internal", "Internal error", "the visitor could not be stored", NULL);
        return false;
    }
    *created_id = x.id;
    v->via_token = true;
    return true;
}

/* ---- what a visitor sees -------------------------------------------------- */

/* The first word of an agent's name: enough for "Ann replied", no more. */
static json_t *first_name(const char *name)
{
    if (!name || !*name) return json_null();
    size_t n = strcspn(name, " \t");
    return json_stringn(name, n);
}

static json_t *visitor_message_json(const widget_message_row_t *m)
{
    char at[32];
    clock_format_iso(m->created_at, at);
    const char *from = !strcmp(m->direction, "in")       ? "visitor"
                       : !strcmp(m->author_kind, "user") ? "agent"
                       : !strcmp(m->author_kind, "bot")  ? "bot"
                                                         : "system";
    json_t *att = json_loads(m->attachments ? m->attachments : "[]", 0, NULL);
    return json_pack("{s:I, s:s, s:o, s:s, s:o, s:s}", "id", (json_int_t)m->id, "from", from,
                     "author_name",
                     !strcmp(from, "agent") ? first_name(m->author_name) : json_null(), "body",
                     m->body, "attachments", att ? att : json_array(), "created_at", at);
}

static bool cursor_param(req_t *r, const char *v, const char *name, int64_t *out)
{
    *out = 0;
    if (!v || !*v) return true;
    long long n;
    if (!str_to_i64(str_trim(str_from(v)), &n) || n < 0) {
        bad_query(
            r, name,
            arena_sprintf(&r->arena, "%s must be a message id (a non-negative integer)", name));
        return false;
    }
    *out = n;
    return true;
}

/* ---- POST /widget/{inbox_id}/messages ------------------------------------ */

static void post_message(req_t *r, widget_t *w)
{
    json_t *body = http_body_json(r);
    if (!body) return;
    web_message_t m;
    parley_err_t err = {0};
    if (web_parse_message(body, &m, &err)) {
        http_problem_err(r, &err);
        return;
    }
    visitor_t v;
    char token[64];
    int64_t created;
    if (!visitor_for_post(r, w, &m, &v, token, sizeof token, &created)) return;
    ch_item_t it;
    web_item(&m, v.key, v.verified, &r->arena, &it);
    ingest_result_t res;
    if (desk_ingest(r->app, &w->in, &it, &res, &err)) {
        if (created) {
            /* The token never reached the visitor: forget the visitor, so a retry starts over. */
            visitor_write_t x = {.ops = r->app->store->ops->widget, .id = created};
            r->app->store->ops->write(r->app->store, visitor_delete_tx, &x);
        }
        http_problem_err(r, &err);
        return;
    }
    json_t *out = json_pack("{s:I, s:I, s:b, s:b}", "message_id", (json_int_t)res.message_id,
                            "conversation_id", (json_int_t)res.conversation_id, "duplicate",
                            res.duplicate, "verified", v.verified);
    if (created) json_object_set_new(out, "visitor_token", json_string(token));
    http_reply_json(r, res.duplicate ? 200 : 201, out);
}

/* ---- GET /widget/{inbox_id}/messages ------------------------------------- */

static void get_messages(req_t *r, widget_t *w)
{
    visitor_t v;
    int64_t after;
    if (!visitor_auth(r, w, &v) || !cursor_param(r, http_query(r, "after"), "after", &after))
        return;
    store_t *st = r->app->store;
    widget_message_row_t *rows;
    int n;
    const char *prefix = arena_sprintf(&r->arena, "%s:", v.key);
    if (st->ops->widget->visitor_messages(st->ops->reader(st), w->in.id, prefix, after,
                                          WIDGET_PAGE + 1, &r->arena, &rows, &n)) {
        http_problem(r, 500, "internal", "Internal error", "messages could not be read", NULL);
        return;
    }
    json_t *data = json_array();
    int shown = n > WIDGET_PAGE ? WIDGET_PAGE : n;
    for (int i = 0; i < shown; i++) json_array_append_new(data, visitor_message_json(&rows[i]));
    json_t *next =
        n > WIDGET_PAGE ? json_sprintf("%lld", (long long)rows[shown - 1].id) : json_null();
    http_reply_json(
        r, 200, json_pack("{s:o, s:o, s:b}", "data", data, "next", next, "verified", v.verified));
}

/* ---- GET /widget/{inbox_id}/stream --------------------------------------- */

/* One visitor's live stream (a stream.c source): wakes with the hub, writes
 * the visitor's new messages and the agents' typing in their conversations. */
typedef struct {
    app_t *app;
    int64_t account_id, inbox_id;
    char *key, *prefix;
    bool via_token;
    char token_hash[65];
    int64_t msg_cursor, event_cursor;
} vstream_t;

static void vstream_free(void *p)
{
    vstream_t *s = p;
    free(s->key);
    free(s->prefix);
    free(s);
}

static void put_message(buf_t *out, const widget_message_row_t *m)
{
    buf_printf(out, "id: %lld\nevent: message\ndata: ", (long long)m->id);
    json_t *v = visitor_message_json(m);
    json_dump_to(out, v); /* compact: one line */
    json_decref(v);
    buf_puts(out, "\n\n");
}

/* Agents' presence (presence.typing / .viewing / .left events) in the
 * visitor's conversations since the last look. */
static int read_presence(vstream_t *s, store_t *st, store_conn_t *c, arena_t *a, buf_t *out)
{
    int64_t *convs;
    int nc;
    int rc = st->ops->widget->visitor_conversations(c, s->inbox_id, s->prefix,
                                                    WIDGET_MAX_CONVERSATIONS, a, &convs, &nc);
    for (int more = 1; rc == 0 && more;) {
        event_filter_t f = {.account_id = s->account_id,
                            .type = "presence.",
                            .subject_kind = "conversation",
                            .after_id = s->event_cursor,
                            .limit = 200};
        event_row_t *rows;
        int n;
        if ((rc = st->ops->event_list(c, &f, a, &rows, &n))) break;
        for (int i = 0; i < n; i++) {
            s->event_cursor = rows[i].id;
            bool mine = false;
            for (int k = 0; k < nc && !mine; k++) mine = convs[k] == rows[i].subject_id;
            const char *state = rows[i].type + 9;
            if (!mine || strspn(state, "abcdefghijklmnopqrstuvwxyz") != strlen(state)) continue;
            buf_printf(out, "event: typing\ndata: {\"state\":\"%s\"}\n\n",
                       !strcmp(state, "typing") ? "typing" : "stopped");
        }
        more = n == 200;
    }
    return rc;
}

static int vstream_read(void *p, buf_t *out)
{
    vstream_t *s = p;
    store_t *st = s->app->store;
    store_conn_t *c = st->ops->reader(st);
    if (!c) return PARLEY_EIO;
    arena_t a;
    arena_init(&a, 8192);
    widget_message_row_t *rows;
    int n;
    int rc = st->ops->widget->visitor_messages(c, s->inbox_id, s->prefix, s->msg_cursor,
                                               WIDGET_PAGE, &a, &rows, &n);
    for (int i = 0; rc == 0 && i < n; i++) {
        put_message(out, &rows[i]);
        s->msg_cursor = rows[i].id;
    }
    if (rc == 0) rc = read_presence(s, st, c, &a, out);
    arena_free(&a);
    return rc;
}

/* The inbox still a web inbox, and a token-holding visitor's token unchanged. */
static bool vstream_allowed(void *p)
{
    vstream_t *s = p;
    store_t *st = s->app->store;
    store_conn_t *c = st->ops->reader(st);
    if (!c) return true; /* a passing store fault does not end the stream */
    arena_t a;
    arena_init(&a, 2048);
    inbox_row_t in;
    widget_visitor_row_t row;
    bool ok = st->ops->desk->inbox_get_any(c, s->inbox_id, &a, &in) == 0 &&
              !strcmp(in.channel, "web") &&
              (!s->via_token ||
               (st->ops->widget->visitor_get(c, s->inbox_id, s->key, &a, &row) == 0 &&
                crypto_equal(row.token_hash, strlen(row.token_hash), s->token_hash, 64)));
    arena_free(&a);
    return ok;
}

static int64_t stream_key(int64_t inbox_id, const char *key)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)inbox_id; /* FNV-1a 64 */
    for (const char *p = key; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return (int64_t)(h >> 1);
}

static void get_stream(req_t *r, widget_t *w)
{
    visitor_t v;
    int64_t after;
    if (!visitor_auth(r, w, &v)) return;
    const char *from = http_header(r, "Last-Event-ID");
    if (!from || !*from) from = http_query(r, "after");
    if (!cursor_param(r, from, "after", &after)) return;
    store_t *st = r->app->store;
    int64_t last_event = 0;
    if (st->ops->event_last_id(st->ops->reader(st), &last_event)) {
        http_problem(r, 500, "internal", "Internal error", "the event log could not be read", NULL);
        return;
    }
    vstream_t *s = xcalloc(1, sizeof *s);
    s->app = r->app;
    s->account_id = w->in.account_id;
    s->inbox_id = w->in.id;
    s->key = xstrdup(v.key);
    s->prefix = xstrdup(arena_sprintf(&r->arena, "%s:", v.key));
    s->via_token = v.via_token;
    memcpy(s->token_hash, v.token_hash, sizeof s->token_hash);
    s->msg_cursor = after;
    s->event_cursor = last_event; /* presence is live only: no replay */
    stream_source_t src = {.read = vstream_read,
                           .still_allowed = vstream_allowed,
                           .free = vstream_free,
                           .ctx = s,
                           .key = stream_key(w->in.id, v.key),
                           .max_per_key = WIDGET_STREAMS_PER_VISITOR};
    stream_open_source(r, &src);
}

/* ---- GET /widget/{inbox_id}/config --------------------------------------- */

static void get_config(req_t *r, widget_t *w)
{
    const char *greeting = json_string_value(json_object_get(w->settings, "greeting"));
    const char *color = json_string_value(json_object_get(w->settings, "color"));
    json_t *hours = NULL; /* the inbox's published service hours, when it has any */
    if (hours_service_json(r->app, w->in.id, &hours)) hours = NULL;
    http_reply_json(r, 200,
                    json_pack("{s:I, s:s, s:s?, s:s?, s:b, s:o}", "inbox_id", (json_int_t)w->in.id,
                              "name", w->in.name, "greeting", greeting, "color", color, "identity",
                              json_object_get(w->settings, "identity_secret") != NULL,
                              "service_hours", hours ? hours : json_null()));
}

/* ---- OPTIONS (CORS preflight) -------------------------------------------- */

static void preflight(req_t *r, widget_t *w)
{
    if (!w->origin) {
        http_problem(r, 400, "not-preflight", "Not a CORS preflight",
                     "a preflight request names its Origin", NULL);
        return;
    }
    http_reply_empty(r);
    http_add_header(r, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    http_add_header(r, "Access-Control-Allow-Headers",
                    "Content-Type, X-Parley-Widget-Token, X-Parley-Visitor-Token, Last-Event-ID");
    http_add_header(r, "Access-Control-Max-Age", "600");
}

/* ---- the route handlers -------------------------------------------------- */

static void h_post_message(req_t *r)
{
    run(r, post_message, true);
}

static void h_get_messages(req_t *r)
{
    run(r, get_messages, true);
}

static void h_stream_visitor(req_t *r)
{
    run(r, get_stream, true);
}

static void h_config(req_t *r)
{
    run(r, get_config, true);
}

static void h_preflight(req_t *r)
{
    run(r, preflight, false);
}

static void serve_blob(req_t *r, const char *name, const char **body, size_t *len)
{
    const parley_blob_t *b = blob_find(parley_widget, name);
    *body = b ? b->data : NULL;
    *len = b ? b->len : 0;
    if (!b) http_problem(r, 404, "not-found", "Not found", "the widget is not built in", NULL);
}

/* GET /widget.js: any site may load it (a classic script needs no CORS). */
static void h_script(req_t *r)
{
    const char *body;
    size_t len;
    serve_blob(r, "widget.js", &body, &len);
    if (!body) return;
    http_reply_raw(r, 200, "text/javascript; charset=utf-8", body, len);
    MHD_del_response_header(r->resp, "Cache-Control", "no-store");
    http_add_header(r, "Cache-Control", "public, max-age=300");
    http_add_header(r, "Cross-Origin-Resource-Policy", "cross-origin");
}

/* Appends s with HTML's special characters escaped. */
static void html_escape(buf_t *b, const char *s)
{
    for (; *s; s++) switch (*s) {
        case '&': buf_puts(b, "&amp;"); break;
        case '<': buf_puts(b, "&lt;"); break;
        case '>': buf_puts(b, "&gt;"); break;
        case '"': buf_puts(b, "&quot;"); break;
        case '\'': buf_puts(b, "&#39;"); break;
        default: buf_putc(b, *s);
        }
}

/* GET /widget-demo/{inbox_id}: the widget on a page of Parley's own, for
 * signed-in users of the inbox's account (it shows the widget token). */
static void h_demo(req_t *r)
{
    int64_t id;
    if (!http_param_id(r, "inbox_id", &id)) return;
    store_t *st = r->app->store;
    inbox_row_t in;
    json_t *settings = NULL;
    if (st->ops->desk->inbox_get(st->ops->reader(st), r->auth.actor.account_id, id, &r->arena,
                                 &in) ||
        strcmp(in.channel, "web") != 0 || !(settings = inbox_settings(r->app, &in))) {
        http_problem(r, 404, "not-found", "Not found", "no website chat inbox with this id", NULL);
        return;
    }
    arena_defer(&r->arena, free_json, settings);
    const char *tpl;
    size_t len;
    serve_blob(r, "widget-demo.html", &tpl, &len);
    if (!tpl) return;
    const char *token = json_string_value(json_object_get(settings, "widget_token"));
    buf_t b;
    buf_init(&b, 0);
    for (const char *p = tpl; *p;) {
        const char *mark = strstr(p, "{{");
        if (!mark) {
            buf_puts(&b, p);
            break;
        }
        buf_append(&b, p, (size_t)(mark - p));
        p = mark + 2;
        if (!strncmp(p, "INBOX_ID}}", 10)) {
            buf_printf(&b, "%lld", (long long)in.id);
            p += 10;
        } else if (!strncmp(p, "TOKEN}}", 7)) {
            html_escape(&b, token ? token : "");
            p += 7;
        } else if (!strncmp(p, "NAME}}", 6)) {
            html_escape(&b, in.name);
            p += 6;
        } else {
            buf_puts(&b, "{{");
        }
    }
    http_reply_raw(r, 200, "text/html; charset=utf-8", buf_cstr(&b), b.len);
    buf_free(&b);
    http_add_header(r, "Content-Security-Policy",
                    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
                    "form-action 'none'; frame-ancestors 'self'");
    http_add_header(r, "Referrer-Policy", "no-referrer");
}

static const route_t routes[] = {
    {"GET", "/widget.js", PERM_PUBLIC, h_script},
    {"GET", "/widget-demo/{inbox_id}", PERM_READ, h_demo},
    {"GET", "/widget/{inbox_id}/config", PERM_PUBLIC, h_config},
    {"OPTIONS", "/widget/{inbox_id}/config", PERM_PUBLIC, h_preflight},
    {"POST", "/widget/{inbox_id}/messages", PERM_PUBLIC, h_post_message},
    {"GET", "/widget/{inbox_id}/messages", PERM_PUBLIC, h_get_messages},
    {"OPTIONS", "/widget/{inbox_id}/messages", PERM_PUBLIC, h_preflight},
    {"GET", "/widget/{inbox_id}/stream", PERM_PUBLIC, h_stream_visitor},
    {"OPTIONS", "/widget/{inbox_id}/stream", PERM_PUBLIC, h_preflight},
};
const route_table_t widget_route_table = ROUTE_TABLE(routes);
