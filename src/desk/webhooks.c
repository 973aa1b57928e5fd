/*
 * webhooks.c - outbound webhook subscriptions: the rules, the signature, the
 * two body formats (json, slack), and the worker that turns the event log
 * into delivery rows and sends them.
 *
 * The worker is one thread, woken by the store's commit hook (new events) and
 * at the next retry time; it never sweeps on a period. Its state is rows: a
 * cursor per subscription and a delivery per (subscription, event), written
 * together, so a restart resumes where it stopped.
 */
#include "desk/webhooks.h"
#include "desk/worker.h"

#include "core/crypto.h"
#include "core/log.h"
#include "core/mem.h"
#include "desk/desk.h"
#include "desk/users.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const store_webhooks_ops_t *webhooks_ops(const app_t *app)
{
    const store_webhooks_ops_t *ops = app->store->ops->webhooks;
    if (!ops) log_msg(LOG_ERROR, "webhooks.unsupported", app->store->ops->name);
    return ops;
}

/* ---- patterns ------------------------------------------------------------------ */

/* First segments of the event types Parley writes (and the ones issues announce). */
static const char *const families[] = {"account",        "alert",   "approval", "auth",
                                       "business_hours", "canned",  "contact",  "conversation",
                                       "csat",           "inbox",   "kb",       "label",
                                       "mention",        "message", "monitor",  "presence",
                                       "report",         "review",  "sla",      "sla_policy",
                                       "survey",         "team",    "token",    "user",
                                       "widget",         NULL};

static bool is_family(const char *p, size_t n)
{
    for (int i = 0; families[i]; i++)
        if (strlen(families[i]) == n && !memcmp(families[i], p, n)) return true;
    return false;
}

int webhook_pattern_check(const char *p, size_t len, const char **why)
{
    static const char *const reasons[] = {
        "a pattern is 1 to 100 characters",
        "a pattern is `*`, `family.*` or an event type such as `message.created`",
        "segments are lower-case letters, digits and '_', starting with a letter",
        "unknown event family (see the list of event types)",
        "personal notifications (notification.*) are never sent to webhooks",
        "webhook.* events are about the webhooks themselves and are not delivered",
    };
    int r = -1;
    if (len == 0 || len > WEBHOOK_PATTERN_MAX || memchr(p, '\0', len)) {
        r = 0;
        goto out;
    }
    if (len == 1 && p[0] == '*') return 0;
    size_t seg = 0, segs = 0, first_len = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || p[i] == '.') {
            size_t start = i - seg;
            if (seg == 0) {
                r = 1;
                goto out;
            }
            if (seg == 1 && p[start] == '*') {
                if (i != len || segs == 0) { /* `*` only as the last of two or more */
                    r = 1;
                    goto out;
                }
            } else {
                for (size_t k = start; k < i; k++) {
                    char c = p[k];
                    bool ok = (c >= 'a' && c <= 'z') ||
                              (k > start && ((c >= '0' && c <= '9') || c == '_'));
                    if (!ok) {
                        r = 2;
                        goto out;
                    }
                }
            }
            if (segs++ == 0) first_len = seg;
            seg = 0;
            continue;
        }
        seg++;
    }
    if (segs < 2) {
        r = 1;
        goto out;
    }
    if (first_len == 12 && !memcmp(p, "notification", 12))
        r = 4;
    else if (first_len == 7 && !memcmp(p, "webhook", 7))
        r = 5;
    else if (!is_family(p, first_len))
        r = 3;
out:
    if (r < 0) return 0;
    if (why) *why = reasons[r];
    return PARLEY_EINVAL;
}

bool webhook_pattern_match(const char *pattern, const char *type)
{
    if (!pattern || !type) return false;
    if (!strcmp(pattern, "*")) return true;
    size_t n = strlen(pattern);
    if (n >= 2 && pattern[n - 1] == '*' && pattern[n - 2] == '.')
        return strlen(type) > n - 1 && !strncmp(pattern, type, n - 1);
    return !strcmp(pattern, type);
}

bool webhook_wants(const json_t *patterns, const char *type)
{
    if (!type || !strncmp(type, "notification.", 13) || !strncmp(type, "webhook.", 8)) return false;
    size_t i;
    const json_t *v;
    json_array_foreach(patterns, i, v)
    {
        if (webhook_pattern_match(json_string_value(v), type)) return true;
    }
    return false;
}

/* ---- the signature --------------------------------------------------------------- */

void webhook_sign(const char *secret, size_t secret_len, int64_t t, const void *body,
                  size_t body_len, char out[WEBHOOK_SIG_MAX])
{
    char ts[24];
    int tn = snprintf(ts, sizeof ts, "%lld", (long long)t);
    size_t n = (size_t)tn + 1 + body_len;
    char *msg = xmalloc(n + 1);
    memcpy(msg, ts, (size_t)tn);
    msg[tn] = '.';
    if (body_len) memcpy(msg + tn + 1, body, body_len);
    uint8_t mac[32];
    crypto_hmac_sha256(secret, secret_len, msg, n, mac);
    free(msg);
    char hex[65];
    crypto_hex(mac, sizeof mac, hex);
    snprintf(out, WEBHOOK_SIG_MAX, "t=%s,v1=%s", ts, hex);
}

