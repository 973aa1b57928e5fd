-- 004: the website chat widget (the `web` channel): one row per visitor of a
-- web inbox, holding the hash of the visitor's secret. A visitor's
-- conversations are never stored here: they are the conversations holding the
-- visitor's own messages (external ids "<visitor_key>:<client id>").
CREATE TABLE widget_visitors (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts(id),
    inbox_id     INTEGER NOT NULL REFERENCES inboxes(id),
    visitor_key  TEXT NOT NULL,          -- the author's external id: web:<id> or web:verified:<id>
    token_hash   TEXT NOT NULL,          -- SHA-256 hex of the visitor token (shown once)
    verified     INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    UNIQUE (inbox_id, visitor_key)
);
