/*
 * catalog.c - teams and their members, labels, canned responses: the rules,
 * and each change written with its event in one transaction.
 *
 * Input arrives already typed (the HTTP layer checked JSON types); this file
 * checks what only the domain knows and what must hold for every caller:
 * lengths in characters, formats, uniqueness beyond what SQL collations see,
 * references into the account. Never renders HTTP.
 */
#include "desk/catalog.h"

#include "core/log.h"
#include "desk/canned.h"
#include "desk/users.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

const store_catalog_ops_t *catalog_ops(const app_t *app)
{
    const store_catalog_ops_t *ops = app->store->ops->catalog;
    if (!ops) {
        log_line_t l;
        log_begin(&l, LOG_ERROR, "catalog.unsupported", NULL);
        log_str(&l, "store", app->store->ops->name);
        log_end(&l);
    }
    return ops;
}

/* ---- text rules --------------------------------------------------------- */

/* Characters (code points) of valid UTF-8 s. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) n += (*p & 0xC0) != 0x80;
    return n;
}

static bool has_control(const char *s, bool allow_lines)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (allow_lines && (*p == '\n' || *p == '\r' || *p == '\t')) continue;
        if (*p < 0x20 || *p == 0x7f) return true;
    }
    return false;
}

/* A one-line name: trimmed into a (as *out), 1..max characters, no control
 * characters. The field is the JSON pointer reported on failure. */
static int check_line(arena_t *a, const char *in, const char *field, size_t max, const char **out,
                      parley_err_t *err)
{
    const char *key = field + 1;
    if (!in) return parley_errf(err, PARLEY_EINVAL, field, "%s is required", key);
    str_t t = str_trim(str_from(in));
    char *s = arena_strndup(a, t.ptr ? t.ptr : "", t.len);
    if (!*s) return parley_errf(err, PARLEY_EINVAL, field, "%s must not be blank", key);
    if (utf8_chars(s) > max)
        return parley_errf(err, PARLEY_EINVAL, field, "%s must be 1 to %zu characters", key, max);
    if (has_control(s, false))
        return parley_errf(err, PARLEY_EINVAL, field, "%s must not contain control characters",
                           key);
    *out = s;
    return 0;
}

/* "#rrggbb" in either case, into lower case. */
static int check_color(arena_t *a, const char *in, const char **out, parley_err_t *err)
{
    bool ok = in && strlen(in) == 7 && in[0] == '#';
    for (int i = 1; ok && i < 7; i++) ok = isxdigit((unsigned char)in[i]) != 0;
    if (!ok)
        return parley_errf(err, PARLEY_EINVAL, "/color",
                           "color must be a hex colour like #1f8a70 (#rrggbb)");
    char *s = arena_strdup(a, in);
    for (char *p = s; *p; p++) *p = (char)tolower((unsigned char)*p);
    *out = s;
    return 0;
}

/* ^[a-z0-9][a-z0-9_-]{0,31}$ */
static int check_short_code(const char *s, parley_err_t *err)
{
    size_t n = s ? strlen(s) : 0;
    bool ok = n >= 1 && n <= CANNED_CODE_MAX;
    for (size_t i = 0; ok && i < n; i++) {
        char c = s[i];
        ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && (c == '_' || c == '-'));
    }
    if (!ok)
        return parley_errf(err, PARLEY_EINVAL, "/short_code",
                           "short_code must be 1 to %d of a-z, 0-9, '_' and '-', starting with a "
                           "letter or digit",
                           CANNED_CODE_MAX);
    return 0;
}

static int check_body(const char *s, parley_err_t *err)
{
    if (!s || !*s) return parley_errf(err, PARLEY_EINVAL, "/body", "body must not be empty");
    if (utf8_chars(s) > CANNED_BODY_MAX)
        return parley_errf(err, PARLEY_EINVAL, "/body", "body must be 1 to %d characters",
                           CANNED_BODY_MAX);
    if (has_control(s, true))
        return parley_errf(err, PARLEY_EINVAL, "/body",
                           "body must not contain control characters other than line breaks "
                           "and tabs");
    parley_err_t e = {0};
    if (canned_check(s, strlen(s), canned_variables, &e))
        return parley_errf(err, PARLEY_EINVAL, "/body", "%s", e.msg);
    return 0;
}

