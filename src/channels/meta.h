/*
 * meta.h - what Messenger, Instagram and WhatsApp share: Meta's Graph webhooks.
 *
 * Owns the hub.challenge handshake, the X-Hub-Signature-256 check, the
 * messaging[] event format common to Messenger and Instagram DMs, and the
 * reading of Graph API answers and errors. The platform files own their
 * object types, their changes[] fields and their outbound calls.
 */
#ifndef PARLEY_CHANNELS_META_H
#define PARLEY_CHANNELS_META_H

#include "channels/channel.h"
#include "channels/common.h"

#define META_GRAPH_URL     "https://graph.facebook.com"
#define META_GRAPH_VERSION "v19.0"

/* GET ?hub.mode=subscribe&hub.verify_token=..&hub.challenge=..: the challenge
 * as text/plain when the token matches settings.verify_token (constant time). */
int meta_handshake(const json_t *settings, const ch_request_t *req, arena_t *a, const char **reply,
                   const char **content_type, parley_err_t *err);

/* X-Hub-Signature-256: sha256=<hex HMAC-SHA256(settings.app_secret, raw body)>. */
int meta_verify(const json_t *settings, const ch_request_t *req, parley_err_t *err);

/* Parses the body, checks "object" is `object` and returns the entry array. */
int meta_envelope(const ch_request_t *req, arena_t *a, const char *object, json_t **entries,
                  parley_err_t *err);

/* One entry[] element of a page or Instagram webhook; id is the inbox's own
 * page or account id (from its settings). */
typedef void (*meta_entry_fn)(ch_rd_t *r, json_t *entry, const char *ptr, const char *id,
                              ch_batch_t *out);

/* The whole parse of such a webhook: the envelope (object must be `object`),
 * then on_entry for every entry with the setting id_setting; out is emptied
 * when any part is malformed. */
int meta_parse_entries(const json_t *settings, const ch_request_t *req, arena_t *a,
                       const char *object, const char *id_setting, meta_entry_fn on_entry,
                       ch_batch_t *out, parley_err_t *err);

/* One messaging[] event (message, echo, message_edit, reaction, delivery,
 * read; anything else is counted unhandled). ptr names the event. */
void meta_parse_messaging(ch_rd_t *r, json_t *ev, const char *ptr, ch_batch_t *out);

/* A Graph API answer: on 2xx the new id from "message_id" (Send API), "id"
 * (comments) or "messages[0].id" (WhatsApp); else the error's message,
 * retrying on 429/5xx and on Graph's transient and rate-limit codes. */
int meta_parse_result(long status, const char *body, size_t len, char *ext_id, size_t cap,
                      bool *retry, parley_err_t *err);

#endif
