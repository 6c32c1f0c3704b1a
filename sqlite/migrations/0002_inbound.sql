-- Inbound (mobile-originated) messages, kept for conversations. A provider
-- id repeats only on redelivery, which stores nothing.
CREATE TABLE inbound (
	id          TEXT PRIMARY KEY,
	channel     TEXT NOT NULL,
	route       TEXT NOT NULL,
	provider_id TEXT NOT NULL DEFAULT '',
	from_number TEXT NOT NULL,
	to_number   TEXT NOT NULL,
	text        TEXT NOT NULL,
	received_at INTEGER NOT NULL
);

CREATE UNIQUE INDEX inbound_provider ON inbound (channel, route, provider_id) WHERE provider_id <> '';
CREATE INDEX inbound_from ON inbound (from_number, id);
