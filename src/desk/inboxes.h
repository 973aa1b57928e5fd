/*
 * inboxes.h - connected channel accounts: settings sealed at rest, routing
 * policy, team, reopen window.
 */
#ifndef PARLEY_DESK_INBOXES_H
#define PARLEY_DESK_INBOXES_H

#include "channels/channel.h"
#include "desk/desk.h"

/* Creates an inbox from {"name","channel","settings",...}; field errors in err. */
int inbox_create(app_t *app, const actor_t *by, json_t *body, int64_t *id, parley_err_t *err);
/* Applies {"name","settings","policy","sticky","team_id","reopen_days"}. */
int inbox_update(app_t *app, const actor_t *by, int64_t id, json_t *patch, parley_err_t *err);
int inbox_delete(app_t *app, const actor_t *by, int64_t id, parley_err_t *err);
/* The decrypted settings of an inbox (caller decrefs), or NULL. */
json_t *inbox_settings(const app_t *app, const inbox_row_t *in);
/* Public JSON: secrets in settings masked. */
json_t *inbox_to_json(const app_t *app, const inbox_row_t *in);

#endif
