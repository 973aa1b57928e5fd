-- 011: deliveries survive a crash between send and record. Before a transfer
-- starts its row is 'sending' (the attempt is counted and stamped); a row
-- found 'sending' at start-up was interrupted and is resumed. idem_key is
-- fixed on the first attempt and reused by every resend (the e-mail
-- Message-ID), and possible_duplicate marks a resend after an interruption
-- where the platform cannot recognise the repeat. SQLite cannot change a
-- CHECK in place, so the table is rebuilt (nothing references it).
CREATE TABLE outbox_new (
    id                  INTEGER PRIMARY KEY,
    account_id          INTEGER NOT NULL,
    message_id          INTEGER NOT NULL REFERENCES messages(id),
    inbox_id            INTEGER NOT NULL,
    status              TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending','sending','sent','failed','dead')),
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     INTEGER NOT NULL,
    last_error          TEXT,
    created_at          INTEGER NOT NULL,
    attempt_started_at  INTEGER,
    idem_key            TEXT,
    possible_duplicate  INTEGER NOT NULL DEFAULT 0
);
INSERT INTO outbox_new(id, account_id, message_id, inbox_id, status, attempts, next_attempt_at,
                       last_error, created_at)
    SELECT id, account_id, message_id, inbox_id, status, attempts, next_attempt_at, last_error,
           created_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
CREATE INDEX outbox_account ON outbox(account_id, id);