/* Unicode case folding (NFC first), malloc'd; NULL when s is not valid UTF-8. */
static char *fold(const char *s)
{
    utf8proc_uint8_t *out = NULL;
    utf8proc_ssize_t n =
        utf8proc_map((const utf8proc_uint8_t *)s, 0, &out,
                     UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD);
    return n < 0 ? NULL : (char *)out;
}

/* ---- the shared transaction context ------------------------------------- */

typedef struct {
    app_t *app;
    const store_catalog_ops_t *cat;
    const actor_t *by;
    parley_err_t *err;
    int64_t id;
    const char *name, *color;
    canned_fields_t canned;
    const int64_t *ids;
    size_t n;
} tx_t;

static int event(store_conn_t *c, tx_t *x, const char *type, const char *kind, int64_t id,
                 json_t *payload)
{
    return desk_event(c, x->app, x->by, type, kind, id, payload);
}

/* Runs fn in a write transaction; a failure that left no message gets `what`. */
static int write_tx(tx_t *x, int (*fn)(store_conn_t *c, void *p), const char *what)
{
    x->err->code = 0;
    int rc = x->app->store->ops->write(x->app->store, fn, x);
    if (rc && x->err->code == 0) parley_errf(x->err, rc, "", "the %s could not be stored", what);
    return rc;
}

/* ---- teams -------------------------------------------------------------- */

json_t *team_to_json(const team_row_t *t, const team_member_row_t *members, int n_members)
{
    char created[32];
    clock_format_iso(t->created_at, created);
    json_t *o = json_pack("{s:I, s:s, s:I, s:s}", "id", (json_int_t)t->id, "name", t->name,
                          "member_count", (json_int_t)t->member_count, "created_at", created);
    if (members) {
        json_t *a = json_array();
        for (int i = 0; i < n_members; i++) {
            const team_member_row_t *m = &members[i];
            json_array_append_new(a, json_pack("{s:I, s:s, s:s, s:s, s:s}", "id",
                                               (json_int_t)m->user_id, "name", m->name, "email",
                                               m->email, "availability", m->availability, "status",
                                               m->status));
        }
        json_object_set_new(o, "members", a);
    }
    return o;
}

static int team_create_tx(store_conn_t *c, void *p)
{
    tx_t *x = p;
    team_row_t t = {
        .account_id = x->by->account_id, .name = x->name, .created_at = app_now(x->app)};
    int rc = x->cat->team_create(c, &t, &x->id);
    if (rc) return rc;
    return event(c, x, "team.created", "team", x->id, json_pack("{s:s}", "name", x->name));
}

static int team_name_taken(parley_err_t *err)
{
    return parley_errf(err, PARLEY_EEXIST, "/name", "the account already has a team of this name");
}

int team_create(app_t *app, const actor_t *by, const char *name, int64_t *id, parley_err_t *err)
{
    const store_catalog_ops_t *cat = catalog_ops(app);
    if (!cat) return parley_errf(err, PARLEY_EIO, "", "teams are not available on this store");
    arena_t a;
    arena_init(&a, 0);
    tx_t x = {.app = app, .cat = cat, .by = by, .err = err};
    int rc = check_line(&a, name, "/name", TEAM_NAME_MAX, &x.name, err);
    if (!rc) rc = write_tx(&x, team_create_tx, "team");
    if (rc == PARLEY_EEXIST) team_name_taken(err);
    if (!rc && id) *id = x.id;
    arena_free(&a);
    return rc;
}

