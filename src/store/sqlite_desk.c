/*
 * sqlite_desk.c - the desk's queries for the SQLite back end (store_desk_ops_t).
 *
 * Every statement is a static string bound by position. Conversation lists
 * come in three shapes (assigned to one user, unassigned, any) so each can
 * walk its index in sort order; the remaining filters are optional terms.
 */
#include "store/sqlite_internal.h"
#include "store/store_desk.h"

#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define q       sq__q
#define run     sq__run
#define one     sq__one
#define col_str sq__col_str
#define col_i   sq__col_i

static int64_t last_id(store_conn_t *c)
{
    return sqlite3_last_insert_rowid(c->db);
}

/* Reads up to limit rows with read_fn into a fresh array. */
#define READ_ROWS(c, st, a, out, n, limit, type, read_fn)                                          \
    do {                                                                                           \
        if (!(st)) return PARLEY_EIO;                                                              \
        *(out) = arena_alloc((a), sizeof(type) * (size_t)((limit) > 0 ? (limit) : 1));             \
        *(n) = 0;                                                                                  \
        int rc_;                                                                                   \
        while (*(n) < (limit) && (rc_ = sqlite3_step(st)) == SQLITE_ROW)                           \
            read_fn((st), (a), &(*(out))[(*(n))++]);                                               \
        sqlite3_reset(st);                                                                         \
        if (*(n) < (limit) && rc_ != SQLITE_DONE) return sq__rc((c), rc_);                         \
        return 0;                                                                                  \
    } while (0)

/* ---- inboxes ------------------------------------------------------------- */

#define INBOX_COLS                                                                                 \
    "id, account_id, name, channel, settings, policy, sticky, coalesce(team_id, 0),"               \
    " reopen_days, hours, created_at, updated_at, coalesce(deleted_at, 0)"

static void inbox_read(sqlite3_stmt *st, arena_t *a, inbox_row_t *r)
{
    r->id = col_i(st, 0);
    r->account_id = col_i(st, 1);
    r->name = col_str(st, 2, a);
    r->channel = col_str(st, 3, a);
    r->settings_len = (size_t)sqlite3_column_bytes(st, 4);
    void *blob = arena_alloc(a, r->settings_len + 1);
    if (r->settings_len) memcpy(blob, sqlite3_column_blob(st, 4), r->settings_len);
    r->settings = blob;
    r->policy = col_str(st, 5, a);
    r->sticky = col_i(st, 6) != 0;
    r->team_id = col_i(st, 7);
    r->reopen_days = col_i(st, 8);
    r->hours = col_str(st, 9, a);
    r->created_at = col_i(st, 10);
    r->updated_at = col_i(st, 11);
    r->deleted_at = col_i(st, 12);
}

static int inbox_create(store_conn_t *c, const inbox_row_t *in, int64_t *id)
{
    int rc = run(c, q(c,
                      "INSERT INTO inboxes(account_id, name, channel, settings, policy, sticky,"
                      " team_id, reopen_days, hours, created_at, updated_at)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      "issbsizisii", in->account_id, in->name, in->channel, in->settings,
                      in->settings_len, in->policy, (int64_t)in->sticky, in->team_id,
                      in->reopen_days, in->hours, in->created_at, in->updated_at));
    if (!rc) *id = last_id(c);
    return rc;
}

static int inbox_get(store_conn_t *c, int64_t account_id, int64_t id, arena_t *a, inbox_row_t *out)
{
    sqlite3_stmt *st = q(c,
                         "SELECT " INBOX_COLS " FROM inboxes WHERE id = ? AND account_id = ?"
                         " AND deleted_at IS NULL",
                         "ii", id, account_id);
    int rc = one(c, st);
    if (rc) return rc;
    inbox_read(st, a, out);
    sqlite3_reset(st);
    return 0;
}

static int inbox_get_any(store_conn_t *c, int64_t id, arena_t *a, inbox_row_t *out)
{
    sqlite3_stmt *st =
        q(c, "SELECT " INBOX_COLS " FROM inboxes WHERE id = ? AND deleted_at IS NULL", "i", id);
    int rc = one(c, st);
    if (rc) return rc;
    inbox_read(st, a, out);
    sqlite3_reset(st);
    return 0;
}

static int inbox_list(store_conn_t *c, const page_t *p, arena_t *a, inbox_row_t **out, int *n)
{
    sqlite3_stmt *st = q(c,
                         "SELECT " INBOX_COLS " FROM inboxes WHERE account_id = ? AND id > ?"
                         " AND deleted_at IS NULL ORDER BY id LIMIT ?",
                         "iii", p->account_id, p->after_id, (int64_t)p->limit);
    READ_ROWS(c, st, a, out, n, p->limit, inbox_row_t, inbox_read);
}

static int inbox_update(store_conn_t *c, const inbox_row_t *in)
{
    int rc = run(c, q(c,
                      "UPDATE inboxes SET name = ?, settings = ?, policy = ?, sticky = ?,"
                      " team_id = ?, reopen_days = ?, hours = ?, updated_at = ?, deleted_at = ?"
                      " WHERE id = ? AND account_id = ?",
                      "sbsizisizii", in->name, in->settings, in->settings_len, in->policy,
                      (int64_t)in->sticky, in->team_id, in->reopen_days, in->hours, in->updated_at,
                      in->deleted_at, in->id, in->account_id));
    if (!rc && sqlite3_changes(c->db) == 0) return PARLEY_ENOENT;
    return rc;
}

/* ---- contacts ------------------------------------------------------------ */

#define CONTACT_COLS                                                                               \
    "id, account_id, name, email, phone, notes, attributes, coalesce(merged_into, 0),"             \
    " coalesce(last_agent_id, 0), created_at, updated_at"

static void contact_read(sqlite3_stmt *st, arena_t *a, contact_row_t *r)
{
    r->id = col_i(st, 0);
    r->account_id = col_i(st, 1);
    r->name = col_str(st, 2, a);
    r->email = col_str(st, 3, a);
    r->phone = col_str(st, 4, a);
    r->notes = col_str(st, 5, a);
    r->attributes = col_str(st, 6, a);
    r->merged_into = col_i(st, 7);
    r->last_agent_id = col_i(st, 8);
    r->created_at = col_i(st, 9);
    r->updated_at = col_i(st, 10);
}

static int contact_create(store_conn_t *c, const contact_row_t *in, int64_t *id)
{
    int rc = run(c, q(c,
                      "INSERT INTO contacts(account_id, name, email, phone, notes, attributes,"
                      " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      "isssssii", in->account_id, in->name ? in->name : "", in->email, in->phone,
                      in->notes ? in->notes : "", in->attributes ? in->attributes : "{}",
                      in->created_at, in->updated_at));
    if (!rc) *id = last_id(c);
    return rc;
}

static int contact_get(store_conn_t *c, int64_t account_id, int64_t id, arena_t *a,
                       contact_row_t *out)
{
    sqlite3_stmt *st = q(c, "SELECT " CONTACT_COLS " FROM contacts WHERE id = ? AND account_id = ?",
                         "ii", id, account_id);
    int rc = one(c, st);
    if (rc) return rc;
    contact_read(st, a, out);
    sqlite3_reset(st);
    return 0;
}

