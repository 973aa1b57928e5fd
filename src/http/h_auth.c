/*
 * h_auth.c - signing in and out, and the signed-in user's own record.
 */
#include "http/auth.h"
#include "http/handlers.h"
#include "http/server.h"

#include "core/crypto.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* A real argon2id hash to verify against when the e-mail is unknown, so an
 * unknown e-mail costs the same time as a wrong password. */
static char dummy_hash[128];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy(void)
{
    crypto_password_hash("parley-dummy-password", 21, dummy_hash);
}

static void too_many(req_t *r, int64_t wait_ms)
{
    long long secs = (wait_ms + 999) / 1000;
    http_problem(
        r, 429, "login-throttled", "Too many failed sign-ins",
        arena_sprintf(&r->arena, "too many failed attempts; try again in %lld seconds", secs),
        NULL);
    http_add_header(r, "Retry-After", arena_sprintf(&r->arena, "%lld", secs));
}

typedef struct {
    app_t *app;
    const user_row_t *u;
} fail_ctx_t;

static int login_failed_tx(store_conn_t *c, void *p)
{
    fail_ctx_t *x = p;
    actor_t by = {.account_id = x->u->account_id, .kind = "user", .id = x->u->id};
    return desk_event(c, x->app, &by, "auth.login_failed", "user", x->u->id, json_object());
}

void h_login(req_t *r)
{
    json_t *body = http_body_json(r);
    if (!body) return;
    json_check_t c = {0};
    const char *email = json_get_string(&c, body, "email", true, 1, 254);
    const char *password = json_get_string(&c, body, "password", true, 1, USER_PASSWORD_MAX);
    if (http_check_failed(r, &c)) return;

    char *lower = arena_strdup(&r->arena, email);
    for (char *p = lower; *p; p++) *p = (char)tolower((unsigned char)*p);
    const char *ip_key = arena_sprintf(&r->arena, "ip:%s", r->client_ip);
    const char *email_key = arena_sprintf(&r->arena, "email:%s", lower);
    throttle_t *t = r->srv->throttle;
    int64_t now = app_now(r->app);
    int free_attempts = (int)r->app->cfg->login_free_attempts;
    int64_t w1 = throttle_login_wait(t, ip_key, free_attempts * 4, now);
    int64_t w2 = throttle_login_wait(t, email_key, free_attempts, now);
    if (w1 || w2) {
        too_many(r, w1 > w2 ? w1 : w2);
        return;
    }

    store_t *st = r->app->store;
    user_row_t u;
    bool found = st->ops->user_get_by_email(st->ops->reader(st), email, &r->arena, &u) == 0;
    bool ok;
    if (found) {
        ok = crypto_password_verify(u.password_hash, password, strlen(password)) &&
             strcmp(u.status, "active") == 0;
    } else {
        pthread_once(&dummy_once, make_dummy);
        crypto_password_verify(dummy_hash, password, strlen(password));
        ok = false;
    }
    if (!ok) {
        throttle_login_failed(t, ip_key, now);
        throttle_login_failed(t, email_key, now);
        if (found) {
            fail_ctx_t x = {.app = r->app, .u = &u};
            st->ops->write(st, login_failed_tx, &x);
        }
        http_problem(r, 401, "invalid-credentials", "Sign-in failed",
                     "the e-mail address or the password is wrong", NULL);
        return;
    }
    throttle_login_succeeded(t, email_key);
    json_t *out = json_pack("{s:o}", "user", user_to_json(&u));
    http_reply_json(r, 200, out);
    if (auth_session_start(r, &u) != 0) {
        /* The reply is made but carries no cookie: replace it with the truth. */
        MHD_destroy_response(r->resp);
        r->resp = NULL;
        http_problem(r, 500, "internal", "Internal error", "the session could not be stored", NULL);
    }
}

void h_logout(req_t *r)
{
    http_reply_empty(r);
    if (auth_session_end(r) != 0) {
        MHD_destroy_response(r->resp);
        r->resp = NULL;
        http_problem(r, 500, "internal", "Internal error", "the session could not be ended", NULL);
    }
}

void h_me_get(req_t *r)
{
    store_t *st = r->app->store;
    store_conn_t *c = st->ops->reader(st);
    user_row_t u;
    account_row_t a;
    if (st->ops->user_get(c, r->auth.actor.account_id, r->auth.actor.user_id, &r->arena, &u) ||
        st->ops->account_get(c, r->auth.actor.account_id, &r->arena, &a)) {
        http_problem(r, 404, "not-found", "Not found", "the user no longer exists", NULL);
        return;
    }
    json_t *out = user_to_json(&u);
    json_object_set_new(out, "account",
                        json_pack("{s:I, s:s}", "id", (json_int_t)a.id, "name", a.name));
    json_object_set_new(out, "via", json_string(r->auth.via));
    http_reply_json(r, 200, out);
}

void h_me_patch(req_t *r)
{
    static const char *const allowed[] = {"name", "availability", NULL};
    json_t *body = http_body_json(r);
    if (!body) return;
    json_check_t c = {0};
    json_check_known(&c, body, allowed);
    json_get_string(&c, body, "name", false, 1, 200);
    static const char *const av[] = {"online", "away", "offline", NULL};
    json_get_enum(&c, body, "availability", false, av);
    if (http_check_failed(r, &c)) return;
    parley_err_t err = {0};
    if (user_update(r->app, &r->auth.actor, r->auth.actor.user_id, body, &err)) {
        http_problem_err(r, &err);
        return;
    }
    h_me_get(r);
}

/* `parley init --password-file` keeps a generated admin password beside the
 * database until that admin chooses their own; then it goes. */
static void forget_initial_password(req_t *r)
{
    const char *db = r->app->cfg->db;
    const char *slash = strrchr(db, '/');
    const char *path =
        slash ? arena_sprintf(&r->arena, "%.*s/initial-admin-password", (int)(slash - db), db)
              : "initial-admin-password";
    FILE *f = fopen(path, "r");
    if (!f) return;
    char first[320] = "";
    if (!fgets(first, sizeof first, f)) first[0] = '\0';
    fclose(f);
    first[strcspn(first, "\r\n")] = '\0';
    user_row_t u;
    store_t *st = r->app->store;
    if (st->ops->user_get(st->ops->reader(st), r->auth.actor.account_id, r->auth.actor.user_id,
                          &r->arena, &u) == 0 &&
        strcasecmp(first, u.email) == 0)
        unlink(path);
}

void h_me_password(req_t *r)
{
    static const char *const allowed[] = {"current_password", "new_password", NULL};
    json_t *body = http_body_json(r);
    if (!body) return;
    json_check_t c = {0};
    json_check_known(&c, body, allowed);
    const char *cur = json_get_string(&c, body, "current_password", true, 1, USER_PASSWORD_MAX);
    const char *next =
        json_get_string(&c, body, "new_password", true, USER_PASSWORD_MIN, USER_PASSWORD_MAX);
    if (http_check_failed(r, &c)) return;
    parley_err_t err = {0};
    if (user_change_password(r->app, &r->auth.actor, cur, next, &err)) {
        http_problem_err(r, &err);
        return;
    }
    forget_initial_password(r);
    http_reply_empty(r);
    /* Every session of the user ended with the change, this one included. */
    auth_clear_cookie(r);
}
