/*
 * canned.c - parsing and filling {{variable}} slots of canned responses.
 *
 * Owns the slot grammar and its error messages. One scanner serves both the
 * check (at save time) and the render (at send time), so a template that
 * passed the check can only fail to render for want of a value.
 */
#include "desk/canned.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

const char *const canned_variables[] = {
    "contact.name", "contact.first_name", "agent.name", "conversation.id", "inbox.name", NULL,
};

typedef struct {
    size_t start, end; /* the slot is tpl[start..end), braces included */
    str_t name;
} slot_t;

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.';
}

/* The 1-based character (not byte) position of tpl[pos], for messages. */
static size_t char_pos(const char *tpl, size_t pos)
{
    size_t n = 1;
    for (size_t i = 0; i < pos; i++) n += ((unsigned char)tpl[i] & 0xC0) != 0x80;
    return n;
}

/* Finds the first slot at or after `from`: 1 with *s, 0 when there is none,
 * PARLEY_EINVAL (with err) when a "{{" opens no valid slot. Each "}}" search
 * starts after the previous slot, so a whole template scans in linear time. */
static int next_slot(const char *tpl, size_t len, size_t from, slot_t *s, parley_err_t *err)
{
    if (from >= len) return 0;
    const char *open = memmem(tpl + from, len - from, "{{", 2);
    if (!open) return 0;
    size_t i = (size_t)(open - tpl);
    const char *close = memmem(tpl + i + 2, len - i - 2, "}}", 2);
    if (!close)
        return parley_errf(err, PARLEY_EINVAL, "",
                           "\"{{\" at character %zu is never closed by \"}}\"", char_pos(tpl, i));
    size_t a = i + 2, b = (size_t)(close - tpl);
    while (a < b && is_blank(tpl[a])) a++;
    while (b > a && is_blank(tpl[b - 1])) b--;
    if (a == b)
        return parley_errf(err, PARLEY_EINVAL, "", "empty variable at character %zu",
                           char_pos(tpl, i));
    for (size_t k = a; k < b; k++)
        if (!is_name_char(tpl[k]))
            return parley_errf(err, PARLEY_EINVAL, "",
                               "malformed variable at character %zu: a name is letters, digits, "
                               "'_' and '.' between \"{{\" and \"}}\"",
                               char_pos(tpl, i));
    if (b - a > CANNED_NAME_MAX)
        return parley_errf(err, PARLEY_EINVAL, "",
                           "variable at character %zu is longer than %d characters",
                           char_pos(tpl, i), CANNED_NAME_MAX);
    s->start = i;
    s->end = (size_t)(close - tpl) + 2;
    s->name = (str_t){tpl + a, b - a};
    return 1;
}

static bool is_known(str_t name, const char *const *known)
{
    for (int i = 0; known[i]; i++)
        if (str_eq_cstr(name, known[i])) return true;
    return false;
}

static int unknown(const char *tpl, const slot_t *s, const char *const *known, parley_err_t *err)
{
    char list[200] = "";
    size_t o = 0;
    for (int i = 0; known && known[i] && o < sizeof list; i++) {
        int w = snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "", known[i]);
        if (w < 0) break;
        o += (size_t)w;
    }
    /* The name is made of [A-Za-z0-9_.] only: safe to quote in any message. */
    if (known)
        return parley_errf(err, PARLEY_EINVAL, "",
                           "unknown variable {{%.*s}} at character %zu; known: %s",
                           (int)s->name.len, s->name.ptr, char_pos(tpl, s->start), list);
    return parley_errf(err, PARLEY_EINVAL, "", "unknown variable {{%.*s}} at character %zu",
                       (int)s->name.len, s->name.ptr, char_pos(tpl, s->start));
}

int canned_check(const char *tpl, size_t len, const char *const *known, parley_err_t *err)
{
    if (!known) known = canned_variables;
    slot_t s;
    size_t pos = 0;
    int rc;
    while ((rc = next_slot(tpl, len, pos, &s, err)) == 1) {
        if (!is_known(s.name, known)) return unknown(tpl, &s, known, err);
        pos = s.end;
    }
    return rc;
}

static bool is_blank_value(str_t v)
{
    for (size_t i = 0; i < v.len; i++)
        if (!is_blank(v.ptr[i]) && v.ptr[i] != '\n' && v.ptr[i] != '\r') return false;
    return true;
}

int canned_render(const char *tpl, size_t len, canned_lookup_fn lookup, void *ctx, buf_t *out,
                  parley_err_t *err)
{
    slot_t s;
    size_t pos = 0;
    int rc;
    while ((rc = next_slot(tpl, len, pos, &s, err)) == 1) {
        buf_append(out, tpl + pos, s.start - pos);
        str_t value = STR_NULL;
        rc = lookup(ctx, s.name, &value);
        if (rc == PARLEY_ENOENT) return unknown(tpl, &s, NULL, err);
        if (rc)
            return parley_errf(err, rc, "", "{{%.*s}} could not be read", (int)s.name.len,
                               s.name.ptr);
        if (!value.ptr || is_blank_value(value))
            return parley_errf(err, PARLEY_ENOENT, "",
                               "{{%.*s}} has no value here, so the text would read wrong; "
                               "fill it in or edit the reply by hand",
                               (int)s.name.len, s.name.ptr);
        buf_append(out, value.ptr, value.len);
        pos = s.end;
    }
    if (rc) return rc;
    if (pos < len) buf_append(out, tpl + pos, len - pos);
    return 0;
}
