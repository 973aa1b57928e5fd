/*
 * auth.c - sessions, API tokens, role checks and CSRF protection.
 */
#include "http/auth.h"

#include "core/crypto.h"
#include "core/log.h"
#include "desk/credentials.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool is_safe_method(const char *m)
{
    return !strcmp(m, "GET") || !strcmp(m, "HEAD") || !strcmp(m, "OPTIONS");
}

bool auth_role_allows(role_t role, perm_t perm, const char *method)
{
    switch (perm) {
    case PERM_PUBLIC:
    case PERM_AUTH: return true;
    case PERM_READ: return is_safe_method(method) || role >= ROLE_AGENT;
    case PERM_WORK: return role >= ROLE_AGENT;
    case PERM_MANAGE: return role >= ROLE_SUPERVISOR;
    case PERM_ADMIN: return role >= ROLE_ADMIN;
    }
    return false;
}

static void unauthorized(req_t *r, const char *detail)
{
    http_problem(r, 401, "unauthorized", "Authentication required", detail, NULL);
    http_add_header(r, "WWW-Authenticate", "Bearer realm=\"parley\"");
}

/* Loads the active user behind an identity into r->auth. */
static bool load_user(req_t *r, int64_t account_id, int64_t user_id)
{
    store_t *st = r->app->store;
    user_row_t *u = arena_alloc(&r->arena, sizeof *u);
    if (st->ops->user_get(st->ops->reader(st), account_id, user_id, &r->arena, u) != 0 ||
        strcmp(u->status, "active") != 0)
        return false;
    r->auth.ok = true;
    r->auth.role = role_parse(u->role);
    r->auth.actor.account_id = account_id;
    r->auth.actor.user_id = user_id;
    r->auth.actor.role = u->role;
    return true;
}

typedef struct {
    app_t *app;
    const char *hash;
    int64_t id;
} touch_ctx_t;

static int touch_session_tx(store_conn_t *c, void *p)
{
    touch_ctx_t *x = p;
    return x->app->store->ops->session_touch(c, x->hash, app_now(x->app));
}

static int delete_session_tx(store_conn_t *c, void *p)
{
    touch_ctx_t *x = p;
    return x->app->store->ops->session_delete(c, x->hash);
}

static int touch_token_tx(store_conn_t *c, void *p)
{
    touch_ctx_t *x = p;
    return x->app->store->ops->token_touch(c, x->id, app_now(x->app));
}

static bool from_token(req_t *r, const char *secret)
{
    char hash[65];
    crypto_sha256_hex(secret, strlen(secret), hash);
    store_t *st = r->app->store;
    token_row_t t;
    if (st->ops->token_get_by_hash(st->ops->reader(st), hash, &r->arena, &t) != 0 ||
        t.revoked_at != 0)
        return false;
    if (!load_user(r, t.account_id, t.user_id)) return false;
    r->auth.via = "token";
    r->auth.actor.kind = "token";
    r->auth.actor.id = t.id;
    int64_t now = app_now(r->app);
    if (now - t.last_used_at > 60000) {
        touch_ctx_t x = {.app = r->app, .id = t.id};
        st->ops->write(st, touch_token_tx, &x);
    }
    return true;
}

static bool from_session(req_t *r, const char *secret, const char **why)
{
    char hash[65];
    crypto_sha256_hex(secret, strlen(secret), hash);
    store_t *st = r->app->store;
    session_row_t s;
    if (st->ops->session_get(st->ops->reader(st), hash, &r->arena, &s) != 0) {
        *why = "the session has ended; sign in again";
        return false;
    }
    const config_t *cfg = r->app->cfg;
    int64_t now = app_now(r->app);
    touch_ctx_t x = {.app = r->app, .hash = hash};
    if (now - s.last_seen_at > cfg->session_idle * 1000 ||
        now - s.created_at > cfg->session_max * 1000) {
        st->ops->write(st, delete_session_tx, &x);
        *why = "the session expired after inactivity; sign in again";
        return false;
    }
    if (!load_user(r, s.account_id, s.user_id)) {
        *why = "the session has ended; sign in again";
        return false;
    }
    r->auth.via = "session";
    r->auth.actor.kind = "user";
    r->auth.actor.id = s.user_id;
    memcpy(r->auth.session_hash, hash, sizeof hash);
    /* Record activity at a granularity well below the idle limit, not on every request. */
    int64_t grain = cfg->session_idle * 1000 / 8;
    if (grain > 60000) grain = 60000;
    if (now - s.last_seen_at > grain) st->ops->write(st, touch_session_tx, &x);
    return true;
}

static bool same_origin(req_t *r)
{
    const char *xrw = http_header(r, "X-Requested-With");
    if (xrw && !strcasecmp(xrw, "parley")) return true;
    const char *origin = http_header(r, "Origin");
    if (!origin) return false;
    const char *pub = r->app->cfg->public_url;
    size_t n = strlen(origin);
    if (!strncmp(pub, origin, n) && (pub[n] == '\0' || pub[n] == '/')) return true;
    const char *host = http_header(r, "Host");
    if (host) {
        const char *o = strstr(origin, "://");
        if (o && !strcmp(o + 3, host)) return true;
    }
    return false;
}

bool auth_check(req_t *r, perm_t perm)
{
    if (perm == PERM_PUBLIC) return true;
    const char *authz = http_header(r, "Authorization");
    const char *why = "sign in, or send an API token as Authorization: Bearer <token>";
    if (authz && !strncasecmp(authz, "Bearer ", 7)) {
        if (!from_token(r, authz + 7)) {
            unauthorized(r, "the API token is unknown or revoked");
            return false;
        }
    } else {
        const char *cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, AUTH_COOKIE);
        if (!cookie || !from_session(r, cookie, &why)) {
            unauthorized(r, why);
            return false;
        }
        if (!is_safe_method(r->method) && !same_origin(r)) {
            http_problem(r, 403, "csrf", "Cross-site request refused",
                         "cookie-authenticated writes need the header X-Requested-With: parley "
                         "or a same-origin Origin",
                         NULL);
            return false;
        }
    }
    if (!auth_role_allows(r->auth.role, perm, r->method)) {
        http_problem(
            r, 403, "forbidden", "Forbidden",
            arena_sprintf(&r->arena, "the %s role may not do this", role_name(r->auth.role)), NULL);
        return false;
    }
    return true;
}

int auth_session_start(req_t *r, const user_row_t *u)
{
    char secret[64];
    int rc = session_start(r->app, u, secret);
    if (rc) return rc;
    bool secure = !strncmp(r->app->cfg->public_url, "https://", 8);
    http_add_header(
        r, "Set-Cookie",
        arena_sprintf(&r->arena,
                      AUTH_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld%s", secret,
                      (long long)r->app->cfg->session_max, secure ? "; Secure" : ""));
    return 0;
}

void auth_clear_cookie(req_t *r)
{
    http_add_header(r, "Set-Cookie", AUTH_COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
}

int auth_session_end(req_t *r)
{
    if (r->auth.via && !strcmp(r->auth.via, "session")) {
        int rc = session_end(r->app, &r->auth.actor, r->auth.session_hash);
        if (rc) return rc;
    }
    auth_clear_cookie(r);
    return 0;
}