/* ---- the Slack line ---------------------------------------------------------------- */

/* Appends s with Slack's three control characters escaped, newlines as spaces,
 * at most max code points (then an ellipsis). */
static void slack_escape(buf_t *out, const char *s, size_t max)
{
    size_t cps = 0;
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if ((*p & 0xC0) != 0x80 && cps++ == max) {
            buf_puts(out, "\xE2\x80\xA6");
            return;
        }
        switch (*p) {
        case '&': buf_puts(out, "&amp;"); break;
        case '<': buf_puts(out, "&lt;"); break;
        case '>': buf_puts(out, "&gt;"); break;
        case '\n':
        case '\r':
        case '\t': buf_putc(out, ' '); break;
        default: buf_putc(out, (char)*p);
        }
    }
}

/* An identifier as words: "first_response" -> "first response" (escaped, short). */
static void slack_words(buf_t *out, const char *s)
{
    buf_t tmp;
    buf_init(&tmp, 0);
    slack_escape(&tmp, s, 64);
    for (const char *p = buf_cstr(&tmp); *p; p++) buf_putc(out, *p == '_' ? ' ' : *p);
    buf_free(&tmp);
}

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static json_int_t jint(const json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

/* " (Inbox, high)" / " (Inbox)" / "" */
static void slack_context(buf_t *out, const char *inbox_name, const char *priority)
{
    bool inbox = inbox_name && *inbox_name;
    if (!inbox && !priority) return;
    buf_puts(out, " (");
    if (inbox) slack_escape(out, inbox_name, 80);
    if (inbox && priority) buf_puts(out, ", ");
    if (priority) slack_escape(out, priority, 20);
    buf_putc(out, ')');
}

void webhook_slack_text(const event_row_t *e, const char *inbox_name, buf_t *out)
{
    json_t *pl = json_loads(e->payload ? e->payload : "{}", 0, NULL);
    const char *type = e->type ? e->type : "";
    json_t *cv = json_object_get(pl, "conversation");
    long long conv = !strcmp(e->subject_kind ? e->subject_kind : "", "conversation")
                         ? (long long)e->subject_id
                         : (long long)jint(pl, "conversation_id");
    if (!strcmp(type, "sla.breached") || !strcmp(type, "sla.warning")) {
        const char *target = jstr(pl, "target");
        buf_printf(out, "%s on conversation #%lld",
                   !strcmp(type, "sla.breached") ? ":rotating_light: SLA breached"
                                                 : ":warning: SLA warning",
                   conv);
        slack_context(out, inbox_name, jstr(pl, "priority"));
        if (target) {
            buf_puts(out, ": ");
            slack_words(out, target);
            if (jstr(pl, "level") && !strcmp(jstr(pl, "level"), "published"))
                buf_puts(out, " (published target)");
        }
    } else if (!strcmp(type, "message.created")) {
        json_t *m = json_object_get(pl, "message");
        const char *kind = jstr(m, "kind"), *dir = jstr(m, "direction");
        const char *what = kind && !strcmp(kind, "note") ? ":memo: Note"
                           : dir && !strcmp(dir, "in")   ? ":speech_balloon: New message"
                                                         : ":outbox_tray: Reply";
        buf_printf(out, "%s on conversation #%lld", what, (long long)jint(m, "conversation_id"));
        slack_context(out, inbox_name, NULL);
        buf_puts(out, ": \"");
        slack_escape(out, jstr(m, "body"), 140);
        buf_putc(out, '"');
    } else if (!strncmp(type, "conversation.", 13)) {
        const char *verb = type + 13;
        buf_printf(out, "%s Conversation #%lld ",
                   !strcmp(verb, "resolved") ? ":white_check_mark:" : ":speech_balloon:", conv);
        slack_words(out, verb);
        slack_context(out, inbox_name, cv ? jstr(cv, "priority") : NULL);
    } else if (!strcmp(type, "report.digest")) {
        json_t *sum = json_object_get(pl, "summary");
        json_t *tw = json_object_get(sum, "this_week"), *lw = json_object_get(sum, "last_week");
        buf_puts(out, ":bar_chart: Weekly digest ");
        slack_escape(out, jstr(pl, "week"), 16);
        buf_printf(out, ": %lld conversations (previous week %lld), %lld resolved",
                   (long long)jint(tw, "received"), (long long)jint(lw, "received"),
                   (long long)jint(tw, "resolved"));
        json_t *frt = json_object_get(tw, "first_response_median_seconds");
        if (json_is_number(frt)) {
            buf_printf(out, ", first response median %.1f min", json_number_value(frt) / 60.0);
            json_t *target = json_object_get(sum, "first_response_target_seconds");
            if (json_is_number(target))
                buf_printf(out, " (target %.1f min)", json_number_value(target) / 60.0);
        }
        json_t *sla = json_object_get(tw, "sla_first_response_compliance");
        if (json_is_number(sla))
            buf_printf(out, ", SLA first response %.0f%%", json_number_value(sla) * 100.0);
        const char *url = jstr(pl, "url");
        if (url && *url) {
            buf_puts(out, " <");
            slack_escape(out, url, 300);
            buf_puts(out, "|full digest>");
        }
    } else if (!strcmp(type, "webhook.test")) {
        buf_printf(out, ":wave: Parley test message: webhook #%lld is connected",
                   (long long)e->subject_id);
    } else {
        buf_puts(out, ":bell: ");
        slack_escape(out, type, 64);
        buf_printf(out, " on %s #%lld", e->subject_kind ? e->subject_kind : "item",
                   (long long)e->subject_id);
        slack_context(out, inbox_name, NULL);
    }
    json_decref(pl);
}

/* ---- JSON shapes ------------------------------------------------------------------ */

static json_t *iso_or_null(int64_t ms)
{
    if (!ms) return json_null();
    char b[32];
    clock_format_iso(ms, b);
    return json_string(b);
}

json_t *webhook_to_json(const webhook_row_t *w, const char *secret_shown)
{
    json_t *events = json_loads(w->events ? w->events : "[]", 0, NULL);
    char created[32], updated[32];
    clock_format_iso(w->created_at, created);
    clock_format_iso(w->updated_at, updated);
    return json_pack("{s:I, s:s, s:s, s:o, s:s, s:b, s:s, s:s, s:s}", "id", (json_int_t)w->id,
                     "name", w->name ? w->name : "", "url", w->url, "events",
                     events ? events : json_array(), "format", w->format, "active", w->active,
                     "secret", secret_shown ? secret_shown : "********", "created_at", created,
                     "updated_at", updated);
}

json_t *webhook_delivery_to_json(const webhook_delivery_row_t *d)
{
    return json_pack("{s:I, s:I, s:I, s:s, s:s, s:I, s:o, s:o, s:o, s:o, s:o}", "id",
                     (json_int_t)d->id, "webhook_id", (json_int_t)d->subscription_id, "event_id",
                     (json_int_t)d->event_id, "event_type", d->event_type, "status", d->status,
                     "attempts", (json_int_t)d->attempts, "last_status",
                     d->last_status ? json_integer(d->last_status) : json_null(), "last_error",
                     d->last_error ? json_string(d->last_error) : json_null(), "next_attempt_at",
                     iso_or_null(d->next_attempt_at), "last_attempt_at",
                     iso_or_null(d->last_attempt_at), "created_at", iso_or_null(d->created_at));
}

/* The event as GET /api/v1/events shows it. */
static json_t *event_json(const event_row_t *e)
{
    char at[32];
    clock_format_iso(e->at, at);
    json_t *payload = json_loads(e->payload, 0, NULL);
    return json_pack("{s:I, s:s, s:{s:s, s:I}, s:s, s:{s:s, s:I}, s:o, s:s}", "id",
                     (json_int_t)e->id, "at", at, "actor", "kind", e->actor_kind, "id",
                     (json_int_t)e->actor_id, "type", e->type, "subject", "kind", e->subject_kind,
                     "id", (json_int_t)e->subject_id, "payload", payload ? payload : json_object(),
                     "hash", e->hash);
}

/* ---- the rules ------------------------------------------------------------------- */

static bool has_control(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f) return true;
    return false;
}

