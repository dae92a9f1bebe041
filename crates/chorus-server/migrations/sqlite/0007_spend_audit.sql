-- Spend limits and the audit log (#18). Money is millionths of a US dollar,
-- times are Unix milliseconds, months are 'YYYY-MM' (UTC).
--
-- The monthly limits: one row for the whole studio (kind 'studio', user_id
-- '') that always exists, so a reservation on PostgreSQL always has a row
-- to lock; and one row per account with its own limit (kind 'user').
-- `usd_micros` NULL is no limit (the studio's only).
CREATE TABLE budgets (
    kind        TEXT NOT NULL CHECK (kind IN ('studio', 'user')),
    user_id     TEXT NOT NULL DEFAULT '',
    usd_micros  INTEGER,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (kind, user_id)
);
INSERT INTO budgets (kind, user_id, usd_micros, updated_at) VALUES ('studio', '', NULL, 0);

-- What each job holds or spent, in the month it was created: its estimate
-- reserved when it is created, then settled to what the provider charged
-- when it ends, or released (nothing) when it ends before a provider took
-- it. Rows stay when their job is removed: money spent stays spent.
-- `user_id` is whose job it is (NULL with sign-in off); `takes` lets a job
-- that stops halfway settle to the takes it sent.
CREATE TABLE spend (
    job_id              TEXT PRIMARY KEY NOT NULL,
    user_id             TEXT,
    model               TEXT NOT NULL,
    month               TEXT NOT NULL,
    takes               INTEGER NOT NULL,
    reserved_usd_micros INTEGER NOT NULL,
    settled_usd_micros  INTEGER,
    state               TEXT NOT NULL CHECK (state IN ('reserved', 'settled', 'released')),
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX spend_by_month ON spend (month, user_id);

-- Who did what, and when. `actor` is how the entry names them (an email,
-- "token nightly (ana@example.com)", "local", "reviewer Jo"); `actor_user_id`
-- the account behind it, where there is one. Pages are cut at `id`.
CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at            INTEGER NOT NULL,
    actor         TEXT NOT NULL,
    actor_user_id TEXT,
    action        TEXT NOT NULL,
    target        TEXT NOT NULL,
    detail        TEXT NOT NULL,
    address       TEXT
);
CREATE INDEX audit_log_by_action ON audit_log (action, id);
