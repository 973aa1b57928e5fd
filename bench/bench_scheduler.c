/*
 * bench_scheduler.c - the SLA scheduler with 1,000,000 pending deadlines (issue 6).
 *
 * usage: bench_scheduler DB [DEADLINES] [PROBES]
 *   DB is created afresh (with -wal/-shm); DEADLINES defaults to 1000000,
 *   PROBES to 1000.
 *
 * The real path end to end: DEADLINES running SLA clocks (first response,
 * warning due between 1 hour and 30 days ahead, spread over 10,000 open
 * conversations) are bulk-written to sla_clocks; the scheduler then starts as
 * `parley serve` starts it (scheduler_start loads every clock with a next_at
 * into its min-heap through the sla_clocks_next index). Measured: the load
 * time and the resident memory it adds (RSS before and after, per deadline).
 *
 * Then PROBES more clocks are created through the store (clock_create, one
 * transaction) with their warning due 300 ms + i x 3 ms ahead, and pushed as
 * desk/sla.c pushes a changed clock (scheduler_sla_push). Each fires as
 * `sla.warning` in the scheduler's own write transaction. The delay of one
 * probe is the time from its due instant to the commit of its event, taken
 * in the store's commit hook (the moment the live stream and webhooks see
 * it), with microsecond resolution; printed as p50 / p99 / max.
 */
#include "core/config.h"
#include "core/crypto.h"
#include "core/log.h"
#include "desk/app.h"
#include "desk/inboxes.h"
#include "desk/scheduler.h"
#include "desk/sla.h"
#include "desk/users.h"
#include "store/store.h"
#include "store/store_sla.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define N_CONVERSATIONS 10000
#define HOUR_MS         3600000LL
#define DAY_MS          (24 * HOUR_MS)

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "bench_scheduler: %s: %s\n", what, detail ? detail : "");
    exit(1);
}

static int64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Anonymous resident memory (RssAnon): the heap the scheduler adds. The
 * store maps the database file (mmap_size), so plain RSS would also count the
 * index pages read while loading the deadlines, which the page cache holds
 * anyway. */
static int64_t rss_bytes(void)
{
    char line[256];
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) die("cannot read", "/proc/self/status");
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "RssAnon: %ld kB", &kb) == 1) break;
    fclose(f);
    if (kb < 0) die("no RssAnon in", "/proc/self/status");
    return (int64_t)kb * 1024;
}

static uint64_t rng = 0x2545F4914F6CDD1DULL;
static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ULL;
}

static void exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) die(msg, sql);
}

/* ---- the bulk load: conversations and far deadlines ------------------------ */

static void bulk_load(const char *path, int64_t account, int64_t inbox, int64_t n, int64_t now)
{
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK) die("open", path);
    exec(db, "PRAGMA synchronous=OFF; PRAGMA foreign_keys=OFF; BEGIN");
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO contacts(id, account_id, name, created_at, updated_at)"
             " VALUES (1, %lld, 'Bench Customer', %lld, %lld)",
             (long long)account, (long long)now, (long long)now);
    exec(db, sql);
    sqlite3_stmt *conv, *clk;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO conversations(id, account_id, inbox_id, contact_id,"
                           " status, priority, visibility, opened_at, waiting_since,"
                           " last_message_at, sort_wait, created_at, updated_at) VALUES (?1, ?2,"
                           " ?3, 1, 'open', 1, 'private', ?4, ?4, ?4, ?4, ?4, ?4)",
                           -1, &conv, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO sla_clocks(account_id, conversation_id, policy_id, kind,"
                           " status, state, business, target_ms, published_ms, warning_ms,"
                           " started_at, running_since, due_at, warning_at, published_due_at,"
                           " next_at) VALUES (?1, ?2, 1, 'first_response', 'running', 'ok', 0,"
                           " ?3, ?3, ?4, ?5, ?5, ?6, ?7, ?6, ?7)",
                           -1, &clk, NULL) != SQLITE_OK)
        die("prepare", sqlite3_errmsg(db));
    for (int64_t i = 1; i <= N_CONVERSATIONS; i++) {
        sqlite3_bind_int64(conv, 1, i);
        sqlite3_bind_int64(conv, 2, account);
        sqlite3_bind_int64(conv, 3, inbox);
        sqlite3_bind_int64(conv, 4, now);
        if (sqlite3_step(conv) != SQLITE_DONE) die("insert", sqlite3_errmsg(db));
        sqlite3_reset(conv);
    }
    for (int64_t i = 0; i < n; i++) {
        int64_t warn = now + HOUR_MS + (int64_t)(rnd() % (uint64_t)(30 * DAY_MS));
        int64_t target = 4 * HOUR_MS;
        sqlite3_bind_int64(clk, 1, account);
        sqlite3_bind_int64(clk, 2, 1 + i % N_CONVERSATIONS);
        sqlite3_bind_int64(clk, 3, target);
        sqlite3_bind_int64(clk, 4, target * 8 / 10);
        sqlite3_bind_int64(clk, 5, warn - target * 8 / 10);
        sqlite3_bind_int64(clk, 6, warn + target * 2 / 10);
        sqlite3_bind_int64(clk, 7, warn);
        if (sqlite3_step(clk) != SQLITE_DONE) die("insert", sqlite3_errmsg(db));
        sqlite3_reset(clk);
    }
    sqlite3_finalize(conv);
    sqlite3_finalize(clk);
    exec(db, "COMMIT");
    sqlite3_close(db);
}

