-- 010: whether the report tables follow the event log. A server running with
-- `rollups = off` (a bulk import) stamps stale_since (ms) at start; the
-- reports then lag the events until `parley reports rebuild` replays the log
-- and clears it. One row.
CREATE TABLE report_state (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    stale_since INTEGER             -- NULL = the rollups are current
);
INSERT INTO report_state(id, stale_since) VALUES (1, NULL);
