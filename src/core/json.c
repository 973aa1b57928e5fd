/*
 * json.c - bounded parsing and validating field readers.
 */
#include "core/json.h"

#include <stdarg.h>
#include <stdio.h>
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

static int dump_cb(const char *p, size_t n, void *data)
{
    buf_append(data, p, n);
    return 0;
}

void json_dump_to(buf_t *b, const json_t *v)
{
    json_dump_callback(v, dump_cb, b, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}