/* ---- the probes ----------------------------------------------------------------- */

typedef struct {
    int64_t t_us, max_event;
} commit_t;

static struct {
    pthread_mutex_t lock;
    sqlite3 *db; /* its own read connection */
    sqlite3_stmt *max_id;
    commit_t *rows;
    int n, cap;
} hook = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* After each commit that appended events: when, and up to which event id. */
static void on_commit(void *arg)
{
    (void)arg;
    int64_t t = wall_us();
    pthread_mutex_lock(&hook.lock);
    if (hook.n < hook.cap && sqlite3_step(hook.max_id) == SQLITE_ROW)
        hook.rows[hook.n++] = (commit_t){t, sqlite3_column_int64(hook.max_id, 0)};
    sqlite3_reset(hook.max_id);
    pthread_mutex_unlock(&hook.lock);
}

typedef struct {
    const store_sla_ops_t *ops;
    int64_t account, n, first_due, step_ms, *ids, *due;
} probes_t;

/* In one write transaction: every probe clock through the store's clock_create. */
static int create_probes(store_conn_t *c, void *p)
{
    probes_t *x = p;
    for (int64_t i = 0; i < x->n; i++) {
        int64_t due = x->first_due + i * x->step_ms, target = HOUR_MS;
        sla_clock_row_t k = {.account_id = x->account,
                             .conversation_id = 1 + i % N_CONVERSATIONS,
                             .policy_id = 1,
                             .kind = "first_response",
                             .status = "running",
                             .state = "ok",
                             .target_ms = target,
                             .published_ms = target,
                             .warning_ms = target * 8 / 10,
                             .started_at = due - target * 8 / 10,
                             .running_since = due - target * 8 / 10,
                             .due_at = due + target * 2 / 10,
                             .warning_at = due,
                             .published_due_at = due + target * 2 / 10,
                             .next_at = due};
        x->due[i] = due;
        int rc = x->ops->clock_create(c, &k, &x->ids[i]);
        if (rc) return rc;
    }
    return 0;
}

