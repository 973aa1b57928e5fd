/*
 * common.c - the adapters' shared JSON reader, settings checks and call builders.
 */
#include "channels/common.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/crypto.h"
#include "core/json.h"

/* ---- JSON reader ---- */

static void append_escaped(buf_t *b, const char *key)
{
    for (const char *p = key; *p; p++) {
        if (*p == '~')
            buf_puts(b, "~0");
        else if (*p == '/')
            buf_puts(b, "~1");
        else
            buf_putc(b, *p);
    }
}

const char *ch__ptr(ch_rd_t *r, const char *ptr, const char *key)
{
    buf_t b;
    buf_init(&b, 0);
    buf_puts(&b, ptr ? ptr : "");
    buf_putc(&b, '/');
    append_escaped(&b, key);
    char *s = arena_strdup(r->a, buf_cstr(&b));
    buf_free(&b);
    return s;
}

const char *ch__ptr_i(ch_rd_t *r, const char *ptr, size_t i)
{
    return arena_sprintf(r->a, "%s/%zu", ptr ? ptr : "", i);
}

void *ch__fail(ch_rd_t *r, const char *pointer, const char *what)
{
    if (r->rc == 0) r->rc = parley_errf(r->err, PARLEY_EINVAL, pointer, "%s %s", pointer, what);
    return NULL;
}

static json_t *member(ch_rd_t *r, json_t *obj, const char *ptr, const char *key, bool required)
{
    if (r->rc) return NULL;
    json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    if (!v || json_is_null(v)) {
        if (required) ch__fail(r, ch__ptr(r, ptr, key), "is required");
        return NULL;
    }
    return v;
}

const char *ch__str(ch_rd_t *r, json_t *obj, const char *ptr, const char *key, bool required)
{
    json_t *v = member(r, obj, ptr, key, required);
    if (!v) return NULL;
    if (!json_is_string(v)) return ch__fail(r, ch__ptr(r, ptr, key), "must be a string");
    if (memchr(json_string_value(v), '\0', json_string_length(v)))
        return ch__fail(r, ch__ptr(r, ptr, key), "must not contain NUL characters");
    return json_string_value(v);
}

json_t *ch__obj(ch_rd_t *r, json_t *obj, const char *ptr, const char *key, bool required)
{
    json_t *v = member(r, obj, ptr, key, required);
    if (v && !json_is_object(v)) return ch__fail(r, ch__ptr(r, ptr, key), "must be an object");
    return v;
}

json_t *ch__arr(ch_rd_t *r, json_t *obj, const char *ptr, const char *key, bool required)
{
    json_t *v = member(r, obj, ptr, key, required);
    if (v && !json_is_array(v)) return ch__fail(r, ch__ptr(r, ptr, key), "must be an array");
    return v;
}

const char *ch__id(ch_rd_t *r, json_t *obj, const char *ptr, const char *key, bool required)
{
    json_t *v = member(r, obj, ptr, key, required);
    if (!v) return NULL;
    if (json_is_integer(v)) return arena_sprintf(r->a, "%lld", (long long)json_integer_value(v));
    const char *s = ch__str(r, obj, ptr, key, required);
    if (s && !*s) return ch__fail(r, ch__ptr(r, ptr, key), "must not be empty");
    return s;
}

int64_t ch__int(ch_rd_t *r, json_t *obj, const char *ptr, const char *key, bool required,
                int64_t def)
{
    json_t *v = member(r, obj, ptr, key, required);
    if (!v) return def;
    if (json_is_integer(v)) return json_integer_value(v);
    long long n;
    if (json_is_string(v) && str_to_i64((str_t){json_string_value(v), json_string_length(v)}, &n))
        return n;
    ch__fail(r, ch__ptr(r, ptr, key), "must be an integer");
    return def;
}

json_t *ch__elem_obj(ch_rd_t *r, json_t *arr, const char *ptr, size_t i)
{
    if (r->rc) return NULL;
    json_t *v = json_array_get(arr, i);
    if (!json_is_object(v)) return ch__fail(r, ch__ptr_i(r, ptr, i), "must be an object");
    return v;
}

static void release_json(void *p)
{
    json_decref(p);
}

int ch__parse_json(const ch_request_t *req, arena_t *a, json_t **out, parley_err_t *err)
{
    json_t *root;
    int rc = json_parse_limited(req->body.ptr, req->body.len, NULL, &root, err);
    if (rc) return rc == PARLEY_ELIMIT ? PARLEY_EINVAL : rc;
    arena_defer(a, release_json, root);
    *out = root;
    return 0;
}

/* ---- items ---- */

ch_item_t *ch__push(ch_rd_t *r, ch_batch_t *out, ch_item_kind_t kind)
{
    if (r->rc) return NULL;
    if (out->n >= CH_MAX_ITEMS) {
        r->rc = parley_errf(r->err, PARLEY_ELIMIT, "", "more than %d items in one delivery",
                            CH_MAX_ITEMS);
        return NULL;
    }
    ch_item_t *it = &out->items[out->n++];
    memset(it, 0, sizeof *it);
    it->kind = kind;
    it->body = "";
    it->author.followers = -1;
    return it;
}

void ch__attach(ch_item_t *it, const char *type, const char *url, const char *mime)
{
    if (it->n_attachments >= CH_MAX_ATTACHMENTS) return;
    ch_attachment_t *at = &it->attachments[it->n_attachments++];
    at->type = type;
    at->url = url;
    at->mime = mime;
}