static int contact_list(store_conn_t *c, const page_t *p, arena_t *a, contact_row_t **out, int *n)
{
    sqlite3_stmt *st = q(c,
                         "SELECT " CONTACT_COLS " FROM contacts WHERE account_id = ? AND id > ?"
                         " AND merged_into IS NULL ORDER BY id LIMIT ?",
                         "iii", p->account_id, p->after_id, (int64_t)p->limit);
    READ_ROWS(c, st, a, out, n, p->limit, contact_row_t, contact_read);
}

static int contact_update(store_conn_t *c, const contact_row_t *in)
{
    int rc = run(c, q(c,
                      "UPDATE contacts SET name = ?, email = ?, phone = ?, notes = ?,"
                      " attributes = ?, last_agent_id = ?, updated_at = ?"
                      " WHERE id = ? AND account_id = ?",
                      "sssssziii", in->name, in->email, in->phone, in->notes, in->attributes,
                      in->last_agent_id, in->updated_at, in->id, in->account_id));
    if (!rc && sqlite3_changes(c->db) == 0) return PARLEY_ENOENT;
    return rc;
}

static int contact_index(store_conn_t *c, int64_t id)
{
    sq__fts_defer_contact(c, id);
    return 0;
}

/* ---- full-text indexing, once per batch ------------------------------------ */

static void ids_push(sq_ids_t *l, int64_t id)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = id;
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Sorted, each id once: a job rolled back to its savepoint may leave an id
 * that a later job of the batch reused. */
static size_t ids_unique(sq_ids_t *l)
{
    if (l->n < 2) return l->n;
    qsort(l->v, l->n, sizeof *l->v, cmp_id);
    size_t k = 1;
    for (size_t i = 1; i < l->n; i++)
        if (l->v[i] != l->v[k - 1]) l->v[k++] = l->v[i];
    return l->n = k;
}

void sq__fts_defer_message(store_conn_t *c, int64_t id)
{
    ids_push(&c->fts_messages, id);
}

void sq__fts_defer_contact(store_conn_t *c, int64_t id)
{
    ids_push(&c->fts_contacts, id);
}

/* The ids as a JSON array, for json_each: one statement per table and batch,
 * because FTS5 also writes out its pending terms whenever a statement of its
 * own ends. */
static char *ids_json(sq_ids_t *l)
{
    size_t n = ids_unique(l);
    buf_t b;
    buf_init(&b, 0);
    buf_putc(&b, '[');
    for (size_t i = 0; i < n; i++) buf_printf(&b, i ? ",%lld" : "%lld", (long long)l->v[i]);
    buf_putc(&b, ']');
    buf_cstr(&b);
    return buf_detach(&b, NULL);
}

int sq__fts_flush(store_conn_t *c)
{
    int rc = 0;
    if (c->fts_messages.n) {
        char *ids = ids_json(&c->fts_messages);
        /* A message of a job that was rolled back is simply not there. */
        rc = run(c, q(c,
                      "INSERT INTO messages_fts(rowid, body) SELECT id, body FROM messages"
                      " WHERE id IN (SELECT value FROM json_each(?))",
                      "s", ids));
        free(ids);
    }
    if (!rc && c->fts_contacts.n) {
        char *ids = ids_json(&c->fts_contacts);
        rc = run(c, q(c, "DELETE FROM contacts_fts WHERE rowid IN (SELECT value FROM json_each(?))",
                      "s", ids));
        if (!rc)
            rc = run(c, q(c,
                          "INSERT INTO contacts_fts(rowid, name, email, phone, handles)"
                          " SELECT id, name, coalesce(email, ''), coalesce(phone, ''),"
                          " (SELECT coalesce(group_concat(handle || ' ' || external_id, ' '), '')"
                          "  FROM contact_identities WHERE contact_id = contacts.id)"
                          " FROM contacts WHERE id IN (SELECT value FROM json_each(?))"
                          " AND merged_into IS NULL",
                          "s", ids));
        free(ids);
    }
    sq__fts_forget(c);
    return rc;
}

void sq__fts_forget(store_conn_t *c)
{
    c->fts_messages.n = c->fts_contacts.n = 0;
}

static int contact_search(store_conn_t *c, int64_t account_id, const char *fts_query, int limit,
                          arena_t *a, contact_row_t **out, int *n)
{
    /* The newest matching contacts of the account, read only until enough
     * are found: ranking by bm25 scored every contact of a common name (tens
     * of thousands among a million) on every keystroke. */
    sqlite3_stmt *st = q(c,
                         "SELECT " CONTACT_COLS " FROM contacts WHERE id IN"
                         " (SELECT f.rowid FROM contacts_fts f JOIN contacts c ON c.id = f.rowid"
                         "  WHERE contacts_fts MATCH ?1 AND c.account_id = ?2"
                         "  ORDER BY f.rowid DESC LIMIT ?3)"
                         " ORDER BY id DESC",
                         "sii", fts_query, account_id, (int64_t)limit);
    READ_ROWS(c, st, a, out, n, limit, contact_row_t, contact_read);
}

static int contact_merge(store_conn_t *c, int64_t account_id, int64_t into, int64_t from,
                         int64_t now)
{
    int rc;
    if ((rc = run(c, q(c,
                       "UPDATE contact_identities SET contact_id = ? WHERE contact_id = ?"
                       " AND account_id = ?",
                       "iii", into, from, account_id))))
        return rc;
    if ((rc = run(c, q(c,
                       "UPDATE conversations SET contact_id = ? WHERE contact_id = ?"
                       " AND account_id = ?",
                       "iii", into, from, account_id))))
        return rc;
    if ((rc = run(c, q(c,
                       "UPDATE messages SET author_id = ? WHERE author_kind = 'contact'"
                       " AND author_id = ? AND account_id = ?",
                       "iii", into, from, account_id))))
        return rc;
    if ((rc = run(c, q(c,
                       "UPDATE contacts SET merged_into = ?, updated_at = ? WHERE id = ?"
                       " AND account_id = ?",
                       "iiii", into, now, from, account_id))))
        return rc;
    if ((rc = run(c, q(c, "DELETE FROM contacts_fts WHERE rowid = ?", "i", from)))) return rc;
    return contact_index(c, into);
}

/* ---- identities ---------------------------------------------------------- */

#define IDENTITY_COLS                                                                              \
    "id, account_id, contact_id, channel, external_id, handle, followers, verified, created_at"

static void identity_read(sqlite3_stmt *st, arena_t *a, identity_row_t *r)
{
    r->id = col_i(st, 0);
    r->account_id = col_i(st, 1);
    r->contact_id = col_i(st, 2);
    r->channel = col_str(st, 3, a);
    r->external_id = col_str(st, 4, a);
    r->handle = col_str(st, 5, a);
    r->followers = col_i(st, 6);
    r->verified = col_i(st, 7) != 0;
    r->created_at = col_i(st, 8);
}

