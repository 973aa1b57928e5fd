/*
 * sqlite_widget.c - the SQLite queries behind store_widget_ops_t: visitors of
 * web inboxes and the visitor's view of their own conversations.
 *
 * Same habits as sqlite_catalog.c: static SQL strings prepared once per
 * connection, bound by position, never built from input. A visitor's
 * messages are found through the unique index on (inbox_id, external_id):
 * their own external ids share the prefix "<visitor_key>:", and the range
 * [prefix, prefix with its ':' raised to ';') holds exactly those.
 */
#include "store/sqlite_internal.h"
#include "store/store_widget.h"

#include <string.h>

#define VISITOR_COLS "id, account_id, inbox_id, visitor_key, token_hash, verified, created_at"

static void visitor_read(sqlite3_stmt *st, arena_t *a, widget_visitor_row_t *r)
{
    r->id = sq__col_i(st, 0);
    r->account_id = sq__col_i(st, 1);
    r->inbox_id = sq__col_i(st, 2);
    r->visitor_key = sq__col_str(st, 3, a);
    r->token_hash = sq__col_str(st, 4, a);
    r->verified = sq__col_i(st, 5) != 0;
    r->created_at = sq__col_i(st, 6);
}

static int visitor_get(store_conn_t *c, int64_t inbox_id, const char *visitor_key, arena_t *a,
                       widget_visitor_row_t *out)
{
    sqlite3_stmt *st = sq__q(c,
                             "SELECT " VISITOR_COLS " FROM widget_visitors"
                             " WHERE inbox_id = ? AND visitor_key = ?",
                             "is", inbox_id, visitor_key);
    int rc = sq__one(c, st);
    if (rc) return rc;
    visitor_read(st, a, out);
    sqlite3_reset(st);
    return 0;
}

static int visitor_create(store_conn_t *c, const widget_visitor_row_t *in, int64_t *id)
{
    int rc = sq__run(c, sq__q(c,
                              "INSERT INTO widget_visitors(account_id, inbox_id, visitor_key,"
                              " token_hash, verified, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                              "iissii", in->account_id, in->inbox_id, in->visitor_key,
                              in->token_hash, (int64_t)in->verified, in->created_at));
    if (!rc && id) *id = sqlite3_last_insert_rowid(c->db);
    return rc;
}

static int visitor_delete(store_conn_t *c, int64_t id)
{
    return sq__run(c, sq__q(c, "DELETE FROM widget_visitors WHERE id = ?", "i", id));
}

/* The end of the prefix range: prefix with its last byte raised by one. */
static const char *range_end(arena_t *a, const char *prefix)
{
    size_t n = strlen(prefix);
    char *end = arena_strndup(a, prefix, n);
    if (n) end[n - 1] = (char)(end[n - 1] + 1);
    return end;
}

static void message_read(sqlite3_stmt *st, arena_t *a, widget_message_row_t *r)
{
    r->id = sq__col_i(st, 0);
    r->conversation_id = sq__col_i(st, 1);
    r->direction = sq__col_str(st, 2, a);
    r->kind = sq__col_str(st, 3, a);
    r->author_kind = sq__col_str(st, 4, a);
    r->author_name = sqlite3_column_type(st, 5) == SQLITE_NULL ? NULL : sq__col_str(st, 5, a);
    r->body = sq__col_str(st, 6, a);
    r->attachments = sq__col_str(st, 7, a);
    r->created_at = sq__col_i(st, 8);
}

static int visitor_messages(store_conn_t *c, int64_t inbox_id, const char *prefix, int64_t after_id,
                            int limit, arena_t *a, widget_message_row_t **out, int *n)
{
    if (!prefix || !*prefix || limit <= 0) return PARLEY_EINVAL;
    sqlite3_stmt *st = sq__q(
        c,
        "SELECT m.id, m.conversation_id, m.direction, m.kind, m.author_kind, u.name, m.body,"
        " m.attachments, m.created_at"
        " FROM messages m LEFT JOIN users u ON m.author_kind = 'user' AND u.id = m.author_id"
        " WHERE m.conversation_id IN (SELECT conversation_id FROM messages"
        "   WHERE inbox_id = ?1 AND external_id >= ?2 AND external_id < ?3)"
        " AND m.inbox_id = ?1 AND m.id > ?4 AND m.visibility <> 'internal' AND m.kind <> 'note'"
        " AND (m.direction = 'out' OR (m.external_id >= ?2 AND m.external_id < ?3))"
        " ORDER BY m.id LIMIT ?5",
        "issii", inbox_id, prefix, range_end(a, prefix), after_id, (int64_t)limit);
    if (!st) return PARLEY_EIO;
    *out = arena_alloc(a, sizeof **out * (size_t)limit);
    *n = 0;
    int rc;
    while (*n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW)
        message_read(st, a, &(*out)[(*n)++]);
    if (*n == limit) rc = SQLITE_DONE;
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq__rc(c, rc);
}

static int visitor_conversations(store_conn_t *c, int64_t inbox_id, const char *prefix, int cap,
                                 arena_t *a, int64_t **ids, int *n)
{
    if (!prefix || !*prefix || cap <= 0) return PARLEY_EINVAL;
    sqlite3_stmt *st = sq__q(c,
                             "SELECT DISTINCT conversation_id FROM messages"
                             " WHERE inbox_id = ? AND external_id >= ? AND external_id < ?"
                             " ORDER BY conversation_id DESC LIMIT ?",
                             "issi", inbox_id, prefix, range_end(a, prefix), (int64_t)cap);
    if (!st) return PARLEY_EIO;
    *ids = arena_alloc(a, sizeof **ids * (size_t)cap);
    *n = 0;
    int rc;
    while (*n < cap && (rc = sqlite3_step(st)) == SQLITE_ROW) (*ids)[(*n)++] = sq__col_i(st, 0);
    if (*n == cap) rc = SQLITE_DONE;
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq__rc(c, rc);
}

const store_widget_ops_t sq__widget_ops = {
    .visitor_get = visitor_get,
    .visitor_create = visitor_create,
    .visitor_delete = visitor_delete,
    .visitor_messages = visitor_messages,
    .visitor_conversations = visitor_conversations,
};
