-- 005: reports. Rollups written in the transaction of each desk event
-- (desk/rollups.c): counters and time sums per account x UTC hour x inbox x
-- channel x agent x team x priority, fixed log-scaled histograms of the
-- response and resolution times (percentiles come from here, not from
-- scans), the per-conversation running state the rollups need (and the
-- one-row-per-conversation facts behind conversations.csv and the label
-- filter), and survey answers (CSAT / NPS) for when surveys are sent.
-- Times are ms; *_bh_ms count business hours of the inbox's calendar only.
CREATE TABLE report_rollups (
    account_id      INTEGER NOT NULL,
    hour            INTEGER NOT NULL,   -- UTC hours since the epoch
    inbox_id        INTEGER NOT NULL,
    channel         TEXT NOT NULL,
    agent_id        INTEGER NOT NULL,   -- 0 = nobody (queue, customer, system)
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
    shift_n INTEGER NOT NULL DEFAULT 0, shift_sum INTEGER NOT NULL DEFAULT 0, -- 1e-4 units
    sla_fr_met INTEGER NOT NULL DEFAULT 0, sla_fr_breached INTEGER NOT NULL DEFAULT 0,
    sla_nr_met INTEGER NOT NULL DEFAULT 0, sla_nr_breached INTEGER NOT NULL DEFAULT 0,
    sla_res_met INTEGER NOT NULL DEFAULT 0, sla_res_breached INTEGER NOT NULL DEFAULT 0,
    csat_n INTEGER NOT NULL DEFAULT 0, csat_sum INTEGER NOT NULL DEFAULT 0,
    csat_good INTEGER NOT NULL DEFAULT 0,
    nps_n INTEGER NOT NULL DEFAULT 0, nps_promoters INTEGER NOT NULL DEFAULT 0,
    nps_detractors INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, hour, inbox_id, channel, agent_id, team_id, priority)
) WITHOUT ROWID;

-- metric: 0 frt, 1 frt business, 2 response time, 3 response business,
-- 4 resolution, 5 resolution business; bucket: see rollups.h
CREATE TABLE report_hist (
    account_id INTEGER NOT NULL, hour INTEGER NOT NULL, inbox_id INTEGER NOT NULL,
    channel TEXT NOT NULL, agent_id INTEGER NOT NULL, team_id INTEGER NOT NULL,
    priority INTEGER NOT NULL, metric INTEGER NOT NULL, bucket INTEGER NOT NULL,
    n INTEGER NOT NULL DEFAULT 0, sum_ms INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, hour, metric, inbox_id, channel, agent_id, team_id, priority, bucket)
) WITHOUT ROWID;

-- One row per conversation: its running state (cycle, unanswered run,
-- sentiment window) and its facts so far.
CREATE TABLE report_conversations (
    conversation_id     INTEGER PRIMARY KEY,
    account_id          INTEGER NOT NULL,
    inbox_id            INTEGER NOT NULL,
    channel             TEXT NOT NULL,
    team_id             INTEGER NOT NULL,
    assignee_id         INTEGER NOT NULL,
    priority            INTEGER NOT NULL,
    status              TEXT NOT NULL,
    created_at          INTEGER NOT NULL,
    c_hour INTEGER NOT NULL, c_team INTEGER NOT NULL, c_priority INTEGER NOT NULL,
    cycle_opened_at     INTEGER NOT NULL,
    cycle_replied       INTEGER NOT NULL,
    cycle_bot           INTEGER NOT NULL,
    cycle_msgs          INTEGER NOT NULL,
    run_start           INTEGER NOT NULL,
    handoff_at          INTEGER NOT NULL,
    responded           INTEGER NOT NULL,
    first_reply_at      INTEGER NOT NULL,
    resolved_at         INTEGER NOT NULL,
    msgs_in INTEGER NOT NULL, replies_out INTEGER NOT NULL, reopens INTEGER NOT NULL,
    resolutions INTEGER NOT NULL,
    frt_ms INTEGER NOT NULL, frt_bh_ms INTEGER NOT NULL,     -- first cycle; -1 = none
    res_ms INTEGER NOT NULL, res_bh_ms INTEGER NOT NULL,     -- last resolution; -1 = none
    rt_n INTEGER NOT NULL, rt_ms INTEGER NOT NULL, rt_bh_ms INTEGER NOT NULL,
    sent_first_sum INTEGER NOT NULL, sent_first_n INTEGER NOT NULL,
    sent_last0 INTEGER NOT NULL, sent_last1 INTEGER NOT NULL, sent_last2 INTEGER NOT NULL,
    sent_n INTEGER NOT NULL
);
CREATE INDEX report_conversations_created ON report_conversations(account_id, created_at);

CREATE TABLE survey_answers (
    id              INTEGER PRIMARY KEY,
    account_id      INTEGER NOT NULL,
    conversation_id INTEGER NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('csat','nps')),
    score           INTEGER NOT NULL,
    comment         TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX survey_answers_conversation ON survey_answers(conversation_id);
