/*
 * test_report_labels.c - a label's report rows (report_label_rollups,
 * store/report_cube.h) stay equal to the sum over the conversations that
 * carry the label, whatever happens to either side.
 *
 * 240 conversations over ~3 months and 4 labels go through 60 write jobs
 * of random steps through the store's own calls: a conversation's report
 * row rewritten (new assignee, team, priority, status, counts, durations:
 * conv_put with the row it replaces), a label attached or removed
 * (conv_label_add / conv_label_remove, sometimes twice), one job in six
 * failing after its steps (nothing of it may count), and a label deleted in
 * the job that last attached it (and before that in a job that fails). A model in memory follows
 * the committed steps. Then 300 random label queries (period, filters, every grouping) answered by
 * `aggregate` are compared, counter by counter and bucket by bucket, with the contributions of the
 * model's labelled conversations created in the period; and label_verify finds no difference.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "db_files.h"

#include "core/tzfile.h"
#include "store/rconv_cache.h"
#include "store/report_cube.h"
#include "store/store.h"
#include "store/store_catalog.h"
#include "store/store_desk.h"
#include "store/store_reports.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HOUR_MS      3600000LL
#define ACCOUNT      9
#define N_CONV       240
#define CONV0        300000 /* conversation ids CONV0 + 1 .. */
#define N_LABEL      4
#define LABEL0       900 /* label ids LABEL0 + 1 .. */
#define DEAD         (LABEL0 + 4)
#define N_JOBS       60
#define N_QUERY      300
#define JOB_FAIL     6  /* every sixth job fails */
#define DELETE_FAILS 53 /* a failing job deletes the fourth label */
#define DELETE_OK    58

static const char *const channels[] = {"api", "whatsapp", "x"};
static uint64_t seed = 0x9E3779B97F4A7C15ULL;
static store_t *store;
static char dbpath[64];
static int64_t first_hour, last_hour;

/* the committed state */
static rconv_t convs[N_CONV + 1];
static bool exists[N_CONV + 1];
static bool has[N_CONV + 1][N_LABEL + 1];
static bool label_gone[N_LABEL + 1];

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

static void exec_ok(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) fail_msg("%s: %s", sql, msg);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dbpath, sizeof dbpath, "/tmp/parley-labels-%d.db", getpid());
    unlink(dbpath);
    parley_err_t err = {0};
    assert_int_equal(store_open_sqlite(dbpath, &store, &err), 0);
    first_hour = tz_days_from_civil(2026, 2, 20) * 24 + 3;
    last_hour = tz_days_from_civil(2026, 5, 9) * 24 + 21;
    /* the parents conversation_labels refers to, written beside the store */
    sqlite3 *db;
    assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char sql[512];
    snprintf(sql, sizeof sql,
             "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < %d)"
             " INSERT INTO conversations(id, account_id, inbox_id, contact_id, visibility,"
             " opened_at, last_message_at, created_at, updated_at)"
             " SELECT %d + i, %d, 1, 1, 'private', 0, 0, 0, 0 FROM s;"
             "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < %d)"
             " INSERT INTO labels(id, account_id, name, created_at)"
             " SELECT %d + i, %d, 'l' || i, 0 FROM s",
             N_CONV, CONV0, ACCOUNT, N_LABEL, LABEL0, ACCOUNT);
    exec_ok(db, sql);
    sqlite3_close(db);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    store_close(store);
    db_files_remove(dbpath);
    return 0;
}

/* A conversation's report row with random dimensions and facts (creation
 * hour and identity kept when it exists). */
