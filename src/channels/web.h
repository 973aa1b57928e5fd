/*
 * web.h - the website chat channel (`web`): what the widget's HTTP handlers
 * (src/http/h_widget.c) need from the adapter in src/channels/web.c.
 *
 * Owns the rules of the channel that need no store: the inbox settings, the
 * widget token and allowed origins, the identity HMAC of logged-in customers,
 * the visitor's message format and the keys a visitor's data is filed under.
 * Never touches the store or the network.
 */
#ifndef PARLEY_CHANNELS_WEB_H
#define PARLEY_CHANNELS_WEB_H

#include <jansson.h>
#include <stdbool.h>

#include "channels/channel.h"
#include "core/arena.h"
#include "core/error.h"

#define WEB_MIN_TOKEN   16 /* widget_token and identity_secret, bytes */
#define WEB_MAX_TOKEN   256
#define WEB_MAX_ORIGINS 64
#define WEB_MAX_ID      128   /* visitor ids and client message ids */
#define WEB_MIN_VISITOR 8     /* a visitor id shorter than this is guessable */
#define WEB_MAX_BODY    10000 /* bytes of one visitor message */
#define WEB_MAX_NAME    200

/* One message as a visitor's browser sends it (POST /widget/{inbox}/messages). */
typedef struct {
    const char *visitor_id; /* random (anonymous) or the site's user id (verified) */
    const char *id;         /* the client's message id: idempotency key */
    const char *body;
    const char *name, *email;  /* optional, shown to agents, never trusted */
    const char *identity_hash; /* optional: hex HMAC-SHA256(identity_secret, visitor_id) */
    const char *visitor_token; /* optional here (also a header) */
} web_message_t;

/* Whether s is a usable id: min..WEB_MAX_ID bytes of [A-Za-z0-9._@+-] (no ':',
 * which separates the parts of the keys below). */
bool web_id_ok(const char *s, size_t min);

/* Whether token is the inbox's widget token (constant time). */
bool web_token_ok(const json_t *settings, const char *token);

/* Whether origin (an Origin header) is listed in allowed_origins; scheme and
 * host compare case-insensitively, a default port (:443, :80) and a trailing
 * '/' are ignored. NULL or "null" is never allowed. */
bool web_origin_allowed(const json_t *settings, const char *origin);

/* The identity check of a logged-in customer: with no hash, 0 and *verified
 * false; with a hash that is HMAC-SHA256(identity_secret, visitor_id) in hex,
 * 0 and *verified true; otherwise PARLEY_EAUTH (a forged or stale hash, or an
 * inbox without identity_secret). */
int web_identity(const json_t *settings, const char *visitor_id, const char *hash, bool *verified,
                 parley_err_t *err);

/* Parses a visitor's message (a JSON object, strict: unknown members
 * refused); field errors name their JSON pointer. Strings live in body. */
int web_parse_message(json_t *body, web_message_t *out, parley_err_t *err);

/* The author key a visitor's data is filed under: "web:<id>" for an anonymous
 * visitor, "web:verified:<id>" for a verified one (so an anonymous visitor can
 * never claim a logged-in customer's id). */
const char *web_visitor_key(arena_t *a, const char *visitor_id, bool verified);

/* The neutral item desk_ingest takes for m from the visitor filed under key. */
void web_item(const web_message_t *m, const char *key, bool verified, arena_t *a, ch_item_t *it);

#endif
