-- Jobs keep their request and outputs as JSON: the shapes live in chorus-core
-- and are versioned there; the columns here are what the server queries by.
CREATE TABLE jobs (
    id          TEXT PRIMARY KEY NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'canceled')),
    progress    REAL NOT NULL DEFAULT 0,
    model       TEXT NOT NULL,
    request     TEXT NOT NULL,
    estimate    TEXT,
    outputs     TEXT NOT NULL DEFAULT '[]',
    error       TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX jobs_by_created ON jobs (created_at DESC);
CREATE INDEX jobs_by_status ON jobs (status, created_at);

-- Assets are stored by content hash; the row says what the bytes are.
CREATE TABLE assets (
    id          TEXT PRIMARY KEY NOT NULL,
    mime        TEXT NOT NULL,
    bytes       INTEGER NOT NULL,
    width       INTEGER,
    height      INTEGER,
    created_at  INTEGER NOT NULL
);
