/*
 * sqlite_webhooks.c - the SQLite queries behind store_webhooks_ops_t:
 * subscriptions, their cursors, deliveries, and the event reads the
 * dispatcher needs.
 *
 * Same habits as sqlite_catalog.c: static SQL prepared once per connection,
 * bound by position, never built from input; every statement a person's
 * request reaches names the account it may touch.
 */
#include "store/sqlite_internal.h"
#include "store/store_webhooks.h"

#include <string.h>

static int run_one(store_conn_t *c, sqlite3_stmt *st)
{
    int rc = sq__run(c, st);
    if (!rc && sqlite3_changes(c->db) == 0) return PARLEY_ENOENT;
    return rc;
}

/* Reads up to limit rows of st into an arena array through read(). */
#define READ_PAGE(c, st, a, out, n, limit, read)                                                   \
    do {                                                                                           \
        if (!(st)) return PARLEY_EIO;                                                              \
        *(out) = arena_alloc((a), sizeof **(out) * (size_t)((limit) > 0 ? (limit) : 1));           \
        *(n) = 0;                                                                                  \
        int rc_;                                                                                   \
        while (*(n) < (limit) && (rc_ = sqlite3_step(st)) == SQLITE_ROW)                           \
            read((st), (a), &(*(out))[(*(n))++]);                                                  \
        if (*(n) == (limit)) rc_ = SQLITE_DONE;                                                    \
        sqlite3_reset(st);                                                                         \
        return rc_ == SQLITE_ROW || rc_ == SQLITE_DONE ? 0 : sq__rc((c), rc_);                     \
    } while (0)

/* ---- subscriptions -------------------------------------------------------- */

#define SUB_COLS                                                                                   \
    "id, account_id, name, url, events, format, secret, active, last_event_id, created_at,"        \
    " updated_at"

static void sub_read(sqlite3_stmt *st, arena_t *a, webhook_row_t *w)
{
    w->id = sq__col_i(st, 0);
    w->account_id = sq__col_i(st, 1);
    w->name = sq__col_str(st, 2, a);
    w->url = sq__col_str(st, 3, a);
    w->events = sq__col_str(st, 4, a);
    w->format = sq__col_str(st, 5, a);
    w->secret_len = (size_t)sqlite3_column_bytes(st, 6);
    void *blob = arena_alloc(a, w->secret_len + 1);
    if (w->secret_len) memcpy(blob, sqlite3_column_blob(st, 6), w->secret_len);
    w->secret = blob;
    w->active = sq__col_i(st, 7) != 0;
    w->last_event_id = sq__col_i(st, 8);
    w->created_at = sq__col_i(st, 9);
    w->updated_at = sq__col_i(st, 10);
}

static int sub_create(store_conn_t *c, const webhook_row_t *w, int64_t *id)
{
    int rc = sq__run(c, sq__q(c,
                              "INSERT INTO webhook_subscriptions(account_id, name, url, events,"
                              " format, secret, active, last_event_id, created_at, updated_at)"
                              " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                              "issssbiiii", w->account_id, w->name, w->url, w->events, w->format,
                              w->secret, w->secret_len, (int64_t)w->active, w->last_event_id,
                              w->created_at, w->updated_at));
    if (!rc) *id = sqlite3_last_insert_rowid(c->db);
    return rc;
}

static int sub_get(store_conn_t *c, int64_t account_id, int64_t id, arena_t *a, webhook_row_t *out)
{
    sqlite3_stmt *st =
        sq__q(c, "SELECT " SUB_COLS " FROM webhook_subscriptions WHERE id = ? AND account_id = ?",
              "ii", id, account_id);
    int rc = sq__one(c, st);
    if (rc) return rc;
    sub_read(st, a, out);
    sqlite3_reset(st);
    return 0;
}

static int sub_list(store_conn_t *c, const page_t *p, arena_t *a, webhook_row_t **out, int *n)
{
    sqlite3_stmt *st = sq__q(c,
                             "SELECT " SUB_COLS " FROM webhook_subscriptions"
                             " WHERE account_id = ? AND id > ? ORDER BY id LIMIT ?",
                             "iii", p->account_id, p->after_id, (int64_t)p->limit);
    READ_PAGE(c, st, a, out, n, p->limit, sub_read);
}

static int sub_count(store_conn_t *c, int64_t account_id, int64_t *n)
{
    sqlite3_stmt *st = sq__q(c, "SELECT count(*) FROM webhook_subscriptions WHERE account_id = ?",
                             "i", account_id);
    int rc = sq__one(c, st);
    if (rc) return rc;
    *n = sq__col_i(st, 0);
    sqlite3_reset(st);
    return 0;
}