static int team_rename_tx(store_conn_t *c, void *p)
{
    tx_t *x = p;
    arena_t a;
    arena_init(&a, 0);
    team_row_t t;
    int rc = x->cat->team_get(c, x->by->account_id, x->id, &a, &t);
    if (rc) {
        if (rc == PARLEY_ENOENT) parley_errf(x->err, rc, "", "no team with this id");
        goto done;
    }
    if (strcmp(t.name, x->name) == 0) goto done; /* nothing changes: no event */
    const char *previous = t.name;
    t.name = x->name;
    if ((rc = x->cat->team_update(c, &t))) goto done;
    rc = event(c, x, "team.updated", "team", t.id,
               json_pack("{s:s, s:{s:s}}", "name", t.name, "previous", "name", previous));
done:
    arena_free(&a);
    return rc;
}

int team_rename(app_t *app, const actor_t *by, int64_t id, const char *name, parley_err_t *err)
{
    const store_catalog_ops_t *cat = catalog_ops(app);
    if (!cat) return parley_errf(err, PARLEY_EIO, "", "teams are not available on this store");
    arena_t a;
    arena_init(&a, 0);
    tx_t x = {.app = app, .cat = cat, .by = by, .err = err, .id = id};
    int rc = check_line(&a, name, "/name", TEAM_NAME_MAX, &x.name, err);
    if (!rc) rc = write_tx(&x, team_rename_tx, "team");
    if (rc == PARLEY_EEXIST) team_name_taken(err);
    arena_free(&a);
    return rc;
}

static int team_delete_tx(store_conn_t *c, void *p)
{
    tx_t *x = p;
    arena_t a;
    arena_init(&a, 0);
    team_row_t t;
    int64_t inboxes = 0, detached = 0;
    int rc = x->cat->team_get(c, x->by->account_id, x->id, &a, &t);
    if (rc) {
        if (rc == PARLEY_ENOENT) parley_errf(x->err, rc, "", "no team with this id");
        goto done;
    }
    if ((rc = x->cat->team_inbox_count(c, t.account_id, t.id, &inboxes))) goto done;
    if (inboxes > 0) {
        rc = parley_errf(x->err, PARLEY_ECONFLICT, "",
                         "%lld inbox%s still route%s conversations to this team; give %s "
                         "another team first",
                         (long long)inboxes, inboxes == 1 ? "" : "es", inboxes == 1 ? "s" : "",
                         inboxes == 1 ? "it" : "them");
        goto done;
    }
    if ((rc = x->cat->team_delete(c, t.account_id, t.id, app_now(x->app), &detached))) {
        /* Another table still points at the team: refuse rather than cascade blindly. */
        if (rc == PARLEY_EINVAL)
            rc = parley_errf(x->err, PARLEY_ECONFLICT, "",
                             "the team is still referenced and can not be deleted");
        goto done;
    }
    rc = event(c, x, "team.deleted", "team", t.id,
               json_pack("{s:s, s:I, s:I}", "name", t.name, "members", (json_int_t)t.member_count,
                         "conversations_detached", (json_int_t)detached));
done:
    arena_free(&a);
    return rc;
}

int team_delete(app_t *app, const actor_t *by, int64_t id, parley_err_t *err)
{
    const store_catalog_ops_t *cat = catalog_ops(app);
    if (!cat) return parley_errf(err, PARLEY_EIO, "", "teams are not available on this store");
    tx_t x = {.app = app, .cat = cat, .by = by, .err = err, .id = id};
    return write_tx(&x, team_delete_tx, "team");
}

static bool contains(const int64_t *ids, size_t n, int64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id) return true;
    return false;
}

