-- The events outbox: one row per status change, written in the change's
-- own transaction. Keyed by tenant then id, so a tenant's listing is the
-- primary key and each event costs one index more (by message).
CREATE TABLE events (
	tenant_id  TEXT NOT NULL,
	id         TEXT NOT NULL,
	type       TEXT NOT NULL,
	message_id TEXT NOT NULL DEFAULT '',
	data       TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;

CREATE INDEX events_message ON events (message_id, id) WHERE message_id <> '';
