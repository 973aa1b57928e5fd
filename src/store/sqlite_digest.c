/*
 * sqlite_digest.c - the SQLite queries behind store_digest_ops_t: account
 * settings, the digests-sent record and the mail queue.
 *
 * Static SQL prepared once per connection, bound by position, never built
 * from input.
 */
#include "store/sqlite_internal.h"
#include "store/store_digest.h"

#include <string.h>

#define READ_ROWS(c, st, a, out, n, limit, read)                                                   \
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

/* ---- account settings ------------------------------------------------------ */

static int settings_get(store_conn_t *c, int64_t account_id, arena_t *a,
                        account_settings_row_t *out)
{
    memset(out, 0, sizeof *out);
    out->account_id = account_id;
    out->timezone = "UTC";
    out->digest_enabled = out->digest_email = true;
    sqlite3_stmt *st = sq__q(c,
                             "SELECT timezone, digest_enabled, digest_email, digest_recipients,"
                             " mail_inbox_id, updated_at"
                             " FROM account_settings WHERE account_id = ?",
                             "i", account_id);
    int rc = sq__one(c, st);
    if (rc == PARLEY_ENOENT) return 0;
    if (rc) return rc;
    out->timezone = sq__col_str(st, 0, a);
    out->digest_enabled = sq__col_i(st, 1) != 0;
    out->digest_email = sq__col_i(st, 2) != 0;
    out->digest_recipients =
        sqlite3_column_type(st, 3) == SQLITE_NULL ? NULL : sq__col_str(st, 3, a);
    out->mail_inbox_id = sq__col_i(st, 4);
    out->updated_at = sq__col_i(st, 5);
    sqlite3_reset(st);
    return 0;
}

static int settings_put(store_conn_t *c, const account_settings_row_t *s)
{
    return sq__run(c, sq__q(c,
                            "INSERT OR REPLACE INTO account_settings(account_id, timezone,"
                            " digest_enabled, digest_email, digest_recipients, mail_inbox_id,"
                            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                            "isiiszi", s->account_id, s->timezone, (int64_t)s->digest_enabled,
                            (int64_t)s->digest_email, s->digest_recipients, s->mail_inbox_id,
                            s->updated_at));
}

static void account_read(sqlite3_stmt *st, arena_t *a, digest_account_t *r)
{
    r->account_id = sq__col_i(st, 0);
    r->created_at = sq__col_i(st, 1);
    r->timezone = sq__col_str(st, 2, a);
    r->digest_enabled = sq__col_i(st, 3) != 0;
}

static int accounts(store_conn_t *c, int64_t after_id, int limit, arena_t *a,
                    digest_account_t **out, int *n)
{
    sqlite3_stmt *st = sq__q(c,
                             "SELECT a.id, a.created_at, coalesce(s.timezone, 'UTC'),"
                             " coalesce(s.digest_enabled, 1) FROM accounts a"
                             " LEFT JOIN account_settings s ON s.account_id = a.id"
                             " WHERE a.id > ? ORDER BY a.id LIMIT ?",
                             "ii", after_id, (int64_t)limit);
    READ_ROWS(c, st, a, out, n, limit, account_read);
}

/* ---- digests sent ------------------------------------------------------------ */

