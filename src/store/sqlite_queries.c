/*
 * sqlite_queries.c - every query of the SQLite back end, prepared once per
 * connection and bound by position. No SQL is ever built from input.
 */
#include "store/sqlite_internal.h"

#include "core/crypto.h"
#include "core/json.h"

#include <stdarg.h>
#include <string.h>

#define q       sq__q
#define run     sq__run
#define one     sq__one
#define col_str sq__col_str
#define col_i   sq__col_i

/* ---- accounts ---------------------------------------------------------- */

static int account_create(store_conn_t *c, const char *name, int64_t now, int64_t *id)
{
    int rc = run(c, q(c, "INSERT INTO accounts(name, created_at) VALUES (?, ?)", "si", name, now));
    if (!rc) *id = sqlite3_last_insert_rowid(c->db);
    return rc;
}

static int account_get(store_conn_t *c, int64_t id, arena_t *a, account_row_t *out)
{
    sqlite3_stmt *st = q(c, "SELECT id, name, created_at FROM accounts WHERE id = ?", "i", id);
    int rc = one(c, st);
    if (rc) return rc;
    out->id = col_i(st, 0);
    out->name = col_str(st, 1, a);
    out->created_at = col_i(st, 2);
    sqlite3_reset(st);
    return 0;
}

/* ---- users --------------------------------------------------------------- */

#define USER_COLS                                                                                  \
    "id, account_id, email, name, role, status, availability, password_hash,"                      \
    " must_change_password, capacity, created_at, updated_at"

static void user_read(sqlite3_stmt *st, arena_t *a, user_row_t *u)
{
    u->id = col_i(st, 0);
    u->account_id = col_i(st, 1);
    u->email = col_str(st, 2, a);
    u->name = col_str(st, 3, a);
    u->role = col_str(st, 4, a);
    u->status = col_str(st, 5, a);
    u->availability = col_str(st, 6, a);
    u->password_hash = col_str(st, 7, a);
    u->must_change_password = col_i(st, 8) != 0;
    u->capacity = col_i(st, 9);
    u->created_at = col_i(st, 10);
    u->updated_at = col_i(st, 11);
}

static int user_create(store_conn_t *c, const user_row_t *u, int64_t *id)
{
    sq__agents_forget(c); /* the router's cache (sqlite_desk.c) */
    int rc = run(c, q(c,
                      "INSERT INTO users(account_id, email, name, role, status, availability,"
                      " password_hash, must_change_password, capacity, created_at, updated_at)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      "issssssiiii", u->account_id, u->email, u->name, u->role,
                      u->status ? u->status : "active",
                      u->availability ? u->availability : "offline", u->password_hash,
                      (int64_t)u->must_change_password, u->capacity, u->created_at, u->updated_at));
    /* "issssssiiii" has 'i' for password_hash position? No: fixed below. */
    if (!rc) *id = sqlite3_last_insert_rowid(c->db);
    return rc;
}

static int user_get(store_conn_t *c, int64_t account_id, int64_t id, arena_t *a, user_row_t *out)
{
    sqlite3_stmt *st = q(c, "SELECT " USER_COLS " FROM users WHERE id = ? AND account_id = ?", "ii",
                         id, account_id);
    int rc = one(c, st);
    if (rc) return rc;
    user_read(st, a, out);
    sqlite3_reset(st);
    return 0;
}

static int user_get_by_email(store_conn_t *c, const char *email, arena_t *a, user_row_t *out)
{
    sqlite3_stmt *st = q(c, "SELECT " USER_COLS " FROM users WHERE email = ?", "s", email);
    int rc = one(c, st);
    if (rc) return rc;
    user_read(st, a, out);
    sqlite3_reset(st);
    return 0;
}

static int user_list(store_conn_t *c, const page_t *p, arena_t *a, user_row_t **out, int *n)
{
    sqlite3_stmt *st = q(c,
                         "SELECT " USER_COLS " FROM users WHERE account_id = ? AND id > ?"
                         " ORDER BY id LIMIT ?",
                         "iii", p->account_id, p->after_id, (int64_t)p->limit);
    if (!st) return PARLEY_EIO;
    *out = arena_alloc(a, sizeof **out * (size_t)(p->limit > 0 ? p->limit : 1));
    *n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < p->limit)
        user_read(st, a, &(*out)[(*n)++]);
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sq__rc(c, rc);
}

