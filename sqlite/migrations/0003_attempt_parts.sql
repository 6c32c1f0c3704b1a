-- Multipart attempts: every part's provider id and status (JSON, '' for a
-- single part), and a lookup from a part's provider id to its attempt for
-- receipts about parts after the first (the first is attempts.provider_id).
ALTER TABLE attempts ADD COLUMN parts TEXT NOT NULL DEFAULT '';

CREATE TABLE attempt_parts (
	channel     TEXT NOT NULL,
	route       TEXT NOT NULL,
	provider_id TEXT NOT NULL,
	attempt_id  TEXT NOT NULL,
	PRIMARY KEY (channel, route, provider_id, attempt_id)
) WITHOUT ROWID;