static void random_row(int i, rconv_t *r)
{
    if (!exists[i]) {
        memset(r, 0, sizeof *r);
        r->conversation_id = CONV0 + i;
        r->account_id = ACCOUNT;
        r->c_hour = first_hour + pick(last_hour - first_hour);
        r->created_at = r->c_hour * HOUR_MS + pick(HOUR_MS);
    }
    r->inbox_id = 1 + pick(3);
    snprintf(r->channel, sizeof r->channel, "%s", channels[pick(3)]);
    r->assignee_id = pick(5);
    r->team_id = pick(3);
    r->priority = (int)pick(4);
    snprintf(r->status, sizeof r->status, "%s", pick(2) ? "resolved" : "open");
    r->reopens = pick(3);
    r->msgs_in = pick(20);
    r->replies_out = pick(10);
    r->responded = pick(2);
    r->resolutions = pick(3);
    r->frt_ms = pick(3) ? pick(20000000) : -1;
    r->frt_bh_ms = r->frt_ms >= 0 ? r->frt_ms / 2 : -1;
    r->rt_n = pick(4);
    r->rt_ms = r->rt_n ? pick(90000000) : 0;
    r->rt_bh_ms = r->rt_ms / 3;
    r->res_ms = pick(2) ? pick(400000000) : -1;
    r->res_bh_ms = r->res_ms >= 0 ? r->res_ms / 4 : -1;
    if (pick(4) == 0) r->msgs_in = r->msgs_in + 1000; /* something no contribution ignores */
}

/* One field of an existing row changed (a reassignment, a new priority, one
 * more message, ...): each must move the contribution. */
static void tweak_row(rconv_t *r)
{
    switch (pick(12)) {
    case 0: r->assignee_id = (r->assignee_id + 1) % 5; break;
    case 1: r->team_id = (r->team_id + 1) % 3; break;
    case 2: r->priority = (r->priority + 1) % 4; break;
    case 3: r->inbox_id = r->inbox_id % 3 + 1; break;
    case 4:
        snprintf(r->channel, sizeof r->channel, "%s", strcmp(r->channel, "x") ? "x" : "api");
        break;
    case 5:
        snprintf(r->status, sizeof r->status, "%s",
                 strcmp(r->status, "open") ? "open" : "resolved");
        break;
    case 6: r->msgs_in++; break;
    case 7: r->replies_out++; break;
    case 8: r->reopens++; break;
    case 9:
        r->frt_ms = r->frt_ms >= 0 ? -1 : 5000;
        r->frt_bh_ms = r->frt_ms;
        break;
    case 10:
        r->rt_n++;
        r->rt_ms += 60000;
        break;
    default:
        r->res_ms = r->res_ms >= 0 ? r->res_ms + 1 : 7000;
        r->res_bh_ms = 0;
        break;
    }
}

typedef struct {
    int job;
    /* the job's view, committed only when it succeeds */
    rconv_t convs[N_CONV + 1];
    bool exists[N_CONV + 1];
    bool has[N_CONV + 1][N_LABEL + 1];
    bool label_gone[N_LABEL + 1];
} job_t;

static int run_job(store_conn_t *c, void *p)
{
    job_t *j = p;
    const struct store_reports_ops *r = store->ops->reports;
    const struct store_desk_ops *d = store->ops->desk;
    int steps = 1 + (int)pick(30);
    for (int s = 0; s < steps; s++) {
        int i = 1 + (int)pick(N_CONV), l = 1 + (int)pick(N_LABEL - 1); /* DEAD: apart */
        int rc = 0;
        switch (pick(4)) {
        case 0:
        case 1: {
            rconv_t next = j->convs[i];
            if (j->exists[i] && pick(2))
                tweak_row(&next);
            else
                random_row(i, &next);
            if (!j->exists[i]) next.conversation_id = CONV0 + i;
            rc = r->conv_put(c, j->exists[i] ? &j->convs[i] : NULL, &next);
            j->convs[i] = next;
            j->exists[i] = true;
            break;
        }
        case 2:
            rc = d->conv_label_add(c, ACCOUNT, CONV0 + i, LABEL0 + l);
            if (!rc && pick(3) == 0) rc = d->conv_label_add(c, ACCOUNT, CONV0 + i, LABEL0 + l);
            j->has[i][l] = true;
            break;
        default:
            rc = d->conv_label_remove(c, CONV0 + i, LABEL0 + l);
            if (!rc && pick(3) == 0) rc = d->conv_label_remove(c, CONV0 + i, LABEL0 + l);
            j->has[i][l] = false;
            break;
        }
        if (rc) return rc;
    }
    /* the fourth label: attached in the early jobs, deleted (after attaching
     * once more, in the same job) by a job that fails, then by the last one */
    if (j->job < DELETE_FAILS && j->job % 3 == 0) {
        int i = 1 + (int)pick(N_CONV);
        if (d->conv_label_add(c, ACCOUNT, CONV0 + i, DEAD)) return PARLEY_EIO;
        j->has[i][N_LABEL] = true;
    }
    if (j->job == DELETE_FAILS || j->job == DELETE_OK) {
        /* a fact of the label buffered when it goes: written back at the flush */
        rconv_t next = j->convs[1];
        random_row(1, &next);
        int64_t n;
        if (r->conv_put(c, j->exists[1] ? &j->convs[1] : NULL, &next)) return PARLEY_EIO;
        j->convs[1] = next;
        j->exists[1] = true;
        if (d->conv_label_add(c, ACCOUNT, CONV0 + 1, DEAD) ||
            store->ops->catalog->label_delete(c, ACCOUNT, DEAD, &n))
            return PARLEY_EIO;
        for (int i = 0; i <= N_CONV; i++) j->has[i][N_LABEL] = false;
        j->label_gone[N_LABEL] = true;
    }
    return j->job % JOB_FAIL == JOB_FAIL - 1 ? PARLEY_EINVAL : 0;
}