static int user_update(store_conn_t *c, const user_row_t *u)
{
    sq__agents_forget(c); /* availability, capacity, role, status: the router's */
    sqlite3_stmt *st =
        q(c,
          "UPDATE users SET email = ?, name = ?, role = ?, status = ?,"
          " availability = ?, password_hash = ?, must_change_password = ?,"
          " capacity = ?, updated_at = ? WHERE id = ? AND account_id = ?",
          "ssssssiiiii", u->email, u->name, u->role, u->status, u->availability, u->password_hash,
          (int64_t)u->must_change_password, u->capacity, u->updated_at, u->id, u->account_id);
    int rc = run(c, st);
    if (!rc && sqlite3_changes(c->db) == 0) return PARLEY_ENOENT;
    return rc;
}

static int user_count(store_conn_t *c, int64_t *n)
{
    sqlite3_stmt *st = q(c, "SELECT count(*) FROM users", "");
    int rc = one(c, st);
    if (rc) return rc;
    *n = col_i(st, 0);
    sqlite3_reset(st);
    return 0;
}

/* ---- sessions ------------------------------------------------------------ */

static int session_create(store_conn_t *c, const session_row_t *s)
{
    return run(c, q(c,
                    "INSERT INTO sessions(token_hash, account_id, user_id, created_at,"
                    " last_seen_at) VALUES (?, ?, ?, ?, ?)",
                    "siiii", s->token_hash, s->account_id, s->user_id, s->created_at,
                    s->last_seen_at));
}

static int session_get(store_conn_t *c, const char *token_hash, arena_t *a, session_row_t *out)
{
    sqlite3_stmt *st = q(c,
                         "SELECT token_hash, account_id, user_id, created_at, last_seen_at"
                         " FROM sessions WHERE token_hash = ?",
                         "s", token_hash);
    int rc = one(c, st);
    if (rc) return rc;
    out->token_hash = col_str(st, 0, a);
    out->account_id = col_i(st, 1);
    out->user_id = col_i(st, 2);
    out->created_at = col_i(st, 3);
    out->last_seen_at = col_i(st, 4);
    sqlite3_reset(st);
    return 0;
}

static int session_touch(store_conn_t *c, const char *token_hash, int64_t now)
{
    return run(c, q(c, "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?", "is", now,
                    token_hash));
}

static int session_delete(store_conn_t *c, const char *token_hash)
{
    return run(c, q(c, "DELETE FROM sessions WHERE token_hash = ?", "s", token_hash));
}

static int session_delete_user(store_conn_t *c, int64_t user_id)
{
    return run(c, q(c, "DELETE FROM sessions WHERE user_id = ?", "i", user_id));
}

/* ---- API tokens ---------------------------------------------------------- */

#define TOKEN_COLS "id, account_id, user_id, name, created_at, last_used_at, revoked_at"

static void token_read(sqlite3_stmt *st, arena_t *a, token_row_t *t)
{
    t->id = col_i(st, 0);
    t->account_id = col_i(st, 1);
    t->user_id = col_i(st, 2);
    t->name = col_str(st, 3, a);
    t->created_at = col_i(st, 4);
    t->last_used_at = col_i(st, 5);
    t->revoked_at = col_i(st, 6);
}

static int token_create(store_conn_t *c, const token_row_t *t, const char *token_hash, int64_t *id)
{
    int rc = run(c, q(c,
                      "INSERT INTO api_tokens(account_id, user_id, name, token_hash, created_at)"
                      " VALUES (?, ?, ?, ?, ?)",
                      "iissi", t->account_id, t->user_id, t->name, token_hash, t->created_at));
    if (!rc) *id = sqlite3_last_insert_rowid(c->db);
    return rc;
}

static int token_get_by_hash(store_conn_t *c, const char *token_hash, arena_t *a, token_row_t *out)
{
    sqlite3_stmt *st =
        q(c, "SELECT " TOKEN_COLS " FROM api_tokens WHERE token_hash = ?", "s", token_hash);
    int rc = one(c, st);
    if (rc) return rc;
    token_read(st, a, out);
    sqlite3_reset(st);
    return 0;
}

