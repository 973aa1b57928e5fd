/*
 * sqlite_reports.c - the SQLite queries behind store_reports_ops_t: rollup
 * upserts, histogram samples, per-conversation report state, the aggregate
 * reads of the report endpoints, and the table comparison of
 * `parley reports verify`.
 *
 * Static SQL only (the column lists come from REPORT_COLUMNS at compile
 * time); every read names the account it may touch.
 */
#include "store/sqlite_internal.h"
#include "store/store_reports.h"

#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_(c) #c,
const char *const report_column_names[RC_COUNT] = {REPORT_COLUMNS(NAME_)};
#undef NAME_

#define COL_(c) ", " #c
#define QM_(c)  ", ?"
#define ADD_(c) ", " #c " = " #c " + excluded." #c
#define SUM_(c) ", sum(" #c ")"
#define KEYCOLS "account_id, hour, inbox_id, channel, agent_id, team_id, priority"

static const char upsert_sql[] = "INSERT INTO report_rollups(" KEYCOLS
    REPORT_COLUMNS(COL_) ") VALUES (?, ?, ?, ?, ?, ?, ?" REPORT_COLUMNS(
        QM_) ") ON CONFLICT(" KEYCOLS
             ") DO UPDATE SET account_id = account_id" REPORT_COLUMNS(ADD_);

static void bind_key(sqlite3_stmt *st, const rollup_key_t *k)
{
    sqlite3_bind_int64(st, 1, k->account_id);
    sqlite3_bind_int64(st, 2, k->hour);
    sqlite3_bind_int64(st, 3, k->inbox_id);
    sqlite3_bind_text(st, 4, k->channel ? k->channel : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, k->agent_id);
    sqlite3_bind_int64(st, 6, k->team_id);
    sqlite3_bind_int64(st, 7, k->priority);
}

static int rollup_add(store_conn_t *c, const rollup_key_t *k, const int64_t v[RC_COUNT])
{
    sqlite3_stmt *st = sq__prep(c, upsert_sql);
    if (!st) return PARLEY_EIO;
    bind_key(st, k);
    for (int i = 0; i < RC_COUNT; i++) sqlite3_bind_int64(st, 8 + i, v[i]);
    return sq__run(c, st);
}

static int hist_add(store_conn_t *c, const rollup_key_t *k, int metric, int bucket, int64_t ms)
{
    sqlite3_stmt *st = sq__prep(
        c, "INSERT INTO report_hist(" KEYCOLS ", metric, bucket, n, sum_ms)"
           " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?) ON CONFLICT(account_id, hour, metric,"
           " inbox_id, channel, agent_id, team_id, priority, bucket) DO UPDATE SET n = n + 1,"
           " sum_ms = sum_ms + excluded.sum_ms");
    if (!st) return PARLEY_EIO;
    bind_key(st, k);
    sqlite3_bind_int(st, 8, metric);
    sqlite3_bind_int(st, 9, bucket);
    sqlite3_bind_int64(st, 10, ms);
    return sq__run(c, st);
}

/* ---- per-conversation state ---------------------------------------------- */

#define RCONV_COLS                                                                                 \
    "conversation_id, account_id, inbox_id, channel, team_id, assignee_id, priority, status,"      \
    " created_at, c_hour, c_team, c_priority, cycle_opened_at, cycle_replied, cycle_bot,"          \
    " cycle_msgs, run_start, handoff_at, responded, first_reply_at, resolved_at, msgs_in,"         \
    " replies_out, reopens, resolutions, frt_ms, frt_bh_ms, res_ms, res_bh_ms, rt_n, rt_ms,"       \
    " rt_bh_ms, sent_first_sum, sent_first_n, sent_last0, sent_last1, sent_last2, sent_n,"         \
    " beat_user, beat_at, handle_ms, handle_bh_ms"
#define RCONV_NCOLS 42