static int identity_find(store_conn_t *c, int64_t account_id, const char *channel,
                         const char *external_id, arena_t *a, identity_row_t *out)
{
    sqlite3_stmt *st = q(c,
                         "SELECT " IDENTITY_COLS " FROM contact_identities WHERE account_id = ?"
                         " AND channel = ? AND external_id = ?",
                         "iss", account_id, channel, external_id);
    int rc = one(c, st);
    if (rc) return rc;
    identity_read(st, a, out);
    sqlite3_reset(st);
    return 0;
}

static int identity_create(store_conn_t *c, const identity_row_t *in, int64_t *id)
{
    int rc = run(c, q(c,
                      "INSERT INTO contact_identities(account_id, contact_id, channel, external_id,"
                      " handle, followers, verified, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      "iisssiii", in->account_id, in->contact_id, in->channel, in->external_id,
                      in->handle ? in->handle : "", in->followers, (int64_t)in->verified,
                      in->created_at));
    if (!rc) *id = last_id(c);
    return rc;
}

static int identity_update(store_conn_t *c, const identity_row_t *in)
{
    return run(c, q(c,
                    "UPDATE contact_identities SET handle = ?, followers = ?, verified = ?"
                    " WHERE id = ?",
                    "siii", in->handle ? in->handle : "", in->followers, (int64_t)in->verified,
                    in->id));
}

static int identity_list(store_conn_t *c, int64_t contact_id, arena_t *a, identity_row_t **out,
                         int *n)
{
    sqlite3_stmt *st = q(c,
                         "SELECT " IDENTITY_COLS " FROM contact_identities WHERE contact_id = ?"
                         " ORDER BY id LIMIT 100",
                         "i", contact_id);
    READ_ROWS(c, st, a, out, n, 100, identity_row_t, identity_read);
}

/* ---- conversations ------------------------------------------------------- */

#define CONV_COLS                                                                                  \
    "c.id, c.account_id, c.inbox_id, c.contact_id, c.status, coalesce(c.snoozed_until, 0),"        \
    " c.priority, coalesce(c.assignee_id, 0), coalesce(c.team_id, 0), c.visibility,"               \
    " c.external_thread_id, c.subject, c.opened_at, coalesce(c.first_reply_at, 0),"                \
    " coalesce(c.waiting_since, 0), coalesce(c.resolved_at, 0), c.last_message_at, c.version,"     \
    " c.created_at, c.updated_at, coalesce(c.linked_id, 0), coalesce(c.offline_at, 0)"

static void conv_read(sqlite3_stmt *st, arena_t *a, conv_row_t *r)
{
    r->id = col_i(st, 0);
    r->account_id = col_i(st, 1);
    r->inbox_id = col_i(st, 2);
    r->contact_id = col_i(st, 3);
    r->status = col_str(st, 4, a);
    r->snoozed_until = col_i(st, 5);
    r->priority = (int)col_i(st, 6);
    r->assignee_id = col_i(st, 7);
    r->team_id = col_i(st, 8);
    r->visibility = col_str(st, 9, a);
    r->external_thread_id = col_str(st, 10, a);
    r->subject = col_str(st, 11, a);
    r->opened_at = col_i(st, 12);
    r->first_reply_at = col_i(st, 13);
    r->waiting_since = col_i(st, 14);
    r->resolved_at = col_i(st, 15);
    r->last_message_at = col_i(st, 16);
    r->version = col_i(st, 17);
    r->created_at = col_i(st, 18);
    r->updated_at = col_i(st, 19);
    r->linked_id = col_i(st, 20);
    r->offline_at = col_i(st, 21);
}

#define ANSWERED_SORT 9007199254740991LL

static int64_t sort_wait(const conv_row_t *r)
{
    return r->waiting_since ? r->waiting_since : ANSWERED_SORT;
}

static int conv_create(store_conn_t *c, const conv_row_t *in, int64_t *id)
{
    int rc = run(
        c, q(c,
             "INSERT INTO conversations(account_id, inbox_id, contact_id, status, snoozed_until,"
             " priority, assignee_id, team_id, visibility, external_thread_id, subject, opened_at,"
             " first_reply_at, waiting_since, resolved_at, last_message_at, sort_wait, created_at,"
             " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
             "iiiszizzsssizzziiii", in->account_id, in->inbox_id, in->contact_id, in->status,
             in->snoozed_until, (int64_t)in->priority, in->assignee_id, in->team_id, in->visibility,
             in->external_thread_id ? in->external_thread_id : "", in->subject ? in->subject : "",
             in->opened_at, in->first_reply_at, in->waiting_since, in->resolved_at,
             in->last_message_at, sort_wait(in), in->created_at, in->updated_at));
    if (!rc) *id = last_id(c);
    return rc;
}

static int conv_get(store_conn_t *c, int64_t account_id, int64_t id, arena_t *a, conv_row_t *out)
{
    sqlite3_stmt *st = q(c,
                         "SELECT " CONV_COLS " FROM conversations c WHERE c.id = ?"
                         " AND c.account_id = ?",
                         "ii", id, account_id);
    int rc = one(c, st);
    if (rc) return rc;
    conv_read(st, a, out);
    sqlite3_reset(st);
    return 0;
}

static int conv_find_thread(store_conn_t *c, int64_t inbox_id, int64_t contact_id,
                            const char *visibility, const char *thread, arena_t *a, conv_row_t *out)
{
    sqlite3_stmt *st = q(c,
                         "SELECT " CONV_COLS " FROM conversations c WHERE c.inbox_id = ?"
                         " AND c.contact_id = ? AND c.visibility = ? AND c.external_thread_id = ?"
                         " ORDER BY c.id DESC LIMIT 1",
                         "iiss", inbox_id, contact_id, visibility, thread ? thread : "");
    int rc = one(c, st);
    if (rc) return rc;
    conv_read(st, a, out);
    sqlite3_reset(st);
    return 0;
}

static bool str_same(const char *a, const char *b)
{
    return !strcmp(a ? a : "", b ? b : "");
}

/* Only the assignee moved (an assignment, a release): the commonest update
 * under load, routed once per new conversation. */
static bool only_assignee_changed(const conv_row_t *b, const conv_row_t *in)
{
    return b->contact_id == in->contact_id && b->offline_at == in->offline_at &&
           str_same(b->status, in->status) && b->snoozed_until == in->snoozed_until &&
           b->priority == in->priority && b->team_id == in->team_id &&
           str_same(b->subject, in->subject) && b->opened_at == in->opened_at &&
           b->first_reply_at == in->first_reply_at && b->waiting_since == in->waiting_since &&
           b->resolved_at == in->resolved_at && b->last_message_at == in->last_message_at &&
           b->linked_id == in->linked_id;
}

/* Without the contact and the "taken offline" stamp (the common update: they
 * change only on a merge or a take-offline): SQLite then leaves the
 * conversations_thread, _contact and _offline index entries alone, where
 * naming a column in SET rewrites every index holding it (a quarter of an
 * update's time). */
