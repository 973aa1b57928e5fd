/*
 * sqlite_catalog.c - the SQLite queries behind store_catalog_ops_t: teams and
 * members, labels, canned responses, the render context.
 *
 * Same habits as sqlite_queries.c (and its helpers, sqlite_util.c): static SQL
 * strings prepared once per connection (cached by address), bound by
 * position, never built from input; every statement names the account it may
 * touch.
 */
#include "store/sqlite_internal.h"
#include "store/store_catalog.h"

#include <string.h>

/* ---- helpers ------------------------------------------------------------- */

/* Runs an UPDATE/DELETE of one row: PARLEY_ENOENT when it touched none. */
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
        while ((rc_ = sqlite3_step(st)) == SQLITE_ROW && *(n) < (limit))                           \
            read((st), (a), &(*(out))[(*(n))++]);                                                  \
        sqlite3_reset(st);                                                                         \
        return rc_ == SQLITE_ROW || rc_ == SQLITE_DONE ? 0 : sq__rc((c), rc_);                     \
    } while (0)

/* ---- teams -------------------------------------------------------------- */

#define TEAM_COLS                                                                                  \
    "t.id, t.account_id, t.name, t.created_at,"                                                    \
    " (SELECT count(*) FROM team_members m WHERE m.team_id = t.id)"

static void team_read(sqlite3_stmt *st, arena_t *a, team_row_t *t)
{
    t->id = sq__col_i(st, 0);
    t->account_id = sq__col_i(st, 1);
    t->name = sq__col_str(st, 2, a);
    t->created_at = sq__col_i(st, 3);
    t->member_count = sq__col_i(st, 4);
}

static int team_create(store_conn_t *c, const team_row_t *t, int64_t *id)
{
    int rc = sq__run(c, sq__q(c, "INSERT INTO teams(account_id, name, created_at) VALUES (?, ?, ?)",
                              "isi", t->account_id, t->name, t->created_at));
    if (!rc) *id = sqlite3_last_insert_rowid(c->db);
    return rc;
}

static int team_get(store_conn_t *c, int64_t account_id, int64_t id, arena_t *a, team_row_t *out)
{
    sqlite3_stmt *st =
        sq__q(c, "SELECT " TEAM_COLS " FROM teams t WHERE t.id = ? AND t.account_id = ?", "ii", id,
              account_id);
    int rc = sq__one(c, st);
    if (rc) return rc;
    team_read(st, a, out);
    sqlite3_reset(st);
    return 0;
}

static int team_list(store_conn_t *c, const page_t *p, arena_t *a, team_row_t **out, int *n)
{
    sqlite3_stmt *st = sq__q(c,
                             "SELECT " TEAM_COLS " FROM teams t WHERE t.account_id = ? AND t.id > ?"
                             " ORDER BY t.id LIMIT ?",
                             "iii", p->account_id, p->after_id, (int64_t)p->limit);
    READ_PAGE(c, st, a, out, n, p->limit, team_read);
}

static int team_update(store_conn_t *c, const team_row_t *t)
{
    return run_one(c, sq__q(c, "UPDATE teams SET name = ? WHERE id = ? AND account_id = ?", "sii",
                            t->name, t->id, t->account_id));
}

static int team_inbox_count(store_conn_t *c, int64_t account_id, int64_t id, int64_t *n)
{
    sqlite3_stmt *st = sq__q(c,
                             "SELECT count(*) FROM inboxes WHERE team_id = ? AND account_id = ?"
                             " AND deleted_at IS NULL",
                             "ii", id, account_id);
    int rc = sq__one(c, st);
    if (rc) return rc;
    *n = sq__col_i(st, 0);
    sqlite3_reset(st);
    return 0;
}

static int team_delete(store_conn_t *c, int64_t account_id, int64_t id, int64_t now,
                       int64_t *detached)
{
    sq__agents_forget(c); /* its members leave the router's cached teams */
    /* teams(id) is referenced without ON DELETE by inboxes and conversations:
     * let go of the team there first, or the foreign key refuses the delete. */
    int rc = sq__run(c, sq__q(c,
                              "UPDATE inboxes SET team_id = NULL, updated_at = ? WHERE team_id = ?"
                              " AND account_id = ? AND deleted_at IS NOT NULL",
                              "iii", now, id, account_id));
    if (rc) return rc;
    rc = sq__run(c, sq__q(c,
                          "UPDATE conversations SET team_id = NULL, version = version + 1,"
                          " updated_at = ? WHERE team_id = ? AND account_id = ?",
                          "iii", now, id, account_id));
    if (rc) return rc;
    *detached = sqlite3_changes(c->db);
    return run_one(
        c, sq__q(c, "DELETE FROM teams WHERE id = ? AND account_id = ?", "ii", id, account_id));
}