/* The integer fields of rconv_t in RCONV_COLS order (channel and status apart). */
static int64_t *rconv_ints(rconv_t *r, int i)
{
    int64_t *f[RCONV_NCOLS] = {&r->conversation_id,
                               &r->account_id,
                               &r->inbox_id,
                               NULL,
                               &r->team_id,
                               &r->assignee_id,
                               NULL,
                               NULL,
                               &r->created_at,
                               &r->c_hour,
                               &r->c_team,
                               NULL,
                               &r->cycle_opened_at,
                               &r->cycle_replied,
                               &r->cycle_bot,
                               &r->cycle_msgs,
                               &r->run_start,
                               &r->handoff_at,
                               &r->responded,
                               &r->first_reply_at,
                               &r->resolved_at,
                               &r->msgs_in,
                               &r->replies_out,
                               &r->reopens,
                               &r->resolutions,
                               &r->frt_ms,
                               &r->frt_bh_ms,
                               &r->res_ms,
                               &r->res_bh_ms,
                               &r->rt_n,
                               &r->rt_ms,
                               &r->rt_bh_ms,
                               &r->sent_first_sum,
                               &r->sent_first_n,
                               &r->sent_last[0],
                               &r->sent_last[1],
                               &r->sent_last[2],
                               &r->sent_n,
                               &r->beat_user,
                               &r->beat_at,
                               &r->handle_ms,
                               &r->handle_bh_ms};
    return f[i];
}

static void rconv_read(sqlite3_stmt *st, rconv_t *r)
{
    memset(r, 0, sizeof *r);
    for (int i = 0; i < RCONV_NCOLS; i++) {
        int64_t *p = rconv_ints(r, i);
        if (p) *p = sqlite3_column_int64(st, i);
    }
    const char *ch = (const char *)sqlite3_column_text(st, 3);
    snprintf(r->channel, sizeof r->channel, "%s", ch ? ch : "");
    r->priority = sqlite3_column_int(st, 6);
    const char *s = (const char *)sqlite3_column_text(st, 7);
    snprintf(r->status, sizeof r->status, "%s", s ? s : "");
    r->c_priority = sqlite3_column_int(st, 11);
}

static int conv_get(store_conn_t *c, int64_t id, rconv_t *out)
{
    sqlite3_stmt *st =
        sq__prep(c, "SELECT " RCONV_COLS " FROM report_conversations WHERE conversation_id = ?");
    if (!st) return PARLEY_EIO;
    sqlite3_bind_int64(st, 1, id);
    int rc = sq__one(c, st);
    if (rc) return rc;
    rconv_read(st, out);
    sqlite3_reset(st);
    return 0;
}

