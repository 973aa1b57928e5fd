-- 014: a label's reports from rollups (store/report_cube.h). A report
-- filtered on a label summed the report_conversations rows of the label's
-- conversations: a label on 100,000 conversations took 0.3-0.8 s over a
-- year. This table keeps, per label, the sum of the contributions of the
-- conversations carrying it (each one's facts at its creation hour and
-- current dimensions), in 7 cuboids (the total, each dimension, the cross
-- product) x 3 levels (hour, UTC day, UTC month). The store keeps it equal
-- to that sum: a label attached adds the conversation's contribution, one
-- removed subtracts it, a changed report_conversations row moves it. The
-- histogram blobs hold signed counts (zigzag varints). The store fills it
-- from the existing labels in this migration's transaction (migrate_014).
CREATE TABLE report_label_rollups (
    account_id      INTEGER NOT NULL,
    label_id        INTEGER NOT NULL,
    cuboid          INTEGER NOT NULL,   -- as in report_rollups: 0, 1, 2, 4, 8, 16 or 31
    level           INTEGER NOT NULL,   -- 0 hour, 1 UTC day, 2 UTC month
    start           INTEGER NOT NULL,   -- UTC hour the unit begins (conversations created in it)
    inbox_id        INTEGER NOT NULL,   -- -1 = folded
    channel         TEXT NOT NULL,      -- '*' = folded
    agent_id        INTEGER NOT NULL,   -- the assignee; 0 = nobody, -1 = folded
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
    -- durations: (metric x 128 + bucket, n, sum_ms) varints, n and sum_ms zigzag
    hist            BLOB,
    PRIMARY KEY (account_id, label_id, cuboid, level, start, inbox_id, channel, agent_id,
                 team_id, priority)
) WITHOUT ROWID;
-- every conversation contributes received = 1: a row at 0 holds none of them
CREATE TRIGGER report_label_rollups_empty AFTER UPDATE OF received ON report_label_rollups
WHEN new.received = 0 BEGIN
    DELETE FROM report_label_rollups WHERE account_id = new.account_id
        AND label_id = new.label_id AND cuboid = new.cuboid AND level = new.level
        AND start = new.start AND inbox_id = new.inbox_id AND channel = new.channel
        AND agent_id = new.agent_id AND team_id = new.team_id AND priority = new.priority;
END;
