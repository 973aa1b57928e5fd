/*
 * store_reports.h - the store's part for reports: rollup facts (counters,
 * time sums and histogram samples per account x hour x inbox x channel x
 * agent x team x priority, laid out by store/report_cube.h), the
 * per-conversation report state, and the aggregate queries the report
 * endpoints run over them.
 *
 * Facts are written in the desk event's transaction, once per group commit
 * (desk/rollups.c decides them); reads are scoped by account. Never computes
 * a metric: desk/reports.c does.
 */
#ifndef PARLEY_STORE_STORE_REPORTS_H
#define PARLEY_STORE_STORE_REPORTS_H

#include <stdint.h>

#include "store/store.h"

/* The counter columns of report_rollups, in table order. */
/* (clang-format does not settle on a layout for this list: it is left as written) */
/* clang-format off */
#define REPORT_COLUMNS(X)                                                                          \
    X(received) X(reopened) X(resolved) X(resolved_bot) X(responded) X(backlog_delta)              \
    X(assigned) X(msgs_in) X(replies_out) X(notes) X(bot_out) X(auto_out)                          \
    X(frt_n) X(frt_ms) X(frt_bh_ms) X(rt_n) X(rt_ms) X(rt_bh_ms)                                   \
    X(res_n) X(res_ms) X(res_bh_ms) X(mtr_n) X(mtr_sum) X(shift_n) X(shift_sum)                    \
    X(sla_fr_met) X(sla_fr_breached) X(sla_nr_met) X(sla_nr_breached)                              \
    X(sla_res_met) X(sla_res_breached) X(csat_n) X(csat_sum) X(csat_good)                          \
    X(nps_n) X(nps_promoters) X(nps_detractors) X(aht_n) X(aht_ms) X(aht_bh_ms)
/* clang-format on */

#define REPORT_ENUM_(c) RC_##c,
enum { REPORT_COLUMNS(REPORT_ENUM_) RC_COUNT };
#undef REPORT_ENUM_
extern const char *const report_column_names[RC_COUNT];

/* Histogram metrics and buckets (bucket of a duration: report_bucket). */
enum { HM_FRT, HM_FRT_BH, HM_RT, HM_RT_BH, HM_RES, HM_RES_BH, HM_AHT, HM_AHT_BH, HM_COUNT };
#define REPORT_BUCKETS 128

/* The histogram bucket of a duration: 0 below one second, then log-scaled
 * (each bucket about 15% wider than the one before) up to REPORT_BUCKETS-1. */
int report_bucket(int64_t ms);
/* The smallest duration (ms) of a bucket. */
int64_t report_bucket_floor(int bucket);

typedef struct {
    int64_t account_id, hour, inbox_id, agent_id, team_id;
    int priority;
    const char *channel;
    int64_t label_id; /* 0: the account's rollups; else a label's (report_cube.h) */
} rollup_key_t;

/* The report state and facts of one conversation (report_conversations). */
typedef struct {
    int64_t conversation_id, account_id, inbox_id;
    char channel[32];
    int64_t team_id, assignee_id;
    int priority;
    char status[16];
    int64_t created_at, c_hour, c_team;
    int c_priority;
    int64_t cycle_opened_at, cycle_replied, cycle_bot, cycle_msgs, run_start, handoff_at;
    int64_t responded, first_reply_at, resolved_at;
    int64_t msgs_in, replies_out, reopens, resolutions;
    int64_t frt_ms, frt_bh_ms, res_ms, res_bh_ms, rt_n, rt_ms, rt_bh_ms;
    int64_t sent_first_sum, sent_first_n, sent_last[3], sent_n;
    /* handling time: the last presence beat (user, time) and the cycle's active ms */
    int64_t beat_user, beat_at, handle_ms, handle_bh_ms;
} rconv_t;

/* Where a page of conv_list resumes: the last row's creation time and id. */
typedef struct {
    int64_t created_at, conversation_id;
} rconv_cursor_t;

/* What a report reads: zero/NULL = not filtered. Times are ms. */
typedef struct {
    int64_t account_id;
    int64_t since, until; /* [since, until) */
    int64_t inbox_id, team_id, agent_id, label_id;
    int priority; /* -1 = any */
    const char *channel;
} report_filter_t;

/* How aggregate rows are grouped. RG_DAY is the UTC day (hour / 24), RG_WEEK
 * the Monday-based week ((day + 3) / 7: its Monday is week x 7 - 3). */
