/*
 * str.c - views and buffers.
 */
#include "core/str.h"
#include "core/mem.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

bool str_starts_with(str_t s, str_t prefix)
{
    return s.len >= prefix.len && (prefix.len == 0 || memcmp(s.ptr, prefix.ptr, prefix.len) == 0);
}

bool str_ieq(str_t a, str_t b)
{
    if (a.len != b.len) return false;
    for (size_t i = 0; i < a.len; i++)
        if (tolower((unsigned char)a.ptr[i]) != tolower((unsigned char)b.ptr[i])) return false;
    return true;
}

bool str_split_at(str_t *s, char c, str_t *head)
{
    const char *p = s->len ? memchr(s->ptr, c, s->len) : NULL;
    if (!p) {
        *head = *s;
        *s = (str_t){s->ptr + s->len, 0};
        return false;
    }
    *head = (str_t){s->ptr, (size_t)(p - s->ptr)};
    s->len -= head->len + 1;
    s->ptr = p + 1;
    return true;
}

str_t str_trim(str_t s)
{
    while (s.len && isspace((unsigned char)s.ptr[0])) s.ptr++, s.len--;
    while (s.len && isspace((unsigned char)s.ptr[s.len - 1])) s.len--;
    return s;
}

bool str_to_i64(str_t s, long long *out)
{
    if (s.len == 0 || s.len > 20) return false;
    size_t i = 0;
    bool neg = false;
    if (s.ptr[0] == '-') {
        neg = true;
        i = 1;
        if (s.len == 1) return false;
    }
    unsigned long long v = 0;
    for (; i < s.len; i++) {
        if (s.ptr[i] < '0' || s.ptr[i] > '9') return false;
        unsigned d = (unsigned)(s.ptr[i] - '0');
        if (v > (ULLONG_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    if (!neg && v > (unsigned long long)LLONG_MAX) return false;
    if (neg && v > (unsigned long long)LLONG_MAX + 1) return false;
    *out = neg ? (long long)(0 - v) : (long long)v;
    return true;
}

void buf_init(buf_t *b, size_t limit)
{
    b->ptr = NULL;
    b->len = b->cap = 0;
    b->limit = limit;
    b->overflow = false;
}

void buf_free(buf_t *b)
{
    free(b->ptr);
    buf_init(b, b->limit);
}

void buf_reset(buf_t *b)
{
    b->len = 0;
    b->overflow = false;
    if (b->ptr) b->ptr[0] = '\0';
}

static bool reserve(buf_t *b, size_t n)
{
    if (b->overflow) return false;
    if (b->limit && b->len + n > b->limit) {
        b->overflow = true;
        return false;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        b->ptr = xrealloc(b->ptr, cap);
        b->cap = cap;
    }
    return true;
}

void buf_append(buf_t *b, const void *p, size_t n)
{
    if (!reserve(b, n)) return;
    if (n) memcpy(b->ptr + b->len, p, n);
    b->len += n;
    b->ptr[b->len] = '\0';
}

void buf_puts(buf_t *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

void buf_putc(buf_t *b, char c)
{
    buf_append(b, &c, 1);
}

void buf_put_int(buf_t *b, int64_t v)
{
    char t[24];
    int n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do t[sizeof t - 1 - n++] = (char)('0' + u % 10);
    while ((u /= 10) && n < 20);
    if (v < 0) t[sizeof t - 1 - n++] = '-';
    buf_append(b, t + sizeof t - n, (size_t)n);
}

void buf_printf(buf_t *b, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        va_end(ap2);
        return;
    }
    if ((size_t)n < sizeof small) {
        buf_append(b, small, (size_t)n);
    } else if (reserve(b, (size_t)n)) {
        vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
}

const char *buf_cstr(buf_t *b)
{
    return b->ptr ? b->ptr : "";
}

char *buf_detach(buf_t *b, size_t *len)
{
    char *p = b->ptr ? b->ptr : xstrdup("");
    if (len) *len = b->len;
    b->ptr = NULL;
    b->len = b->cap = 0;
    return p;
}
