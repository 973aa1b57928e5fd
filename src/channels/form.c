/*
 * form.c - decoding of application/x-www-form-urlencoded bodies.
 */
#include "channels/form.h"

#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool form_decode(const char *src, size_t len, char *dst, size_t *dst_len)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (c == '+') {
            dst[o++] = ' ';
        } else if (c == '%') {
            if (len - i < 3) return false;
            int hi = hexval(src[i + 1]), lo = hexval(src[i + 2]);
            if (hi < 0 || lo < 0) return false;
            dst[o++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            dst[o++] = c;
        }
    }
    dst[o] = '\0';
    *dst_len = o;
    return true;
}

static bool decode_into(arena_t *a, const char *p, size_t n, str_t *out)
{
    char *d = arena_alloc(a, n + 1);
    size_t dl;
    if (!form_decode(p, n, d, &dl)) return false;
    *out = (str_t){d, dl};
    return true;
}

int form_parse(str_t body, arena_t *a, form_t *out, parley_err_t *err)
{
    out->pairs = NULL;
    out->n = 0;
    size_t count = 0;
    for (size_t i = 0; i < body.len; i++)
        if (body.ptr[i] == '&') count++;
    if (count + 1 > FORM_MAX_PAIRS)
        return parley_errf(err, PARLEY_ELIMIT, "", "more than %d form fields", FORM_MAX_PAIRS);
    out->pairs = arena_alloc(a, (count + 1) * sizeof *out->pairs);

    str_t rest = body;
    while (rest.len > 0) {
        str_t seg;
        str_split_at(&rest, '&', &seg);
        if (seg.len == 0) continue;
        const char *eq = memchr(seg.ptr, '=', seg.len);
        size_t nl = eq ? (size_t)(eq - seg.ptr) : seg.len;
        form_pair_t *p = &out->pairs[out->n];
        if (!decode_into(a, seg.ptr, nl, &p->name) ||
            !decode_into(a, eq ? eq + 1 : seg.ptr + seg.len, eq ? seg.len - nl - 1 : 0, &p->value))
            return parley_errf(err, PARLEY_EINVAL, "", "malformed %%-escape in form field %zu",
                               out->n + 1);
        out->n++;
    }
    return 0;
}

const char *form_get(const form_t *f, const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < f->n; i++)
        if (f->pairs[i].name.len == nl && memcmp(f->pairs[i].name.ptr, name, nl) == 0)
            return f->pairs[i].value.ptr;
    return NULL;
}
