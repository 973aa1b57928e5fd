-- 006: outbound webhooks. A subscription names an http(s) URL, the event
-- types it wants (patterns: `*`, `conversation.*`, `message.created`), a body
-- format (json | slack) and a signing secret (sealed with the app key like
-- inbox settings). The dispatcher follows the event log with each
-- subscription's cursor (last_event_id) and writes one delivery row per
-- (subscription, event) in the transaction that advances the cursor: nothing
-- lives only in memory, so a restart loses and repeats nothing.
CREATE TABLE webhook_subscriptions (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER NOT NULL REFERENCES accounts(id),
    name           TEXT NOT NULL DEFAULT '',
    url            TEXT NOT NULL,
    events         TEXT NOT NULL,          -- JSON array of patterns
    format         TEXT NOT NULL DEFAULT 'json' CHECK (format IN ('json','slack')),
    secret         BLOB NOT NULL,          -- secretbox(nonce || ciphertext) of the secret
    active         INTEGER NOT NULL DEFAULT 1,
    last_event_id  INTEGER NOT NULL,       -- the dispatcher's cursor in the event log
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX webhook_subscriptions_account ON webhook_subscriptions(account_id, id);
CREATE INDEX webhook_subscriptions_cursor ON webhook_subscriptions(last_event_id) WHERE active = 1;

CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY,
    account_id       INTEGER NOT NULL,
    subscription_id  INTEGER NOT NULL REFERENCES webhook_subscriptions(id) ON DELETE CASCADE,
    event_id         INTEGER NOT NULL,     -- events(id)
    event_type       TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending','sent','failed','dead')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER,              -- ms; NULL once sent or dead
    last_attempt_at  INTEGER,
    last_status      INTEGER,              -- HTTP status of the last attempt, NULL = no answer
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    UNIQUE (subscription_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at)
    WHERE status IN ('pending','failed');
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries(subscription_id, id);
