/*
 * form.h - application/x-www-form-urlencoded bodies (Twilio's webhooks).
 *
 * Owns decoding a form body into name/value pairs ('+' is a space, %XX a
 * byte) and nothing else: no signature logic, no knowledge of which names a
 * platform sends. Decoded strings live in the caller's arena, NUL-terminated,
 * with their length (a value may contain %00).
 */
#ifndef PARLEY_CHANNELS_FORM_H
#define PARLEY_CHANNELS_FORM_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"

#define FORM_MAX_PAIRS 512

typedef struct {
    str_t name;
    str_t value;
} form_pair_t;

typedef struct {
    form_pair_t *pairs; /* in body order */
    size_t n;
} form_t;

/* Decodes body into out (strings in a): 0, or PARLEY_EINVAL for a malformed
 * escape (a '%' not followed by two hex digits) and PARLEY_ELIMIT for more
 * than FORM_MAX_PAIRS pairs. Empty segments ("a=1&&b=2") are skipped; a
 * segment without '=' is a name with an empty value. */
int form_parse(str_t body, arena_t *a, form_t *out, parley_err_t *err);

/* The first value named name, or NULL when absent. */
const char *form_get(const form_t *f, const char *name);

/* Decodes one component; returns false on a malformed escape. dst holds len+1. */
bool form_decode(const char *src, size_t len, char *dst, size_t *dst_len);

#endif
