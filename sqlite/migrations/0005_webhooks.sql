-- Webhook endpoints and the outbox of deliveries. A delivery row is
-- written with its event, in the same transaction; the webhook dispatcher
-- leases due rows, sends them and records each try in the log.
CREATE TABLE webhook_endpoints (
	id              TEXT PRIMARY KEY,
	tenant_id       TEXT NOT NULL,
	kind            TEXT NOT NULL,
	url             TEXT NOT NULL,
	description     TEXT NOT NULL DEFAULT '',
	event_types     TEXT NOT NULL DEFAULT '[]', -- JSON array; empty: every type
	secrets         TEXT NOT NULL,              -- JSON array of {secret, created_at, expires_at}
	disabled_at     INTEGER NOT NULL DEFAULT 0, -- 0: enabled
	disabled_reason TEXT NOT NULL DEFAULT '',
	failing_since   INTEGER NOT NULL DEFAULT 0,
	failures        INTEGER NOT NULL DEFAULT 0,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
);

CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant_id, id);
CREATE UNIQUE INDEX webhook_endpoints_callback ON webhook_endpoints (tenant_id) WHERE kind = 'callback_url';

CREATE TABLE webhook_deliveries (
	id          TEXT PRIMARY KEY,
	tenant_id   TEXT NOT NULL,
	endpoint_id TEXT NOT NULL,
	event_id    TEXT NOT NULL,
	event_tenant TEXT NOT NULL,           -- the event's tenant (the system tenant's events go to every tenant)
	chain       TEXT NOT NULL,            -- ordering key: the message id, else the event id
	url         TEXT NOT NULL DEFAULT '', -- callback deliveries: the message's callback_url
	status      TEXT NOT NULL,
	tries       INTEGER NOT NULL DEFAULT 0,
	next_at     INTEGER NOT NULL,
	created_at  INTEGER NOT NULL,
	ended_at    INTEGER NOT NULL DEFAULT 0,
	last_status INTEGER NOT NULL DEFAULT 0,
	last_error  TEXT NOT NULL DEFAULT ''
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_chain ON webhook_deliveries (endpoint_id, chain, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);

CREATE TABLE webhook_attempts (
	delivery_id TEXT NOT NULL,
	n           INTEGER NOT NULL,
	endpoint_id TEXT NOT NULL,
	at          INTEGER NOT NULL,
	status      INTEGER NOT NULL,
	latency_us  INTEGER NOT NULL,
	outcome     TEXT NOT NULL,
	error       TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (delivery_id, n)
) WITHOUT ROWID;