static int conv_update(store_conn_t *c, const conv_row_t *before, const conv_row_t *in)
{
    int rc;
    if (before && only_assignee_changed(before, in))
        /* Each column named in SET costs its indexes' entries and, for a
         * foreign key, a lookup of the parent even when unchanged: this is
         * 8 us where the statement below is 31 (a quarter of a routed
         * Messenger message's writer time went to the assignment's update). */
        rc = run(c, q(c,
                      "UPDATE conversations SET assignee_id = ?, version = version + 1,"
                      " updated_at = ? WHERE id = ? AND account_id = ?",
                      "ziii", in->assignee_id, in->updated_at, in->id, in->account_id));
    else if (before && before->contact_id == in->contact_id && before->offline_at == in->offline_at)
        rc = run(c, q(c,
                      "UPDATE conversations SET status = ?, snoozed_until = ?,"
                      " priority = ?, assignee_id = ?, team_id = ?, subject = ?, opened_at = ?,"
                      " first_reply_at = ?, waiting_since = ?, resolved_at = ?,"
                      " last_message_at = ?, sort_wait = ?, version = version + 1,"
                      " updated_at = ?, linked_id = ? WHERE id = ? AND account_id = ?",
                      "szizzsizzziiizii", in->status, in->snoozed_until, (int64_t)in->priority,
                      in->assignee_id, in->team_id, in->subject ? in->subject : "", in->opened_at,
                      in->first_reply_at, in->waiting_since, in->resolved_at, in->last_message_at,
                      sort_wait(in), in->updated_at, in->linked_id, in->id, in->account_id));
    else
        rc = run(c, q(c,
                      "UPDATE conversations SET contact_id = ?, status = ?, snoozed_until = ?,"
                      " priority = ?, assignee_id = ?, team_id = ?, subject = ?, opened_at = ?,"
                      " first_reply_at = ?, waiting_since = ?, resolved_at = ?,"
                      " last_message_at = ?, sort_wait = ?, version = version + 1,"
                      " updated_at = ?, linked_id = ?, offline_at = ? WHERE id = ?"
                      " AND account_id = ?",
                      "iszizzsizzziiizzii", in->contact_id, in->status, in->snoozed_until,
                      (int64_t)in->priority, in->assignee_id, in->team_id,
                      in->subject ? in->subject : "", in->opened_at, in->first_reply_at,
                      in->waiting_since, in->resolved_at, in->last_message_at, sort_wait(in),
                      in->updated_at, in->linked_id, in->offline_at, in->id, in->account_id));
    if (!rc && sqlite3_changes(c->db) == 0) return PARLEY_ENOENT;
    return rc;
}

/* Optional filters shared by the list shapes (parameters ?10..?16).
 * The status is compared as +?2: a bare ?2 let the planner test it against
 * the partial index conversations_snoozed (WHERE status = 'snoozed'), which
 * makes SQLite re-prepare the statement whenever ?2 is bound, i.e. on every
 * inbox page (a fifth of its time). The unary plus keeps the index lookup. */
#define CONV_OPTIONAL                                                                              \
    " AND (?10 IS NULL OR c.inbox_id = ?10) AND (?11 IS NULL OR c.team_id = ?11)"                  \
    " AND (?12 IS NULL OR c.priority = ?12) AND (?13 IS NULL OR c.visibility = ?13)"               \
    " AND (?14 IS NULL OR EXISTS (SELECT 1 FROM conversation_labels l"                             \
    "      WHERE l.conversation_id = c.id AND l.label_id = ?14))"                                  \
    " AND (?15 IS NULL OR c.priority < ?15 OR (c.priority = ?15 AND (c.sort_wait > ?16"            \
    "      OR (c.sort_wait = ?16 AND c.id > ?17))))"                                               \
    " ORDER BY c.priority DESC, c.sort_wait, c.id LIMIT ?18"

static const char conv_list_user[] = "SELECT " CONV_COLS " FROM conversations c"
                                     " WHERE c.account_id = ?1 AND c.status = +?2"
                                     " AND c.assignee_id = ?3" CONV_OPTIONAL;
static const char conv_list_none[] = "SELECT " CONV_COLS " FROM conversations c"
                                     " WHERE c.account_id = ?1 AND c.status = +?2"
                                     " AND c.assignee_id IS NULL AND ?3 IS NULL" CONV_OPTIONAL;
static const char conv_list_any[] = "SELECT " CONV_COLS " FROM conversations c"
                                    " WHERE c.account_id = ?1 AND c.status = +?2"
                                    " AND ?3 IS NULL" CONV_OPTIONAL;

static int conv_list(store_conn_t *c, const conv_filter_t *f, arena_t *a, conv_row_t **out, int *n)
{
    const char *sql = f->assignee == ASSIGNEE_USER   ? conv_list_user
                      : f->assignee == ASSIGNEE_NONE ? conv_list_none
                                                     : conv_list_any;
    sqlite3_stmt *st = sq__prep(c, sql);
    if (!st) return PARLEY_EIO;
    sqlite3_bind_int64(st, 1, f->account_id);
    sqlite3_bind_text(st, 2, f->status ? f->status : "open", -1, SQLITE_TRANSIENT);
    if (f->assignee == ASSIGNEE_USER) sqlite3_bind_int64(st, 3, f->assignee_id);
    if (f->inbox_id) sqlite3_bind_int64(st, 10, f->inbox_id);
    if (f->team_id) sqlite3_bind_int64(st, 11, f->team_id);
    if (f->priority >= 0) sqlite3_bind_int64(st, 12, f->priority);
    if (f->visibility) sqlite3_bind_text(st, 13, f->visibility, -1, SQLITE_TRANSIENT);
    if (f->label_id) sqlite3_bind_int64(st, 14, f->label_id);
    if (f->has_cursor) {
        sqlite3_bind_int64(st, 15, f->cur_priority);
        sqlite3_bind_int64(st, 16, f->cur_wait);
        sqlite3_bind_int64(st, 17, f->cur_id);
    }
    sqlite3_bind_int64(st, 18, f->limit);
    READ_ROWS(c, st, a, out, n, f->limit, conv_row_t, conv_read);
}

static int conv_of_contact(store_conn_t *c, int64_t contact_id, int limit, arena_t *a,
                           conv_row_t **out, int *n)
{
    sqlite3_stmt *st = q(c,
                         "SELECT " CONV_COLS " FROM conversations c WHERE c.contact_id = ?"
                         " ORDER BY c.id DESC LIMIT ?",
                         "ii", contact_id, (int64_t)limit);
    READ_ROWS(c, st, a, out, n, limit, conv_row_t, conv_read);
}

static int conv_queue_for(store_conn_t *c, int64_t account_id, int64_t user_id, int limit,
                          arena_t *a, conv_row_t **out, int *n)
{
    /* Open, unassigned, in an inbox that routes automatically and whose team
     * (if any) has this agent, or whose conversation's team has the agent. */
    sqlite3_stmt *st =
        q(c,
          "SELECT " CONV_COLS " FROM conversations c JOIN inboxes i ON i.id = c.inbox_id"
          " WHERE c.account_id = ?1 AND c.status = 'open' AND c.assignee_id IS NULL"
          " AND i.policy != 'manual'"
          " AND (coalesce(c.team_id, i.team_id) IS NULL OR EXISTS (SELECT 1 FROM team_members m"
          "      WHERE m.team_id = coalesce(c.team_id, i.team_id) AND m.user_id = ?2))"
          " ORDER BY c.priority DESC, c.sort_wait, c.id LIMIT ?3",
          "iii", account_id, user_id, (int64_t)limit);
    READ_ROWS(c, st, a, out, n, limit, conv_row_t, conv_read);
}

