/*
 * json.c - bounded parsing and validating field readers.
 */
#include "core/json.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int json_nesting_depth(const char *text, size_t len)
{
    int depth = 0, max = 0;
    bool in_str = false, esc = false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_str) {
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                in_str = false;
            continue;
        }
        if (c == '"')
            in_str = true;
        else if (c == '[' || c == '{') {
            if (++depth > max) max = depth;
        } else if (c == ']' || c == '}')
            depth--;
    }
    return max;
}

static bool strings_within(const json_t *v, size_t max, int budget)
{
    if (budget < 0) return false;
    switch (json_typeof(v)) {
    case JSON_STRING: return json_string_length(v) <= max;
    case JSON_OBJECT: {
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x)
        {
            if (strlen(k) > max || !strings_within(x, max, budget - 1)) return false;
        }
        return true;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
        {
            if (!strings_within(x, max, budget - 1)) return false;
        }
        return true;
    }
    default: return true;
    }
}

int json_parse_limited(const char *text, size_t len, const json_limits_t *lim, json_t **out,
                       parley_err_t *err)
{
    int max_depth = lim && lim->max_depth ? lim->max_depth : 32;
    size_t max_string = lim && lim->max_string ? lim->max_string : 65536;
    *out = NULL;
    if (len == 0) return parley_errf(err, PARLEY_EINVAL, "", "the request body is empty");
    if (json_nesting_depth(text, len) > max_depth)
        return parley_errf(err, PARLEY_ELIMIT, "", "JSON nested deeper than %d levels", max_depth);
    json_error_t je;
    json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!v)
        return parley_errf(err, PARLEY_EINVAL, "", "malformed JSON at line %d column %d: %s",
                           je.line, je.column, je.text);
    if (!json_is_object(v)) {
        json_decref(v);
        return parley_errf(err, PARLEY_EINVAL, "", "the body must be a JSON object");
    }
    if (!strings_within(v, max_string, max_depth + 1)) {
        json_decref(v);
        return parley_errf(err, PARLEY_ELIMIT, "", "a string is longer than %zu bytes", max_string);
    }
    *out = v;
    return 0;
}

void json_check_fail(json_check_t *c, const char *pointer, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!c->errors) c->errors = json_array();
    json_array_append_new(c->errors, json_pack("{s:s, s:s}", "pointer", pointer, "detail", msg));
}

void json_check_free(json_check_t *c)
{
    json_decref(c->errors);
    c->errors = NULL;
}

int json_check_to_err(json_check_t *c, parley_err_t *err)
{
    if (json_check_ok(c)) return 0;
    json_t *e = json_array_get(c->errors, 0);
    parley_errf(err, PARLEY_EINVAL, json_string_value(json_object_get(e, "pointer")), "%s",
                json_string_value(json_object_get(e, "detail")));
    json_check_free(c);
    return PARLEY_EINVAL;
}

static void pointer_of(char *out, size_t cap, const char *key)
{
    /* RFC 6901: '~' -> "~0", '/' -> "~1". */
    size_t o = 0;
    if (cap) out[o++] = '/';
    for (const char *p = key; *p && o + 3 < cap; p++) {
        if (*p == '~') {
            out[o++] = '~';
            out[o++] = '0';
        } else if (*p == '/') {
            out[o++] = '~';
            out[o++] = '1';
        } else
            out[o++] = *p;
    }
    out[o < cap ? o : cap - 1] = '\0';
}

const char *json_get_string(json_check_t *c, json_t *obj, const char *key, bool required,
                            size_t min, size_t max)
{
    char ptr[128];
    pointer_of(ptr, sizeof ptr, key);
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        if (required) json_check_fail(c, ptr, "%s is required", key);
        return NULL;
    }
    if (!json_is_string(v)) {
        json_check_fail(c, ptr, "%s must be a string", key);
        return NULL;
    }
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (memchr(s, '\0', n)) {
        json_check_fail(c, ptr, "%s must not contain NUL characters", key);
        return NULL;
    }
    if (n < min) {
        json_check_fail(c, ptr, min == 1 ? "%s must not be empty" : "%s is shorter than %zu bytes",
                        key, min);
        return NULL;
    }
    if (n > max) {
        json_check_fail(c, ptr, "%s is longer than %zu bytes", key, max);
        return NULL;
    }
    return s;
}

int64_t json_get_int(json_check_t *c, json_t *obj, const char *key, bool required, int64_t min,
                     int64_t max, int64_t def)
{
    char ptr[128];
    pointer_of(ptr, sizeof ptr, key);
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        if (required) json_check_fail(c, ptr, "%s is required", key);
        return def;
    }
    if (!json_is_integer(v)) {
        json_check_fail(c, ptr, "%s must be an integer", key);
        return def;
    }
    json_int_t n = json_integer_value(v);
    if (n < min || n > max) {
        json_check_fail(c, ptr, "%s must be between %lld and %lld", key, (long long)min,
                        (long long)max);
        return def;
    }
    return n;
}

bool json_get_bool(json_check_t *c, json_t *obj, const char *key, bool def)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) return def;
    if (!json_is_boolean(v)) {
        char ptr[128];
        pointer_of(ptr, sizeof ptr, key);
        json_check_fail(c, ptr, "%s must be true or false", key);
        return def;
    }
    return json_is_true(v);
}

