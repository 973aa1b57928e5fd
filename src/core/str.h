/*
 * str.h - length-carrying string views and a growable output buffer.
 *
 * Views ({ptr, len}) are how network data moves around: nobody calls strlen on
 * bytes that came from outside. buf_t grows as needed and keeps a sticky
 * error (set when a configured limit is passed) checked once at the end.
 */
#ifndef PARLEY_CORE_STR_H
#define PARLEY_CORE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    const char *ptr;
    size_t len;
} str_t;

#define STR_LIT(s) ((str_t){(s), sizeof(s) - 1})
#define STR_NULL   ((str_t){NULL, 0})

static inline str_t str_from(const char *s)
{
    return (str_t){s, s ? strlen(s) : 0};
}

static inline bool str_eq(str_t a, str_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static inline bool str_eq_cstr(str_t a, const char *b)
{
    return str_eq(a, str_from(b));
}

bool str_starts_with(str_t s, str_t prefix);
/* Case-insensitive ASCII comparison. */
bool str_ieq(str_t a, str_t b);
/* Splits s at the first c: head before it, s becomes the rest (empty if absent).
 * Returns false when c does not occur (head is then all of s). */
bool str_split_at(str_t *s, char c, str_t *head);
str_t str_trim(str_t s);
/* Parses a whole decimal integer (optional '-'); false on anything else or overflow. */
bool str_to_i64(str_t s, long long *out);

typedef struct {
    char *ptr;
    size_t len, cap;
    size_t limit;  /* 0 = unlimited */
    bool overflow; /* sticky: a write would have passed limit */
} buf_t;

void buf_init(buf_t *b, size_t limit);
void buf_free(buf_t *b);
void buf_reset(buf_t *b);
void buf_append(buf_t *b, const void *p, size_t n);
void buf_puts(buf_t *b, const char *s);
void buf_putc(buf_t *b, char c);
/* An integer in decimal (no printf: the reports and event payloads write many). */
void buf_put_int(buf_t *b, int64_t v);
void buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* NUL-terminated contents (always valid, even when empty). */
const char *buf_cstr(buf_t *b);
/* Hands the memory to the caller (free() it) and leaves b empty. */
char *buf_detach(buf_t *b, size_t *len);

#endif
