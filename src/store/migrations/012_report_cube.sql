-- 012: the report rollups at three time levels and in 17 cuboids
-- (store/report_cube.h). A report over a month or a year read every hourly
-- row of the cross product (1.4M counter rows and 6.3M histogram rows for a
-- year of 1M conversations): seconds, not milliseconds. Now each fact is
-- kept per hour, UTC day and UTC month, and per cuboid: the full cross
-- product, the total, each single dimension with the others folded
-- (-1, channel '*'), and each pair of dimensions; the histogram of a row is
-- one BLOB in the row. The partial index serves reads that filter on every
-- dimension a cuboid keeps (a series of one agent): dimensions before start.
-- The rows of 005's tables are carried over by the store (sqlite_reports.c,
-- migrate_012) in this migration's transaction, then the old tables dropped.
ALTER TABLE report_rollups RENAME TO report_rollups_005;
ALTER TABLE report_hist RENAME TO report_hist_005;
CREATE TABLE report_rollups (
    account_id      INTEGER NOT NULL,
    cuboid          INTEGER NOT NULL,   -- dimensions kept: inbox 1, channel 2, agent 4, team 8, priority 16
    level           INTEGER NOT NULL,   -- 0 hour, 1 UTC day, 2 UTC month
    start           INTEGER NOT NULL,   -- UTC hour (since the epoch) the unit begins
    inbox_id        INTEGER NOT NULL,   -- -1 = folded
    channel         TEXT NOT NULL,      -- '*' = folded
    agent_id        INTEGER NOT NULL,   -- 0 = nobody, -1 = folded
    team_id         INTEGER NOT NULL,   -- 0 = none, -1 = folded
    priority        INTEGER NOT NULL,   -- 0 low .. 3 critical, -1 = folded
    received INTEGER NOT NULL DEFAULT 0, reopened INTEGER NOT NULL DEFAULT 0,
    resolved INTEGER NOT NULL DEFAULT 0, resolved_bot INTEGER NOT NULL DEFAULT 0,
    responded INTEGER NOT NULL DEFAULT 0, backlog_delta INTEGER NOT NULL DEFAULT 0,
    assigned INTEGER NOT NULL DEFAULT 0, msgs_in INTEGER NOT NULL DEFAULT 0,
    replies_out INTEGER NOT NULL DEFAULT 0, notes INTEGER NOT NULL DEFAULT 0,
    bot_out INTEGER NOT NULL DEFAULT 0, auto_out INTEGER NOT NULL DEFAULT 0,
    frt_n INTEGER NOT NULL DEFAULT 0, frt_ms INTEGER NOT NULL DEFAULT 0,
    frt_bh_ms INTEGER NOT NULL DEFAULT 0,
    rt_n INTEGER NOT NULL DEFAULT 0, rt_ms INTEGER NOT NULL DEFAULT 0,
    rt_bh_ms INTEGER NOT NULL DEFAULT 0,
    res_n INTEGER NOT NULL DEFAULT 0, res_ms INTEGER NOT NULL DEFAULT 0,
    res_bh_ms INTEGER NOT NULL DEFAULT 0,
    mtr_n INTEGER NOT NULL DEFAULT 0, mtr_sum INTEGER NOT NULL DEFAULT 0,
    shift_n INTEGER NOT NULL DEFAULT 0, shift_sum INTEGER NOT NULL DEFAULT 0, -- 1e-4 units
    sla_fr_met INTEGER NOT NULL DEFAULT 0, sla_fr_breached INTEGER NOT NULL DEFAULT 0,
    sla_nr_met INTEGER NOT NULL DEFAULT 0, sla_nr_breached INTEGER NOT NULL DEFAULT 0,
    sla_res_met INTEGER NOT NULL DEFAULT 0, sla_res_breached INTEGER NOT NULL DEFAULT 0,
    csat_n INTEGER NOT NULL DEFAULT 0, csat_sum INTEGER NOT NULL DEFAULT 0,
    csat_good INTEGER NOT NULL DEFAULT 0,
    nps_n INTEGER NOT NULL DEFAULT 0, nps_promoters INTEGER NOT NULL DEFAULT 0,
    nps_detractors INTEGER NOT NULL DEFAULT 0,
    aht_n INTEGER NOT NULL DEFAULT 0, aht_ms INTEGER NOT NULL DEFAULT 0,
    aht_bh_ms INTEGER NOT NULL DEFAULT 0,
    -- durations: (metric x 128 + bucket, n, sum_ms) varints, by code; metrics in store_reports.h
    hist            BLOB,
    PRIMARY KEY (account_id, cuboid, level, start, inbox_id, channel, agent_id, team_id, priority)
) WITHOUT ROWID;
CREATE INDEX report_rollups_exact ON report_rollups(account_id, cuboid, level, inbox_id, channel,
    agent_id, team_id, priority, start) WHERE cuboid <> 31;