int json_get_enum(json_check_t *c, json_t *obj, const char *key, bool required,
                  const char *const *choices)
{
    const char *s = json_get_string(c, obj, key, required, 1, 64);
    if (!s) return -1;
    for (int i = 0; choices[i]; i++)
        if (strcmp(s, choices[i]) == 0) return i;
    char ptr[128], list[256] = "";
    pointer_of(ptr, sizeof ptr, key);
    for (int i = 0; choices[i]; i++) {
        strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
        strncat(list, choices[i], sizeof list - strlen(list) - 1);
    }
    json_check_fail(c, ptr, "%s must be one of: %s", key, list);
    return -1;
}

void json_check_known(json_check_t *c, json_t *obj, const char *const *allowed)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        bool ok = false;
        for (int i = 0; allowed[i] && !ok; i++) ok = strcmp(k, allowed[i]) == 0;
        if (!ok) {
            char ptr[128];
            pointer_of(ptr, sizeof ptr, k);
            json_check_fail(c, ptr, "unknown field");
        }
    }
}

/* ---- compact output with sorted keys ------------------------------------------- */

/* Every stored event payload goes through this (a fifth of the writer's time
 * in jansson's json_dump_callback: a callback per fragment, printf for
 * numbers, a key array allocated per object). The output is byte for byte
 * jansson's with JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY (test_core
 * compares them on random trees): the same escapes (\b \f \n \r \t, other
 * controls as \u00XX in capitals, UTF-8 as it is, "/" and DEL unescaped), the
 * same reals ("%.17g", ".0" added to an integral value, the exponent without
 * "+" or leading zeros). */

static void dump_string(buf_t *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    buf_putc(b, '"');
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        buf_append(b, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': buf_append(b, "\\\"", 2); break;
        case '\\': buf_append(b, "\\\\", 2); break;
        case '\b': buf_append(b, "\\b", 2); break;
        case '\f': buf_append(b, "\\f", 2); break;
        case '\n': buf_append(b, "\\n", 2); break;
        case '\r': buf_append(b, "\\r", 2); break;
        case '\t': buf_append(b, "\\t", 2); break;
        default: {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            buf_append(b, e, 6);
        }
        }
    }
    buf_append(b, s + run, len - run);
    buf_putc(b, '"');
}

static void dump_real(buf_t *b, double v)
{
    char t[64];
    int n = snprintf(t, sizeof t - 3, "%.17g", v);
    if (n < 0 || n >= (int)sizeof t - 3) return;
    if (!strpbrk(t, ".eE")) { /* integral: read back as a real */
        t[n++] = '.';
        t[n++] = '0';
        t[n] = '\0';
    }
    char *e = strchr(t, 'e');
    if (e) { /* "1e+05" -> "1e5", "1e-05" -> "1e-5" */
        char *start = e + 1, *end = start + 1;
        if (*start == '-') start++;
        while (*end == '0') end++;
        if (end != start) {
            memmove(start, end, (size_t)(t + n + 1 - end));
            n -= (int)(end - start);
        }
    }
    buf_append(b, t, (size_t)n);
}

typedef struct {
    const char *key;
    json_t *value;
} member_t;

static int cmp_member(const void *a, const void *b)
{
    return strcmp(((const member_t *)a)->key, ((const member_t *)b)->key);
}

static void dump_value(buf_t *b, const json_t *v, int depth);

static void dump_object(buf_t *b, const json_t *v, int depth)
{
    size_t n = json_object_size(v), i = 0;
    member_t local[32], *m = n <= 32 ? local : malloc(sizeof *m * n);
    if (!m) return;
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)v, k, x)
    {
        if (i == n) break;
        m[i++] = (member_t){k, x};
    }
    n = i;
    for (i = 1; i < n && n <= 32; i++) /* insertion sort: objects are small */
        for (size_t j = i; j > 0 && strcmp(m[j - 1].key, m[j].key) > 0; j--) {
            member_t t = m[j];
            m[j] = m[j - 1];
            m[j - 1] = t;
        }
    if (n > 32) qsort(m, n, sizeof *m, cmp_member);
    buf_putc(b, '{');
    for (i = 0; i < n; i++) {
        if (i) buf_putc(b, ',');
        dump_string(b, m[i].key, strlen(m[i].key));
        buf_putc(b, ':');
        dump_value(b, m[i].value, depth + 1);
    }
    buf_putc(b, '}');
    if (m != local) free(m);
}

static void dump_value(buf_t *b, const json_t *v, int depth)
{
    if (!v || depth > 2048) { /* jansson refuses deeper trees too */
        buf_puts(b, "null");
        return;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT: dump_object(b, v, depth); break;
    case JSON_ARRAY:
        buf_putc(b, '[');
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i) buf_putc(b, ',');
            dump_value(b, json_array_get(v, i), depth + 1);
        }
        buf_putc(b, ']');
        break;
    case JSON_STRING: dump_string(b, json_string_value(v), json_string_length(v)); break;
    case JSON_INTEGER: buf_put_int(b, json_integer_value(v)); break;
    case JSON_REAL: dump_real(b, json_real_value(v)); break;
    case JSON_TRUE: buf_append(b, "true", 4); break;
    case JSON_FALSE: buf_append(b, "false", 5); break;
    default: buf_append(b, "null", 4); break;
    }
}

void json_dump_to(buf_t *b, const json_t *v)
{
    dump_value(b, v, 0);
}
