/*
 * sqlite_reports.c - the SQLite queries behind store_reports_ops_t: rollup
 * facts buffered per connection and written per batch (report_cube.h),
 * per-conversation report state, the aggregate reads of the report
 * endpoints (the coarsest rows that answer), migration 012's carry-over,
 * and the table comparison of `parley reports verify`.
 *
 * Static SQL only (the column lists come from REPORT_COLUMNS at compile
 * time); every read names the account it may touch.
 */
#include "store/rconv_cache.h"
#include "store/report_cube.h"
#include "store/sqlite_internal.h"
#include "store/store_reports.h"

#include "core/mem.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_(c) #c,
const char *const report_column_names[RC_COUNT] = {REPORT_COLUMNS(NAME_)};
#undef NAME_

#define COL_(c) ", " #c

/* ---- writes: facts buffered per connection, written per batch ------------- */

/* A transaction that buffers this many facts writes them at once (a replay
 * of a long event log keeps its memory bounded). */
#define CUBE_FLUSH_AT 65536

static report_cube_t *cube_of(store_conn_t *c)
{
    if (!c->cube) c->cube = report_cube_new();
    return c->cube;
}

/* Writes the buffered facts to all their cube rows (bulk writers). */
static int flush_cube(store_conn_t *c)
{
    if (!c->cube || !report_cube_len(c->cube)) return 0;
    /* (before migration 014 there are no labels' facts, nor their table) */
    bool labels = report_cube_has_labels(c->cube);
    sqlite3_stmt *st = sq__prep(c, report_cube_upsert_sql),
                 *label = labels ? sq__prep(c, report_label_upsert_sql) : NULL;
    if (!st || (labels && !label)) return PARLEY_EIO;
    return sq__rc(c, report_cube_flush(c->cube, st, label));
}

static int recent_count(store_conn_t *c)
{
    if (c->recent_known) return 0;
    sqlite3_stmt *st = sq__prep(c, "SELECT count(*) FROM report_recent");
    int rc = st ? sq__one(c, st) : PARLEY_EIO;
    if (rc) return rc;
    c->recent_n = sqlite3_column_int64(st, 0);
    c->recent_known = true;
    sqlite3_reset(st);
    return 0;
}

/* The rows of the labels deleted in this batch: a buffered fact of one of
 * them was just written back (a label deleted after it was attached). Only
 * labels gone for good: the job that deleted one may have rolled back. */
static int drop_dead_labels(store_conn_t *c)
{
    int rc = 0;
    if (c->n_dead_labels > SQ_MAX_DEAD_LABELS) { /* many: every label gone (a scan) */
        c->n_dead_labels = 0;
        return sq__run(c, sq__prep(c, "DELETE FROM report_label_rollups WHERE NOT EXISTS"
                                      " (SELECT 1 FROM labels WHERE id = label_id)"));
    }
    for (int i = 0; i < c->n_dead_labels && !rc; i++) {
        sqlite3_stmt *st = sq__prep(c, "DELETE FROM report_label_rollups WHERE account_id = ?1"
                                       " AND label_id = ?2 AND NOT EXISTS"
                                       " (SELECT 1 FROM labels WHERE id = ?2)");
        if (!st) return PARLEY_EIO;
        sqlite3_bind_int64(st, 1, c->dead_labels[i].account_id);
        sqlite3_bind_int64(st, 2, c->dead_labels[i].label_id);
        rc = sq__run(c, st);
    }
    c->n_dead_labels = 0;
    return rc;
}

/* Writes the buffered facts to their own rows of report_recent (a commit's;
 * labels' facts to their rows). */
static int write_rconvs(store_conn_t *c);

static int flush(store_conn_t *c)
{
    int rc = write_rconvs(c);
    if (rc) return rc;
    if (!c->cube || !report_cube_len(c->cube)) return drop_dead_labels(c);
    rc = recent_count(c);
    if (rc) return rc;
    bool labels = report_cube_has_labels(c->cube);
    sqlite3_stmt *st = sq__prep(c, report_recent_upsert_sql),
                 *label = labels ? sq__prep(c, report_label_upsert_sql) : NULL;
    if (!st || (labels && !label)) return PARLEY_EIO;
    rc = sq__rc(c, report_cube_flush_recent(c->cube, st, label, &c->recent_n));
    return rc ? rc : drop_dead_labels(c);
}

int sq__reports_flush(store_conn_t *c)
{
    return flush(c);
}

/* A fact's key from columns 0-6 (account, hour, inbox, channel, agent,
 * team, priority) of a row of report_recent or of 005's tables; the channel
 * points into the row. */
static rollup_key_t key_at(sqlite3_stmt *st)
{
    return (rollup_key_t){.account_id = sqlite3_column_int64(st, 0),
                          .hour = sqlite3_column_int64(st, 1),
                          .inbox_id = sqlite3_column_int64(st, 2),
                          .channel = (const char *)sqlite3_column_text(st, 3),
                          .agent_id = sqlite3_column_int64(st, 4),
                          .team_id = sqlite3_column_int64(st, 5),
                          .priority = sqlite3_column_int(st, 6)};
}

typedef struct {
    report_cube_t *cube;
    const rollup_key_t *k;
} fold_ctx_t;

static void add_hist_entry(void *ctx, int metric, int bucket, int64_t n, int64_t sum_ms)
{
    fold_ctx_t *x = ctx;
    report_cube_hist(x->cube, x->k, metric, bucket, n, sum_ms);
}

#define RECENT_KEY "account_id, start, inbox_id, channel, agent_id, team_id, priority"

/* Moves the first `limit` rows of report_recent (key order; -1 = all) into
 * the cube and deletes them; *moved says how many. In the caller's
 * transaction, with nothing buffered. */
