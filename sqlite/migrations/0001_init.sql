-- The first schema: tenants and keys, messages with their attempts and
-- timers, idempotency keys and receipts that arrived before their attempt.
-- Times are INTEGER unix microseconds, 0 for none.

CREATE TABLE tenants (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE,
	created_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE api_keys (
	id         TEXT PRIMARY KEY,
	tenant_id  TEXT NOT NULL REFERENCES tenants (id),
	hash       BLOB NOT NULL,
	rate_limit REAL NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	revoked_at INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Message ids sort by creation time, so "newest first" is ORDER BY id DESC.
-- tenant_id is not a foreign key: the dispatcher's tests and tools may
-- store messages for tenants that only exist in configuration.
CREATE TABLE messages (
	id              TEXT PRIMARY KEY,
	tenant_id       TEXT NOT NULL,
	to_number       TEXT NOT NULL,
	content         TEXT NOT NULL,           -- JSON of detour.Content
	steps           TEXT NOT NULL,           -- JSON of []detour.Step
	priority        INTEGER NOT NULL,        -- detour.Priority.Rank
	client_ref      TEXT NOT NULL DEFAULT '',
	callback_url    TEXT NOT NULL DEFAULT '',
	metadata        TEXT NOT NULL DEFAULT '', -- JSON object, '' for none
	status          TEXT NOT NULL,
	step            INTEGER NOT NULL DEFAULT 0,
	step_started_at INTEGER NOT NULL DEFAULT 0,
	error_code      TEXT NOT NULL DEFAULT '',
	error_detail    TEXT NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	expires_at      INTEGER NOT NULL
);
CREATE INDEX messages_tenant ON messages (tenant_id, id);
CREATE INDEX messages_tenant_to ON messages (tenant_id, to_number, id);
CREATE INDEX messages_tenant_ref ON messages (tenant_id, client_ref, id) WHERE client_ref <> '';
CREATE INDEX messages_tenant_status ON messages (tenant_id, status, id);

-- Attempts keep their insertion order through the rowid.
CREATE TABLE attempts (
	id           TEXT NOT NULL UNIQUE,
	message_id   TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
	step         INTEGER NOT NULL,
	channel      TEXT NOT NULL,
	route        TEXT NOT NULL DEFAULT '',
	provider_id  TEXT NOT NULL DEFAULT '',
	status       TEXT NOT NULL,
	segments     INTEGER NOT NULL DEFAULT 0,
	error_code   TEXT NOT NULL DEFAULT '',
	error_detail TEXT NOT NULL DEFAULT '',
	created_at   INTEGER NOT NULL DEFAULT 0,
	sent_at      INTEGER NOT NULL DEFAULT 0,
	delivered_at INTEGER NOT NULL DEFAULT 0,
	read_at      INTEGER NOT NULL DEFAULT 0,
	ended_at     INTEGER NOT NULL DEFAULT 0,
	updated_at   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX attempts_message ON attempts (message_id);
-- Receipt correlation. Not unique: providers may reuse ids over time, and
-- a receipt then belongs to the newest attempt with that id.
CREATE INDEX attempts_provider ON attempts (channel, route, provider_id) WHERE provider_id <> '';

-- At most one timer per message. Claims scan (priority, run_at) per
-- priority, so far-future timers are never read.
CREATE TABLE timers (
	message_id TEXT PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
	kind       TEXT NOT NULL,
	step       INTEGER NOT NULL DEFAULT 0,
	run_at     INTEGER NOT NULL,
	priority   INTEGER NOT NULL,
	owner      TEXT NOT NULL DEFAULT '',
	lease      INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX timers_due ON timers (priority, run_at, message_id);

CREATE TABLE idempotency_keys (
	tenant_id    TEXT NOT NULL,
	key          TEXT NOT NULL,
	request_hash BLOB NOT NULL,
	message_id   TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
	created_at   INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE orphan_receipts (
	id          INTEGER PRIMARY KEY,
	channel     TEXT NOT NULL,
	route       TEXT NOT NULL DEFAULT '',
	provider_id TEXT NOT NULL,
	status      TEXT NOT NULL,
	at          INTEGER NOT NULL DEFAULT 0,
	reason      TEXT NOT NULL DEFAULT '',
	detail      TEXT NOT NULL DEFAULT '',
	received_at INTEGER NOT NULL
);
CREATE INDEX orphan_receipts_provider ON orphan_receipts (channel, route, provider_id);