static int conv_put(store_conn_t *c, const rconv_t *in)
{
    sqlite3_stmt *st =
        sq__prep(c, "INSERT OR REPLACE INTO report_conversations(" RCONV_COLS
                    ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                    " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!st) return PARLEY_EIO;
    rconv_t r = *in;
    for (int i = 0; i < RCONV_NCOLS; i++) {
        int64_t *p = rconv_ints(&r, i);
        if (p) sqlite3_bind_int64(st, i + 1, *p);
    }
    sqlite3_bind_text(st, 4, in->channel, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 7, in->priority);
    sqlite3_bind_text(st, 8, in->status, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 12, in->c_priority);
    return sq__run(c, st);
}

/* ---- aggregate reads ------------------------------------------------------ */

#define FILTER                                                                                     \
    " WHERE account_id = ?1 AND hour >= ?2 AND hour < ?3 AND (?4 = 0 OR inbox_id = ?4)"            \
    " AND (?5 = 0 OR team_id = ?5) AND (?6 = 0 OR agent_id = ?6) AND (?7 < 0 OR priority = ?7)"    \
    " AND (?8 IS NULL OR channel = ?8)"

#define HOUR_MS 3600000LL

static int64_t floor_hour(int64_t ms)
{
    return ms >= 0 ? ms / HOUR_MS : -((-ms + HOUR_MS - 1) / HOUR_MS);
}

static void bind_filter(sqlite3_stmt *st, const report_filter_t *f, bool period)
{
    sqlite3_bind_int64(st, 1, f->account_id);
    sqlite3_bind_int64(st, 2, period ? floor_hour(f->since) : INT64_MIN);
    sqlite3_bind_int64(st, 3, floor_hour(f->until + HOUR_MS - 1));
    sqlite3_bind_int64(st, 4, f->inbox_id);
    sqlite3_bind_int64(st, 5, f->team_id);
    sqlite3_bind_int64(st, 6, f->agent_id);
    sqlite3_bind_int64(st, 7, f->priority);
    if (f->channel)
        sqlite3_bind_text(st, 8, f->channel, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 8);
}

/* The rows of a period are read in key order and summed here, not with GROUP
 * BY: SQLite groups through a temporary B-tree, which sorted every row (a
 * year of histogram rows, 6 million on the benchmark's database, took 20 s;
 * streaming them takes about a tenth of that). */
#define SUMS_SQL(g) "SELECT " g REPORT_COLUMNS(COL_) " FROM report_rollups" FILTER
#define HIST_SQL(g) "SELECT " g ", metric, bucket, n, sum_ms FROM report_hist" FILTER

/* by report_group_t */
static const char *const sums_sql[] = {SUMS_SQL("0"),
                                       SUMS_SQL("hour"),
                                       SUMS_SQL("agent_id"),
                                       SUMS_SQL("inbox_id"),
                                       SUMS_SQL("team_id"),
                                       SUMS_SQL("hour / 24"),
                                       SUMS_SQL("(hour / 24 + 3) / 7")};
static const char *const hist_sql[] = {HIST_SQL("0"),
                                       HIST_SQL("hour"),
                                       HIST_SQL("agent_id"),
                                       HIST_SQL("inbox_id"),
                                       HIST_SQL("team_id"),
                                       HIST_SQL("hour / 24"),
                                       HIST_SQL("(hour / 24 + 3) / 7")};

/* An open-addressing map from a group key to its index in the output array. */
typedef struct {
    int64_t *keys;
    int *idx; /* -1 = empty */
    size_t cap;
} gmap_t;

static size_t gmap_slot(const gmap_t *m, int64_t key)
{
    uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15ULL;
    size_t i = (size_t)(h >> 17) & (m->cap - 1);
    while (m->idx[i] >= 0 && m->keys[i] != key) i = (i + 1) & (m->cap - 1);
    return i;
}

static void gmap_init(gmap_t *m, size_t cap)
{
    m->cap = cap;
    m->keys = xcalloc(cap, sizeof *m->keys);
    m->idx = xcalloc(cap, sizeof *m->idx);
    for (size_t i = 0; i < cap; i++) m->idx[i] = -1;
}

static void gmap_free(gmap_t *m)
{
    free(m->keys);
    free(m->idx);
}

/* The index of key, or -1 after reserving its slot for index `next`. */
static int gmap_get(gmap_t *m, int64_t key, int next)
{
    if ((size_t)next * 2 >= m->cap) { /* keep it at most half full */
        gmap_t bigger;
        gmap_init(&bigger, m->cap * 2);
        for (size_t i = 0; i < m->cap; i++)
            if (m->idx[i] >= 0) {
                size_t j = gmap_slot(&bigger, m->keys[i]);
                bigger.keys[j] = m->keys[i];
                bigger.idx[j] = m->idx[i];
            }
        gmap_free(m);
        *m = bigger;
    }
    size_t i = gmap_slot(m, key);
    if (m->idx[i] >= 0) return m->idx[i];
    m->keys[i] = key;
    m->idx[i] = next;
    return -1;
}

static void *grow(arena_t *a, void *old, size_t size, int *cap)
{
    void *bigger = arena_alloc(a, size * (size_t)*cap * 2);
    memcpy(bigger, old, size * (size_t)*cap);
    *cap *= 2;
    return bigger;
}

static int cmp_sums(const void *a, const void *b)
{
    const report_sums_t *x = a, *y = b;
    return x->group < y->group ? -1 : x->group > y->group;
}

static int sums(store_conn_t *c, const report_filter_t *f, report_group_t g, arena_t *a,
                report_sums_t **out, int *n)
{
    sqlite3_stmt *st = sq__prep(c, sums_sql[g]);
    if (!st) return PARLEY_EIO;
    bind_filter(st, f, true);
    int cap = 64, rc;
    gmap_t m;
    gmap_init(&m, 128);
    *n = 0;
    *out = arena_alloc(a, sizeof **out * (size_t)cap);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t group = sqlite3_column_int64(st, 0);
        int i = gmap_get(&m, group, *n);
        if (i < 0) {
            if (*n == cap) *out = grow(a, *out, sizeof **out, &cap);
            i = (*n)++;
            memset(&(*out)[i], 0, sizeof **out);
            (*out)[i].group = group;
        }
        int64_t *v = (*out)[i].v;
        for (int k = 0; k < RC_COUNT; k++) v[k] += sqlite3_column_int64(st, 1 + k);
    }
    sqlite3_reset(st);
    gmap_free(&m);
    if (*n > 1) qsort(*out, (size_t)*n, sizeof **out, cmp_sums);
    return rc == SQLITE_DONE ? 0 : sq__rc(c, rc);
}