static int sub_update(store_conn_t *c, const webhook_row_t *w)
{
    return run_one(c, sq__q(c,
                            "UPDATE webhook_subscriptions SET name = ?, url = ?, events = ?,"
                            " format = ?, secret = ?, active = ?, last_event_id = ?,"
                            " updated_at = ? WHERE id = ? AND account_id = ?",
                            "ssssbiiiii", w->name, w->url, w->events, w->format, w->secret,
                            w->secret_len, (int64_t)w->active, w->last_event_id, w->updated_at,
                            w->id, w->account_id));
}

static int sub_remove(store_conn_t *c, int64_t account_id, int64_t id)
{
    /* Deliveries go with it (ON DELETE CASCADE). */
    return run_one(c, sq__q(c, "DELETE FROM webhook_subscriptions WHERE id = ? AND account_id = ?",
                            "ii", id, account_id));
}

static int sub_behind(store_conn_t *c, int64_t head, int limit, arena_t *a, webhook_row_t **out,
                      int *n)
{
    sqlite3_stmt *st = sq__q(c,
                             "SELECT " SUB_COLS " FROM webhook_subscriptions"
                             " WHERE active = 1 AND last_event_id < ? ORDER BY id LIMIT ?",
                             "ii", head, (int64_t)limit);
    READ_PAGE(c, st, a, out, n, limit, sub_read);
}

static int sub_advance(store_conn_t *c, int64_t id, int64_t from, int64_t to)
{
    int rc = run_one(c, sq__q(c,
                              "UPDATE webhook_subscriptions SET last_event_id = ?"
                              " WHERE id = ? AND last_event_id = ?",
                              "iii", to, id, from));
    return rc == PARLEY_ENOENT ? PARLEY_ECONFLICT : rc;
}

/* ---- deliveries ------------------------------------------------------------- */

#define DELIVERY_COLS                                                                              \
    "d.id, d.account_id, d.subscription_id, d.event_id, d.event_type, d.status, d.attempts,"       \
    " coalesce(d.next_attempt_at, 0), coalesce(d.last_attempt_at, 0),"                             \
    " coalesce(d.last_status, 0), d.last_error, d.created_at"

static void delivery_read(sqlite3_stmt *st, arena_t *a, webhook_delivery_row_t *d)
{
    d->id = sq__col_i(st, 0);
    d->account_id = sq__col_i(st, 1);
    d->subscription_id = sq__col_i(st, 2);
    d->event_id = sq__col_i(st, 3);
    d->event_type = sq__col_str(st, 4, a);
    d->status = sq__col_str(st, 5, a);
    d->attempts = sq__col_i(st, 6);
    d->next_attempt_at = sq__col_i(st, 7);
    d->last_attempt_at = sq__col_i(st, 8);
    d->last_status = sq__col_i(st, 9);
    d->last_error = sqlite3_column_type(st, 10) == SQLITE_NULL ? NULL : sq__col_str(st, 10, a);
    d->created_at = sq__col_i(st, 11);
}

static int delivery_create(store_conn_t *c, const webhook_delivery_row_t *d, int64_t *id)
{
    int rc =
        sq__run(c, sq__q(c,
                         "INSERT OR IGNORE INTO webhook_deliveries(account_id,"
                         " subscription_id, event_id, event_type, status, attempts,"
                         " next_attempt_at, created_at) VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)",
                         "iiisii", d->account_id, d->subscription_id, d->event_id, d->event_type,
                         d->next_attempt_at, d->created_at));
    if (!rc) *id = sqlite3_changes(c->db) ? sqlite3_last_insert_rowid(c->db) : 0;
    return rc;
}

static int delivery_get(store_conn_t *c, int64_t id, arena_t *a, webhook_delivery_row_t *out)
{
    sqlite3_stmt *st =
        sq__q(c, "SELECT " DELIVERY_COLS " FROM webhook_deliveries d WHERE d.id = ?", "i", id);
    int rc = sq__one(c, st);
    if (rc) return rc;
    delivery_read(st, a, out);
    sqlite3_reset(st);
    return 0;
}

static int delivery_update(store_conn_t *c, const webhook_delivery_row_t *d)
{
    return run_one(c, sq__q(c,
                            "UPDATE webhook_deliveries SET status = ?, attempts = ?,"
                            " next_attempt_at = ?, last_attempt_at = ?, last_status = ?,"
                            " last_error = ? WHERE id = ?",
                            "sizzzsi", d->status, d->attempts, d->next_attempt_at,
                            d->last_attempt_at, d->last_status, d->last_error, d->id));
}

