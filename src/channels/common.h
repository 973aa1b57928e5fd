/*
 * common.h - helpers shared by the platform adapters (cross-file internals).
 *
 * Owns the pieces every adapter needs and none should write twice: a JSON
 * reader with a sticky error that names the offending field as a JSON pointer,
 * settings validation, pushing items into a batch, percent-encoding, building
 * JSON bodies into the request arena and the shared retry rule. Nothing here
 * knows any one platform.
 */
#ifndef PARLEY_CHANNELS_COMMON_H
#define PARLEY_CHANNELS_COMMON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "channels/channel.h"
#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"

/* Reads a parsed payload. The first problem sticks in rc/err; every reader
 * returns NULL (or the default) once rc is set, so a parser checks rc once per
 * event. Pointers name the object being read ("" is the root). */
typedef struct {
    arena_t *a;
    parley_err_t *err;
    int rc;
} ch_rd_t;

/* The JSON pointer of key (or index) under ptr, in the arena. */
const char *ch__ptr(ch_rd_t *r, const char *ptr, const char *key);
const char *ch__ptr_i(ch_rd_t *r, const char *ptr, size_t i);
/* Records an error at pointer (when none is recorded yet); returns NULL. */
void *ch__fail(ch_rd_t *r, const char *pointer, const char *what);

/* Members of obj: a string without NUL bytes; an object; an array. Missing or
 * null: NULL, and an error when required. Wrong type: always an error. */
const char *ch__str(ch_rd_t *r, json_t *obj, const char *ptr, const char *key, bool required);
json_t *ch__obj(ch_rd_t *r, json_t *obj, const char *ptr, const char *key, bool required);
json_t *ch__arr(ch_rd_t *r, json_t *obj, const char *ptr, const char *key, bool required);
/* An identifier sent as a string or an integer (Telegram), as a string. */
const char *ch__id(ch_rd_t *r, json_t *obj, const char *ptr, const char *key, bool required);
/* An integer sent as a JSON integer or a decimal string (WhatsApp, X); def when absent. */
int64_t ch__int(ch_rd_t *r, json_t *obj, const char *ptr, const char *key, bool required,
                int64_t def);
/* Element i of arr as an object (an error otherwise). */
json_t *ch__elem_obj(ch_rd_t *r, json_t *arr, const char *ptr, size_t i);

/* Parses req->body as a JSON object whose strings and values die with the arena. */
int ch__parse_json(const ch_request_t *req, arena_t *a, json_t **out, parley_err_t *err);

/* The next item of out, zeroed, with followers -1 and body ""; NULL (and
 * PARLEY_ELIMIT in r) when the batch is full. */
ch_item_t *ch__push(ch_rd_t *r, ch_batch_t *out, ch_item_kind_t kind);
/* Adds an attachment when there is room (extra ones are dropped). */
void ch__attach(ch_item_t *it, const char *type, const char *url, const char *mime);
/* "image", "video", "audio" or "file" from a MIME type (NULL -> "file"). */
const char *ch__type_from_mime(const char *mime);
/* Seconds or milliseconds since the epoch as milliseconds (values below 1e11
 * are taken as seconds). */
int64_t ch__ms(int64_t t);

/* A settings field spec for ch__validate. */
typedef struct {
    const char *name;
    bool required;
    bool url; /* must be an http(s) URL */
} ch_setting_t;

/* Checks settings against specs (NULL-name terminated): an object, required
 * members present, every member a non-empty string without control characters
 * (they end up in HTTP headers and URLs), URLs http(s), no unknown members.
 * Errors name the field as /settings/<name>. */
int ch__validate(const json_t *settings, const ch_setting_t *specs, parley_err_t *err);
/* settings[name] as a string, or NULL. */
const char *ch__setting(const json_t *settings, const char *name);
/* settings[name] without a trailing '/', or def. */
const char *ch__base_url(const json_t *settings, const char *name, const char *def, arena_t *a);

/* Percent-encodes s (RFC 3986 unreserved characters kept) for a query value,
 * a form value or a path segment. */
void ch__pct_encode(buf_t *b, const char *s, size_t len);
char *ch__pct(arena_t *a, const char *s);

/* Serialises v compactly in insertion order into the arena and drops the
 * reference; NULL when v is NULL (json_pack refuses invalid UTF-8). */
char *ch__dump(arena_t *a, json_t *v);
/* The error format_send returns when the outbound text is not valid UTF-8. */
int ch__bad_text(parley_err_t *err);
/* Adds a "Name: value" header to call. */
void ch__header(ch_http_call_t *call, arena_t *a, const char *name, const char *value);
/* The body text followed by the attachment URL on its own line, for platforms
 * whose text message cannot carry a file. */
const char *ch__text_with_url(arena_t *a, const ch_outbound_t *msg);

/* Whether a failed call is worth repeating: 429 or a 5xx. */
bool ch__retryable(long status);
/* Copies s into ext_id; PARLEY_EIO when it does not fit or is empty. */
int ch__set_ext_id(char *ext_id, size_t cap, const char *s, parley_err_t *err);
/* Parses a platform's answer body as JSON (NULL when it is not a JSON object). */
json_t *ch__load_result(const char *body, size_t len);

/* Constant-time check of the HMAC-SHA256 of body under secret against an
 * expected digest given as hex (hex=true) or base64. */
bool ch__hmac_sha256_matches(const char *secret, str_t body, const char *given, bool hex);

#endif
