-- Verifications (one-time codes). The code is never stored: code_hash is
-- HMAC-SHA256(server secret, id || code), compared in constant time by
-- checks, and code_seed is the random input from which, with the server
-- secret, a send derives the code when it renders its message. Without the
-- secret neither column tells the code.
--
-- A tenant has at most one pending verification per number; the partial
-- unique index enforces it. Sends are a JSON array of
-- {"message_id", "channel", "created_at"} (at most five).
CREATE TABLE verifications (
	id          TEXT PRIMARY KEY,
	tenant_id   TEXT NOT NULL,
	to_number   TEXT NOT NULL,
	channels    TEXT NOT NULL,           -- JSON array of channel names
	locale      TEXT NOT NULL,
	template    TEXT NOT NULL DEFAULT '',
	brand       TEXT NOT NULL DEFAULT '',
	code_length INTEGER NOT NULL,
	code_seed   BLOB NOT NULL,
	code_hash   BLOB NOT NULL,
	status      TEXT NOT NULL,
	checks      INTEGER NOT NULL DEFAULT 0,
	sends       TEXT NOT NULL DEFAULT '[]',
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE UNIQUE INDEX verifications_pending ON verifications (tenant_id, to_number) WHERE status = 'pending';
CREATE INDEX verifications_expiry ON verifications (expires_at) WHERE status = 'pending';
