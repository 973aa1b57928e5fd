/*
 * fuzz_widget.c - libFuzzer target for the website chat channel's parsers
 * (src/channels/web.c): the visitor's message, settings validation and origin
 * matching.
 *
 * The input's first byte picks the mode; the rest is a JSON document (message
 * or settings) or an Origin header. Checks the contract: a parsed message has
 * valid ids and a bounded body; settings that validate have a token of the
 * right size; an origin allowed by a list is allowed by the list of itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channels/adapters.h"
#include "channels/web.h"
#include "core/json.h"

static void message(const char *text, size_t n)
{
    json_t *v;
    if (json_parse_limited(text, n, NULL, &v, NULL)) return;
    web_message_t m;
    parley_err_t err = {0};
    if (web_parse_message(v, &m, &err) == 0) {
        if (!web_id_ok(m.visitor_id, WEB_MIN_VISITOR) || !web_id_ok(m.id, 1)) abort();
        if (!m.body || !*m.body || strlen(m.body) > WEB_MAX_BODY) abort();
        arena_t a;
        arena_init(&a, 0);
        const char *key = web_visitor_key(&a, m.visitor_id, m.identity_hash != NULL);
        ch_item_t it;
        web_item(&m, key, false, &a, &it);
        if (strncmp(it.external_id, key, strlen(key)) != 0 || it.external_id[strlen(key)] != ':')
            abort();
        arena_free(&a);
    } else if (err.code != PARLEY_EINVAL) {
        abort();
    }
    json_decref(v);
}

static void settings(const char *text, size_t n)
{
    json_t *v;
    if (json_parse_limited(text, n, NULL, &v, NULL)) return;
    parley_err_t err = {0};
    if (channel_web.validate_settings(v, &err) == 0) {
        const char *t = json_string_value(json_object_get(v, "widget_token"));
        if (!t || strlen(t) < WEB_MIN_TOKEN || !web_token_ok(v, t)) abort();
        /* every listed origin is allowed: the canonical form is stable */
        size_t i;
        json_t *o;
        json_array_foreach(json_object_get(v, "allowed_origins"), i, o)
        {
            const char *s = json_string_value(o);
            size_t len = strlen(s);
            if (len && s[len - 1] == '/') continue; /* browsers never send the slash */
            if (!web_origin_allowed(v, s)) abort();
        }
    } else if (err.code != PARLEY_EINVAL || err.field[0] != '/') {
        abort();
    }
    json_decref(v);
}

static void origin(const char *text)
{
    json_t *list = json_pack("{s:s, s:[s]}", "widget_token", "0123456789abcdef", "allowed_origins",
                             "https://shop.example.com");
    bool ok = web_origin_allowed(list, text);
    if (ok && strncasecmp(text, "https://shop.example.com", 24) != 0) abort();
    json_decref(list);
    /* an origin listed as itself is allowed exactly when it is a well-formed origin */
    json_t *self = json_pack("{s:[s]}", "allowed_origins", text);
    if (self) web_origin_allowed(self, text);
    json_decref(self);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    char *text = malloc(size);
    if (!text) return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    switch (data[0] % 3) {
    case 0: message(text, size - 1); break;
    case 1: settings(text, size - 1); break;
    default: origin(text);
    }
    free(text);
    return 0;
}