static void run_jobs(void)
{
    static job_t j;
    for (int k = 0; k < N_JOBS; k++) {
        j.job = k;
        memcpy(j.convs, convs, sizeof convs);
        memcpy(j.exists, exists, sizeof exists);
        memcpy(j.has, has, sizeof has);
        memcpy(j.label_gone, label_gone, sizeof label_gone);
        int rc = store->ops->write(store, run_job, &j);
        if (k % JOB_FAIL == JOB_FAIL - 1) {
            assert_int_equal(rc, PARLEY_EINVAL);
            continue;
        }
        assert_int_equal(rc, 0);
        memcpy(convs, j.convs, sizeof convs);
        memcpy(exists, j.exists, sizeof exists);
        memcpy(has, j.has, sizeof has);
        memcpy(label_gone, j.label_gone, sizeof label_gone);
    }
}

/* ---- the expectation: each labelled conversation's contribution ------------- */

static void sample(report_agg_t *g, int metric, int64_t ms)
{
    int b = report_bucket(ms);
    g->hn[metric][b]++;
    g->hs[metric][b] += ms;
}

static bool matches(const report_filter_t *f, const rconv_t *r)
{
    int64_t a = f->since >= 0 ? f->since / HOUR_MS : 0, b = (f->until + HOUR_MS - 1) / HOUR_MS;
    return r->c_hour >= a && r->c_hour < b && (!f->inbox_id || r->inbox_id == f->inbox_id) &&
           (!f->channel || !strcmp(r->channel, f->channel)) &&
           (!f->agent_id || r->assignee_id == f->agent_id) &&
           (!f->team_id || r->team_id == f->team_id) &&
           (f->priority < 0 || r->priority == f->priority);
}

static int64_t group_of(const rconv_t *r, report_group_t g)
{
    switch (g) {
    case RG_HOUR: return r->c_hour;
    case RG_DAY: return r->c_hour / 24;
    case RG_WEEK: return (r->c_hour / 24 + 3) / 7;
    case RG_AGENT: return r->assignee_id;
    case RG_INBOX: return r->inbox_id;
    case RG_TEAM: return r->team_id;
    default: return 0;
    }
}

static int cmp_group(const void *a, const void *b)
{
    const report_agg_t *x = a, *y = b;
    return x->group < y->group ? -1 : x->group > y->group;
}