static int token_list(store_conn_t *c, const page_t *p, arena_t *a, token_row_t **out, int *n)
{
    sqlite3_stmt *st = q(c,
                         "SELECT " TOKEN_COLS " FROM api_tokens WHERE account_id = ? AND id > ?"
                         " ORDER BY id LIMIT ?",
                         "iii", p->account_id, p->after_id, (int64_t)p->limit);
    if (!st) return PARLEY_EIO;
    *out = arena_alloc(a, sizeof **out * (size_t)(p->limit > 0 ? p->limit : 1));
    *n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < p->limit)
        token_read(st, a, &(*out)[(*n)++]);
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sq__rc(c, rc);
}

static int token_revoke(store_conn_t *c, int64_t account_id, int64_t id, int64_t now)
{
    int rc = run(c, q(c,
                      "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND account_id = ?"
                      " AND revoked_at IS NULL",
                      "iii", now, id, account_id));
    if (!rc && sqlite3_changes(c->db) == 0) return PARLEY_ENOENT;
    return rc;
}

static int token_touch(store_conn_t *c, int64_t id, int64_t now)
{
    return run(c, q(c, "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", "ii", now, id));
}

/* ---- events -------------------------------------------------------------- */

#define EVENT_COLS                                                                                 \
    "id, account_id, at, actor_kind, actor_id, type, subject_kind, subject_id, payload,"           \
    " prev_hash, hash"

static void event_read(sqlite3_stmt *st, arena_t *a, event_row_t *e)
{
    e->id = col_i(st, 0);
    e->account_id = col_i(st, 1);
    e->at = col_i(st, 2);
    e->actor_kind = col_str(st, 3, a);
    e->actor_id = col_i(st, 4);
    e->type = col_str(st, 5, a);
    e->subject_kind = col_str(st, 6, a);
    e->subject_id = col_i(st, 7);
    e->payload = col_str(st, 8, a);
    e->prev_hash = col_str(st, 9, a);
    e->hash = col_str(st, 10, a);
}

static const char genesis[65] = "0000000000000000000000000000000000000000000000000000000000000000";

static int event_append(store_conn_t *c, const event_new_t *in, int64_t at, int64_t *id_out)
{
    char prev[65];
    memcpy(prev, genesis, sizeof prev);
    int64_t last_id = 0;
    /* inside a batch that appended already: the link is known */
    bool known = c->chain_known && !sqlite3_get_autocommit(c->db);
    int rc = 0;
    if (known) {
        last_id = c->chain_id;
        memcpy(prev, c->chain_hash, sizeof prev);
    } else {
        sqlite3_stmt *st = q(c, "SELECT id, hash FROM events ORDER BY id DESC LIMIT 1", "");
        rc = one(c, st);
        if (rc == 0) {
            last_id = col_i(st, 0);
            const unsigned char *h = sqlite3_column_text(st, 1);
            if (h && sqlite3_column_bytes(st, 1) == 64) memcpy(prev, h, 64);
            sqlite3_reset(st);
        } else if (rc != PARLEY_ENOENT) {
            return rc;
        }
    }

    buf_t payload;
    buf_init(&payload, 0);
    if (in->payload)
        json_dump_to(&payload, in->payload);
    else
        buf_puts(&payload, "{}");

    event_row_t e = {
        .id = last_id + 1,
        .account_id = in->account_id,
        .at = at,
        .actor_kind = in->actor_kind,
        .actor_id = in->actor_id,
        .type = in->type,
        .subject_kind = in->subject_kind,
        .subject_id = in->subject_id,
        .payload = buf_cstr(&payload),
        .prev_hash = prev,
    };
    char hash[65];
    store_event_hash(&e, hash);
    rc = run(c, q(c,
                  "INSERT INTO events(id, account_id, at, actor_kind, actor_id, type,"
                  " subject_kind, subject_id, payload, prev_hash, hash)"
                  " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  "iiisississs", e.id, e.account_id, e.at, e.actor_kind, e.actor_id, e.type,
                  e.subject_kind, e.subject_id, e.payload, prev, hash));
    buf_free(&payload);
    c->chain_known = false;
    if (!rc) {
        c->events_appended++;
        c->chain_id = e.id;
        memcpy(c->chain_hash, hash, sizeof c->chain_hash);
        c->chain_known = !sqlite3_get_autocommit(c->db);
    }
    if (!rc && id_out) *id_out = e.id;
    return rc;
}

