/*
 * catalog.h - the desk's catalog: teams (with members), labels and canned
 * responses.
 *
 * Owns their rules (lengths in characters, label colours, short codes,
 * case-insensitive label names, known template variables, members being
 * active users of the account, a team still routing an inbox is not deleted)
 * and writes every change together with its event in one transaction.
 * Knows nothing of HTTP: failures come back as a code and a parley_err_t
 * whose field is the JSON pointer of the offending input.
 */
#ifndef PARLEY_DESK_CATALOG_H
#define PARLEY_DESK_CATALOG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"
#include "desk/app.h"
#include "store/store_catalog.h"

#define TEAM_NAME_MAX       100  /* characters */
#define TEAM_MEMBERS_MAX    500  /* user ids in one PUT */
#define LABEL_NAME_MAX      50   /* characters */
#define CANNED_TITLE_MAX    100  /* characters */
#define CANNED_CODE_MAX     32   /* bytes: ^[a-z0-9][a-z0-9_-]{0,31}$ */
#define CANNED_BODY_MAX     4000 /* characters */
#define LABEL_COLOR_DEFAULT "#888888"

/* The catalog's part of the store, or NULL (with a log line) when the back end lacks it. */
const store_catalog_ops_t *catalog_ops(const app_t *app);

/* ---- teams ---- */

/* Creates a team named name (1..TEAM_NAME_MAX characters, trimmed);
 * PARLEY_EEXIST when the account has a team of that name. */
int team_create(app_t *app, const actor_t *by, const char *name, int64_t *id, parley_err_t *err);
/* Renames team id; PARLEY_ENOENT when it is not one of by's account. */
int team_rename(app_t *app, const actor_t *by, int64_t id, const char *name, parley_err_t *err);
/* Deletes team id; PARLEY_ECONFLICT while an inbox routes to it. Its
 * conversations keep their assignee and lose the team. */
int team_delete(app_t *app, const actor_t *by, int64_t id, parley_err_t *err);
/* Makes user_ids[0..n) the team's members; each must be an active user of the
 * account, listed once (else PARLEY_EINVAL at "/user_ids/<index>"). */
int team_set_members(app_t *app, const actor_t *by, int64_t id, const int64_t *user_ids, size_t n,
                     parley_err_t *err);
/* {id, name, member_count, created_at} plus "members" when members is not NULL. */
json_t *team_to_json(const team_row_t *t, const team_member_row_t *members, int n_members);

/* ---- labels ---- */

typedef struct {
    const char *name;  /* NULL = unchanged (update) */
    const char *color; /* "#rrggbb" in any case, stored lower case; NULL = unchanged/default */
} label_fields_t;

/* PARLEY_EEXIST when the account has a label of that name in any letter case. */
int label_create(app_t *app, const actor_t *by, const label_fields_t *in, int64_t *id,
                 parley_err_t *err);
int label_update(app_t *app, const actor_t *by, int64_t id, const label_fields_t *in,
                 parley_err_t *err);
/* Deletes the label and removes it from every conversation. */
int label_delete(app_t *app, const actor_t *by, int64_t id, parley_err_t *err);
json_t *label_to_json(const label_row_t *l);

/* ---- canned responses ---- */

typedef struct {
    const char *title, *short_code, *body; /* NULL = unchanged (update) */
} canned_fields_t;

/* PARLEY_EEXIST when the short code is taken; PARLEY_EINVAL at "/body" naming
 * an unknown or malformed variable. */
int canned_response_create(app_t *app, const actor_t *by, const canned_fields_t *in, int64_t *id,
                           parley_err_t *err);
int canned_response_update(app_t *app, const actor_t *by, int64_t id, const canned_fields_t *in,
                           parley_err_t *err);
int canned_response_delete(app_t *app, const actor_t *by, int64_t id, parley_err_t *err);
/* Fills canned response id for conversation_id, as by (agent.name), into out.
 * PARLEY_ENOENT for an unknown response (field "") or conversation (field
 * "/conversation_id"); PARLEY_EINVAL naming a broken variable ("/body") or a
 * variable without a value for this conversation ("/conversation_id"). */
int canned_response_render(app_t *app, const actor_t *by, int64_t id, int64_t conversation_id,
                           buf_t *out, parley_err_t *err);
json_t *canned_response_to_json(const canned_row_t *r);

#endif