static int team_members_tx(store_conn_t *c, void *p)
{
    tx_t *x = p;
    const store_ops_t *ops = x->app->store->ops;
    arena_t a;
    arena_init(&a, 0);
    team_row_t t;
    team_member_row_t *old;
    int n_old;
    int rc = x->cat->team_get(c, x->by->account_id, x->id, &a, &t);
    if (rc) {
        if (rc == PARLEY_ENOENT) parley_errf(x->err, rc, "", "no team with this id");
        goto done;
    }
    for (size_t i = 0; i < x->n; i++) {
        user_row_t u;
        char ptr[32];
        snprintf(ptr, sizeof ptr, "/user_ids/%zu", i);
        rc = ops->user_get(c, t.account_id, x->ids[i], &a, &u);
        if (rc == PARLEY_ENOENT || (!rc && strcmp(u.status, "active") != 0)) {
            rc = parley_errf(x->err, PARLEY_EINVAL, ptr,
                             "user %lld is not an active user of this account",
                             (long long)x->ids[i]);
            goto done;
        }
        if (rc) goto done;
    }
    if ((rc = x->cat->team_members_list(c, t.account_id, t.id, &a, &old, &n_old))) goto done;
    json_t *added = json_array(), *removed = json_array(), *now = json_array();
    for (size_t i = 0; i < x->n; i++) {
        json_array_append_new(now, json_integer(x->ids[i]));
        bool was = false;
        for (int k = 0; k < n_old && !was; k++) was = old[k].user_id == x->ids[i];
        if (!was) json_array_append_new(added, json_integer(x->ids[i]));
    }
    for (int k = 0; k < n_old; k++)
        if (!contains(x->ids, x->n, old[k].user_id))
            json_array_append_new(removed, json_integer(old[k].user_id));
    if (json_array_size(added) == 0 && json_array_size(removed) == 0) {
        /* the same set: no event */
        json_decref(added);
        json_decref(removed);
        json_decref(now);
        goto done;
    }
    if ((rc = x->cat->team_members_replace(c, t.account_id, t.id, x->ids, x->n))) {
        json_decref(added);
        json_decref(removed);
        json_decref(now);
        goto done;
    }
    rc = event(c, x, "team.members_changed", "team", t.id,
               json_pack("{s:o, s:o, s:o}", "user_ids", now, "added", added, "removed", removed));
done:
    arena_free(&a);
    return rc;
}

int team_set_members(app_t *app, const actor_t *by, int64_t id, const int64_t *user_ids, size_t n,
                     parley_err_t *err)
{
    const store_catalog_ops_t *cat = catalog_ops(app);
    if (!cat) return parley_errf(err, PARLEY_EIO, "", "teams are not available on this store");
    if (n > TEAM_MEMBERS_MAX)
        return parley_errf(err, PARLEY_EINVAL, "/user_ids", "a team has at most %d members",
                           TEAM_MEMBERS_MAX);
    for (size_t i = 0; i < n; i++) {
        char ptr[32];
        snprintf(ptr, sizeof ptr, "/user_ids/%zu", i);
        if (user_ids[i] <= 0)
            return parley_errf(err, PARLEY_EINVAL, ptr, "user ids are positive integers");
        if (contains(user_ids, i, user_ids[i]))
            return parley_errf(err, PARLEY_EINVAL, ptr, "user %lld is listed twice",
                               (long long)user_ids[i]);
    }
    tx_t x = {.app = app, .cat = cat, .by = by, .err = err, .id = id, .ids = user_ids, .n = n};
    return write_tx(&x, team_members_tx, "team");
}

/* ---- labels ------------------------------------------------------------- */

json_t *label_to_json(const label_row_t *l)
{
    char created[32];
    clock_format_iso(l->created_at, created);
    return json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)l->id, "name", l->name, "color",
                     l->color, "created_at", created);
}

/* Whether another label of the account (not except_id) has name in any letter
 * case. Runs inside the write transaction, so no concurrent create slips by;
 * the NOCASE unique index is the backstop for ASCII. */
