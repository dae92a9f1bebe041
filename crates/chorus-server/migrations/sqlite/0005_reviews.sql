-- Client review (#17): links that open some of a job's takes to a client,
-- who they were opened by, the comments and drawings left on frames, and
-- the standing decision on each take. A link is found by the SHA-256 (hex)
-- of its token; the token itself is never stored. `takes` is a JSON array
-- of original take indices, `shape` a comment's drawing as JSON.
CREATE TABLE review_links (
    id            TEXT PRIMARY KEY NOT NULL,
    job_id        TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    takes         TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER,
    revoked_at    INTEGER,
    -- Argon2id, as a PHC string.
    passcode_hash TEXT,
    downloads     TEXT NOT NULL,
    approvals     BOOLEAN NOT NULL,
    verdicts      BOOLEAN NOT NULL
);
CREATE INDEX review_links_by_job ON review_links (job_id, created_at);

CREATE TABLE review_opens (
    link_id     TEXT NOT NULL,
    name        TEXT NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX review_opens_by_link ON review_opens (link_id, at);

CREATE TABLE review_comments (
    id          TEXT PRIMARY KEY NOT NULL,
    link_id     TEXT NOT NULL,
    job_id      TEXT NOT NULL,
    take        INTEGER NOT NULL,
    original    INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    frame       INTEGER NOT NULL,
    frame_out   INTEGER,
    author      TEXT NOT NULL,
    side        TEXT NOT NULL,
    text        TEXT NOT NULL,
    shape       TEXT,
    parent      TEXT,
    created_at  INTEGER NOT NULL,
    resolved_at INTEGER
);
CREATE INDEX review_comments_by_job ON review_comments (job_id, created_at);
CREATE INDEX review_comments_by_link ON review_comments (link_id, created_at);

-- A new decision on a take replaces the standing one.
CREATE TABLE review_decisions (
    link_id     TEXT NOT NULL,
    take        INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    verdict     TEXT NOT NULL,
    note        TEXT,
    author      TEXT NOT NULL,
    at          INTEGER NOT NULL,
    PRIMARY KEY (link_id, take)
);

-- Lip-sync readings (a `TakeReading` as JSON, its `take` filled in when
-- shown), one per take file: keyed by the video's asset id.
CREATE TABLE sync_readings (
    asset_id    TEXT PRIMARY KEY NOT NULL,
    reading     TEXT NOT NULL
);