/* (group, metric, bucket) as one key; metric < 8 and bucket < 128. */
static int64_t hist_key(int64_t group, int metric, int bucket)
{
    return group * 1024 + metric * 128 + bucket;
}

static int cmp_hist(const void *a, const void *b)
{
    const report_hist_row_t *x = a, *y = b;
    int64_t kx = hist_key(x->group, x->metric, x->bucket),
            ky = hist_key(y->group, y->metric, y->bucket);
    return kx < ky ? -1 : kx > ky;
}

static int hist(store_conn_t *c, const report_filter_t *f, report_group_t g, arena_t *a,
                report_hist_row_t **out, int *n)
{
    sqlite3_stmt *st = sq__prep(c, hist_sql[g]);
    if (!st) return PARLEY_EIO;
    bind_filter(st, f, true);
    int cap = 256, rc;
    gmap_t m;
    gmap_init(&m, 1024);
    *n = 0;
    *out = arena_alloc(a, sizeof **out * (size_t)cap);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t group = sqlite3_column_int64(st, 0);
        int metric = sqlite3_column_int(st, 1), bucket = sqlite3_column_int(st, 2);
        if (metric < 0 || metric >= 8 || bucket < 0 || bucket >= REPORT_BUCKETS)
            continue; /* not a row rollups.c writes */
        int i = gmap_get(&m, hist_key(group, metric, bucket), *n);
        if (i < 0) {
            if (*n == cap) *out = grow(a, *out, sizeof **out, &cap);
            i = (*n)++;
            (*out)[i] = (report_hist_row_t){.group = group, .metric = metric, .bucket = bucket};
        }
        (*out)[i].n += sqlite3_column_int64(st, 3);
        (*out)[i].sum_ms += sqlite3_column_int64(st, 4);
    }
    sqlite3_reset(st);
    gmap_free(&m);
    if (*n > 1) qsort(*out, (size_t)*n, sizeof **out, cmp_hist);
    return rc == SQLITE_DONE ? 0 : sq__rc(c, rc);
}