static report_agg_t *expect(const report_filter_t *f, int label, report_group_t g, int *n)
{
    report_agg_t *out = calloc(N_CONV + 1, sizeof *out);
    *n = 0;
    for (int i = 1; i <= N_CONV; i++) {
        const rconv_t *r = &convs[i];
        if (!exists[i] || !has[i][label] || !matches(f, r)) continue;
        int64_t key = group_of(r, g);
        int k = 0;
        while (k < *n && out[k].group != key) k++;
        if (k == *n) out[(*n)++].group = key;
        report_agg_t *x = &out[k];
        x->v[RC_received]++;
        x->v[RC_reopened] += r->reopens;
        x->v[RC_msgs_in] += r->msgs_in;
        x->v[RC_replies_out] += r->replies_out;
        x->v[RC_responded] += r->responded;
        x->v[RC_resolved] += r->resolutions ? 1 : 0;
        x->v[RC_backlog_delta] += strcmp(r->status, "resolved") ? 1 : 0;
        if (r->frt_ms >= 0) {
            x->v[RC_frt_n]++;
            x->v[RC_frt_ms] += r->frt_ms;
            x->v[RC_frt_bh_ms] += r->frt_bh_ms;
            sample(x, HM_FRT, r->frt_ms);
            sample(x, HM_FRT_BH, r->frt_bh_ms);
        }
        x->v[RC_rt_n] += r->rt_n;
        x->v[RC_rt_ms] += r->rt_ms;
        x->v[RC_rt_bh_ms] += r->rt_bh_ms;
        if (r->rt_n) {
            sample(x, HM_RT, r->rt_ms / r->rt_n);
            sample(x, HM_RT_BH, r->rt_bh_ms / r->rt_n);
        }
        if (r->res_ms >= 0) {
            x->v[RC_res_n]++;
            x->v[RC_res_ms] += r->res_ms;
            x->v[RC_res_bh_ms] += r->res_bh_ms;
            sample(x, HM_RES, r->res_ms);
            sample(x, HM_RES_BH, r->res_bh_ms);
        }
    }
    qsort(out, (size_t)*n, sizeof *out, cmp_group);
    return out;
}

static void random_period(report_filter_t *f)
{
    int64_t span = last_hour - first_hour + 48;
    int64_t a = first_hour - 24 + pick(span), len = 1 + pick(pick(2) ? 24 * 20 : span);
    if (pick(3) == 0) a = a / 24 * 24;
    if (pick(5) == 0) {
        a = first_hour - 40 * 24; /* the whole range, months whole */
        len = span + 80 * 24;
    }
    f->since = a * HOUR_MS + (pick(3) == 0 ? pick(HOUR_MS) : 0);
    f->until = (a + len) * HOUR_MS;
}

static void diff_count(void *ctx, const char *table, const char *row, const char *col,
                       const char *va, const char *vb)
{
    (void)ctx;
    print_message("DIFF %s [%s] %s: %s vs %s\n", table, row, col, va, vb);
}

typedef struct {
    int64_t ndiff;
} verify_t;

static int verify_tx(store_conn_t *c, void *p)
{
    verify_t *v = p;
    return store->ops->reports->label_verify(c, diff_count, NULL, &v->ndiff);
}

