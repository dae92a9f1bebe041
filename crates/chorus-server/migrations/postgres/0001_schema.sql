-- The same schema as SQLite's migrations 0001–0003, in PostgreSQL types:
-- times are Unix milliseconds (BIGINT), money is millionths of a dollar.
-- Jobs keep their request and outputs as JSON text; the shapes live in
-- chorus-core, the columns here are what the server queries by.
CREATE TABLE jobs (
    id          TEXT PRIMARY KEY NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'canceled')),
    progress    DOUBLE PRECISION NOT NULL DEFAULT 0,
    model       TEXT NOT NULL,
    request     TEXT NOT NULL,
    estimate    TEXT,
    outputs     TEXT NOT NULL DEFAULT '[]',
    error       TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    actual_cost_usd_micros BIGINT,
    -- Which worker holds a running job, and until when.
    lease_owner      TEXT,
    lease_expires_at BIGINT
);
CREATE INDEX jobs_by_created ON jobs (created_at DESC);
CREATE INDEX jobs_by_status ON jobs (status, created_at);
CREATE INDEX jobs_by_lease ON jobs (status, lease_expires_at);

-- Assets are stored by content hash; the row says what the bytes are.
CREATE TABLE assets (
    id          TEXT PRIMARY KEY NOT NULL,
    mime        TEXT NOT NULL,
    bytes       BIGINT NOT NULL,
    width       BIGINT,
    height      BIGINT,
    created_at  BIGINT NOT NULL
);

-- The submit ledger, shared by every server: one row per hosted take
-- ("{job_id}/{take_index}"), see the SQLite migration 0002.
CREATE TABLE provider_submits (
    job_key     TEXT PRIMARY KEY NOT NULL,
    record      TEXT NOT NULL,
    output      TEXT,
    cost_usd_micros BIGINT,
    updated_at  BIGINT NOT NULL
);