static int label_name_taken(store_conn_t *c, tx_t *x, const char *name, int64_t except_id,
                            bool *taken)
{
    *taken = false;
    char *want = fold(name);
    if (!want) return parley_errf(x->err, PARLEY_EINVAL, "/name", "name is not valid UTF-8");
    arena_t a;
    arena_init(&a, 0);
    page_t pg = {.account_id = x->by->account_id, .after_id = 0, .limit = 100};
    int rc;
    for (;;) {
        label_row_t *rows;
        int n;
        if ((rc = x->cat->label_list(c, &pg, &a, &rows, &n))) break;
        for (int i = 0; i < n && !*taken; i++) {
            if (rows[i].id == except_id) continue;
            char *have = fold(rows[i].name);
            *taken = have && strcmp(have, want) == 0;
            free(have);
        }
        if (*taken || n < pg.limit) break;
        pg.after_id = rows[n - 1].id;
        arena_free(&a);
    }
    arena_free(&a);
    free(want);
    return rc;
}

static int label_exists(parley_err_t *err)
{
    return parley_errf(err, PARLEY_EEXIST, "/name",
                       "the account already has a label of this name (in some letter case)");
}

static int label_create_tx(store_conn_t *c, void *p)
{
    tx_t *x = p;
    bool taken;
    int rc = label_name_taken(c, x, x->name, 0, &taken);
    if (rc) return rc;
    if (taken) return label_exists(x->err);
    label_row_t l = {.account_id = x->by->account_id,
                     .name = x->name,
                     .color = x->color,
                     .created_at = app_now(x->app)};
    if ((rc = x->cat->label_create(c, &l, &x->id))) return rc;
    return event(c, x, "label.created", "label", x->id,
                 json_pack("{s:s, s:s}", "name", l.name, "color", l.color));
}

int label_create(app_t *app, const actor_t *by, const label_fields_t *in, int64_t *id,
                 parley_err_t *err)
{
    const store_catalog_ops_t *cat = catalog_ops(app);
    if (!cat) return parley_errf(err, PARLEY_EIO, "", "labels are not available on this store");
    arena_t a;
    arena_init(&a, 0);
    tx_t x = {.app = app, .cat = cat, .by = by, .err = err};
    int rc = check_line(&a, in->name, "/name", LABEL_NAME_MAX, &x.name, err);
    if (!rc) rc = check_color(&a, in->color ? in->color : LABEL_COLOR_DEFAULT, &x.color, err);
    if (!rc) rc = write_tx(&x, label_create_tx, "label");
    if (rc == PARLEY_EEXIST) label_exists(err);
    if (!rc && id) *id = x.id;
    arena_free(&a);
    return rc;
}

static int label_update_tx(store_conn_t *c, void *p)
{
    tx_t *x = p;
    arena_t a;
    arena_init(&a, 0);
    label_row_t l;
    int rc = x->cat->label_get(c, x->by->account_id, x->id, &a, &l);
    if (rc) {
        if (rc == PARLEY_ENOENT) parley_errf(x->err, rc, "", "no label with this id");
        goto done;
    }
    json_t *to = json_object(), *from = json_object();
    if (x->name && strcmp(x->name, l.name) != 0) {
        bool taken;
        if ((rc = label_name_taken(c, x, x->name, l.id, &taken)) ||
            (taken && (rc = label_exists(x->err)))) {
            json_decref(to);
            json_decref(from);
            goto done;
        }
        json_object_set_new(from, "name", json_string(l.name));
        json_object_set_new(to, "name", json_string(x->name));
        l.name = x->name;
    }
    if (x->color && strcmp(x->color, l.color) != 0) {
        json_object_set_new(from, "color", json_string(l.color));
        json_object_set_new(to, "color", json_string(x->color));
        l.color = x->color;
    }
    if (json_object_size(to) == 0) { /* nothing changes: no event */
        json_decref(to);
        json_decref(from);
        goto done;
    }
    if ((rc = x->cat->label_update(c, &l))) {
        json_decref(to);
        json_decref(from);
        goto done;
    }
    json_object_set_new(to, "previous", from);
    rc = event(c, x, "label.updated", "label", l.id, to);
done:
    arena_free(&a);
    return rc;
}

