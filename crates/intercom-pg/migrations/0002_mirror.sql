-- Schema version 2: the mirror's objects, shared by every replica.
--
-- One table per object kind with the raw JSON (`raw`, JSONB) and the typed columns that
-- filters, sorts and support metrics read, named as in intercom-mirror's SQLite schema and
-- filled from the same extraction (intercom_mirror::columns). Times are Unix seconds; flags
-- are 0/1 as in SQLite. Lists of ids are JSONB arrays of strings.

CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    created_at BIGINT,
    updated_at BIGINT,
    state TEXT,                      -- open | closed | snoozed
    open BIGINT,
    read BIGINT,
    priority TEXT,
    title TEXT,
    admin_assignee_id BIGINT,        -- 0 when unassigned
    team_assignee_id BIGINT,
    waiting_since BIGINT,
    snoozed_until BIGINT,
    source_type TEXT,
    source_delivered_as TEXT,
    source_author_type TEXT,
    source_author_id TEXT,
    channel TEXT,
    company_id TEXT,
    contact_ids JSONB,
    tag_ids JSONB,
    first_contact_reply_at BIGINT,
    first_admin_reply_at BIGINT,
    time_to_admin_reply BIGINT,
    time_to_assignment BIGINT,
    time_to_first_close BIGINT,
    first_close_at BIGINT,
    last_close_at BIGINT,
    last_closed_by_id TEXT,
    median_time_to_reply BIGINT,
    count_reopens BIGINT,
    count_assignments BIGINT,
    count_conversation_parts BIGINT,
    rating_score BIGINT,
    rating_remark TEXT,
    rating_created_at BIGINT,
    rating_teammate_id TEXT,
    sla_name TEXT,
    sla_status TEXT,
    ai_agent_participated BIGINT,
    raw JSONB NOT NULL,              -- the conversation without its parts
    mirrored_at BIGINT NOT NULL
);
CREATE INDEX conversations_created_at ON conversations (created_at);
CREATE INDEX conversations_updated_at ON conversations (updated_at);
CREATE INDEX conversations_state ON conversations (state, updated_at);
CREATE INDEX conversations_team ON conversations (team_assignee_id, created_at);
CREATE INDEX conversations_admin ON conversations (admin_assignee_id, created_at);
CREATE INDEX conversations_tags ON conversations USING GIN (tag_ids);
-- What support metrics read for a window: touched since its start, then the figures, so a
-- window is an index-only range scan (kept visible by autovacuum).
CREATE INDEX conversations_facts ON conversations (updated_at) INCLUDE
    (created_at, state, last_close_at, time_to_admin_reply, count_reopens, rating_score,
     rating_created_at, sla_status, admin_assignee_id, team_assignee_id, channel, priority);

-- Every part of every conversation; the opening message is the part `source-<conversation id>`.
-- `body_tsv` is the full-text index of the part's plain text: the `simple` configuration
-- (lower-cased words, no stemming, no stop words), as the SQLite index matches whole words.
CREATE TABLE conversation_parts (
    pk BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL,
    part_type TEXT,
    author_type TEXT,
    author_id TEXT,
    created_at BIGINT,
    body_text TEXT NOT NULL,
    raw JSONB NOT NULL,
    body_tsv TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', body_text)) STORED
);
CREATE INDEX conversation_parts_conversation ON conversation_parts (conversation_id, created_at);
CREATE INDEX conversation_parts_fts ON conversation_parts USING GIN (body_tsv);

CREATE TABLE tickets (
    id TEXT PRIMARY KEY,
    created_at BIGINT,
    updated_at BIGINT,
    ticket_number TEXT,
    category TEXT,
    ticket_type_id TEXT,
    ticket_state_id TEXT,
    state_category TEXT,
    title TEXT,
    open BIGINT,
    admin_assignee_id BIGINT,
    team_assignee_id BIGINT,
    snoozed_until BIGINT,
    contact_ids JSONB,
    raw JSONB NOT NULL,
    mirrored_at BIGINT NOT NULL
);
CREATE INDEX tickets_updated_at ON tickets (updated_at);
CREATE INDEX tickets_created_at ON tickets (created_at);

CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    created_at BIGINT,
    updated_at BIGINT,
    role TEXT,
    external_id TEXT,
    email TEXT,
    name TEXT,
    owner_id TEXT,
    last_seen_at BIGINT,
    raw JSONB NOT NULL,
    mirrored_at BIGINT NOT NULL
);
CREATE INDEX contacts_updated_at ON contacts (updated_at);
CREATE INDEX contacts_email ON contacts (email);

CREATE TABLE companies (
    id TEXT PRIMARY KEY,
    created_at BIGINT,
    updated_at BIGINT,
    company_id TEXT,
    name TEXT,
    user_count BIGINT,
    raw JSONB NOT NULL,
    mirrored_at BIGINT NOT NULL
);
CREATE INDEX companies_updated_at ON companies (updated_at);

CREATE TABLE admins (id TEXT PRIMARY KEY, email TEXT, name TEXT, raw JSONB NOT NULL, mirrored_at BIGINT NOT NULL);
CREATE TABLE teams (id TEXT PRIMARY KEY, name TEXT, raw JSONB NOT NULL, mirrored_at BIGINT NOT NULL);
CREATE TABLE tags (id TEXT PRIMARY KEY, name TEXT, raw JSONB NOT NULL, mirrored_at BIGINT NOT NULL);