#define DUE_WHERE                                                                                  \
    " FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id"          \
    " WHERE d.status IN ('pending', 'failed') AND d.next_attempt_at IS NOT NULL"                   \
    " AND (s.active = 1 OR d.event_type = 'webhook.test')"

static int delivery_due(store_conn_t *c, int64_t now, int limit, arena_t *a,
                        webhook_delivery_row_t **out, int *n)
{
    sqlite3_stmt *st = sq__q(c,
                             "SELECT " DELIVERY_COLS DUE_WHERE " AND d.next_attempt_at <= ?"
                             " ORDER BY d.next_attempt_at, d.id LIMIT ?",
                             "ii", now, (int64_t)limit);
    READ_PAGE(c, st, a, out, n, limit, delivery_read);
}

static int delivery_next_due(store_conn_t *c, int64_t *at)
{
    sqlite3_stmt *st = sq__q(c, "SELECT coalesce(min(d.next_attempt_at), 0)" DUE_WHERE, "");
    int rc = sq__one(c, st);
    if (rc) return rc;
    *at = sq__col_i(st, 0);
    sqlite3_reset(st);
    return 0;
}

static int delivery_list(store_conn_t *c, const page_t *p, int64_t subscription_id,
                         const char *status, arena_t *a, webhook_delivery_row_t **out, int *n)
{
    sqlite3_stmt *st =
        sq__q(c,
              "SELECT " DELIVERY_COLS " FROM webhook_deliveries d"
              " WHERE d.account_id = ?1 AND d.subscription_id = ?2"
              " AND (?3 = 0 OR d.id < ?3) AND (?4 IS NULL OR d.status = ?4)"
              " ORDER BY d.id DESC LIMIT ?5",
              "iiisi", p->account_id, subscription_id, p->after_id, status, (int64_t)p->limit);
    READ_PAGE(c, st, a, out, n, p->limit, delivery_read);
}

/* ---- the log ------------------------------------------------------------------ */

#define EV_COLS                                                                                    \
    "id, account_id, at, actor_kind, actor_id, type, subject_kind, subject_id, payload,"           \
    " prev_hash, hash"

static void ev_read(sqlite3_stmt *st, arena_t *a, event_row_t *e)
{
    e->id = sq__col_i(st, 0);
    e->account_id = sq__col_i(st, 1);
    e->at = sq__col_i(st, 2);
    e->actor_kind = sq__col_str(st, 3, a);
    e->actor_id = sq__col_i(st, 4);
    e->type = sq__col_str(st, 5, a);
    e->subject_kind = sq__col_str(st, 6, a);
    e->subject_id = sq__col_i(st, 7);
    e->payload = sq__col_str(st, 8, a);
    e->prev_hash = sq__col_str(st, 9, a);
    e->hash = sq__col_str(st, 10, a);
}

static int events_after(store_conn_t *c, int64_t account_id, int64_t after_id, int limit,
                        arena_t *a, event_row_t **out, int *n)
{
    sqlite3_stmt *st = sq__q(c,
                             "SELECT " EV_COLS " FROM events WHERE account_id = ? AND id > ?"
                             " ORDER BY id LIMIT ?",
                             "iii", account_id, after_id, (int64_t)limit);
    READ_PAGE(c, st, a, out, n, limit, ev_read);
}

static int event_get(store_conn_t *c, int64_t account_id, int64_t id, arena_t *a, event_row_t *out)
{
    sqlite3_stmt *st = sq__q(c, "SELECT " EV_COLS " FROM events WHERE id = ? AND account_id = ?",
                             "ii", id, account_id);
    int rc = sq__one(c, st);
    if (rc) return rc;
    ev_read(st, a, out);
    sqlite3_reset(st);
    return 0;
}

const struct store_webhooks_ops sq__webhooks_ops = {
    .create = sub_create,
    .get = sub_get,
    .list = sub_list,
    .count = sub_count,
    .update = sub_update,
    .remove = sub_remove,
    .behind = sub_behind,
    .advance = sub_advance,
    .delivery_create = delivery_create,
    .delivery_get = delivery_get,
    .delivery_update = delivery_update,
    .delivery_due = delivery_due,
    .delivery_next_due = delivery_next_due,
    .delivery_list = delivery_list,
    .events_after = events_after,
    .event_get = event_get,
};
