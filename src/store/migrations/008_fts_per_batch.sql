-- 008: messages are indexed for full-text search once per group commit, by the
-- store (sq__fts_flush), instead of by a trigger inside each write's savepoint:
-- FTS5 writes out its pending terms at every savepoint, which cost one index
-- segment (and later merges) per message.
DROP TRIGGER messages_fts_insert;
