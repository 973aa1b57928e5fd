/*
 * web.c - the website chat channel: Parley's own embeddable widget.
 *
 * Owns the `web` inbox settings (widget_token, allowed_origins,
 * identity_secret, greeting, color), the checks a visitor's request passes
 * before the desk sees it (widget token in constant time, exact origins, the
 * identity HMAC of the brand's logged-in customers) and the visitor's message
 * format. Visitors do not arrive through /webhooks: the widget's own routes
 * (src/http/h_widget.c) call these functions, so the generic webhook door
 * refuses every request for a web inbox. Replies are read by the visitor's
 * browser: there is never anything to send.
 */
#include "channels/web.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "channels/adapters.h"
#include "channels/common.h"
#include "core/crypto.h"
#include "core/json.h"

#define WEB_MAX_GREETING 500

/* ---- ids, origins, tokens ------------------------------------------------ */

bool web_id_ok(const char *s, size_t min)
{
    if (!s) return false;
    size_t n = 0;
    for (; s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        if (n >= WEB_MAX_ID ||
            !(isalnum(c) || c == '.' || c == '_' || c == '@' || c == '+' || c == '-'))
            return false;
    }
    return n >= min;
}

/* The canonical form of an origin, "scheme://host[:port]" in lower case
 * without a default port, into out; false when s is no http(s) origin. */
static bool origin_canonical(const char *s, char *out, size_t cap)
{
    const char *scheme;
    if (!strncasecmp(s, "https://", 8))
        scheme = "https";
    else if (!strncasecmp(s, "http://", 7))
        scheme = "http";
    else
        return false;
    const char *h = s + strlen(scheme) + 3, *p = h;
    if (*p == '[') { /* an IPv6 literal */
        p++;
        while (isxdigit((unsigned char)*p) || *p == ':' || *p == '.') p++;
        if (*p++ != ']') return false;
    } else {
        while (isalnum((unsigned char)*p) || *p == '.' || *p == '-') p++;
    }
    size_t host_len = (size_t)(p - h);
    if (host_len == 0 || host_len > 253) return false;
    long port = 0;
    if (*p == ':') {
        p++;
        const char *d = p;
        while (isdigit((unsigned char)*p) && p - d < 6) port = port * 10 + (*p++ - '0');
        if (p == d || port < 1 || port > 65535) return false;
    }
    if (*p == '/') p++;
    if (*p) return false; /* a path, query or stray byte: not an origin */
    if ((port == 443 && scheme[4] == 's') || (port == 80 && scheme[4] == '\0')) port = 0;
    int w = port ? snprintf(out, cap, "%s://%.*s:%ld", scheme, (int)host_len, h, port)
                 : snprintf(out, cap, "%s://%.*s", scheme, (int)host_len, h);
    if (w < 0 || (size_t)w >= cap) return false;
    for (char *c = out; *c; c++) *c = (char)tolower((unsigned char)*c);
    return true;
}

bool web_origin_allowed(const json_t *settings, const char *origin)
{
    char want[300], have[300];
    if (!origin || !origin_canonical(origin, want, sizeof want)) return false;
    json_t *list = json_object_get(settings, "allowed_origins");
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        if (json_is_string(v) && origin_canonical(json_string_value(v), have, sizeof have) &&
            !strcmp(want, have))
            return true;
    }
    return false;
}

bool web_token_ok(const json_t *settings, const char *token)
{
    const char *want = ch__setting(settings, "widget_token");
    if (!want || !token) return false;
    /* Compare digests: equal lengths, so the time tells nothing of the length either. */
    char a[65], b[65];
    crypto_sha256_hex(want, strlen(want), a);
    crypto_sha256_hex(token, strlen(token), b);
    return crypto_equal(a, 64, b, 64);
}

