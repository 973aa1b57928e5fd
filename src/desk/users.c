/*
 * users.c - people of an account, their roles and passwords.
 */
#include "desk/users.h"

#include "core/crypto.h"
#include "core/log.h"
#include "desk/desk.h"
#include "desk/rollups.h"
#include "desk/router.h"

#include <ctype.h>
#include <string.h>

static const char *const role_names[] = {"analyst", "agent", "supervisor", "admin"};

role_t role_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (s && strcmp(s, role_names[i]) == 0) return (role_t)i;
    return ROLE_INVALID;
}

const char *role_name(role_t r)
{
    return r < ROLE_INVALID ? role_names[r] : "invalid";
}

bool user_email_valid(const char *email)
{
    size_t n = strlen(email);
    if (n < 3 || n > 254) return false;
    const char *at = strchr(email, '@');
    if (!at || at == email || strchr(at + 1, '@')) return false;
    const char *dot = strchr(at + 1, '.');
    if (!dot || dot == at + 1 || dot[1] == '\0') return false;
    for (const char *p = email; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' || *p == ',') return false;
    return email[n - 1] != '.';
}

int desk_event(store_conn_t *c, const app_t *app, const actor_t *by, const char *type,
               const char *subject_kind, int64_t subject_id, json_t *payload)
{
    event_new_t e = {
        .account_id = by->account_id,
        .actor_kind = by->kind,
        .actor_id = by->id,
        .type = type,
        .subject_kind = subject_kind,
        .subject_id = subject_id,
        .payload = payload,
    };
    int64_t at = app_now(app);
    int rc = app->store->ops->event_append(c, &e, at, NULL);
    if (!rc) rc = rollup_on_event(c, app, &e, at); /* reports move in the same transaction */
    json_decref(payload);
    return rc;
}

json_t *user_to_json(const user_row_t *u)
{
    char created[32], updated[32];
    clock_format_iso(u->created_at, created);
    clock_format_iso(u->updated_at, updated);
    return json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:b, s:s, s:s}", "id",
                     (json_int_t)u->id, "account_id", (json_int_t)u->account_id, "email", u->email,
                     "name", u->name, "role", u->role, "status", u->status, "availability",
                     u->availability, "capacity", (json_int_t)u->capacity, "must_change_password",
                     u->must_change_password, "created_at", created, "updated_at", updated);
}

/* ---- create ------------------------------------------------------------- */

typedef struct {
    app_t *app;
    const actor_t *by;
    user_row_t row;
    int64_t id;
} create_ctx_t;

static int create_tx(store_conn_t *c, void *p)
{
    create_ctx_t *x = p;
    int rc = x->app->store->ops->user_create(c, &x->row, &x->id);
    if (rc) return rc;
    actor_t by = *x->by;
    if (by.account_id == 0) by.account_id = x->row.account_id;
    return desk_event(c, x->app, &by, "user.created", "user", x->id,
                      json_pack("{s:s, s:s, s:s}", "email", x->row.email, "name", x->row.name,
                                "role", x->row.role));
}

int user_create(app_t *app, const actor_t *by, int64_t account_id, const user_new_t *in,
                char generated[40], int64_t *id, parley_err_t *err)
{
    if (!in->email || !user_email_valid(in->email))
        return parley_errf(err, PARLEY_EINVAL, "/email", "a valid e-mail address is required");
    if (role_parse(in->role) == ROLE_INVALID)
        return parley_errf(err, PARLEY_EINVAL, "/role",
                           "role must be admin, supervisor, agent or analyst");
    const char *pw = in->password;
    if (!pw) {
        crypto_random_token(18, generated, 40);
        pw = generated;
    }
    size_t pwlen = strlen(pw);
    if (pwlen < USER_PASSWORD_MIN || pwlen > USER_PASSWORD_MAX)
        return parley_errf(err, PARLEY_EINVAL, "/password",
                           "the password must be %d to %d characters long", USER_PASSWORD_MIN,
                           USER_PASSWORD_MAX);
    char hash[128];
    if (crypto_password_hash(pw, pwlen, hash))
        return parley_errf(err, PARLEY_EIO, "", "could not hash the password");
    int64_t now = app_now(app);
    create_ctx_t x = {
        .app = app,
        .by = by,
        .row =
            {
                .account_id = account_id,
                .email = in->email,
                .name = in->name && *in->name ? in->name : in->email,
                .role = in->role,
                .status = "active",
                .availability = "offline",
                .password_hash = hash,
                .must_change_password = in->must_change_password,
                .capacity = in->capacity > 0 ? in->capacity : 10,
                .created_at = now,
                .updated_at = now,
            },
    };
    int rc = app->store->ops->write(app->store, create_tx, &x);
    memset(hash, 0, sizeof hash);
    if (rc == PARLEY_EEXIST)
        return parley_errf(err, rc, "/email", "a user with this e-mail address already exists");
    if (rc) return parley_errf(err, rc, "", "the user could not be stored");
    if (id) *id = x.id;
    return 0;
}

