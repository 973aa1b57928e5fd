/*
 * test_report_cube.c - the report rollups' layout (store/report_cube.c and
 * the reads of sqlite_reports.c): whatever the period, filters and grouping,
 * the coarse rows a report reads sum to exactly what the hourly facts give.
 *
 * 4,000 random facts (counters and duration samples over ~4 months, three
 * inboxes and channels, six agents, three teams, four priorities) are written
 * through the store in batches, one failing job among them; then 400 random
 * queries (periods from one hour to the whole range, aligned or not; any
 * filter set; every grouping) are answered by `aggregate` and `backlog` and
 * compared, counter by counter and bucket by bucket, with sums over the facts
 * kept in memory: first with the facts split between the cube and the
 * recent table (folded at 1,024 rows while the batches ran), then again once
 * everything is folded. Also: the time levels' boundaries, the blob merge,
 * the upgrade from schema 11, and the paging of the per-conversation rows
 * (each row once, in order, ties on created_at across page boundaries).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "db_files.h"

#include "core/tzfile.h"
#include "store/report_cube.h"
#include "store/store.h"
#include "store/store_reports.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HOUR_MS  3600000LL
#define N_FACTS  4000
#define N_QUERY  400
#define ACCOUNT  7
#define FAIL_JOB 13 /* this batch's job fails: its facts must not count */

typedef struct {
    rollup_key_t k;
    int metric, bucket; /* -1: counters */
    int64_t ms;
    int64_t v[RC_COUNT];
} fact_t;

static const char *const channels[] = {"api", "whatsapp", "x"};
static fact_t facts[N_FACTS];
static int n_kept;
static fact_t kept[N_FACTS];
static uint64_t seed = 0x2545F4914F6CDD1DULL;
static int64_t first_hour, last_hour;

static uint64_t rnd(void)
{
    seed ^= seed >> 12;
    seed ^= seed << 25;
    seed ^= seed >> 27;
    return seed * 0x2545F4914F6CDD1DULL;
}

static int64_t pick(int64_t n)
{
    return (int64_t)(rnd() % (uint64_t)n);
}

typedef struct {
    const struct store_reports_ops *ops;
    int from, to; /* facts [from, to) */
    bool fail;
} job_t;

static int write_facts(store_conn_t *c, void *p)
{
    job_t *j = p;
    for (int i = j->from; i < j->to; i++) {
        const fact_t *f = &facts[i];
        int rc = f->metric < 0 ? j->ops->rollup_add(c, &f->k, f->v)
                               : j->ops->hist_add(c, &f->k, f->metric, f->bucket, f->ms);
        if (rc) return rc;
    }
    return j->fail ? PARLEY_EINVAL : 0;
}

static store_t *store;
static char dbpath[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dbpath, sizeof dbpath, "/tmp/parley-cube-%d.db", getpid());
    unlink(dbpath);
    parley_err_t err = {0};
    assert_int_equal(store_open_sqlite(dbpath, &store, &err), 0);
    first_hour = tz_days_from_civil(2026, 1, 20) * 24 + 5;
    last_hour = tz_days_from_civil(2026, 5, 12) * 24 + 17;
    for (int i = 0; i < N_FACTS; i++) {
        fact_t *f = &facts[i];
        memset(f, 0, sizeof *f);
        f->k = (rollup_key_t){.account_id = ACCOUNT,
                              .hour = first_hour + pick(last_hour - first_hour),
                              .inbox_id = 1 + pick(3),
                              .channel = channels[pick(3)],
                              .agent_id = pick(6),
                              .team_id = pick(3),
                              .priority = (int)pick(4)};
        if (pick(3) == 0) {
            f->metric = (int)pick(HM_COUNT);
            f->ms = pick(4) == 0 ? 0 : pick(90000000);
            f->bucket = (int)pick(REPORT_BUCKETS);
        } else {
            f->metric = -1;
            for (int k = 0; k < RC_COUNT; k++)
                if (pick(4) == 0) f->v[k] = pick(1000);
            f->v[RC_backlog_delta] = pick(3) - 1;
        }
    }
    /* one account apart: never in the answers */
    const struct store_reports_ops *ops = store->ops->reports;
    for (int i = 0; i * 50 < N_FACTS; i++) {
        job_t j = {.ops = ops, .from = i * 50, .to = (i + 1) * 50, .fail = i == FAIL_JOB};
        int rc = store->ops->write(store, write_facts, &j);
        assert_int_equal(rc, j.fail ? PARLEY_EINVAL : 0);
        if (!j.fail) {
            memcpy(&kept[n_kept], &facts[j.from], sizeof *facts * 50);
            n_kept += 50;
        }
    }
    fact_t other = facts[0];
    other.k.account_id = ACCOUNT + 1;
    other.metric = -1;
    other.v[RC_received] = 1000000;
    job_t j = {.ops = ops, .from = 0, .to = 0};
    facts[0] = other;
    j.to = 1;
    assert_int_equal(store->ops->write(store, write_facts, &j), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    store_close(store);
    db_files_remove(dbpath);
    return 0;
}