static int conv_assigned_to(store_conn_t *c, int64_t account_id, int64_t user_id, int limit,
                            arena_t *a, conv_row_t **out, int *n)
{
    sqlite3_stmt *st = q(c,
                         "SELECT " CONV_COLS " FROM conversations c WHERE c.account_id = ?"
                         " AND c.assignee_id = ? AND c.status != 'resolved' ORDER BY c.id LIMIT ?",
                         "iii", account_id, user_id, (int64_t)limit);
    READ_ROWS(c, st, a, out, n, limit, conv_row_t, conv_read);
}

static int conv_snoozed(store_conn_t *c, int limit, arena_t *a, conv_row_t **out, int *n)
{
    sqlite3_stmt *st = q(c,
                         "SELECT " CONV_COLS " FROM conversations c WHERE c.status = 'snoozed'"
                         " ORDER BY c.snoozed_until LIMIT ?",
                         "i", (int64_t)limit);
    READ_ROWS(c, st, a, out, n, limit, conv_row_t, conv_read);
}

static int conv_offline_unlinked(store_conn_t *c, int64_t contact_id, arena_t *a, conv_row_t *out)
{
    sqlite3_stmt *st = q(c,
                         "SELECT " CONV_COLS " FROM conversations c WHERE c.contact_id = ?"
                         " AND c.offline_at IS NOT NULL AND c.linked_id IS NULL"
                         " AND c.visibility = 'public' ORDER BY c.offline_at DESC LIMIT 1",
                         "i", contact_id);
    int rc = one(c, st);
    if (rc) return rc;
    conv_read(st, a, out);
    sqlite3_reset(st);
    return 0;
}

static int conv_labels(store_conn_t *c, int64_t conversation_id, arena_t *a, const char ***names,
                       int *n)
{
    sqlite3_stmt *st = q(c,
                         "SELECT l.name FROM conversation_labels cl JOIN labels l ON l.id ="
                         " cl.label_id WHERE cl.conversation_id = ? ORDER BY l.name LIMIT 64",
                         "i", conversation_id);
    if (!st) return PARLEY_EIO;
    *names = arena_alloc(a, sizeof(char *) * 64);
    *n = 0;
    int rc;
    while (*n < 64 && (rc = sqlite3_step(st)) == SQLITE_ROW) (*names)[(*n)++] = col_str(st, 0, a);
    sqlite3_reset(st);
    return 0;
}

/* The label's report rows follow (sqlite_reports.c): only when the row
 * was really added or removed. */
static int conv_label_add(store_conn_t *c, int64_t account_id, int64_t conversation_id,
                          int64_t label_id)
{
    int rc = run(c, q(c,
                      "INSERT OR IGNORE INTO conversation_labels(conversation_id, label_id,"
                      " account_id) VALUES (?, ?, ?)",
                      "iii", conversation_id, label_id, account_id));
    if (rc || sqlite3_changes(c->db) != 1) return rc;
    return sq__reports_label_moved(c, conversation_id, label_id, 1);
}

static int conv_label_remove(store_conn_t *c, int64_t conversation_id, int64_t label_id)
{
    int rc =
        run(c, q(c, "DELETE FROM conversation_labels WHERE conversation_id = ? AND label_id = ?",
                 "ii", conversation_id, label_id));
    if (rc || sqlite3_changes(c->db) != 1) return rc;
    return sq__reports_label_moved(c, conversation_id, label_id, -1);
}

static int label_find(store_conn_t *c, int64_t account_id, const char *name, int64_t *id)
{
    sqlite3_stmt *st =
        q(c, "SELECT id FROM labels WHERE account_id = ? AND name = ?", "is", account_id, name);
    int rc = one(c, st);
    if (rc) return rc;
    *id = col_i(st, 0);
    sqlite3_reset(st);
    return 0;
}

/* ---- messages ------------------------------------------------------------ */

#define MESSAGE_COLS                                                                               \
    "m.id, m.account_id, m.conversation_id, m.inbox_id, m.direction, m.kind, m.visibility,"        \
    " m.author_kind, m.author_id, m.body, m.external_id, m.attachments, m.mentions, m.analysis,"   \
    " m.delivery_status, m.created_at"

static void message_read(sqlite3_stmt *st, arena_t *a, message_row_t *r)
{
    r->id = col_i(st, 0);
    r->account_id = col_i(st, 1);
    r->conversation_id = col_i(st, 2);
    r->inbox_id = col_i(st, 3);
    r->direction = col_str(st, 4, a);
    r->kind = col_str(st, 5, a);
    r->visibility = col_str(st, 6, a);
    r->author_kind = col_str(st, 7, a);
    r->author_id = col_i(st, 8);
    r->body = col_str(st, 9, a);
    r->external_id = col_str(st, 10, a);
    r->attachments = col_str(st, 11, a);
    r->mentions = col_str(st, 12, a);
    r->analysis = col_str(st, 13, a);
    r->delivery_status = col_str(st, 14, a);
    r->created_at = col_i(st, 15);
}

static int message_create(store_conn_t *c, const message_row_t *in, int64_t *id)
{
    int rc = run(c, q(c,
                      "INSERT INTO messages(account_id, conversation_id, inbox_id, direction, kind,"
                      " visibility, author_kind, author_id, body, external_id, attachments,"
                      " mentions, analysis, delivery_status, created_at)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      "iiissssissssssi", in->account_id, in->conversation_id, in->inbox_id,
                      in->direction, in->kind, in->visibility, in->author_kind, in->author_id,
                      in->body, in->external_id, in->attachments ? in->attachments : "[]",
                      in->mentions ? in->mentions : "[]", in->analysis ? in->analysis : "{}",
                      in->delivery_status, in->created_at));
    if (!rc) *id = last_id(c);
    if (!rc) sq__fts_defer_message(c, *id);
    return rc;
}

static int message_get(store_conn_t *c, int64_t account_id, int64_t id, arena_t *a,
                       message_row_t *out)
{
    sqlite3_stmt *st = q(c,
                         "SELECT " MESSAGE_COLS " FROM messages m WHERE m.id = ?"
                         " AND m.account_id = ?",
                         "ii", id, account_id);
    int rc = one(c, st);
    if (rc) return rc;
    message_read(st, a, out);
    sqlite3_reset(st);
    return 0;
}

static int message_by_external(store_conn_t *c, int64_t inbox_id, const char *external_id,
                               arena_t *a, message_row_t *out)
{
    sqlite3_stmt *st = q(c,
                         "SELECT " MESSAGE_COLS " FROM messages m WHERE m.inbox_id = ?"
                         " AND m.external_id = ?",
                         "is", inbox_id, external_id);
    int rc = one(c, st);
    if (rc) return rc;
    message_read(st, a, out);
    sqlite3_reset(st);
    return 0;
}