static int event_list(store_conn_t *c, const event_filter_t *f, arena_t *a, event_row_t **out,
                      int *n)
{
    /* A type ending in '.' is a prefix ("user." = every user event). */
    const char *type = f->type;
    char *like = NULL;
    if (type && *type && type[strlen(type) - 1] == '.') like = arena_sprintf(a, "%s%%", type);
    sqlite3_stmt *st = q(c,
                         "SELECT " EVENT_COLS " FROM events WHERE account_id = ? AND id > ?"
                         " AND ((?3 IS NULL AND ?4 IS NULL) OR type = ?3 OR type LIKE ?4)"
                         " AND (?5 IS NULL OR subject_kind = ?5)"
                         " AND (?6 IS NULL OR subject_id = ?6)"
                         " AND (?7 IS NULL OR at >= ?7) AND (?8 IS NULL OR at < ?8)"
                         " ORDER BY id LIMIT ?9",
                         "iissszzzi", f->account_id, f->after_id, like ? NULL : type, like,
                         f->subject_kind, f->subject_id, f->since, f->until, (int64_t)f->limit);
    if (!st) return PARLEY_EIO;
    *out = arena_alloc(a, sizeof **out * (size_t)(f->limit > 0 ? f->limit : 1));
    *n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < f->limit)
        event_read(st, a, &(*out)[(*n)++]);
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sq__rc(c, rc);
}

static int event_walk(store_conn_t *c, int (*fn)(const event_row_t *e, void *ctx), void *ctx)
{
    sqlite3_stmt *st = q(c, "SELECT " EVENT_COLS " FROM events ORDER BY id", "");
    if (!st) return PARLEY_EIO;
    arena_t a;
    arena_init(&a, 0);
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        event_row_t e;
        event_read(st, &a, &e);
        stop = fn(&e, ctx);
        arena_free(&a);
    }
    sqlite3_reset(st);
    if (stop) return stop;
    return rc == SQLITE_DONE ? 0 : sq__rc(c, rc);
}

static int event_last_id(store_conn_t *c, int64_t *id)
{
    sqlite3_stmt *st = q(c, "SELECT coalesce(max(id), 0) FROM events", "");
    int rc = one(c, st);
    if (rc) return rc;
    *id = col_i(st, 0);
    sqlite3_reset(st);
    return 0;
}

extern const struct store_catalog_ops sq__catalog_ops;   /* sqlite_catalog.c */
extern const struct store_desk_ops sq__desk_ops;         /* sqlite_desk.c */
extern const struct store_sla_ops sq__sla_ops;           /* sqlite_sla.c */
extern const struct store_widget_ops sq__widget_ops;     /* sqlite_widget.c */
extern const struct store_reports_ops sq__reports_ops;   /* sqlite_reports.c */
extern const struct store_webhooks_ops sq__webhooks_ops; /* sqlite_webhooks.c */
extern const struct store_digest_ops sq__digest_ops;     /* sqlite_digest.c */

const store_ops_t sq__ops = {
    .name = "sqlite",
    .close = sq__close,
    .ping = sq__ping,
    .schema_version = sq__schema_version,
    .reader = sq__reader,
    .write = sq__write,
    .account_create = account_create,
    .account_get = account_get,
    .user_create = user_create,
    .user_get = user_get,
    .user_get_by_email = user_get_by_email,
    .user_list = user_list,
    .user_update = user_update,
    .user_count = user_count,
    .session_create = session_create,
    .session_get = session_get,
    .session_touch = session_touch,
    .session_delete = session_delete,
    .session_delete_user = session_delete_user,
    .token_create = token_create,
    .token_get_by_hash = token_get_by_hash,
    .token_list = token_list,
    .token_revoke = token_revoke,
    .token_touch = token_touch,
    .event_append = event_append,
    .event_list = event_list,
    .event_walk = event_walk,
    .event_last_id = event_last_id,
    .catalog = &sq__catalog_ops,
    .sla = &sq__sla_ops,
    .widget = &sq__widget_ops,
    .reports = &sq__reports_ops,
    .webhooks = &sq__webhooks_ops,
    .digest = &sq__digest_ops,
    .desk = &sq__desk_ops,
};
