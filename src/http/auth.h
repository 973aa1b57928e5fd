/*
 * auth.h - who is asking: sessions (cookie), API tokens (bearer), roles, CSRF.
 *
 * A request reaches a handler only after auth_check() has found an identity
 * and the route's permission allows its role. Session and token secrets are
 * random 32-byte values; only their SHA-256 is stored.
 */
#ifndef PARLEY_HTTP_AUTH_H
#define PARLEY_HTTP_AUTH_H

#include <stdbool.h>

#include "http/http.h"

#define AUTH_COOKIE "parley_session"

/* Resolves the identity and enforces the route's permission and CSRF rules.
 * On failure the problem reply is already made and false is returned. */
bool auth_check(req_t *r, perm_t perm);
/* Whether role may use a route needing perm with this method. */
bool auth_role_allows(role_t role, perm_t perm, const char *method);
/* Starts a session for u and sets the cookie on the pending reply. */
int auth_session_start(req_t *r, const user_row_t *u);
/* Ends the request's session (if it came with one) and clears the cookie. */
int auth_session_end(req_t *r);
/* Adds a Set-Cookie that removes the session cookie. */
void auth_clear_cookie(req_t *r);

#endif