int label_update(app_t *app, const actor_t *by, int64_t id, const label_fields_t *in,
                 parley_err_t *err)
{
    const store_catalog_ops_t *cat = catalog_ops(app);
    if (!cat) return parley_errf(err, PARLEY_EIO, "", "labels are not available on this store");
    arena_t a;
    arena_init(&a, 0);
    tx_t x = {.app = app, .cat = cat, .by = by, .err = err, .id = id};
    int rc = 0;
    if (in->name) rc = check_line(&a, in->name, "/name", LABEL_NAME_MAX, &x.name, err);
    if (!rc && in->color) rc = check_color(&a, in->color, &x.color, err);
    if (!rc) rc = write_tx(&x, label_update_tx, "label");
    if (rc == PARLEY_EEXIST) label_exists(err);
    arena_free(&a);
    return rc;
}

static int label_delete_tx(store_conn_t *c, void *p)
{
    tx_t *x = p;
    arena_t a;
    arena_init(&a, 0);
    label_row_t l;
    int64_t conversations = 0;
    int rc = x->cat->label_get(c, x->by->account_id, x->id, &a, &l);
    if (rc) {
        if (rc == PARLEY_ENOENT) parley_errf(x->err, rc, "", "no label with this id");
        goto done;
    }
    if ((rc = x->cat->label_delete(c, l.account_id, l.id, &conversations))) goto done;
    rc = event(c, x, "label.deleted", "label", l.id,
               json_pack("{s:s, s:s, s:I}", "name", l.name, "color", l.color, "conversations",
                         (json_int_t)conversations));
done:
    arena_free(&a);
    return rc;
}

int label_delete(app_t *app, const actor_t *by, int64_t id, parley_err_t *err)
{
    const store_catalog_ops_t *cat = catalog_ops(app);
    if (!cat) return parley_errf(err, PARLEY_EIO, "", "labels are not available on this store");
    tx_t x = {.app = app, .cat = cat, .by = by, .err = err, .id = id};
    return write_tx(&x, label_delete_tx, "label");
}

/* ---- canned responses --------------------------------------------------- */

json_t *canned_response_to_json(const canned_row_t *r)
{
    char created[32], updated[32];
    clock_format_iso(r->created_at, created);
    clock_format_iso(r->updated_at, updated);
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)r->id, "title",
                          r->title, "short_code", r->short_code, "body", r->body, "created_at",
                          created, "updated_at", updated);
    json_object_set_new(o, "created_by", r->created_by ? json_integer(r->created_by) : json_null());
    return o;
}

static int code_taken(parley_err_t *err)
{
    return parley_errf(err, PARLEY_EEXIST, "/short_code",
                       "the account already has a canned response with this short code");
}

/* Checks the fields given (all of them when `all`), trimming the title into a. */
static int check_canned(arena_t *a, const canned_fields_t *in, bool all, canned_fields_t *out,
                        parley_err_t *err)
{
    int rc = 0;
    *out = *in;
    if (all || in->title)
        rc = check_line(a, in->title, "/title", CANNED_TITLE_MAX, &out->title, err);
    if (!rc && (all || in->short_code)) rc = check_short_code(in->short_code, err);
    if (!rc && (all || in->body)) rc = check_body(in->body, err);
    return rc;
}

static int canned_create_tx(store_conn_t *c, void *p)
{
    tx_t *x = p;
    int64_t now = app_now(x->app);
    canned_row_t r = {.account_id = x->by->account_id,
                      .title = x->canned.title,
                      .short_code = x->canned.short_code,
                      .body = x->canned.body,
                      .created_by = x->by->user_id,
                      .created_at = now,
                      .updated_at = now};
    int rc = x->cat->canned_create(c, &r, &x->id);
    if (rc) return rc;
    return event(c, x, "canned.created", "canned_response", x->id,
                 json_pack("{s:s, s:s}", "title", r.title, "short_code", r.short_code));
}