static void test_labels_follow_every_change(void **state)
{
    (void)state;
    run_jobs();
    const struct store_reports_ops *ops = store->ops->reports;
    store_conn_t *c = store->ops->reader(store);
    static const report_group_t groups[] = {RG_NONE, RG_HOUR, RG_AGENT, RG_INBOX,
                                            RG_TEAM, RG_DAY,  RG_WEEK};
    int checked = 0;
    for (int q = 0; q < N_QUERY; q++) {
        int label = 1 + (int)pick(N_LABEL);
        report_filter_t f = {.account_id = ACCOUNT, .priority = -1, .label_id = LABEL0 + label};
        random_period(&f);
        if (pick(4) == 0) f.inbox_id = 1 + pick(3);
        if (pick(4) == 0) f.channel = channels[pick(3)];
        if (pick(4) == 0) f.agent_id = pick(5);
        if (pick(5) == 0) f.team_id = 1 + pick(2);
        if (pick(4) == 0) f.priority = (int)pick(4);
        report_group_t g = groups[pick(7)];
        if (g == RG_HOUR && f.until - f.since > 40 * 24 * HOUR_MS) g = RG_DAY;
        int n_want, n_got;
        report_agg_t *want = expect(&f, label, g, &n_want), *got = NULL;
        assert_int_equal(ops->aggregate(c, &f, g, &got, &n_got), 0);
        if (n_got != n_want) fail_msg("query %d: %d groups, expected %d", q, n_got, n_want);
        for (int i = 0; i < n_want; i++) {
            assert_int_equal(got[i].group, want[i].group);
            for (int k = 0; k < RC_COUNT; k++)
                if (got[i].v[k] != want[i].v[k])
                    fail_msg("query %d (label %d, group %d) group %lld: %s %lld, expected %lld", q,
                             label, g, (long long)want[i].group, report_column_names[k],
                             (long long)got[i].v[k], (long long)want[i].v[k]);
            assert_memory_equal(got[i].hn, want[i].hn, sizeof want[i].hn);
            assert_memory_equal(got[i].hs, want[i].hs, sizeof want[i].hs);
            checked++;
        }
        free(want);
        free(got);
    }
    assert_true(checked > N_QUERY / 2); /* the queries did find conversations */
    /* the deleted label left no row; the recomputation agrees row for row */
    assert_true(label_gone[N_LABEL]);
    verify_t v = {0};
    assert_int_equal(store->ops->write(store, verify_tx, &v), 0);
    assert_int_equal(v.ndiff, 0);
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT count(*) FILTER (WHERE label_id = ?1),"
                                        " count(*) FILTER (WHERE received = 0), count(*)"
                                        " FROM report_label_rollups",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_int(st, 1, DEAD);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 0);
    assert_int_equal(sqlite3_column_int(st, 1), 0);
    assert_true(sqlite3_column_int(st, 2) > 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* A row tampered with is found by label_verify. */
static void test_verify_finds_tampering(void **state)
{
    (void)state;
    sqlite3 *db;
    assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    /* a total row (every dimension folded): its key is (account, label, cuboid, level, start) */
    exec_ok(db, "UPDATE report_label_rollups SET msgs_in = msgs_in + 1 WHERE (account_id,"
                " label_id, cuboid, level, start) = (SELECT account_id, label_id, cuboid, level,"
                " start FROM report_label_rollups WHERE cuboid = 0 AND level = 2 LIMIT 1)");
    sqlite3_close(db);
    verify_t v = {0};
    assert_int_equal(store->ops->write(store, verify_tx, &v), 0);
    assert_int_equal(v.ndiff, 1);
}

/* The batch's row cache: a rewind restores replaced rows and drops added
 * ones, whatever the interleaving; the index follows (1,000 ids, growth). */
static void test_rconv_cache_rewind(void **state)
{
    (void)state;
    rconv_cache_t *k = rconv_cache_new();
    static int64_t want[1001]; /* msgs_in per id, 0 = absent */
    for (int round = 0; round < 20; round++) {
        size_t mark = rconv_cache_mark(k);
        static int64_t saved[1001];
        memcpy(saved, want, sizeof want);
        for (int i = 0; i < 300; i++) {
            rconv_t r = {.conversation_id = 1 + pick(1000), .msgs_in = 1 + pick(1000000)};
            rconv_cache_put(k, &r);
            want[r.conversation_id] = r.msgs_in;
        }
        if (round % 3 == 1) { /* the job failed */
            rconv_cache_rewind(k, mark);
            memcpy(want, saved, sizeof want);
        }
        size_t n = 0;
        for (int id = 1; id <= 1000; id++) {
            const rconv_t *r = rconv_cache_get(k, id);
            if (!want[id]) {
                assert_null(r);
                continue;
            }
            assert_non_null(r);
            assert_int_equal(r->msgs_in, want[id]);
            n++;
        }
        assert_int_equal(rconv_cache_len(k), n);
    }
    rconv_cache_clear(k);
    assert_int_equal(rconv_cache_len(k), 0);
    assert_null(rconv_cache_get(k, 1));
    rconv_cache_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labels_follow_every_change),
        cmocka_unit_test(test_verify_finds_tampering),
        cmocka_unit_test(test_rconv_cache_rewind),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