/* An absolute http(s) URL with a host; *origin gets "scheme://host[:port]"
 * (what events record: a URL's path may itself be a credential, as Slack's are). */
static int check_url(arena_t *a, const char *url, const char **origin, parley_err_t *err)
{
    if (!url || !*url) return parley_errf(err, PARLEY_EINVAL, "/url", "url is required");
    if (strlen(url) > WEBHOOK_URL_MAX || has_control(url) || strchr(url, ' '))
        return parley_errf(err, PARLEY_EINVAL, "/url",
                           "url must be an http(s) URL of at most %d characters, without spaces",
                           WEBHOOK_URL_MAX);
    CURLU *h = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL;
    int rc = 0;
    if (!h || curl_url_set(h, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host ||
        (strcasecmp(scheme, "http") && strcasecmp(scheme, "https")) ||
        (strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8)) ||
        strstr(url, ":///")) { /* curl reads "http:///x" as host x: say what was meant */
        rc = parley_errf(err, PARLEY_EINVAL, "/url",
                         "url must be an absolute http:// or https:// URL with a host");
        goto done;
    }
    curl_url_get(h, CURLUPART_PORT, &port, 0);
    *origin = port ? arena_sprintf(a, "%s://%s:%s", scheme, host, port)
                   : arena_sprintf(a, "%s://%s", scheme, host);
done:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(h);
    return rc;
}

