/*
 * users.h - people of an account: creation, changes, passwords, roles.
 *
 * Owns the rules (valid e-mail, known role, minimum password length, the last
 * admin can not be demoted or disabled) and writes each change together with
 * its event. Knows nothing of HTTP.
 */
#ifndef PARLEY_DESK_USERS_H
#define PARLEY_DESK_USERS_H

#include <jansson.h>
#include <stdbool.h>

#include "desk/app.h"

#define USER_PASSWORD_MIN 12
#define USER_PASSWORD_MAX 256

typedef enum { ROLE_ANALYST, ROLE_AGENT, ROLE_SUPERVISOR, ROLE_ADMIN, ROLE_INVALID } role_t;

role_t role_parse(const char *s);
const char *role_name(role_t r);

typedef struct {
    const char *email, *name, *role, *password; /* password NULL = generate one */
    int64_t capacity;                           /* 0 = default */
    bool must_change_password;
} user_new_t;

/* Checks an e-mail address loosely (one '@', a dot in the domain, no spaces). */
bool user_email_valid(const char *email);
/* Creates a user in account; when in->password is NULL a password is generated
 * into generated[40]. PARLEY_EEXIST when the e-mail is taken. */
int user_create(app_t *app, const actor_t *by, int64_t account_id, const user_new_t *in,
                char generated[40], int64_t *id, parley_err_t *err);

/* Applies the changes in `patch` ({"name","role","status","capacity","availability"})
 * after validation; reports field errors through err. */
int user_update(app_t *app, const actor_t *by, int64_t user_id, json_t *patch, parley_err_t *err);
/* Changes a user's own password after checking the current one. */
int user_change_password(app_t *app, const actor_t *by, const char *current, const char *next,
                         parley_err_t *err);

/* The public JSON form of a user (never the hash). */
json_t *user_to_json(const user_row_t *u);

/* Creates an account and its first admin (parley init). */
int account_bootstrap(app_t *app, const char *account_name, const char *admin_email,
                      const char *password, char generated[40], int64_t *account_id,
                      parley_err_t *err);

/* Appends an event inside a write transaction. */
int desk_event(store_conn_t *c, const app_t *app, const actor_t *by, const char *type,
               const char *subject_kind, int64_t subject_id, json_t *payload /* stolen */);

#endif