static int backlog(store_conn_t *c, const report_filter_t *f, int64_t *out)
{
    sqlite3_stmt *st =
        sq__prep(c, "SELECT coalesce(sum(backlog_delta), 0) FROM report_rollups" FILTER);
    if (!st) return PARLEY_EIO;
    bind_filter(st, f, false);
    int rc = sq__one(c, st);
    if (rc) return rc;
    *out = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

#define CONV_FILTER                                                                                \
    " FROM report_conversations r WHERE r.account_id = ?1 AND r.created_at >= ?2 AND"              \
    " r.created_at < ?3 AND (?4 = 0 OR r.inbox_id = ?4) AND (?5 = 0 OR r.team_id = ?5) AND"        \
    " (?6 = 0 OR r.assignee_id = ?6) AND (?7 < 0 OR r.priority = ?7) AND"                          \
    " (?8 IS NULL OR r.channel = ?8) AND (?9 = 0 OR EXISTS (SELECT 1 FROM conversation_labels l"   \
    " WHERE l.conversation_id = r.conversation_id AND l.label_id = ?9))"

static void bind_conv_filter(sqlite3_stmt *st, const report_filter_t *f)
{
    bind_filter(st, f, true);
    sqlite3_bind_int64(st, 2, f->since);
    sqlite3_bind_int64(st, 3, f->until);
    sqlite3_bind_int64(st, 9, f->label_id);
}

static int conv_list(store_conn_t *c, const report_filter_t *f, int64_t after, int limit,
                     arena_t *a, rconv_t **out, int *n)
{
    sqlite3_stmt *st = sq__prep(c, "SELECT " RCONV_COLS CONV_FILTER
                                   " AND r.conversation_id > ?10 ORDER BY r.conversation_id"
                                   " LIMIT ?11");
    if (!st) return PARLEY_EIO;
    bind_conv_filter(st, f);
    sqlite3_bind_int64(st, 10, after);
    sqlite3_bind_int(st, 11, limit);
    *out = arena_alloc(a, sizeof **out * (size_t)(limit > 0 ? limit : 1));
    *n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < limit) rconv_read(st, &(*out)[(*n)++]);
    sqlite3_reset(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : sq__rc(c, rc);
}

static int conv_count(store_conn_t *c, const report_filter_t *f, int64_t *n)
{
    sqlite3_stmt *st = sq__prep(c, "SELECT count(*)" CONV_FILTER);
    if (!st) return PARLEY_EIO;
    bind_conv_filter(st, f);
    int rc = sq__one(c, st);
    if (rc) return rc;
    *n = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

/* ---- verification: row-by-row comparison --------------------------------- */

typedef struct {
    const char *table, *sql;
    int npk;
} cmp_table_t;

static const cmp_table_t cmp_tables[] = {
    {"report_rollups", "SELECT * FROM report_rollups ORDER BY " KEYCOLS, 7},
    {"report_hist",
     "SELECT * FROM report_hist ORDER BY account_id, hour, metric, inbox_id, channel, agent_id,"
     " team_id, priority, bucket",
     9},
    {"report_conversations", "SELECT * FROM report_conversations ORDER BY conversation_id", 1},
};

/* Orders two rows by their first npk columns (the primary key, in ORDER BY order). */
static int pk_cmp(sqlite3_stmt *a, sqlite3_stmt *b, const int *order, int npk)
{
    for (int i = 0; i < npk; i++) {
        int k = order[i];
        if (sqlite3_column_type(a, k) == SQLITE_TEXT) {
            int d = strcmp((const char *)sqlite3_column_text(a, k),
                           (const char *)sqlite3_column_text(b, k));
            if (d) return d;
        } else {
            int64_t x = sqlite3_column_int64(a, k), y = sqlite3_column_int64(b, k);
            if (x != y) return x < y ? -1 : 1;
        }
    }
    return 0;
}

static void row_name(sqlite3_stmt *st, const int *order, int npk, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < npk && o < cap; i++) {
        int k = order[i];
        o += (size_t)snprintf(out + o, cap - o, "%s%s=%s", i ? " " : "", sqlite3_column_name(st, k),
                              (const char *)sqlite3_column_text(st, k));
    }
}

static int compare(store_conn_t *ca, store_conn_t *cb,
                   void (*diff)(void *ctx, const char *table, const char *row, const char *col,
                                const char *va, const char *vb),
                   void *ctx, int64_t *ndiff)
{
    *ndiff = 0;
    for (size_t t = 0; t < sizeof cmp_tables / sizeof cmp_tables[0]; t++) {
        const cmp_table_t *ct = &cmp_tables[t];
        sqlite3_stmt *a = NULL, *b = NULL;
        if (sqlite3_prepare_v2(ca->db, ct->sql, -1, &a, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(cb->db, ct->sql, -1, &b, NULL) != SQLITE_OK) {
            sqlite3_finalize(a);
            sqlite3_finalize(b);
            return PARLEY_EIO;
        }
        /* the ORDER BY columns by index */
        int order[9], ncols = sqlite3_column_count(a);
        static const char *const hist_pk[] = {"account_id", "hour",     "metric",
                                              "inbox_id",   "channel",  "agent_id",
                                              "team_id",    "priority", "bucket"};
        static const char *const roll_pk[] = {"account_id", "hour",    "inbox_id", "channel",
                                              "agent_id",   "team_id", "priority"};
        static const char *const conv_pk[] = {"conversation_id"};
        const char *const *pk = t == 0 ? roll_pk : t == 1 ? hist_pk : conv_pk;
        for (int i = 0; i < ct->npk; i++)
            for (int k = 0; k < ncols; k++)
                if (!strcmp(sqlite3_column_name(a, k), pk[i])) order[i] = k;
        int ra = sqlite3_step(a), rb = sqlite3_step(b);
        char name[256];
        while (ra == SQLITE_ROW || rb == SQLITE_ROW) {
            int d = ra != SQLITE_ROW ? 1 : rb != SQLITE_ROW ? -1 : pk_cmp(a, b, order, ct->npk);
            if (d < 0) { /* only in a */
                row_name(a, order, ct->npk, name, sizeof name);
                (*ndiff)++;
                diff(ctx, ct->table, name, "(row)", "present", "missing");
                ra = sqlite3_step(a);
            } else if (d > 0) {
                row_name(b, order, ct->npk, name, sizeof name);
                (*ndiff)++;
                diff(ctx, ct->table, name, "(row)", "missing", "present");
                rb = sqlite3_step(b);
            } else {
                for (int k = 0; k < ncols; k++) {
                    const char *va = (const char *)sqlite3_column_text(a, k);
                    const char *vb = (const char *)sqlite3_column_text(b, k);
                    if (strcmp(va ? va : "", vb ? vb : "") != 0) {
                        row_name(a, order, ct->npk, name, sizeof name);
                        (*ndiff)++;
                        diff(ctx, ct->table, name, sqlite3_column_name(a, k), va ? va : "",
                             vb ? vb : "");
                    }
                }
                ra = sqlite3_step(a);
                rb = sqlite3_step(b);
            }
        }
        sqlite3_finalize(a);
        sqlite3_finalize(b);
        if ((ra != SQLITE_DONE) || (rb != SQLITE_DONE)) return PARLEY_EIO;
    }
    return 0;
}

static int clear(store_conn_t *c)
{
    int rc = sq__run(c, sq__prep(c, "DELETE FROM report_rollups"));
    if (!rc) rc = sq__run(c, sq__prep(c, "DELETE FROM report_hist"));
    if (!rc) rc = sq__run(c, sq__prep(c, "DELETE FROM report_conversations"));
    return rc;
}

static int stale_get(store_conn_t *c, int64_t *since)
{
    sqlite3_stmt *st =
        sq__prep(c, "SELECT coalesce(max(stale_since), 0) FROM report_state WHERE id = 1");
    if (!st) return PARLEY_EIO;
    int rc = sq__one(c, st);
    if (rc) return rc;
    *since = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

static int stale_set(store_conn_t *c, int64_t since)
{
    sqlite3_stmt *st = sq__prep(c, "UPDATE report_state SET stale_since = CASE WHEN ?1 = 0 THEN"
                                   " NULL ELSE coalesce(stale_since, ?1) END WHERE id = 1");
    if (!st) return PARLEY_EIO;
    sqlite3_bind_int64(st, 1, since);
    return sq__run(c, st);
}

const struct store_reports_ops sq__reports_ops = {
    .stale_get = stale_get,
    .stale_set = stale_set,
    .clear = clear,
    .rollup_add = rollup_add,
    .hist_add = hist_add,
    .conv_get = conv_get,
    .conv_put = conv_put,
    .sums = sums,
    .hist = hist,
    .backlog = backlog,
    .conv_list = conv_list,
    .conv_count = conv_count,
    .compare = compare,
};