/* ---- update ------------------------------------------------------------- */

typedef struct {
    app_t *app;
    const actor_t *by;
    int64_t user_id;
    json_t *patch;
    json_t *changes;
    parley_err_t *err;
    const char *new_hash;
    const char *current_pw;
} update_ctx_t;

static int count_active_admins(store_conn_t *c, app_t *app, int64_t account_id, int *n)
{
    arena_t a;
    arena_init(&a, 0);
    *n = 0;
    page_t p = {.account_id = account_id, .after_id = 0, .limit = 100};
    int rc;
    for (;;) {
        user_row_t *rows;
        int k;
        if ((rc = app->store->ops->user_list(c, &p, &a, &rows, &k))) break;
        for (int i = 0; i < k; i++)
            if (!strcmp(rows[i].role, "admin") && !strcmp(rows[i].status, "active")) (*n)++;
        if (k < p.limit) break;
        p.after_id = rows[k - 1].id;
        arena_free(&a);
    }
    arena_free(&a);
    return rc;
}

static int update_tx(store_conn_t *c, void *p)
{
    update_ctx_t *x = p;
    const store_ops_t *ops = x->app->store->ops;
    arena_t a;
    arena_init(&a, 0);
    user_row_t u;
    int rc = ops->user_get(c, x->by->account_id, x->user_id, &a, &u);
    if (rc) {
        parley_errf(x->err, rc, "", "no such user");
        goto done;
    }
    bool was_admin = !strcmp(u.role, "admin") && !strcmp(u.status, "active");
    bool was_online = !strcmp(u.availability, "online") && !strcmp(u.status, "active");
    int64_t old_capacity = u.capacity;
    json_t *v;
    if ((v = json_object_get(x->patch, "name"))) u.name = json_string_value(v);
    if ((v = json_object_get(x->patch, "role"))) u.role = json_string_value(v);
    if ((v = json_object_get(x->patch, "status"))) u.status = json_string_value(v);
    if ((v = json_object_get(x->patch, "availability"))) u.availability = json_string_value(v);
    if ((v = json_object_get(x->patch, "capacity"))) u.capacity = json_integer_value(v);
    if (x->new_hash) {
        if (x->current_pw &&
            !crypto_password_verify(u.password_hash, x->current_pw, strlen(x->current_pw))) {
            rc = parley_errf(x->err, PARLEY_EAUTH, "/current_password",
                             "the current password is wrong");
            goto done;
        }
        u.password_hash = x->new_hash;
        u.must_change_password = false;
    }
    bool is_admin = !strcmp(u.role, "admin") && !strcmp(u.status, "active");
    if (was_admin && !is_admin) {
        int n;
        if ((rc = count_active_admins(c, x->app, u.account_id, &n))) goto done;
        if (n <= 1) {
            rc = parley_errf(x->err, PARLEY_ECONFLICT, "/role",
                             "this is the account's last active admin; make someone else "
                             "admin first");
            goto done;
        }
    }
    u.updated_at = app_now(x->app);
    if ((rc = ops->user_update(c, &u))) goto done;
    if (!strcmp(u.status, "disabled") || x->new_hash) {
        /* A disabled user or a changed password ends every session. */
        if ((rc = ops->session_delete_user(c, u.id))) goto done;
    }
    const char *type = x->new_hash ? "user.password_changed" : "user.updated";
    rc = desk_event(c, x->app, x->by, type, "user", u.id, json_incref(x->changes));
    if (rc || !x->app->store->ops->desk) goto done;
    /* Work follows people: a disabled agent's conversations go back to the
     * queue; an agent coming online or given more capacity takes queued work. */
    dtx_t t = {.app = x->app, .c = c, .by = x->by, .now = u.updated_at, .arena = &a};
    bool online = !strcmp(u.availability, "online") && !strcmp(u.status, "active");
    if (!strcmp(u.status, "disabled"))
        rc = conv_release_user(&t, u.account_id, u.id);
    else if (online && (!was_online || u.capacity > old_capacity))
        rc = router_drain(&t, u.account_id, u.id);
done:
    arena_free(&a);
    return rc;
}

