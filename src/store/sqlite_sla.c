/*
 * sqlite_sla.c - the SQLite queries behind store_sla_ops_t: business-hours
 * calendars, SLA policies and escalation rules, SLA clocks, and the inbox
 * columns business_hours_id and sla_policy_id.
 *
 * Same habits as sqlite_catalog.c: static SQL strings prepared once per
 * connection, bound by position, never built from input; every statement but
 * the scheduler's names the account it may touch.
 */
#include "store/sqlite_internal.h"
#include "store/store_sla.h"

#include <string.h>

/* Runs an UPDATE/DELETE of one row: PARLEY_ENOENT when it touched none. */
static int run_one(store_conn_t *c, sqlite3_stmt *st)
{
    int rc = sq__run(c, st);
    if (!rc && sqlite3_changes(c->db) == 0) return PARLEY_ENOENT;
    return rc;
}

static int insert(store_conn_t *c, sqlite3_stmt *st, int64_t *id)
{
    int rc = sq__run(c, st);
    if (!rc) *id = sqlite3_last_insert_rowid(c->db);
    return rc;
}

static int count_of(store_conn_t *c, sqlite3_stmt *st, int64_t *n)
{
    int rc = sq__one(c, st);
    if (rc) return rc;
    *n = sq__col_i(st, 0);
    sqlite3_reset(st);
    return 0;
}

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
        return rc_ == SQLITE_DONE ? 0 : sq__rc((c), rc_);                                          \
    } while (0)

/* ---- business hours ------------------------------------------------------ */

#define BH_COLS "id, account_id, name, calendar, created_at, updated_at"

static void bh_read(sqlite3_stmt *st, arena_t *a, bh_row_t *r)
{
    r->id = sq__col_i(st, 0);
    r->account_id = sq__col_i(st, 1);
    r->name = sq__col_str(st, 2, a);
    r->calendar = sq__col_str(st, 3, a);
    r->created_at = sq__col_i(st, 4);
    r->updated_at = sq__col_i(st, 5);
}

static int bh_create(store_conn_t *c, const bh_row_t *r, int64_t *id)
{
    return insert(c,
                  sq__q(c,
                        "INSERT INTO business_hours(account_id, name, calendar, created_at,"
                        " updated_at) VALUES (?, ?, ?, ?, ?)",
                        "issii", r->account_id, r->name, r->calendar, r->created_at, r->updated_at),
                  id);
}

static int bh_get(store_conn_t *c, int64_t account_id, int64_t id, arena_t *a, bh_row_t *out)
{
    sqlite3_stmt *st =
        sq__q(c, "SELECT " BH_COLS " FROM business_hours WHERE id = ? AND account_id = ?", "ii", id,
              account_id);
    int rc = sq__one(c, st);
    if (rc) return rc;
    bh_read(st, a, out);
    sqlite3_reset(st);
    return 0;
}

static int bh_list(store_conn_t *c, const page_t *p, arena_t *a, bh_row_t **out, int *n)
{
    sqlite3_stmt *st = sq__q(c,
                             "SELECT " BH_COLS " FROM business_hours WHERE account_id = ?"
                             " AND id > ? ORDER BY id LIMIT ?",
                             "iii", p->account_id, p->after_id, (int64_t)p->limit);
    READ_ROWS(c, st, a, out, n, p->limit, bh_read);
}

static int bh_update(store_conn_t *c, const bh_row_t *r)
{
    return run_one(c, sq__q(c,
                            "UPDATE business_hours SET name = ?, calendar = ?, updated_at = ?"
                            " WHERE id = ? AND account_id = ?",
                            "ssiii", r->name, r->calendar, r->updated_at, r->id, r->account_id));
}

static int bh_in_use(store_conn_t *c, int64_t account_id, int64_t id, int64_t *n)
{
    return count_of(c,
                    sq__q(c,
                          "SELECT count(*) FROM inboxes WHERE business_hours_id = ?"
                          " AND account_id = ? AND deleted_at IS NULL",
                          "ii", id, account_id),
                    n);
}

static int bh_delete(store_conn_t *c, int64_t account_id, int64_t id)
{
    int rc =
        sq__run(c, sq__q(c,
                         "UPDATE inboxes SET business_hours_id = NULL WHERE"
                         " business_hours_id = ? AND account_id = ? AND deleted_at IS NOT NULL",
                         "ii", id, account_id));
    if (rc) return rc;
    return run_one(c, sq__q(c, "DELETE FROM business_hours WHERE id = ? AND account_id = ?", "ii",
                            id, account_id));
}

