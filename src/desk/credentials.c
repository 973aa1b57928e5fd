/*
 * credentials.c - sessions and API tokens with their events.
 */
#include "desk/credentials.h"

#include "core/crypto.h"
#include "desk/users.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    app_t *app;
    session_row_t row;
    const user_row_t *u;
} session_ctx_t;

static int session_tx(store_conn_t *c, void *p)
{
    session_ctx_t *x = p;
    int rc = x->app->store->ops->session_create(c, &x->row);
    if (rc) return rc;
    actor_t by = {.account_id = x->u->account_id, .kind = "user", .id = x->u->id};
    return desk_event(c, x->app, &by, "auth.login", "user", x->u->id, json_object());
}

int session_start(app_t *app, const user_row_t *u, char secret[64])
{
    char hash[65];
    crypto_random_token(32, secret, 64);
    crypto_sha256_hex(secret, strlen(secret), hash);
    int64_t now = app_now(app);
    session_ctx_t x = {.app = app,
                       .u = u,
                       .row = {.token_hash = hash,
                               .account_id = u->account_id,
                               .user_id = u->id,
                               .created_at = now,
                               .last_seen_at = now}};
    return app->store->ops->write(app->store, session_tx, &x);
}

typedef struct {
    app_t *app;
    const actor_t *by;
    const char *hash;
} end_ctx_t;

static int end_tx(store_conn_t *c, void *p)
{
    end_ctx_t *x = p;
    int rc = x->app->store->ops->session_delete(c, x->hash);
    if (rc) return rc;
    return desk_event(c, x->app, x->by, "auth.logout", "user", x->by->user_id, json_object());
}

int session_end(app_t *app, const actor_t *by, const char *hash)
{
    end_ctx_t x = {.app = app, .by = by, .hash = hash};
    return app->store->ops->write(app->store, end_tx, &x);
}

typedef struct {
    app_t *app;
    const actor_t *by;
    token_row_t row;
    const char *hash;
    int64_t id;
} token_ctx_t;

static int token_tx(store_conn_t *c, void *p)
{
    token_ctx_t *x = p;
    int rc = x->app->store->ops->token_create(c, &x->row, x->hash, &x->id);
    if (rc) return rc;
    return desk_event(
        c, x->app, x->by, "token.created", "token", x->id,
        json_pack("{s:s, s:I}", "name", x->row.name, "user_id", (json_int_t)x->row.user_id));
}

int token_issue(app_t *app, const actor_t *by, int64_t user_id, const char *name, char token[64],
                int64_t *id)
{
    char raw[48], hash[65];
    crypto_random_token(32, raw, sizeof raw);
    snprintf(token, 64, "pk_%s", raw);
    crypto_sha256_hex(token, strlen(token), hash);
    token_ctx_t x = {.app = app,
                     .by = by,
                     .hash = hash,
                     .row = {.account_id = by->account_id,
                             .user_id = user_id,
                             .name = name,
                             .created_at = app_now(app)}};
    int rc = app->store->ops->write(app->store, token_tx, &x);
    if (!rc) *id = x.id;
    return rc;
}

typedef struct {
    app_t *app;
    const actor_t *by;
    int64_t id;
} revoke_ctx_t;

static int revoke_tx(store_conn_t *c, void *p)
{
    revoke_ctx_t *x = p;
    int rc = x->app->store->ops->token_revoke(c, x->by->account_id, x->id, app_now(x->app));
    if (rc) return rc;
    return desk_event(c, x->app, x->by, "token.revoked", "token", x->id, json_object());
}

int token_revoke(app_t *app, const actor_t *by, int64_t id)
{
    revoke_ctx_t x = {.app = app, .by = by, .id = id};
    return app->store->ops->write(app->store, revoke_tx, &x);
}