static void count_one(void *arg, int64_t next_at, int64_t id)
{
    (void)next_at;
    (void)id;
    ++*(int64_t *)arg;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int64_t pct(const int64_t *sorted, int64_t n, double p)
{
    int64_t i = (int64_t)(p * (double)n + 0.999999) - 1;
    return sorted[i < 0 ? 0 : i >= n ? n - 1 : i];
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: bench_scheduler DB [DEADLINES] [PROBES]\n");
        return 2;
    }
    const char *path = argv[1];
    int64_t n = argc > 2 ? atoll(argv[2]) : 1000000;
    int64_t n_probes = argc > 3 ? atoll(argv[3]) : 1000;
    if (n < 0 || n_probes < 1 || n_probes > 100000) die("sizes", "0 <= DEADLINES, 1 <= PROBES");
    char side[4200];
    const char *suffixes[] = {"-wal", "-shm", ".key"};
    unlink(path);
    for (int i = 0; i < 3; i++) {
        snprintf(side, sizeof side, "%s%s", path, suffixes[i]);
        unlink(side);
    }
    if (crypto_init()) die("crypto_init", NULL);
    crypto_password_light(true);
    log_set_level(LOG_WARN);
    config_t cfg;
    config_defaults(&cfg);
    free(cfg.db);
    cfg.db = strdup(path); /* secret.key goes beside it */
    app_t app = {.cfg = &cfg};
    parley_err_t err = {0};

    /* schema, account and inbox from the desk's own functions */
    if (store_open_sqlite(path, &app.store, &err)) die("store_open_sqlite", err.msg);
    if (app_load_key(&app, &err)) die("key", err.msg);
    char gen[40];
    int64_t account, inbox;
    if (account_bootstrap(&app, "Bench", "admin@bench.test", "bench-password-1", gen, &account,
                          &err))
        die("account_bootstrap", err.msg);
    actor_t by = {.account_id = account, .kind = "cli"};
    json_t *ib =
        json_pack("{s:s, s:s, s:{s:s}, s:s}", "name", "Bench API", "channel", "api", "settings",
                  "hmac_secret", "bench-hmac-secret-0123456789abcdef", "policy", "manual");
    if (inbox_create(&app, &by, ib, &inbox, &err)) die("inbox_create", err.msg);
    json_decref(ib);
    store_close(app.store);

    double t0 = mono_s();
    bulk_load(path, account, inbox, n, app_now(&app));
    double t_bulk = mono_s() - t0;

    if (store_open_sqlite(path, &app.store, &err)) die("store_open_sqlite", err.msg);
    /* this thread's reader connection exists before the baseline */
    int version;
    app.store->ops->schema_version(app.store, &version);
    int64_t rss0 = rss_bytes();
    t0 = mono_s();
    app.scheduler = scheduler_start(&app);
    double t_load = mono_s() - t0;
    int64_t rss1 = rss_bytes();
    if (!app.scheduler) die("scheduler_start", NULL);
    int64_t listed = 0; /* the same walk again, counted: every deadline was loaded */
    if (sla_load_scheduled(&app, count_one, &listed) || listed != n) die("load", "count differs");
    printf("scheduler: %lld pending SLA deadlines (bulk-written in %.1f s) loaded by "
           "scheduler_start in %.3f s (%.0f deadlines/s)\n",
           (long long)n, t_bulk, t_load, t_load > 0 ? (double)n / t_load : 0.0);
    printf("memory: anonymous RSS %.1f MB -> %.1f MB: +%.1f MB, %.1f bytes per deadline "
           "(heap entry 16 bytes, array grown by doubling)\n",
           (double)rss0 / 1048576.0, (double)rss1 / 1048576.0, (double)(rss1 - rss0) / 1048576.0,
           n ? (double)(rss1 - rss0) / (double)n : 0.0);
    fflush(stdout);

    /* probes: created through the store, pushed as sla.c pushes a changed clock */
    if (sqlite3_open_v2(path, &hook.db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(hook.db, "SELECT max(id) FROM events", -1, &hook.max_id, NULL) !=
            SQLITE_OK)
        die("hook connection", sqlite3_errmsg(hook.db));
    hook.cap = (int)(n_probes * 4 + 64);
    hook.rows = calloc((size_t)hook.cap, sizeof *hook.rows);
    if (!hook.rows || store_add_commit_hook(app.store, on_commit, &hook)) die("commit hook", NULL);
    probes_t px = {.ops = app.store->ops->sla, .account = account, .n = n_probes, .step_ms = 3};
    px.ids = calloc((size_t)n_probes, sizeof *px.ids);
    px.due = calloc((size_t)n_probes, sizeof *px.due);
    if (!px.ids || !px.due) die("memory", NULL);
    int64_t first_event = 0;
    {
        sqlite3_stmt *st = hook.max_id;
        if (sqlite3_step(st) == SQLITE_ROW) first_event = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
    }
    px.first_due = app_now(&app) + 300;
    if (app.store->ops->write(app.store, create_probes, &px)) die("create probes", NULL);
    for (int64_t i = 0; i < n_probes; i++) scheduler_sla_push(app.scheduler, px.due[i], px.ids[i]);

    /* wait for every probe's event (or 10 s past the last due time) */
    sqlite3_stmt *fired;
    if (sqlite3_prepare_v2(hook.db,
                           "SELECT id, at, json_extract(payload, '$.clock_id') FROM events"
                           " WHERE id > ?1 AND type = 'sla.warning' ORDER BY id",
                           -1, &fired, NULL) != SQLITE_OK)
        die("prepare", sqlite3_errmsg(hook.db));
    int64_t last_due = px.first_due + (n_probes - 1) * px.step_ms, seen = 0;
    while (app_now(&app) < last_due + 10000) {
        usleep(50000);
        sqlite3_bind_int64(fired, 1, first_event);
        seen = 0;
        while (sqlite3_step(fired) == SQLITE_ROW) seen++;
        sqlite3_reset(fired);
        if (seen >= n_probes) break;
    }
    scheduler_stop(app.scheduler);
    store_remove_commit_hook(app.store, &hook);

    /* delay of each probe: due instant -> commit of its event */
    int64_t *delay_us = calloc((size_t)n_probes, sizeof *delay_us),
            *at_ms = calloc((size_t)n_probes, sizeof *at_ms);
    int64_t m = 0;
    sqlite3_bind_int64(fired, 1, first_event);
    while (sqlite3_step(fired) == SQLITE_ROW && m < n_probes) {
        int64_t ev = sqlite3_column_int64(fired, 0), at = sqlite3_column_int64(fired, 1);
        int64_t clock_id = sqlite3_column_int64(fired, 2), due = 0;
        for (int64_t lo = 0, hi = n_probes - 1; lo <= hi;) { /* ids ascend with i */
            int64_t mid = (lo + hi) / 2;
            if (px.ids[mid] == clock_id) {
                due = px.due[mid];
                break;
            }
            if (px.ids[mid] < clock_id)
                lo = mid + 1;
            else
                hi = mid - 1;
        }
        if (!due) continue;
        int64_t committed = 0;
        for (int h = 0; h < hook.n; h++)
            if (hook.rows[h].max_event >= ev) {
                committed = hook.rows[h].t_us;
                break;
            }
        if (!committed) continue;
        delay_us[m] = committed - due * 1000;
        at_ms[m] = at - due;
        m++;
    }
    sqlite3_finalize(fired);
    if (m == 0) die("no probe fired", NULL);
    qsort(delay_us, (size_t)m, sizeof *delay_us, cmp_i64);
    qsort(at_ms, (size_t)m, sizeof *at_ms, cmp_i64);
    printf("delay from deadline to committed event, %lld probes %lld ms apart among the %lld: "
           "p50 %.2f ms p99 %.2f ms max %.2f ms (%lld of %lld fired; %d commits)\n",
           (long long)m, (long long)px.step_ms, (long long)n,
           (double)pct(delay_us, m, 0.5) / 1000.0, (double)pct(delay_us, m, 0.99) / 1000.0,
           (double)delay_us[m - 1] / 1000.0, (long long)m, (long long)n_probes, hook.n);
    printf("event timestamp minus deadline (ms resolution): p50 %lld ms p99 %lld ms max %lld ms\n",
           (long long)pct(at_ms, m, 0.5), (long long)pct(at_ms, m, 0.99), (long long)at_ms[m - 1]);
    sqlite3_finalize(hook.max_id);
    sqlite3_close(hook.db);
    store_close(app.store);
    config_free(&cfg);
    free(hook.rows);
    free(px.ids);
    free(px.due);
    free(delay_us);
    free(at_ms);
    return m == n_probes ? 0 : 1;
}
