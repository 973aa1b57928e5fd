/*
 * credentials.h - sessions and API tokens: issuing, ending, revoking.
 *
 * Secrets are 32 random bytes shown to their owner once; only SHA-256 of a
 * secret is stored, so a copy of the database opens no session. Each change
 * is written with its event.
 */
#ifndef PARLEY_DESK_CREDENTIALS_H
#define PARLEY_DESK_CREDENTIALS_H

#include "desk/app.h"

/* Starts a session for u; secret[64] receives the cookie value. */
int session_start(app_t *app, const user_row_t *u, char secret[64]);
/* Ends the session whose secret hashes to hash (logout). */
int session_end(app_t *app, const actor_t *by, const char *hash);
/* Issues an API token for user_id; token[64] receives the secret ("pk_..."). */
int token_issue(app_t *app, const actor_t *by, int64_t user_id, const char *name, char token[64],
                int64_t *id);
/* Revokes token id of by's account; PARLEY_ENOENT when unknown or already revoked. */
int token_revoke(app_t *app, const actor_t *by, int64_t id);

#endif
