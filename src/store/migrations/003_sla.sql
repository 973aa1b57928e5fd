-- 003: service levels: business-hours calendars, SLA policies with their
-- escalation rules, the SLA clocks of conversations, and the inbox settings
-- that tie them together.
CREATE TABLE business_hours (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    name        TEXT NOT NULL,
    calendar    TEXT NOT NULL,           -- bhours JSON (timezone, weekly, holidays)
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE sla_policies (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    name        TEXT NOT NULL,
    policy      TEXT NOT NULL,           -- JSON: business_hours, warning_percent, targets
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (account_id, name)
);

-- what happens when a clock of the policy warns or breaches (in position order)
CREATE TABLE escalation_rules (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL,
    policy_id   INTEGER NOT NULL REFERENCES sla_policies(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    on_event    TEXT NOT NULL CHECK (on_event IN ('sla.warning','sla.breached')),
    target      TEXT CHECK (target IN ('first_response','next_response','resolution')),
    action      TEXT NOT NULL
                CHECK (action IN ('raise_priority','assign_team','notify','webhook','email')),
    priority    INTEGER,                 -- raise_priority: 0 low .. 3 critical
    team_id     INTEGER,                 -- assign_team
    user_id     INTEGER,                 -- notify: one user, NULL = every active supervisor
    url         TEXT                     -- webhook / email: recorded, delivered by later work
);
CREATE INDEX escalation_rules_policy ON escalation_rules(policy_id, position);

-- One row per target per cycle of a conversation. A clock runs, pauses
-- (pending on the customer) and finishes: met by a reply or resolve, or
-- stopped (a resolve ends an unanswered response clock). elapsed_ms is the
-- counted time (business or calendar ms) before running_since; due/warning
-- are instants while running, NULL otherwise. next_at is the scheduler's key:
-- the next warning or breach to announce.
CREATE TABLE sla_clocks (
    id                  INTEGER PRIMARY KEY,
    account_id          INTEGER NOT NULL,
    conversation_id     INTEGER NOT NULL REFERENCES conversations(id),
    policy_id           INTEGER NOT NULL,
    kind                TEXT NOT NULL
                        CHECK (kind IN ('first_response','next_response','resolution')),
    status              TEXT NOT NULL CHECK (status IN ('running','paused','met','stopped')),
    state               TEXT NOT NULL DEFAULT 'ok' CHECK (state IN ('ok','warning','breached')),
    business            INTEGER NOT NULL,  -- counts business hours only
    target_ms           INTEGER NOT NULL,  -- internal target
    published_ms        INTEGER NOT NULL,  -- published promise
    warning_ms          INTEGER NOT NULL,
    started_at          INTEGER NOT NULL,
    running_since       INTEGER,
    elapsed_ms          INTEGER NOT NULL DEFAULT 0,
    paused_ms           INTEGER NOT NULL DEFAULT 0, -- wall time spent paused
    paused_at           INTEGER,
    due_at              INTEGER,
    warning_at          INTEGER,
    published_due_at    INTEGER,
    next_at             INTEGER,
    warned_at           INTEGER,
    breached_at         INTEGER,
    published_breached_at INTEGER,
    met_at              INTEGER,
    stopped_at          INTEGER
);
CREATE INDEX sla_clocks_conversation ON sla_clocks(conversation_id, id);
CREATE INDEX sla_clocks_next ON sla_clocks(next_at) WHERE next_at IS NOT NULL;

ALTER TABLE inboxes ADD COLUMN business_hours_id INTEGER REFERENCES business_hours(id);
ALTER TABLE inboxes ADD COLUMN sla_policy_id INTEGER REFERENCES sla_policies(id);