static int message_list(store_conn_t *c, int64_t conversation_id, int64_t after_id, int limit,
                        arena_t *a, message_row_t **out, int *n)
{
    sqlite3_stmt *st = q(c,
                         "SELECT " MESSAGE_COLS " FROM messages m WHERE m.conversation_id = ?"
                         " AND m.id > ? ORDER BY m.id LIMIT ?",
                         "iii", conversation_id, after_id, (int64_t)limit);
    READ_ROWS(c, st, a, out, n, limit, message_row_t, message_read);
}

static int message_timeline(store_conn_t *c, int64_t contact_id, int limit, arena_t *a,
                            message_row_t **out, int *n)
{
    sqlite3_stmt *st = q(c,
                         "SELECT * FROM (SELECT " MESSAGE_COLS " FROM messages m"
                         " WHERE m.conversation_id IN (SELECT id FROM conversations"
                         "  WHERE contact_id = ?) ORDER BY m.id DESC LIMIT ?) ORDER BY 1",
                         "ii", contact_id, (int64_t)limit);
    READ_ROWS(c, st, a, out, n, limit, message_row_t, message_read);
}

static int message_set_delivery(store_conn_t *c, int64_t id, const char *status,
                                const char *external_id)
{
    return run(c, q(c,
                    "UPDATE messages SET delivery_status = ?,"
                    " external_id = coalesce(?, external_id) WHERE id = ?",
                    "ssi", status, external_id, id));
}

/* The conversation filters of a search (binds 2..10). */
#define SEARCH_FILTERS                                                                             \
    " AND m.account_id = ?2"                                                                       \
    " AND (?3 IS NULL OR c.status = ?3) AND (?4 IS NULL OR c.inbox_id = ?4)"                       \
    " AND (?5 IS NULL OR c.assignee_id = ?5) AND (?6 IS NULL OR c.priority = ?6)"                  \
    " AND (?7 IS NULL OR c.visibility = ?7) AND (?8 IS NULL OR c.team_id = ?8)"                    \
    " AND (?9 IS NULL OR EXISTS (SELECT 1 FROM conversation_labels l"                              \
    "      WHERE l.conversation_id = c.id AND l.label_id = ?9))"                                   \
    " AND (?10 IS NULL OR c.assignee_id IS NULL)"

static void hit_read(sqlite3_stmt *st, arena_t *a, search_hit_t *h)
{
    h->message_id = col_i(st, 0);
    h->conversation_id = col_i(st, 1);
    h->body = col_str(st, 2, a);
    h->snippet = NULL;
    h->rank = 0;
}

static int message_search(store_conn_t *c, int64_t account_id, const char *fts_query,
                          const conv_filter_t *f, int limit, arena_t *a, search_hit_t **out, int *n)
{
    /* Newest first: FTS5 serves rowid DESC straight from its index, so this
     * reads only as many matches as it returns (plus those the filters drop).
     * Ranking is the desk's (desk/search.c): FTS5's own bm25() computes each
     * term's document frequency by walking the term's whole doclist, tens of
     * milliseconds for a common word in millions of messages. */
    bool by_conversation = f->status || f->inbox_id || f->assignee != ASSIGNEE_ANY ||
                           f->priority >= 0 || f->visibility || f->team_id || f->label_id;
    if (!by_conversation) { /* no conversation to read per match (the common search) */
        sqlite3_stmt *st =
            sq__prep(c, "SELECT m.id, m.conversation_id, m.body"
                        " FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid"
                        " WHERE messages_fts MATCH ?1 AND m.account_id = ?2"
                        " ORDER BY messages_fts.rowid DESC LIMIT ?3");
        if (!st) return PARLEY_EIO;
        sqlite3_bind_text(st, 1, fts_query, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, account_id);
        sqlite3_bind_int64(st, 3, limit);
        READ_ROWS(c, st, a, out, n, limit, search_hit_t, hit_read);
    }
    sqlite3_stmt *st = sq__prep(c, "SELECT m.id, m.conversation_id, m.body"
                                   " FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid"
                                   " JOIN conversations c ON c.id = m.conversation_id"
                                   " WHERE messages_fts MATCH ?1" SEARCH_FILTERS
                                   " ORDER BY messages_fts.rowid DESC LIMIT ?11");
    if (!st) return PARLEY_EIO;
    sqlite3_bind_text(st, 1, fts_query, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, account_id);
    if (f->status) sqlite3_bind_text(st, 3, f->status, -1, SQLITE_TRANSIENT);
    if (f->inbox_id) sqlite3_bind_int64(st, 4, f->inbox_id);
    if (f->assignee == ASSIGNEE_USER) sqlite3_bind_int64(st, 5, f->assignee_id);
    if (f->priority >= 0) sqlite3_bind_int64(st, 6, f->priority);
    if (f->visibility) sqlite3_bind_text(st, 7, f->visibility, -1, SQLITE_TRANSIENT);
    if (f->team_id) sqlite3_bind_int64(st, 8, f->team_id);
    if (f->label_id) sqlite3_bind_int64(st, 9, f->label_id);
    if (f->assignee == ASSIGNEE_NONE) sqlite3_bind_int64(st, 10, 1);
    sqlite3_bind_int64(st, 11, limit);
    READ_ROWS(c, st, a, out, n, limit, search_hit_t, hit_read);
}

/* ---- the router's agents, cached on the writer ---------------------------- */

/* The router's agents, cached on the writer connection (sqlite_internal.h):
 * the query above read ~100 rows per routed conversation (a seventh of the
 * writer's time on the Messenger bench). An entry is exact as long as every
 * change to its inputs either updates it (counter_add of a user's open
 * count, agent_assigned) or drops the cache (users, teams and members
 * written, a rolled-back job or batch: sq__agents_forget), and no other
 * process committed (PRAGMA data_version moves only for their commits). */
#define AGENT_SLOTS 8

struct agent_cache {
    int64_t data_version;
    struct {
        bool used;
        int64_t account_id, team_id;
        agent_row_t *rows;
        int n;
    } slot[AGENT_SLOTS];
    unsigned next;
};

void sq__agents_forget(store_conn_t *c)
{
    struct agent_cache *k = c->agents;
    if (!k) return;
    for (int i = 0; i < AGENT_SLOTS; i++) {
        free(k->slot[i].rows);
        k->slot[i].rows = NULL;
        k->slot[i].used = false;
    }
}

void sq__agents_free(store_conn_t *c)
{
    sq__agents_forget(c);
    free(c->agents);
    c->agents = NULL;
}

static bool is_writer(const store_conn_t *c)
{
    return c->owner && c->owner->writer == c;
}

/* The user's id when key is "user:<id>:open", else 0. */
static int64_t open_key_user(const char *key)
{
    if (strncmp(key, "user:", 5) != 0) return 0;
    char *end;
    long long id = strtoll(key + 5, &end, 10);
    return end != key + 5 && strcmp(end, ":open") == 0 && id > 0 ? id : 0;
}

