/*
 * channel.h - the contract between the desk and each platform adapter.
 *
 * An adapter (one file per platform in src/channels/) knows one wire format:
 * it answers the platform's handshake, verifies a webhook's signature over the
 * raw bytes, parses the payload into neutral ch_item_t values, and formats the
 * outbound HTTP call for a reply. Adapters never touch the store and never do
 * network I/O themselves: the desk's delivery worker performs the call they
 * describe. Settings arrive as a decrypted JSON object.
 */
#ifndef PARLEY_CHANNELS_CHANNEL_H
#define PARLEY_CHANNELS_CHANNEL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/str.h"

/* What the HTTP layer hands an adapter: the request exactly as received. */
typedef struct {
    const char *method; /* "GET", "POST" */
    const char *url;    /* the full public URL the platform called (for Twilio) */
    str_t body;         /* raw bytes, never re-serialised */
    /* Lookups into the request; NULL when absent. ctx is the HTTP layer's. */
    const char *(*header)(void *ctx, const char *name);
    const char *(*query)(void *ctx, const char *name);
    void *ctx;
} ch_request_t;

typedef enum {
    CH_ITEM_MESSAGE,  /* a new customer message, comment, mention or reply */
    CH_ITEM_EDIT,     /* the customer edited an earlier item (external_id names it) */
    CH_ITEM_REACTION, /* a reaction to one of ours or theirs */
    CH_ITEM_RECEIPT,  /* delivery/read/failed status of one of OUR outbound messages */
    CH_ITEM_IGNORED,  /* understood but not for the desk (echo of our own send, ...) */
} ch_item_kind_t;

#define CH_MAX_ATTACHMENTS 8

typedef struct {
    const char *type; /* "image", "video", "audio", "file", "sticker", "location" */
    const char *url;
    const char *mime; /* may be NULL */
} ch_attachment_t;

typedef struct {
    ch_item_kind_t kind;
    const char *external_id; /* platform id of the item: idempotency key per inbox */
    const char *thread_id;   /* public: the post/tweet the comment belongs to;
                                private: the platform's conversation/chat id (or author id) */
    const char *in_reply_to; /* platform id of the parent item, when replying */
    bool is_public;          /* comment/mention/reply vs DM */
    const char *body;        /* UTF-8 text, may be "" (attachment only) */
    int64_t at_ms;           /* platform timestamp, 0 = unknown */
    struct {
        const char *external_id; /* the author's id on the platform */
        const char *name;
        const char *handle; /* @handle, phone number, username */
        int64_t followers;  /* -1 = unknown */
        bool verified;
    } author;
    ch_attachment_t attachments[CH_MAX_ATTACHMENTS];
    int n_attachments;
    const char *reaction;       /* CH_ITEM_REACTION: the emoji or name */
    const char *receipt_status; /* CH_ITEM_RECEIPT: "sent", "delivered", "read", "failed" */
    const char *receipt_for;    /* CH_ITEM_RECEIPT: the platform id of our outbound message;
                                   NULL with receipt_watermark_ms for watermark receipts */
    int64_t receipt_watermark_ms;
    /* E-mail only (NULL elsewhere): the decoded Subject, and what the receiving
     * MTA recorded of the sender's authentication, e.g. "spf=pass dkim=pass
     * dmarc=fail" (Authentication-Results / Received-SPF). */
    const char *subject;
    const char *auth_results;
} ch_item_t;

#define CH_MAX_ITEMS 64

typedef struct {
    ch_item_t items[CH_MAX_ITEMS];
    int n;
    int unhandled; /* events acknowledged but not understood (counted in /metrics) */
} ch_batch_t;

/* An outbound reply, in neutral terms. */
typedef struct {
    const char *recipient_id; /* the customer's external id on the platform */
    const char *thread_id;    /* conversation's external thread id */
    const char *reply_to_id;  /* external id of the customer item being answered (comments) */
    bool is_public;
    const char *body;
    const char *attachment_url; /* optional */
    const char *subject;        /* e-mail: the conversation's subject ("Re: " is added) */
    /* Stable for every attempt at this one reply (hex, NULL = none): an adapter
     * whose platform can recognise a repeat puts it in the call (e-mail
     * builds the Message-ID from it). */
    const char *idempotency_key;
} ch_outbound_t;

#define CH_MAX_HEADERS 8

/* The HTTP call an adapter asks the delivery worker to make. */
typedef struct {
    const char *method;
    const char *url;
    const char *headers[CH_MAX_HEADERS]; /* "Name: value" */
    int n_headers;
    const char *content_type;
    const char *body;
} ch_http_call_t;

typedef struct channel_ops {
    const char *name; /* "messenger", ... the inbox's channel type */
    /* Validates settings when an inbox is created or changed; errors name the
     * field as a JSON pointer under /settings. */
    int (*validate_settings)(const json_t *settings, parley_err_t *err);
    /* A GET handshake (Meta hub.challenge, X crc_token): fills reply and its
     * content type and returns 0; PARLEY_ENOENT when this is no handshake;
     * PARLEY_EAUTH when the token is wrong. NULL when the platform has none. */
    int (*handshake)(const json_t *settings, const ch_request_t *req, arena_t *a,
                     const char **reply, const char **content_type, parley_err_t *err);
    /* Checks the signature over the raw body, in constant time: 0 or PARLEY_EAUTH
     * with the reason in err (never the secret). */
    int (*verify)(const json_t *settings, const ch_request_t *req, parley_err_t *err);
    /* Parses a verified payload into items (strings in a): 0, or PARLEY_EINVAL
     * for a malformed payload. Unknown event types are counted, not errors. */
    int (*parse)(const json_t *settings, const ch_request_t *req, arena_t *a, ch_batch_t *out,
                 parley_err_t *err);
    /* Describes the platform API call that sends msg (strings in a). */
    int (*format_send)(const json_t *settings, const ch_outbound_t *msg, arena_t *a,
                       ch_http_call_t *call, parley_err_t *err);
    /* Reads the platform's answer to that call: the new message's external id
     * into ext_id (cap bytes) on success (2xx), else PARLEY_EIO with the
     * platform's error text in err and *retry telling whether to try again. */
    int (*parse_send_result)(long status, const char *body, size_t len, char *ext_id, size_t cap,
                             bool *retry, parley_err_t *err);
    /* A resend of the same reply carries the idempotency key where the
     * recipient sees it (e-mail's Message-ID), so a repeat after a crash is
     * recognisable as the same message. False for the APIs with no such key
     * (Graph, WhatsApp Cloud, Twilio, Telegram, X): a resend there may show twice. */
    bool resend_recognised;
    /* Where the platform lists what we sent (Twilio's Messages list), the
     * call that looks for msg among our recent sends, asked before a send
     * that a crash interrupted is repeated. NULL when there is no such list. */
    int (*format_lookup)(const json_t *settings, const ch_outbound_t *msg, arena_t *a,
                         ch_http_call_t *call, parley_err_t *err);
    /* Reads that answer: 0 with the platform's id of msg sent at or after
     * since_ms (ms since the epoch) into ext_id; PARLEY_ENOENT when it is not
     * there; PARLEY_EIO when the answer cannot be read (then it is resent). */
    int (*parse_lookup)(long status, const char *body, size_t len, const ch_outbound_t *msg,
                        int64_t since_ms, char *ext_id, size_t cap, parley_err_t *err);
} channel_ops_t;

/* The adapter for a channel type name, or NULL when unknown. */
const channel_ops_t *channel_find(const char *name);

#endif