/* ---- policies ------------------------------------------------------------ */

#define POLICY_COLS "id, account_id, name, policy, created_at, updated_at"

static void policy_read(sqlite3_stmt *st, arena_t *a, sla_policy_row_t *r)
{
    r->id = sq__col_i(st, 0);
    r->account_id = sq__col_i(st, 1);
    r->name = sq__col_str(st, 2, a);
    r->policy = sq__col_str(st, 3, a);
    r->created_at = sq__col_i(st, 4);
    r->updated_at = sq__col_i(st, 5);
}

static int policy_create(store_conn_t *c, const sla_policy_row_t *r, int64_t *id)
{
    return insert(c,
                  sq__q(c,
                        "INSERT INTO sla_policies(account_id, name, policy, created_at,"
                        " updated_at) VALUES (?, ?, ?, ?, ?)",
                        "issii", r->account_id, r->name, r->policy, r->created_at, r->updated_at),
                  id);
}

static int policy_get(store_conn_t *c, int64_t account_id, int64_t id, arena_t *a,
                      sla_policy_row_t *out)
{
    sqlite3_stmt *st =
        sq__q(c, "SELECT " POLICY_COLS " FROM sla_policies WHERE id = ? AND account_id = ?", "ii",
              id, account_id);
    int rc = sq__one(c, st);
    if (rc) return rc;
    policy_read(st, a, out);
    sqlite3_reset(st);
    return 0;
}

static int policy_list(store_conn_t *c, const page_t *p, arena_t *a, sla_policy_row_t **out, int *n)
{
    sqlite3_stmt *st = sq__q(c,
                             "SELECT " POLICY_COLS " FROM sla_policies WHERE account_id = ?"
                             " AND id > ? ORDER BY id LIMIT ?",
                             "iii", p->account_id, p->after_id, (int64_t)p->limit);
    READ_ROWS(c, st, a, out, n, p->limit, policy_read);
}

static int policy_update(store_conn_t *c, const sla_policy_row_t *r)
{
    return run_one(c, sq__q(c,
                            "UPDATE sla_policies SET name = ?, policy = ?, updated_at = ?"
                            " WHERE id = ? AND account_id = ?",
                            "ssiii", r->name, r->policy, r->updated_at, r->id, r->account_id));
}

static int policy_in_use(store_conn_t *c, int64_t account_id, int64_t id, int64_t *n)
{
    return count_of(c,
                    sq__q(c,
                          "SELECT count(*) FROM inboxes WHERE sla_policy_id = ?"
                          " AND account_id = ? AND deleted_at IS NULL",
                          "ii", id, account_id),
                    n);
}

static int policy_delete(store_conn_t *c, int64_t account_id, int64_t id)
{
    int rc = sq__run(c, sq__q(c,
                              "UPDATE inboxes SET sla_policy_id = NULL WHERE sla_policy_id = ?"
                              " AND account_id = ? AND deleted_at IS NOT NULL",
                              "ii", id, account_id));
    if (rc) return rc;
    return run_one(c, sq__q(c, "DELETE FROM sla_policies WHERE id = ? AND account_id = ?", "ii", id,
                            account_id));
}

static int rules_replace(store_conn_t *c, int64_t account_id, int64_t policy_id,
                         const esc_rule_row_t *rules, int n)
{
    int rc =
        sq__run(c, sq__q(c, "DELETE FROM escalation_rules WHERE policy_id = ? AND account_id = ?",
                         "ii", policy_id, account_id));
    for (int i = 0; i < n && !rc; i++) {
        const esc_rule_row_t *r = &rules[i];
        rc = sq__run(c,
                     sq__q(c,
                           "INSERT INTO escalation_rules(account_id, policy_id, position,"
                           " on_event, target, action, priority, team_id, user_id, url)"
                           " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           "iiisssizzs", account_id, policy_id, (int64_t)i, r->on_event, r->target,
                           r->action, (int64_t)r->priority, r->team_id, r->user_id, r->url));
    }
    return rc;
}

