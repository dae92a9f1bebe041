-- Client review, as SQLite's migration 0005: review links (found by the
-- SHA-256 of their token, never the token), who opened them, comments,
-- standing decisions, and lip-sync readings per take file.
CREATE TABLE review_links (
    id            TEXT PRIMARY KEY NOT NULL,
    job_id        TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    takes         TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT,
    revoked_at    BIGINT,
    passcode_hash TEXT,
    downloads     TEXT NOT NULL,
    approvals     BOOLEAN NOT NULL,
    verdicts      BOOLEAN NOT NULL
);
CREATE INDEX review_links_by_job ON review_links (job_id, created_at);

CREATE TABLE review_opens (
    link_id     TEXT NOT NULL,
    name        TEXT NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX review_opens_by_link ON review_opens (link_id, at);

CREATE TABLE review_comments (
    id          TEXT PRIMARY KEY NOT NULL,
    link_id     TEXT NOT NULL,
    job_id      TEXT NOT NULL,
    take        BIGINT NOT NULL,
    original    BIGINT NOT NULL,
    version     BIGINT NOT NULL,
    frame       BIGINT NOT NULL,
    frame_out   BIGINT,
    author      TEXT NOT NULL,
    side        TEXT NOT NULL,
    text        TEXT NOT NULL,
    shape       TEXT,
    parent      TEXT,
    created_at  BIGINT NOT NULL,
    resolved_at BIGINT
);
CREATE INDEX review_comments_by_job ON review_comments (job_id, created_at);
CREATE INDEX review_comments_by_link ON review_comments (link_id, created_at);

CREATE TABLE review_decisions (
    link_id     TEXT NOT NULL,
    take        BIGINT NOT NULL,
    version     BIGINT NOT NULL,
    verdict     TEXT NOT NULL,
    note        TEXT,
    author      TEXT NOT NULL,
    at          BIGINT NOT NULL,
    PRIMARY KEY (link_id, take)
);

CREATE TABLE sync_readings (
    asset_id    TEXT PRIMARY KEY NOT NULL,
    reading     TEXT NOT NULL
);