/* A non-empty array of valid patterns, duplicates dropped, as compact JSON in a. */
static int check_events(arena_t *a, json_t *events, const char **out, parley_err_t *err)
{
    if (!json_is_array(events) || json_array_size(events) == 0)
        return parley_errf(err, PARLEY_EINVAL, "/events",
                           "events must be a non-empty array of event types or patterns such "
                           "as \"message.created\" or \"conversation.*\"");
    if (json_array_size(events) > WEBHOOK_MAX_PATTERNS)
        return parley_errf(err, PARLEY_EINVAL, "/events", "at most %d event patterns",
                           WEBHOOK_MAX_PATTERNS);
    json_t *kept = json_array();
    size_t i;
    json_t *v;
    int rc = 0;
    json_array_foreach(events, i, v)
    {
        const char *why = "a pattern must be a string";
        const char *p = json_string_value(v);
        if (!p || webhook_pattern_check(p, json_string_length(v), &why)) {
            char ptr[32];
            snprintf(ptr, sizeof ptr, "/events/%zu", i);
            rc = parley_errf(err, PARLEY_EINVAL, ptr, "events[%zu]: %s", i, why);
            break;
        }
        bool dup = false;
        size_t j;
        json_t *w;
        json_array_foreach(kept, j, w) dup = dup || !strcmp(json_string_value(w), p);
        if (!dup) json_array_append_new(kept, json_string(p));
    }
    if (!rc) {
        char *s = json_dumps(kept, JSON_COMPACT);
        *out = arena_strdup(a, s);
        free(s);
    }
    json_decref(kept);
    return rc;
}

static int check_format(const char *f, parley_err_t *err)
{
    if (f && strcmp(f, "json") && strcmp(f, "slack"))
        return parley_errf(err, PARLEY_EINVAL, "/format", "format must be json or slack");
    return 0;
}

static int check_secret(const char *s, parley_err_t *err)
{
    size_t n = s ? strlen(s) : 0;
    bool ok = n >= WEBHOOK_SECRET_MIN && n <= WEBHOOK_SECRET_MAX;
    for (size_t i = 0; ok && i < n; i++) ok = s[i] > 0x20 && s[i] < 0x7f;
    if (!ok)
        return parley_errf(err, PARLEY_EINVAL, "/secret",
                           "secret must be %d to %d printable ASCII characters without spaces "
                           "(leave it out to have one generated)",
                           WEBHOOK_SECRET_MIN, WEBHOOK_SECRET_MAX);
    return 0;
}

static int check_name(arena_t *a, const char *in, const char **out, parley_err_t *err)
{
    str_t t = str_trim(str_from(in));
    char *s = arena_strndup(a, t.ptr ? t.ptr : "", t.len);
    size_t cps = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) cps += (*p & 0xC0) != 0x80;
    if (cps > WEBHOOK_NAME_MAX || has_control(s))
        return parley_errf(err, PARLEY_EINVAL, "/name",
                           "name must be at most %d characters without control characters",
                           WEBHOOK_NAME_MAX);
    *out = s;
    return 0;
}

static void generate_secret(char out[WEBHOOK_SECRET_MAX + 1])
{
    char tok[64];
    crypto_random_token(32, tok, sizeof tok);
    snprintf(out, WEBHOOK_SECRET_MAX + 1, "whsec_%s", tok);
}

static void seal_secret(const app_t *app, const char *secret, arena_t *a, webhook_row_t *w)
{
    size_t n = strlen(secret);
    uint8_t *blob = arena_alloc(a, n + CRYPTO_SEAL_OVERHEAD);
    crypto_seal(app->key, secret, n, blob);
    w->secret = blob;
    w->secret_len = n + CRYPTO_SEAL_OVERHEAD;
}

/* Opens the sealed secret into out; PARLEY_EAUTH when the key changed. */
static int open_secret(const app_t *app, const webhook_row_t *w, char out[WEBHOOK_SECRET_MAX + 1])
{
    if (w->secret_len < CRYPTO_SEAL_OVERHEAD ||
        w->secret_len - CRYPTO_SEAL_OVERHEAD > WEBHOOK_SECRET_MAX)
        return PARLEY_EAUTH;
    size_t n = w->secret_len - CRYPTO_SEAL_OVERHEAD;
    if (crypto_open(app->key, w->secret, w->secret_len, out)) return PARLEY_EAUTH;
    out[n] = '\0';
    return 0;
}

/* ---- changes, each with its event ------------------------------------------------- */

typedef struct {
    const store_webhooks_ops_t *ops;
    const webhook_fields_t *in;
    parley_err_t *err;
    int64_t id, delivery_id;
    const char *name, *events, *origin, *secret;
    char *secret_out;
} tx_t;

static int write_tx(app_t *app, const actor_t *by, int (*fn)(dtx_t *t, void *p), tx_t *x,
                    const char *what)
{
    x->err->code = 0;
    int rc = desk_write(app, by, fn, x);
    if (rc && x->err->code == 0) parley_errf(x->err, rc, "", "the webhook could not be %s", what);
    return rc;
}

/* Validates what is given (create: url and events are required) into x. */
static int check_fields(arena_t *a, const webhook_fields_t *in, bool create, tx_t *x)
{
    int rc;
    if (in->name && (rc = check_name(a, in->name, &x->name, x->err))) return rc;
    if ((create || in->url) && (rc = check_url(a, in->url, &x->origin, x->err))) return rc;
    if (create || in->events) {
        if (!in->events)
            return parley_errf(x->err, PARLEY_EINVAL, "/events",
                               "events is required (an array such as [\"message.created\"])");
        if ((rc = check_events(a, in->events, &x->events, x->err))) return rc;
    }
    if ((rc = check_format(in->format, x->err))) return rc;
    if (in->secret && (rc = check_secret(in->secret, x->err))) return rc;
    if (in->secret && in->rotate_secret)
        return parley_errf(x->err, PARLEY_EINVAL, "/rotate_secret",
                           "give a secret or ask for a new one, not both");
    return 0;
}