int canned_response_create(app_t *app, const actor_t *by, const canned_fields_t *in, int64_t *id,
                           parley_err_t *err)
{
    const store_catalog_ops_t *cat = catalog_ops(app);
    if (!cat)
        return parley_errf(err, PARLEY_EIO, "", "canned responses are not available on this store");
    arena_t a;
    arena_init(&a, 0);
    tx_t x = {.app = app, .cat = cat, .by = by, .err = err};
    int rc = check_canned(&a, in, true, &x.canned, err);
    if (!rc) rc = write_tx(&x, canned_create_tx, "canned response");
    if (rc == PARLEY_EEXIST) code_taken(err);
    if (!rc && id) *id = x.id;
    arena_free(&a);
    return rc;
}

static int canned_update_tx(store_conn_t *c, void *p)
{
    tx_t *x = p;
    arena_t a;
    arena_init(&a, 0);
    canned_row_t r;
    int rc = x->cat->canned_get(c, x->by->account_id, x->id, &a, &r);
    if (rc) {
        if (rc == PARLEY_ENOENT) parley_errf(x->err, rc, "", "no canned response with this id");
        goto done;
    }
    json_t *to = json_object(), *from = json_object(), *changed = json_array();
    if (x->canned.title && strcmp(x->canned.title, r.title) != 0) {
        json_object_set_new(from, "title", json_string(r.title));
        json_object_set_new(to, "title", json_string(x->canned.title));
        json_array_append_new(changed, json_string("title"));
        r.title = x->canned.title;
    }
    if (x->canned.short_code && strcmp(x->canned.short_code, r.short_code) != 0) {
        json_object_set_new(from, "short_code", json_string(r.short_code));
        json_object_set_new(to, "short_code", json_string(x->canned.short_code));
        json_array_append_new(changed, json_string("short_code"));
        r.short_code = x->canned.short_code;
    }
    if (x->canned.body && strcmp(x->canned.body, r.body) != 0) {
        json_array_append_new(changed, json_string("body")); /* the text itself stays out */
        r.body = x->canned.body;
    }
    if (json_array_size(changed) == 0) { /* nothing changes: no event */
        json_decref(to);
        json_decref(from);
        json_decref(changed);
        goto done;
    }
    r.updated_at = app_now(x->app);
    if ((rc = x->cat->canned_update(c, &r))) {
        json_decref(to);
        json_decref(from);
        json_decref(changed);
        goto done;
    }
    json_object_set_new(to, "previous", from);
    json_object_set_new(to, "changed", changed);
    rc = event(c, x, "canned.updated", "canned_response", r.id, to);
done:
    arena_free(&a);
    return rc;
}

int canned_response_update(app_t *app, const actor_t *by, int64_t id, const canned_fields_t *in,
                           parley_err_t *err)
{
    const store_catalog_ops_t *cat = catalog_ops(app);
    if (!cat)
        return parley_errf(err, PARLEY_EIO, "", "canned responses are not available on this store");
    arena_t a;
    arena_init(&a, 0);
    tx_t x = {.app = app, .cat = cat, .by = by, .err = err, .id = id};
    int rc = check_canned(&a, in, false, &x.canned, err);
    if (!rc) rc = write_tx(&x, canned_update_tx, "canned response");
    if (rc == PARLEY_EEXIST) code_taken(err);
    arena_free(&a);
    return rc;
}

static int canned_delete_tx(store_conn_t *c, void *p)
{
    tx_t *x = p;
    arena_t a;
    arena_init(&a, 0);
    canned_row_t r;
    int rc = x->cat->canned_get(c, x->by->account_id, x->id, &a, &r);
    if (rc) {
        if (rc == PARLEY_ENOENT) parley_errf(x->err, rc, "", "no canned response with this id");
        goto done;
    }
    if ((rc = x->cat->canned_delete(c, r.account_id, r.id))) goto done;
    rc = event(c, x, "canned.deleted", "canned_response", r.id,
               json_pack("{s:s, s:s}", "title", r.title, "short_code", r.short_code));
done:
    arena_free(&a);
    return rc;
}

