-- Mirror schema, version 1. Every object keeps its raw JSON (`raw`) plus the
-- typed columns that filters, sorts and analytics use. Times are Unix seconds.

CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    created_at INTEGER,
    updated_at INTEGER,
    state TEXT,                      -- open | closed | snoozed
    open INTEGER,                    -- 0/1
    read INTEGER,                    -- 0/1
    priority TEXT,                   -- none | low | medium | high | urgent
    title TEXT,
    admin_assignee_id INTEGER,       -- 0 when unassigned
    team_assignee_id INTEGER,        -- 0 when unassigned
    waiting_since INTEGER,
    snoozed_until INTEGER,
    source_type TEXT,                -- conversation | email | push | ...
    source_delivered_as TEXT,        -- customer_initiated | admin_initiated | ...
    source_author_type TEXT,
    source_author_id TEXT,
    channel TEXT,                    -- channel.initial
    company_id TEXT,
    contact_ids TEXT,                -- JSON array of contact ids
    tag_ids TEXT,                    -- JSON array of tag ids (also in conversation_tags)
    first_contact_reply_at INTEGER,
    first_admin_reply_at INTEGER,
    time_to_admin_reply INTEGER,     -- seconds
    time_to_assignment INTEGER,
    time_to_first_close INTEGER,
    first_close_at INTEGER,
    last_close_at INTEGER,
    last_closed_by_id TEXT,
    median_time_to_reply INTEGER,
    count_reopens INTEGER,
    count_assignments INTEGER,
    count_conversation_parts INTEGER,
    rating_score INTEGER,            -- 1..5
    rating_remark TEXT,
    rating_created_at INTEGER,
    rating_teammate_id TEXT,
    sla_name TEXT,
    sla_status TEXT,                 -- hit | missed | cancelled | active
    ai_agent_participated INTEGER,
    raw TEXT NOT NULL,               -- the conversation without its parts
    mirrored_at INTEGER NOT NULL
);
CREATE INDEX conversations_created_at ON conversations(created_at);
CREATE INDEX conversations_updated_at ON conversations(updated_at);
CREATE INDEX conversations_state ON conversations(state, updated_at);
CREATE INDEX conversations_team ON conversations(team_assignee_id, created_at);
CREATE INDEX conversations_admin ON conversations(admin_assignee_id, created_at);

CREATE TABLE conversation_tags (
    conversation_id TEXT NOT NULL,
    tag_id TEXT NOT NULL,
    PRIMARY KEY (conversation_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX conversation_tags_tag ON conversation_tags(tag_id, conversation_id);

-- Every part of every conversation; the opening message is the part `source-<conversation id>`.
CREATE TABLE conversation_parts (
    pk INTEGER PRIMARY KEY,          -- rowid of the full-text index
    id TEXT NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL,
    part_type TEXT,
    author_type TEXT,
    author_id TEXT,
    created_at INTEGER,
    body_text TEXT NOT NULL,         -- plain text of the HTML body
    raw TEXT NOT NULL
);
CREATE INDEX conversation_parts_conversation ON conversation_parts(conversation_id, created_at);

CREATE VIRTUAL TABLE parts_fts USING fts5(
    body_text,
    content = 'conversation_parts',
    content_rowid = 'pk',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER conversation_parts_ai AFTER INSERT ON conversation_parts BEGIN
    INSERT INTO parts_fts(rowid, body_text) VALUES (new.pk, new.body_text);
END;
CREATE TRIGGER conversation_parts_ad AFTER DELETE ON conversation_parts BEGIN
    INSERT INTO parts_fts(parts_fts, rowid, body_text) VALUES ('delete', old.pk, old.body_text);
END;
CREATE TRIGGER conversation_parts_au AFTER UPDATE OF body_text ON conversation_parts BEGIN
    INSERT INTO parts_fts(parts_fts, rowid, body_text) VALUES ('delete', old.pk, old.body_text);
    INSERT INTO parts_fts(rowid, body_text) VALUES (new.pk, new.body_text);
END;

CREATE TABLE tickets (
    id TEXT PRIMARY KEY,
    created_at INTEGER,
    updated_at INTEGER,
    ticket_number TEXT,              -- ticket_id, the number people quote
    category TEXT,                   -- Customer | Back-office | Tracker
    ticket_type_id TEXT,
    ticket_state_id TEXT,
    state_category TEXT,             -- submitted | in_progress | waiting_on_customer | resolved
    title TEXT,
    open INTEGER,
    admin_assignee_id INTEGER,
    team_assignee_id INTEGER,
    snoozed_until INTEGER,
    contact_ids TEXT,
    raw TEXT NOT NULL,
    mirrored_at INTEGER NOT NULL
);
CREATE INDEX tickets_updated_at ON tickets(updated_at);
CREATE INDEX tickets_created_at ON tickets(created_at);

CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    created_at INTEGER,
    updated_at INTEGER,
    role TEXT,                       -- user | lead
    external_id TEXT,
    email TEXT,
    name TEXT,
    owner_id TEXT,
    last_seen_at INTEGER,
    raw TEXT NOT NULL,
    mirrored_at INTEGER NOT NULL
);
CREATE INDEX contacts_updated_at ON contacts(updated_at);
CREATE INDEX contacts_email ON contacts(email);

CREATE TABLE companies (
    id TEXT PRIMARY KEY,
    created_at INTEGER,
    updated_at INTEGER,
    company_id TEXT,
    name TEXT,
    user_count INTEGER,
    raw TEXT NOT NULL,
    mirrored_at INTEGER NOT NULL
);
CREATE INDEX companies_updated_at ON companies(updated_at);

CREATE TABLE admins (id TEXT PRIMARY KEY, email TEXT, name TEXT, raw TEXT NOT NULL, mirrored_at INTEGER NOT NULL);
CREATE TABLE teams (id TEXT PRIMARY KEY, name TEXT, raw TEXT NOT NULL, mirrored_at INTEGER NOT NULL);
CREATE TABLE tags (id TEXT PRIMARY KEY, name TEXT, raw TEXT NOT NULL, mirrored_at INTEGER NOT NULL);

-- Webhook notifications (source 'webhook', payload = the envelope) and changes
-- found by incremental sync (source 'sync'). `id` deduplicates redeliveries.
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    topic TEXT NOT NULL,
    source TEXT NOT NULL,
    object_type TEXT,
    object_id TEXT,
    occurred_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    payload TEXT
);
CREATE INDEX events_occurred_at ON events(occurred_at);
CREATE INDEX events_object ON events(object_type, object_id);

CREATE TABLE sync_checkpoints (
    kind TEXT PRIMARY KEY,           -- conversations | tickets | contacts | ...
    phase TEXT NOT NULL,             -- backfill | incremental
    cursor TEXT,
    high_water INTEGER NOT NULL,
    run_started_at INTEGER,
    run_items INTEGER NOT NULL,
    last_completed_at INTEGER
);

CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