static bool matches(const report_filter_t *f, const rollup_key_t *k)
{
    return k->account_id == f->account_id && (!f->inbox_id || k->inbox_id == f->inbox_id) &&
           (!f->team_id || k->team_id == f->team_id) &&
           (!f->agent_id || k->agent_id == f->agent_id) &&
           (f->priority < 0 || k->priority == f->priority) &&
           (!f->channel || !strcmp(f->channel, k->channel));
}

static int64_t group_of(report_group_t g, const rollup_key_t *k)
{
    switch (g) {
    case RG_HOUR: return k->hour;
    case RG_DAY: return k->hour / 24;
    case RG_WEEK: return (k->hour / 24 + 3) / 7;
    case RG_AGENT: return k->agent_id;
    case RG_INBOX: return k->inbox_id;
    case RG_TEAM: return k->team_id;
    default: return 0;
    }
}

/* The expected answer, by brute force over the kept facts. */
static report_agg_t *expect(const report_filter_t *f, report_group_t g, int *n)
{
    int64_t a = f->since / HOUR_MS, b = (f->until + HOUR_MS - 1) / HOUR_MS;
    report_agg_t *out = NULL;
    *n = 0;
    for (int i = 0; i < n_kept; i++) {
        const fact_t *x = &kept[i];
        if (x->k.hour < a || x->k.hour >= b || !matches(f, &x->k)) continue;
        int64_t key = group_of(g, &x->k);
        int j = 0;
        while (j < *n && out[j].group != key) j++;
        if (j == *n) {
            out = realloc(out, sizeof *out * (size_t)(*n + 1));
            memset(&out[j], 0, sizeof *out);
            out[j].group = key;
            (*n)++;
        }
        if (x->metric < 0) {
            for (int k = 0; k < RC_COUNT; k++) out[j].v[k] += x->v[k];
        } else {
            out[j].hn[x->metric][x->bucket]++;
            out[j].hs[x->metric][x->bucket] += x->ms;
        }
    }
    /* by group, as aggregate answers */
    for (int i = 1; i < *n; i++)
        for (int j = i; j > 0 && out[j - 1].group > out[j].group; j--) {
            report_agg_t t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    return out;
}

/* A random period: any hours, or aligned to days / months, one hour to all. */
static void random_period(report_filter_t *f)
{
    int64_t span = last_hour - first_hour + 48;
    int64_t a = first_hour - 24 + pick(span), len = 1 + pick(pick(2) ? 24 * 40 : span);
    switch (pick(4)) {
    case 0: a = a / 24 * 24; break;
    case 1: {
        int64_t y;
        int m, d;
        tz_civil_from_days(a / 24, &y, &m, &d);
        a = tz_days_from_civil(y, m, 1) * 24;
        len = len / 24 * 24 + 24;
        break;
    }
    default: break;
    }
    if (pick(5) == 0) {
        a = first_hour - 30 * 24; /* the whole range */
        len = span + 60 * 24;
    }
    f->since = a * HOUR_MS + (pick(3) == 0 ? pick(HOUR_MS) : 0);
    f->until = (a + len) * HOUR_MS - (pick(3) == 0 ? pick(HOUR_MS) : 0);
    if (f->until <= f->since) f->until = f->since + 1;
}

/* Rows in a table of the test's database (read beside the store). */
static int64_t table_rows(const char *table)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void run_queries(void)
{
    const struct store_reports_ops *ops = store->ops->reports;
    store_conn_t *c = store->ops->reader(store);
    static const report_group_t groups[] = {RG_NONE, RG_HOUR, RG_AGENT, RG_INBOX,
                                            RG_TEAM, RG_DAY,  RG_WEEK};
    int checked_groups = 0;
    for (int q = 0; q < N_QUERY; q++) {
        report_filter_t f = {.account_id = ACCOUNT, .priority = -1};
        random_period(&f);
        if (pick(3) == 0) f.inbox_id = 1 + pick(3);
        if (pick(4) == 0) f.channel = channels[pick(3)];
        if (pick(3) == 0) f.agent_id = pick(6); /* 0 = not filtered */
        if (pick(4) == 0) f.team_id = 1 + pick(2);
        if (pick(3) == 0) f.priority = (int)pick(4);
        report_group_t g = groups[pick(7)];
        if (g == RG_HOUR && f.until - f.since > 60 * 24 * HOUR_MS) g = RG_DAY;
        int n_want, n_got;
        report_agg_t *want = expect(&f, g, &n_want), *got = NULL;
        assert_int_equal(ops->aggregate(c, &f, g, &got, &n_got), 0);
        if (n_got != n_want)
            fail_msg(
                "query %d: %d groups, expected %d (group %d, cuboid filters %lld/%s/%lld/%lld/%d)",
                q, n_got, n_want, g, (long long)f.inbox_id, f.channel ? f.channel : "-",
                (long long)f.agent_id, (long long)f.team_id, f.priority);
        for (int i = 0; i < n_want; i++) {
            assert_int_equal(got[i].group, want[i].group);
            for (int k = 0; k < RC_COUNT; k++)
                if (got[i].v[k] != want[i].v[k])
                    fail_msg("query %d group %lld: %s %lld, expected %lld", q,
                             (long long)want[i].group, report_column_names[k],
                             (long long)got[i].v[k], (long long)want[i].v[k]);
            assert_memory_equal(got[i].hn, want[i].hn, sizeof want[i].hn);
            assert_memory_equal(got[i].hs, want[i].hs, sizeof want[i].hs);
            checked_groups++;
        }
        /* the backlog: every delta before the period's end */
        int64_t backlog = 0, b = (f.until + HOUR_MS - 1) / HOUR_MS;
        for (int i = 0; i < n_kept; i++)
            if (kept[i].metric < 0 && kept[i].k.hour < b && matches(&f, &kept[i].k))
                backlog += kept[i].v[RC_backlog_delta];
        int64_t got_backlog = -1;
        assert_int_equal(ops->backlog(c, &f, &got_backlog), 0);
        assert_int_equal(got_backlog, backlog);
        free(want);
        free(got);
    }
    assert_true(checked_groups > N_QUERY); /* the queries did find facts */
}

static void test_aggregate_equals_facts(void **state)
{
    (void)state;
    /* both sources hold facts: 4,000 distinct ones went through 1,024-row folds */
    int64_t recent = table_rows("report_recent");
    assert_true(recent > 0 && recent < REPORT_RECENT_FOLD_AT);
    assert_true(table_rows("report_rollups") > 0);
    run_queries();
}

static int fold_tx(store_conn_t *c, void *p)
{
    (void)p;
    return store->ops->reports->fold(c);
}

static void test_aggregate_after_fold(void **state)
{
    (void)state;
    assert_int_equal(store->ops->write(store, fold_tx, NULL), 0);
    assert_int_equal(table_rows("report_recent"), 0);
    run_queries();
}

static void test_levels(void **state)
{
    (void)state;
    int64_t h = tz_days_from_civil(2024, 2, 29) * 24 + 13; /* a leap day, 13:00 UTC */
    assert_int_equal(cube_start(CUBE_HOUR, h), h);
    assert_int_equal(cube_start(CUBE_DAY, h), h - 13);
    assert_int_equal(cube_start(CUBE_MONTH, h), tz_days_from_civil(2024, 2, 1) * 24);
    assert_int_equal(cube_next(CUBE_MONTH, tz_days_from_civil(2024, 2, 1) * 24),
                     tz_days_from_civil(2024, 3, 1) * 24);
    assert_int_equal(cube_next(CUBE_MONTH, tz_days_from_civil(2025, 12, 1) * 24),
                     tz_days_from_civil(2026, 1, 1) * 24);
    assert_int_equal(cube_next(CUBE_DAY, h - 13), h + 11);
    assert_int_equal(cube_start(CUBE_DAY, -1), -24); /* before the epoch: floor, not truncation */
}

static void test_merge(void **state)
{
    (void)state;
    sqlite3 *db;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(report_cube_register(db), SQLITE_OK);
    /* (code 1: n 2 sum 3) + (code 1: n 1 sum 1, code 130: n 1 sum 200) */
    sqlite3_stmt *st;
    assert_int_equal(
        sqlite3_prepare_v2(db,
                           "SELECT hex(parley_hist_merge(x'010203', x'010101820101c801')),"
                           " parley_hist_n(x'010203', 0), parley_hist_merge(NULL, NULL),"
                           " hex(parley_hist_merge(NULL, x'010203'))",
                           -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "010304820101C801");
    assert_int_equal(sqlite3_column_int(st, 1), 2);
    assert_int_equal(sqlite3_column_type(st, 2), SQLITE_NULL);
    assert_string_equal((const char *)sqlite3_column_text(st, 3), "010203");
    sqlite3_finalize(st);
    /* a malformed blob is an error, not a guess */
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT parley_hist_merge(x'0102', x'010203')", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ERROR);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

#define OLD_COL_(c) ", " #c " INTEGER NOT NULL DEFAULT 0"

static void exec_ok(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) fail_msg("%s: %s", sql, msg);
}

/* An upgrade from schema 11: the hourly rows of 005's tables are carried
 * into every level and cuboid by migration 012, and the old tables go. */
static void test_migrate_012(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof path, "/tmp/parley-cube-old-%d.db", getpid());
    unlink(path);
    store_t *s;
    parley_err_t err = {0};
    assert_int_equal(store_open_sqlite(path, &s, &err), 0);
    store_close(s);
    /* back to schema 11 with 005's layout and two hours of rows */
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    exec_ok(db,
            "DROP TABLE report_rollups; DROP TABLE report_recent; DROP TABLE report_label_rollups;"
            " DELETE FROM schema_migrations WHERE version >= 12;"
            "CREATE TABLE report_rollups (account_id INTEGER NOT NULL, hour INTEGER NOT NULL,"
            " inbox_id INTEGER NOT NULL, channel TEXT NOT NULL, agent_id INTEGER NOT NULL,"
            " team_id INTEGER NOT NULL, priority INTEGER NOT NULL" REPORT_COLUMNS(
                OLD_COL_) ", PRIMARY KEY (account_id, hour, inbox_id, channel, agent_id, "
                          "team_id, priority))"
                          " WITHOUT ROWID;"
                          "CREATE TABLE report_hist (account_id INTEGER NOT NULL, hour INTEGER "
                          "NOT NULL,"
                          " inbox_id INTEGER NOT NULL, channel TEXT NOT NULL, agent_id INTEGER "
                          "NOT NULL,"
                          " team_id INTEGER NOT NULL, priority INTEGER NOT NULL, metric "
                          "INTEGER NOT NULL,"
                          " bucket INTEGER NOT NULL, n INTEGER NOT NULL DEFAULT 0, sum_ms "
                          "INTEGER NOT NULL"
                          " DEFAULT 0, PRIMARY KEY (account_id, hour, metric, inbox_id, "
                          "channel, agent_id,"
                          " team_id, priority, bucket)) WITHOUT ROWID;"
                          "INSERT INTO report_rollups(account_id, hour, inbox_id, channel, "
                          "agent_id, team_id,"
                          " priority, received, frt_n, frt_ms) VALUES (3, 493000, 1, 'api', 2, "
                          "0, 1, 4, 2,"
                          " 9000), (3, 493001, 1, 'x', 5, 0, 2, 1, 1, 500), (3, 493030, 2, "
                          "'api', 2, 1, 1,"
                          " 2, 0, 0);"
                          "INSERT INTO report_hist VALUES (3, 493000, 1, 'api', 2, 0, 1, 0, 5, "
                          "2, 9000),"
                          " (3, 493001, 1, 'x', 5, 0, 2, 0, 1, 1, 500);");
    sqlite3_close(db);
    assert_int_equal(store_open_sqlite(path, &s, &err), 0);
    const struct store_reports_ops *ops = s->ops->reports;
    store_conn_t *c = s->ops->reader(s);
    report_filter_t f = {
        .account_id = 3, .since = 492000 * HOUR_MS, .until = 494000 * HOUR_MS, .priority = -1};
    report_agg_t *g;
    int n;
    assert_int_equal(ops->aggregate(c, &f, RG_AGENT, &g, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(g[0].group, 2);
    assert_int_equal(g[0].v[RC_received], 6);
    assert_int_equal(g[0].hn[0][5], 2);
    assert_int_equal(g[0].hs[0][5], 9000);
    assert_int_equal(g[1].v[RC_frt_ms], 500);
    free(g);
    f.channel = "x";
    assert_int_equal(ops->aggregate(c, &f, RG_NONE, &g, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(g[0].v[RC_received], 1);
    assert_int_equal(g[0].hn[0][1], 1);
    free(g);
    store_close(s);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT (SELECT count(*) FROM sqlite_master WHERE name"
                                        " LIKE 'report_%_005'), (SELECT count(*) FROM"
                                        " report_rollups WHERE cuboid = 31 AND level = 0)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 0);
    assert_int_equal(sqlite3_column_int(st, 1), 3);
    sqlite3_finalize(st);
    sqlite3_close(db);
    db_files_remove(path);
}

/* ---- conv_list: pages resume from the last row -------------------------- */

#define N_CONV 1200

static int put_convs(store_conn_t *c, void *p)
{
    (void)p;
    for (int i = 1; i <= N_CONV; i++) {
        rconv_t r = {.conversation_id = 100000 + i,
                     .account_id = ACCOUNT,
                     .inbox_id = 1 + i % 3,
                     .priority = i % 4,
                     /* ties, and ids out of creation order */
                     .created_at = 1800000000000 + (int64_t)(i % 7) * 1000,
                     .frt_ms = -1,
                     .res_ms = -1};
        snprintf(r.channel, sizeof r.channel, "%s", "api");
        snprintf(r.status, sizeof r.status, "%s", "open");
        int rc = store->ops->reports->conv_put(c, NULL, &r);
        if (rc) return rc;
    }
    return 0;
}

/* Pages of 100 over f: every row once, in the promised order; the count agrees. */
static int list_all(const report_filter_t *f, bool by_id, int64_t *ids)
{
    const struct store_reports_ops *ops = store->ops->reports;
    store_conn_t *c = store->ops->reader(store);
    rconv_cursor_t after = {0};
    int total = 0;
    int64_t prev_at = INT64_MIN, prev_id = 0;
    for (bool first = true;; first = false) {
        arena_t a;
        arena_init(&a, 0);
        rconv_t *rows;
        int k;
        assert_int_equal(ops->conv_list(c, f, first ? NULL : &after, 100, &a, &rows, &k), 0);
        for (int i = 0; i < k; i++) {
            const rconv_t *r = &rows[i];
            bool ordered = by_id ? r->conversation_id > prev_id
                                 : r->created_at > prev_at ||
                                       (r->created_at == prev_at && r->conversation_id > prev_id);
            assert_true(ordered);
            prev_at = r->created_at;
            prev_id = r->conversation_id;
            assert_true(total < N_CONV);
            ids[total++] = r->conversation_id;
        }
        if (k) after = (rconv_cursor_t){rows[k - 1].created_at, rows[k - 1].conversation_id};
        arena_free(&a);
        if (k < 100) break;
    }
    int64_t counted = -1;
    assert_int_equal(ops->conv_count(c, f, &counted), 0);
    assert_int_equal(counted, total);
    return total;
}

static void test_conv_list_pages(void **state)
{
    (void)state;
    assert_int_equal(store->ops->write(store, put_convs, NULL), 0);
    /* a label on every third conversation (written beside the store) */
    sqlite3 *db;
    assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char sql[256];
    snprintf(sql, sizeof sql,
             "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < %d)"
             " INSERT INTO conversation_labels(conversation_id, label_id, account_id)"
             " SELECT 100000 + i, 77, %d FROM s WHERE i %% 3 = 0",
             N_CONV, ACCOUNT);
    exec_ok(db, sql);
    sqlite3_close(db);
    static int64_t ids[N_CONV];
    report_filter_t f = {.account_id = ACCOUNT,
                         .since = 1800000000000,
                         .until = 1800000000000 + 7000,
                         .priority = -1};
    assert_int_equal(list_all(&f, false, ids), N_CONV);
    /* each id once */
    static bool seen[N_CONV + 1];
    for (int i = 0; i < N_CONV; i++) {
        int64_t k = ids[i] - 100000;
        assert_true(k >= 1 && k <= N_CONV && !seen[k]);
        seen[k] = true;
    }
    /* a narrower period and a dimension */
    f.since += 2000; /* created_at offsets 2..6 s: i % 7 in 2..6 */
    f.inbox_id = 2;  /* i % 3 == 1 */
    int n = list_all(&f, false, ids), want = 0;
    for (int i = 1; i <= N_CONV; i++) want += i % 7 >= 2 && i % 3 == 1;
    assert_int_equal(n, want);
    /* the label: through its index, by id */
    f.inbox_id = 0;
    f.label_id = 77;
    n = list_all(&f, true, ids);
    want = 0;
    for (int i = 1; i <= N_CONV; i++) want += i % 7 >= 2 && i % 3 == 0;
    assert_int_equal(n, want);
    for (int i = 0; i < n; i++) assert_int_equal((ids[i] - 100000) % 3, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_migrate_012),
        cmocka_unit_test(test_aggregate_equals_facts),
        cmocka_unit_test(test_aggregate_after_fold),
        cmocka_unit_test(test_conv_list_pages),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