static int create_tx(dtx_t *t, void *p)
{
    tx_t *x = p;
    int64_t n = 0, head = 0;
    int rc = x->ops->count(t->c, t->by->account_id, &n);
    if (rc) return rc;
    if (n >= WEBHOOK_MAX_PER_ACCOUNT)
        return parley_errf(x->err, PARLEY_ECONFLICT, "",
                           "an account has at most %d webhooks; delete one first",
                           WEBHOOK_MAX_PER_ACCOUNT);
    if ((rc = t->app->store->ops->event_last_id(t->c, &head))) return rc;
    webhook_row_t w = {.account_id = t->by->account_id,
                       .name = x->name ? x->name : "",
                       .url = x->in->url,
                       .events = x->events,
                       .format = x->in->format ? x->in->format : "json",
                       .active = x->in->active != 0,
                       .last_event_id = head, /* from now on, not the history */
                       .created_at = t->now,
                       .updated_at = t->now};
    seal_secret(t->app, x->secret, t->arena, &w);
    if ((rc = x->ops->create(t->c, &w, &x->id))) return rc;
    return desk_event(t->c, t->app, t->by, "webhook.created", "webhook", x->id,
                      json_pack("{s:s, s:s, s:o, s:s, s:b}", "name", w.name, "url_origin",
                                x->origin, "events", json_loads(x->events, 0, NULL), "format",
                                w.format, "active", w.active));
}

int webhook_create(app_t *app, const actor_t *by, const webhook_fields_t *in, int64_t *id,
                   char secret_out[WEBHOOK_SECRET_MAX + 1], parley_err_t *err)
{
    const store_webhooks_ops_t *ops = webhooks_ops(app);
    if (!ops) return parley_errf(err, PARLEY_EIO, "", "webhooks are not available on this store");
    arena_t a;
    arena_init(&a, 0);
    tx_t x = {.ops = ops, .in = in, .err = err};
    int rc = check_fields(&a, in, true, &x);
    if (rc) goto done;
    if (in->secret)
        snprintf(secret_out, WEBHOOK_SECRET_MAX + 1, "%s", in->secret);
    else
        generate_secret(secret_out);
    x.secret = secret_out;
    if ((rc = write_tx(app, by, create_tx, &x, "created"))) goto done;
    *id = x.id;
done:
    arena_free(&a);
    return rc;
}

static int update_tx(dtx_t *t, void *p)
{
    tx_t *x = p;
    const webhook_fields_t *in = x->in;
    webhook_row_t w;
    int rc = x->ops->get(t->c, t->by->account_id, x->id, t->arena, &w);
    if (rc == PARLEY_ENOENT) return parley_errf(x->err, rc, "", "no webhook with this id");
    if (rc) return rc;
    json_t *changed = json_array();
    if (x->name && strcmp(x->name, w.name)) {
        w.name = x->name;
        json_array_append_new(changed, json_string("name"));
    }
    if (in->url && strcmp(in->url, w.url)) {
        w.url = in->url;
        json_array_append_new(changed, json_string("url"));
    }
    if (x->events && strcmp(x->events, w.events)) {
        w.events = x->events;
        json_array_append_new(changed, json_string("events"));
    }
    if (in->format && strcmp(in->format, w.format)) {
        w.format = in->format;
        json_array_append_new(changed, json_string("format"));
    }
    if (x->secret) {
        seal_secret(t->app, x->secret, t->arena, &w);
        json_array_append_new(changed, json_string("secret"));
    }
    if (in->active >= 0 && (in->active != 0) != w.active) {
        w.active = in->active != 0;
        /* Paused means paused: a re-activated webhook starts from now. */
        if (w.active && (rc = t->app->store->ops->event_last_id(t->c, &w.last_event_id))) {
            json_decref(changed);
            return rc;
        }
        json_array_append_new(changed, json_string("active"));
    }
    if (json_array_size(changed) == 0) {
        json_decref(changed);
        return 0;
    }
    w.updated_at = t->now;
    if ((rc = x->ops->update(t->c, &w))) {
        json_decref(changed);
        return rc;
    }
    return desk_event(t->c, t->app, t->by, "webhook.updated", "webhook", w.id,
                      json_pack("{s:o, s:b}", "changed", changed, "active", w.active));
}

