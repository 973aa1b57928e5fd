-- 009: account settings (the time zone the account's weeks and digests
-- follow, and the weekly digest's switches and recipients), the durable
-- record of digests sent (one per account and ISO week: a restart at the
-- hour it is due never sends twice), the queue of notices e-mailed by Parley
-- itself (digests and SLA escalations, through an e-mail inbox's SMTP relay),
-- and the handling-time columns of the reports (AHT from console presence).
CREATE TABLE account_settings (
    account_id         INTEGER PRIMARY KEY REFERENCES accounts(id),
    timezone           TEXT NOT NULL DEFAULT 'UTC',   -- IANA name
    digest_enabled     INTEGER NOT NULL DEFAULT 1,
    digest_email       INTEGER NOT NULL DEFAULT 1,   -- e-mail it (webhooks: subscribe to report.digest)
    digest_recipients  TEXT,            -- JSON array of user ids; NULL = supervisors and admins
    mail_inbox_id      INTEGER,         -- e-mail inbox whose relay sends notices; NULL = the first
    updated_at         INTEGER NOT NULL
);

CREATE TABLE digest_runs (
    account_id  INTEGER NOT NULL,
    week        TEXT NOT NULL,          -- ISO week "YYYY-Www"
    sent_at     INTEGER NOT NULL,
    recipients  INTEGER NOT NULL,       -- e-mails queued
    PRIMARY KEY (account_id, week)
) WITHOUT ROWID;

CREATE TABLE mail_outbox (
    id               INTEGER PRIMARY KEY,
    account_id       INTEGER NOT NULL,
    inbox_id         INTEGER NOT NULL,  -- the e-mail inbox whose relay and address send it
    dedupe           TEXT NOT NULL UNIQUE, -- "digest:<account>:<week>:<user>", "sla:<event>:<rule>:<to>"
    kind             TEXT NOT NULL,     -- digest | sla
    rcpt             TEXT NOT NULL,
    subject          TEXT NOT NULL,
    message          TEXT NOT NULL,     -- the whole RFC 5322 message (CRLF), built once
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','sent','dead')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER,           -- ms; NULL once sent or dead
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    sent_at          INTEGER
);
CREATE INDEX mail_outbox_due ON mail_outbox(next_attempt_at) WHERE status = 'pending';

-- Average handling time: agents' active time on a conversation, from
-- presence heartbeats (gaps of at most the idle timeout between two beats of
-- the same agent), summed per cycle and sampled when the cycle resolves.
ALTER TABLE report_rollups ADD COLUMN aht_n INTEGER NOT NULL DEFAULT 0;
ALTER TABLE report_rollups ADD COLUMN aht_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE report_rollups ADD COLUMN aht_bh_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE report_conversations ADD COLUMN beat_user INTEGER NOT NULL DEFAULT 0;
ALTER TABLE report_conversations ADD COLUMN beat_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE report_conversations ADD COLUMN handle_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE report_conversations ADD COLUMN handle_bh_ms INTEGER NOT NULL DEFAULT 0;