const char *ch__type_from_mime(const char *mime)
{
    if (!mime) return "file";
    if (strncmp(mime, "image/", 6) == 0) return "image";
    if (strncmp(mime, "video/", 6) == 0) return "video";
    if (strncmp(mime, "audio/", 6) == 0) return "audio";
    return "file";
}

int64_t ch__ms(int64_t t)
{
    if (t <= 0) return 0;
    if (t < 100000000000LL) return t * 1000;
    return t;
}

/* ---- settings ---- */

static bool is_clean(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f) return false;
    return true;
}

int ch__validate(const json_t *settings, const ch_setting_t *specs, parley_err_t *err)
{
    if (!json_is_object(settings))
        return parley_errf(err, PARLEY_EINVAL, "/settings", "settings must be an object");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)settings, k, v)
    {
        const ch_setting_t *s = specs;
        while (s->name && strcmp(s->name, k) != 0) s++;
        char field[96];
        snprintf(field, sizeof field, "/settings/%s", k);
        if (!s->name) return parley_errf(err, PARLEY_EINVAL, field, "%s is not a setting", field);
        if (!json_is_string(v) || json_string_length(v) == 0)
            return parley_errf(err, PARLEY_EINVAL, field, "%s must be a non-empty string", field);
        const char *str = json_string_value(v);
        if (strlen(str) != json_string_length(v) || !is_clean(str))
            return parley_errf(err, PARLEY_EINVAL, field, "%s must not contain control characters",
                               field);
        if (s->url && strncmp(str, "https://", 8) != 0 && strncmp(str, "http://", 7) != 0)
            return parley_errf(err, PARLEY_EINVAL, field, "%s must be an http(s) URL", field);
    }
    for (const ch_setting_t *s = specs; s->name; s++) {
        if (!s->required || json_object_get(settings, s->name)) continue;
        char field[96];
        snprintf(field, sizeof field, "/settings/%s", s->name);
        return parley_errf(err, PARLEY_EINVAL, field, "%s is required", field);
    }
    return 0;
}

const char *ch__setting(const json_t *settings, const char *name)
{
    json_t *v = json_object_get(settings, name);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *ch__base_url(const json_t *settings, const char *name, const char *def, arena_t *a)
{
    const char *s = ch__setting(settings, name);
    if (!s || !*s) s = def;
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '/') n--;
    return arena_strndup(a, s, n);
}

/* ---- outbound calls ---- */

void ch__pct_encode(buf_t *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            buf_putc(b, (char)c);
        } else {
            buf_putc(b, '%');
            buf_putc(b, hex[c >> 4]);
            buf_putc(b, hex[c & 15]);
        }
    }
}

char *ch__pct(arena_t *a, const char *s)
{
    buf_t b;
    buf_init(&b, 0);
    ch__pct_encode(&b, s, strlen(s));
    char *out = arena_strdup(a, buf_cstr(&b));
    buf_free(&b);
    return out;
}

char *ch__dump(arena_t *a, json_t *v)
{
    if (!v) return NULL; /* json_pack refused a string: not valid UTF-8 */
    char *text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(v);
    if (!text) abort(); /* only on allocation failure, which aborts everywhere else too */
    char *out = arena_strdup(a, text);
    free(text);
    return out;
}

int ch__bad_text(parley_err_t *err)
{
    return parley_errf(err, PARLEY_EINVAL, "/body", "the message is not valid UTF-8");
}

void ch__header(ch_http_call_t *call, arena_t *a, const char *name, const char *value)
{
    assert(call->n_headers < CH_MAX_HEADERS);
    call->headers[call->n_headers++] = arena_sprintf(a, "%s: %s", name, value);
}

const char *ch__text_with_url(arena_t *a, const ch_outbound_t *msg)
{
    const char *body = msg->body ? msg->body : "";
    if (!msg->attachment_url || !*msg->attachment_url) return body;
    if (!*body) return msg->attachment_url;
    return arena_sprintf(a, "%s\n%s", body, msg->attachment_url);
}

/* ---- results ---- */

bool ch__retryable(long status)
{
    return status == 429 || (status >= 500 && status <= 599);
}

int ch__set_ext_id(char *ext_id, size_t cap, const char *s, parley_err_t *err)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0)
        return parley_errf(err, PARLEY_EIO, "", "the platform's answer carries no message id");
    if (n >= cap) return parley_errf(err, PARLEY_EIO, "", "the platform's message id is too long");
    memcpy(ext_id, s, n + 1);
    return 0;
}

json_t *ch__load_result(const char *body, size_t len)
{
    if (!body || len == 0) return NULL;
    json_t *v = json_loadb(body, len, 0, NULL);
    if (v && !json_is_object(v)) {
        json_decref(v);
        return NULL;
    }
    return v;
}

/* ---- signatures ---- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool ch__hmac_sha256_matches(const char *secret, str_t body, const char *given, bool hex)
{
    uint8_t mac[32];
    crypto_hmac_sha256(secret, strlen(secret), body.ptr, body.len, mac);
    if (hex) {
        /* decode the given hex (either case) and compare the bytes */
        uint8_t want[32];
        if (strlen(given) != 64) return false;
        for (int i = 0; i < 32; i++) {
            int hi = hexval(given[2 * i]), lo = hexval(given[2 * i + 1]);
            if (hi < 0 || lo < 0) return false;
            want[i] = (uint8_t)(hi << 4 | lo);
        }
        return crypto_equal(mac, sizeof mac, want, sizeof want);
    }
    char b64[64];
    size_t n = crypto_base64(mac, sizeof mac, b64, sizeof b64);
    return crypto_equal(b64, n, given, strlen(given));
}