int webhook_update(app_t *app, const actor_t *by, int64_t id, const webhook_fields_t *in,
                   char secret_out[WEBHOOK_SECRET_MAX + 1], parley_err_t *err)
{
    const store_webhooks_ops_t *ops = webhooks_ops(app);
    if (!ops) return parley_errf(err, PARLEY_EIO, "", "webhooks are not available on this store");
    arena_t a;
    arena_init(&a, 0);
    tx_t x = {.ops = ops, .in = in, .err = err, .id = id};
    secret_out[0] = '\0';
    int rc = check_fields(&a, in, false, &x);
    if (rc) goto done;
    if (in->rotate_secret) {
        generate_secret(secret_out);
        x.secret = secret_out;
    } else {
        x.secret = in->secret;
    }
    rc = write_tx(app, by, update_tx, &x, "changed");
    if (rc) secret_out[0] = '\0';
done:
    arena_free(&a);
    return rc;
}

static int delete_tx(dtx_t *t, void *p)
{
    tx_t *x = p;
    int rc = x->ops->remove(t->c, t->by->account_id, x->id);
    if (rc == PARLEY_ENOENT) return parley_errf(x->err, rc, "", "no webhook with this id");
    if (rc) return rc;
    return desk_event(t->c, t->app, t->by, "webhook.deleted", "webhook", x->id, NULL);
}

int webhook_delete(app_t *app, const actor_t *by, int64_t id, parley_err_t *err)
{
    const store_webhooks_ops_t *ops = webhooks_ops(app);
    if (!ops) return parley_errf(err, PARLEY_EIO, "", "webhooks are not available on this store");
    tx_t x = {.ops = ops, .err = err, .id = id};
    return write_tx(app, by, delete_tx, &x, "deleted");
}

static int test_tx(dtx_t *t, void *p)
{
    tx_t *x = p;
    webhook_row_t w;
    int rc = x->ops->get(t->c, t->by->account_id, x->id, t->arena, &w);
    if (rc == PARLEY_ENOENT) return parley_errf(x->err, rc, "", "no webhook with this id");
    if (rc) return rc;
    json_t *payload = json_pack("{s:I, s:s}", "webhook_id", (json_int_t)w.id, "message",
                                "a test delivery asked for by an admin");
    event_new_t e = {.account_id = t->by->account_id,
                     .actor_kind = t->by->kind,
                     .actor_id = t->by->id,
                     .type = "webhook.test",
                     .subject_kind = "webhook",
                     .subject_id = w.id,
                     .payload = payload};
    int64_t event_id = 0;
    rc = t->app->store->ops->event_append(t->c, &e, t->now, &event_id);
    json_decref(payload);
    if (rc) return rc;
    webhook_delivery_row_t d = {.account_id = w.account_id,
                                .subscription_id = w.id,
                                .event_id = event_id,
                                .event_type = "webhook.test",
                                .next_attempt_at = t->now,
                                .created_at = t->now};
    return x->ops->delivery_create(t->c, &d, &x->delivery_id);
}

int webhook_test(app_t *app, const actor_t *by, int64_t id, int64_t *delivery_id, parley_err_t *err)
{
    const store_webhooks_ops_t *ops = webhooks_ops(app);
    if (!ops) return parley_errf(err, PARLEY_EIO, "", "webhooks are not available on this store");
    tx_t x = {.ops = ops, .err = err, .id = id};
    int rc = write_tx(app, by, test_tx, &x, "tested");
    if (!rc) *delivery_id = x.delivery_id;
    return rc; /* the event's commit wakes the worker */
}

/* ---- the worker: from the log to delivery rows ----------------------------------- */

struct webhooks {
    app_t *app;
    worker_t *w; /* desk/worker.c: the thread, its wake-ups, its curl handle */
};

#define DISPATCH_SUBS 64 /* subscriptions advanced per transaction */

typedef struct {
    const store_webhooks_ops_t *ops;
    bool more;    /* a page was full: run again at once */
    int64_t made; /* deliveries created */
} dispatch_t;

/* Advances every active subscription that is behind the log by up to one page
 * of its account's events, creating its deliveries in the same transaction.
 * Runs on the writer, so the head it reads cannot move underneath it: a
 * subscription with nothing of its account below the head jumps to the head. */
static int dispatch_tx(dtx_t *t, void *p)
{
    dispatch_t *x = p;
    int64_t head = 0;
    int rc = t->app->store->ops->event_last_id(t->c, &head);
    webhook_row_t *subs;
    int n = 0;
    if (rc || (rc = x->ops->behind(t->c, head, DISPATCH_SUBS, t->arena, &subs, &n))) return rc;
    x->more = n == DISPATCH_SUBS;
    for (int i = 0; i < n && !rc; i++) {
        const webhook_row_t *w = &subs[i];
        event_row_t *evs;
        int ne = 0;
        rc = x->ops->events_after(t->c, w->account_id, w->last_event_id, WEBHOOK_PAGE, t->arena,
                                  &evs, &ne);
        json_t *patterns = json_loads(w->events, 0, NULL);
        for (int k = 0; k < ne && !rc; k++) {
            if (!webhook_wants(patterns, evs[k].type)) continue;
            webhook_delivery_row_t d = {.account_id = w->account_id,
                                        .subscription_id = w->id,
                                        .event_id = evs[k].id,
                                        .event_type = evs[k].type,
                                        .next_attempt_at = t->now,
                                        .created_at = t->now};
            int64_t id = 0;
            rc = x->ops->delivery_create(t->c, &d, &id);
            x->made += id != 0;
        }
        json_decref(patterns);
        if (rc) break;
        bool full = ne == WEBHOOK_PAGE;
        x->more = x->more || full;
        rc = x->ops->advance(t->c, w->id, w->last_event_id, full ? evs[ne - 1].id : head);
    }
    return rc;
}

