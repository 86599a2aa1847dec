-- Schema version 1: the state a fleet of replicas shares.
--
-- Content columns follow the SQLite stores they replace (intercom-mirror's events and
-- sync_checkpoints, intercom-automations' run log, intercom-jobs' bulk store,
-- intercom-mcp-server's OAuth store), so an adapter maps rows one to one: times that
-- those stores keep as Unix seconds stay BIGINT Unix seconds here. Leases are the exception:
-- they are TIMESTAMPTZ compared with the database's clock, so replicas' clocks do not matter.
-- The mirror's object tables (conversations, parts with full-text search, ...) come in a
-- later version.

-- Webhook notifications (source 'webhook') and changes found by incremental sync (source
-- 'sync'). `id` is the notification id: a redelivery to any replica finds it and is not
-- stored again. `seq` orders the log; appends take a lock so sequence numbers become visible
-- in order, and a reader that resumes after its last `seq` misses nothing.
CREATE TABLE events (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    topic TEXT NOT NULL,
    source TEXT NOT NULL,
    object_type TEXT,
    object_id TEXT,
    occurred_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    payload JSONB
);
CREATE INDEX events_occurred_at ON events (occurred_at);
CREATE INDEX events_object ON events (object_type, object_id);

-- Incremental sync position per object kind.
CREATE TABLE sync_checkpoints (
    kind TEXT PRIMARY KEY,           -- conversations | tickets | contacts | ...
    phase TEXT NOT NULL,             -- backfill | incremental
    cursor TEXT,
    high_water BIGINT NOT NULL,
    run_started_at BIGINT,
    run_items BIGINT NOT NULL,
    last_completed_at BIGINT
);

-- Small named values (e.g. last_webhook_at).
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Exactly-once work with leases. One row per unit of work in a scope ('automation_run' keyed
-- by event id and rule, 'bulk_job' keyed by job id, ...). A claim inserts the row or takes
-- it over once its lease has run out; a completed row is never claimed again.
CREATE TABLE claims (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    owner TEXT NOT NULL,             -- the replica holding (or last holding) the lease
    lease_until TIMESTAMPTZ NOT NULL,
    attempts INTEGER NOT NULL,       -- 1 for the first claim, +1 per takeover
    claimed_at TIMESTAMPTZ NOT NULL,
    completed_at TIMESTAMPTZ,
    result JSONB,
    PRIMARY KEY (scope, key)
);
-- Open claims by lease end: what a replica scans for work whose owner died.
CREATE INDEX claims_open ON claims (scope, lease_until) WHERE completed_at IS NULL;

-- Automation run log: one row per (event, rule). Whether a replica may run it is decided by
-- its claim (scope 'automation_run'); this row records what the run did.
CREATE TABLE automation_runs (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id TEXT NOT NULL,
    rule TEXT NOT NULL,
    topic TEXT NOT NULL,
    object_type TEXT,
    object_id TEXT,
    dry_run BOOLEAN NOT NULL,
    status TEXT NOT NULL,            -- claimed | applied | dry_run | no_match | skipped_loop | rate_limited | failed | interrupted
    detail JSONB,
    error TEXT,
    claimed_at BIGINT NOT NULL,
    finished_at BIGINT,
    UNIQUE (event_id, rule)
);
CREATE INDEX automation_runs_object ON automation_runs (object_id, rule, claimed_at);
CREATE INDEX automation_runs_rule ON automation_runs (rule, seq);

-- Writes a rule made that will come back as webhooks (loop protection).
CREATE TABLE automation_echoes (
    object_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    rule TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX automation_echoes_object ON automation_echoes (object_id, topic);

-- The engine's read position in the event log, round-robin positions.
CREATE TABLE automation_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Bulk jobs and their items. The replica running a job holds its claim (scope 'bulk_job',
-- renewed while it runs); when that lease runs out another replica resumes the job from its
-- pending items. An item's status is what keeps a write from being applied twice.
CREATE TABLE bulk_jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,              -- update_contacts | tag | manage_conversations
    spec JSONB NOT NULL,
    description TEXT NOT NULL,
    state TEXT NOT NULL,             -- running | completed | cancelled | interrupted
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    total BIGINT NOT NULL
);
CREATE TABLE bulk_items (
    job_id TEXT NOT NULL REFERENCES bulk_jobs (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    target_id TEXT NOT NULL,
    label TEXT NOT NULL,
    payload JSONB,
    status TEXT NOT NULL,            -- pending | ok | failed
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    finished_at BIGINT,
    PRIMARY KEY (job_id, seq)
);
CREATE INDEX bulk_items_status ON bulk_items (job_id, status);

-- OAuth: registered clients, grants (the Intercom token sealed with the server's key, never
-- stored in clear) and the hashes of issued codes and tokens.
CREATE TABLE oauth_clients (
    client_id TEXT PRIMARY KEY,
    client_name TEXT,
    redirect_uris JSONB NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE oauth_grants (
    grant_id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    resource TEXT NOT NULL,
    sealed_token BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE TABLE oauth_tokens (
    token_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,              -- code | access | refresh
    grant_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    detail TEXT
);
CREATE INDEX oauth_tokens_expiry ON oauth_tokens (expires_at);

-- The rate-limit ledger every replica of one Intercom app draws on: requests granted per
-- server window (keyed by the window's X-RateLimit-Reset). A replica counts each request here
-- before sending it and is refused once `granted` reaches the window's limit; answers raise
-- `granted` to the server's own count when that is higher (requests the ledger did not see).
CREATE TABLE rate_windows (
    budget TEXT NOT NULL,            -- names the Intercom app (never its token)
    window_reset BIGINT NOT NULL,    -- X-RateLimit-Reset, Unix seconds
    window_limit INTEGER NOT NULL,   -- X-RateLimit-Limit
    granted INTEGER NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (budget, window_reset)
);
