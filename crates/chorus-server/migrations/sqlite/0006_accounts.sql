-- Who may use the studio (#18): accounts, their invite links, their
-- sessions and their API tokens. No secret is stored as it was given: a
-- password is kept as an Argon2id PHC string, and an invite link, a session
-- cookie or an API token only as the SHA-256 (hex) of its text, so a copy
-- of the database opens nothing. Times are Unix milliseconds.
CREATE TABLE users (
    id              TEXT PRIMARY KEY NOT NULL,
    -- Trimmed and lower-cased (`chorus_core::access::normalize_email`).
    email           TEXT NOT NULL UNIQUE,
    -- viewer, editor or owner.
    role            TEXT NOT NULL,
    -- NULL until the invitee has set a password.
    password_hash   TEXT,
    created_at      INTEGER NOT NULL,
    last_sign_in_at INTEGER
);

-- A link lets its holder set the account's password once, within 72 h.
-- `closed_at` is set when it is used, or when a fresh link replaces it.
CREATE TABLE invites (
    token_hash  TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    closed_at   INTEGER
);
CREATE INDEX invites_by_user ON invites (user_id);

-- A signed-in browser. `id` names the session in logs and the audit log;
-- the cookie's value is known only by its hash. It ends when unused for
-- the idle lifetime after `last_seen_at`, or at `expires_at` regardless.
CREATE TABLE sessions (
    id           TEXT PRIMARY KEY NOT NULL,
    secret_hash  TEXT NOT NULL UNIQUE,
    user_id      TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
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
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id, created_at);