/* ---- the worker: one attempt --------------------------------------------------------- */

static size_t on_write(char *p, size_t size, size_t n, void *ud)
{
    buf_append(ud, p, size * n); /* bounded: the buffer's limit makes it sticky */
    return size * n;
}

typedef struct {
    webhook_delivery_row_t d;
    const char *dead_error; /* set when the delivery died: its event */
} outcome_t;

static int record_tx(dtx_t *t, void *p)
{
    outcome_t *o = p;
    const store_webhooks_ops_t *ops = t->app->store->ops->webhooks;
    int rc = ops->delivery_update(t->c, &o->d);
    if (rc == PARLEY_ENOENT) return 0; /* the webhook was deleted meanwhile */
    if (rc || strcmp(o->d.status, "dead")) return rc;
    return desk_event(t->c, t->app, t->by, "webhook.dead", "webhook", o->d.subscription_id,
                      json_pack("{s:I, s:I, s:s, s:I, s:o, s:s?}", "delivery_id",
                                (json_int_t)o->d.id, "event_id", (json_int_t)o->d.event_id,
                                "event_type", o->d.event_type, "attempts",
                                (json_int_t)o->d.attempts, "last_status",
                                o->d.last_status ? json_integer(o->d.last_status) : json_null(),
                                "last_error", o->d.last_error));
}

/* The body for w's format; malloc'd. */
static char *render_body(webhooks_t *k, store_conn_t *c, const webhook_row_t *w,
                         const webhook_delivery_row_t *d, const event_row_t *e, arena_t *a)
{
    json_t *body;
    if (!strcmp(w->format, "slack")) {
        json_t *pl = json_loads(e->payload, 0, NULL);
        json_int_t inbox_id = jint(pl, "inbox_id");
        if (!inbox_id) inbox_id = jint(json_object_get(pl, "conversation"), "inbox_id");
        json_decref(pl);
        inbox_row_t in;
        const char *inbox_name = NULL;
        if (inbox_id && !k->app->store->ops->desk->inbox_get(c, w->account_id, inbox_id, a, &in))
            inbox_name = in.name;
        buf_t text;
        buf_init(&text, 0);
        webhook_slack_text(e, inbox_name, &text);
        body = json_pack("{s:s}", "text", buf_cstr(&text));
        buf_free(&text);
    } else {
        body = json_pack("{s:I, s:I, s:o}", "delivery_id", (json_int_t)d->id, "webhook_id",
                         (json_int_t)w->id, "event", event_json(e));
    }
    char *s = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(body);
    return s;
}

/* POSTs body; *status = HTTP status (0 = no answer); errbuf on failure. */
static void post(webhooks_t *k, const char *url, struct curl_slist *hdrs, const char *body,
                 long *status, buf_t *resp, char *errbuf)
{
    CURL *c = worker_curl(k->w);
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L); /* a redirect is an answer, not a hop */
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)WEBHOOK_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(c, CURLOPT_USERAGENT, "Parley-Webhooks/" PARLEY_VERSION);
    *status = 0;
    CURLcode cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        if (!errbuf[0]) snprintf(errbuf, CURL_ERROR_SIZE, "%s", curl_easy_strerror(cc));
        return;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
}

static void attempt(webhooks_t *k, webhook_delivery_row_t d)
{
    app_t *app = k->app;
    store_t *st = app->store;
    const store_webhooks_ops_t *ops = st->ops->webhooks;
    store_conn_t *c = st->ops->reader(st);
    arena_t a;
    arena_init(&a, 0);
    webhook_row_t w;
    event_row_t e;
    char secret[WEBHOOK_SECRET_MAX + 1];
    char *body = NULL;
    outcome_t o = {.d = d};
    int64_t now = app_now(app);
    o.d.attempts++;
    o.d.last_attempt_at = now;
    o.d.last_status = 0;
    bool retry = true;
    if (ops->get(c, d.account_id, d.subscription_id, &a, &w)) goto free; /* deleted meanwhile */
    if (ops->event_get(c, d.account_id, d.event_id, &a, &e)) {
        o.d.last_error = "the event no longer exists";
        retry = false;
        goto outcome;
    }
    if (open_secret(app, &w, secret)) {
        o.d.last_error = "the signing secret cannot be opened (was the secret key changed?)";
        retry = false;
        goto outcome;
    }
    body = render_body(k, c, &w, &d, &e, &a);
    char sig[WEBHOOK_SIG_MAX];
    webhook_sign(secret, strlen(secret), now / 1000, body, strlen(body), sig);
    explicit_bzero(secret, sizeof secret);
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, "Expect:");
    h = curl_slist_append(h, arena_sprintf(&a, "X-Parley-Signature: %s", sig));
    h = curl_slist_append(h, arena_sprintf(&a, "X-Parley-Event: %s", e.type));
    h = curl_slist_append(h, arena_sprintf(&a, "X-Parley-Delivery: %lld", (long long)d.id));
    h = curl_slist_append(h, arena_sprintf(&a, "X-Parley-Webhook: %lld", (long long)w.id));
    char errbuf[CURL_ERROR_SIZE] = "";
    buf_t resp;
    buf_init(&resp, 4096);
    long status = 0;
    post(k, w.url, h, body, &status, &resp, errbuf);
    curl_slist_free_all(h);
    o.d.last_status = status;
    if (status >= 200 && status < 300) {
        o.d.status = "sent";
        o.d.next_attempt_at = 0;
        o.d.last_error = NULL;
    } else if (status) {
        /* The receiver's words help whoever debugs it: keep the start of them. */
        size_t n = resp.len < 200 ? resp.len : 200;
        while (n > 0 && n < resp.len && (resp.ptr[n] & 0xC0) == 0x80) n--;
        char *snippet = arena_strndup(&a, resp.ptr ? resp.ptr : "", n);
        for (char *p = snippet; *p; p++)
            if ((unsigned char)*p < 0x20) *p = ' ';
        o.d.last_error = arena_sprintf(&a, "HTTP %ld%s%s", status, n ? ": " : "", snippet);
    } else {
        o.d.last_error = arena_strdup(&a, errbuf);
    }
    buf_free(&resp);