/* Calls fn on every cached row of the user (several teams may hold it). */
static void agents_touch(store_conn_t *c, int64_t account_id, int64_t user_id,
                         void (*fn)(agent_row_t *r, int64_t v), int64_t v)
{
    struct agent_cache *k = c->agents;
    if (!k || !is_writer(c)) return;
    for (int i = 0; i < AGENT_SLOTS; i++) {
        if (!k->slot[i].used || k->slot[i].account_id != account_id) continue;
        for (int j = 0; j < k->slot[i].n; j++)
            if (k->slot[i].rows[j].user_id == user_id) fn(&k->slot[i].rows[j], v);
    }
}

static void add_load(agent_row_t *r, int64_t delta)
{
    r->load += delta;
}

static void set_assigned(agent_row_t *r, int64_t at)
{
    r->last_assigned_at = at;
}

/* ---- counters -------------------------------------------------------------- */

static int counter_add(store_conn_t *c, int64_t account_id, const char *key, int64_t delta)
{
    int rc = run(c, q(c,
                      "INSERT INTO counters(account_id, key, value) VALUES (?, ?, ?)"
                      " ON CONFLICT(account_id, key) DO UPDATE SET value = value + excluded.value",
                      "isi", account_id, key, delta));
    int64_t user = rc ? 0 : open_key_user(key);
    if (user) agents_touch(c, account_id, user, add_load, delta); /* the router's cache */
    return rc;
}

static int counter_get(store_conn_t *c, int64_t account_id, const char *key, int64_t *value)
{
    sqlite3_stmt *st =
        q(c, "SELECT value FROM counters WHERE account_id = ? AND key = ?", "is", account_id, key);
    *value = 0;
    int rc = one(c, st);
    if (rc == PARLEY_ENOENT) return 0;
    if (rc) return rc;
    *value = col_i(st, 0);
    sqlite3_reset(st);
    return 0;
}

static int counter_list(store_conn_t *c, int64_t account_id, const char *prefix, arena_t *a,
                        const char ***keys, int64_t **values, int *n)
{
    sqlite3_stmt *st = q(c,
                         "SELECT key, value FROM counters WHERE account_id = ? AND key >= ?"
                         " AND key < ? || char(1114111) ORDER BY key LIMIT 1000",
                         "iss", account_id, prefix, prefix);
    if (!st) return PARLEY_EIO;
    *keys = arena_alloc(a, sizeof(char *) * 1000);
    *values = arena_alloc(a, sizeof(int64_t) * 1000);
    *n = 0;
    while (*n < 1000 && sqlite3_step(st) == SQLITE_ROW) {
        (*keys)[*n] = col_str(st, 0, a);
        (*values)[*n] = col_i(st, 1);
        (*n)++;
    }
    sqlite3_reset(st);
    return 0;
}

/* ---- agents ---------------------------------------------------------------- */

static void agent_read(sqlite3_stmt *st, arena_t *a, agent_row_t *r)
{
    r->user_id = col_i(st, 0);
    r->availability = col_str(st, 1, a);
    r->capacity = col_i(st, 2);
    r->load = col_i(st, 3);
    r->last_assigned_at = col_i(st, 4);
}

static int agents_query(store_conn_t *c, int64_t account_id, int64_t team_id, arena_t *a,
                        agent_row_t **out, int *n)
{
    /* Online agents only (the router never picks another); load comes from
     * the maintained counters, never from a COUNT. */
    sqlite3_stmt *st = q(c,
                         "SELECT u.id, u.availability, u.capacity,"
                         " coalesce((SELECT value FROM counters k WHERE k.account_id = u.account_id"
                         "   AND k.key = 'user:' || u.id || ':open'), 0),"
                         " coalesce(s.last_assigned_at, 0)"
                         " FROM users u LEFT JOIN agent_state s ON s.user_id = u.id"
                         " WHERE u.account_id = ?1 AND u.status = 'active'"
                         " AND u.availability = 'online'"
                         " AND u.role IN ('agent','supervisor','admin')"
                         " AND (?2 IS NULL OR EXISTS (SELECT 1 FROM team_members m"
                         "      WHERE m.team_id = ?2 AND m.user_id = u.id))"
                         " ORDER BY u.id LIMIT 1000",
                         "iz", account_id, team_id);
    READ_ROWS(c, st, a, out, n, 1000, agent_row_t, agent_read);
}

static int agents_for(store_conn_t *c, int64_t account_id, int64_t team_id, arena_t *a,
                      agent_row_t **out, int *n)
{
    if (!is_writer(c)) return agents_query(c, account_id, team_id, a, out, n);
    if (!c->agents) c->agents = xcalloc(1, sizeof *c->agents);
    struct agent_cache *k = c->agents;
    sqlite3_stmt *dv = q(c, "PRAGMA data_version", "");
    int rc = dv ? one(c, dv) : PARLEY_EIO;
    if (rc) return rc;
    int64_t version = col_i(dv, 0);
    sqlite3_reset(dv);
    if (version != k->data_version) { /* another process wrote */
        sq__agents_forget(c);
        k->data_version = version;
    }
    for (int i = 0; i < AGENT_SLOTS; i++)
        if (k->slot[i].used && k->slot[i].account_id == account_id &&
            k->slot[i].team_id == team_id) {
            *n = k->slot[i].n;
            *out = arena_alloc(a, sizeof **out * (size_t)(*n > 0 ? *n : 1));
            if (*n) memcpy(*out, k->slot[i].rows, sizeof **out * (size_t)*n);
            return 0;
        }
    if ((rc = agents_query(c, account_id, team_id, a, out, n))) return rc;
    unsigned i = k->next++ % AGENT_SLOTS;
    free(k->slot[i].rows);
    k->slot[i].rows = xmalloc(sizeof *k->slot[i].rows * (size_t)(*n > 0 ? *n : 1));
    for (int j = 0; j < *n; j++) {
        k->slot[i].rows[j] = (*out)[j];
        k->slot[i].rows[j].availability = "online"; /* the query's filter; not the arena's */
    }
    k->slot[i].n = *n;
    k->slot[i].account_id = account_id;
    k->slot[i].team_id = team_id;
    k->slot[i].used = true;
    return 0;
}

static int agent_assigned(store_conn_t *c, int64_t account_id, int64_t user_id, int64_t now)
{
    int rc = run(c, q(c,
                      "INSERT INTO agent_state(user_id, account_id, last_assigned_at)"
                      " VALUES (?, ?, ?) ON CONFLICT(user_id) DO UPDATE SET"
                      " last_assigned_at = excluded.last_assigned_at",
                      "iii", user_id, account_id, now));
    if (!rc) agents_touch(c, account_id, user_id, set_assigned, now);
    return rc;
}

/* ---- notifications and outbox ---------------------------------------------- */