typedef enum { RG_NONE, RG_HOUR, RG_AGENT, RG_INBOX, RG_TEAM, RG_DAY, RG_WEEK } report_group_t;

/* One group's sums: counters and duration histograms (n and summed ms per
 * metric x bucket). The group key is the hour / day / week / id (0 for RG_NONE). */
typedef struct {
    int64_t group;
    int64_t v[RC_COUNT];
    int64_t hn[HM_COUNT][REPORT_BUCKETS], hs[HM_COUNT][REPORT_BUCKETS];
} report_agg_t;

typedef struct store_reports_ops {
    /* Adds the deltas v[] to the rows of k (created at zero). Written at the
     * end of the transaction's batch (store/report_cube.h), or by flush. */
    int (*rollup_add)(store_conn_t *c, const rollup_key_t *k, const int64_t v[RC_COUNT]);
    /* One sample of ms into bucket of metric for k (written likewise). */
    int (*hist_add)(store_conn_t *c, const rollup_key_t *k, int metric, int bucket, int64_t ms);
    /* Writes what rollup_add and hist_add buffered on c (a group commit does
     * it before its COMMIT; a connection written outside one must). */
    int (*flush)(store_conn_t *c);
    /* Writes everything into the cube proper: what is buffered on c and the
     * recent facts (report_cube.h); in c's transaction. verify compares
     * folded tables. */
    int (*fold)(store_conn_t *c);
    /* PARLEY_ENOENT when the conversation has no report state yet. */
    int (*conv_get)(store_conn_t *c, int64_t conversation_id, rconv_t *out);
    /* Writes in (before: the row as read, NULL when new); the conversation's
     * labels' report rows follow it (report_cube.h). */
    int (*conv_put)(store_conn_t *c, const rconv_t *before, const rconv_t *in);

    /* Sums and histograms of the facts matching f in [since, until) rounded
     * out to whole hours, grouped, ordered by group; *out malloc'd (the
     * caller frees; NULL when no row matched). Reads the coarsest rows that
     * answer (report_cube.h). With a label: the contributions of the
     * label's conversations created in the period, at their creation hour
     * and current dimensions (report_label_rollups). */
    int (*aggregate)(store_conn_t *c, const report_filter_t *f, report_group_t g,
                     report_agg_t **out, int *n);
    /* SUM(backlog_delta) of every row before f->until (period start ignored). */
    int (*backlog)(store_conn_t *c, const report_filter_t *f, int64_t *out);
    /* Conversations created in [since, until) matching f (label_id honoured),
     * up to limit, after the cursor (NULL = from the start; the next page
     * resumes from the last row): ordered by (created_at, id), or by id when
     * a label is filtered (read through the label's index). *out in a. */
    int (*conv_list)(store_conn_t *c, const report_filter_t *f, const rconv_cursor_t *after,
                     int limit, arena_t *a, rconv_t **out, int *n);
    /* How many conv_list would return in all. */
    int (*conv_count)(store_conn_t *c, const report_filter_t *f, int64_t *n);
    /* Since when (ms) the rollups have not followed the events (a server ran
     * with rollups off); 0 = current. */
    int (*stale_get)(store_conn_t *c, int64_t *since);
    /* Marks them stale from `since` (kept if already stale), or current (0). */
    int (*stale_set)(store_conn_t *c, int64_t since);
    /* Empties the report tables (before a rebuild from the event log). */
    int (*clear)(store_conn_t *c);
    /* Compares every report table of a with b (same schema) row by row; calls
     * diff for each difference (up to max); *ndiff counts them all. */
    int (*compare)(store_conn_t *a, store_conn_t *b,
                   void (*diff)(void *ctx, const char *table, const char *row, const char *col,
                                const char *va, const char *vb),
                   void *ctx, int64_t *ndiff);
    /* Recomputes the label rollups from the labels attached and the
     * conversations' report rows (a bulk fill; migration 014). */
    int (*label_rebuild)(store_conn_t *c);
    /* Compares the label rollups with that recomputation (on the writer, in
     * its transaction), like compare. */
    int (*label_verify)(store_conn_t *c,
                        void (*diff)(void *ctx, const char *table, const char *row, const char *col,
                                     const char *va, const char *vb),
                        void *ctx, int64_t *ndiff);
} store_reports_ops_t;

#endif