static void member_read(sqlite3_stmt *st, arena_t *a, team_member_row_t *m)
{
    m->user_id = sq__col_i(st, 0);
    m->name = sq__col_str(st, 1, a);
    m->email = sq__col_str(st, 2, a);
    m->availability = sq__col_str(st, 3, a);
    m->status = sq__col_str(st, 4, a);
}

static int team_members_list(store_conn_t *c, int64_t account_id, int64_t team_id, arena_t *a,
                             team_member_row_t **out, int *n)
{
    sqlite3_stmt *st = sq__q(c,
                             "SELECT u.id, u.name, u.email, u.availability, u.status"
                             " FROM team_members m JOIN users u ON u.id = m.user_id"
                             " WHERE m.team_id = ? AND m.account_id = ? AND u.account_id = ?"
                             " ORDER BY u.id",
                             "iii", team_id, account_id, account_id);
    if (!st) return PARLEY_EIO;
    int cap = 16, rc;
    *out = arena_alloc(a, sizeof **out * (size_t)cap);
    *n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) { /* a team is small: grow by copying within the arena */
            team_member_row_t *bigger = arena_alloc(a, sizeof **out * (size_t)cap * 2);
            memcpy(bigger, *out, sizeof **out * (size_t)cap);
            *out = bigger;
            cap *= 2;
        }
        member_read(st, a, &(*out)[(*n)++]);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq__rc(c, rc);
}

static int team_members_replace(store_conn_t *c, int64_t account_id, int64_t team_id,
                                const int64_t *user_ids, size_t n)
{
    sq__agents_forget(c);
    int rc = sq__run(c, sq__q(c, "DELETE FROM team_members WHERE team_id = ? AND account_id = ?",
                              "ii", team_id, account_id));
    for (size_t i = 0; i < n && !rc; i++)
        rc = sq__run(
            c, sq__q(c, "INSERT INTO team_members(team_id, user_id, account_id) VALUES (?, ?, ?)",
                     "iii", team_id, user_ids[i], account_id));
    return rc;
}

/* ---- labels ------------------------------------------------------------- */

#define LABEL_COLS "id, account_id, name, color, created_at"

static void label_read(sqlite3_stmt *st, arena_t *a, label_row_t *l)
{
    l->id = sq__col_i(st, 0);
    l->account_id = sq__col_i(st, 1);
    l->name = sq__col_str(st, 2, a);
    l->color = sq__col_str(st, 3, a);
    l->created_at = sq__col_i(st, 4);
}

static int label_create(store_conn_t *c, const label_row_t *l, int64_t *id)
{
    int rc = sq__run(
        c, sq__q(c, "INSERT INTO labels(account_id, name, color, created_at) VALUES (?, ?, ?, ?)",
                 "issi", l->account_id, l->name, l->color, l->created_at));
    if (!rc) *id = sqlite3_last_insert_rowid(c->db);
    return rc;
}

static int label_get(store_conn_t *c, int64_t account_id, int64_t id, arena_t *a, label_row_t *out)
{
    sqlite3_stmt *st = sq__q(c, "SELECT " LABEL_COLS " FROM labels WHERE id = ? AND account_id = ?",
                             "ii", id, account_id);
    int rc = sq__one(c, st);
    if (rc) return rc;
    label_read(st, a, out);
    sqlite3_reset(st);
    return 0;
}

static int label_list(store_conn_t *c, const page_t *p, arena_t *a, label_row_t **out, int *n)
{
    sqlite3_stmt *st = sq__q(c,
                             "SELECT " LABEL_COLS " FROM labels WHERE account_id = ? AND id > ?"
                             " ORDER BY id LIMIT ?",
                             "iii", p->account_id, p->after_id, (int64_t)p->limit);
    READ_PAGE(c, st, a, out, n, p->limit, label_read);
}

static int label_update(store_conn_t *c, const label_row_t *l)
{
    return run_one(c,
                   sq__q(c, "UPDATE labels SET name = ?, color = ? WHERE id = ? AND account_id = ?",
                         "ssii", l->name, l->color, l->id, l->account_id));
}

static int label_delete(store_conn_t *c, int64_t account_id, int64_t id, int64_t *conversations)
{
    sqlite3_stmt *st = sq__q(c,
                             "SELECT count(*) FROM conversation_labels WHERE label_id = ?"
                             " AND account_id = ?",
                             "ii", id, account_id);
    int rc = sq__one(c, st);
    if (rc) return rc;
    *conversations = sq__col_i(st, 0);
    sqlite3_reset(st);
    rc = run_one(
        c, sq__q(c, "DELETE FROM labels WHERE id = ? AND account_id = ?", "ii", id, account_id));
    return rc ? rc : sq__reports_label_deleted(c, account_id, id);
}