int user_update(app_t *app, const actor_t *by, int64_t user_id, json_t *patch, parley_err_t *err)
{
    static const char *const av[] = {"online", "away", "offline", NULL};
    json_t *v;
    if ((v = json_object_get(patch, "role")) && role_parse(json_string_value(v)) == ROLE_INVALID)
        return parley_errf(err, PARLEY_EINVAL, "/role",
                           "role must be admin, supervisor, agent or analyst");
    if ((v = json_object_get(patch, "status"))) {
        const char *s = json_string_value(v);
        if (!s || (strcmp(s, "active") && strcmp(s, "disabled")))
            return parley_errf(err, PARLEY_EINVAL, "/status", "status must be active or disabled");
    }
    if ((v = json_object_get(patch, "availability"))) {
        const char *s = json_string_value(v);
        bool ok = false;
        for (int i = 0; s && av[i]; i++) ok |= !strcmp(s, av[i]);
        if (!ok)
            return parley_errf(err, PARLEY_EINVAL, "/availability",
                               "availability must be online, away or offline");
    }
    if ((v = json_object_get(patch, "name")) &&
        (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 200))
        return parley_errf(err, PARLEY_EINVAL, "/name", "name must be 1 to 200 characters");
    if ((v = json_object_get(patch, "capacity")) &&
        (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 1000))
        return parley_errf(err, PARLEY_EINVAL, "/capacity", "capacity must be 1 to 1000");
    update_ctx_t x = {
        .app = app, .by = by, .user_id = user_id, .patch = patch, .changes = patch, .err = err};
    err->code = 0;
    int rc = app->store->ops->write(app->store, update_tx, &x);
    if (rc && err->code == 0) parley_errf(err, rc, "", "the user could not be updated");
    return rc;
}

int user_change_password(app_t *app, const actor_t *by, const char *current, const char *next,
                         parley_err_t *err)
{
    size_t n = strlen(next);
    if (n < USER_PASSWORD_MIN || n > USER_PASSWORD_MAX)
        return parley_errf(err, PARLEY_EINVAL, "/new_password",
                           "the new password must be %d to %d characters long", USER_PASSWORD_MIN,
                           USER_PASSWORD_MAX);
    char hash[128];
    if (crypto_password_hash(next, n, hash))
        return parley_errf(err, PARLEY_EIO, "", "could not hash the password");
    json_t *none = json_object();
    update_ctx_t x = {.app = app,
                      .by = by,
                      .user_id = by->user_id,
                      .patch = none,
                      .changes = none,
                      .err = err,
                      .new_hash = hash,
                      .current_pw = current};
    err->code = 0;
    int rc = app->store->ops->write(app->store, update_tx, &x);
    json_decref(none);
    if (rc && err->code == 0) parley_errf(err, rc, "", "the password could not be changed");
    return rc;
}

/* ---- bootstrap ------------------------------------------------------------ */

typedef struct {
    app_t *app;
    const char *name;
    int64_t id;
} account_ctx_t;

static int account_tx(store_conn_t *c, void *p)
{
    account_ctx_t *x = p;
    int rc = x->app->store->ops->account_create(c, x->name, app_now(x->app), &x->id);
    if (rc) return rc;
    actor_t by = {.account_id = x->id, .kind = "cli"};
    return desk_event(c, x->app, &by, "account.created", "account", x->id,
                      json_pack("{s:s}", "name", x->name));
}

int account_bootstrap(app_t *app, const char *account_name, const char *admin_email,
                      const char *password, char generated[40], int64_t *account_id,
                      parley_err_t *err)
{
    if (!account_name || !*account_name || strlen(account_name) > 200)
        return parley_errf(err, PARLEY_EINVAL, "/account", "an account name is required");
    if (!user_email_valid(admin_email))
        return parley_errf(err, PARLEY_EINVAL, "/admin", "a valid admin e-mail is required");
    if (password && (strlen(password) < USER_PASSWORD_MIN || strlen(password) > USER_PASSWORD_MAX))
        return parley_errf(err, PARLEY_EINVAL, "/password",
                           "the password must be %d to %d characters long", USER_PASSWORD_MIN,
                           USER_PASSWORD_MAX);
    arena_t a;
    arena_init(&a, 0);
    user_row_t existing;
    int rc = app->store->ops->user_get_by_email(app->store->ops->reader(app->store), admin_email,
                                                &a, &existing);
    arena_free(&a);
    if (rc == 0)
        return parley_errf(err, PARLEY_EEXIST, "/admin", "a user with e-mail %s already exists",
                           admin_email);
    account_ctx_t x = {.app = app, .name = account_name};
    if ((rc = app->store->ops->write(app->store, account_tx, &x)))
        return parley_errf(err, rc, "", "the account could not be created");
    actor_t by = {.account_id = x.id, .kind = "cli"};
    user_new_t u = {.email = admin_email,
                    .name = "Administrator",
                    .role = "admin",
                    .password = password,
                    .must_change_password = password == NULL};
    if ((rc = user_create(app, &by, x.id, &u, generated, NULL, err))) return rc;
    *account_id = x.id;
    return 0;
}