static void rule_read(sqlite3_stmt *st, arena_t *a, esc_rule_row_t *r)
{
    r->id = sq__col_i(st, 0);
    r->account_id = sq__col_i(st, 1);
    r->policy_id = sq__col_i(st, 2);
    r->position = (int)sq__col_i(st, 3);
    r->on_event = sq__col_str(st, 4, a);
    r->target = sq__col_str(st, 5, a);
    r->action = sq__col_str(st, 6, a);
    r->priority = (int)sq__col_i(st, 7);
    r->team_id = sq__col_i(st, 8);
    r->user_id = sq__col_i(st, 9);
    r->url = sq__col_str(st, 10, a);
}

#define RULES_MAX 32

static int rules_list(store_conn_t *c, int64_t account_id, int64_t policy_id, arena_t *a,
                      esc_rule_row_t **out, int *n)
{
    sqlite3_stmt *st = sq__q(c,
                             "SELECT id, account_id, policy_id, position, on_event, target,"
                             " action, coalesce(priority, -1), coalesce(team_id, 0),"
                             " coalesce(user_id, 0), url FROM escalation_rules"
                             " WHERE policy_id = ? AND account_id = ? ORDER BY position",
                             "ii", policy_id, account_id);
    READ_ROWS(c, st, a, out, n, RULES_MAX, rule_read);
}

/* ---- inbox settings -------------------------------------------------------- */

static int inbox_sla_get(store_conn_t *c, int64_t inbox_id, inbox_sla_t *out)
{
    sqlite3_stmt *st = sq__q(c,
                             "SELECT coalesce(business_hours_id, 0), coalesce(sla_policy_id, 0)"
                             " FROM inboxes WHERE id = ?",
                             "i", inbox_id);
    int rc = sq__one(c, st);
    if (rc) return rc;
    out->business_hours_id = sq__col_i(st, 0);
    out->sla_policy_id = sq__col_i(st, 1);
    sqlite3_reset(st);
    return 0;
}

static int inbox_sla_set(store_conn_t *c, int64_t account_id, int64_t inbox_id,
                         const inbox_sla_t *in)
{
    return run_one(c,
                   sq__q(c,
                         "UPDATE inboxes SET business_hours_id = ?, sla_policy_id = ?"
                         " WHERE id = ? AND account_id = ?",
                         "zzii", in->business_hours_id, in->sla_policy_id, inbox_id, account_id));
}

/* ---- clocks ---------------------------------------------------------------- */

#define CLOCK_COLS                                                                                 \
    "id, account_id, conversation_id, policy_id, kind, status, state, business, target_ms,"        \
    " published_ms, warning_ms, started_at, coalesce(running_since, 0), elapsed_ms, paused_ms,"    \
    " coalesce(paused_at, 0), coalesce(due_at, 0), coalesce(warning_at, 0),"                       \
    " coalesce(published_due_at, 0), coalesce(next_at, 0), coalesce(warned_at, 0),"                \
    " coalesce(breached_at, 0), coalesce(published_breached_at, 0), coalesce(met_at, 0),"          \
    " coalesce(stopped_at, 0)"

static void clock_read(sqlite3_stmt *st, arena_t *a, sla_clock_row_t *r)
{
    int i = 0;
    r->id = sq__col_i(st, i++);
    r->account_id = sq__col_i(st, i++);
    r->conversation_id = sq__col_i(st, i++);
    r->policy_id = sq__col_i(st, i++);
    r->kind = sq__col_str(st, i++, a);
    r->status = sq__col_str(st, i++, a);
    r->state = sq__col_str(st, i++, a);
    r->business = sq__col_i(st, i++) != 0;
    r->target_ms = sq__col_i(st, i++);
    r->published_ms = sq__col_i(st, i++);
    r->warning_ms = sq__col_i(st, i++);
    r->started_at = sq__col_i(st, i++);
    r->running_since = sq__col_i(st, i++);
    r->elapsed_ms = sq__col_i(st, i++);
    r->paused_ms = sq__col_i(st, i++);
    r->paused_at = sq__col_i(st, i++);
    r->due_at = sq__col_i(st, i++);
    r->warning_at = sq__col_i(st, i++);
    r->published_due_at = sq__col_i(st, i++);
    r->next_at = sq__col_i(st, i++);
    r->warned_at = sq__col_i(st, i++);
    r->breached_at = sq__col_i(st, i++);
    r->published_breached_at = sq__col_i(st, i++);
    r->met_at = sq__col_i(st, i++);
    r->stopped_at = sq__col_i(st, i++);
}

