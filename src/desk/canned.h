/*
 * canned.h - the template language of canned responses: {{variable}} slots.
 *
 * Pure functions over a template's bytes: no I/O, no store, no global state.
 * A slot is "{{", optional blanks (space, tab), a name of [A-Za-z0-9_.]
 * (1..CANNED_NAME_MAX bytes), optional blanks, "}}". Everything else is
 * literal text. There is no escape: a "{{" that does not open a valid slot is
 * an error, so a customer never receives stray braces.
 */
#ifndef PARLEY_DESK_CANNED_H
#define PARLEY_DESK_CANNED_H

#include <stddef.h>

#include "core/error.h"
#include "core/str.h"

#define CANNED_NAME_MAX 64

/* The variables a canned response may use (NULL-terminated). */
extern const char *const canned_variables[];

/* Looks a variable up: 0 with *value set (possibly empty), PARLEY_ENOENT
 * when the name is unknown; any other code is passed through. */
typedef int (*canned_lookup_fn)(void *ctx, str_t name, str_t *value);

/* Checks the syntax of tpl[0..len) and that every variable is one of known
 * (NULL-terminated; NULL means canned_variables). Returns 0, or PARLEY_EINVAL
 * with err naming the first fault (a malformed or unclosed slot, an unknown
 * name) and where it is (a 1-based character position). */
int canned_check(const char *tpl, size_t len, const char *const *known, parley_err_t *err);

/* Appends tpl[0..len) to out with every slot replaced by its value, in one
 * pass (a value is never expanded again). Returns 0; PARLEY_EINVAL for a
 * syntax fault or an unknown variable; PARLEY_ENOENT for a known variable
 * whose value is empty or blank (so no agent sends "Hi ,"); the lookup's own
 * code otherwise. On error err names the variable and out holds a partial
 * text the caller must discard. */
int canned_render(const char *tpl, size_t len, canned_lookup_fn lookup, void *ctx, buf_t *out,
                  parley_err_t *err);

#endif
