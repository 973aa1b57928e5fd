/*
 * store_digest.h - the store's part for account settings (time zone, weekly
 * digest switches and recipients, the e-mail inbox that sends notices), the
 * record of digests sent, and the queue of notices Parley e-mails itself.
 *
 * A person's reads and writes name their account; the scheduler's and the
 * mail worker's span every account. Rules belong to desk/digest.c and
 * desk/mailer.c.
 */
#ifndef PARLEY_STORE_STORE_DIGEST_H
#define PARLEY_STORE_STORE_DIGEST_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

typedef struct {
    int64_t account_id;
    const char *timezone; /* IANA name */
    bool digest_enabled, digest_email;
    const char *digest_recipients; /* JSON array of user ids; NULL = supervisors and admins */
    int64_t mail_inbox_id;         /* 0 = the account's first e-mail inbox */
    int64_t updated_at;            /* 0 = never written (defaults) */
} account_settings_row_t;

/* What the scheduler needs of an account. */
typedef struct {
    int64_t account_id, created_at;
    const char *timezone;
    bool digest_enabled;
} digest_account_t;

typedef struct {
    int64_t id, account_id, inbox_id;
    const char *dedupe; /* unique: one notice of a kind per reason and recipient */
    const char *kind;   /* digest | sla */
    const char *rcpt, *subject;
    const char *message; /* the whole RFC 5322 message, CRLF */
    const char *status;  /* pending | sent | dead */
    int64_t attempts, next_attempt_at, created_at, sent_at;
    const char *last_error; /* NULL = none */
} mail_row_t;

typedef struct store_digest_ops {
    /* The account's settings; the defaults (UTC, digest on) when never written. */
    int (*settings_get)(store_conn_t *c, int64_t account_id, arena_t *a,
                        account_settings_row_t *out);
    int (*settings_put)(store_conn_t *c, const account_settings_row_t *s);
    /* Accounts after after_id, by id, up to limit, with their zone and switch. */
    int (*accounts)(store_conn_t *c, int64_t after_id, int limit, arena_t *a,
                    digest_account_t **out, int *n);
    /* Records that the week's digest of account was sent; PARLEY_ECONFLICT
     * when it already was (the record is the idempotency key). */
    int (*run_claim)(store_conn_t *c, int64_t account_id, const char *week, int64_t now,
                     int64_t recipients);
    /* When the week's digest was sent; PARLEY_ENOENT when it was not. */
    int (*run_get)(store_conn_t *c, int64_t account_id, const char *week, int64_t *sent_at);

    /* Queues a mail; *id = 0 when its dedupe key already has one (never a second). */
    int (*mail_create)(store_conn_t *c, const mail_row_t *m, int64_t *id);
    /* Pending mails due at or before now, oldest first. */
    int (*mail_due)(store_conn_t *c, int64_t now, int limit, arena_t *a, mail_row_t **out, int *n);
    /* The earliest next_attempt_at of a pending mail (0 = none). */
    int (*mail_next_due)(store_conn_t *c, int64_t *at);
    /* Writes status, attempts, next_attempt_at, last_error, sent_at. */
    int (*mail_update)(store_conn_t *c, const mail_row_t *m);
    /* The account's mails, newest first, up to limit. */
    int (*mail_list)(store_conn_t *c, int64_t account_id, int limit, arena_t *a, mail_row_t **out,
                     int *n);
} store_digest_ops_t;

#endif
