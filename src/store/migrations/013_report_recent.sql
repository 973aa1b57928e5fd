-- 013: the rollups' recent facts (store/report_cube.h). Writing every fact
-- to its 51 cube rows (17 cuboids x 3 levels) dirtied some 50 pages of
-- report_rollups in each group commit, whatever the batch's size: on small
-- batches the rollups cost a third of the ingest rate. Each commit now
-- upserts only the fact's own row (the cross product of its hour) here, a
-- small table whose rows of one hour share a few pages; the store folds it
-- into report_rollups in one transaction of its own once it holds 1,024
-- rows. A report reads both: the cube's coarsest rows and the recent facts
-- of its period (in one read transaction, so a fold is seen whole or not).
CREATE TABLE report_recent (
    account_id      INTEGER NOT NULL,
    start           INTEGER NOT NULL,   -- UTC hour since the epoch
    inbox_id        INTEGER NOT NULL,
    channel         TEXT NOT NULL,
    agent_id        INTEGER NOT NULL,   -- 0 = nobody
    team_id         INTEGER NOT NULL,   -- 0 = none
    priority        INTEGER NOT NULL,   -- 0 low .. 3 critical
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
    shift_n INTEGER NOT NULL DEFAULT 0, shift_sum INTEGER NOT NULL DEFAULT 0,
    sla_fr_met INTEGER NOT NULL DEFAULT 0, sla_fr_breached INTEGER NOT NULL DEFAULT 0,
    sla_nr_met INTEGER NOT NULL DEFAULT 0, sla_nr_breached INTEGER NOT NULL DEFAULT 0,
    sla_res_met INTEGER NOT NULL DEFAULT 0, sla_res_breached INTEGER NOT NULL DEFAULT 0,
    csat_n INTEGER NOT NULL DEFAULT 0, csat_sum INTEGER NOT NULL DEFAULT 0,
    csat_good INTEGER NOT NULL DEFAULT 0,
    nps_n INTEGER NOT NULL DEFAULT 0, nps_promoters INTEGER NOT NULL DEFAULT 0,
    nps_detractors INTEGER NOT NULL DEFAULT 0,
    aht_n INTEGER NOT NULL DEFAULT 0, aht_ms INTEGER NOT NULL DEFAULT 0,
    aht_bh_ms INTEGER NOT NULL DEFAULT 0,
    hist            BLOB,               -- as in report_rollups
    writes          INTEGER NOT NULL DEFAULT 1, -- commits that wrote the row (1 = new)
    PRIMARY KEY (account_id, start, inbox_id, channel, agent_id, team_id, priority)
) WITHOUT ROWID;
