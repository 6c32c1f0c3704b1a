-- The events outbox: one row per status change, written in the change's
-- own transaction.
CREATE TABLE events (
	id         TEXT PRIMARY KEY,
	tenant_id  TEXT NOT NULL,
	type       TEXT NOT NULL,
	message_id TEXT NOT NULL DEFAULT '',
	data       TEXT NOT NULL,
	created_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX events_tenant ON events (tenant_id, id);
CREATE INDEX events_message ON events (message_id, id) WHERE message_id <> '';