int canned_response_delete(app_t *app, const actor_t *by, int64_t id, parley_err_t *err)
{
    const store_catalog_ops_t *cat = catalog_ops(app);
    if (!cat)
        return parley_errf(err, PARLEY_EIO, "", "canned responses are not available on this store");
    tx_t x = {.app = app, .cat = cat, .by = by, .err = err, .id = id};
    return write_tx(&x, canned_delete_tx, "canned response");
}

/* ---- rendering ---------------------------------------------------------- */

typedef struct {
    str_t contact_name, inbox_name, agent_name;
    char conversation_id[24];
} render_vars_t;

static int render_lookup(void *p, str_t name, str_t *value)
{
    render_vars_t *v = p;
    if (str_eq_cstr(name, "contact.name")) {
        *value = v->contact_name;
    } else if (str_eq_cstr(name, "contact.first_name")) {
        /* the first word of the name ("Ana Maria Silva" -> "Ana") */
        str_t s = v->contact_name;
        size_t n = 0;
        while (n < s.len && !isspace((unsigned char)s.ptr[n])) n++;
        *value = (str_t){s.ptr, n};
    } else if (str_eq_cstr(name, "agent.name")) {
        *value = v->agent_name;
    } else if (str_eq_cstr(name, "conversation.id")) {
        *value = str_from(v->conversation_id);
    } else if (str_eq_cstr(name, "inbox.name")) {
        *value = v->inbox_name;
    } else {
        return PARLEY_ENOENT;
    }
    return 0;
}

int canned_response_render(app_t *app, const actor_t *by, int64_t id, int64_t conversation_id,
                           buf_t *out, parley_err_t *err)
{
    err->code = 0;
    const store_catalog_ops_t *cat = catalog_ops(app);
    if (!cat)
        return parley_errf(err, PARLEY_EIO, "", "canned responses are not available on this store");
    store_t *st = app->store;
    store_conn_t *c = st->ops->reader(st);
    if (!c) return parley_errf(err, PARLEY_EIO, "", "the store is not available");
    arena_t a;
    arena_init(&a, 0);
    canned_row_t r;
    canned_context_t cx;
    user_row_t agent;
    render_vars_t v = {0};
    int rc = cat->canned_get(c, by->account_id, id, &a, &r);
    if (rc) {
        if (rc == PARLEY_ENOENT) parley_errf(err, rc, "", "no canned response with this id");
        goto done;
    }
    rc = cat->canned_context(c, by->account_id, conversation_id, &a, &cx);
    if (rc) {
        if (rc == PARLEY_ENOENT)
            parley_errf(err, rc, "/conversation_id", "no conversation %lld in this account",
                        (long long)conversation_id);
        goto done;
    }
    v.contact_name = str_trim(str_from(cx.contact_name));
    v.inbox_name = str_trim(str_from(cx.inbox_name));
    if (st->ops->user_get(c, by->account_id, by->user_id, &a, &agent) == 0)
        v.agent_name = str_trim(str_from(agent.name));
    snprintf(v.conversation_id, sizeof v.conversation_id, "%lld", (long long)cx.conversation_id);
    parley_err_t e = {0};
    rc = canned_render(r.body, strlen(r.body), render_lookup, &v, out, &e);
    if (rc == PARLEY_ENOENT) /* a known variable without a value for this conversation */
        rc = parley_errf(err, PARLEY_EINVAL, "/conversation_id", "%s", e.msg);
    else if (rc == PARLEY_EINVAL) /* the stored text itself is broken */
        rc = parley_errf(err, PARLEY_EINVAL, "/body", "the canned response can not be used: %s",
                         e.msg);
    else if (rc)
        parley_errf(err, rc, "", "the canned response could not be rendered");
done:
    if (rc && err->code == 0) parley_errf(err, rc, "", "the canned response could not be read");
    arena_free(&a);
    return rc;
}