static int clock_create(store_conn_t *c, const sla_clock_row_t *r, int64_t *id)
{
    return insert(c,
                  sq__q(c,
                        "INSERT INTO sla_clocks(account_id, conversation_id, policy_id, kind,"
                        " status, state, business, target_ms, published_ms, warning_ms,"
                        " started_at, running_since, elapsed_ms, paused_ms, paused_at, due_at,"
                        " warning_at, published_due_at, next_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        "iiisssiiiiiziizzzzz", r->account_id, r->conversation_id, r->policy_id,
                        r->kind, r->status, r->state, (int64_t)r->business, r->target_ms,
                        r->published_ms, r->warning_ms, r->started_at, r->running_since,
                        r->elapsed_ms, r->paused_ms, r->paused_at, r->due_at, r->warning_at,
                        r->published_due_at, r->next_at),
                  id);
}

static int clock_update(store_conn_t *c, const sla_clock_row_t *r)
{
    return run_one(c, sq__q(c,
                            "UPDATE sla_clocks SET status = ?, state = ?, target_ms = ?,"
                            " published_ms = ?, warning_ms = ?, running_since = ?,"
                            " elapsed_ms = ?, paused_ms = ?, paused_at = ?, due_at = ?,"
                            " warning_at = ?, published_due_at = ?, next_at = ?, warned_at = ?,"
                            " breached_at = ?, published_breached_at = ?, met_at = ?,"
                            " stopped_at = ? WHERE id = ?",
                            "ssiiiziizzzzzzzzzzi", r->status, r->state, r->target_ms,
                            r->published_ms, r->warning_ms, r->running_since, r->elapsed_ms,
                            r->paused_ms, r->paused_at, r->due_at, r->warning_at,
                            r->published_due_at, r->next_at, r->warned_at, r->breached_at,
                            r->published_breached_at, r->met_at, r->stopped_at, r->id));
}

static int clock_get_any(store_conn_t *c, int64_t id, arena_t *a, sla_clock_row_t *out)
{
    sqlite3_stmt *st = sq__q(c, "SELECT " CLOCK_COLS " FROM sla_clocks WHERE id = ?", "i", id);
    int rc = sq__one(c, st);
    if (rc) return rc;
    clock_read(st, a, out);
    sqlite3_reset(st);
    return 0;
}

#define ACTIVE_MAX 8

static int clock_active(store_conn_t *c, int64_t conversation_id, arena_t *a, sla_clock_row_t **out,
                        int *n)
{
    sqlite3_stmt *st = sq__q(c,
                             "SELECT " CLOCK_COLS " FROM sla_clocks WHERE conversation_id = ?"
                             " AND status IN ('running', 'paused') ORDER BY id",
                             "i", conversation_id);
    READ_ROWS(c, st, a, out, n, ACTIVE_MAX, clock_read);
}

static void due_read(sqlite3_stmt *st, arena_t *a, sla_due_t *d)
{
    (void)a;
    d->id = sq__col_i(st, 0);
    d->next_at = sq__col_i(st, 1);
}

static int clock_scheduled(store_conn_t *c, int64_t after_next, int64_t after_id, int limit,
                           arena_t *a, sla_due_t **out, int *n)
{
    /* The explicit lower bound keeps each page an index seek: with only the
     * OR, SQLite scanned the index from its start on every page, so loading
     * 1M deadlines at start took 50 s instead of about one. */
    sqlite3_stmt *st = sq__q(c,
                             "SELECT id, next_at FROM sla_clocks WHERE next_at IS NOT NULL"
                             " AND next_at >= ? AND (next_at > ? OR id > ?)"
                             " ORDER BY next_at, id LIMIT ?",
                             "iiii", after_next, after_next, after_id, (int64_t)limit);
    READ_ROWS(c, st, a, out, n, limit, due_read);
}

const store_sla_ops_t sq__sla_ops = {
    .bh_create = bh_create,
    .bh_get = bh_get,
    .bh_list = bh_list,
    .bh_update = bh_update,
    .bh_in_use = bh_in_use,
    .bh_delete = bh_delete,
    .policy_create = policy_create,
    .policy_get = policy_get,
    .policy_list = policy_list,
    .policy_update = policy_update,
    .policy_in_use = policy_in_use,
    .policy_delete = policy_delete,
    .rules_replace = rules_replace,
    .rules_list = rules_list,
    .inbox_sla_get = inbox_sla_get,
    .inbox_sla_set = inbox_sla_set,
    .clock_create = clock_create,
    .clock_update = clock_update,
    .clock_get_any = clock_get_any,
    .clock_active = clock_active,
    .clock_scheduled = clock_scheduled,
};