outcome:
    if (strcmp(o.d.status, "sent")) {
        if (retry && o.d.attempts < WEBHOOK_MAX_ATTEMPTS) {
            int64_t base = app->cfg ? app->cfg->webhook_backoff_ms : 1000;
            o.d.status = "failed";
            o.d.next_attempt_at = now + base * (1LL << (2 * (o.d.attempts - 1)));
        } else {
            o.d.status = "dead";
            o.d.next_attempt_at = 0;
        }
    }
    {
        log_line_t l;
        log_begin(&l, strcmp(o.d.status, "sent") ? LOG_WARN : LOG_INFO, "webhook.attempt", NULL);
        log_int(&l, "webhook_id", d.subscription_id);
        log_int(&l, "delivery_id", d.id);
        log_str(&l, "event_type", d.event_type);
        log_int(&l, "attempt", o.d.attempts);
        log_int(&l, "http_status", o.d.last_status);
        log_str(&l, "outcome", o.d.status);
        if (o.d.last_error) log_str(&l, "error", o.d.last_error);
        log_end(&l);
    }
    actor_t sys = {.account_id = d.account_id, .kind = "system"};
    if (desk_write(app, &sys, record_tx, &o)) {
        log_msg(LOG_ERROR, "webhook.record_failed", "the delivery outcome could not be stored");
        /* Never spin on a delivery whose outcome cannot be written: park it. */
        o.d.status = "dead";
        o.d.next_attempt_at = 0;
        o.d.last_error = "the delivery outcome could not be recorded";
        desk_write(app, &sys, record_tx, &o);
    }
free:
    free(body);
    arena_free(&a);
}

/* ---- the worker: the loop ------------------------------------------------------------- */

#define SEND_BATCH 32

/* One turn: events into deliveries, then the due deliveries (worker.h). */
static bool turn(void *p, int64_t *next_due)
{
    webhooks_t *k = p;
    app_t *app = k->app;
    store_t *st = app->store;
    const store_webhooks_ops_t *ops = st->ops->webhooks;
    actor_t sys = {.kind = "system"};
    dispatch_t x = {.ops = ops};
    if (desk_write(app, &sys, dispatch_tx, &x)) {
        log_msg(LOG_ERROR, "webhook.dispatch_failed", "events could not be turned into deliveries");
        x.more = false;
    }
    arena_t a;
    arena_init(&a, 0);
    webhook_delivery_row_t *due;
    int n = 0;
    ops->delivery_due(st->ops->reader(st), app_now(app), SEND_BATCH, &a, &due, &n);
    for (int i = 0; i < n && !worker_stopping(k->w); i++) attempt(k, due[i]);
    arena_free(&a);
    ops->delivery_next_due(st->ops->reader(st), next_due);
    return x.more || n == SEND_BATCH;
}

/* The store's commit hook: on the committing thread, so it only signals. */
static void on_commit(void *arg)
{
    webhooks_poke(arg);
}

webhooks_t *webhooks_start(app_t *app)
{
    if (!app->store->ops->webhooks) return NULL;
    webhooks_t *k = xcalloc(1, sizeof *k);
    k->app = app;
    if (!(k->w = worker_start(app, "webhook.worker", turn, k))) {
        free(k);
        return NULL;
    }
    if (store_add_commit_hook(app->store, on_commit, k))
        log_msg(LOG_ERROR, "webhook.worker", "no commit hook slot: webhooks wait for retries");
    return k;
}

void webhooks_poke(webhooks_t *k)
{
    if (k) worker_poke(k->w);
}

void webhooks_stop(webhooks_t *k)
{
    if (!k) return;
    store_remove_commit_hook(k->app->store, k);
    worker_stop(k->w);
    free(k);
}
