-- 002: the desk: inboxes, teams, labels, contacts and identities, conversations,
-- messages (with full-text search), canned responses, counters, notifications.
CREATE TABLE teams (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE team_members (
    team_id     INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    account_id  INTEGER NOT NULL,
    PRIMARY KEY (team_id, user_id)
) WITHOUT ROWID;
CREATE INDEX team_members_user ON team_members(user_id);

CREATE TABLE inboxes (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts(id),
    name          TEXT NOT NULL,
    channel       TEXT NOT NULL,
    settings      BLOB NOT NULL,          -- secretbox(nonce || ciphertext) of the settings JSON
    policy        TEXT NOT NULL DEFAULT 'round_robin'
                  CHECK (policy IN ('manual','round_robin','least_loaded')),
    sticky        INTEGER NOT NULL DEFAULT 1,
    team_id       INTEGER REFERENCES teams(id),
    reopen_days   INTEGER NOT NULL DEFAULT 7,
    hours         TEXT,                   -- business-hours calendar JSON, NULL = around the clock
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    deleted_at    INTEGER
);
CREATE INDEX inboxes_account ON inboxes(account_id, id);

CREATE TABLE labels (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    name        TEXT NOT NULL COLLATE NOCASE,
    color       TEXT NOT NULL DEFAULT '#888888',
    created_at  INTEGER NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE contacts (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts(id),
    name          TEXT NOT NULL DEFAULT '',
    email         TEXT,
    phone         TEXT,
    notes         TEXT NOT NULL DEFAULT '',
    attributes    TEXT NOT NULL DEFAULT '{}',
    merged_into   INTEGER REFERENCES contacts(id),
    last_agent_id INTEGER,               -- sticky assignment: who served them last
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX contacts_account ON contacts(account_id, id);

CREATE TABLE contact_identities (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL,
    contact_id   INTEGER NOT NULL REFERENCES contacts(id),
    channel      TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    handle       TEXT NOT NULL DEFAULT '',
    followers    INTEGER NOT NULL DEFAULT -1,
    verified     INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    UNIQUE (account_id, channel, external_id)
);
CREATE INDEX contact_identities_contact ON contact_identities(contact_id);

CREATE TABLE conversations (
    id                 INTEGER PRIMARY KEY,
    account_id         INTEGER NOT NULL REFERENCES accounts(id),
    inbox_id           INTEGER NOT NULL REFERENCES inboxes(id),
    contact_id         INTEGER NOT NULL REFERENCES contacts(id),
    status             TEXT NOT NULL DEFAULT 'open'
                       CHECK (status IN ('open','pending','snoozed','resolved')),
    snoozed_until      INTEGER,
    priority           INTEGER NOT NULL DEFAULT 1 CHECK (priority BETWEEN 0 AND 3),
    assignee_id        INTEGER REFERENCES users(id),
    team_id            INTEGER REFERENCES teams(id),
    visibility         TEXT NOT NULL CHECK (visibility IN ('public','private')),
    external_thread_id TEXT NOT NULL DEFAULT '',
    subject            TEXT NOT NULL DEFAULT '',
    opened_at          INTEGER NOT NULL,
    first_reply_at     INTEGER,
    waiting_since      INTEGER,            -- first unanswered customer message, NULL = answered
    resolved_at        INTEGER,
    last_message_at    INTEGER NOT NULL,
    sort_wait          INTEGER NOT NULL DEFAULT 9007199254740991, -- waiting_since, or "answered" last
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
-- the inbox page: status, assignee, then priority and waiting time
CREATE INDEX conversations_queue
    ON conversations(account_id, status, assignee_id, priority DESC, sort_wait, id);
CREATE INDEX conversations_status
    ON conversations(account_id, status, priority DESC, sort_wait, id);
CREATE INDEX conversations_thread
    ON conversations(inbox_id, contact_id, visibility, external_thread_id, id);
CREATE INDEX conversations_contact ON conversations(contact_id, id);
CREATE INDEX conversations_snoozed ON conversations(snoozed_until) WHERE status = 'snoozed';

-- the router's memory: when each agent last received work (round-robin order)
CREATE TABLE agent_state (
    user_id           INTEGER PRIMARY KEY REFERENCES users(id),
    account_id        INTEGER NOT NULL,
    last_assigned_at  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE conversation_labels (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    label_id        INTEGER NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
    account_id      INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, label_id)
) WITHOUT ROWID;
CREATE INDEX conversation_labels_label ON conversation_labels(label_id, conversation_id);

CREATE TABLE messages (
    id               INTEGER PRIMARY KEY,
    account_id       INTEGER NOT NULL,
    conversation_id  INTEGER NOT NULL REFERENCES conversations(id),
    inbox_id         INTEGER NOT NULL,
    direction        TEXT NOT NULL CHECK (direction IN ('in','out')),
    kind             TEXT NOT NULL CHECK (kind IN ('message','reply','note','bot','auto','survey')),
    visibility       TEXT NOT NULL CHECK (visibility IN ('public','private','internal')),
    author_kind      TEXT NOT NULL CHECK (author_kind IN ('contact','user','bot','system')),
    author_id        INTEGER NOT NULL,
    body             TEXT NOT NULL,
    external_id      TEXT,
    attachments      TEXT NOT NULL DEFAULT '[]',
    mentions         TEXT NOT NULL DEFAULT '[]',
    analysis         TEXT NOT NULL DEFAULT '{}',  -- sentiment, pii spans, triage
    delivery_status  TEXT CHECK (delivery_status IN ('pending','sent','delivered','read','failed')),
    created_at       INTEGER NOT NULL
);
CREATE UNIQUE INDEX messages_external ON messages(inbox_id, external_id)
    WHERE external_id IS NOT NULL;
CREATE INDEX messages_conversation ON messages(conversation_id, id);

CREATE VIRTUAL TABLE messages_fts USING fts5(
    body, content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body);
END;

CREATE VIRTUAL TABLE contacts_fts USING fts5(
    name, email, phone, handles, tokenize='unicode61 remove_diacritics 2');

CREATE TABLE canned_responses (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    title       TEXT NOT NULL,
    short_code  TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_by  INTEGER,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (account_id, short_code)
);

-- counters maintained in the same transaction as every conversation change:
-- key = 'all:<status>', 'unassigned:<status>', 'user:<id>:<status>'
CREATE TABLE counters (
    account_id  INTEGER NOT NULL,
    key         TEXT NOT NULL,
    value       INTEGER NOT NULL,
    PRIMARY KEY (account_id, key)
) WITHOUT ROWID;

CREATE TABLE notifications (
    id               INTEGER PRIMARY KEY,
    account_id       INTEGER NOT NULL,
    user_id          INTEGER NOT NULL REFERENCES users(id),
    kind             TEXT NOT NULL,
    conversation_id  INTEGER,
    message_id       INTEGER,
    created_at       INTEGER NOT NULL,
    read_at          INTEGER
);
CREATE INDEX notifications_user ON notifications(user_id, id);

CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    account_id       INTEGER NOT NULL,
    message_id       INTEGER NOT NULL REFERENCES messages(id),
    inbox_id         INTEGER NOT NULL,
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending','sent','failed','dead')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    last_error       TEXT,
    created_at       INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