static int fold_some(store_conn_t *c, int limit, int64_t *moved)
{
    /* clang-format off */
    sqlite3_stmt *st = sq__prep(c, "SELECT " RECENT_KEY REPORT_COLUMNS(COL_) ", hist"
                                   " FROM report_recent ORDER BY " RECENT_KEY " LIMIT ?1");
    /* clang-format on */
    if (!st) return PARLEY_EIO;
    sqlite3_bind_int(st, 1, limit);
    report_cube_t *b = cube_of(c);
    rollup_key_t last = {0};
    char last_channel[32] = "";
    int s;
    *moved = 0;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        rollup_key_t k = key_at(st);
        int64_t v[RC_COUNT];
        for (int i = 0; i < RC_COUNT; i++) v[i] = sqlite3_column_int64(st, 7 + i);
        report_cube_add(b, &k, v);
        fold_ctx_t x = {b, &k};
        const void *blob = sqlite3_column_blob(st, 7 + RC_COUNT);
        int len = sqlite3_column_bytes(st, 7 + RC_COUNT);
        if (len > 0 && report_cube_hist_walk(blob, (size_t)len, false, add_hist_entry, &x) < 0) {
            s = SQLITE_CORRUPT;
            break;
        }
        last = k;
        snprintf(last_channel, sizeof last_channel, "%s", k.channel ? k.channel : "");
        (*moved)++;
    }
    sqlite3_reset(st);
    if (s != SQLITE_DONE) {
        report_cube_truncate(b, 0);
        return sq__rc(c, s);
    }
    if (!*moved) return 0;
    int rc = flush_cube(c);
    if (rc) return rc;
    /* the rows read: the key prefix up to the last one (same transaction) */
    st = sq__prep(c, "DELETE FROM report_recent WHERE (" RECENT_KEY ") <= (?, ?, ?, ?, ?, ?, ?)");
    if (!st) return PARLEY_EIO;
    sqlite3_bind_int64(st, 1, last.account_id);
    sqlite3_bind_int64(st, 2, last.hour);
    sqlite3_bind_int64(st, 3, last.inbox_id);
    sqlite3_bind_text(st, 4, last_channel, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, last.agent_id);
    sqlite3_bind_int64(st, 6, last.team_id);
    sqlite3_bind_int(st, 7, last.priority);
    if ((rc = sq__run(c, st)) != 0) return rc;
    c->recent_n = c->recent_n > *moved ? c->recent_n - *moved : 0;
    return 0;
}

/* Everything into the cube: the buffered facts, then every row of
 * report_recent. Inside the caller's transaction. */
static int fold(store_conn_t *c)
{
    int64_t moved;
    int rc = write_rconvs(c);
    if (!rc) rc = flush_cube(c);
    if (!rc) rc = fold_some(c, -1, &moved);
    if (!rc) {
        c->recent_n = 0;
        c->recent_known = true;
    }
    return rc;
}

/* A fold moves this many rows per transaction: the writer pauses for one
 * chunk at a time (tens of ms on the benchmark machine), not the table. */
#define FOLD_CHUNK 256

void sq__reports_maintain(store_conn_t *c)
{
    if (!c->recent_known || (!c->folding && c->recent_n < REPORT_RECENT_FOLD_AT)) return;
    int64_t t0 = clock_mono_ns(), moved = 0;
    int rc = sq__rc(c, sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL));
    if (!rc) rc = fold_some(c, FOLD_CHUNK, &moved);
    if (!rc) rc = sq__rc(c, sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL));
    if (rc) {
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
        report_cube_truncate(cube_of(c), 0);
        c->recent_known = false; /* counted again at the next flush */
        c->folding = false;
        log_msg(LOG_WARN, "reports.fold_failed",
                "the recent report facts stay where they are (reads still count them);"
                " retried after a later commit");
        return;
    }
    /* a fold runs to the end, a chunk after each commit */
    c->folding = moved == FOLD_CHUNK;
    if (!c->folding) c->recent_n = 0;
    if (!moved) return; /* the last chunk was exactly full */
    log_line_t l;
    log_begin(&l, LOG_INFO, "reports.folded", NULL);
    log_int(&l, "rows", moved);
    log_int(&l, "left", c->recent_n);
    log_int(&l, "us", (clock_mono_ns() - t0) / 1000);
    log_end(&l);
}

void sq__reports_mark(store_conn_t *c, sq_mark_t *m)
{
    m->len = c->cube ? report_cube_len(c->cube) : 0;
    m->flushes = c->cube ? report_cube_flushes(c->cube) : 0;
    m->rconvs = c->rconvs ? rconv_cache_mark(c->rconvs) : 0;
}

void sq__reports_rewind(store_conn_t *c, const sq_mark_t *m)
{
    if (c->rconvs) rconv_cache_rewind(c->rconvs, m->rconvs);
    if (!c->cube) return;
    /* a flush during the job wrote its earlier facts inside its savepoint
     * (rolled back with it); what is buffered now is all the job's */
    report_cube_truncate(c->cube, report_cube_flushes(c->cube) == m->flushes ? m->len : 0);
}

void sq__reports_forget(store_conn_t *c)
{
    if (c->cube) report_cube_truncate(c->cube, 0);
    if (c->rconvs) rconv_cache_clear(c->rconvs);
    c->n_dead_labels = 0;
}

static int rollup_add(store_conn_t *c, const rollup_key_t *k, const int64_t v[RC_COUNT])
{
    report_cube_add(cube_of(c), k, v);
    return report_cube_len(c->cube) >= CUBE_FLUSH_AT ? flush_cube(c) : 0;
}

static int hist_add(store_conn_t *c, const rollup_key_t *k, int metric, int bucket, int64_t ms)
{
    report_cube_hist(cube_of(c), k, metric, bucket, 1, ms);
    return report_cube_len(c->cube) >= CUBE_FLUSH_AT ? flush_cube(c) : 0;
}

/* Migration 012: 005's hourly tables (renamed *_005 by the SQL) into the
 * cube, in the migration's transaction; then they go. */
