/*
 * json.h - JSON helpers over jansson: bounded parsing and field validation.
 *
 * Parsing input from outside goes through json_parse_limited, which refuses
 * bodies nested too deep or carrying strings too long before any handler sees
 * them. Field readers collect every invalid field (with its JSON pointer) into
 * a json_check_t, so one problem response can list them all.
 */
#ifndef PARLEY_CORE_JSON_H
#define PARLEY_CORE_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/str.h"

typedef struct {
    int max_depth;     /* nesting of arrays/objects, default 32 */
    size_t max_string; /* bytes in any one string, default 64 KiB */
} json_limits_t;

/* Maximum nesting depth of text[0..len) counted outside strings (no full parse). */
int json_nesting_depth(const char *text, size_t len);
/* Parses text as a JSON object within the limits; 0, or PARLEY_EINVAL / PARLEY_ELIMIT with err. */
int json_parse_limited(const char *text, size_t len, const json_limits_t *lim, json_t **out,
                       parley_err_t *err);

typedef struct {
    json_t *errors; /* array of {"pointer","detail"}; NULL until the first error */
} json_check_t;

void json_check_fail(json_check_t *c, const char *pointer, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline bool json_check_ok(const json_check_t *c)
{
    return c->errors == NULL;
}
void json_check_free(json_check_t *c);
/* Moves the first collected error into err (PARLEY_EINVAL) and frees c;
 * returns 0 when c holds no error. */
int json_check_to_err(json_check_t *c, parley_err_t *err);

/* Reads obj[key] as a string of min..max bytes (valid UTF-8, guaranteed by
 * jansson). Missing: NULL, and an error when required. Wrong type: an error. */
const char *json_get_string(json_check_t *c, json_t *obj, const char *key, bool required,
                            size_t min, size_t max);
/* Reads obj[key] as an integer in [min,max]; def when missing and not required. */
int64_t json_get_int(json_check_t *c, json_t *obj, const char *key, bool required, int64_t min,
                     int64_t max, int64_t def);
/* Reads obj[key] as a boolean; def when missing. */
bool json_get_bool(json_check_t *c, json_t *obj, const char *key, bool def);
/* Reads obj[key] as one of the NULL-terminated choices; returns the index, or -1. */
int json_get_enum(json_check_t *c, json_t *obj, const char *key, bool required,
                  const char *const *choices);
/* Rejects members not in the NULL-terminated allowed list (typos must not pass silently). */
void json_check_known(json_check_t *c, json_t *obj, const char *const *allowed);

/* Serialises compactly with sorted keys into buf (appended). */
void json_dump_to(buf_t *b, const json_t *v);

#endif