int web_identity(const json_t *settings, const char *visitor_id, const char *hash, bool *verified,
                 parley_err_t *err)
{
    *verified = false;
    if (!hash) return 0;
    const char *secret = ch__setting(settings, "identity_secret");
    if (!secret || !*secret)
        return parley_errf(err, PARLEY_EAUTH, "/identity_hash",
                           "this inbox does not verify identities (no identity_secret)");
    if (!visitor_id || !ch__hmac_sha256_matches(secret, str_from(visitor_id), hash, true))
        return parley_errf(err, PARLEY_EAUTH, "/identity_hash",
                           "identity_hash is not the HMAC-SHA256 of visitor_id under the inbox's "
                           "identity secret");
    *verified = true;
    return 0;
}

/* ---- the visitor's message ----------------------------------------------- */

int web_parse_message(json_t *body, web_message_t *out, parley_err_t *err)
{
    static const char *const allowed[] = {
        "visitor_id", "id", "body", "name", "email", "identity_hash", "visitor_token", NULL};
    memset(out, 0, sizeof *out);
    json_check_t c = {0};
    if (!json_is_object(body)) {
        json_check_fail(&c, "", "the body must be a JSON object");
        return json_check_to_err(&c, err);
    }
    json_check_known(&c, body, allowed);
    out->visitor_id = json_get_string(&c, body, "visitor_id", true, 1, WEB_MAX_ID);
    out->id = json_get_string(&c, body, "id", true, 1, WEB_MAX_ID);
    out->body = json_get_string(&c, body, "body", true, 1, WEB_MAX_BODY);
    out->name = json_get_string(&c, body, "name", false, 1, WEB_MAX_NAME);
    out->email = json_get_string(&c, body, "email", false, 3, WEB_MAX_NAME);
    out->identity_hash = json_get_string(&c, body, "identity_hash", false, 64, 64);
    out->visitor_token = json_get_string(&c, body, "visitor_token", false, 1, WEB_MAX_TOKEN);
    if (out->visitor_id && !web_id_ok(out->visitor_id, WEB_MIN_VISITOR))
        json_check_fail(&c, "/visitor_id",
                        "visitor_id must be %d to %d characters of A-Z a-z 0-9 . _ @ + -",
                        WEB_MIN_VISITOR, WEB_MAX_ID);
    if (out->id && !web_id_ok(out->id, 1))
        json_check_fail(&c, "/id", "id must be 1 to %d characters of A-Z a-z 0-9 . _ @ + -",
                        WEB_MAX_ID);
    if (out->email && !strchr(out->email, '@'))
        json_check_fail(&c, "/email", "email must be an e-mail address");
    if (out->body) {
        const char *p = out->body;
        while (*p && isspace((unsigned char)*p)) p++;
        if (!*p) json_check_fail(&c, "/body", "body must not be blank");
    }
    return json_check_to_err(&c, err);
}

const char *web_visitor_key(arena_t *a, const char *visitor_id, bool verified)
{
    return arena_sprintf(a, verified ? "web:verified:%s" : "web:%s", visitor_id);
}

void web_item(const web_message_t *m, const char *key, bool verified, arena_t *a, ch_item_t *it)
{
    memset(it, 0, sizeof *it);
    it->kind = CH_ITEM_MESSAGE;
    it->external_id = arena_sprintf(a, "%s:%s", key, m->id);
    it->thread_id = key;
    it->is_public = false;
    it->body = m->body;
    it->author.external_id = key;
    it->author.name = m->name;
    it->author.handle = m->email;
    it->author.followers = -1;
    it->author.verified = verified;
}

/* ---- the adapter --------------------------------------------------------- */

/* A settings error at /settings/<name>. */
static int fail(parley_err_t *err, const char *name, const char *what)
{
    char field[96];
    snprintf(field, sizeof field, "/settings/%s", name);
    return parley_errf(err, PARLEY_EINVAL, field, "%s %s", field, what);
}

static bool clean_string(json_t *v, size_t min, size_t max)
{
    if (!json_is_string(v)) return false;
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (n < min || n > max || strlen(s) != n) return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) return false;
    return true;
}

