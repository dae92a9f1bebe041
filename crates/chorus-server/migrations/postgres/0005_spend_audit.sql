-- Spend limits and the audit log (#18), as SQLite's migration 0007 in
-- PostgreSQL types: money is millionths of a US dollar, times are Unix
-- milliseconds, months are 'YYYY-MM' (UTC).
--
-- The studio's row always exists: a reservation locks it (`FOR UPDATE`)
-- so that two servers reserving at once take turns (see `spend::reserve`).
CREATE TABLE budgets (
    kind        TEXT NOT NULL CHECK (kind IN ('studio', 'user')),
    user_id     TEXT NOT NULL DEFAULT '',
    usd_micros  BIGINT,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (kind, user_id)
);
INSERT INTO budgets (kind, user_id, usd_micros, updated_at) VALUES ('studio', '', NULL, 0);

CREATE TABLE spend (
    job_id              TEXT PRIMARY KEY NOT NULL,
    user_id             TEXT,
    model               TEXT NOT NULL,
    month               TEXT NOT NULL,
    takes               BIGINT NOT NULL,
    reserved_usd_micros BIGINT NOT NULL,
    settled_usd_micros  BIGINT,
    state               TEXT NOT NULL CHECK (state IN ('reserved', 'settled', 'released')),
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX spend_by_month ON spend (month, user_id);

CREATE TABLE audit_log (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            BIGINT NOT NULL,
    actor         TEXT NOT NULL,
    actor_user_id TEXT,
    action        TEXT NOT NULL,
    target        TEXT NOT NULL,
    detail        TEXT NOT NULL,
    address       TEXT
);
CREATE INDEX audit_log_by_action ON audit_log (action, id);