/* ---- canned responses --------------------------------------------------- */

#define CANNED_COLS "id, account_id, title, short_code, body, created_by, created_at, updated_at"

static void canned_read(sqlite3_stmt *st, arena_t *a, canned_row_t *r)
{
    r->id = sq__col_i(st, 0);
    r->account_id = sq__col_i(st, 1);
    r->title = sq__col_str(st, 2, a);
    r->short_code = sq__col_str(st, 3, a);
    r->body = sq__col_str(st, 4, a);
    r->created_by = sq__col_i(st, 5);
    r->created_at = sq__col_i(st, 6);
    r->updated_at = sq__col_i(st, 7);
}

static int canned_create(store_conn_t *c, const canned_row_t *r, int64_t *id)
{
    int rc = sq__run(c, sq__q(c,
                              "INSERT INTO canned_responses(account_id, title, short_code, body,"
                              " created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                              "issszii", r->account_id, r->title, r->short_code, r->body,
                              r->created_by, r->created_at, r->updated_at));
    if (!rc) *id = sqlite3_last_insert_rowid(c->db);
    return rc;
}

static int canned_get(store_conn_t *c, int64_t account_id, int64_t id, arena_t *a,
                      canned_row_t *out)
{
    sqlite3_stmt *st =
        sq__q(c, "SELECT " CANNED_COLS " FROM canned_responses WHERE id = ? AND account_id = ?",
              "ii", id, account_id);
    int rc = sq__one(c, st);
    if (rc) return rc;
    canned_read(st, a, out);
    sqlite3_reset(st);
    return 0;
}

static int canned_list(store_conn_t *c, const page_t *p, const char *query, arena_t *a,
                       canned_row_t **out, int *n)
{
    /* instr/substr rather than LIKE: the query's '%' and '_' stay literal. */
    sqlite3_stmt *st = sq__q(c,
                             "SELECT " CANNED_COLS " FROM canned_responses"
                             " WHERE account_id = ?1 AND id > ?2"
                             " AND (?3 IS NULL OR substr(short_code, 1, length(?3)) = lower(?3)"
                             " OR instr(lower(title), lower(?3)) > 0)"
                             " ORDER BY id LIMIT ?4",
                             "iisi", p->account_id, p->after_id, query, (int64_t)p->limit);
    READ_PAGE(c, st, a, out, n, p->limit, canned_read);
}

static int canned_update(store_conn_t *c, const canned_row_t *r)
{
    return run_one(c, sq__q(c,
                            "UPDATE canned_responses SET title = ?, short_code = ?, body = ?,"
                            " updated_at = ? WHERE id = ? AND account_id = ?",
                            "sssiii", r->title, r->short_code, r->body, r->updated_at, r->id,
                            r->account_id));
}

static int canned_delete(store_conn_t *c, int64_t account_id, int64_t id)
{
    return run_one(c, sq__q(c, "DELETE FROM canned_responses WHERE id = ? AND account_id = ?", "ii",
                            id, account_id));
}

static int canned_context(store_conn_t *c, int64_t account_id, int64_t conversation_id, arena_t *a,
                          canned_context_t *out)
{
    sqlite3_stmt *st =
        sq__q(c,
              "SELECT v.id, ct.name, ib.name FROM conversations v"
              " JOIN contacts ct ON ct.id = v.contact_id AND ct.account_id = v.account_id"
              " JOIN inboxes ib ON ib.id = v.inbox_id AND ib.account_id = v.account_id"
              " WHERE v.id = ? AND v.account_id = ?",
              "ii", conversation_id, account_id);
    int rc = sq__one(c, st);
    if (rc) return rc;
    out->conversation_id = sq__col_i(st, 0);
    out->contact_name = sq__col_str(st, 1, a);
    out->inbox_name = sq__col_str(st, 2, a);
    if (!out->contact_name) out->contact_name = "";
    if (!out->inbox_name) out->inbox_name = "";
    sqlite3_reset(st);
    return 0;
}

const store_catalog_ops_t sq__catalog_ops = {
    .team_create = team_create,
    .team_get = team_get,
    .team_list = team_list,
    .team_update = team_update,
    .team_inbox_count = team_inbox_count,
    .team_delete = team_delete,
    .team_members_list = team_members_list,
    .team_members_replace = team_members_replace,
    .label_create = label_create,
    .label_get = label_get,
    .label_list = label_list,
    .label_update = label_update,
    .label_delete = label_delete,
    .canned_create = canned_create,
    .canned_get = canned_get,
    .canned_list = canned_list,
    .canned_update = canned_update,
    .canned_delete = canned_delete,
    .canned_context = canned_context,
};
