/*
 * fuzz_canned.c - libFuzzer target for the canned-response template language.
 *
 * Checks and renders arbitrary bytes and holds the engine to its contract:
 * check and render agree (a template that passes the check renders when every
 * variable has a value, and one that fails it never renders); a rendered text
 * never carries "{{" when the values carry no braces; rendering is
 * deterministic; an empty value is reported, never sent; error messages stay
 * ASCII (they end up in JSON). Any violation aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "desk/canned.h"

typedef struct {
    const char *empty_name; /* this variable has an empty value; NULL = none */
} fuzz_vars_t;

static int lookup(void *p, str_t name, str_t *value)
{
    const fuzz_vars_t *v = p;
    for (int i = 0; canned_variables[i]; i++) {
        if (!str_eq_cstr(name, canned_variables[i])) continue;
        if (v->empty_name && str_eq_cstr(name, v->empty_name))
            *value = STR_LIT("");
        else
            *value = STR_LIT("Value 1");
        return 0;
    }
    return PARLEY_ENOENT;
}

static void check_message(const parley_err_t *e)
{
    for (const char *p = e->msg; *p; p++)
        if ((unsigned char)*p >= 0x80) abort();
    if (e->msg[0] == '\0') abort(); /* every error says something */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy so ASan catches any read past size */
    char *tpl = malloc(size ? size : 1);
    if (!tpl) return 0;
    if (size) memcpy(tpl, data, size);

    parley_err_t e = {0};
    int checked = canned_check(tpl, size, NULL, &e);
    if (checked != 0 && checked != PARLEY_EINVAL) abort();
    if (checked) check_message(&e);

    fuzz_vars_t all = {NULL};
    buf_t a, b;
    buf_init(&a, 0);
    buf_init(&b, 0);
    parley_err_t ea = {0}, eb = {0};
    int ra = canned_render(tpl, size, lookup, &all, &a, &ea);
    int rb = canned_render(tpl, size, lookup, &all, &b, &eb);
    if (ra != rb) abort();
    if ((checked == 0) != (ra == 0)) abort(); /* check and render agree */
    if (ra == 0) {
        if (a.len != b.len || (a.len && memcmp(a.ptr, b.ptr, a.len) != 0)) abort();
        if (a.len >= 2 && memmem(a.ptr, a.len, "{{", 2)) abort();
    } else {
        if (ra != PARLEY_EINVAL) abort();
        check_message(&ea);
        if (strcmp(ea.msg, eb.msg) != 0) abort();
    }

    /* with contact.name empty: either it is not used, or the render says so */
    fuzz_vars_t empty = {"contact.name"};
    buf_reset(&a);
    memset(&ea, 0, sizeof ea);
    int re = canned_render(tpl, size, lookup, &empty, &a, &ea);
    if (checked == 0 && re != 0 && re != PARLEY_ENOENT) abort();
    if (checked != 0 && re == 0) abort();
    if (re == PARLEY_ENOENT && !strstr(ea.msg, "{{contact.name}}")) abort();
    if (re) check_message(&ea);

    buf_free(&a);
    buf_free(&b);
    free(tpl);
    return 0;
}