int sq__migrate_012(store_conn_t *c)
{
    log_msg(LOG_INFO, "store.migrating",
            "012: carrying the report rollups into days, months and cuboids (a few minutes "
            "per million conversations of history; once)");
    sqlite3_stmt *r = NULL, *h = NULL;
    int rc = sqlite3_prepare_v2(c->db,
                                "SELECT account_id, hour, inbox_id, channel, agent_id, team_id,"
                                " priority" REPORT_COLUMNS(COL_) " FROM report_rollups_005",
                                -1, &r, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(c->db,
                                "SELECT account_id, hour, inbox_id, channel, agent_id, team_id,"
                                " priority, metric, bucket, n, sum_ms FROM report_hist_005",
                                -1, &h, NULL);
    while (rc == SQLITE_OK) {
        sqlite3_stmt *st = r ? r : h;
        int s = sqlite3_step(st);
        if (s == SQLITE_DONE) {
            sqlite3_finalize(st);
            if (st == r) {
                r = NULL;
                continue;
            }
            h = NULL;
            break;
        }
        if (s != SQLITE_ROW) {
            rc = s;
            break;
        }
        rollup_key_t k = key_at(st);
        if (st == r) {
            int64_t v[RC_COUNT];
            for (int i = 0; i < RC_COUNT; i++) v[i] = sqlite3_column_int64(st, 7 + i);
            report_cube_add(cube_of(c), &k, v);
        } else {
            report_cube_hist(cube_of(c), &k, sqlite3_column_int(st, 7), sqlite3_column_int(st, 8),
                             sqlite3_column_int64(st, 9), sqlite3_column_int64(st, 10));
        }
        if (report_cube_len(c->cube) >= CUBE_FLUSH_AT && flush_cube(c)) rc = SQLITE_ERROR;
    }
    sqlite3_finalize(r);
    sqlite3_finalize(h);
    if (rc != SQLITE_OK && rc != SQLITE_DONE) {
        sq__reports_forget(c);
        return PARLEY_EIO;
    }
    int err = flush_cube(c);
    if (!err)
        err = sq__rc(c, sqlite3_exec(c->db,
                                     "DROP TABLE report_rollups_005; DROP TABLE report_hist_005",
                                     NULL, NULL, NULL));
    return err;
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

/* The integer fields of rconv_t in RCONV_COLS order (channel and status apart:
 * NONE), as offsets: this runs 42 times per row read or written (per event on
 * the ingest path, per conversation in a label report). */
#define NONE  SIZE_MAX
#define AT(f) offsetof(rconv_t, f)
static const size_t rconv_offsets[RCONV_NCOLS] = {AT(conversation_id),
                                                  AT(account_id),
                                                  AT(inbox_id),
                                                  NONE,
                                                  AT(team_id),
                                                  AT(assignee_id),
                                                  NONE,
                                                  NONE,
                                                  AT(created_at),
                                                  AT(c_hour),
                                                  AT(c_team),
                                                  NONE,
                                                  AT(cycle_opened_at),
                                                  AT(cycle_replied),
                                                  AT(cycle_bot),
                                                  AT(cycle_msgs),
                                                  AT(run_start),
                                                  AT(handoff_at),
                                                  AT(responded),
                                                  AT(first_reply_at),
                                                  AT(resolved_at),
                                                  AT(msgs_in),
                                                  AT(replies_out),
                                                  AT(reopens),
                                                  AT(resolutions),
                                                  AT(frt_ms),
                                                  AT(frt_bh_ms),
                                                  AT(res_ms),
                                                  AT(res_bh_ms),
                                                  AT(rt_n),
                                                  AT(rt_ms),
                                                  AT(rt_bh_ms),
                                                  AT(sent_first_sum),
                                                  AT(sent_first_n),
                                                  AT(sent_last[0]),
                                                  AT(sent_last[1]),
                                                  AT(sent_last[2]),
                                                  AT(sent_n),
                                                  AT(beat_user),
                                                  AT(beat_at),
                                                  AT(handle_ms),
                                                  AT(handle_bh_ms)};
#undef AT

static int64_t *rconv_ints(rconv_t *r, int i)
{
    return rconv_offsets[i] == NONE ? NULL : (int64_t *)(void *)((char *)r + rconv_offsets[i]);
}
#undef NONE

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
    const rconv_t *kept = c->rconvs ? rconv_cache_get(c->rconvs, id) : NULL;
    if (kept) { /* written in this batch, not yet in the table */
        *out = *kept;
        return 0;
    }
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

/* Every column but the row's identity (id, account, creation time: never
 * changed once written), so an update rewrites the row in place and leaves
 * report_conversations_created alone (INSERT OR REPLACE deleted and
 * re-inserted both: half the rollups' cost on the ingest path). */
#define RCONV_SET                                                                                  \
    "inbox_id = excluded.inbox_id, channel = excluded.channel, team_id = excluded.team_id"         \
    ", assignee_id = excluded.assignee_id, priority = excluded.priority"                           \
    ", status = excluded.status, c_hour = excluded.c_hour, c_team = excluded.c_team"               \
    ", c_priority = excluded.c_priority, cycle_opened_at = excluded.cycle_opened_at"               \
    ", cycle_replied = excluded.cycle_replied, cycle_bot = excluded.cycle_bot"                     \
    ", cycle_msgs = excluded.cycle_msgs, run_start = excluded.run_start"                           \
    ", handoff_at = excluded.handoff_at, responded = excluded.responded"                           \
    ", first_reply_at = excluded.first_reply_at, resolved_at = excluded.resolved_at"               \
    ", msgs_in = excluded.msgs_in, replies_out = excluded.replies_out"                             \
    ", reopens = excluded.reopens, resolutions = excluded.resolutions"                             \
    ", frt_ms = excluded.frt_ms, frt_bh_ms = excluded.frt_bh_ms, res_ms = excluded.res_ms"         \
    ", res_bh_ms = excluded.res_bh_ms, rt_n = excluded.rt_n, rt_ms = excluded.rt_ms"               \
    ", rt_bh_ms = excluded.rt_bh_ms, sent_first_sum = excluded.sent_first_sum"                     \
    ", sent_first_n = excluded.sent_first_n, sent_last0 = excluded.sent_last0"                     \
    ", sent_last1 = excluded.sent_last1, sent_last2 = excluded.sent_last2"                         \
    ", sent_n = excluded.sent_n, beat_user = excluded.beat_user"                                   \
    ", beat_at = excluded.beat_at, handle_ms = excluded.handle_ms"                                 \
    ", handle_bh_ms = excluded.handle_bh_ms"

/* The labelled conversation's contribution moves from before (NULL: none)
 * to in, on each of its labels' rows (however many it has). */
static int labels_follow(store_conn_t *c, const rconv_t *before, const rconv_t *in)
{
    if (before && report_cube_conv_same(before, in)) return 0;
    sqlite3_stmt *st =
        sq__prep(c, "SELECT label_id FROM conversation_labels WHERE conversation_id = ?");
    if (!st) return PARLEY_EIO;
    sqlite3_bind_int64(st, 1, in->conversation_id);
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t label = sqlite3_column_int64(st, 0);
        if (before) report_cube_conv(cube_of(c), label, before, -1);
        report_cube_conv(cube_of(c), label, in, 1);
    }
    sqlite3_reset(st);
    if (s != SQLITE_DONE) return sq__rc(c, s);
    return c->cube && report_cube_len(c->cube) >= CUBE_FLUSH_AT ? flush_cube(c) : 0;
}

int sq__reports_label_moved(store_conn_t *c, int64_t conversation_id, int64_t label_id, int sign)
{
    rconv_t r;
    int rc = conv_get(c, conversation_id, &r);
    if (rc == PARLEY_ENOENT) return 0; /* not in the reports yet: added when it is */
    if (rc) return rc;
    report_cube_conv(cube_of(c), label_id, &r, sign);
    return report_cube_len(c->cube) >= CUBE_FLUSH_AT ? flush_cube(c) : 0;
}

int sq__reports_label_deleted(store_conn_t *c, int64_t account_id, int64_t label_id)
{
    sqlite3_stmt *st =
        sq__prep(c, "DELETE FROM report_label_rollups WHERE account_id = ? AND label_id = ?");
    if (!st) return PARLEY_EIO;
    sqlite3_bind_int64(st, 1, account_id);
    sqlite3_bind_int64(st, 2, label_id);
    int rc = sq__run(c, st);
    if (rc) return rc;
    /* facts of it still buffered are written at the flush: their rows go then */
    if (c->n_dead_labels < SQ_MAX_DEAD_LABELS) {
        c->dead_labels[c->n_dead_labels].account_id = account_id;
        c->dead_labels[c->n_dead_labels].label_id = label_id;
    }
    c->n_dead_labels++;
    return 0;
}

static int rconv_write(void *ctx, const rconv_t *in)
{
    store_conn_t *c = ctx;
    sqlite3_stmt *st =
        sq__prep(c, "INSERT INTO report_conversations(" RCONV_COLS
                    ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                    " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT(conversation_id) DO UPDATE SET " RCONV_SET);
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

/* The cached rows into report_conversations (before a COMMIT, or before a
 * statement reads the table), then forgotten. */
static int write_rconvs(store_conn_t *c)
{
    if (!c->rconvs || !rconv_cache_len(c->rconvs)) return 0;
    int rc = rconv_cache_each(c->rconvs, rconv_write, c);
    if (!rc) rconv_cache_clear(c->rconvs);
    return rc;
}

/* A transaction that keeps this many rows writes them at once (a replay of
 * the whole log is one job; its memory stays bounded). */
#define RCONV_SPILL_AT 65536

static int conv_put(store_conn_t *c, const rconv_t *before, const rconv_t *in)
{
    if (!c->rconvs) c->rconvs = rconv_cache_new();
    rconv_cache_put(c->rconvs, in);
    int rc = labels_follow(c, before, in);
    if (!rc && rconv_cache_len(c->rconvs) >= RCONV_SPILL_AT) rc = write_rconvs(c);
    return rc;
}

/* ---- label rollups from scratch ------------------------------------------ */

/* Every labelled conversation's report row, with the label id last. */
static const char labelled_sql[] =
    "WITH l(cid, lid) AS (SELECT conversation_id, label_id FROM conversation_labels)"
    " SELECT " RCONV_COLS ", lid FROM l JOIN report_conversations ON conversation_id = cid";

/* Adds every (label, conversation) contribution to b, flushed through
 * (upsert, label_upsert) every CUBE_FLUSH_AT facts and at the end. */
static int sum_labels(store_conn_t *c, report_cube_t *b, sqlite3_stmt *upsert,
                      sqlite3_stmt *label_upsert)
{
    sqlite3_stmt *st = sq__prep(c, labelled_sql);
    if (!st) return PARLEY_EIO;
    int s, rc = SQLITE_OK;
    while (rc == SQLITE_OK && (s = sqlite3_step(st)) == SQLITE_ROW) {
        rconv_t r;
        rconv_read(st, &r);
        report_cube_conv(b, sqlite3_column_int64(st, RCONV_NCOLS), &r, 1);
        if (report_cube_len(b) >= CUBE_FLUSH_AT) rc = report_cube_flush(b, upsert, label_upsert);
    }
    sqlite3_reset(st);
    if (rc == SQLITE_OK && s != SQLITE_DONE) rc = s;
    if (rc == SQLITE_OK) rc = report_cube_flush(b, upsert, label_upsert);
    report_cube_truncate(b, 0);
    return sq__rc(c, rc);
}

/* The label rollups recomputed from conversation_labels x report_conversations. */
static int label_rebuild(store_conn_t *c)
{
    int rc = write_rconvs(c); /* what is buffered first: the tables are then whole */
    if (!rc) rc = flush_cube(c);
    if (!rc) rc = sq__run(c, sq__prep(c, "DELETE FROM report_label_rollups"));
    sqlite3_stmt *up = sq__prep(c, report_cube_upsert_sql),
                 *label = sq__prep(c, report_label_upsert_sql);
    if (!rc && (!up || !label)) rc = PARLEY_EIO;
    return rc ? rc : sum_labels(c, cube_of(c), up, label);
}

int sq__migrate_014(store_conn_t *c)
{
    log_msg(LOG_INFO, "store.migrating",
            "014: summing each label's conversations into its report rows (seconds per "
            "100,000 labelled conversations; once)");
    return label_rebuild(c);
}

/* ---- aggregate reads ------------------------------------------------------ */

/* The filter of one segment: ?9 cuboid, ?10 level, [?2, ?3) start hours;
 * a dimension the cuboid folds holds -1 / '*' and is never filtered. */
#define FILTER_DIMS                                                                                \
    " AND (?4 = 0 OR inbox_id = ?4) AND (?5 = 0 OR team_id = ?5) AND (?6 = 0 OR agent_id = ?6)"    \
    " AND (?7 < 0 OR priority = ?7) AND (?8 IS NULL OR channel = ?8)"
#define FILTER                                                                                     \
    " WHERE account_id = ?1 AND cuboid = ?9 AND level = ?10"                                       \
    " AND start >= ?2 AND start < ?3" FILTER_DIMS
/* a label's rows (?11) */
#define FILTER_LABEL                                                                               \
    " WHERE account_id = ?1 AND label_id = ?11 AND cuboid = ?9 AND level = ?10"                    \
    " AND start >= ?2 AND start < ?3" FILTER_DIMS
/* report_recent: the facts not yet folded (?9, ?10 bound, unused). */
#define FILTER_RECENT                                                                              \
    " WHERE account_id = ?1 AND start >= ?2 AND start < ?3 AND ?9 = ?9 AND ?10 = ?10" FILTER_DIMS
/* When every dimension the cuboid keeps is filtered, its rows are one run of
 * the partial index report_rollups_exact (dimensions before start): ?4..?8
 * are then the exact values, folded ones included. */
#define FILTER_EXACT                                                                               \
    " WHERE account_id = ?1 AND cuboid <> 31 AND cuboid = ?9 AND level = ?10 AND inbox_id = ?4"    \
    " AND channel = ?8 AND agent_id = ?6 AND team_id = ?5 AND priority = ?7 AND start >= ?2"       \
    " AND start < ?3"

#define HOUR_MS 3600000LL

static int64_t floor_hour(int64_t ms)
{
    return ms >= 0 ? ms / HOUR_MS : -((-ms + HOUR_MS - 1) / HOUR_MS);
}

/* Binds f for a segment of cuboid (exact: the FILTER_EXACT statement). */
static void bind_segment(sqlite3_stmt *st, const report_filter_t *f, int cuboid, bool exact,
                         int level, int64_t a, int64_t b);

static void bind_filter(sqlite3_stmt *st, const report_filter_t *f)
{
    sqlite3_bind_int64(st, 1, f->account_id);
    sqlite3_bind_int64(st, 4, f->inbox_id);
    sqlite3_bind_int64(st, 5, f->team_id);
    sqlite3_bind_int64(st, 6, f->agent_id);
    sqlite3_bind_int64(st, 7, f->priority);
    if (f->channel)
        sqlite3_bind_text(st, 8, f->channel, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 8);
}

/* The dimensions f filters on (report_cube.h bits). */
static int filtered(const report_filter_t *f)
{
    return (f->inbox_id ? CUBE_INBOX : 0) | (f->channel ? CUBE_CHANNEL : 0) |
           (f->agent_id ? CUBE_AGENT : 0) | (f->team_id ? CUBE_TEAM : 0) |
           (f->priority >= 0 ? CUBE_PRIORITY : 0);
}

/* The rows that answer f grouped by g: the cuboid of the dimensions the
 * filters and the grouping name when they are two at most, else the cross
 * product. */
static int cuboid_for(const report_filter_t *f, report_group_t g)
{
    int need = filtered(f);
    need |= g == RG_AGENT ? CUBE_AGENT : g == RG_INBOX ? CUBE_INBOX : g == RG_TEAM ? CUBE_TEAM : 0;
    return __builtin_popcount((unsigned)need) > 2 ? CUBE_FULL : need;
}

/* A label's rows: the cuboid of the one dimension the filters and the
 * grouping name, else the cross product. */
static int label_cuboid_for(const report_filter_t *f, report_group_t g)
{
    int need = cuboid_for(f, g);
    return __builtin_popcount((unsigned)need) > 1 ? CUBE_FULL : need;
}

typedef struct {
    int level;
    int64_t a, b; /* start hours [a, b) */
} seg_t;

/* [a, b) hours as edge hours, edge days and whole months (levels up to max):
 * at most five segments. */
static int plan(int64_t a, int64_t b, int max_level, seg_t out[5])
{
    int n = 0;
    if (a >= b) return 0;
    int64_t d1 = cube_start(CUBE_DAY, a), d2 = cube_start(CUBE_DAY, b);
    if (d1 < a) d1 += 24;
    if (max_level < CUBE_DAY || d1 >= d2) {
        out[n++] = (seg_t){CUBE_HOUR, a, b};
        return n;
    }
    if (a < d1) out[n++] = (seg_t){CUBE_HOUR, a, d1};
    int64_t m1 = cube_start(CUBE_MONTH, d1), m2 = cube_start(CUBE_MONTH, d2);
    if (m1 < d1) m1 = cube_next(CUBE_MONTH, m1);
    if (max_level >= CUBE_MONTH && m1 < m2) {
        if (d1 < m1) out[n++] = (seg_t){CUBE_DAY, d1, m1};
        out[n++] = (seg_t){CUBE_MONTH, m1, m2};
        if (m2 < d2) out[n++] = (seg_t){CUBE_DAY, m2, d2};
    } else {
        out[n++] = (seg_t){CUBE_DAY, d1, d2};
    }
    if (d2 < b) out[n++] = (seg_t){CUBE_HOUR, d2, b};
    return n;
}

static void bind_segment(sqlite3_stmt *st, const report_filter_t *f, int cuboid, bool exact,
                         int level, int64_t a, int64_t b)
{
    bind_filter(st, f);
    sqlite3_bind_int64(st, 2, a);
    sqlite3_bind_int64(st, 3, b);
    sqlite3_bind_int(st, 9, cuboid);
    sqlite3_bind_int(st, 10, level);
    if (!exact) return;
    if (!(cuboid & CUBE_INBOX)) sqlite3_bind_int64(st, 4, CUBE_ALL);
    if (!(cuboid & CUBE_TEAM)) sqlite3_bind_int64(st, 5, CUBE_ALL);
    if (!(cuboid & CUBE_AGENT)) sqlite3_bind_int64(st, 6, CUBE_ALL);
    if (!(cuboid & CUBE_PRIORITY)) sqlite3_bind_int64(st, 7, CUBE_ALL);
    if (!(cuboid & CUBE_CHANNEL)) sqlite3_bind_text(st, 8, CUBE_ALL_CHANNEL, -1, SQLITE_STATIC);
}

/* Whether the exact statement serves cuboid under f: it keeps dimensions,
 * all of them filtered (the total's rows are one primary-key run already). */
static bool exact_for(const report_filter_t *f, int cuboid)
{
    return cuboid != 0 && cuboid != CUBE_FULL && (cuboid & ~filtered(f)) == 0;
}

static int max_level_of(report_group_t g)
{
    return g == RG_HOUR ? CUBE_HOUR : g == RG_DAY || g == RG_WEEK ? CUBE_DAY : CUBE_MONTH;
}

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

static int cmp_agg(const void *a, const void *b)
{
    const report_agg_t *x = *(report_agg_t *const *)a, *y = *(report_agg_t *const *)b;
    return x->group < y->group ? -1 : x->group > y->group;
}

/* Orders the groups by key (series arrive in order already: segments and
 * their rows run forward in time). */
static void sort_groups(report_agg_t *v, int n)
{
    int i = 1;
    while (i < n && v[i - 1].group < v[i].group) i++;
    if (i >= n) return;
    report_agg_t **p = xmalloc(sizeof *p * (size_t)n), *copy = xmalloc(sizeof *copy * (size_t)n);
    memcpy(copy, v, sizeof *copy * (size_t)n);
    for (i = 0; i < n; i++) p[i] = &copy[i];
    qsort(p, (size_t)n, sizeof *p, cmp_agg);
    for (i = 0; i < n; i++) memcpy(&v[i], p[i], sizeof *v);
    free(p);
    free(copy);
}

#define AGG_COLS "SELECT start, inbox_id, agent_id, team_id" REPORT_COLUMNS(COL_) ", hist"
static const char agg_sql[] = AGG_COLS " FROM report_rollups" FILTER;
/* named: without statistics SQLite takes the primary key's start range */
#define FROM_EXACT " FROM report_rollups INDEXED BY report_rollups_exact"
static const char agg_exact_sql[] = AGG_COLS FROM_EXACT FILTER_EXACT;
static const char agg_recent_sql[] = AGG_COLS " FROM report_recent" FILTER_RECENT;
static const char agg_label_sql[] = AGG_COLS " FROM report_label_rollups" FILTER_LABEL;

/* A report's statements in one read transaction (unless c is in one): a fold
 * committed between them would count its rows twice or not at all. */
static bool read_begin(store_conn_t *c)
{
    return sqlite3_get_autocommit(c->db) &&
           sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
}

static void read_end(store_conn_t *c, bool began)
{
    /* never left open: the connection would keep this snapshot for good */
    if (began && sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
}

static int aggregate(store_conn_t *c, const report_filter_t *f, report_group_t g,
                     report_agg_t **out, int *n)
{
    seg_t segs[5];
    int nseg =
        plan(floor_hour(f->since), floor_hour(f->until + HOUR_MS - 1), max_level_of(g), segs);
    /* a label: its own rows, no recent facts (written straight to all levels) */
    bool label = f->label_id != 0;
    int cuboid = label ? label_cuboid_for(f, g) : cuboid_for(f, g);
    bool exact = !label && exact_for(f, cuboid);
    sqlite3_stmt *cube = sq__prep(c, label   ? agg_label_sql
                                     : exact ? agg_exact_sql
                                             : agg_sql),
                 *recent = sq__prep(c, agg_recent_sql);
    if (!cube || !recent) return PARLEY_EIO;
    /* as many groups as a series has points (zeroed pages: calloc maps them) */
    int64_t span = nseg ? segs[nseg - 1].b - segs[0].a : 0;
    int64_t want = g == RG_HOUR   ? span
                   : g == RG_DAY  ? span / 24 + 2
                   : g == RG_WEEK ? span / 168 + 2
                                  : 8;
    int cap = (int)(want < 8 ? 8 : want > 1024 ? 1024 : want), rc = SQLITE_DONE;
    report_agg_t *groups = xcalloc((size_t)cap, sizeof *groups);
    gmap_t m;
    gmap_init(&m, 64);
    *n = 0;
    bool began = read_begin(c);
    /* the cube's segments, then the recent facts of the whole period */
    for (int s = 0; s < nseg + !label && nseg && rc == SQLITE_DONE; s++) {
        sqlite3_stmt *st = s < nseg ? cube : recent;
        sqlite3_reset(st);
        if (s < nseg)
            bind_segment(st, f, cuboid, exact, segs[s].level, segs[s].a, segs[s].b);
        else
            bind_segment(st, f, CUBE_FULL, false, CUBE_HOUR, segs[0].a, segs[nseg - 1].b);
        if (label) sqlite3_bind_int64(st, 11, f->label_id);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            int64_t start = sqlite3_column_int64(st, 0);
            int64_t group = g == RG_HOUR    ? start
                            : g == RG_DAY   ? start / 24
                            : g == RG_WEEK  ? (start / 24 + 3) / 7
                            : g == RG_INBOX ? sqlite3_column_int64(st, 1)
                            : g == RG_AGENT ? sqlite3_column_int64(st, 2)
                            : g == RG_TEAM  ? sqlite3_column_int64(st, 3)
                                            : 0;
            int i = gmap_get(&m, group, *n);
            if (i < 0) {
                if (*n == cap) {
                    groups = xrealloc(groups, sizeof *groups * (size_t)cap * 2);
                    memset(&groups[cap], 0, sizeof *groups * (size_t)cap);
                    cap *= 2;
                }
                i = (*n)++;
                groups[i].group = group;
            }
            report_agg_t *x = &groups[i];
            for (int k = 0; k < RC_COUNT; k++) x->v[k] += sqlite3_column_int64(st, 4 + k);
            const void *blob = sqlite3_column_blob(st, 4 + RC_COUNT);
            int len = sqlite3_column_bytes(st, 4 + RC_COUNT);
            if (len > 0 && report_cube_hist_add(blob, (size_t)len, label, x->hn, x->hs) < 0) {
                rc = SQLITE_CORRUPT;
                break;
            }
        }
    }
    sqlite3_reset(cube);
    sqlite3_reset(recent);
    read_end(c, began);
    gmap_free(&m);
    if (rc != SQLITE_DONE) {
        free(groups);
        *n = 0;
        *out = NULL;
        return sq__rc(c, rc);
    }
    sort_groups(groups, *n);
    *out = groups;
    return 0;
}

static const char backlog_sql[] =
    "SELECT coalesce(sum(backlog_delta), 0) FROM report_rollups" FILTER;
static const char backlog_exact_sql[] =
    "SELECT coalesce(sum(backlog_delta), 0)" FROM_EXACT FILTER_EXACT;
static const char backlog_recent_sql[] =
    "SELECT coalesce(sum(backlog_delta), 0) FROM report_recent" FILTER_RECENT;

/* The backlog is a running total: every delta before the period's end. */
static int backlog(store_conn_t *c, const report_filter_t *f, int64_t *out)
{
    seg_t segs[5];
    int nseg = plan(0, floor_hour(f->until + HOUR_MS - 1), CUBE_MONTH, segs);
    *out = 0;
    int cuboid = cuboid_for(f, RG_NONE);
    bool exact = exact_for(f, cuboid);
    bool began = read_begin(c);
    int rc = 0;
    for (int s = 0; s <= nseg && nseg && !rc; s++) {
        sqlite3_stmt *st = sq__prep(c, s == nseg ? backlog_recent_sql
                                       : exact   ? backlog_exact_sql
                                                 : backlog_sql);
        if (!st) {
            rc = PARLEY_EIO;
            break;
        }
        if (s < nseg)
            bind_segment(st, f, cuboid, exact, segs[s].level, segs[s].a, segs[s].b);
        else
            bind_segment(st, f, CUBE_FULL, false, CUBE_HOUR, segs[0].a, segs[nseg - 1].b);
        if ((rc = sq__one(c, st)) != 0) break;
        *out += sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
    }
    read_end(c, began);
    return rc;
}

/* The conversations of a period (report_conversations, one row each). */
#define CONV_PERIOD " r.account_id = ?1 AND r.created_at >= ?2 AND r.created_at < ?3"
#define CONV_DIMS                                                                                  \
    " AND (?4 = 0 OR r.inbox_id = ?4) AND (?5 = 0 OR r.team_id = ?5) AND"                          \
    " (?6 = 0 OR r.assignee_id = ?6) AND (?7 < 0 OR r.priority = ?7) AND"                          \
    " (?8 IS NULL OR r.channel = ?8)"

/* Pages resume where the last one ended, in an index's order, so a listing
 * reads each row once. Paging by id over the created_at index sorted the
 * whole period for every page of 500: a year's export or a label's report
 * over 1M conversations was quadratic (a label on 100,000 of them: 57 s). */
static const char conv_list_sql[] =
    "SELECT " RCONV_COLS " FROM report_conversations r WHERE" CONV_PERIOD CONV_DIMS
    " AND (r.created_at, r.conversation_id) > (?10, ?11)"
    " ORDER BY r.created_at, r.conversation_id LIMIT ?12";
/* a label: its conversations through the label's index, by id (?10 unused),
 * after ?11 (the cursor, or below the period's smallest id) up to ?14, the
 * period's largest (id_bounds). One lower bound only: with two, SQLite seeks
 * with one of them and each page walked again from the period's start. */
static const char conv_list_label_sql[] =
    "WITH ids(cid) AS (SELECT conversation_id FROM conversation_labels"
    " WHERE label_id = ?9 AND conversation_id > ?11 AND conversation_id <= ?14)"
    " SELECT " RCONV_COLS " FROM ids CROSS JOIN report_conversations r"
    " ON r.conversation_id = ids.cid WHERE" CONV_PERIOD CONV_DIMS " AND ?10 = ?10"
    " ORDER BY ids.cid LIMIT ?12";
static const char conv_count_sql[] =
    "SELECT count(*) FROM report_conversations r WHERE" CONV_PERIOD CONV_DIMS;
static const char conv_count_label_sql[] =
    "SELECT count(*) FROM conversation_labels l CROSS JOIN report_conversations r"
    " ON r.conversation_id = l.conversation_id WHERE l.label_id = ?9"
    " AND l.conversation_id BETWEEN ?13 AND ?14 AND" CONV_PERIOD CONV_DIMS;

/* The label's index is walked within the smallest and largest conversation id
 * created in the period when that is cheap to know: one pass over the
 * period's entries of report_conversations_created, run for each page, so
 * only for periods up to three days (a month's pass, ~85,000 entries per
 * page, cost more than it saved). Exact either way: the period is checked
 * row by row too. A big label over a day read all of its rows (100 ms for
 * 100,000), now the day's (3 ms). */
#define ID_BOUNDS_MAX_MS (3LL * 86400000)

static int id_bounds(store_conn_t *c, const report_filter_t *f, int64_t *lo, int64_t *hi)
{
    *lo = 0;
    *hi = INT64_MAX;
    if (f->until - f->since > ID_BOUNDS_MAX_MS) return 0;
    sqlite3_stmt *st = sq__prep(c, "SELECT min(r.conversation_id), max(r.conversation_id)"
                                   " FROM report_conversations r WHERE" CONV_PERIOD);
    if (!st) return PARLEY_EIO;
    sqlite3_bind_int64(st, 1, f->account_id);
    sqlite3_bind_int64(st, 2, f->since);
    sqlite3_bind_int64(st, 3, f->until);
    int rc = sq__one(c, st);
    if (rc) return rc;
    if (sqlite3_column_type(st, 0) == SQLITE_NULL) { /* nothing created then */
        *lo = 1;
        *hi = 0;
    } else {
        *lo = sqlite3_column_int64(st, 0);
        *hi = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    return 0;
}

static void bind_conv_filter(sqlite3_stmt *st, const report_filter_t *f)
{
    bind_filter(st, f);
    sqlite3_bind_int64(st, 2, f->since);
    sqlite3_bind_int64(st, 3, f->until);
    if (f->label_id) sqlite3_bind_int64(st, 9, f->label_id);
}

static int conv_list(store_conn_t *c, const report_filter_t *f, const rconv_cursor_t *after,
                     int limit, arena_t *a, rconv_t **out, int *n)
{
    int64_t lo = 0, hi = INT64_MAX;
    int rc = f->label_id ? id_bounds(c, f, &lo, &hi) : 0;
    if (rc) return rc;
    sqlite3_stmt *st = sq__prep(c, f->label_id ? conv_list_label_sql : conv_list_sql);
    if (!st) return PARLEY_EIO;
    bind_conv_filter(st, f);
    int64_t from = after ? after->conversation_id : 0;
    if (f->label_id && from < lo - 1) from = lo - 1;
    sqlite3_bind_int64(st, 10, after ? after->created_at : INT64_MIN);
    sqlite3_bind_int64(st, 11, from);
    sqlite3_bind_int(st, 12, limit);
    if (f->label_id) sqlite3_bind_int64(st, 14, hi);
    *out = arena_alloc(a, sizeof **out * (size_t)(limit > 0 ? limit : 1));
    *n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < limit) rconv_read(st, &(*out)[(*n)++]);
    sqlite3_reset(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : sq__rc(c, rc);
}

static int conv_count(store_conn_t *c, const report_filter_t *f, int64_t *n)
{
    int64_t lo = 0, hi = INT64_MAX;
    int rc = f->label_id ? id_bounds(c, f, &lo, &hi) : 0;
    if (rc) return rc;
    sqlite3_stmt *st = sq__prep(c, f->label_id ? conv_count_label_sql : conv_count_sql);
    if (!st) return PARLEY_EIO;
    bind_conv_filter(st, f);
    if (f->label_id) {
        sqlite3_bind_int64(st, 13, lo);
        sqlite3_bind_int64(st, 14, hi);
    }
    rc = sq__one(c, st);
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
    {"report_rollups",
     "SELECT * FROM report_rollups ORDER BY account_id, cuboid, level, start, inbox_id, channel,"
     " agent_id, team_id, priority",
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

/* A value as the difference report shows it: text, or a blob in hex (cut). */
static void value_text(sqlite3_stmt *st, int k, char *out, size_t cap)
{
    if (sqlite3_column_type(st, k) != SQLITE_BLOB) {
        const char *v = (const char *)sqlite3_column_text(st, k);
        snprintf(out, cap, "%s", v ? v : "");
        return;
    }
    const uint8_t *p = sqlite3_column_blob(st, k);
    size_t n = (size_t)sqlite3_column_bytes(st, k), o = 0;
    for (size_t i = 0; i < n && o + 8 < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%02x", p[i]);
    if (o + 8 >= cap) snprintf(out + o, cap - o, "...");
}

/* Whether column k holds the same value in a and b (blobs byte for byte);
 * both rendered into va, vb when not. */
static bool value_eq(sqlite3_stmt *a, sqlite3_stmt *b, int k, char *va, char *vb, size_t cap)
{
    const void *pa = sqlite3_column_blob(a, k), *pb = sqlite3_column_blob(b, k);
    int na = sqlite3_column_bytes(a, k), nb = sqlite3_column_bytes(b, k);
    if (na == nb && (na == 0 || memcmp(pa, pb, (size_t)na) == 0)) return true;
    value_text(a, k, va, cap);
    value_text(b, k, vb, cap);
    return false;
}

typedef void (*diff_fn)(void *ctx, const char *table, const char *row, const char *col,
                        const char *va, const char *vb);

/* Compares two statements' rows, both ordered by the npk columns named pk. */
static int compare_rows(sqlite3_stmt *a, sqlite3_stmt *b, const char *table, const char *const *pk,
                        int npk, diff_fn diff, void *ctx, int64_t *ndiff)
{
    /* the ORDER BY columns by index */
    int order[10], ncols = sqlite3_column_count(a);
    for (int i = 0; i < npk; i++)
        for (int k = 0; k < ncols; k++)
            if (!strcmp(sqlite3_column_name(a, k), pk[i])) order[i] = k;
    int ra = sqlite3_step(a), rb = sqlite3_step(b);
    char name[256];
    while (ra == SQLITE_ROW || rb == SQLITE_ROW) {
        int d = ra != SQLITE_ROW ? 1 : rb != SQLITE_ROW ? -1 : pk_cmp(a, b, order, npk);
        if (d < 0) { /* only in a */
            row_name(a, order, npk, name, sizeof name);
            (*ndiff)++;
            diff(ctx, table, name, "(row)", "present", "missing");
            ra = sqlite3_step(a);
        } else if (d > 0) {
            row_name(b, order, npk, name, sizeof name);
            (*ndiff)++;
            diff(ctx, table, name, "(row)", "missing", "present");
            rb = sqlite3_step(b);
        } else {
            for (int k = 0; k < ncols; k++) {
                char va[96], vb[96];
                if (!value_eq(a, b, k, va, vb, sizeof va)) {
                    row_name(a, order, npk, name, sizeof name);
                    (*ndiff)++;
                    diff(ctx, table, name, sqlite3_column_name(a, k), va, vb);
                }
            }
            ra = sqlite3_step(a);
            rb = sqlite3_step(b);
        }
    }
    return ra != SQLITE_DONE || rb != SQLITE_DONE ? PARLEY_EIO : 0;
}

static int compare(store_conn_t *ca, store_conn_t *cb, diff_fn diff, void *ctx, int64_t *ndiff)
{
    static const char *const roll_pk[] = {"account_id", "cuboid",   "level",
                                          "start",      "inbox_id", "channel",
                                          "agent_id",   "team_id",  "priority"};
    static const char *const conv_pk[] = {"conversation_id"};
    *ndiff = 0;
    for (size_t t = 0; t < sizeof cmp_tables / sizeof cmp_tables[0]; t++) {
        const cmp_table_t *ct = &cmp_tables[t];
        sqlite3_stmt *a = NULL, *b = NULL;
        int rc = PARLEY_EIO;
        if (sqlite3_prepare_v2(ca->db, ct->sql, -1, &a, NULL) == SQLITE_OK &&
            sqlite3_prepare_v2(cb->db, ct->sql, -1, &b, NULL) == SQLITE_OK)
            rc = compare_rows(a, b, ct->table, t == 0 ? roll_pk : conv_pk, ct->npk, diff, ctx,
                              ndiff);
        sqlite3_finalize(a);
        sqlite3_finalize(b);
        if (rc) return rc;
    }
    return 0;
}

/* The label rollups against their recomputation from conversation_labels x
 * report_conversations, summed into a temporary table on c (the writer, in
 * its transaction; dropped after). */
#define LABEL_PK                                                                                   \
    "account_id, label_id, cuboid, level, start, inbox_id, channel, agent_id, team_id, priority"
#define DDL_(col) ", " #col " INTEGER NOT NULL DEFAULT 0"

static int label_verify(store_conn_t *c, diff_fn diff, void *ctx, int64_t *ndiff)
{
    static const char *const pk[] = {"account_id", "label_id", "cuboid",   "level",   "start",
                                     "inbox_id",   "channel",  "agent_id", "team_id", "priority"};
    /* clang-format off */
    int rc = sq__rc(c, sqlite3_exec(c->db,
        "DROP TABLE IF EXISTS temp.report_label_expect;"
        " CREATE TEMP TABLE report_label_expect (account_id INTEGER NOT NULL,"
        " label_id INTEGER NOT NULL, cuboid INTEGER NOT NULL, level INTEGER NOT NULL,"
        " start INTEGER NOT NULL, inbox_id INTEGER NOT NULL, channel TEXT NOT NULL,"
        " agent_id INTEGER NOT NULL, team_id INTEGER NOT NULL, priority INTEGER NOT NULL"
        REPORT_COLUMNS(DDL_) ", hist BLOB, PRIMARY KEY (" LABEL_PK ")) WITHOUT ROWID",
        NULL, NULL, NULL));
    /* clang-format on */
    if (rc) return rc;
    sqlite3_stmt *up = NULL, *a = NULL, *b = NULL;
    report_cube_t *cube = report_cube_new();
    rc = write_rconvs(c); /* the conversation and label rows whole */
    if (!rc) rc = flush_cube(c);
    if (!rc && sqlite3_prepare_v2(c->db, report_label_expect_upsert_sql, -1, &up, NULL))
        rc = PARLEY_EIO;
    if (!rc) rc = sum_labels(c, cube, NULL, up);
    if (!rc &&
        (sqlite3_prepare_v2(c->db, "SELECT * FROM main.report_label_rollups ORDER BY " LABEL_PK, -1,
                            &a, NULL) ||
         sqlite3_prepare_v2(c->db, "SELECT * FROM temp.report_label_expect ORDER BY " LABEL_PK, -1,
                            &b, NULL)))
        rc = PARLEY_EIO;
    if (!rc) rc = compare_rows(a, b, "report_label_rollups", pk, 10, diff, ctx, ndiff);
    sqlite3_finalize(up);
    sqlite3_finalize(a);
    sqlite3_finalize(b);
    report_cube_free(cube);
    sqlite3_exec(c->db, "DROP TABLE IF EXISTS temp.report_label_expect", NULL, NULL, NULL);
    return rc;
}

static int clear(store_conn_t *c)
{
    sq__reports_forget(c); /* the buffered facts and report rows too */
    int rc = sq__run(c, sq__prep(c, "DELETE FROM report_rollups"));
    if (!rc) rc = sq__run(c, sq__prep(c, "DELETE FROM report_recent"));
    if (!rc) {
        c->recent_n = 0;
        c->recent_known = true;
    }
    if (!rc) rc = sq__run(c, sq__prep(c, "DELETE FROM report_conversations"));
    /* no report state left: no label contribution either (a replay adds them back) */
    if (!rc) rc = sq__run(c, sq__prep(c, "DELETE FROM report_label_rollups"));
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
    .flush = flush,
    .fold = fold,
    .aggregate = aggregate,
    .backlog = backlog,
    .conv_list = conv_list,
    .conv_count = conv_count,
    .compare = compare,
    .label_rebuild = label_rebuild,
    .label_verify = label_verify,
};
