-- 007: "take it offline": a public conversation moved to a private channel is
-- linked to the private conversation that follows, so the public thread gets
-- its closing note.
ALTER TABLE conversations ADD COLUMN linked_id INTEGER REFERENCES conversations(id);
ALTER TABLE conversations ADD COLUMN offline_at INTEGER;
CREATE INDEX conversations_offline ON conversations(contact_id) WHERE offline_at IS NOT NULL;