static int run_claim(store_conn_t *c, int64_t account_id, const char *week, int64_t now,
                     int64_t recipients)
{
    int rc = sq__run(c, sq__q(c,
                              "INSERT INTO digest_runs(account_id, week, sent_at, recipients)"
                              " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                              "isii", account_id, week, now, recipients));
    if (!rc && sqlite3_changes(c->db) == 0) return PARLEY_ECONFLICT;
    return rc;
}

static int run_get(store_conn_t *c, int64_t account_id, const char *week, int64_t *sent_at)
{
    sqlite3_stmt *st = sq__q(c, "SELECT sent_at FROM digest_runs WHERE account_id = ? AND week = ?",
                             "is", account_id, week);
    int rc = sq__one(c, st);
    if (rc) return rc;
    *sent_at = sq__col_i(st, 0);
    sqlite3_reset(st);
    return 0;
}

/* ---- the mail queue ------------------------------------------------------------ */

#define MAIL_COLS                                                                                  \
    "id, account_id, inbox_id, dedupe, kind, rcpt, subject, message, status, attempts,"            \
    " next_attempt_at, last_error, created_at, sent_at"

static void mail_read(sqlite3_stmt *st, arena_t *a, mail_row_t *m)
{
    m->id = sq__col_i(st, 0);
    m->account_id = sq__col_i(st, 1);
    m->inbox_id = sq__col_i(st, 2);
    m->dedupe = sq__col_str(st, 3, a);
    m->kind = sq__col_str(st, 4, a);
    m->rcpt = sq__col_str(st, 5, a);
    m->subject = sq__col_str(st, 6, a);
    m->message = sq__col_str(st, 7, a);
    m->status = sq__col_str(st, 8, a);
    m->attempts = sq__col_i(st, 9);
    m->next_attempt_at = sq__col_i(st, 10);
    m->last_error = sqlite3_column_type(st, 11) == SQLITE_NULL ? NULL : sq__col_str(st, 11, a);
    m->created_at = sq__col_i(st, 12);
    m->sent_at = sq__col_i(st, 13);
}

static int mail_create(store_conn_t *c, const mail_row_t *m, int64_t *id)
{
    int rc = sq__run(c, sq__q(c,
                              "INSERT INTO mail_outbox(account_id, inbox_id, dedupe, kind, rcpt,"
                              " subject, message, status, attempts, next_attempt_at, created_at)"
                              " VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)"
                              " ON CONFLICT(dedupe) DO NOTHING",
                              "iisssssii", m->account_id, m->inbox_id, m->dedupe, m->kind, m->rcpt,
                              m->subject, m->message, m->next_attempt_at, m->created_at));
    *id = !rc && sqlite3_changes(c->db) ? sqlite3_last_insert_rowid(c->db) : 0;
    return rc;
}

static int mail_due(store_conn_t *c, int64_t now, int limit, arena_t *a, mail_row_t **out, int *n)
{
    sqlite3_stmt *st = sq__q(c,
                             "SELECT " MAIL_COLS " FROM mail_outbox WHERE status = 'pending'"
                             " AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
                             "ii", now, (int64_t)limit);
    READ_ROWS(c, st, a, out, n, limit, mail_read);
}

static int mail_next_due(store_conn_t *c, int64_t *at)
{
    sqlite3_stmt *st = sq__q(
        c, "SELECT coalesce(min(next_attempt_at), 0) FROM mail_outbox WHERE status = 'pending'",
        "");
    int rc = sq__one(c, st);
    if (rc) return rc;
    *at = sq__col_i(st, 0);
    sqlite3_reset(st);
    return 0;
}

static int mail_update(store_conn_t *c, const mail_row_t *m)
{
    return sq__run(c, sq__q(c,
                            "UPDATE mail_outbox SET status = ?, attempts = ?, next_attempt_at = ?,"
                            " last_error = ?, sent_at = ? WHERE id = ?",
                            "sizszi", m->status, m->attempts, m->next_attempt_at, m->last_error,
                            m->sent_at, m->id));
}

static int mail_list(store_conn_t *c, int64_t account_id, int limit, arena_t *a, mail_row_t **out,
                     int *n)
{
    sqlite3_stmt *st = sq__q(c,
                             "SELECT " MAIL_COLS " FROM mail_outbox WHERE account_id = ?"
                             " ORDER BY id DESC LIMIT ?",
                             "ii", account_id, (int64_t)limit);
    READ_ROWS(c, st, a, out, n, limit, mail_read);
}

const struct store_digest_ops sq__digest_ops = {
    .settings_get = settings_get,
    .settings_put = settings_put,
    .accounts = accounts,
    .run_claim = run_claim,
    .run_get = run_get,
    .mail_create = mail_create,
    .mail_due = mail_due,
    .mail_next_due = mail_next_due,
    .mail_update = mail_update,
    .mail_list = mail_list,
};