static int notification_create(store_conn_t *c, int64_t account_id, int64_t user_id,
                               const char *kind, int64_t conversation_id, int64_t message_id,
                               int64_t now, int64_t *id)
{
    int rc = run(c, q(c,
                      "INSERT INTO notifications(account_id, user_id, kind, conversation_id,"
                      " message_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                      "iisiii", account_id, user_id, kind, conversation_id, message_id, now));
    if (!rc && id) *id = last_id(c);
    return rc;
}

static int outbox_create(store_conn_t *c, int64_t account_id, int64_t message_id, int64_t inbox_id,
                         int64_t now, int64_t *id)
{
    int rc = run(c, q(c,
                      "INSERT INTO outbox(account_id, message_id, inbox_id, next_attempt_at,"
                      " created_at) VALUES (?, ?, ?, ?, ?)",
                      "iiiii", account_id, message_id, inbox_id, now, now));
    if (!rc && id) *id = last_id(c);
    return rc;
}

#define OUTBOX_COLS                                                                                \
    "id, account_id, message_id, inbox_id, status, attempts, next_attempt_at, last_error,"         \
    " coalesce(attempt_started_at, 0), idem_key, possible_duplicate"

static void outbox_read(sqlite3_stmt *st, arena_t *a, outbox_row_t *r)
{
    r->id = col_i(st, 0);
    r->account_id = col_i(st, 1);
    r->message_id = col_i(st, 2);
    r->inbox_id = col_i(st, 3);
    r->status = col_str(st, 4, a);
    r->attempts = col_i(st, 5);
    r->next_attempt_at = col_i(st, 6);
    r->last_error = col_str(st, 7, a);
    r->attempt_started_at = col_i(st, 8);
    r->idem_key = col_str(st, 9, a);
    r->possible_duplicate = col_i(st, 10) != 0;
}

static int outbox_due(store_conn_t *c, int64_t now, const char *skip_inboxes, int limit, arena_t *a,
                      outbox_row_t **out, int *n)
{
    sqlite3_stmt *st =
        q(c,
          "SELECT " OUTBOX_COLS " FROM outbox WHERE status = 'pending'"
          " AND next_attempt_at <= ?1 AND (?2 IS NULL OR inbox_id NOT IN"
          " (SELECT value FROM json_each(?2))) ORDER BY next_attempt_at, id LIMIT ?3",
          "isi", now, skip_inboxes, (int64_t)limit);
    READ_ROWS(c, st, a, out, n, limit, outbox_row_t, outbox_read);
}

static int outbox_sending(store_conn_t *c, int limit, arena_t *a, outbox_row_t **out, int *n)
{
    sqlite3_stmt *st = q(c,
                         "SELECT " OUTBOX_COLS " FROM outbox WHERE status = 'sending'"
                         " ORDER BY id LIMIT ?",
                         "i", (int64_t)limit);
    READ_ROWS(c, st, a, out, n, limit, outbox_row_t, outbox_read);
}

static int outbox_next_due(store_conn_t *c, const char *skip_inboxes, int64_t *at)
{
    /* ORDER BY + LIMIT walks the (status, next_attempt_at) index and stops at
     * the first row; min() with the skip list visits every pending row. */
    sqlite3_stmt *st = q(c,
                         "SELECT next_attempt_at FROM outbox WHERE status = 'pending'"
                         " AND (?1 IS NULL OR inbox_id NOT IN (SELECT value FROM json_each(?1)))"
                         " ORDER BY next_attempt_at LIMIT 1",
                         "s", skip_inboxes);
    int rc = one(c, st);
    *at = 0;
    if (rc == PARLEY_ENOENT) return 0;
    if (rc) return rc;
    *at = col_i(st, 0);
    sqlite3_reset(st);
    return 0;
}

static int outbox_update(store_conn_t *c, const outbox_row_t *in)
{
    return run(c, q(c,
                    "UPDATE outbox SET status = ?, attempts = ?, next_attempt_at = ?,"
                    " last_error = ?, attempt_started_at = ?, idem_key = ?, possible_duplicate = ?"
                    " WHERE id = ?",
                    "siiszsii", in->status, in->attempts, in->next_attempt_at, in->last_error,
                    in->attempt_started_at, in->idem_key, (int64_t)in->possible_duplicate, in->id));
}

static int message_latest_inbound(store_conn_t *c, int64_t conversation_id, arena_t *a,
                                  message_row_t *out)
{
    sqlite3_stmt *st = q(c,
                         "SELECT " MESSAGE_COLS " FROM messages m WHERE m.conversation_id = ?"
                         " AND m.direction = 'in' ORDER BY m.id DESC LIMIT 1",
                         "i", conversation_id);
    int rc = one(c, st);
    if (rc) return rc;
    message_read(st, a, out);
    sqlite3_reset(st);
    return 0;
}

static int outbox_list(store_conn_t *c, int64_t account_id, const char *status, int64_t before_id,
                       int limit, arena_t *a, outbox_row_t **out, int *n)
{
    sqlite3_stmt *st = q(c,
                         "SELECT " OUTBOX_COLS " FROM outbox WHERE account_id = ?1"
                         " AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR id < ?3)"
                         " ORDER BY id DESC LIMIT ?4",
                         "iszi", account_id, status, before_id, (int64_t)limit);
    READ_ROWS(c, st, a, out, n, limit, outbox_row_t, outbox_read);
}

static int outbox_get(store_conn_t *c, int64_t account_id, int64_t id, arena_t *a,
                      outbox_row_t *out)
{
    sqlite3_stmt *st = q(c, "SELECT " OUTBOX_COLS " FROM outbox WHERE id = ? AND account_id = ?",
                         "ii", id, account_id);
    int rc = one(c, st);
    if (rc) return rc;
    outbox_read(st, a, out);
    sqlite3_reset(st);
    return 0;
}

const store_desk_ops_t sq__desk_ops = {
    .inbox_create = inbox_create,
    .inbox_get = inbox_get,
    .inbox_get_any = inbox_get_any,
    .inbox_list = inbox_list,
    .inbox_update = inbox_update,
    .contact_create = contact_create,
    .contact_get = contact_get,
    .contact_list = contact_list,
    .contact_update = contact_update,
    .contact_index = contact_index,
    .contact_search = contact_search,
    .contact_merge = contact_merge,
    .identity_find = identity_find,
    .identity_create = identity_create,
    .identity_update = identity_update,
    .identity_list = identity_list,
    .conv_create = conv_create,
    .conv_get = conv_get,
    .conv_find_thread = conv_find_thread,
    .conv_update = conv_update,
    .conv_list = conv_list,
    .conv_of_contact = conv_of_contact,
    .conv_queue_for = conv_queue_for,
    .conv_assigned_to = conv_assigned_to,
    .conv_snoozed = conv_snoozed,
    .conv_offline_unlinked = conv_offline_unlinked,
    .outbox_list = outbox_list,
    .outbox_get = outbox_get,
    .conv_labels = conv_labels,
    .conv_label_add = conv_label_add,
    .conv_label_remove = conv_label_remove,
    .label_find = label_find,
    .message_create = message_create,
    .message_get = message_get,
    .message_by_external = message_by_external,
    .message_list = message_list,
    .message_timeline = message_timeline,
    .message_set_delivery = message_set_delivery,
    .message_search = message_search,
    .counter_add = counter_add,
    .counter_get = counter_get,
    .counter_list = counter_list,
    .agents_for = agents_for,
    .agent_assigned = agent_assigned,
    .notification_create = notification_create,
    .outbox_create = outbox_create,
    .outbox_due = outbox_due,
    .outbox_next_due = outbox_next_due,
    .outbox_sending = outbox_sending,
    .outbox_update = outbox_update,
    .message_latest_inbound = message_latest_inbound,
};
