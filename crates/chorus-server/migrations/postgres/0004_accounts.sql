-- Accounts, as SQLite's migration 0006: users (passwords as Argon2id PHC
-- strings), invite links, sessions and API tokens, each of the last three
-- found by the SHA-256 (hex) of its secret, never the secret itself.
CREATE TABLE users (
    id              TEXT PRIMARY KEY NOT NULL,
    -- Trimmed and lower-cased (`chorus_core::access::normalize_email`).
    email           TEXT NOT NULL UNIQUE,
    -- viewer, editor or owner.
    role            TEXT NOT NULL,
    -- NULL until the invitee has set a password.
    password_hash   TEXT,
    created_at      BIGINT NOT NULL,
    last_sign_in_at BIGINT
);

-- A link lets its holder set the account's password once, within 72 h.
-- `closed_at` is set when it is used, or when a fresh link replaces it.
CREATE TABLE invites (
    token_hash  TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    closed_at   BIGINT
);
CREATE INDEX invites_by_user ON invites (user_id);

-- A signed-in browser. `id` names the session in logs and the audit log;
-- the cookie's value is known only by its hash. It ends when unused for
-- the idle lifetime after `last_seen_at`, or at `expires_at` regardless.
CREATE TABLE sessions (
    id           TEXT PRIMARY KEY NOT NULL,
    secret_hash  TEXT NOT NULL UNIQUE,
    user_id      TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    address      TEXT
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- A token for scripts: it acts as its maker, within its scopes
-- ("read,generate"). Revoked tokens stay listed, so Settings can say when.
CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY NOT NULL,
    secret_hash  TEXT NOT NULL UNIQUE,
    user_id      TEXT NOT NULL,
    name         TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id, created_at);