static int validate_settings(const json_t *settings, parley_err_t *err)
{
    if (!json_is_object(settings))
        return parley_errf(err, PARLEY_EINVAL, "/settings", "settings must be an object");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)settings, k, v)
    {
        if (!strcmp(k, "widget_token") || !strcmp(k, "identity_secret")) {
            if (!clean_string(v, WEB_MIN_TOKEN, WEB_MAX_TOKEN))
                return fail(err, k, "must be a string of 16 to 256 printable characters");
            for (const char *p = json_string_value(v); *p; p++)
                if (*p == ' ') return fail(err, k, "must not contain spaces");
        } else if (!strcmp(k, "allowed_origins")) {
            if (!json_is_array(v) || json_array_size(v) > WEB_MAX_ORIGINS)
                return fail(err, k, "must be an array of at most 64 origins");
            size_t i;
            json_t *o;
            json_array_foreach(v, i, o)
            {
                char canon[300];
                if (!json_is_string(o) || !clean_string(o, 1, 280) ||
                    !origin_canonical(json_string_value(o), canon, sizeof canon)) {
                    char field[96];
                    snprintf(field, sizeof field, "/settings/allowed_origins/%zu", i);
                    return parley_errf(err, PARLEY_EINVAL, field,
                                       "%s must be an origin like \"https://shop.example.com\" "
                                       "(scheme, host, optional port; no path)",
                                       field);
                }
            }
        } else if (!strcmp(k, "greeting")) {
            if (!json_is_string(v) || json_string_length(v) > WEB_MAX_GREETING ||
                strlen(json_string_value(v)) != json_string_length(v))
                return fail(err, k, "must be a string of at most 500 bytes");
        } else if (!strcmp(k, "color")) {
            const char *s = json_string_value(v);
            bool ok = s && strlen(s) == 7 && s[0] == '#';
            for (int i = 1; ok && i < 7; i++) ok = isxdigit((unsigned char)s[i]);
            if (!ok) return fail(err, k, "must be a colour like \"#1f6feb\"");
        } else {
            char field[96];
            snprintf(field, sizeof field, "/settings/%s", k);
            return parley_errf(err, PARLEY_EINVAL, field,
                               "%s is not a setting of the web channel (widget_token, "
                               "allowed_origins, identity_secret, greeting, color)",
                               field);
        }
    }
    if (!json_object_get(settings, "widget_token"))
        return parley_errf(err, PARLEY_EINVAL, "/settings/widget_token",
                           "/settings/widget_token is required");
    return 0;
}

/* Visitors write through /widget/{inbox_id}/messages, never the webhook door. */
static int verify(const json_t *settings, const ch_request_t *req, parley_err_t *err)
{
    return parley_errf(err, PARLEY_EAUTH, "",
                       "a web inbox takes messages at /widget/{inbox_id}/messages, not here");
}

static int parse(const json_t *settings, const ch_request_t *req, arena_t *a, ch_batch_t *out,
                 parley_err_t *err)
{
    out->n = out->unhandled = 0;
    return parley_errf(err, PARLEY_EINVAL, "", "a web inbox takes no webhooks");
}

/* The visitor's browser reads replies (GET or the stream): nothing to send. */
static int format_send(const json_t *settings, const ch_outbound_t *msg, arena_t *a,
                       ch_http_call_t *call, parley_err_t *err)
{
    return PARLEY_ENOENT;
}

static int parse_send_result(long status, const char *body, size_t len, char *ext_id, size_t cap,
                             bool *retry, parley_err_t *err)
{
    *retry = false;
    return parley_errf(err, PARLEY_EIO, "", "the web channel sends nothing");
}

const channel_ops_t channel_web = {
    .name = "web",
    .validate_settings = validate_settings,
    .handshake = NULL,
    .verify = verify,
    .parse = parse,
    .format_send = format_send,
    .parse_send_result = parse_send_result,
};
